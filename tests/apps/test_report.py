#!/usr/bin/env python3
"""The report as a contract: the JSON schema, the key log, and --version.

Run: test_report.py --client PATH --server PATH --certs DIR [unittest arguments, e.g. a class name]
(test_apps.py's harness: servers on port 0, bounded runs, every process stopped in cleanup).
"""

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import schema_check  # noqa: E402
import test_apps  # noqa: E402
from test_apps import (AppTestCase, RUN_TIMEOUT, SERVER_CERT, TRUST, cert)  # noqa: E402


class SchemaTests(AppTestCase):
    """docs/schema/*.schema.json describe what the programs print, key for key and in order."""

    def schema(self, name):
        with open(os.path.join(os.path.dirname(test_apps.CERTS), "docs", "schema", name)) as f:
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
        p = subprocess.run([test_apps.SERVER, "--port", "0", "--json", "--certfile", cert("missing.pem"), "--keyfile",
                            cert("server.key")], capture_output=True, text=True, timeout=RUN_TIMEOUT)
        self.assert_conforms(json.loads(p.stdout), schema)

    def test_the_checker_finds_a_key_the_schema_does_not_have(self):
        schema = self.schema("client-report.schema.json")
        r = self.client("--host", "localhost", "--port", 1)
        r.report["tls"]["extra"] = 1
        del r.report["sni"]
        self.assertEqual(schema_check.problems(r.report, schema),
                         ["$: missing key 'sni'", "$.tls: key 'extra' is not in the schema"])


class KeyLogAndVersionTests(AppTestCase):
    def features(self):
        p = subprocess.run([test_apps.CLIENT, "--version", "--json"], capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 0)
        return json.loads(p.stdout)

    def test_version_json_lists_the_wolfssl_features(self):
        for prog in (test_apps.CLIENT, test_apps.SERVER):
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
            p = subprocess.run([test_apps.SERVER, *SERVER_CERT, "--port", "0", "--accept", "1", "--keylog", path],
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
            procs = [subprocess.Popen([test_apps.CLIENT, "--host", "localhost", "--port", str(srv.port), "--json"],
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


if __name__ == "__main__":
    test_apps.main()
