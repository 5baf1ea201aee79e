#!/usr/bin/env python3
"""ussl-client against ussl-server: the basic exchange, the human and JSON reports, and the handshake
modes (deferred, non-blocking).

Run: test_client.py --client PATH --server PATH --certs DIR [unittest arguments, e.g. a class name]
(test_apps.py's harness: servers on port 0, bounded runs, every process stopped in cleanup).
"""

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import test_apps  # noqa: E402
from test_apps import (AppTestCase, CLIENT_CERT, DelayProxy, TRUST, cert, wolfssl_features)  # noqa: E402


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
        proc = subprocess.Popen([test_apps.CLIENT, "--host", "localhost", "--port", str(srv.port), "--json"],
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
        r = self.client("--host", "localhost", "--port", srv.port, "--send", "x", "--read-timeout", "300", timeout=10)
        self.assert_exit(r, 0)
        self.assertEqual(r.report["bytes"]["received"], 1)
        self.assertLess(r.report["timing_ms"]["total"], 2500)
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
        for prog in (test_apps.CLIENT, test_apps.SERVER):
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


if __name__ == "__main__":
    test_apps.main()
