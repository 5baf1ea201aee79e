#!/usr/bin/env python3
"""ussl-client --scan against servers whose configuration is known: the scan must report exactly it.

Run: test_scan.py --client PATH --server PATH --certs DIR [unittest arguments, e.g. a class name]
Peers: openssl s_server and nginx with explicit protocol/suite/group lists and preference settings,
ussl-server, and scripted responders (SSLv3 and SSLv2 answers, a silent server) in this process.
Loopback only; every server binds a port chosen at run time; every process has a timeout and is
stopped in cleanup; every loop is bounded in count and time.
Long on purpose (~700 lines): one class per kind of peer; each server's configuration is written
beside the assertions on what the scan reports for it.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import ussl_proc  # noqa: E402

CLIENT = os.environ.get("USSL_CLIENT", "")
SERVER = os.environ.get("USSL_SERVER", "")
CERTS = os.environ.get("USSL_CERTS", "")
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")

RUN_TIMEOUT = 60
START_TIMEOUT = 10


def cert(name):
    return os.path.join(CERTS, name)


def run_scan(port, *args, what=None, json_mode=True, timeout=RUN_TIMEOUT, connect_timeout=3000):
    cmd = [CLIENT, "--host", "127.0.0.1", "--port", str(port), "--scan"]
    if what:
        cmd.append(what)
    cmd += ["--connect-timeout", str(connect_timeout), "--timeout", "50000"] + list(args)
    if json_mode:
        cmd.append("--json")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    report = None
    if json_mode:
        lines = [line for line in proc.stdout.splitlines() if line.strip()]
        assert len(lines) == 1, f"expected one JSON line, got:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        report = json.loads(lines[0])
    return proc, report


class Proc:
    """A started process, its output collected by threads; stop() kills its whole session."""

    def __init__(self, cmd):
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     start_new_session=True)
        self.out = b""
        self.lock = threading.Lock()
        for stream in (self.proc.stdout, self.proc.stderr):
            threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for chunk in iter(lambda: stream.read1(4096), b""):
            with self.lock:
                self.out += chunk

    def wait_for(self, pattern, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                m = re.search(pattern, self.out)
            if m:
                return m
            if self.proc.poll() is not None:
                return None
            time.sleep(0.02)
        return None

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 9)
            except ProcessLookupError:
                pass
        self.proc.wait(timeout=10)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            stream.close()


def start_s_server(test, *args, leaf="server-rsa-chain.pem", key="server-rsa.key"):
    cmd = ["openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", cert(leaf), "-key", cert(key), "-www"] + list(args)
    proc = Proc(cmd)
    test.addCleanup(proc.stop)
    m = proc.wait_for(rb"ACCEPT 127\.0\.0\.1:(\d+)", START_TIMEOUT)
    if not m:
        raise AssertionError("openssl s_server did not start: " + proc.out.decode(errors="replace"))
    return int(m.group(1))


def start_ussl_server(test, *args):
    cmd = [SERVER, "--port", "0", "--certfile", cert("server-rsa-chain.pem"), "--keyfile", cert("server-rsa.key"),
           "--json"] + list(args)
    try:
        srv = ussl_proc.UsslServer(cmd, start_timeout=START_TIMEOUT)
    except ussl_proc.ServerStartError as e:
        raise AssertionError(f"ussl-server did not start: {e}") from None
    test.addCleanup(srv.kill)
    return srv.port


def policy(name):
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "policies", name + ".policy")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_nginx(test, directives):
    """nginx on a port picked now (retried when another process took it meanwhile)."""
    last = ""
    for _ in range(5):
        tmp = tempfile.mkdtemp(prefix="ussl-scan-nginx-")
        os.chmod(tmp, 0o755)
        test.addCleanup(shutil.rmtree, tmp, True)
        port = free_port()
        conf = "\n".join([
            "worker_processes 1;", f"pid {tmp}/nginx.pid;", f"error_log {tmp}/error.log info;",
            "events { worker_connections 64; }", "http {", "  access_log off;",
            f"  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;",
            f"  fastcgi_temp_path {tmp}/fastcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;",
            "  server {", f"    listen 127.0.0.1:{port} ssl;", "    server_name localhost;",
            f"    ssl_certificate {cert('server-rsa-chain.pem')};", f"    ssl_certificate_key {cert('server-rsa.key')};",
            *[f"    {d};" for d in directives], "    location / { return 200 \"ok\\n\"; }", "  }", "}", ""
        ])
        with open(os.path.join(tmp, "nginx.conf"), "w") as f:
            f.write(conf)
        proc = Proc([NGINX, "-p", tmp, "-c", os.path.join(tmp, "nginx.conf"), "-e", os.path.join(tmp, "error.log"),
                     "-g", "daemon off;"])
        test.addCleanup(proc.stop)
        end = time.monotonic() + START_TIMEOUT
        while time.monotonic() < end and proc.proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return port
            except OSError:
                time.sleep(0.05)
        with open(os.path.join(tmp, "error.log")) as f:
            last = f.read()
        proc.stop()
    raise AssertionError("nginx did not start: " + last)


# --- a scripted responder: the SSLv3 and SSLv2 answers no Debian 12 server gives ---

def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def tls_record(rtype, version, payload):
    return bytes([rtype]) + version.to_bytes(2, "big") + len(payload).to_bytes(2, "big") + payload


class LegacyResponder:
    """Speaks just enough SSLv3 and SSLv2 to answer a ClientHello.

    SSLv3 hellos: a ServerHello choosing the first of `sslv3_suites` (its own order) that was offered,
    else a handshake_failure alert. SSLv2 CLIENT-HELLO (version 2): a SERVER-HELLO listing
    `sslv2_ciphers`. Anything else: a protocol_version alert."""

    def __init__(self, test, sslv3_suites=(0x000A, 0x002F), sslv2_ciphers=(0x010080, 0x0700C0), silent=False):
        self.sslv3_suites = sslv3_suites
        self.sslv2_ciphers = sslv2_ciphers
        self.silent = silent
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        test.addCleanup(self.stop)

    def stop(self):
        self.stopping = True
        self.thread.join(timeout=10)
        self.sock.close()

    def _serve(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        with conn:
            conn.settimeout(5)
            try:
                if self.silent:
                    end = time.monotonic() + 5
                    while not self.stopping and time.monotonic() < end and conn.recv(4096):
                        pass
                    return
                head = read_exact(conn, 2)
                if head[0] & 0x80:
                    self._sslv2(conn, head)
                    return
                rest = read_exact(conn, 3)
                body = read_exact(conn, int.from_bytes(rest[1:3], "big"))
                self._tls(conn, body)
            except (EOFError, OSError):
                pass

    def _sslv2(self, conn, head):
        body = read_exact(conn, ((head[0] & 0x7F) << 8) | head[1])
        version = int.from_bytes(body[1:3], "big")
        if version != 0x0002:
            conn.sendall(tls_record(21, 0x0301, bytes([2, 70])))
            return
        specs = b"".join(c.to_bytes(3, "big") for c in self.sslv2_ciphers)
        certificate = b"\x30\x03\x02\x01\x00"  # not parsed by the scan
        msg = bytes([4, 0, 1]) + (2).to_bytes(2, "big") + len(certificate).to_bytes(2, "big") + \
            len(specs).to_bytes(2, "big") + (16).to_bytes(2, "big") + certificate + specs + bytes(16)
        conn.sendall((0x8000 | len(msg)).to_bytes(2, "big") + msg)

    def _tls(self, conn, hello):
        version = int.from_bytes(hello[4:6], "big")
        pos = 4 + 2 + 32
        pos += 1 + hello[pos]
        n = int.from_bytes(hello[pos:pos + 2], "big")
        offered = [int.from_bytes(hello[pos + 2 + i:pos + 4 + i], "big") for i in range(0, n, 2)]
        if version != 0x0300:
            conn.sendall(tls_record(21, 0x0301, bytes([2, 70])))
            return
        chosen = [s for s in self.sslv3_suites if s in offered]
        if not chosen:
            conn.sendall(tls_record(21, 0x0300, bytes([2, 40])))
            return
        body = (0x0300).to_bytes(2, "big") + bytes(32) + b"\x00" + chosen[0].to_bytes(2, "big") + b"\x00"
        msg = bytes([2]) + len(body).to_bytes(3, "big") + body
        done = bytes([14, 0, 0, 0])
        conn.sendall(tls_record(22, 0x0300, msg + done))


class ScanAgainstOpenSslTests(unittest.TestCase):
    def test_tls12_only_server_with_server_order_is_reported_exactly(self):
        port = start_s_server(self, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA:ECDHE-RSA-CHACHA20-POLY1305",
                              "-serverpref", "-groups", "P-384:X25519")
        proc, r = run_scan(port)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        s = r["scan"]
        self.assertEqual(s["versions"], {"sslv2": "refused", "sslv2_hello": "refused", "sslv3": "refused",
                                         "tls1_0": "refused", "tls1_1": "refused", "tls1_2": "accepted",
                                         "tls1_3": "refused"})
        self.assertEqual(s["suites"]["tls1_2"], ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_256_CBC_SHA",
                                                 "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"])
        self.assertEqual(s["suite_order"]["tls1_2"], "server")
        self.assertEqual(s["groups"], {"tls1_3": [], "tls1_2": ["x25519", "secp384r1"]})
        self.assertEqual(s["features"]["secure_renegotiation"], "supported")
        self.assertEqual(s["features"]["extended_master_secret"], "supported")
        self.assertEqual(s["features"]["fallback_scsv"], "not_applicable")
        self.assertEqual(s["resumption"]["tls1_2"], "yes")
        self.assertEqual(s["resumption"]["tls1_3"], "not_applicable")

    def test_signature_schemes_follow_the_certificate_key(self):
        rsa = start_s_server(self)
        ecdsa = start_s_server(self, leaf="server-chain.pem", key="server.key")
        _, r = run_scan(rsa, what="sigalgs")
        self.assertEqual(r["scan"]["sigalgs"], {
            "tls1_3": ["rsa_pss_rsae_sha256", "rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512"],
            "tls1_2": ["rsa_pss_rsae_sha256", "rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512", "rsa_pkcs1_sha256",
                       "rsa_pkcs1_sha384", "rsa_pkcs1_sha512"]})
        _, r = run_scan(ecdsa, what="sigalgs")
        # TLS 1.3 ties ECDSA to the key's curve (P-256); TLS 1.2 takes any hash.
        self.assertEqual(r["scan"]["sigalgs"], {
            "tls1_3": ["ecdsa_secp256r1_sha256"],
            "tls1_2": ["ecdsa_secp256r1_sha256", "ecdsa_secp384r1_sha384", "ecdsa_secp521r1_sha512"]})

    def test_client_order_server_lets_the_client_order_win(self):
        port = start_s_server(self, "-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256")
        proc, r = run_scan(port, what="suites")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(r["scan"]["suites"]["tls1_2"], ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                                                         "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"])
        self.assertEqual(r["scan"]["suite_order"]["tls1_2"], "client")

    def test_tls13_only_server_reports_its_suites_groups_and_hello_retry(self):
        port = start_s_server(self, "-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
                              "-groups", "secp384r1:X25519", "-serverpref")
        proc, r = run_scan(port, what="versions,suites,groups,features")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        s = r["scan"]
        self.assertEqual([k for k, v in s["versions"].items() if v == "accepted"], ["tls1_3"])
        self.assertEqual(s["suites"]["tls1_3"], ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"])
        self.assertEqual(s["suite_order"]["tls1_3"], "server")
        self.assertEqual(s["groups"]["tls1_3"], ["x25519", "secp384r1"])
        self.assertEqual(s["preferred_group"], "secp384r1")
        self.assertEqual(s["group_order"], "server")
        self.assertEqual(s["hello_retry_request"], "yes")
        self.assertEqual(s["features"]["secure_renegotiation"], "not_applicable")

    def test_tls10_only_server_is_seen_although_wolfssl_cannot_speak_it(self):
        port = start_s_server(self, "-tls1", "-cipher", "AES128-SHA:ECDHE-RSA-AES256-SHA:@SECLEVEL=0")
        proc, r = run_scan(port, what="versions,suites")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        s = r["scan"]
        self.assertEqual([k for k, v in s["versions"].items() if v == "accepted"], ["sslv2_hello", "tls1_0"])
        self.assertEqual(sorted(s["suites"]["tls1_0"]), ["TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
                                                         "TLS_RSA_WITH_AES_128_CBC_SHA"])
        self.assertEqual(r["ok"], False)  # the default (wolfSSL) handshake: a finding, not the exit code

    def test_fallback_scsv_is_honoured_by_a_two_version_server(self):
        port = start_s_server(self)
        proc, r = run_scan(port, what="features")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(r["scan"]["features"]["fallback_scsv"], "supported")
        self.assertEqual(r["scan"]["reasons"]["features"]["fallback_scsv"], "alert inappropriate_fallback")


OPENSSL35 = os.environ.get("USSL_OPENSSL35") or os.path.expanduser("~/.cache/ussl/peers/bin/openssl35")


class ScanAgainstOpenSsl35Tests(unittest.TestCase):
    """OpenSSL 3.5 (trixie's, fetched by scripts/fetch-peers.sh) as the ground truth where post-quantum
    groups matter: each server is configured with an explicit group list; the scan must report exactly it."""

    def setUp(self):
        if not os.access(OPENSSL35, os.X_OK):
            self.skipTest(f"OpenSSL 3.5 peer missing at {OPENSSL35} (scripts/fetch-peers.sh fetches it)")

    def start(self, *args):
        cmd = [OPENSSL35, "s_server", "-accept", "127.0.0.1:0", "-cert", cert("server-rsa-chain.pem"),
               "-key", cert("server-rsa.key"), "-www", "-tls1_3"] + list(args)
        proc = Proc(cmd)
        self.addCleanup(proc.stop)
        m = proc.wait_for(rb"ACCEPT 127\.0\.0\.1:(\d+)", START_TIMEOUT)
        if not m:
            raise AssertionError("OpenSSL 3.5 s_server did not start: " + proc.out.decode(errors="replace"))
        return int(m.group(1))

    def test_hybrid_and_classical_groups_are_reported_exactly(self):
        port = self.start("-groups", "SecP256r1MLKEM768:X25519MLKEM768:X25519")
        proc, r = run_scan(port, what="versions,groups")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        s = r["scan"]
        self.assertEqual([k for k, v in s["versions"].items() if v == "accepted"], ["tls1_3"])
        self.assertEqual(sorted(s["groups"]["tls1_3"]), ["SecP256r1MLKEM768", "X25519MLKEM768", "x25519"])
        self.assertEqual(s["groups"]["tls1_2"], [])
        # OpenSSL 3.5: groups joined by ':' form one tuple of equal preference, so the client's order wins.
        self.assertEqual(s["group_order"], "client")

    def test_server_group_order_is_seen_when_the_server_enforces_one(self):
        # '/' separates OpenSSL 3.5's preference tuples: the server's first group wins whatever the client's order.
        port = self.start("-groups", "SecP256r1MLKEM768/X25519MLKEM768/X25519")
        proc, r = run_scan(port, what="groups")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(r["scan"]["preferred_group"], "SecP256r1MLKEM768")
        self.assertEqual(r["scan"]["group_order"], "server")

    def test_post_quantum_only_server_accepts_only_its_hybrid(self):
        port = self.start("-groups", "X25519MLKEM768")
        proc, r = run_scan(port, what="groups")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(r["scan"]["groups"]["tls1_3"], ["X25519MLKEM768"])
        self.assertEqual(r["scan"]["preferred_group"], "X25519MLKEM768")

    def test_hybrid_without_a_default_key_share_is_reached_through_hello_retry(self):
        port = self.start("-groups", "SecP384r1MLKEM1024")
        proc, r = run_scan(port, what="groups")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(r["scan"]["groups"]["tls1_3"], ["SecP384r1MLKEM1024"])
        self.assertEqual(r["scan"]["hello_retry_request"], "yes")


class ScanAgainstNginxTests(unittest.TestCase):
    def setUp(self):
        if not NGINX:
            self.skipTest("nginx is not installed")

    def test_nginx_protocols_ciphers_curves_and_preference_are_reported_exactly(self):
        port = start_nginx(self, ["ssl_protocols TLSv1.2 TLSv1.3",
                                  "ssl_ciphers ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305",
                                  "ssl_prefer_server_ciphers on", "ssl_ecdh_curve X25519:prime256v1"])
        proc, r = run_scan(port, what="versions,suites,groups,sigalgs")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        s = r["scan"]
        self.assertEqual([k for k, v in s["versions"].items() if v == "accepted"], ["tls1_2", "tls1_3"])
        self.assertEqual(s["suites"]["tls1_2"], ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                                                 "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"])
        self.assertEqual(s["suite_order"]["tls1_2"], "server")
        self.assertEqual(s["suites"]["tls1_3"], ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                                                 "TLS_AES_128_GCM_SHA256"])
        self.assertEqual(s["groups"], {"tls1_3": ["x25519", "secp256r1"], "tls1_2": ["x25519", "secp256r1"]})
        self.assertEqual(s["preferred_group"], "x25519")
        self.assertEqual(s["sigalgs"]["tls1_2"], ["rsa_pss_rsae_sha256", "rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512",
                                                  "rsa_pkcs1_sha256", "rsa_pkcs1_sha384", "rsa_pkcs1_sha512"])


class ScanAgainstUsslServerTests(unittest.TestCase):
    def test_ussl_server_cipher_list_is_reported_exactly(self):
        port = start_ussl_server(self, "--ciphers",
                                 "TLS_AES_128_GCM_SHA256:TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:"
                                 "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
        proc, r = run_scan(port, what="versions,suites,resumption")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        s = r["scan"]
        self.assertEqual([k for k, v in s["versions"].items() if v == "accepted"], ["tls1_2", "tls1_3"])
        self.assertEqual(s["suites"]["tls1_3"], ["TLS_AES_128_GCM_SHA256"])
        self.assertEqual(sorted(s["suites"]["tls1_2"]), ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                                                         "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"])
        self.assertEqual(s["resumption"], {"tls1_3": "yes", "tls1_2": "yes"})
        self.assertEqual(r["verify"]["mode"], "none")


def wolfssl_features():
    out = subprocess.run([CLIENT, "--version", "--json"], capture_output=True, text=True, timeout=RUN_TIMEOUT).stdout
    return json.loads(out)["wolfssl"]["features"]


class LegacyVersionTests(unittest.TestCase):
    """TLS 1.0 on request only (a fixture for old clients), marked legacy everywhere."""

    def setUp(self):
        if self._testMethodName == "test_a_wolfssl_without_tls10_refuses_it_by_name":
            return
        if not wolfssl_features().get("tls10"):
            self.skipTest("this wolfSSL is built without TLS 1.0 (Debian's): "
                          "test_a_wolfssl_without_tls10_refuses_it_by_name covers it")

    def test_a_wolfssl_without_tls10_refuses_it_by_name(self):
        if wolfssl_features().get("tls10"):
            self.skipTest("this wolfSSL has TLS 1.0 (the tuned build)")
        proc = subprocess.run([SERVER, "--port", "0", "--certfile", cert("server-rsa-chain.pem"), "--keyfile",
                               cert("server-rsa.key"), "--tls-version", "1.0"], capture_output=True, text=True,
                              timeout=RUN_TIMEOUT)
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stderr.strip(), "ussl-server: error: usage: this wolfSSL was built without TLS 1.0 "
                                              "(tls10): cannot speak TLSv1.0")

    def test_tls10_only_ussl_server_is_reported_exactly(self):
        port = start_ussl_server(self, "--tls-version", "1.0")
        proc, r = run_scan(port, what="versions,suites")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        s = r["scan"]
        self.assertEqual({k: v for k, v in s["versions"].items() if k.startswith("tls")},
                         {"tls1_0": "accepted", "tls1_1": "refused", "tls1_2": "refused", "tls1_3": "refused"})
        self.assertEqual(s["suites"]["tls1_0"], ["TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
                                                 "TLS_RSA_WITH_AES_256_CBC_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA"])
        self.assertEqual(s["suite_order"]["tls1_0"], "server")

    def test_client_speaks_tls10_when_asked_and_the_report_marks_it_legacy(self):
        port = start_ussl_server(self, "--tls-version", "1.0")
        proc = subprocess.run([CLIENT, "--host", "127.0.0.1", "--port", str(port), "--tls-version", "1.0", "--json"],
                              capture_output=True, text=True, timeout=RUN_TIMEOUT)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        tls = json.loads(proc.stdout)["tls"]
        self.assertEqual({k: tls[k] for k in ("version", "cipher", "legacy")},
                         {"version": "TLSv1.0", "cipher": "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "legacy": True})

    def test_default_client_never_offers_tls10(self):
        port = start_ussl_server(self, "--tls-version", "1.0")
        proc = subprocess.run([CLIENT, "--host", "127.0.0.1", "--port", str(port), "--json"],
                              capture_output=True, text=True, timeout=RUN_TIMEOUT)
        self.assertEqual(proc.returncode, 4, proc.stdout)

    def test_default_server_offers_no_legacy_suite_or_version(self):
        port = start_ussl_server(self)
        proc, r = run_scan(port, what="versions,suites")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        s = r["scan"]
        self.assertEqual((s["versions"]["tls1_0"], s["versions"]["tls1_1"]), ("refused", "refused"))
        self.assertEqual(s["suites"]["tls1_2"], ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                                                 "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                                                 "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
                                                 "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
                                                 "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
                                                 "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
                                                 "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"])


class ScanAgainstScriptedResponderTests(unittest.TestCase):
    def test_sslv3_and_sslv2_answers_are_reported_as_accepted(self):
        responder = LegacyResponder(self)
        proc, r = run_scan(responder.port, what="versions,suites")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        s = r["scan"]
        self.assertEqual(s["versions"], {"sslv2": "accepted", "sslv2_hello": "refused", "sslv3": "accepted",
                                         "tls1_0": "refused", "tls1_1": "refused", "tls1_2": "refused",
                                         "tls1_3": "refused"})
        self.assertEqual(s["suites"]["sslv3"], ["TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA"])
        self.assertEqual(s["suites"]["sslv2"], ["SSL_CK_RC4_128_WITH_MD5", "SSL_CK_DES_192_EDE3_CBC_WITH_MD5"])
        self.assertEqual(s["reasons"]["versions"]["tls1_2"], "alert protocol_version")

    def test_a_server_that_never_answers_is_unknown_not_refused(self):
        responder = LegacyResponder(self, silent=True)
        proc, r = run_scan(responder.port, what="versions", connect_timeout=400)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(set(r["scan"]["versions"].values()), {"unknown"})
        self.assertTrue(r["scan"]["reasons"]["versions"]["tls1_2"].startswith("timeout"))


SSLSCAN = shutil.which("sslscan")
NMAP = shutil.which("nmap")


def sslscan_findings(port):
    """sslscan's versions, suites (by code point) and groups, from its XML."""
    out = subprocess.run([SSLSCAN, "--no-colour", "--xml=-", f"127.0.0.1:{port}"], capture_output=True, text=True,
                         timeout=RUN_TIMEOUT).stdout
    names = {"ssl2": "sslv2", "ssl3": "sslv3", "tls1.0": "tls1_0", "tls1.1": "tls1_1", "tls1.2": "tls1_2",
             "tls1.3": "tls1_3"}
    versions = {names[t + v]: e == "1"
                for t, v, e in re.findall(r'<protocol type="(\w+)" version="([\d.]+)" enabled="(\d)"', out)}
    suites = {}
    for version, code in re.findall(r'<cipher status="\w+" sslversion="TLSv(1\.\d)"[^>]* id="(0x[0-9A-Fa-f]+)"', out):
        suites.setdefault("tls" + version.replace(".", "_"), set()).add(int(code, 16))
    groups = {}
    for version, name in re.findall(r'<group sslversion="TLSv(1\.\d)"[^>]* name="([^" ]+)', out):
        groups.setdefault("tls" + version.replace(".", "_"), set()).add(name)
    return versions, suites, groups


def nmap_suites(port):
    """nmap ssl-enum-ciphers' suites per version (IANA names; its TLS 1.3 "TLS_AKE_WITH_" spelling undone)."""
    out = subprocess.run([NMAP, "-Pn", "-p", str(port), "--script", "ssl-enum-ciphers", "127.0.0.1"],
                         capture_output=True, text=True, timeout=RUN_TIMEOUT).stdout
    suites = {}
    version = None
    for line in out.splitlines():
        m = re.match(r"\|\s+TLSv(1\.\d):", line)
        if m:
            version = "tls" + m.group(1).replace(".", "_")
            continue
        m = re.match(r"\|\s+(TLS_\w+) \(", line)
        if m and version:
            suites.setdefault(version, set()).add(m.group(1).replace("TLS_AKE_WITH_", "TLS_"))
    return suites


class ScanCrossCheckTests(unittest.TestCase):
    """The scan reports every version, suite and group sslscan and nmap report on the same server."""

    def setUp(self):
        if not SSLSCAN or not NMAP:
            self.skipTest("sslscan or nmap is not installed (scripts/setup.sh installs both)")

    def check(self, port):
        _, r = run_scan(port, "--expect", "exit_code=0", what="versions,suites,groups")
        s = r["scan"]
        versions, suites, groups = sslscan_findings(port)
        self.assertEqual({k: v == "accepted" for k, v in s["versions"].items() if k != "sslv2_hello"}, versions)
        for version, codes in suites.items():
            self.assertEqual(len(s["suites"][version]), len(codes), version)
        for version, names in nmap_suites(port).items():
            self.assertEqual(set(s["suites"][version]), names, version)
        for version, names in groups.items():
            self.assertEqual(set(s["groups"][version]), names, version)
        return s

    def test_openssl_default_server_agrees_with_sslscan_and_nmap(self):
        self.check(start_s_server(self))

    def test_nginx_server_agrees_with_sslscan_and_nmap(self):
        if not NGINX:
            self.skipTest("nginx is not installed")
        self.check(start_nginx(self, ["ssl_protocols TLSv1.2 TLSv1.3", "ssl_prefer_server_ciphers on",
                                      "ssl_ciphers ECDHE+AESGCM:DHE+AESGCM:ECDHE+CHACHA20",
                                      "ssl_ecdh_curve X25519:secp384r1:prime256v1"]))


class ScanExitAndPolicyTests(unittest.TestCase):
    def write(self, text):
        fd, path = tempfile.mkstemp(prefix="ussl-policy-")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        self.addCleanup(os.unlink, path)
        return path

    def test_a_scan_that_cannot_connect_exits_as_a_connection_would(self):
        port = free_port()  # nothing listens: refused
        proc, r = run_scan(port)
        self.assertEqual(proc.returncode, 3, proc.stderr)
        self.assertEqual(r["error"]["kind"], "connection_refused")
        self.assertIsNone(r["scan"])

    def test_policy_failure_exits_8_naming_the_line(self):
        port = start_s_server(self, "-tls1_2")
        path = self.write("# TLS 1.2 only\nscan.versions.tls1_2=accepted\n\nscan.versions.tls1_3=accepted\n")
        proc, r = run_scan(port, "--policy", path, what="versions")
        self.assertEqual(proc.returncode, 8, proc.stderr)
        self.assertEqual([(p["line"], p["ok"]) for p in r["policy"]["results"]], [(2, True), (4, False)])
        self.assertIn(f"{path}:4: scan.versions.tls1_3: expected 'accepted', actual 'refused'", proc.stderr)

    def test_unknown_finding_fails_the_policy_line_that_names_it(self):
        responder = LegacyResponder(self, silent=True)
        path = self.write("scan.versions.tls1_0=refused\n")
        proc, r = run_scan(responder.port, "--policy", path, what="versions", connect_timeout=300)
        self.assertEqual(proc.returncode, 8, proc.stderr)
        self.assertTrue(r["policy"]["results"][0]["unknown"])
        self.assertIn("unknown: timeout", proc.stderr)

    def test_expect_works_on_scan_fields_and_the_intermediate_policy_holds_for_a_default_server(self):
        port = start_s_server(self)
        proc, r = run_scan(port, "--expect", "scan.versions.tls1_0=refused", "--policy", policy("intermediate"))
        self.assertEqual(proc.returncode, 0, proc.stderr + proc.stdout)
        self.assertTrue(all(p["ok"] for p in r["policy"]["results"]))
        self.assertEqual(r["expectations"][0]["actual"], "refused")

    def test_modern_policy_fails_on_tls12_and_names_the_line(self):
        port = start_s_server(self)
        proc, r = run_scan(port, "--policy", policy("modern"))
        self.assertEqual(proc.returncode, 8, proc.stderr)
        failed = [p for p in r["policy"]["results"] if not p["ok"]]
        self.assertEqual([p["field"] for p in failed], ["scan.versions.tls1_2"])
        self.assertIn("modern.policy:8: scan.versions.tls1_2: expected 'refused', actual 'accepted'", proc.stderr)

    def test_scan_delay_spaces_the_connections_and_concurrency_one_gives_the_same_findings(self):
        port = start_s_server(self)
        _, fast = run_scan(port, what="versions")
        _, slow = run_scan(port, "--scan-delay", "60", "--scan-concurrency", "1", what="versions")
        self.assertEqual(slow["scan"]["versions"], fast["scan"]["versions"])
        self.assertEqual(slow["scan"]["connections"], 8)  # the default handshake and one per version probe
        # Seven probe connections started 60 ms apart: at least 6 gaps after the default handshake's.
        self.assertGreaterEqual(slow["scan"]["ms"], 6 * 60)

    def test_bad_policy_line_is_a_usage_error(self):
        path = self.write("scan.versions.tls1_0\n")
        proc, _ = run_scan(1, "--policy", path, json_mode=False)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("line 1", proc.stderr)

    def test_unknown_scan_section_is_a_usage_error(self):
        proc, _ = run_scan(1, what="ciphers", json_mode=False)
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)

    def test_human_report_has_one_table_per_section(self):
        port = start_s_server(self, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
        proc, _ = run_scan(port, json_mode=False)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        labels = [line.split()[0] for line in proc.stdout.splitlines() if line and not line.startswith(" ")]
        self.assertEqual(labels, ["scan", "versions", "suites", "groups", "sigalgs", "resumption", "features", "hello",
                                  "default", "verify", "result"])
        self.assertIn("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", proc.stdout)


def main():
    global CLIENT, SERVER, CERTS
    parser = argparse.ArgumentParser()
    parser.add_argument("--client", default=CLIENT)
    parser.add_argument("--server", default=SERVER)
    parser.add_argument("--certs", default=CERTS)
    args, rest = parser.parse_known_args()
    CLIENT, SERVER, CERTS = args.client, args.server, os.path.abspath(args.certs)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
