#!/usr/bin/env python3
"""ussl-bench smoke tests on loopback: it loads a real ussl-server, uses the
shared option building (IANA cipher names) and exits with its own codes.

Usage: test_bench.py --bench B --server S --certs DIR
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import ussl_proc  # noqa: E402

ARGS = None


def run(cmd, timeout=60):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout,
                          check=False)


class BenchTests(unittest.TestCase):
    def start_server(self, accept):
        cert = os.path.join(ARGS.certs, "server-chain.pem")
        key = os.path.join(ARGS.certs, "server.key")
        # ussl_proc reads the server's events in a thread: an undrained 64 KiB pipe would stop it mid-run.
        srv = ussl_proc.UsslServer([ARGS.server, "--certfile", cert, "--keyfile", key, "--port", "0", "--accept",
                                    str(accept), "--json"])
        self.addCleanup(srv.kill)
        return srv.port

    def test_bench_completes_every_connection_against_ussl_server(self):
        port = self.start_server(20)
        r = run([ARGS.bench, "--port", str(port), "--count", "20", "-c", "4", "--json"])
        self.assertEqual(r.returncode, 0, r.stderr)
        report = json.loads(r.stdout)
        self.assertEqual(report["connections"], {"ok": 20, "failed": 0, "resumed": 0})
        self.assertTrue(report["ok"])
        self.assertEqual(report["negotiated"]["version"], "TLSv1.3")

    def test_bench_takes_iana_cipher_names_as_the_client_does(self):
        port = self.start_server(2)
        r = run([ARGS.bench, "--port", str(port), "--count", "2", "-c", "1", "--tls-version", "1.2", "--ciphers",
                 "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "--json"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["negotiated"],
                         {"version": "TLSv1.2", "cipher": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"})

    def test_bench_exits_10_when_connections_fail(self):
        with socket.socket() as s:  # a port nobody listens on once closed
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        r = run([ARGS.bench, "--port", str(port), "--count", "3", "-c", "1", "--json"])
        self.assertEqual(r.returncode, 10, r.stderr)
        report = json.loads(r.stdout)
        self.assertEqual(report["connections"]["ok"], 0)
        self.assertEqual(report["connections"]["failed"], 3)

    def test_bench_usage_error_is_one_line_and_exit_2(self):
        r = run([ARGS.bench, "--concurrency", "0"])
        self.assertEqual(r.returncode, 2)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertRegex(r.stderr, r"^ussl-bench: error: usage: ")

    def test_bench_unknown_cipher_name_is_a_configuration_error(self):
        r = run([ARGS.bench, "--ciphers", "TLS_NO_SUCH_SUITE", "--count", "1"])
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("TLS_NO_SUCH_SUITE", r.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--certs", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
