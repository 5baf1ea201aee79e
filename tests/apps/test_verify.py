#!/usr/bin/env python3
"""Certificate verification from the programs: every --cert-reqs mode on both sides, SNI certificate
selection, and offline verification with --chain-file.

Run: test_verify.py --client PATH --server PATH --certs DIR [unittest arguments, e.g. a class name]
(test_apps.py's harness: servers on port 0, bounded runs, every process stopped in cleanup).
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import test_apps  # noqa: E402
from test_apps import (AppTestCase, CLIENT_CERT, ServerProcess, TRUST, cert)  # noqa: E402


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
        events = srv.handshakes()
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
        events = srv.handshakes()
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
        p = subprocess.run([test_apps.SERVER, "--port", "0", "--sni", "only-a-name"], capture_output=True, text=True,
                           timeout=10)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("NAME:CERTFILE:KEYFILE", p.stderr)


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

    def test_a_common_name_only_leaf_reports_that_the_match_relied_on_the_legacy_cn_as_a_live_run_does(self):
        r = self.chain_file("cnonly-chain.pem", "--server-hostname", "cnonly.ussl.test")
        self.assert_exit(r, 0)
        self.assertTrue(r.report["verify"]["cn_fallback"])
        r = self.chain_file("server-chain.pem", "--server-hostname", "localhost")
        self.assertFalse(r.report["verify"]["cn_fallback"])

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


if __name__ == "__main__":
    test_apps.main()
