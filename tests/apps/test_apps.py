#!/usr/bin/env python3
"""ussl-client and ussl-server on loopback: every flag, every exit code, the JSON contract.

Run: test_apps.py --client PATH --server PATH --certs DIR [unittest arguments, e.g. a class name]
(or set USSL_CLIENT, USSL_SERVER, USSL_CERTS). Loopback only; servers bind port 0 and the
test reads the port from the listening line; every subprocess has a timeout and is killed
in cleanup; every loop is bounded.
"""

import argparse
import base64
import calendar
import json
import os
import queue
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import schema_check  # noqa: E402

CLIENT = os.environ.get("USSL_CLIENT", "")
SERVER = os.environ.get("USSL_SERVER", "")
CERTS = os.environ.get("USSL_CERTS", "")

RUN_TIMEOUT = 20  # seconds for any one client run
START_TIMEOUT = 10  # seconds for a server to announce its port

# Keys of the client's JSON object and of the server's handshake events (schema 1).
CONNECTION_KEYS = [
    "ok", "error", "tls", "sni", "verify", "peer_certificate", "peer_chain", "handshake", "bytes", "timing_ms",
    "alpn", "resumed", "chain_min_days_left"
]
CLIENT_KEYS = ["schema"] + CONNECTION_KEYS + [
    "exit_code", "target", "peer_closed", "connections", "session", "drain", "proxy", "starttls", "expectations"
]
CONNECTION_SUMMARY_KEYS = [
    "ok", "error", "exit_code", "tls", "alpn", "resumed", "ticket_received", "bytes", "timing_ms", "peer_closed",
    "hello_retry_request"
]
ERROR_KEYS = ["kind", "message", "wolfssl_code", "alert", "alert_code"]
VERIFY_KEYS = ["mode", "enforced", "verified", "result", "reason", "failure", "depth", "hostname", "hostname_ok",
               "cn_fallback", "problems", "path", "wolfssl_error"]
CERT_KEYS = ["subject", "issuer", "san", "not_before", "not_after", "sha256", "serial", "key", "signature_algorithm",
             "chain_length", "days_left", "lifetime_days"]
CHAIN_KEYS = ["subject", "issuer", "san", "not_before", "not_after", "sha256", "serial", "key", "signature_algorithm",
              "pem", "days_left", "lifetime_days"]
HANDSHAKE_KEYS = ["done", "deferred", "nonblocking", "trigger", "steps", "hello_retry_request", "key_shares_offered",
                  "client_hello_bytes"]
TLS_KEYS = ["version", "cipher", "group", "signature_scheme", "own_signature_scheme", "legacy"]
ERROR_KINDS = {
    "resolve_failed", "connection_refused", "connect_timeout", "connection_reset", "truncated_eof", "timeout",
    "alert_received", "protocol_error", "cert_untrusted", "cert_expired", "cert_not_yet_valid",
    "hostname_mismatch", "peer_cert_missing", "bad_file", "usage", "closed", "internal", "connect_failed",
    "cert_purpose", "cert_invalid", "cert_weak", "cert_revoked", "chain_too_long", "proxy_failed", "starttls_failed",
    "starttls_injection"
}


def cert(name):
    return os.path.join(CERTS, name)


SERVER_CERT = ["--certfile", cert("server-chain.pem"), "--keyfile", cert("server.key")]
CLIENT_CERT = ["--certfile", cert("client-chain.pem"), "--keyfile", cert("client.key")]
TRUST = ["--ca-certs", cert("root-ca.pem")]


class Result:
    def __init__(self, proc, json_mode):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.report = None
        if json_mode:
            lines = [line for line in proc.stdout.splitlines() if line.strip()]
            if len(lines) != 1:
                raise AssertionError(f"expected exactly one JSON line on stdout, got {len(lines)}:\n{proc.stdout}"
                                     f"\nstderr:\n{proc.stderr}")
            self.report = json.loads(lines[0])

    def __repr__(self):
        return f"rc={self.rc}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"


class ServerProcess:
    """ussl-server on 127.0.0.1 port 0; collects stdout lines in a thread."""

    def __init__(self, test, *args, certs=True, json_mode=True, bind=None):
        cmd = [SERVER, "--port", "0"] + (SERVER_CERT if certs else []) + list(args)
        if bind:
            cmd += ["--bind", bind]
        if json_mode:
            cmd.append("--json")
        self.json_mode = json_mode
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        test.addCleanup(self.kill)
        self.lines = []
        self.stderr = []
        self._queue = queue.Queue()
        self._lock = threading.Lock()
        self._readers = [threading.Thread(target=self._read_stdout, daemon=True),
                         threading.Thread(target=self._read_stderr, daemon=True)]
        for reader in self._readers:
            reader.start()
        first = self.next_line(START_TIMEOUT)
        if first is None:
            self.kill()
            raise AssertionError("server printed no listening line; stderr:\n" + "".join(self.stderr))
        if json_mode:
            event = json.loads(first)
            assert event["event"] == "listening", first
            self.port = event["port"]
            self.address = event["address"]
        else:
            self.port = int(first.rstrip().rsplit(":", 1)[1])
        self.listening_line = first

    def _read_stdout(self):
        for line in self.proc.stdout:
            with self._lock:
                self.lines.append(line)
            self._queue.put(line)
        self._queue.put(None)

    def _read_stderr(self):
        for line in self.proc.stderr:
            self.stderr.append(line)

    def next_line(self, timeout):
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def events(self):
        with self._lock:
            return [json.loads(line) for line in self.lines if line.strip()]

    def wait_for(self, predicate, timeout=10):
        """Waits until some event satisfies predicate; returns it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events():
                if predicate(event):
                    return event
            time.sleep(0.02)
        raise AssertionError(f"no matching event within {timeout}s; events: {self.events()}")

    def wait(self, timeout=15):
        rc = self.proc.wait(timeout=timeout)
        self._readers[0].join(timeout=5)  # stdout reaches EOF: every line is in
        return rc

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait(timeout)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for reader in self._readers:
            reader.join(timeout=5)
        self.proc.stdout.close()
        self.proc.stderr.close()

    def text(self):
        with self._lock:
            return "".join(self.lines)


class Helper(threading.Thread):
    """A Python loopback server for one odd peer behaviour; accepts up to `count` connections."""

    def __init__(self, test, handler, count=1, backlog=8):
        super().__init__(daemon=True)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(backlog)
        self.listener.settimeout(10)
        self.port = self.listener.getsockname()[1]
        self.handler = handler
        self.count = count
        self.conns = []
        self.stop_event = threading.Event()
        test.addCleanup(self.close)
        self.start()

    def run(self):
        for _ in range(self.count):
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.conns.append(conn)
            conn.settimeout(10)
            try:
                self.handler(conn, self)
            except OSError:
                pass

    def close(self):
        self.stop_event.set()
        for s in self.conns + [self.listener]:
            try:
                s.close()
            except OSError:
                pass
        self.join(timeout=5)


class DelayProxy(Helper):
    """Relays one connection to 127.0.0.1:target, holding the server's first bytes back for `delay` seconds,
    so that a non-blocking client's first read during the handshake surely finds nothing."""

    def __init__(self, test, target, delay=0.1):
        self.target = target
        self.delay = delay
        super().__init__(test, self.relay)

    def relay(self, client, helper):
        upstream = socket.create_connection(("127.0.0.1", self.target), timeout=10)
        self.conns.append(upstream)

        def pump(src, dst, delay):
            first = True
            while not helper.stop_event.is_set():
                try:
                    data = src.recv(65536)
                except OSError:
                    break
                if first and delay:
                    time.sleep(delay)
                first = False
                if not data:
                    try:
                        dst.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    break
                try:
                    dst.sendall(data)
                except OSError:
                    break
        back = threading.Thread(target=pump, args=(upstream, client, self.delay), daemon=True)
        back.start()
        pump(client, upstream, 0)
        back.join(timeout=10)


_FEATURES = {}


def wolfssl_features():
    """The wolfSSL features the programs were built with (--version --json)."""
    if not _FEATURES:
        out = subprocess.run([CLIENT, "--version", "--json"], capture_output=True, text=True, timeout=RUN_TIMEOUT)
        _FEATURES.update(json.loads(out.stdout)["wolfssl"]["features"])
    return _FEATURES


class AppTestCase(unittest.TestCase):
    maxDiff = None

    def client(self, *args, json_mode=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL, input_data=None,
               env=None):
        cmd = [CLIENT] + [str(a) for a in args] + (["--json"] if json_mode else [])
        kwargs = {"input": input_data} if input_data is not None else {"stdin": stdin}
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, **kwargs)
        return Result(proc, json_mode)

    def server(self, *args, **kwargs):
        return ServerProcess(self, *args, **kwargs)

    def assert_exit(self, result, code, kind=None):
        self.assertEqual(result.rc, code, repr(result))
        if result.report is not None:
            self.assertEqual(result.report["exit_code"], code)
            self.assertEqual(result.report["ok"], code == 0)
            if kind is not None:
                self.assertIsNotNone(result.report["error"], repr(result))
                self.assertEqual(result.report["error"]["kind"], kind, repr(result))

    def assert_contract(self, report):
        """Every key of the schema-1 contract is present (absent things are null)."""
        self.assertEqual(list(report.keys()), CLIENT_KEYS)
        self.assertEqual(report["schema"], 1)
        self.assert_connection_fields(report)
        self.assertEqual(list(report["target"].keys()),
                         ["host", "port", "address", "server_hostname", "ca_certs", "ca_source", "connect_to"])
        self.assertEqual(list(report["session"].keys()), ["in", "out", "saved", "offered"])
        for entry in report["connections"]:
            self.assertEqual(list(entry.keys()), CONNECTION_SUMMARY_KEYS)
        for entry in report["expectations"]:
            self.assertEqual(list(entry.keys()), ["field", "expected", "actual", "ok", "op"])

    def assert_connection_fields(self, report):
        for key in CONNECTION_KEYS:
            self.assertIn(key, report)
        if report["error"] is not None:
            self.assertEqual(list(report["error"].keys()), ERROR_KEYS)
            self.assertIn(report["error"]["kind"], ERROR_KINDS)
        self.assertEqual(list(report["tls"].keys()), TLS_KEYS)
        self.assertIn(report["tls"]["version"], (None, "TLSv1.2", "TLSv1.3"))
        self.assertEqual(list(report["verify"].keys()), VERIFY_KEYS)
        self.assertIn(report["verify"]["result"], (None, "ok", "failed"))
        if report["peer_certificate"] is not None:
            self.assertEqual(list(report["peer_certificate"].keys()), CERT_KEYS)
            self.assertEqual(report["peer_certificate"]["chain_length"], len(report["peer_chain"]))
        for entry in report["peer_chain"]:
            self.assertEqual(list(entry.keys()), CHAIN_KEYS)
        self.assertEqual(list(report["handshake"].keys()), HANDSHAKE_KEYS)
        self.assertEqual(list(report["handshake"]["steps"].keys()), ["read", "write"])
        self.assertEqual(list(report["bytes"].keys()), ["sent", "received"])
        self.assertEqual(list(report["timing_ms"].keys()), ["connect", "handshake", "total"])
        self.assertIsInstance(report["resumed"], bool)
        self.assertTrue(report["alpn"] is None or isinstance(report["alpn"], str))


# ---------------------------------------------------------------------------


class ClientAgainstServerTests(AppTestCase):
    def test_client_verifies_the_server_under_cert_reqs_required_and_reports_every_field(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port, "--cert-reqs", "required", *TRUST)
        self.assert_exit(r, 0)
        j = r.report
        self.assert_contract(j)
        self.assertIsNone(j["error"])
        self.assertEqual(j["tls"]["version"], "TLSv1.3")
        self.assertTrue(j["tls"]["cipher"].startswith("TLS_"), j["tls"]["cipher"])
        self.assertEqual(j["sni"], "localhost")
        self.assertEqual(j["verify"], {
            "mode": "required", "enforced": True, "verified": True, "result": "ok", "reason": None,
            "failure": None, "depth": None, "hostname": "localhost", "hostname_ok": True, "cn_fallback": False,
            "problems": [], "path": ["CN=localhost", "CN=ussl Test Intermediate CA", "CN=ussl Test Root CA"],
            "wolfssl_error": None
        })
        pc = j["peer_certificate"]
        self.assertEqual(pc["key"], {"type": "EC", "bits": 256, "curve": "P-256"})
        self.assertEqual(pc["signature_algorithm"], "ecdsa-with-SHA256")
        self.assertEqual(pc["subject"], "CN=localhost")
        self.assertEqual(pc["issuer"], "CN=ussl Test Intermediate CA")
        self.assertIn("DNS:localhost", pc["san"])
        self.assertIn("IP:127.0.0.1", pc["san"])
        self.assertRegex(pc["sha256"], r"^[0-9a-f]{64}$")
        self.assertRegex(pc["not_before"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertRegex(pc["not_after"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(pc["chain_length"], 2)
        self.assertEqual(j["peer_chain"][1]["subject"], "CN=ussl Test Intermediate CA")
        self.assertIsNone(j["peer_chain"][0]["pem"])
        mlkem = wolfssl_features()["mlkem"]
        self.assertGreater(j["handshake"]["client_hello_bytes"][0], 150)
        self.assertEqual(j["handshake"], {  # blocking: no would-block steps
            "done": True, "deferred": False, "nonblocking": False, "trigger": "wrap", "steps": {"read": 0, "write": 0},
            "hello_retry_request": False, "key_shares_offered": ["X25519MLKEM768", "x25519"] if mlkem else ["x25519"],
            "client_hello_bytes": j["handshake"]["client_hello_bytes"][:1]
        })
        self.assertEqual(j["tls"]["group"], "X25519MLKEM768" if mlkem else "x25519")
        self.assertEqual(j["tls"]["signature_scheme"],
                         "ecdsa_secp256r1_sha256" if wolfssl_features()["signature_schemes"] else None)
        self.assertIsNone(j["tls"]["own_signature_scheme"])  # no client certificate
        self.assertEqual(j["bytes"], {"sent": 0, "received": 0})
        for key in ("connect", "handshake", "total"):
            self.assertIsInstance(j["timing_ms"][key], (int, float))
        self.assertGreaterEqual(j["timing_ms"]["total"], j["timing_ms"]["handshake"])
        self.assertEqual(j["target"], {
            "host": "localhost", "port": srv.port, "address": "127.0.0.1", "server_hostname": "localhost",
            "ca_certs": cert("root-ca.pem"), "ca_source": "flag", "connect_to": None
        })
        self.assertIsNone(j["proxy"])
        self.assertIsNone(j["starttls"])

    def test_client_under_cert_reqs_none_says_not_verified_and_still_shows_what_verification_found(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port)
        self.assert_exit(r, 0)
        v = r.report["verify"]
        self.assertEqual((v["mode"], v["enforced"], v["verified"]), ("none", False, False))
        self.assertEqual(v["result"], "failed")  # no trust anchors given
        self.assertEqual(v["failure"], "cert_untrusted")
        self.assertTrue(v["reason"])
        self.assertEqual(r.report["target"]["ca_source"], "none")

        r = self.client("--host", "localhost", "--port", srv.port, *TRUST)
        self.assert_exit(r, 0)
        self.assertEqual(r.report["verify"]["result"], "ok")
        self.assertFalse(r.report["verify"]["verified"])

        r = self.client("--host", "localhost", "--port", srv.port, json_mode=False)
        self.assert_exit(r, 0)
        self.assertIn("NOT VERIFIED (cert-reqs none)", r.stdout)
        self.assertIn("NOT verified", r.stderr)

    def test_human_report_shows_version_certificate_verify_and_result_lines(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port, "--cert-reqs", "required", *TRUST,
                        json_mode=False)
        self.assert_exit(r, 0)
        self.assertRegex(r.stdout, r"(?m)^tls +TLSv1\.3, TLS_")
        self.assertRegex(r.stdout, r"(?m)^certificate +subject CN=localhost$")
        self.assertRegex(r.stdout, r"(?m)^verify +VERIFIED \(cert-reqs required\)")
        self.assertRegex(r.stdout, r"(?m)^result +ok$")
        self.assertEqual(r.stderr, "")

    def test_client_echo_prints_received_bytes_on_stdout_in_human_mode(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port, "--send", "hello ussl\n", "--read-bytes", "11",
                        json_mode=False)
        self.assert_exit(r, 0)
        self.assertIn("hello ussl\n", r.stdout)
        self.assertRegex(r.stdout, r"(?m)^bytes +sent 11, received 11$")

    def test_send_file_and_stdin_send_their_contents(self):
        srv = self.server()
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("from a file")
        self.addCleanup(os.unlink, f.name)
        r = self.client("--host", "localhost", "--port", srv.port, "--send-file", f.name, "--read-bytes", "11",
                        json_mode=False)
        self.assert_exit(r, 0)
        self.assertIn("from a file", r.stdout)
        r = self.client("--host", "localhost", "--port", srv.port, "--stdin", "--read-bytes", "10",
                        input_data="from stdin", json_mode=False)
        self.assert_exit(r, 0)
        self.assertIn("from stdin", r.stdout)

    def test_stdin_is_never_read_unless_asked(self):
        srv = self.server()
        # stdin is a pipe that never reaches EOF: a client that read it would hang.
        proc = subprocess.Popen([CLIENT, "--host", "localhost", "--port", str(srv.port), "--json"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        self.addCleanup(proc.stdin.close)
        try:
            rc = proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
        out, _ = proc.communicate(timeout=5)
        self.assertEqual(rc, 0)
        self.assertTrue(json.loads(out)["ok"])

    def test_read_bytes_stops_after_n_bytes_from_a_source_server(self):
        srv = self.server("--mode", "source", "--source-bytes", "100000")
        r = self.client("--host", "localhost", "--port", srv.port, "--read-bytes", "1000")
        self.assert_exit(r, 0)
        self.assertEqual(r.report["bytes"]["received"], 1000)

    def test_client_reads_a_source_server_to_its_close_notify(self):
        srv = self.server("--mode", "source", "--source-bytes", "70000")
        r = self.client("--host", "localhost", "--port", srv.port, "--read-timeout", "5000")
        self.assert_exit(r, 0)
        self.assertEqual(r.report["bytes"]["received"], 70000)
        self.assertTrue(r.report["peer_closed"])
        r = self.client("--host", "localhost", "--port", srv.port, "--read-timeout", "5000", json_mode=False)
        self.assert_exit(r, 0)
        self.assertIn("abcdefghijklmnopqrstuvwxyz0123456789\n" * 3, r.stdout)

    def test_read_timeout_stops_reading_when_the_server_goes_idle(self):
        srv = self.server()
        start = time.monotonic()
        r = self.client("--host", "localhost", "--port", srv.port, "--send", "x", "--read-timeout", "300")
        elapsed = time.monotonic() - start
        self.assert_exit(r, 0)
        self.assertEqual(r.report["bytes"]["received"], 1)
        self.assertLess(elapsed, 5)
        self.assertGreaterEqual(r.report["timing_ms"]["total"], 300)

    def test_server_hostname_flag_sets_the_sni_sent_and_the_name_verified(self):
        srv = self.server()
        r = self.client("--host", "127.0.0.1", "--port", srv.port, "--server-hostname", "server.ussl.test",
                        "--cert-reqs", "required", *TRUST)
        self.assert_exit(r, 0)
        self.assertEqual(r.report["sni"], "server.ussl.test")
        self.assertEqual(r.report["verify"]["hostname"], "server.ussl.test")
        self.assertTrue(r.report["verify"]["verified"])
        event = srv.wait_for(lambda e: e["event"] == "handshake")
        self.assertEqual(event["sni"], "server.ussl.test")

    def test_ip_literal_host_sends_no_sni_and_is_checked_against_the_ip_sans(self):
        srv = self.server()
        r = self.client("--host", "127.0.0.1", "--port", srv.port, "--cert-reqs", "required", *TRUST)
        self.assert_exit(r, 0)
        self.assertIsNone(r.report["sni"])
        self.assertEqual(r.report["verify"]["hostname"], "127.0.0.1")
        self.assertTrue(r.report["verify"]["hostname_ok"])
        self.assertEqual(r.report["target"]["server_hostname"], "127.0.0.1")
        event = srv.wait_for(lambda e: e["event"] == "handshake")
        self.assertIsNone(event["sni"])

    def test_no_server_hostname_sends_no_sni_for_a_dns_host(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port, "--no-server-hostname", "--cert-reqs", "required",
                        *TRUST)
        self.assert_exit(r, 0)
        self.assertIsNone(r.report["sni"])
        self.assertIsNone(r.report["verify"]["hostname"])

    def test_client_and_server_talk_over_ipv6_loopback(self):
        srv = self.server(bind="::1")
        self.assertEqual(srv.address, "::1")
        r = self.client("--host", "::1", "--port", srv.port, "--server-hostname", "localhost", "--cert-reqs",
                        "required", *TRUST)
        self.assert_exit(r, 0)
        self.assertEqual(r.report["target"]["address"], "::1")
        r = self.client("--host", "[::1]", "--port", srv.port, "--server-hostname", "::1", "--cert-reqs", "required",
                        *TRUST)
        self.assert_exit(r, 0)
        self.assertTrue(r.report["verify"]["hostname_ok"])

    def test_show_certs_prints_the_chain_as_pem(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port, "--show-certs", json_mode=False)
        self.assert_exit(r, 0)
        self.assertEqual(r.stdout.count("-----BEGIN CERTIFICATE-----"), 2)
        r = self.client("--host", "localhost", "--port", srv.port, "--show-certs")
        self.assertTrue(r.report["peer_chain"][0]["pem"].startswith("-----BEGIN CERTIFICATE-----"))
        self.assertEqual(len(r.report["peer_chain"]), 2)

    def test_default_trust_store_is_ssl_cert_file_when_no_ca_certs_given(self):
        srv = self.server()
        env = dict(os.environ, SSL_CERT_FILE=cert("root-ca.pem"))
        r = self.client("--host", "localhost", "--port", srv.port, "--cert-reqs", "required", env=env)
        self.assert_exit(r, 0)
        self.assertEqual(r.report["target"]["ca_source"], "SSL_CERT_FILE")
        self.assertTrue(r.report["verify"]["verified"])
        # The system store does not know the test root: verification fails, exit 5.
        env = {k: v for k, v in os.environ.items() if k != "SSL_CERT_FILE"}
        r = self.client("--host", "localhost", "--port", srv.port, "--cert-reqs", "required", env=env)
        self.assertEqual(r.report["target"]["ca_source"], "system")
        self.assert_exit(r, 5, "cert_untrusted")

    def test_ca_certs_accepts_a_der_file_and_a_directory(self):
        srv = self.server()
        for ca in ("root-ca.der", "ca-dir", "ca-bundle.pem"):
            r = self.client("--host", "localhost", "--port", srv.port, "--cert-reqs", "required", "--ca-certs",
                            cert(ca))
            self.assert_exit(r, 0)
            self.assertTrue(r.report["verify"]["verified"], ca)

    def test_max_version_tls12_negotiates_tls12(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port, "--max-version", "TLSv1.2")
        self.assert_exit(r, 0)
        self.assertEqual(r.report["tls"]["version"], "TLSv1.2")
        srv2 = self.server("--min-version", "TLSv1.3")
        r = self.client("--host", "localhost", "--port", srv2.port, "--max-version", "TLSv1.2")
        self.assert_exit(r, 4)

    def test_ciphers_limits_the_suite_negotiated(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port, "--ciphers", "TLS13-AES256-GCM-SHA384")
        self.assert_exit(r, 0)
        self.assertEqual(r.report["tls"]["cipher"], "TLS_AES_256_GCM_SHA384")

    def test_version_and_help_exit_0(self):
        for prog in (CLIENT, SERVER):
            p = subprocess.run([prog, "--version"], capture_output=True, text=True, timeout=10)
            self.assertEqual(p.returncode, 0)
            self.assertRegex(p.stdout, r"^ussl-(client|server) \d+\.\d+\.\d+ \(wolfSSL ")
            p = subprocess.run([prog, "--help"], capture_output=True, text=True, timeout=10)
            self.assertEqual(p.returncode, 0)
            self.assertIn("--cert-reqs", p.stdout)
            self.assertIn("Exit codes:", p.stdout)

    def test_verbose_logs_on_stderr_and_quiet_silences_warnings(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port, "-vv")
        self.assert_exit(r, 0)
        self.assertIn("debug", r.stderr)
        self.assertIn("handshake done", r.stderr)
        r = self.client("--host", "localhost", "--port", srv.port, "-q")
        self.assert_exit(r, 0)
        self.assertEqual(r.stderr, "")

    def test_client_certificate_is_presented_and_seen_by_the_server(self):
        srv = self.server("--cert-reqs", "required", *TRUST)
        r = self.client("--host", "localhost", "--port", srv.port, *CLIENT_CERT)
        self.assert_exit(r, 0)
        event = srv.wait_for(lambda e: e["event"] == "handshake")
        self.assertTrue(event["ok"])
        self.assertEqual(event["peer_certificate"]["subject"], "CN=ussl test client")
        self.assertTrue(event["verify"]["verified"])


class HandshakeModeTests(AppTestCase):
    def test_deferred_handshake_is_triggered_by_the_first_write(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port, "--defer-handshake", "--send", "abc",
                        "--read-bytes", "3")
        self.assert_exit(r, 0)
        self.assertEqual(r.report["handshake"]["deferred"], True)
        self.assertEqual(r.report["handshake"]["trigger"], "write")
        self.assertEqual(r.report["bytes"], {"sent": 3, "received": 3})

    def test_deferred_handshake_is_triggered_by_a_read_when_nothing_is_sent(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port, "--defer-handshake")
        self.assert_exit(r, 0)
        self.assertEqual(r.report["handshake"]["trigger"], "read")
        self.assertTrue(r.report["handshake"]["done"])

    def test_nonblocking_client_counts_would_block_steps(self):
        srv = self.server()
        proxy = DelayProxy(self, srv.port)
        r = self.client("--host", "localhost", "--port", proxy.port, "--nonblocking", "--send", "nb",
                        "--read-bytes", "2")
        self.assert_exit(r, 0)
        hs = r.report["handshake"]
        self.assertTrue(hs["nonblocking"])
        self.assertEqual(hs["trigger"], "wrap")
        self.assertGreaterEqual(hs["steps"]["read"], 1)
        self.assertEqual(r.report["bytes"]["received"], 2)

    def test_nonblocking_deferred_client_runs_the_handshake_in_its_first_write(self):
        srv = self.server()
        proxy = DelayProxy(self, srv.port)
        r = self.client("--host", "localhost", "--port", proxy.port, "--nonblocking", "--defer-handshake", "--send",
                        "x", "--read-bytes", "1", "--cert-reqs", "required", *TRUST)
        self.assert_exit(r, 0)
        hs = r.report["handshake"]
        self.assertEqual((hs["deferred"], hs["nonblocking"], hs["trigger"]), (True, True, "write"))
        self.assertGreaterEqual(hs["steps"]["read"], 1)

    def test_server_eager_handshake_is_reported_with_trigger_do_handshake(self):
        srv = self.server()
        self.assert_exit(self.client("--host", "localhost", "--port", srv.port), 0)
        event = srv.wait_for(lambda e: e["event"] == "handshake")
        self.assert_connection_fields(event)
        self.assertEqual(event["schema"], 1)
        self.assertEqual(event["handshake"]["trigger"], "do_handshake")
        self.assertFalse(event["handshake"]["deferred"])
        self.assertTrue(event["handshake"]["nonblocking"])

    def test_server_deferred_handshake_is_triggered_by_its_read_or_in_source_mode_its_write(self):
        srv = self.server("--defer-handshake")
        self.assert_exit(self.client("--host", "localhost", "--port", srv.port, "--send", "q", "--read-bytes", "1"),
                         0)
        event = srv.wait_for(lambda e: e["event"] == "handshake")
        self.assertEqual((event["handshake"]["deferred"], event["handshake"]["trigger"]), (True, "read"))
        src = self.server("--defer-handshake", "--mode", "source", "--source-bytes", "10", "--nonblocking")
        r = self.client("--host", "localhost", "--port", src.port, "--read-bytes", "10")
        self.assert_exit(r, 0)
        event = src.wait_for(lambda e: e["event"] == "handshake")
        self.assertEqual(event["handshake"]["trigger"], "write")


class CertReqsTests(AppTestCase):
    """Each cert_reqs mode on each side, with good, bad and missing certificates."""

    def client_against(self, server_cert, key, *client_args):
        srv = ServerProcess(self, "--certfile", cert(server_cert), "--keyfile", cert(key), certs=False)
        return self.client("--host", "localhost", "--port", srv.port, *client_args)

    def test_client_reports_hostname_mismatch_with_exit_5(self):
        r = self.client_against("wronghost-chain.pem", "wronghost.key", "--cert-reqs", "required", *TRUST)
        self.assert_exit(r, 5, "hostname_mismatch")
        self.assertEqual(r.report["verify"]["failure"], "hostname_mismatch")
        self.assertFalse(r.report["verify"]["hostname_ok"])
        self.assertEqual(r.report["peer_certificate"]["subject"], "CN=wrong.example")
        self.assertIn("wrong.example", r.report["error"]["message"])
        self.assertFalse(r.report["handshake"]["done"])

    def test_client_reports_expired_certificate_with_exit_5(self):
        r = self.client_against("expired-chain.pem", "expired.key", "--cert-reqs", "required", *TRUST)
        self.assert_exit(r, 5, "cert_expired")

    def test_client_reports_not_yet_valid_certificate_with_exit_5(self):
        r = self.client_against("notyetvalid-chain.pem", "notyetvalid.key", "--cert-reqs", "required", *TRUST)
        self.assert_exit(r, 5, "cert_not_yet_valid")

    def test_client_reports_untrusted_certificate_with_exit_5(self):
        r = self.client_against("untrusted-server.pem", "untrusted-server.key", "--cert-reqs", "required", *TRUST)
        self.assert_exit(r, 5, "cert_untrusted")
        r = self.client_against("selfsigned.pem", "selfsigned.key", "--cert-reqs", "optional", *TRUST)
        self.assert_exit(r, 5, "cert_untrusted")

    def test_client_under_cert_reqs_none_connects_to_a_bad_certificate_and_reports_the_failure(self):
        r = self.client_against("expired-chain.pem", "expired.key", *TRUST)
        self.assert_exit(r, 0)
        self.assertEqual(r.report["verify"]["result"], "failed")
        self.assertEqual(r.report["verify"]["failure"], "cert_expired")
        self.assertFalse(r.report["verify"]["verified"])

    def test_client_cert_reqs_optional_verifies_like_required(self):
        r = self.client_against("server-chain.pem", "server.key", "--cert-reqs", "optional", *TRUST)
        self.assert_exit(r, 0)
        self.assertTrue(r.report["verify"]["verified"])
        self.assertEqual(r.report["verify"]["mode"], "optional")

    def test_server_cert_reqs_none_does_not_request_a_client_certificate(self):
        srv = self.server()
        self.assert_exit(self.client("--host", "localhost", "--port", srv.port, *CLIENT_CERT), 0)
        event = srv.wait_for(lambda e: e["event"] == "handshake")
        self.assertIsNone(event["peer_certificate"])
        self.assertEqual(event["verify"]["mode"], "none")
        self.assertIsNone(event["verify"]["result"])

    def test_server_cert_reqs_optional_accepts_no_certificate_and_verifies_a_good_one(self):
        srv = self.server("--cert-reqs", "optional", *TRUST)
        self.assert_exit(self.client("--host", "localhost", "--port", srv.port), 0)
        self.assert_exit(self.client("--host", "localhost", "--port", srv.port, *CLIENT_CERT), 0)
        srv.wait_for(lambda e: e["event"] == "closed" and e["conn"] == 2)
        events = [e for e in srv.events() if e["event"] == "handshake"]
        self.assertEqual([e["ok"] for e in events], [True, True])
        self.assertIsNone(events[0]["peer_certificate"])
        self.assertFalse(events[0]["verify"]["verified"])
        self.assertEqual(events[1]["peer_certificate"]["subject"], "CN=ussl test client")
        self.assertTrue(events[1]["verify"]["verified"])

    def test_server_cert_reqs_optional_rejects_an_untrusted_client_certificate(self):
        srv = self.server("--cert-reqs", "optional", *TRUST, "--accept", "1")
        r = self.client("--host", "localhost", "--port", srv.port, "--certfile", cert("untrusted-client.pem"),
                        "--keyfile", cert("untrusted-client.key"))
        self.assert_exit(r, 4, "alert_received")
        self.assertEqual(srv.wait(), 5)
        event = srv.wait_for(lambda e: e["event"] == "handshake")
        self.assertEqual(event["error"]["kind"], "cert_untrusted")
        self.assertEqual(event["exit_code"], 5)

    def test_server_cert_reqs_required_rejects_a_missing_certificate_and_the_client_sees_it_after_finished(self):
        # TLS 1.3: the server's alert arrives after the client's Finished; the drain window catches it.
        srv = self.server("--cert-reqs", "required", *TRUST, "--accept", "1")
        r = self.client("--host", "localhost", "--port", srv.port, "--cert-reqs", "required", *TRUST)
        self.assert_exit(r, 4, "alert_received")
        self.assertTrue(r.report["handshake"]["done"])
        self.assertEqual(r.report["error"]["alert"], "certificate_required")
        self.assertEqual(r.report["error"]["alert_code"], 116)
        self.assertEqual(srv.wait(), 5)
        event = srv.wait_for(lambda e: e["event"] == "handshake")
        self.assertFalse(event["ok"])
        self.assertEqual(event["error"]["kind"], "peer_cert_missing")

    def test_server_cert_reqs_required_rejects_a_missing_certificate_under_tls12(self):
        srv = self.server("--cert-reqs", "required", *TRUST, "--accept", "1")
        r = self.client("--host", "localhost", "--port", srv.port, "--max-version", "TLSv1.2")
        self.assert_exit(r, 4, "alert_received")
        self.assertFalse(r.report["handshake"]["done"])
        self.assertEqual(r.report["sni"], "localhost")
        self.assertEqual(srv.wait(), 5)

    def test_server_cert_reqs_required_rejects_an_expired_client_certificate(self):
        srv = self.server("--cert-reqs", "required", *TRUST, "--accept", "1")
        r = self.client("--host", "localhost", "--port", srv.port, "--certfile", cert("client-expired-chain.pem"),
                        "--keyfile", cert("client-expired.key"))
        self.assert_exit(r, 4)
        self.assertEqual(srv.wait(), 5)
        event = srv.wait_for(lambda e: e["event"] == "handshake")
        self.assertEqual(event["error"]["kind"], "cert_expired")
        self.assertEqual(event["peer_certificate"]["subject"], "CN=ussl test client expired")

    def test_server_cert_reqs_required_accepts_a_valid_client_certificate(self):
        srv = self.server("--cert-reqs", "required", *TRUST, "--accept", "1")
        r = self.client("--host", "localhost", "--port", srv.port, *CLIENT_CERT, "--cert-reqs", "required", *TRUST)
        self.assert_exit(r, 0)
        self.assertEqual(srv.wait(), 0)


class SniTests(AppTestCase):
    def test_server_selects_the_certificate_by_the_sni_the_client_sent(self):
        srv = self.server("--sni", f"wrong.example:{cert('wronghost-chain.pem')}:{cert('wronghost.key')}")
        r = self.client("--host", "localhost", "--port", srv.port, "--server-hostname", "wrong.example",
                        "--cert-reqs", "required", *TRUST)
        self.assert_exit(r, 0)
        self.assertEqual(r.report["peer_certificate"]["subject"], "CN=wrong.example")
        r = self.client("--host", "localhost", "--port", srv.port, "--cert-reqs", "required", *TRUST)
        self.assert_exit(r, 0)
        self.assertEqual(r.report["peer_certificate"]["subject"], "CN=localhost")
        # The server writes its event once its loop gets to it, which may be after the client exits.
        srv.wait_for(lambda e: e["event"] == "handshake" and e.get("sni") == "localhost")
        events = [e for e in srv.events() if e["event"] == "handshake"]
        self.assertEqual([e["sni"] for e in events], ["wrong.example", "localhost"])

    def test_server_with_only_sni_certificates_refuses_unknown_names(self):
        srv = self.server("--sni", f"wrong.example:{cert('wronghost-chain.pem')}:{cert('wronghost.key')}",
                          certs=False)
        r = self.client("--host", "localhost", "--port", srv.port, "--server-hostname", "wrong.example")
        self.assert_exit(r, 0)
        r = self.client("--host", "localhost", "--port", srv.port)
        self.assert_exit(r, 4, "alert_received")
        self.assertEqual(r.report["error"]["alert"], "unrecognized_name")

    def test_malformed_sni_flag_is_a_usage_error_with_exit_2(self):
        p = subprocess.run([SERVER, "--port", "0", "--sni", "only-a-name"], capture_output=True, text=True,
                           timeout=10)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("NAME:CERTFILE:KEYFILE", p.stderr)


class ExitCodeTests(AppTestCase):
    def test_missing_certificate_file_exits_2_naming_the_file(self):
        r = self.client("--host", "localhost", "--port", "1", "--certfile", cert("missing.pem"), "--keyfile",
                        cert("client.key"))
        self.assert_exit(r, 2, "bad_file")
        self.assertIn("missing.pem", r.report["error"]["message"])
        r = self.client("--host", "localhost", "--port", "1", "--certfile", cert("missing.pem"), "--keyfile",
                        cert("client.key"), json_mode=False)
        self.assertEqual(r.rc, 2)
        self.assertEqual(r.stdout, "")
        self.assertIn("missing.pem", r.stderr)

    def test_key_not_matching_the_certificate_exits_2(self):
        p = subprocess.run([SERVER, "--port", "0", "--certfile", cert("server-chain.pem"), "--keyfile",
                            cert("unmatched.key"), "--json"], capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 2)
        event = json.loads(p.stdout)
        self.assertEqual((event["event"], event["error"]["kind"], event["exit_code"]), ("error", "bad_file", 2))
        self.assertIn("unmatched.key", event["error"]["message"])

    def test_invalid_ca_file_and_bad_flags_exit_2(self):
        r = self.client("--host", "localhost", "--port", "1", "--cert-reqs", "required", "--ca-certs",
                        cert("garbage.pem"))
        self.assert_exit(r, 2, "bad_file")
        r = self.client("--host", "localhost", "--cert-reqs", "sometimes")
        self.assert_exit(r, 2, "usage")
        self.assert_contract(r.report)
        r = self.client("--host", "localhost", "--keyfile", cert("client.key"))
        self.assert_exit(r, 2, "usage")
        r = self.client("--send", "x", json_mode=False)
        self.assertEqual(r.rc, 2)
        self.assertIn("--host", r.stderr)
        p = subprocess.run([SERVER, "--port", "0", "--mode", "chat"], capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 2)
        p = subprocess.run([SERVER, "--port", "0"], capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 2)
        self.assertIn("certfile", p.stderr)

    def test_server_on_a_port_in_use_exits_2(self):
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        self.addCleanup(taken.close)
        p = subprocess.run([SERVER, *SERVER_CERT, "--port", str(taken.getsockname()[1]), "--json"],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 2)
        event = json.loads(p.stdout)
        self.assertEqual((event["event"], event["error"]["kind"]), ("error", "usage"))
        self.assertIn("Address already in use", event["error"]["message"])

    def test_connection_refused_on_a_closed_port_exits_3(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        r = self.client("--host", "127.0.0.1", "--port", port)
        self.assert_exit(r, 3, "connection_refused")
        self.assert_contract(r.report)
        self.assertIsNone(r.report["timing_ms"]["connect"])
        self.assertFalse(r.report["handshake"]["done"])

    def test_unresolvable_host_exits_3(self):
        r = self.client("--host", "no-such-host.invalid", "--port", "443")
        self.assert_exit(r, 3, "resolve_failed")

    def test_connect_timeout_exits_3(self):
        # A listener whose accept queue is full drops further SYNs: connect never completes.
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        self.addCleanup(listener.close)
        port = listener.getsockname()[1]
        fillers = []
        for _ in range(4):
            f = socket.socket()
            f.setblocking(False)
            f.connect_ex(("127.0.0.1", port))
            fillers.append(f)
            self.addCleanup(f.close)
        time.sleep(0.2)
        start = time.monotonic()
        r = self.client("--host", "127.0.0.1", "--port", port, "--connect-timeout", "300")
        self.assert_exit(r, 3, "connect_timeout")
        self.assertLess(time.monotonic() - start, 5)

    def test_talking_tls_to_a_non_tls_port_exits_4(self):
        def http_server(conn, _):
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            time.sleep(0.2)
        helper = Helper(self, http_server)
        r = self.client("--host", "127.0.0.1", "--port", helper.port)
        self.assert_exit(r, 4, "protocol_error")
        self.assertFalse(r.report["handshake"]["done"])

    def test_server_closing_without_close_notify_after_the_handshake_exits_6(self):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert("server-chain.pem"), cert("server.key"))

        def truncating_server(conn, _):
            tls = context.wrap_socket(conn, server_side=True)
            tls.sendall(b"partial data")
            time.sleep(0.1)
            # Python's SSLSocket.close() sends no close_notify: a truncated EOF.
            tls.close()
        helper = Helper(self, truncating_server)
        r = self.client("--host", "localhost", "--port", helper.port, "--read-timeout", "3000")
        self.assert_exit(r, 6, "truncated_eof")
        self.assertTrue(r.report["handshake"]["done"])
        self.assertEqual(r.report["bytes"]["received"], len("partial data"))

    def test_server_resetting_after_the_handshake_exits_6(self):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert("server-chain.pem"), cert("server.key"))

        def resetting_server(conn, _):
            tls = context.wrap_socket(conn, server_side=True)
            tls.recv(1)
            # SO_LINGER with a zero timeout: close() sends a TCP RST.
            tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            tls.close()
        helper = Helper(self, resetting_server)
        r = self.client("--host", "localhost", "--port", helper.port, "--send", "xy", "--read-timeout", "3000")
        self.assert_exit(r, 6, "connection_reset")

    def test_peer_resetting_during_the_handshake_exits_4(self):
        def resetting_server(conn, _):
            conn.recv(10)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            conn.close()
        helper = Helper(self, resetting_server)
        r = self.client("--host", "localhost", "--port", helper.port)
        self.assert_exit(r, 4, "connection_reset")

    def test_server_that_never_answers_after_connect_exits_7(self):
        def silent_server(conn, helper):
            helper.stop_event.wait(10)
        helper = Helper(self, silent_server)
        start = time.monotonic()
        r = self.client("--host", "127.0.0.1", "--port", helper.port, "--timeout", "500")
        self.assert_exit(r, 7, "timeout")
        self.assertLess(time.monotonic() - start, 5)
        self.assertIsNotNone(r.report["timing_ms"]["connect"])
        r = self.client("--host", "127.0.0.1", "--port", Helper(self, silent_server).port, "--timeout", "400",
                        "--nonblocking")
        self.assert_exit(r, 7, "timeout")
        r = self.client("--host", "127.0.0.1", "--port", Helper(self, silent_server).port, "--timeout", "400",
                        "--defer-handshake")
        self.assert_exit(r, 7, "timeout")

    def test_waiting_for_read_bytes_past_the_timeout_exits_7(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port, "--send", "ab", "--read-bytes", "10", "--timeout",
                        "500")
        self.assert_exit(r, 7, "timeout")
        self.assertEqual(r.report["bytes"]["received"], 2)

    def test_server_handshake_timeout_drops_a_silent_client_and_exits_7(self):
        srv = self.server("--handshake-timeout", "300", "--accept", "1")
        silent = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        self.addCleanup(silent.close)
        self.assertEqual(srv.wait(), 7)
        event = srv.wait_for(lambda e: e["event"] == "closed")
        self.assertEqual((event["ok"], event["error"]["kind"], event["exit_code"]), (False, "timeout", 7))

    def test_server_idle_timeout_closes_an_idle_connection_and_exits_7(self):
        srv = self.server("--idle-timeout", "300", "--accept", "1")
        r = self.client("--host", "localhost", "--port", srv.port, "--read-timeout", "3000")
        self.assert_exit(r, 0)  # the server closed cleanly with close_notify
        self.assertTrue(r.report["peer_closed"])
        self.assertEqual(srv.wait(), 7)


    def test_server_idle_timeout_applies_also_without_a_handshake_timeout(self):
        srv = self.server("--handshake-timeout", "0", "--idle-timeout", "300", "--accept", "1")
        r = self.client("--host", "localhost", "--port", srv.port, "--read-timeout", "3000")
        self.assert_exit(r, 0)
        self.assertTrue(r.report["peer_closed"])
        self.assertEqual(srv.wait(), 7)


class ServerLifecycleTests(AppTestCase):
    def test_human_listening_line_ends_with_the_port(self):
        srv = self.server(json_mode=False)
        self.assertRegex(srv.listening_line, r"^listening on 127\.0\.0\.1:\d+\n$")
        r = self.client("--host", "localhost", "--port", srv.port)
        self.assert_exit(r, 0)
        self.assertEqual(srv.stop(), 0)
        self.assertRegex(srv.text(), r"\[1\] handshake ok: TLSv1\.3")

    def test_server_json_events_are_listening_accepted_handshake_closed_stopped(self):
        srv = self.server("--accept", "1")
        self.assert_exit(self.client("--host", "localhost", "--port", srv.port, "--send", "12345", "--read-bytes",
                                     "5"), 0)
        self.assertEqual(srv.wait(), 0)
        events = srv.events()
        self.assertEqual([e["event"] for e in events], ["listening", "accepted", "handshake", "closed", "stopped"])
        self.assertTrue(all(e["schema"] == 1 for e in events))
        self.assertEqual(list(events[1].keys()), ["event", "schema", "conn", "peer"])
        self.assertEqual(events[1]["peer"]["address"], "127.0.0.1")
        closed = events[3]
        self.assertEqual(closed["bytes"], {"sent": 5, "received": 5})
        self.assertEqual((closed["ok"], closed["reason"], closed["exit_code"]), (True, "peer_closed", 0))
        self.assertEqual(events[4]["connections"], {"accepted": 1, "ok": 1, "failed": 0, "dropped": 0})

    def test_accept_1_exits_0_after_one_good_connection(self):
        srv = self.server("--accept", "1")
        self.assert_exit(self.client("--host", "localhost", "--port", srv.port), 0)
        self.assertEqual(srv.wait(), 0)

    def test_accept_n_exits_with_the_first_failures_code(self):
        srv = self.server("--accept", "3", "--cert-reqs", "required", *TRUST)
        self.assert_exit(self.client("--host", "localhost", "--port", srv.port, *CLIENT_CERT), 0)
        self.assert_exit(self.client("--host", "localhost", "--port", srv.port), 4)
        self.assert_exit(self.client("--host", "localhost", "--port", srv.port, *CLIENT_CERT), 0)
        self.assertEqual(srv.wait(), 5)
        stopped = srv.events()[-1]
        self.assertEqual(stopped["connections"], {"accepted": 3, "ok": 2, "failed": 1, "dropped": 0})
        self.assertEqual(stopped["exit_code"], 5)

    def test_sigterm_stops_accepting_finishes_and_exits_0(self):
        srv = self.server()
        silent = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        self.addCleanup(silent.close)
        srv.wait_for(lambda e: e["event"] == "accepted")
        self.assertEqual(srv.stop(signal.SIGTERM), 0)
        stopped = srv.events()[-1]
        self.assertEqual((stopped["event"], stopped["reason"], stopped["exit_code"]), ("stopped", "signal", 0))
        self.assertEqual(stopped["connections"]["dropped"], 1)
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()

    def test_sigterm_closes_established_connections_with_close_notify(self):
        srv = self.server()
        proc = subprocess.Popen([CLIENT, "--host", "localhost", "--port", str(srv.port), "--read-timeout", "8000",
                                 "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        srv.wait_for(lambda e: e["event"] == "handshake")
        self.assertEqual(srv.stop(signal.SIGTERM), 0)
        out, _ = proc.communicate(timeout=RUN_TIMEOUT)
        report = json.loads(out)
        self.assertEqual(proc.returncode, 0)
        self.assertTrue(report["peer_closed"])
        self.assertLess(report["timing_ms"]["total"], 7000)
        closed = [e for e in srv.events() if e["event"] == "closed"]
        self.assertEqual((closed[0]["ok"], closed[0]["reason"]), (True, "served"))

    def test_sigint_exits_0(self):
        srv = self.server()
        self.assertEqual(srv.stop(signal.SIGINT), 0)

    def test_http_mode_answers_each_request_with_a_page_describing_the_connection(self):
        srv = self.server("--mode", "http", "--cert-reqs", "optional", *TRUST)
        request = "GET /a HTTP/1.1\r\nHost: localhost\r\n\r\nGET /b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        r = self.client("--host", "localhost", "--port", srv.port, "--send", request, "--read-timeout", "3000",
                        *CLIENT_CERT, json_mode=False)
        self.assert_exit(r, 0)
        self.assertEqual(r.stdout.count("HTTP/1.1 200 OK"), 2)
        self.assertIn("request: GET /b HTTP/1.1", r.stdout)
        self.assertIn("tls_version: TLSv1.3", r.stdout)
        self.assertIn("sni: localhost", r.stdout)
        self.assertIn("client_certificate: CN=ussl test client", r.stdout)
        self.assertIn("verified: true", r.stdout)
        self.assertIn("server sent close_notify", r.stdout)

    @unittest.skipUnless(shutil.which("curl"), "curl not installed")
    def test_http_mode_interoperates_with_curl(self):
        srv = self.server("--mode", "http")
        p = subprocess.run(["curl", "-sS", "--max-time", "10", "--cacert", cert("root-ca.pem"),
                            f"https://localhost:{srv.port}/"], capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("sni: localhost", p.stdout)

    def test_discard_mode_reads_and_drops(self):
        srv = self.server("--mode", "discard", "--accept", "1")
        r = self.client("--host", "localhost", "--port", srv.port, "--send", "x" * 50000, "--read-timeout", "200")
        self.assert_exit(r, 0)
        self.assertEqual(r.report["bytes"], {"sent": 50000, "received": 0})
        self.assertEqual(srv.wait(), 0)
        closed = srv.wait_for(lambda e: e["event"] == "closed")
        self.assertEqual(closed["bytes"]["received"], 50000)

    def test_large_echo_round_trips_through_backpressure(self):
        srv = self.server()
        size = 1_000_000
        r = self.client("--host", "localhost", "--port", srv.port, "--stdin", "--read-bytes", size, "--nonblocking",
                        input_data="z" * size)
        self.assert_exit(r, 0)
        self.assertEqual(r.report["bytes"], {"sent": size, "received": size})


class ConcurrencyTests(AppTestCase):
    def serve_fifty_clients_beside_a_silent_one(self, *server_args):
        srv = self.server("--handshake-timeout", "0", "--cert-reqs", "optional", *TRUST, *server_args)
        silent = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        self.addCleanup(silent.close)
        srv.wait_for(lambda e: e["event"] == "accepted")
        procs = []
        for i in range(50):
            msg = f"client-{i:02d}"
            p = subprocess.Popen([CLIENT, "--host", "localhost", "--port", str(srv.port), "--send", msg,
                                  "--read-bytes", str(len(msg)), "--json", "--cert-reqs", "required", *TRUST,
                                  "--nonblocking" if i % 2 else "--defer-handshake", "--timeout", "20000"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
            procs.append((p, msg))
            self.addCleanup(lambda p=p: p.poll() is None and p.kill())
        deadline = time.monotonic() + 60
        for p, msg in procs:
            out, err = p.communicate(timeout=max(1, deadline - time.monotonic()))
            self.assertEqual(p.returncode, 0, err)
            report = json.loads(out)
            self.assertEqual(report["bytes"], {"sent": len(msg), "received": len(msg)})
        # The silent connection is still open: nothing was sent to it and it was not closed.
        silent.settimeout(0.2)
        with self.assertRaises(socket.timeout):
            silent.recv(1)
        self.assertEqual(srv.stop(), 0)
        events = srv.events()
        self.assertEqual(sum(1 for e in events if e["event"] == "accepted"), 51)
        self.assertEqual(sum(1 for e in events if e["event"] == "handshake" and e["ok"]), 50)
        self.assertEqual(events[-1]["connections"], {"accepted": 51, "ok": 50, "failed": 0, "dropped": 1})
        # Every connection's events stay in order, whichever loop served it.
        order = {}
        for e in events:
            if "conn" in e:
                order.setdefault(e["conn"], []).append(e["event"])
        self.assertEqual(len(order), 51)
        for conn, seq in order.items():
            self.assertIn(seq, (["accepted", "handshake", "closed"], ["accepted", "closed"]), conn)

    def test_fifty_concurrent_clients_are_served_while_a_silent_client_holds_a_connection(self):
        self.serve_fifty_clients_beside_a_silent_one()

    def test_fifty_concurrent_clients_are_served_by_four_event_loops_while_a_silent_client_holds_one(self):
        self.serve_fifty_clients_beside_a_silent_one("--threads", "4")

    def test_listening_event_reports_one_event_loop_per_usable_core_unless_threads_is_given(self):
        srv = self.server()
        self.assertEqual(json.loads(srv.listening_line)["threads"], len(os.sched_getaffinity(0)))
        self.assertEqual(srv.stop(), 0)
        srv = self.server("--threads", "3")
        self.assertEqual(json.loads(srv.listening_line)["threads"], 3)
        self.assertEqual(srv.stop(), 0)

    def test_accept_n_admits_exactly_n_connections_however_many_event_loops_race_for_them(self):
        srv = self.server("--threads", "4", "--accept", "3")
        procs = [subprocess.Popen([CLIENT, "--host", "localhost", "--port", str(srv.port), "--json",
                                   "--timeout", "10000"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
                 for _ in range(12)]
        for p in procs:
            self.addCleanup(lambda p=p: p.poll() is None and p.kill())
        codes = [p.communicate(timeout=RUN_TIMEOUT)[0] and p.returncode for p in procs]
        self.assertEqual(srv.wait(), 0)
        events = srv.events()
        self.assertEqual(sum(1 for e in events if e["event"] == "accepted"), 3)
        self.assertEqual(events[-1]["connections"], {"accepted": 3, "ok": 3, "failed": 0, "dropped": 0})
        self.assertEqual(codes.count(0), 3, codes)
        # The rest were refused or reset, never served.
        self.assertTrue(all(code in (3, 4) for code in codes if code != 0), codes)

    def test_sigterm_drops_pending_handshakes_on_every_event_loop_and_exits_0(self):
        srv = self.server("--threads", "3")
        silent = [socket.create_connection(("127.0.0.1", srv.port), timeout=5) for _ in range(6)]
        for s in silent:
            self.addCleanup(s.close)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and sum(1 for e in srv.events() if e["event"] == "accepted") < 6:
            time.sleep(0.02)
        self.assertEqual(srv.stop(signal.SIGTERM), 0)
        stopped = srv.events()[-1]
        self.assertEqual((stopped["reason"], stopped["connections"]["dropped"]), ("signal", 6))
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()

    def test_threads_out_of_range_is_a_usage_error_with_exit_2(self):
        r = subprocess.run([SERVER, "--port", "0", *SERVER_CERT, "--threads", "-1"], capture_output=True, text=True,
                           timeout=RUN_TIMEOUT)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--threads", r.stderr)


class ExpectTests(AppTestCase):
    def test_expectations_that_hold_exit_0_and_are_listed_in_the_report(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port, "--cert-reqs", "required", *TRUST,
                        "--expect", "tls.version=TLSv1.3", "--expect", "verify.verified=true",
                        "--expect", "peer_certificate.subject=CN=localhost")
        self.assert_exit(r, 0)
        self.assert_contract(r.report)
        self.assertEqual(r.report["expectations"], [
            {"field": "tls.version", "expected": "TLSv1.3", "actual": "TLSv1.3", "ok": True, "op": "="},
            {"field": "verify.verified", "expected": "true", "actual": "true", "ok": True, "op": "="},
            {"field": "peer_certificate.subject", "expected": "CN=localhost", "actual": "CN=localhost", "ok": True,
             "op": "="},
        ])

    def test_a_failed_expectation_exits_8_and_names_the_field_and_the_actual_value(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port, "--expect", "tls.version=TLSv1.2",
                        "--expect", "sni=localhost")
        self.assertEqual(r.rc, 8, repr(r))
        self.assertEqual(r.report["exit_code"], 8)
        self.assertTrue(r.report["ok"])  # the connection itself worked
        self.assertEqual(r.report["expectations"][0],
                         {"field": "tls.version", "expected": "TLSv1.2", "actual": "TLSv1.3", "ok": False, "op": "="})
        self.assertTrue(r.report["expectations"][1]["ok"])
        self.assertIn("expectation failed: tls.version: expected 'TLSv1.2', actual 'TLSv1.3'", r.stderr)
        r = self.client("--host", "localhost", "--port", srv.port, "--expect", "tls.version=TLSv1.2",
                        json_mode=False)
        self.assertEqual(r.rc, 8)
        self.assertRegex(r.stdout, r"(?m)^result +ok$")
        self.assertRegex(r.stdout, r"(?m)^expect +FAILED  tls\.version: expected 'TLSv1\.2', actual 'TLSv1\.3'$")
        self.assertRegex(r.stdout, r"(?m)^expectations +0 of 1 held: exit 8$")

    def test_expectations_on_a_failed_handshake_exit_0_when_they_hold(self):
        srv = self.server(certs=False, *["--certfile", cert("expired-chain.pem"), "--keyfile", cert("expired.key")])
        r = self.client("--host", "localhost", "--port", srv.port, "--cert-reqs", "required", *TRUST,
                        "--expect", "verify.result=failed", "--expect", "error.kind=cert_expired",
                        "--expect", "exit_code=5", "--expect", "verify.depth=0", "--expect", "ok=false")
        self.assertEqual(r.rc, 0, repr(r))
        self.assertEqual(r.report["exit_code"], 0)
        self.assertFalse(r.report["ok"])
        self.assertEqual(r.report["error"]["kind"], "cert_expired")
        self.assertTrue(all(e["ok"] for e in r.report["expectations"]))

    def test_an_array_element_that_does_not_exist_is_a_failed_expectation_with_actual_missing(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port, "--expect", "peer_chain.7.subject=x",
                        "--expect", "connections.3.ok!=x", "--expect", "peer_chain.9.days_left>=0")
        self.assertEqual(r.rc, 8)
        self.assertEqual([e["actual"] for e in r.report["expectations"]], ["<missing>"] * 3)

    def test_a_field_no_report_has_is_a_usage_error_naming_it_before_connecting(self):
        r = self.client("--host", "localhost", "--port", 1, "--expect", "tls.nope=1")
        self.assert_exit(r, 2, "usage")
        self.assertEqual(r.report["error"]["message"],
                         "--expect: unknown field 'tls.nope' in 'tls.nope': tls has version, cipher, group, "
                         "signature_scheme, own_signature_scheme, legacy")
        self.assertEqual(r.report["connections"], [])  # nothing was tried: port 1 would have been refused
        r = self.client("--host", "localhost", "--port", 1, "--expect", "sni.deeper=x", json_mode=False)
        self.assertEqual(r.rc, 2)
        self.assertIn("'sni' is a value, it has no field 'deeper' (in 'sni.deeper')", r.stderr)
        r = subprocess.run([SERVER, "--port", "0", *SERVER_CERT, "--expect", "peer_chain.x.subject=CN=a"],
                           capture_output=True, text=True, timeout=RUN_TIMEOUT)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("'peer_chain' is an array: address its elements by index (peer_chain.0), not 'x'", r.stderr)
        self.assertNotIn("listening", r.stdout)

    def test_comparisons_hold_on_numbers_versions_expressions_and_lists(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port, *TRUST, "--send", "abcd", "--read-bytes", "4",
                        "--expect", "peer_certificate.days_left>=21", "--expect", "chain_min_days_left > 21",
                        "--expect", "peer_certificate.lifetime_days>9000", "--expect", "tls.version>=TLSv1.2",
                        "--expect", "tls.version in TLSv1.2,TLSv1.3", "--expect", "tls.cipher~^TLS_AES_",
                        "--expect", "peer_certificate.san~^(DNS|IP):", "--expect", "bytes.received<5",
                        "--expect", "exit_code<=0", "--expect", "verify.result!=failed", "--expect", "alpn!=h2")
        self.assert_exit(r, 0)
        self.assert_contract(r.report)
        self.assertEqual([e["op"] for e in r.report["expectations"]],
                         [">=", ">", ">", ">=", "in", "~", "~", "<", "<=", "!=", "!="])
        self.assertTrue(all(e["ok"] for e in r.report["expectations"]), r.report["expectations"])
        r = self.client("--host", "localhost", "--port", srv.port, "--expect", "tls.version>TLSv1.3",
                        "--expect", "peer_certificate.san~^DNS:", "--expect", "peer_certificate.days_left<21",
                        json_mode=False)
        self.assertEqual(r.rc, 8)
        self.assertRegex(r.stdout, r"(?m)^expect +FAILED  tls\.version: expected > TLSv1\.3, actual 'TLSv1\.3'$")
        self.assertRegex(r.stdout, r"(?m)^expect +FAILED  peer_certificate\.days_left: expected < 21, actual '\d+\.\d+'$")
        self.assertRegex(r.stdout, r"(?m)^expectations +0 of 3 held: exit 8$")

    def test_days_left_and_lifetime_count_from_the_certificate_dates(self):
        srv = self.server()
        before = time.time()
        r = self.client("--host", "localhost", "--port", srv.port, *TRUST)
        after = time.time()
        self.assert_exit(r, 0)
        leaf = r.report["peer_certificate"]
        parse = lambda text: calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))  # noqa: E731
        not_before, not_after = parse(leaf["not_before"]), parse(leaf["not_after"])
        self.assertAlmostEqual(leaf["lifetime_days"], (not_after - not_before) / 86400, places=4)
        self.assertLessEqual(leaf["days_left"], (not_after - before) / 86400 + 1e-4)
        self.assertGreaterEqual(leaf["days_left"], (not_after - after) / 86400 - 1e-4)
        for entry in r.report["peer_chain"]:
            self.assertAlmostEqual(entry["lifetime_days"],
                                   (parse(entry["not_after"]) - parse(entry["not_before"])) / 86400, places=4)
        self.assertEqual(r.report["chain_min_days_left"], min(e["days_left"] for e in r.report["peer_chain"]))
        r = self.client("--host", "localhost", "--port", 1)
        self.assertIsNone(r.report["chain_min_days_left"])

    def test_expect_compares_null_booleans_numbers_and_array_elements(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port, *TRUST, "--send", "abcd", "--read-bytes", "4",
                        "--expect", "alpn=null", "--expect", "resumed=false", "--expect", "bytes.sent=4",
                        "--expect", "bytes.received=4.0", "--expect", "peer_chain.1.subject=CN=ussl Test Intermediate CA",
                        "--expect", "peer_certificate.san=[\"DNS:localhost\",\"DNS:server.ussl.test\",\"IP:127.0.0.1\","
                        "\"IP:::1\"]", "--expect", "connections.0.ok=true")
        self.assert_exit(r, 0)
        self.assertTrue(all(e["ok"] for e in r.report["expectations"]), r.report["expectations"])

    def test_a_configuration_error_keeps_exit_2_whatever_the_expectations(self):
        r = self.client("--host", "localhost", "--port", 1, "--ca-certs", cert("missing.pem"), "--expect", "ok=false")
        self.assert_exit(r, 2, "bad_file")
        self.assertEqual(r.report["expectations"][0]["ok"], True)

    def test_malformed_expect_is_a_usage_error(self):
        for bad in ("tls.version", "=TLSv1.3", "tls..version=x", "tls.version TLSv1.3", "bytes.sent>=many",
                    "tls.cipher~(AES", "tls.version in "):
            r = self.client("--host", "localhost", "--port", 1, "--expect", bad)
            self.assert_exit(r, 2, "usage")
        r = self.client("--host", "localhost", "--port", 1, "--expect", "peer_certificate.days_left>=soon",
                        json_mode=False)
        self.assertEqual(r.rc, 2)
        self.assertIn("'>=' needs a number or a TLS version (SSLv3, TLSv1.0 ... TLSv1.3), got 'soon'", r.stderr)

    def test_server_expect_exits_0_when_every_connection_holds_and_8_when_one_does_not(self):
        srv = self.server("--accept", "2", "--expect", "tls.version=TLSv1.3", "--expect", "sni=localhost")
        self.assert_exit(self.client("--host", "localhost", "--port", srv.port), 0)
        self.assert_exit(self.client("--host", "localhost", "--port", srv.port), 0)
        self.assertEqual(srv.wait(), 0)
        events = [e for e in srv.events() if e["event"] == "handshake"]
        self.assertEqual([all(x["ok"] for x in e["expectations"]) for e in events], [True, True])
        self.assertEqual(srv.events()[-1]["expectations_failed"], 0)

        srv = self.server("--accept", "2", "--expect", "tls.version=TLSv1.3")
        self.assert_exit(self.client("--host", "localhost", "--port", srv.port), 0)
        self.assert_exit(self.client("--host", "localhost", "--port", srv.port, "--max-version", "1.2"), 0)
        self.assertEqual(srv.wait(), 8)
        events = [e for e in srv.events() if e["event"] == "handshake"]
        self.assertEqual(events[1]["expectations"],
                         [{"field": "tls.version", "expected": "TLSv1.3", "actual": "TLSv1.2", "ok": False,
                           "op": "="}])
        self.assertEqual(srv.events()[-1]["exit_code"], 8)
        self.assertEqual(srv.events()[-1]["expectations_failed"], 1)

    def test_server_expect_holds_for_a_failed_handshake_that_was_expected(self):
        srv = self.server("--accept", "1", "--cert-reqs", "required", *TRUST, "--expect", "error.kind=peer_cert_missing")
        self.assert_exit(self.client("--host", "localhost", "--port", srv.port), 4, "alert_received")
        self.assertEqual(srv.wait(), 0)

    def test_server_human_output_lists_each_expectation(self):
        srv = self.server("--accept", "1", "--expect", "tls.version=TLSv1.2", json_mode=False)
        self.client("--host", "localhost", "--port", srv.port)
        self.assertEqual(srv.wait(), 8)
        self.assertRegex(srv.text(), r"\[1\] expect FAILED  tls\.version: expected 'TLSv1\.2', actual 'TLSv1\.3'")
        self.assertRegex(srv.text(), r"1 connection\(s\) failed an expectation; exit 8")


class VersionAndCipherTests(AppTestCase):
    def test_tls_version_pins_the_version_with_short_or_long_names(self):
        for server_name, client_name, want in (("1.2", "TLSv1.2", "TLSv1.2"), ("TLSv1.3", "1.3", "TLSv1.3"),
                                               ("tlsv1.2", "1.2", "TLSv1.2")):
            srv = self.server("--tls-version", server_name)
            r = self.client("--host", "localhost", "--port", srv.port, "--tls-version", client_name)
            self.assert_exit(r, 0)
            self.assertEqual(r.report["tls"]["version"], want)

    def test_min_and_max_version_accept_short_names(self):
        srv = self.server("--min-version", "1.2", "--max-version", "1.2")
        r = self.client("--host", "localhost", "--port", srv.port, "--min-version", "1.2", "--max-version", "1.3")
        self.assert_exit(r, 0)
        self.assertEqual(r.report["tls"]["version"], "TLSv1.2")

    def test_tls_version_excludes_min_and_max_version_and_rejects_other_versions(self):
        for args in (["--tls-version", "1.3", "--min-version", "1.2"], ["--tls-version", "1.4"],
                     ["--max-version", "SSLv3"], ["--tls-version", "1.3", "--max-version", "1.3"]):
            r = self.client("--host", "localhost", "--port", 1, *args)
            self.assert_exit(r, 2, "usage")

    def test_versions_that_do_not_meet_fail_the_handshake_with_exit_4(self):
        srv = self.server("--tls-version", "1.2", "--accept", "1")
        r = self.client("--host", "localhost", "--port", srv.port, "--tls-version", "1.3")
        self.assert_exit(r, 4)
        self.assertEqual(srv.wait(), 4)

    def test_ciphers_accept_iana_and_wolfssl_names(self):
        srv = self.server()
        for name, want in (("TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384"),
                           ("TLS13-CHACHA20-POLY1305-SHA256", "TLS_CHACHA20_POLY1305_SHA256"),
                           ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
                           ("tls_ecdhe_ecdsa_with_aes_128_gcm_sha256,ECDHE-ECDSA-CHACHA20-POLY1305",
                            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")):
            r = self.client("--host", "localhost", "--port", srv.port, "--ciphers", name)
            self.assert_exit(r, 0)
            self.assertEqual(r.report["tls"]["cipher"], want)

    def test_a_list_of_tls12_suites_only_limits_the_client_to_tls12(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port, "--ciphers",
                        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")
        self.assert_exit(r, 0)
        self.assertEqual(r.report["tls"]["version"], "TLSv1.2")

    def test_an_unknown_cipher_suite_is_a_usage_error_naming_it(self):
        for prog_args in (["--host", "localhost", "--port", 1], None):
            if prog_args is None:
                p = subprocess.run([SERVER, *SERVER_CERT, "--port", "0", "--ciphers", "TLS_AES_128_GCM_SHA256:NOPE"],
                                   capture_output=True, text=True, timeout=10)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn("unknown cipher suite 'NOPE'", p.stderr)
                continue
            r = self.client(*prog_args, "--ciphers", "TLS_AES_128_GCM_SHA256:NOPE")
            self.assert_exit(r, 2, "usage")
            self.assertIn("unknown cipher suite 'NOPE'", r.report["error"]["message"])

    def test_a_cipher_list_that_contradicts_the_version_is_a_usage_error(self):
        r = self.client("--host", "localhost", "--port", 1, "--tls-version", "1.3", "--ciphers",
                        "ECDHE-ECDSA-AES128-GCM-SHA256")
        self.assert_exit(r, 2, "usage")
        self.assertIn("no TLS 1.3 suite", r.report["error"]["message"])


class AlpnTests(AppTestCase):
    def test_the_protocol_selected_is_reported_by_both_sides(self):
        srv = self.server("--alpn", "http/1.1,h2", "--accept", "1")
        r = self.client("--host", "localhost", "--port", srv.port, "--alpn", "h2,http/1.1")
        self.assert_exit(r, 0)
        self.assertEqual(r.report["alpn"], "h2")  # wolfSSL follows the client's order
        self.assertEqual(srv.wait(), 0)
        self.assertEqual([e for e in srv.events() if e["event"] == "handshake"][0]["alpn"], "h2")

    def test_the_client_goes_on_when_the_server_selects_none(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port, "--alpn", "h2", json_mode=False)
        self.assert_exit(r, 0)
        self.assertRegex(r.stdout, r"(?m)^alpn +none selected \(offered h2\)$")

    def test_the_server_refuses_a_client_offering_only_other_protocols(self):
        srv = self.server("--alpn", "foo", "--accept", "1")
        r = self.client("--host", "localhost", "--port", srv.port, "--alpn", "bar")
        self.assert_exit(r, 4, "alert_received")
        self.assertEqual(r.report["error"]["alert"], "no_application_protocol")
        self.assertEqual(srv.wait(), 4)

    def test_alpn_is_null_when_nothing_was_offered(self):
        srv = self.server("--alpn", "h2")
        r = self.client("--host", "localhost", "--port", srv.port)
        self.assert_exit(r, 0)
        self.assertIsNone(r.report["alpn"])

    def test_an_invalid_protocol_name_is_a_usage_error(self):
        r = self.client("--host", "localhost", "--port", 1, "--alpn", "h2,,http/1.1")
        self.assert_exit(r, 2, "usage")


class KeyExchangeTests(AppTestCase):
    def default_group(self):
        return "X25519MLKEM768" if wolfssl_features()["mlkem"] else "x25519"

    def default_shares(self):
        return ["X25519MLKEM768", "x25519"] if wolfssl_features()["mlkem"] else ["x25519"]

    def test_both_sides_report_the_group_and_the_client_hello_the_server_parsed(self):
        srv = self.server("--accept", "1")
        r = self.client("--host", "localhost", "--port", srv.port, *TRUST, "--alpn", "h2,http/1.1")
        self.assert_exit(r, 0)
        self.assert_contract(r.report)
        self.assertEqual(srv.wait(), 0)
        [event] = [e for e in srv.events() if e["event"] == "handshake"]
        hs = r.report["handshake"]
        self.assertEqual(r.report["tls"]["group"], self.default_group())
        self.assertEqual(event["tls"]["group"], self.default_group())
        self.assertEqual(hs["key_shares_offered"], self.default_shares())
        self.assertEqual(event["handshake"]["key_shares_offered"], self.default_shares())
        self.assertFalse(hs["hello_retry_request"])
        self.assertFalse(event["handshake"]["hello_retry_request"])
        self.assertEqual(event["handshake"]["client_hello_bytes"], hs["client_hello_bytes"])
        scheme = "ecdsa_secp256r1_sha256" if wolfssl_features()["signature_schemes"] else None  # TLS 1.3
        self.assertEqual(r.report["tls"]["signature_scheme"], scheme)
        self.assertEqual(event["tls"]["own_signature_scheme"], scheme)
        self.assertIsNone(event["tls"]["signature_scheme"])  # the client sent no certificate
        hello = event["client_hello"]
        self.assertEqual(list(hello.keys()), ["versions", "cipher_suites", "groups", "key_shares",
                                              "signature_schemes", "alpn", "sni", "extensions", "ja4", "bytes"])
        self.assertEqual(hello["versions"], ["TLSv1.3", "TLSv1.2"])
        self.assertEqual(hello["key_shares"], self.default_shares())
        self.assertEqual(hello["alpn"], ["h2", "http/1.1"])
        self.assertEqual(hello["sni"], "localhost")
        self.assertIn("TLS_AES_128_GCM_SHA256", hello["cipher_suites"])
        self.assertIn("ecdsa_secp256r1_sha256", hello["signature_schemes"])
        self.assertIn("key_share", hello["extensions"])
        self.assertEqual(hello["bytes"] + 5, hs["client_hello_bytes"][0])  # one record: its 5-byte header
        n_ciphers = len([c for c in hello["cipher_suites"] if c != "GREASE"])
        n_exts = len([e for e in hello["extensions"] if e != "GREASE"])
        self.assertRegex(hello["ja4"], rf"^t13d{n_ciphers:02d}{n_exts:02d}h2_[0-9a-f]{{12}}_[0-9a-f]{{12}}$")

    def test_groups_and_key_shares_choose_what_the_client_offers(self):
        srv = self.server("--accept", "1")
        r = self.client("--host", "localhost", "--port", srv.port, "--groups", "P-256:P-384", "--key-shares", "P-256")
        self.assert_exit(r, 0)
        self.assertEqual(r.report["tls"]["group"], "secp256r1")
        self.assertEqual(r.report["handshake"]["key_shares_offered"], ["secp256r1"])
        self.assertEqual(srv.wait(), 0)
        [event] = [e for e in srv.events() if e["event"] == "handshake"]
        self.assertEqual(event["client_hello"]["groups"], ["secp256r1", "secp384r1"])

    def test_a_server_group_without_a_key_share_costs_a_hello_retry_request_seen_by_both(self):
        srv = self.server("--accept", "1", "--groups", "P-384")
        r = self.client("--host", "localhost", "--port", srv.port)
        self.assert_exit(r, 0)
        self.assertEqual(r.report["tls"]["group"], "secp384r1")
        self.assertTrue(r.report["handshake"]["hello_retry_request"])
        self.assertEqual(len(r.report["handshake"]["client_hello_bytes"]), 2)
        self.assertTrue(r.report["connections"][0]["hello_retry_request"])
        self.assertEqual(srv.wait(), 0)
        [event] = [e for e in srv.events() if e["event"] == "handshake"]
        self.assertTrue(event["handshake"]["hello_retry_request"])
        self.assertEqual(event["handshake"]["client_hello_bytes"], r.report["handshake"]["client_hello_bytes"])

    def test_hello_retry_makes_the_client_send_a_second_client_hello(self):
        srv = self.server("--accept", "1", "--hello-retry", json_mode=False)
        r = self.client("--host", "localhost", "--port", srv.port, json_mode=False)
        self.assertEqual(r.rc, 0, r.stderr)
        self.assertRegex(r.stdout, r"(?m)^kex +\S+, after a HelloRetryRequest \(key shares offered: .*\); "
                                   r"ClientHello \d+ \+ \d+ bytes(; peer signed with ecdsa_secp256r1_sha256)?$")
        self.assertEqual(srv.wait(), 0)
        out = "".join(srv.lines)
        self.assertRegex(out, r"\[1\] handshake ok: TLSv1\.3 \S+, sni localhost, new session, \S+ after HelloRetryRequest, ")
        self.assertRegex(out, r"\[1\] client hello: \d+ bytes, sni localhost, key shares \S+, ja4 t13d")

    def test_hello_retry_is_impossible_when_every_common_group_has_a_key_share(self):
        srv = self.server("--accept", "1", "--hello-retry", "--groups", "X25519")
        r = self.client("--host", "localhost", "--port", srv.port)
        self.assert_exit(r, 0)
        self.assertFalse(r.report["handshake"]["hello_retry_request"])
        self.assertEqual(r.report["tls"]["group"], "x25519")

    def test_tls12_reports_the_curve_and_the_signature_scheme_from_the_wire(self):
        srv = self.server("--accept", "1", "--certfile", cert("server-rsa-chain.pem"), "--keyfile",
                          cert("server-rsa.key"), certs=False)
        r = self.client("--host", "localhost", "--port", srv.port, "--tls-version", "1.2", "--groups", "P-256")
        self.assert_exit(r, 0)
        self.assertEqual(r.report["tls"]["group"], "secp256r1")
        self.assertIn(r.report["tls"]["signature_scheme"], ("rsa_pss_rsae_sha256", "rsa_pss_rsae_sha384",
                                                             "rsa_pss_rsae_sha512"))
        self.assertEqual(r.report["handshake"]["key_shares_offered"], [])
        self.assertFalse(r.report["handshake"]["hello_retry_request"])

    def test_a_resumed_tls13_handshake_reports_its_group(self):
        srv = self.server("--accept", "2")
        r = self.client("--host", "localhost", "--port", srv.port, "--reconnect", "1")
        self.assert_exit(r, 0)
        self.assertEqual([c["resumed"] for c in r.report["connections"]], [False, True])
        self.assertEqual([c["tls"]["group"] for c in r.report["connections"]], [self.default_group()] * 2)
        self.assertEqual(srv.wait(), 0)
        events = [e for e in srv.events() if e["event"] == "handshake"]
        self.assertEqual([(e["resumed"], e["tls"]["group"]) for e in events],
                         [(False, self.default_group()), (True, self.default_group())])

    def test_an_unknown_group_or_a_key_share_outside_the_groups_is_a_usage_error_naming_it(self):
        r = self.client("--host", "localhost", "--port", 1, "--groups", "X25519,brainpool")
        self.assert_exit(r, 2, "usage")
        self.assertIn("unknown key-exchange group 'brainpool'", r.report["error"]["message"])
        r = self.client("--host", "localhost", "--port", 1, "--groups", "X25519", "--key-shares", "P-384")
        self.assert_exit(r, 2, "usage")
        self.assertIn("group 'secp384r1' is not in groups 'X25519'", r.report["error"]["message"])
        p = subprocess.run([SERVER, "--port", "0", *SERVER_CERT, "--groups", "nope"], capture_output=True, text=True,
                           timeout=RUN_TIMEOUT)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("unknown key-exchange group 'nope'", p.stderr)

    def test_a_hybrid_group_is_refused_by_name_on_a_wolfssl_without_ml_kem(self):
        r = self.client("--host", "localhost", "--port", 1, "--groups", "X25519MLKEM768")
        if wolfssl_features()["mlkem"]:
            self.assert_exit(r, 3, "connection_refused")  # accepted: the connection itself is refused
            return
        self.assert_exit(r, 2, "usage")
        self.assertIn("group 'X25519MLKEM768' is not available in this wolfSSL", r.report["error"]["message"])


class SchemaTests(AppTestCase):
    """docs/schema/*.schema.json describe what the programs print, key for key and in order."""

    def schema(self, name):
        with open(os.path.join(os.path.dirname(CERTS), "docs", "schema", name)) as f:
            return json.load(f)

    def assert_conforms(self, value, schema):
        self.assertEqual(schema_check.problems(value, schema), [], json.dumps(value)[:2000])

    def test_client_reports_conform_to_the_client_schema(self):
        schema = self.schema("client-report.schema.json")
        srv = self.server("--accept", "3", "--cert-reqs", "optional", *TRUST)
        runs = [
            self.client("--host", "localhost", "--port", srv.port, *TRUST, "--cert-reqs", "required", "--certfile",
                        cert("client-chain.pem"), "--keyfile", cert("client.key"), "--reconnect", "1",
                        "--expect", "tls.group~.", "--show-certs"),
            self.client("--host", "localhost", "--port", srv.port, "--tls-version", "1.2", "--nonblocking"),
            self.client("--host", "localhost", "--port", 1),  # refused
            self.client("--host", "localhost", "--port", 1, "--ca-certs", cert("missing.pem")),  # setup failed
            self.client("--host", "localhost", "--port", 1, "--bogus"),  # usage error
        ]
        for r in runs:
            self.assertIsNotNone(r.report, r.stderr)
            self.assert_conforms(r.report, schema)
        self.assertEqual(srv.wait(), 0)

    def test_server_events_conform_to_the_server_schema(self):
        schema = self.schema("server-event.schema.json")
        srv = self.server("--accept", "2", "--cert-reqs", "required", *TRUST, "--expect", "tls.version>=TLSv1.2")
        self.client("--host", "localhost", "--port", srv.port, "--certfile", cert("client-chain.pem"), "--keyfile",
                    cert("client.key"))
        self.client("--host", "localhost", "--port", srv.port)  # refused by the server: peer_cert_missing
        srv.wait()
        events = srv.events()
        self.assertEqual([e["event"] for e in events][0], "listening")
        self.assertEqual([e["event"] for e in events][-1], "stopped")
        for event in events:
            self.assert_conforms(event, schema)
        p = subprocess.run([SERVER, "--port", "0", "--json", "--certfile", cert("missing.pem"), "--keyfile",
                            cert("server.key")], capture_output=True, text=True, timeout=RUN_TIMEOUT)
        self.assert_conforms(json.loads(p.stdout), schema)

    def test_the_checker_finds_a_key_the_schema_does_not_have(self):
        schema = self.schema("client-report.schema.json")
        r = self.client("--host", "localhost", "--port", 1)
        r.report["tls"]["extra"] = 1
        del r.report["sni"]
        self.assertEqual(schema_check.problems(r.report, schema),
                         ["$: missing key 'sni'", "$.tls: key 'extra' is not in the schema"])


class ResumptionTests(AppTestCase):
    def test_reconnect_resumes_every_connection_after_the_first_with_tls13_tickets(self):
        srv = self.server("--accept", "3")
        r = self.client("--host", "localhost", "--port", srv.port, "--reconnect", "2", "--send", "hi",
                        "--read-bytes", "2")
        self.assert_exit(r, 0)
        self.assert_contract(r.report)
        conns = r.report["connections"]
        self.assertEqual([c["resumed"] for c in conns], [False, True, True])
        self.assertEqual([c["tls"]["version"] for c in conns], ["TLSv1.3"] * 3)
        self.assertEqual([c["bytes"] for c in conns], [{"sent": 2, "received": 2}] * 3)
        self.assertTrue(all(c["ticket_received"] for c in conns))
        self.assertEqual(srv.wait(), 0)
        self.assertEqual([e["resumed"] for e in srv.events() if e["event"] == "handshake"], [False, True, True])

    def test_reconnect_resumes_with_tls12(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port, "--reconnect", "1", "--tls-version", "1.2")
        self.assert_exit(r, 0)
        self.assertEqual([c["resumed"] for c in r.report["connections"]], [False, True])

    def test_human_report_has_a_line_per_reconnection(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port, "--reconnect", "2", *TRUST,
                        "--cert-reqs", "required", json_mode=False)
        self.assert_exit(r, 0)
        self.assertRegex(r.stdout, r"(?m)^session +new \(full handshake\)$")
        self.assertRegex(r.stdout, r"(?m)^reconnect 1 +resumed, TLSv1\.3 ")
        self.assertRegex(r.stdout, r"(?m)^reconnect 2 +resumed, TLSv1\.3 ")
        self.assertRegex(r.stdout, r"(?m)^result +ok$")

    def test_one_connection_without_reconnect(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port)
        self.assert_exit(r, 0)
        self.assertEqual(len(r.report["connections"]), 1)
        self.assertEqual(r.report["session"], {"in": None, "out": None, "saved": False, "offered": None})

    def test_reconnect_stops_at_the_first_connection_that_fails(self):
        srv = self.server("--accept", "1")
        r = self.client("--host", "localhost", "--port", srv.port, "--reconnect", "3")
        srv.wait()
        self.assert_exit(r, 3, "connection_refused")
        self.assertEqual([c["ok"] for c in r.report["connections"]], [True, False])
        self.assertEqual(r.report["tls"]["version"], "TLSv1.3")  # the first connection's

    def test_sess_out_then_sess_in_resumes_in_a_new_process(self):
        srv = self.server()
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "session")
            r = self.client("--host", "localhost", "--port", srv.port, "--sess-out", path)
            self.assert_exit(r, 0)
            self.assertEqual(r.report["session"], {"in": None, "out": path, "saved": True, "offered": None})
            with open(path) as f:
                text = f.read()
            self.assertTrue(text.startswith("-----BEGIN USSL SESSION-----\n"), text)
            r = self.client("--host", "localhost", "--port", srv.port, "--sess-in", path, "--expect", "resumed=true")
            self.assert_exit(r, 0)
            self.assertTrue(r.report["resumed"])
            self.assertTrue(r.report["session"]["offered"])
            r = self.client("--host", "localhost", "--port", srv.port, "--sess-in", path, json_mode=False)
            self.assertRegex(r.stdout, r"(?m)^session +resumed$")
            self.assertRegex(r.stdout, r"(?m)^verify +not checked: resumed session")

    def test_an_expired_sess_in_session_is_not_offered_and_a_full_handshake_follows(self):
        srv = self.server()
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "session")
            self.assert_exit(self.client("--host", "localhost", "--port", srv.port, "--sess-out", path), 0)
            with open(path) as f:
                lines = f.read().splitlines()
            raw = bytearray(base64.b64decode("".join(lines[1:-1])))
            # wolfSSL's serialized session: side (1 byte), bornOn (4, big-endian), timeout (4).
            raw[1:5] = (1).to_bytes(4, "big")  # born in 1970: long expired
            text = base64.b64encode(bytes(raw)).decode()
            with open(path, "w") as f:
                f.write("-----BEGIN USSL SESSION-----\n")
                f.write("".join(text[i:i + 64] + "\n" for i in range(0, len(text), 64)))
                f.write("-----END USSL SESSION-----\n")
            r = self.client("--host", "localhost", "--port", srv.port, "--sess-in", path)
            self.assert_exit(r, 0)
            self.assertFalse(r.report["resumed"])
            self.assertEqual(r.report["session"], {"in": path, "out": None, "saved": False, "offered": False})
            self.assertIn("expired", r.stderr)
            r = self.client("--host", "localhost", "--port", srv.port, "--sess-in", path, json_mode=False)
            self.assertRegex(r.stdout, r"(?m)^session +new \(full handshake\); the --sess-in session had expired$")

    def test_a_missing_or_bad_session_file_exits_2_before_connecting(self):
        srv = self.server()
        with tempfile.TemporaryDirectory() as tmp:
            bad = {"missing": None, "not a session": "hello\n",
                   "bad base64": "-----BEGIN USSL SESSION-----\n!!!!\n-----END USSL SESSION-----\n",
                   "not wolfSSL's": "-----BEGIN USSL SESSION-----\nAAAAAAAA\n-----END USSL SESSION-----\n"}
            for name, content in bad.items():
                path = os.path.join(tmp, name.replace(" ", "-"))
                if content is not None:
                    with open(path, "w") as f:
                        f.write(content)
                r = self.client("--host", "localhost", "--port", srv.port, "--sess-in", path)
                self.assert_exit(r, 2, "bad_file")
                self.assertIn("--sess-in", r.report["error"]["message"])
                self.assertIsNone(r.report["target"]["address"], name)  # never connected
        self.assertEqual([e for e in srv.events() if e["event"] == "accepted"], [])

    def test_sess_out_that_cannot_be_written_exits_2(self):
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port, "--sess-out", "/nonexistent-dir/session")
        self.assert_exit(r, 2, "bad_file")


class KeyLogAndVersionTests(AppTestCase):
    def features(self):
        p = subprocess.run([CLIENT, "--version", "--json"], capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 0)
        return json.loads(p.stdout)

    def test_version_json_lists_the_wolfssl_features(self):
        for prog in (CLIENT, SERVER):
            p = subprocess.run([prog, "--json", "--version"], capture_output=True, text=True, timeout=10)
            self.assertEqual(p.returncode, 0)
            j = json.loads(p.stdout)
            self.assertEqual(list(j.keys()), ["schema", "version", "wolfssl"])
            self.assertEqual(j["schema"], 1)
            self.assertRegex(j["version"], r"^\d+\.\d+\.\d+$")
            self.assertRegex(j["wolfssl"]["version"], r"^\d+\.\d+\.\d+")
            for name in ("tls13", "sni", "alpn", "session_tickets", "secret_callback"):
                self.assertIsInstance(j["wolfssl"]["features"][name], bool)
            p = subprocess.run([prog, "--version"], capture_output=True, text=True, timeout=10)
            self.assertRegex(p.stdout, r"(?m)^wolfSSL features:( [+-][a-z0-9_]+)+$")

    def test_keylog_writes_nss_lines_or_fails_naming_the_missing_build_feature(self):
        supported = self.features()["wolfssl"]["features"]["secret_callback"]
        srv = self.server()
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "keys")
            env = dict(os.environ, SSLKEYLOGFILE=os.path.join(tmp, "env-keys"))
            for args, env_, target in ((["--keylog", path], None, path), ([], env, env["SSLKEYLOGFILE"])):
                r = self.client("--host", "localhost", "--port", srv.port, *args, env=env_)
                if supported:
                    self.assert_exit(r, 0)
                    with open(target) as f:
                        labels = {line.split()[0] for line in f if line.strip()}
                    self.assertIn("CLIENT_TRAFFIC_SECRET_0", labels)
                    self.assertIn("SERVER_HANDSHAKE_TRAFFIC_SECRET", labels)
                else:
                    self.assert_exit(r, 2, "usage")
                    self.assertIn("HAVE_SECRET_CALLBACK", r.report["error"]["message"])
                    self.assertIn("--keylog" if args else "SSLKEYLOGFILE", r.report["error"]["message"])
                    self.assertFalse(os.path.exists(target))
            p = subprocess.run([SERVER, *SERVER_CERT, "--port", "0", "--accept", "1", "--keylog", path],
                               capture_output=True, text=True, timeout=3) if not supported else None
            if p is not None:
                self.assertEqual(p.returncode, 2)
                self.assertIn("HAVE_SECRET_CALLBACK", p.stderr)

    def test_server_keylog_from_four_event_loops_has_only_whole_lines(self):
        if not self.features()["wolfssl"]["features"]["secret_callback"]:
            self.skipTest("this wolfSSL cannot log keys (the refusal is tested above)")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "server-keys")
            srv = self.server("--threads", "4", "--keylog", path)
            procs = [subprocess.Popen([CLIENT, "--host", "localhost", "--port", str(srv.port), "--json"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                      text=True) for _ in range(24)]
            for p in procs:
                self.addCleanup(lambda p=p: p.poll() is None and p.kill())
            self.assertEqual([p.communicate(timeout=RUN_TIMEOUT) and p.returncode for p in procs], [0] * 24)
            self.assertEqual(srv.stop(), 0)
            with open(path) as f:
                lines = f.read().split("\n")
        self.assertEqual(lines[-1], "")  # ends with a newline
        lines = lines[:-1]
        # Each a whole NSS key-log line; per connection (client random) the
        # same four TLS 1.3 secrets, none lost or torn.
        for line in lines:
            self.assertRegex(line, r"^[A-Z_0-9]+ [0-9A-Fa-f]{64} [0-9A-Fa-f]{64,96}$")
        per_conn = {}
        for line in lines:
            label, random, _ = line.split()
            per_conn.setdefault(random, []).append(label)
        self.assertEqual(len(per_conn), 24)
        for labels in per_conn.values():
            self.assertEqual(sorted(labels), ["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0",
                                              "SERVER_HANDSHAKE_TRAFFIC_SECRET", "SERVER_TRAFFIC_SECRET_0"])

    def test_an_unwritable_keylog_file_exits_2(self):
        if not self.features()["wolfssl"]["features"]["secret_callback"]:
            self.skipTest("this wolfSSL cannot log keys (the refusal is tested above)")
        r = self.client("--host", "localhost", "--port", 1, "--keylog", "/nonexistent-dir/keys")
        self.assert_exit(r, 2, "bad_file")


class DataTests(AppTestCase):
    def test_recv_file_holds_exactly_the_bytes_received(self):
        srv = self.server("--mode", "source", "--source-bytes", "100000")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "received")
            r = self.client("--host", "localhost", "--port", srv.port, "--recv-file", path, "--read-timeout", "5000")
            self.assert_exit(r, 0)
            with open(path, "rb") as f:
                data = f.read()
        pattern = b"abcdefghijklmnopqrstuvwxyz0123456789\n"
        self.assertEqual(data, (pattern * (100000 // len(pattern) + 1))[:100000])

    def test_source_mode_sends_more_than_its_buffer(self):
        srv = self.server("--mode", "source", "--source-bytes", str(3 * 1024 * 1024))
        r = self.client("--host", "localhost", "--port", srv.port, "--read-bytes", str(3 * 1024 * 1024),
                        "--timeout", "15000")
        self.assert_exit(r, 0)

    def test_a_blocking_client_reads_while_it_sends_so_a_large_echo_cannot_deadlock(self):
        size = 4 * 1024 * 1024
        srv = self.server()
        with tempfile.TemporaryDirectory() as tmp:
            send = os.path.join(tmp, "send")
            recv = os.path.join(tmp, "recv")
            data = os.urandom(size)
            with open(send, "wb") as f:
                f.write(data)
            r = self.client("--host", "localhost", "--port", srv.port, "--send-file", send, "--read-bytes", size,
                            "--recv-file", recv, "--timeout", "20000")
            self.assert_exit(r, 0)
            with open(recv, "rb") as f:
                self.assertEqual(f.read(), data)


class ChainFileTests(AppTestCase):
    """ussl-client --chain-file: the verdict without connecting, same report and exit codes (issue 10)."""

    def chain_file(self, name, *args, json_mode=True):
        return self.client("--chain-file", cert(name), *TRUST, *args, json_mode=json_mode)

    def test_a_good_chain_verifies_offline_with_its_path_and_key_facts(self):
        r = self.chain_file("server-chain.pem", "--server-hostname", "localhost")
        self.assert_exit(r, 0)
        j = r.report
        self.assertEqual(j["verify"]["result"], "ok")
        self.assertTrue(j["verify"]["verified"])
        self.assertEqual(j["verify"]["path"], ["CN=localhost", "CN=ussl Test Intermediate CA", "CN=ussl Test Root CA"])
        self.assertEqual(j["verify"]["problems"], [])
        self.assertEqual(j["peer_chain"][0]["key"], {"type": "EC", "bits": 256, "curve": "P-256"})
        self.assertEqual(j["target"]["chain_file"], cert("server-chain.pem"))
        self.assertEqual(j["target"]["chain_role"], "server")
        self.assertIsNone(j["tls"]["version"])

    def test_an_ip_server_hostname_is_checked_against_ip_sans(self):
        self.assert_exit(self.chain_file("server-chain.pem", "--server-hostname", "127.0.0.1"), 0)
        r = self.chain_file("wronghost-chain.pem", "--server-hostname", "127.0.0.1")
        self.assert_exit(r, 5, "hostname_mismatch")

    def test_at_a_future_instant_every_certificate_has_expired_and_each_is_listed(self):
        r = self.chain_file("server-chain.pem", "--server-hostname", "localhost", "--at", "2099-01-01T00:00:00Z")
        self.assert_exit(r, 5, "cert_expired")
        depths = [p["depth"] for p in r.report["verify"]["problems"] if p["kind"] == "cert_expired"]
        self.assertEqual(depths, [0, 1, 2])
        self.assert_exit(self.chain_file("server-chain.pem", "--at", "+30d"), 0)

    def test_an_expired_chain_fails_and_under_cert_reqs_none_exits_0_with_the_problem_reported(self):
        self.assert_exit(self.chain_file("expired-chain.pem"), 5, "cert_expired")
        r = self.chain_file("expired-chain.pem", "--cert-reqs", "none")
        self.assert_exit(r, 0)
        self.assertEqual(r.report["verify"]["result"], "failed")
        self.assertEqual(r.report["verify"]["failure"], "cert_expired")

    def test_a_client_certificate_is_judged_for_its_role(self):
        self.assert_exit(self.chain_file("client-chain.pem", "--chain-role", "client"), 0)
        self.assert_exit(self.chain_file("client-chain.pem"), 5, "cert_purpose")

    def test_a_depth_limit_below_the_path_is_chain_too_long(self):
        self.assert_exit(self.chain_file("server-chain.pem", "--max-chain-depth", "0"), 5, "chain_too_long")

    def test_the_human_report_lists_the_chain_and_the_verdict(self):
        r = self.chain_file("server-chain.pem", "--server-hostname", "localhost", json_mode=False)
        self.assertEqual(r.rc, 0, r.stderr)
        self.assertIn("EC P-256, signed ecdsa-with-SHA256", r.stdout)
        self.assertIn("VERIFIED", r.stdout)


def main():
    global CLIENT, SERVER, CERTS
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--client", default=CLIENT)
    parser.add_argument("--server", default=SERVER)
    parser.add_argument("--certs", default=CERTS)
    args, rest = parser.parse_known_args()
    CLIENT, SERVER, CERTS = args.client, args.server, args.certs
    for name, path in (("--client", CLIENT), ("--server", SERVER)):
        if not path or not os.access(path, os.X_OK):
            sys.exit(f"{name}: not an executable: {path!r}")
    SERVER_CERT[:] = ["--certfile", cert("server-chain.pem"), "--keyfile", cert("server.key")]
    CLIENT_CERT[:] = ["--certfile", cert("client-chain.pem"), "--keyfile", cert("client.key")]
    TRUST[:] = ["--ca-certs", cert("root-ca.pem")]
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
