#!/usr/bin/env python3
"""Exit codes and expectations: every documented exit code of ussl-client and ussl-server, and --expect.

Run: test_exit_codes.py --client PATH --server PATH --certs DIR [unittest arguments, e.g. a class name]
(test_apps.py's harness: servers on port 0, bounded runs, every process stopped in cleanup).
"""

import calendar
import json
import os
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import test_apps  # noqa: E402
from test_apps import (AppTestCase, Helper, RUN_TIMEOUT, SERVER_CERT, TRUST, cert)  # noqa: E402


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
        p = subprocess.run([test_apps.SERVER, "--port", "0", "--certfile", cert("server-chain.pem"), "--keyfile",
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
        p = subprocess.run([test_apps.SERVER, "--port", "0", "--mode", "chat"], capture_output=True, text=True,
                           timeout=10)
        self.assertEqual(p.returncode, 2)
        p = subprocess.run([test_apps.SERVER, "--port", "0"], capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 2)
        self.assertIn("certfile", p.stderr)

    def test_server_on_a_port_in_use_exits_2(self):
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        self.addCleanup(taken.close)
        p = subprocess.run([test_apps.SERVER, *SERVER_CERT, "--port", str(taken.getsockname()[1]), "--json"],
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
        r = self.client("--host", "127.0.0.1", "--port", port, "--connect-timeout", "300", timeout=10)
        self.assert_exit(r, 3, "connect_timeout")
        self.assertLess(r.report["timing_ms"]["total"], 2500)  # the client's own clock: no exec or load in it

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
        r = self.client("--host", "127.0.0.1", "--port", helper.port, "--timeout", "500", timeout=10)
        self.assert_exit(r, 7, "timeout")
        self.assertLess(r.report["timing_ms"]["total"], 2500)
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
        r = subprocess.run([test_apps.SERVER, "--port", "0", *SERVER_CERT, "--expect", "peer_chain.x.subject=CN=a"],
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
        events = srv.handshakes()
        self.assertEqual([all(x["ok"] for x in e["expectations"]) for e in events], [True, True])
        self.assertEqual(srv.events()[-1]["expectations_failed"], 0)

        srv = self.server("--accept", "2", "--expect", "tls.version=TLSv1.3")
        self.assert_exit(self.client("--host", "localhost", "--port", srv.port), 0)
        self.assert_exit(self.client("--host", "localhost", "--port", srv.port, "--max-version", "1.2"), 0)
        self.assertEqual(srv.wait(), 8)
        events = srv.handshakes()
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


if __name__ == "__main__":
    test_apps.main()
