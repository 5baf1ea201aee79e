#!/usr/bin/env python3
"""The harness of the program tests: ussl-client and ussl-server on loopback.

The tests themselves live in one file per feature, each built on this module:

  test_client.py      ussl-client against ussl-server, handshake modes
  test_verify.py      --cert-reqs on both sides, SNI certificate selection, --chain-file
  test_exit_codes.py  every documented exit code, --expect
  test_server.py      ussl-server's lifecycle, concurrency, data modes
  test_tls_params.py  versions and ciphers, ALPN, key exchange, resumption
  test_report.py      the JSON schema, the key log, --version

(and test_names.py, test_net.py, test_hostile_clients.py). Each runs as
  FILE --client PATH --server PATH --certs DIR [unittest arguments, e.g. a class name]
(or with USSL_CLIENT, USSL_SERVER, USSL_CERTS set); this file run the same way runs the tests of all six,
or the named classes among them. Loopback only; servers bind port 0 and the test reads the port from the
listening line (tests/apps/ussl_proc.py); every subprocess has a timeout and is killed in cleanup; every
loop is bounded.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import types
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import ussl_proc  # noqa: E402

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


class ServerProcess(ussl_proc.UsslServer):
    """ussl-server on 127.0.0.1 port 0 (tests/apps/ussl_proc.py), killed in the test's cleanup."""

    def __init__(self, test, *args, certs=True, json_mode=True, bind=None):
        cmd = [SERVER, "--port", "0"] + (SERVER_CERT if certs else []) + list(args)
        if bind:
            cmd += ["--bind", bind]
        if json_mode:
            cmd.append("--json")
        try:
            super().__init__(cmd, json_mode=json_mode, start_timeout=START_TIMEOUT)
        except ussl_proc.ServerStartError as e:
            raise AssertionError(str(e)) from None
        test.addCleanup(self.kill)


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


# The feature files whose tests `test_apps.py` runs when it is the program started.
FEATURE_MODULES = ["test_client", "test_verify", "test_exit_codes", "test_server", "test_tls_params", "test_report"]


def main():
    """Parses --client/--server/--certs into this module, then runs the tests of the program started: a
    feature file's own, or, for test_apps.py itself, those of every feature file."""
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
    module = sys.modules["__main__"]
    if os.path.abspath(module.__file__) == os.path.abspath(__file__):
        module = types.ModuleType("apps")  # every feature file's test classes, found by name as before
        for name in FEATURE_MODULES:
            for attr, value in vars(__import__(name)).items():
                if isinstance(value, type) and issubclass(value, unittest.TestCase) and value.__module__ == name:
                    setattr(module, attr, value)
    unittest.main(module=module, argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    # Run as a program, this file is `__main__`; the feature files import it as `test_apps`. Parse into that
    # one module so that both see the same paths.
    import test_apps

    test_apps.main()
