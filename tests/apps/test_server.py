#!/usr/bin/env python3
"""ussl-server as a process: start-up, signals and shutdown, concurrent connections, and the data modes.

Run: test_server.py --client PATH --server PATH --certs DIR [unittest arguments, e.g. a class name]
(test_apps.py's harness: servers on port 0, bounded runs, every process stopped in cleanup).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import test_apps  # noqa: E402
from test_apps import (AppTestCase, CLIENT_CERT, RUN_TIMEOUT, SERVER_CERT, TRUST, cert)  # noqa: E402


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
        proc = subprocess.Popen([test_apps.CLIENT, "--host", "localhost", "--port", str(srv.port), "--read-timeout",
                                 "8000", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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
            p = subprocess.Popen([test_apps.CLIENT, "--host", "localhost", "--port", str(srv.port), "--send", msg,
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
        procs = [subprocess.Popen([test_apps.CLIENT, "--host", "localhost", "--port", str(srv.port), "--json",
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
        r = subprocess.run([test_apps.SERVER, "--port", "0", *SERVER_CERT, "--threads", "-1"], capture_output=True,
                           text=True, timeout=RUN_TIMEOUT)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--threads", r.stderr)


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


if __name__ == "__main__":
    test_apps.main()
