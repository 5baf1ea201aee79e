#!/usr/bin/env python3
"""Fault injection against ussl-server and ussl-client (issue 6).

Real processes on loopback, port 0 only, every wait bounded, every process
stopped. Usage:
  test_faults.py --client BIN --server BIN --certs DIR [unittest args...]
Long on purpose (~600 lines): the misbehaving peers (scripted servers and clients) are shared by
the server and the client fault classes.
"""
import argparse
import concurrent.futures
import json
import os
import queue
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ARGS = None


def cert(name):
    return os.path.join(ARGS.certs, name)


def client_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cert("root-ca.pem"))
    return ctx


class Server:
    """ussl-server --json on a free loopback port; events read on a thread."""

    def __init__(self, *extra):
        # stderr goes to a file: an undrained pipe would block the server's
        # logging (and with it the whole server) once 64 KiB of warnings pile up.
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            [ARGS.server, "--json", "--port", "0", "--certfile", cert("server-chain.pem"), "--keyfile",
             cert("server.key"), *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.events = queue.Queue()
        self.all_events = []
        threading.Thread(target=self._pump, daemon=True).start()
        first = self.next_event(10)
        if first is None or first.get("event") != "listening":
            self.stop()
            raise AssertionError(f"server did not announce its port: {first}")
        self.listening = first
        self.port = first["port"]

    def _pump(self):
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            self.all_events.append(event)
            self.events.put(event)

    def next_event(self, timeout):
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def wait_for(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = self.next_event(max(0.01, deadline - time.monotonic()))
            if event is not None and predicate(event):
                return event
        return None

    def fd_count(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def fd_targets(self):
        """What each open descriptor is (for a failure message)."""
        base = f"/proc/{self.proc.pid}/fd"
        out = []
        for name in sorted(os.listdir(base), key=int):
            try:
                out.append(f"{name} -> {os.readlink(os.path.join(base, name))}")
            except OSError:
                pass
        return out

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def sanitized(self):
        with open(f"/proc/{self.proc.pid}/maps") as f:
            maps = f.read()
            return "libasan" in maps or "libtsan" in maps

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc.stdout.close()
        self.log.close()


def raw_connect(port, timeout=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return s


def reset(sock):
    """Close with RST instead of FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def good_echo(port, payload=b"ping", timeout=10):
    """A well-behaved client: verified handshake, echo round trip."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        with client_context().wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(payload)
            got = b""
            while len(got) < len(payload):
                chunk = tls.recv(65536)
                if not chunk:
                    break
                got += chunk
            return got == payload


def client_hello_bytes():
    """A real ClientHello, from Python's ssl over memory BIOs."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = client_context().wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return obj, incoming, outgoing, outgoing.read()


def handshake_over(sock, obj, incoming, outgoing, first, write, deadline=10):
    """Finish a memory-BIO handshake over sock; write(bytes) sends our flights."""
    write(first)
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            obj.do_handshake()
            out = outgoing.read()
            if out:
                write(out)
            return True
        except ssl.SSLWantReadError:
            out = outgoing.read()
            if out:
                write(out)
            data = sock.recv(65536)
            if not data:
                return False
            incoming.write(data)
    return False


class ServerFaultTests(unittest.TestCase):
    def setUp(self):
        self.server = Server("--handshake-timeout", "1000", "--idle-timeout", "1500")
        self.addCleanup(self.server.stop)
        self.baseline_fds = self.server.fd_count()

    def assert_still_serving(self):
        self.assertTrue(self.server.alive(), "server died")
        self.assertTrue(good_echo(self.server.port), "a good client was not served")

    def failed_handshake(self, timeout=5):
        return self.server.wait_for(lambda e: e.get("event") == "handshake" and not e.get("ok"), timeout)

    def test_garbage_instead_of_client_hello_is_a_protocol_error_and_the_server_keeps_serving(self):
        with raw_connect(self.server.port) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(5)
            try:
                while s.recv(4096):
                    pass
            except OSError:
                pass
        event = self.failed_handshake()
        self.assertIsNotNone(event)
        self.assertEqual(event["error"]["kind"], "protocol_error")
        self.assert_still_serving()

    def test_slowloris_client_is_timed_out_by_the_handshake_timeout(self):
        s = raw_connect(self.server.port)
        self.addCleanup(s.close)
        start = time.monotonic()
        s.sendall(b"\x16\x03\x01")  # the start of a record, then nothing
        event = self.failed_handshake(timeout=6)
        self.assertIsNotNone(event, "no handshake failure reported")
        self.assertEqual(event["error"]["kind"], "timeout")
        self.assertLess(time.monotonic() - start, 5)
        self.assert_still_serving()

    def test_silent_client_does_not_stall_others_and_is_timed_out(self):
        s = raw_connect(self.server.port)
        self.addCleanup(s.close)
        self.assertTrue(good_echo(self.server.port))
        event = self.failed_handshake(timeout=6)
        self.assertIsNotNone(event)
        self.assertEqual(event["error"]["kind"], "timeout")

    def test_reset_in_the_middle_of_the_handshake_is_reported_and_the_server_keeps_serving(self):
        obj, incoming, outgoing, hello = client_hello_bytes()
        s = raw_connect(self.server.port)
        s.sendall(hello)
        s.recv(1)  # the server is mid-handshake now
        reset(s)
        event = self.failed_handshake()
        self.assertIsNotNone(event)
        self.assertIn(event["error"]["kind"], ("connection_reset", "truncated_eof"))
        self.assert_still_serving()

    def test_reset_in_the_middle_of_a_transfer_is_reported_and_the_server_keeps_serving(self):
        raw = raw_connect(self.server.port)
        tls = client_context().wrap_socket(raw, server_hostname="localhost")
        tls.sendall(b"x" * 100000)
        tls.recv(10)
        reset(tls)
        closed = self.server.wait_for(lambda e: e.get("event") == "closed", 5)
        self.assertIsNotNone(closed)
        self.assertFalse(closed["ok"])
        self.assertIn(closed["error"]["kind"], ("connection_reset", "truncated_eof"))
        self.assert_still_serving()

    def test_half_close_without_close_notify_is_a_truncated_eof(self):
        raw = raw_connect(self.server.port)
        tls = client_context().wrap_socket(raw, server_hostname="localhost")
        self.addCleanup(tls.close)
        tls.sendall(b"hello")
        self.assertEqual(tls.recv(5), b"hello")
        tls.shutdown(socket.SHUT_WR)  # TCP FIN, no close_notify (that would need unwrap())
        closed = self.server.wait_for(lambda e: e.get("event") == "closed", 5)
        self.assertIsNotNone(closed)
        self.assertEqual(closed["error"]["kind"], "truncated_eof")
        self.assert_still_serving()

    def test_oversized_record_is_refused_with_an_alert(self):
        with raw_connect(self.server.port) as s:
            s.sendall(b"\x16\x03\x01" + struct.pack(">H", 18000) + b"\x01" * 18000)
            s.settimeout(5)
            reply = b""
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    reply += chunk
            except OSError:
                pass
        event = self.failed_handshake()
        self.assertIsNotNone(event)
        self.assertEqual(event["error"]["kind"], "protocol_error")
        self.assertTrue(reply == b"" or reply[0] == 0x15, f"expected an alert or nothing, got {reply[:8]!r}")
        self.assert_still_serving()

    def test_client_hello_sent_one_byte_at_a_time_still_succeeds(self):
        obj, incoming, outgoing, hello = client_hello_bytes()
        with raw_connect(self.server.port) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def trickle(data):
                for i in range(len(data)):
                    s.sendall(data[i:i + 1])

            self.assertTrue(handshake_over(s, obj, incoming, outgoing, hello, trickle))
        ok = self.server.wait_for(lambda e: e.get("event") == "handshake", 5)
        self.assertTrue(ok and ok["ok"], ok)

    def test_client_hello_fragmented_into_small_records_still_succeeds(self):
        obj, incoming, outgoing, hello = client_hello_bytes()
        self.assertEqual(hello[0], 0x16)
        body = hello[5:5 + struct.unpack(">H", hello[3:5])[0]]
        fragmented = b"".join(hello[0:3] + struct.pack(">H", len(body[i:i + 40])) + body[i:i + 40]
                              for i in range(0, len(body), 40))
        with raw_connect(self.server.port) as s:
            self.assertTrue(handshake_over(s, obj, incoming, outgoing, fragmented, s.sendall))
        ok = self.server.wait_for(lambda e: e.get("event") == "handshake", 5)
        self.assertTrue(ok and ok["ok"], ok)

    def test_descriptors_return_to_the_baseline_after_faults(self):
        for _ in range(5):
            with raw_connect(self.server.port) as s:
                s.sendall(b"garbage")
            s = raw_connect(self.server.port)
            s.sendall(b"\x16")
            reset(s)
        self.assertTrue(good_echo(self.server.port))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self.server.fd_count() > self.baseline_fds:
            time.sleep(0.05)
        self.assertEqual(self.server.fd_count(), self.baseline_fds)


class FloodTests(unittest.TestCase):
    """1,000 connections, 10% of them misbehaving; the rest get correct data."""

    def test_a_flood_with_ten_percent_misbehaving_clients_serves_every_good_one(self):
        server = Server("--handshake-timeout", "1500", "--idle-timeout", "2000")
        self.addCleanup(server.stop)
        baseline_fds = server.fd_count()
        self.assertTrue(good_echo(server.port))  # warm up allocator and caches
        baseline_rss = server.rss_kib()
        held = []
        lock = threading.Lock()

        def misbehave(i):
            s = raw_connect(server.port)
            kind = i % 3
            if kind == 0:
                s.sendall(os.urandom(64))
                s.close()
            elif kind == 1:
                reset(s)
            else:
                with lock:
                    held.append(s)  # silent: must be timed out
            return True

        def job(i):
            if i % 10 == 0:
                return ("bad", misbehave(i))
            payload = os.urandom(1024) + str(i).encode()
            return ("good", good_echo(server.port, payload, timeout=20))

        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
            results = list(pool.map(job, range(1000)))
        elapsed = time.monotonic() - start
        good = [ok for kind, ok in results if kind == "good"]
        self.assertEqual(len(good), 900)
        self.assertTrue(all(good), f"{good.count(False)} good clients were not served correctly")
        # The silent ones are timed out; descriptors return to the baseline.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and server.fd_count() > baseline_fds:
            time.sleep(0.1)
        for s in held:
            s.close()
        self.assertEqual(server.fd_count(), baseline_fds, f"descriptors leaked: {server.fd_targets()}")
        growth = server.rss_kib() - baseline_rss
        # AddressSanitizer keeps freed memory in quarantine (256 MiB by
        # default), so RSS cannot return to the baseline under it; descriptors
        # and LeakSanitizer cover that build instead.
        if not server.sanitized():
            self.assertLess(growth, 16 * 1024, f"RSS grew by {growth} KiB after the flood")
        self.assertTrue(server.alive())
        sys.stderr.write(f"flood: 1000 connections in {elapsed:.1f}s, RSS growth {growth} KiB\n")


class IdleMemoryTests(unittest.TestCase):
    """An idle connection keeps no buffers of the server's: after echoing a
    64 KiB burst, each held connection costs about what the TLS state needs."""

    HELD = 300
    BURST = 64 * 1024

    def echo_burst(self, port):
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        tls = client_context().wrap_socket(raw, server_hostname="localhost")
        payload = os.urandom(self.BURST)
        tls.sendall(payload)
        got = 0
        while got < len(payload):
            chunk = tls.recv(65536)
            self.assertTrue(chunk, "server closed during the echo")
            got += len(chunk)
        return tls

    def test_connections_idle_after_a_burst_give_back_their_buffers(self):
        server = Server("--threads", "1", "--handshake-timeout", "0")
        self.addCleanup(server.stop)
        held = [self.echo_burst(server.port) for _ in range(10)]  # warm up allocator and caches
        self.addCleanup(lambda: [s.close() for s in held])
        baseline = server.rss_kib()
        for _ in range(self.HELD):
            held.append(self.echo_burst(server.port))
        time.sleep(0.2)
        per_conn = (server.rss_kib() - baseline) / self.HELD
        sys.stderr.write(f"idle memory: {per_conn:.1f} KiB RSS per connection after a {self.BURST // 1024} KiB echo\n")
        self.assertTrue(server.alive())
        if server.sanitized():
            self.skipTest("AddressSanitizer's quarantine and shadow memory make RSS meaningless")
        # Holding the echo buffer would cost at least 64 KiB per connection.
        self.assertLess(per_conn, 32, f"{per_conn:.1f} KiB per idle connection")


class MisbehavingServer:
    """A raw TCP server on a free port that runs behaviour(conn) per client."""

    def __init__(self, behaviour):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.behaviour = behaviour
        self.conns = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(10)
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        self.conns.append(conn)
        try:
            self.behaviour(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass
        self.sock.close()
        self.thread.join(5)


def tls_server_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert("server-chain.pem"), cert("server.key"))
    return ctx


class ClientFaultTests(unittest.TestCase):
    def run_client(self, port, *extra, timeout=15):
        start = time.monotonic()
        r = subprocess.run([ARGS.client, "--host", "127.0.0.1", "--port", str(port), "--json", *extra],
                           capture_output=True, text=True, timeout=timeout)
        r.elapsed = time.monotonic() - start
        r.report = json.loads(r.stdout) if r.stdout.strip() else None
        return r

    def serve(self, behaviour):
        server = MisbehavingServer(behaviour)
        self.addCleanup(server.close)
        return server

    def test_server_that_never_answers_is_a_timeout_exit_7_within_the_limit(self):
        server = self.serve(lambda c: time.sleep(5))
        r = self.run_client(server.port, "--timeout", "700", timeout=10)  # and the process ends
        self.assertEqual(r.returncode, 7, r.stderr)
        self.assertEqual(r.report["error"]["kind"], "timeout")
        self.assertLess(r.report["timing_ms"]["total"], 2500)  # the client's own clock: no exec or load in it

    def test_server_sending_garbage_is_a_protocol_error_exit_4(self):
        server = self.serve(lambda c: (c.recv(4096), c.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n" * 4)))
        r = self.run_client(server.port, "--timeout", "5000")
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertEqual(r.report["error"]["kind"], "protocol_error")

    def test_server_resetting_mid_handshake_is_exit_4(self):
        server = self.serve(lambda c: (c.recv(4096), reset(c)))
        r = self.run_client(server.port, "--timeout", "5000")
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn(r.report["error"]["kind"], ("connection_reset", "truncated_eof"))

    def test_server_closing_mid_handshake_is_a_truncated_eof_exit_4(self):
        server = self.serve(lambda c: (c.recv(4096), c.shutdown(socket.SHUT_WR), time.sleep(1)))
        r = self.run_client(server.port, "--timeout", "5000")
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertEqual(r.report["error"]["kind"], "truncated_eof")

    def tls_then(self, after):
        def behaviour(c):
            tls = tls_server_context().wrap_socket(c, server_side=True)
            after(tls, c)
        return self.serve(behaviour)

    def test_server_resetting_after_the_handshake_is_exit_6(self):
        server = self.tls_then(lambda tls, c: (time.sleep(0.05), reset(tls)))
        r = self.run_client(server.port, "--timeout", "5000", "--read-timeout", "2000")
        self.assertEqual(r.returncode, 6, r.stderr)
        self.assertIn(r.report["error"]["kind"], ("connection_reset", "truncated_eof"))

    def test_server_half_closing_after_the_handshake_is_a_truncated_eof_exit_6(self):
        server = self.tls_then(lambda tls, c: (tls.sendall(b"bye"), tls.shutdown(socket.SHUT_WR), time.sleep(1)))
        r = self.run_client(server.port, "--timeout", "5000", "--read-timeout", "2000")
        self.assertEqual(r.returncode, 6, r.stderr)
        self.assertEqual(r.report["error"]["kind"], "truncated_eof")
        self.assertEqual(r.report["bytes"]["received"], 3)

    def test_server_stalling_after_the_handshake_hits_the_whole_run_timeout_exit_7(self):
        server = self.tls_then(lambda tls, c: time.sleep(5))
        r = self.run_client(server.port, "--timeout", "800", "--read-bytes", "10", timeout=10)
        self.assertEqual(r.returncode, 7, r.stderr)
        self.assertLess(r.report["timing_ms"]["total"], 2500)

    def test_oversized_record_after_the_handshake_is_refused(self):
        def after(tls, c):
            time.sleep(0.05)
            tls.sendall(b"")  # nothing; the next bytes bypass TLS
            os.write(tls.fileno(), b"\x17\x03\x03" + struct.pack(">H", 18000) + b"\x00" * 18000)
            time.sleep(1)
        server = self.tls_then(after)
        r = self.run_client(server.port, "--timeout", "5000", "--read-timeout", "2000")
        self.assertEqual(r.returncode, 6, r.stderr)
        self.assertEqual(r.report["error"]["kind"], "protocol_error")


class SecureDefaultsTests(unittest.TestCase):
    """Issue 6: no key material in any output, loopback by default."""

    @staticmethod
    def key_lines(path):
        with open(path) as f:
            return [l.strip() for l in f if l.strip() and not l.startswith("-----")]

    def test_no_private_key_material_is_logged_even_at_the_most_verbose_level(self):
        log = tempfile.TemporaryFile(mode="w+")
        proc = subprocess.Popen([ARGS.server, "-vvv", "--port", "0", "--json", "--certfile", cert("server-chain.pem"),
                                 "--keyfile", cert("server.key"), "--cert-reqs", "optional", "--ca-certs",
                                 cert("root-ca.pem"), "--accept", "1"],
                                stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            port = json.loads(proc.stdout.readline())["port"]
            client = subprocess.run([ARGS.client, "-vvv", "--host", "localhost", "--port", str(port), "--cert-reqs",
                                     "required", "--ca-certs", cert("root-ca.pem"), "--certfile",
                                     cert("client-chain.pem"), "--keyfile", cert("client.key"), "--send", "hi",
                                     "--read-bytes", "2", "--show-certs"],
                                    capture_output=True, text=True, timeout=30)
            self.assertEqual(client.returncode, 0, client.stderr)
            server_out, _ = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
        log.seek(0)
        everything = client.stdout + client.stderr + server_out + log.read()
        self.assertGreater(len(client.stderr.splitlines()), 3, "-vvv should log something")
        for key in ("server.key", "client.key"):
            for line in self.key_lines(cert(key)):
                self.assertNotIn(line, everything, f"a line of {key} appeared in the output")
        self.assertNotIn("PRIVATE KEY", everything)

    def test_server_binds_loopback_unless_told_otherwise(self):
        server = Server()
        self.addCleanup(server.stop)
        self.assertEqual(server.listening["address"], "127.0.0.1")

    def test_cert_reqs_none_is_always_flagged_as_not_verified(self):
        server = Server()
        self.addCleanup(server.stop)
        r = subprocess.run([ARGS.client, "--host", "localhost", "--port", str(server.port), "--ca-certs",
                            cert("root-ca.pem")], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("NOT VERIFIED (cert-reqs none)", r.stdout)
        j = subprocess.run([ARGS.client, "--host", "localhost", "--port", str(server.port), "--json"],
                           capture_output=True, text=True, timeout=30)
        report = json.loads(j.stdout)
        self.assertFalse(report["verify"]["verified"])
        self.assertEqual(report["verify"]["mode"], "none")


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--client", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--certs", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
