#!/usr/bin/env python3
"""What the handshake negotiates: versions and cipher suites, ALPN, key exchange groups and key shares,
session resumption.

Run: test_tls_params.py --client PATH --server PATH --certs DIR [unittest arguments, e.g. a class name]
(test_apps.py's harness: servers on port 0, bounded runs, every process stopped in cleanup).
"""

import base64
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import test_apps  # noqa: E402
from test_apps import (AppTestCase, RUN_TIMEOUT, SERVER_CERT, TRUST, cert, wolfssl_features)  # noqa: E402


class VersionAndCipherTests(AppTestCase):
    def test_tls_version_pins_the_version_with_short_or_long_names(self):
        for server_name, client_name, want in (("1.2", "TLSv1.2", "TLSv1.2"), ("TLSv1.3", "1.3", "TLSv1.3"),
                                               ("tlsv1.2", "1.2", "TLSv1.2")):
            srv = self.server("--tls-version", server_name)
            r = self.client("--host", "localhost", "--port", srv.port, "--tls-version", client_name)
            self.assert_exit(r, 0)
            self.assertEqual(r.report["tls"]["version"], want)

    def test_default_tls13_suite_is_aes_128_gcm_as_before_wolfssl_5_9(self):
        # kDefaultCiphers keeps wolfSSL 5.7's TLS 1.3 order (docs/cli.md, "Default cipher list").
        srv = self.server()
        r = self.client("--host", "localhost", "--port", srv.port)
        self.assert_exit(r, 0)
        self.assertEqual(r.report["tls"]["cipher"], "TLS_AES_128_GCM_SHA256")

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
                p = subprocess.run([test_apps.SERVER, *SERVER_CERT, "--port", "0", "--ciphers",
                                    "TLS_AES_128_GCM_SHA256:NOPE"], capture_output=True, text=True, timeout=10)
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
        events = srv.handshakes()
        self.assertEqual([(e["resumed"], e["tls"]["group"]) for e in events],
                         [(False, self.default_group()), (True, self.default_group())], srv.text())

    def test_an_unknown_group_or_a_key_share_outside_the_groups_is_a_usage_error_naming_it(self):
        r = self.client("--host", "localhost", "--port", 1, "--groups", "X25519,brainpool")
        self.assert_exit(r, 2, "usage")
        self.assertIn("unknown key-exchange group 'brainpool'", r.report["error"]["message"])
        r = self.client("--host", "localhost", "--port", 1, "--groups", "X25519", "--key-shares", "P-384")
        self.assert_exit(r, 2, "usage")
        self.assertIn("group 'secp384r1' is not in groups 'X25519'", r.report["error"]["message"])
        p = subprocess.run([test_apps.SERVER, "--port", "0", *SERVER_CERT, "--groups", "nope"], capture_output=True,
                           text=True, timeout=RUN_TIMEOUT)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("unknown key-exchange group 'nope'", p.stderr)

    def test_a_hybrid_group_is_refused_by_name_on_a_wolfssl_without_ml_kem(self):
        r = self.client("--host", "localhost", "--port", 1, "--groups", "X25519MLKEM768")
        if wolfssl_features()["mlkem"]:
            self.assert_exit(r, 3, "connection_refused")  # accepted: the connection itself is refused
            return
        self.assert_exit(r, 2, "usage")
        self.assertIn("group 'X25519MLKEM768' is not available in this wolfSSL", r.report["error"]["message"])


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
        self.assertEqual([e["resumed"] for e in srv.handshakes()], [False, True, True])

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


if __name__ == "__main__":
    test_apps.main()
