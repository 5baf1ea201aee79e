#!/usr/bin/env python3
"""Runs every recipe of docs/ci-recipes.md exactly as written, against real peers.

Run: test_ci_recipes.py --client PATH --server PATH --certs DIR --recipes docs/ci-recipes.md [unittest args]

A recipe is a ```sh block whose first line is `# recipe: NAME`. Each runs with `bash -e -o pipefail` in a
temporary directory holding a `certs` link to the test PKI, with HOST, PORT and the programs on the PATH:
once against an endpoint that behaves (it must exit 0) and, for most, once against one that does not (it
must exit 8: an expectation failed, and said so). A recipe in the document without an endpoint here, or the
reverse, fails the test, so the two cannot drift apart.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import peers  # noqa: E402
from peers import ServerSpec, UsslServer  # noqa: E402

ARGS = None
RECIPE_TIMEOUT = 60


def ussl_server(reqs):
    def start(env):
        args = ["--certfile", env.cert("server-chain.pem"), "--keyfile", env.cert("server.key"), "--cert-reqs",
                reqs, "--ca-certs", env.cert("root-ca.pem")]
        return UsslServer(env, args)
    return start


def peer(server_peer, spec, **kwargs):
    return lambda env: server_peer.start(env, spec, **kwargs)


OPENSSL, GNUTLS, NGINX, _ = peers.SERVER_PEERS

# recipe name: [(what the endpoint is, how to start it (None: the recipe starts its own on PORT), exit status)]
ENDPOINTS = {
    "expired-client-certificate-is-rejected": [
        ("openssl s_server -Verify 1", peer(OPENSSL, ServerSpec(client_auth="required")), 0),
        ("openssl s_server without client authentication", peer(OPENSSL, ServerSpec()), 8),
    ],
    "expired-server-certificate-is-refused": [
        ("gnutls-serv with an expired certificate", peer(GNUTLS, ServerSpec(cert="expired")), 0),
        ("gnutls-serv with a valid certificate", peer(GNUTLS, ServerSpec()), 8),
    ],
    "server-requires-a-client-certificate": [
        ("ussl-server --cert-reqs required", ussl_server("required"), 0),
        ("ussl-server --cert-reqs optional", ussl_server("optional"), 8),
    ],
    "sni-selects-the-certificate": [
        ("nginx with a server block for a.wild.ussl.test",
         peer(NGINX, ServerSpec(), sni={"a.wild.ussl.test": "wildcard"}), 0),
        ("nginx with one certificate", peer(NGINX, ServerSpec()), 8),
    ],
    "tls13-and-resumption": [
        ("nginx", peer(NGINX, ServerSpec()), 0),
        ("nginx limited to TLS 1.2", peer(NGINX, ServerSpec(version="1.2")), 8),
    ],
    "certificate-lasts-and-protocol-is-modern": [
        ("nginx", peer(NGINX, ServerSpec()), 0),
        ("nginx limited to TLS 1.2", peer(NGINX, ServerSpec(version="1.2")), 8),
    ],
    "client-sends-sni-and-offers-h2": [
        ("curl against the recipe's own ussl-server", None, 0),
    ],
}


def kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def read_recipes(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    recipes = {}
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        first = block.split("\n", 1)[0]
        m = re.fullmatch(r"# recipe: ([a-z0-9-]+)", first.strip())
        if m:
            recipes[m.group(1)] = block
    return recipes


class CiRecipeTests(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.recipes = read_recipes(ARGS.recipes)
        cls.workdir = tempfile.mkdtemp(prefix="ussl-recipes-")
        cls.env = peers.Env(ARGS.client, ARGS.server, ARGS.certs, cls.workdir)
        cls.bindir = tempfile.mkdtemp(prefix="bin-", dir=cls.workdir)
        os.symlink(ARGS.client, os.path.join(cls.bindir, "ussl-client"))
        os.symlink(ARGS.server, os.path.join(cls.bindir, "ussl-server"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.workdir, ignore_errors=True)

    def run_recipe(self, name, port):
        cwd = tempfile.mkdtemp(prefix="recipe-", dir=self.workdir)
        os.symlink(ARGS.certs, os.path.join(cwd, "certs"))
        env = dict(os.environ, HOST="localhost", PORT=str(port),
                   PATH=self.bindir + os.pathsep + os.environ.get("PATH", ""))
        env.pop("SSLKEYLOGFILE", None)
        proc = subprocess.Popen(["bash", "-e", "-o", "pipefail", "-c", self.recipes[name]], cwd=cwd, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            out, err = proc.communicate(timeout=RECIPE_TIMEOUT)
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            kill_group(proc.pid)
            out, err = proc.communicate()
            rc = "timeout"
        finally:
            kill_group(proc.pid)  # what the recipe started in the background, if it stopped early
        return rc, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

    def test_every_recipe_in_the_document_has_endpoints_and_every_endpoint_a_recipe(self):
        self.assertEqual(sorted(self.recipes), sorted(ENDPOINTS))

    def check(self, name):
        if name not in self.recipes:
            self.skipTest(f"docs/ci-recipes.md has no recipe {name} (the test above fails)")
        for what, start, status in ENDPOINTS[name]:
            with self.subTest(endpoint=what):
                running = start(self.env) if start else None
                try:
                    port = running.port if running else peers.free_port()
                    rc, out, err = self.run_recipe(name, port)
                finally:
                    if running:
                        running.stop()
                self.assertEqual(rc, status, f"recipe {name} against {what}: exit {rc}, expected {status}\n"
                                             f"stdout:\n{out}\nstderr:\n{err}")
                if status == 8:
                    self.assertRegex(out, r"expect +FAILED", "the failed expectation is named")


def add_recipe_tests():
    for name in ENDPOINTS:
        method = f"test_recipe_{name.replace('-', '_')}"
        setattr(CiRecipeTests, method, lambda self, name=name: self.check(name))


add_recipe_tests()


def main():
    global ARGS
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--client", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--certs", required=True)
    parser.add_argument("--recipes", required=True)
    ARGS, rest = parser.parse_known_args()
    ARGS.client = os.path.abspath(ARGS.client)
    ARGS.server = os.path.abspath(ARGS.server)
    ARGS.certs = os.path.abspath(ARGS.certs)
    peers.PORT_SLICE = (1, 2)  # never a port the matrix may pick at the same time
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
