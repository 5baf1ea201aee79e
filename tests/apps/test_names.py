#!/usr/bin/env python3
"""Server names, late alerts and SNI-only servers, through ussl-client and ussl-server on loopback.

Run: test_names.py --client PATH --server PATH --certs DIR [unittest arguments, e.g. a class name].
Reuses test_apps.py's harness (servers on port 0, bounded runs, every process stopped). Certificates
that certs/ lacks are issued at test time by the test intermediate CA, valid for 100 years.
"""

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
import test_apps  # noqa: E402
from test_apps import AppTestCase, ServerProcess, cert  # noqa: E402

RUN_TIMEOUT = 20


def trust():
    return ["--ca-certs", cert("root-ca.pem")]


class Leaf:
    """A server certificate issued by the test intermediate CA: chain (leaf + intermediate) and key files."""

    def __init__(self, directory, name, subject, san=None):
        self.key = os.path.join(directory, name + ".key")
        leaf = os.path.join(directory, name + ".pem")
        self.chain = os.path.join(directory, name + "-chain.pem")
        csr = os.path.join(directory, name + ".csr")
        ext = os.path.join(directory, name + ".ext")
        with open(ext, "w", encoding="utf-8") as f:
            f.write("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                    "extendedKeyUsage=serverAuth\n")
            if san:
                f.write("subjectAltName=" + san + "\n")
        run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=30)
        run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", self.key)
        run("req", "-new", "-key", self.key, "-subj", subject, "-out", csr)
        run("x509", "-req", "-in", csr, "-CA", cert("intermediate-ca.pem"), "-CAkey", cert("intermediate-ca.key"),
            "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-days", "36500", "-sha256",
            "-extfile", ext, "-out", leaf)
        with open(self.chain, "w", encoding="utf-8") as out:
            for part in (leaf, cert("intermediate-ca.pem")):
                with open(part, encoding="utf-8") as f:
                    out.write(f.read())

    def server_args(self):
        return ["--certfile", self.chain, "--keyfile", self.key]


class SlowPath(threading.Thread):
    """A loopback TCP relay to 127.0.0.1:target that holds every chunk `delay` seconds in each direction
    (order kept), so one round trip costs at least 2 * delay. Serves up to `count` connections."""

    def __init__(self, test, target, delay=0.15, count=1):
        super().__init__(daemon=True)
        self.target = target
        self.delay = delay
        self.count = count
        self.sockets = []
        self.threads = []
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.listener.settimeout(10)
        self.port = self.listener.getsockname()[1]
        test.addCleanup(self.close)
        self.start()

    def run(self):
        for _ in range(self.count):
            try:
                client, _ = self.listener.accept()
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=10)
            except OSError:
                return
            self.sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                t = threading.Thread(target=self.relay, args=(src, dst), daemon=True)
                t.start()
                self.threads.append(t)

    def relay(self, src, dst):
        pending = []
        ready = threading.Condition()
        done = [False]

        def sender():
            while True:
                with ready:
                    while not pending and not done[0]:
                        ready.wait(timeout=10)
                    if not pending:
                        break
                    due, data = pending.pop(0)
                time.sleep(max(0.0, due - time.monotonic()))
                try:
                    dst.sendall(data)
                except OSError:
                    return
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

        out = threading.Thread(target=sender, daemon=True)
        out.start()
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            with ready:
                if data:
                    pending.append((time.monotonic() + self.delay, data))
                else:
                    done[0] = True
                ready.notify()
            if not data:
                break
        out.join(timeout=10)

    def close(self):
        for s in self.sockets + [self.listener]:
            try:
                s.close()
            except OSError:
                pass
        self.join(timeout=5)
        for t in self.threads:
            t.join(timeout=5)


class NamesTestCase(AppTestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ussl-names-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def leaf(self, name, subject, san=None):
        return Leaf(self.tmp, name, subject, san)


class NameTests(NamesTestCase):
    def test_ip_host_against_a_certificate_for_another_host_is_a_hostname_mismatch_with_exit_5(self):
        srv = ServerProcess(self, "--certfile", cert("wronghost-chain.pem"), "--keyfile", cert("wronghost.key"),
                            certs=False)
        r = self.client("--host", "127.0.0.1", "--port", srv.port, "--cert-reqs", "required", *trust())
        self.assert_exit(r, 5, "hostname_mismatch")
        self.assertEqual(r.report["target"]["server_hostname"], "127.0.0.1")
        self.assertEqual(r.report["verify"]["hostname"], "127.0.0.1")
        self.assertFalse(r.report["verify"]["hostname_ok"])
        self.assertIsNone(r.report["sni"])
        self.assertEqual(r.report["error"]["message"],
                         "certificate 'CN=wrong.example' is for DNS:wrong.example, not for '127.0.0.1': an IP address "
                         "matches only an iPAddress SAN, never the CN or a dNSName")

    def test_ip_host_is_checked_against_the_ip_sans_without_sni_and_no_server_hostname_skips_it(self):
        srv = self.server()
        r = self.client("--host", "127.0.0.1", "--port", srv.port, "--cert-reqs", "required", *trust())
        self.assert_exit(r, 0)
        self.assertEqual(r.report["verify"]["hostname"], "127.0.0.1")
        self.assertTrue(r.report["verify"]["hostname_ok"])
        self.assertIsNone(r.report["sni"])
        self.assertIsNone(srv.wait_for(lambda e: e["event"] == "handshake")["sni"])
        r = self.client("--host", "127.0.0.1", "--port", srv.port, "--no-server-hostname", "--cert-reqs",
                        "required", *trust())
        self.assert_exit(r, 0)
        self.assertIsNone(r.report["verify"]["hostname"])
        self.assertIsNone(r.report["verify"]["hostname_ok"])
        self.assertIsNone(r.report["target"]["server_hostname"])

    def test_an_ip_in_the_common_name_only_is_refused_saying_an_ip_needs_an_ip_address_san(self):
        leaf = self.leaf("ipcn", "/CN=127.0.0.1")
        srv = ServerProcess(self, *leaf.server_args(), certs=False)
        r = self.client("--host", "127.0.0.1", "--port", srv.port, "--cert-reqs", "required", *trust())
        self.assert_exit(r, 5, "hostname_mismatch")
        self.assertEqual(r.report["verify"]["reason"],
                         "certificate 'CN=127.0.0.1' is for CN=127.0.0.1, not for '127.0.0.1': an IP address matches "
                         "only an iPAddress SAN, never the CN or a dNSName")

    def test_a_trailing_dot_is_stripped_so_the_server_picks_the_certificate_for_the_name(self):
        srv = self.server("--sni", f"wrong.example:{cert('wronghost-chain.pem')}:{cert('wronghost.key')}")
        r = self.client("--host", "localhost", "--port", srv.port, "--server-hostname", "wrong.example.",
                        "--cert-reqs", "required", *trust())
        self.assert_exit(r, 0)
        self.assertEqual(r.report["sni"], "wrong.example")
        self.assertEqual(r.report["verify"]["hostname"], "wrong.example")
        self.assertEqual(r.report["peer_certificate"]["subject"], "CN=wrong.example")
        self.assertEqual(srv.wait_for(lambda e: e["event"] == "handshake")["sni"], "wrong.example")

    def test_a_u_label_server_hostname_is_sent_as_its_a_label_and_matches_the_a_label_san(self):
        leaf = self.leaf("idn", "/CN=xn--bcher-kva.example", "DNS:xn--bcher-kva.example")
        srv = ServerProcess(self, *leaf.server_args(), certs=False)
        r = self.client("--host", "localhost", "--port", srv.port, "--server-hostname", "bücher.example",
                        "--cert-reqs", "required", *trust())
        self.assert_exit(r, 0)
        self.assertEqual(r.report["sni"], "xn--bcher-kva.example")
        self.assertEqual(r.report["verify"]["hostname"], "xn--bcher-kva.example")
        self.assertTrue(r.report["verify"]["verified"])
        self.assertEqual(srv.wait_for(lambda e: e["event"] == "handshake")["sni"], "xn--bcher-kva.example")

    def test_server_sni_with_a_u_label_name_is_converted_to_its_a_label(self):
        leaf = self.leaf("idn", "/CN=xn--bcher-kva.example", "DNS:xn--bcher-kva.example")
        srv = self.server("--sni", f"bücher.example:{leaf.chain}:{leaf.key}")
        r = self.client("--host", "localhost", "--port", srv.port, "--server-hostname", "xn--bcher-kva.example",
                        "--cert-reqs", "required", *trust())
        self.assert_exit(r, 0)
        self.assertEqual(r.report["peer_certificate"]["subject"], "CN=xn--bcher-kva.example")

    def test_a_u_label_host_is_resolved_and_checked_as_its_a_label(self):
        r = self.client("--host", "bücher.invalid", "--port", "1", "--connect-timeout", "3000")
        self.assert_exit(r, 3, "resolve_failed")
        self.assertIn("'xn--bcher-kva.invalid'", r.report["error"]["message"])
        self.assertEqual(r.report["target"]["host"], "bücher.invalid")
        self.assertEqual(r.report["target"]["server_hostname"], "xn--bcher-kva.invalid")

    def test_a_name_that_cannot_be_converted_is_a_one_line_usage_error_with_exit_2(self):
        p = subprocess.run([test_apps.CLIENT, "--host", "localhost", "--port", "1", "--server-hostname", "☃.example"],
                           capture_output=True, text=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertEqual(p.stderr.splitlines(), [
            "ussl-client: error: usage: --server-hostname: server name '☃.example' cannot be converted to an A-label "
            "(IDNA 2008): string contains a disallowed character"])
        self.assertEqual(p.stdout, "")
        p = subprocess.run([test_apps.SERVER, "--port", "0", "--sni",
                            f"☃.example:{cert('wronghost-chain.pem')}:{cert('wronghost.key')}"],
                           capture_output=True, text=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertIn("'☃.example' cannot be converted to an A-label (IDNA 2008)", p.stderr)

    def test_a_wildcard_spanning_a_public_suffix_is_refused_in_either_section_of_the_list(self):
        leaf = self.leaf("psl", "/CN=*.example.co.uk", "DNS:*.co.uk,DNS:*.s3.amazonaws.com,DNS:*.example.co.uk")
        srv = ServerProcess(self, *leaf.server_args(), certs=False)
        for name, suffix in (("shop.co.uk", "co.uk"), ("bucket.s3.amazonaws.com", "s3.amazonaws.com")):
            r = self.client("--host", "localhost", "--port", srv.port, "--server-hostname", name, "--cert-reqs",
                            "required", *trust())
            self.assert_exit(r, 5, "hostname_mismatch")
            self.assertIn(f"spans the public suffix '{suffix}'", r.report["verify"]["reason"])
        r = self.client("--host", "localhost", "--port", srv.port, "--server-hostname", "www.example.co.uk",
                        "--cert-reqs", "required", *trust())
        self.assert_exit(r, 0)

    def test_a_common_name_only_certificate_reports_that_the_match_relied_on_the_legacy_cn(self):
        srv = ServerProcess(self, "--certfile", cert("cnonly-chain.pem"), "--keyfile", cert("cnonly.key"),
                            certs=False)
        r = self.client("--host", "localhost", "--port", srv.port, "--server-hostname", "cnonly.ussl.test",
                        "--cert-reqs", "required", *trust())
        self.assert_exit(r, 0)
        self.assertTrue(r.report["verify"]["cn_fallback"])
        r = self.client("--host", "localhost", "--port", srv.port, "--server-hostname", "cnonly.ussl.test",
                        "--cert-reqs", "required", *trust(), json_mode=False)
        self.assert_exit(r, 0)
        self.assertIn("verify       VERIFIED (cert-reqs required): chain ok, hostname 'cnonly.ussl.test' ok (legacy: "
                      "matched the subject CN, the certificate has no SAN)", r.stdout)
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port, "--cert-reqs", "required", *trust())
        self.assertFalse(r.report["verify"]["cn_fallback"])


class LateAlertTests(NamesTestCase):
    def test_a_late_rejection_over_a_slow_path_is_caught_by_a_drain_of_two_round_trips(self):
        # ~300 ms round trip: the server's certificate_required arrives ~300 ms after the client's Finished,
        # after the old fixed 200 ms drain.
        srv = self.server("--cert-reqs", "required", *trust(), "--accept", "1")
        path = SlowPath(self, srv.port, delay=0.15)
        r = self.client("--host", "localhost", "--port", path.port)
        self.assert_exit(r, 4, "alert_received")
        self.assertEqual(r.report["error"]["alert"], "certificate_required")
        self.assertTrue(r.report["handshake"]["done"])
        drain = r.report["drain"]
        self.assertTrue(drain["certificate_requested"])
        self.assertGreaterEqual(drain["round_trip_ms"], 300)
        self.assertGreaterEqual(drain["window_ms"], 2 * drain["round_trip_ms"])
        self.assertLess(drain["waited_ms"], drain["window_ms"], "the alert ended the drain")
        self.assertGreaterEqual(drain["waited_ms"], 200)
        self.assertEqual(srv.wait(), 5)

    def test_a_late_rejection_of_an_untrusted_client_certificate_over_a_slow_path_is_caught(self):
        srv = self.server("--cert-reqs", "required", *trust(), "--accept", "1")
        path = SlowPath(self, srv.port, delay=0.15)
        r = self.client("--host", "localhost", "--port", path.port, "--certfile", cert("untrusted-client.pem"),
                        "--keyfile", cert("untrusted-client.key"), json_mode=False)
        self.assertEqual(r.rc, 4, repr(r))
        self.assertRegex(r.stdout, r"drain        waited \d+\.\d ms for a late alert \(the server asked for a client "
                                   r"certificate; window \d+ ms: at least 200 ms and 2 x round trip \d+\.\d ms\)")
        self.assertIn("unknown_ca", r.stdout)
        self.assertEqual(srv.wait(), 5)

    def test_openssl_s_server_rejecting_an_untrusted_client_certificate_over_a_slow_path_is_caught(self):
        proc = subprocess.Popen(["openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", cert("server.pem"),
                                 "-key", cert("server.key"), "-cert_chain", cert("intermediate-ca.pem"), "-tls1_3",
                                 "-CAfile", cert("root-ca.pem"), "-Verify", "1", "-verify_return_error", "-naccept",
                                 "1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.addCleanup(self.stop, proc)
        port = None
        deadline = time.monotonic() + 10
        while port is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            m = re.search(rb"ACCEPT 127\.0\.0\.1:(\d+)", line)
            port = int(m.group(1)) if m else None
        self.assertIsNotNone(port, "openssl s_server announced no port")
        path = SlowPath(self, port, delay=0.15)
        r = self.client("--host", "localhost", "--port", path.port, "--certfile", cert("untrusted-client.pem"),
                        "--keyfile", cert("untrusted-client.key"))
        self.assert_exit(r, 4, "alert_received")
        self.assertTrue(r.report["handshake"]["done"], "the alert came after the client's Finished")
        self.assertTrue(r.report["drain"]["certificate_requested"])
        self.assertGreaterEqual(r.report["drain"]["window_ms"], 600)

    @staticmethod
    def stop(proc):
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        proc.stdin.close()
        proc.stdout.close()

    def test_no_drain_runs_when_the_server_sent_no_certificate_request(self):
        srv = self.server()
        path = SlowPath(self, srv.port, delay=0.15)
        r = self.client("--host", "localhost", "--port", path.port)
        self.assert_exit(r, 0)
        drain = r.report["drain"]
        self.assertFalse(drain["certificate_requested"])
        self.assertGreaterEqual(drain["round_trip_ms"], 300)
        self.assertIsNone(drain["window_ms"])
        self.assertIsNone(drain["waited_ms"])
        timing = r.report["timing_ms"]
        self.assertLess(timing["total"] - timing["connect"] - timing["handshake"], 200,
                        "the client closes right after its handshake (the old fixed drain idled 200 ms)")

    def test_a_deferred_handshake_with_nothing_to_send_and_no_certificate_request_ends_at_once(self):
        # TLS 1.2: nothing (no session ticket) follows the handshake to wake the client up.
        srv = self.server()
        # A client that waited would end at --timeout (12 s); the bound leaves room for a loaded machine.
        for args in (["--defer-handshake"], ["--defer-handshake", "--nonblocking"]):
            r = self.client("--host", "localhost", "--port", srv.port, "--max-version", "1.2", "--timeout", "12000",
                            *args)
            self.assert_exit(r, 0)
            self.assertEqual(r.report["handshake"]["trigger"], "read")
            self.assertIsNone(r.report["drain"]["window_ms"])
            self.assertLess(r.report["timing_ms"]["total"], 6000, args)

    def test_on_loopback_the_drain_is_the_larger_of_200_ms_and_two_round_trips_and_catches_the_rejection(self):
        srv = self.server("--cert-reqs", "required", *trust(), "--accept", "1")
        r = self.client("--host", "localhost", "--port", srv.port, "--max-version", "1.3")
        self.assert_exit(r, 4, "alert_received")
        drain = r.report["drain"]
        # At least 200 ms, and at least two round trips (a loaded machine can make even loopback slow).
        round_trip_us = round(drain["round_trip_ms"] * 1000)
        self.assertEqual(drain["window_ms"], max(200, -(-2 * round_trip_us // 1000)))

    def test_the_drain_object_is_null_filled_when_the_command_line_does_not_parse(self):
        r = self.client("--host", "localhost", "--port", "abc")
        self.assertEqual(r.rc, 2)
        self.assertEqual(r.report["drain"], {"certificate_requested": None, "round_trip_ms": None, "window_ms": None,
                                             "waited_ms": None})


class SniOnlyServerTests(NamesTestCase):
    def sni_only_server(self):
        return self.server("--sni", f"wrong.example:{cert('wronghost-chain.pem')}:{cert('wronghost.key')}",
                           certs=False)

    def openssl_without_sni(self, port, version):
        p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-noservername", version],
                           capture_output=True, text=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)
        return p.stdout + p.stderr

    def test_a_tls13_client_without_sni_gets_missing_extension(self):
        srv = self.sni_only_server()
        out = self.openssl_without_sni(srv.port, "-tls1_3")
        self.assertIn("alert missing extension", out)
        self.assertIn("SSL alert number 109", out)
        r = self.client("--host", "localhost", "--port", srv.port, "--no-server-hostname")
        self.assert_exit(r, 4, "alert_received")
        self.assertEqual(r.report["error"]["alert"], "missing_extension")
        event = srv.wait_for(lambda e: e["event"] == "handshake" and e["conn"] == 2)
        self.assertIn("no SNI", event["error"]["message"])

    def test_a_tls12_client_without_sni_gets_unrecognized_name(self):
        srv = self.sni_only_server()
        out = self.openssl_without_sni(srv.port, "-tls1_2")
        self.assertIn("unrecognized name", out)
        self.assertIn("SSL alert number 112", out)
        r = self.client("--host", "localhost", "--port", srv.port, "--no-server-hostname", "--max-version", "1.2")
        self.assert_exit(r, 4, "alert_received")
        self.assertEqual(r.report["error"]["alert"], "unrecognized_name")


def main():
    import argparse
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--client", default=test_apps.CLIENT)
    parser.add_argument("--server", default=test_apps.SERVER)
    parser.add_argument("--certs", default=test_apps.CERTS)
    args, rest = parser.parse_known_args()
    for name, path in (("--client", args.client), ("--server", args.server)):
        if not path or not os.access(path, os.X_OK):
            sys.exit(f"{name}: not an executable: {path!r}")
    if shutil.which("openssl") is None:
        sys.exit("openssl is needed to issue test certificates (scripts/setup.sh installs it)")
    test_apps.CLIENT, test_apps.SERVER, test_apps.CERTS = args.client, args.server, args.certs
    test_apps.SERVER_CERT[:] = ["--certfile", cert("server-chain.pem"), "--keyfile", cert("server.key")]
    test_apps.CLIENT_CERT[:] = ["--certfile", cert("client-chain.pem"), "--keyfile", cert("client.key")]
    test_apps.TRUST[:] = ["--ca-certs", cert("root-ca.pem")]
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
