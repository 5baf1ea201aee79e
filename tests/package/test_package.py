#!/usr/bin/env python3
"""Install and package tests: what a packager or a user of find_package(ussl)
does with a build tree.

Usage: test_package.py SOURCE_DIR BUILD_DIR
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

SOURCE = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else None
BUILD = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None
CERTS = os.path.join(SOURCE or ".", "certs")


def run(cmd, timeout=300, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
                          check=False, **kw)


class InstallTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ussl-install-")
        cls.prefix = os.path.join(cls.tmp, "prefix")
        r = run(["cmake", "--install", BUILD, "--prefix", cls.prefix])
        if r.returncode != 0:
            raise AssertionError("cmake --install failed:\n" + r.stdout)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_installs_programs_library_headers_man_pages_and_completions(self):
        for rel in ("bin/ussl-client", "bin/ussl-server", "bin/ussl-bench", "lib/libussl.a",
                    "include/ussl/ussl.hpp", "include/ussl/socket.hpp", "lib/cmake/ussl/ussl-config.cmake",
                    "lib/pkgconfig/ussl.pc", "share/man/man1/ussl-client.1", "share/man/man1/ussl-server.1",
                    "share/bash-completion/completions/ussl-client",
                    "share/bash-completion/completions/ussl-server", "share/doc/ussl/LICENSE",
                    "share/doc/ussl/copyright"):
            self.assertTrue(os.path.exists(os.path.join(self.prefix, rel)), rel)
        self.assertFalse(os.path.exists(os.path.join(self.prefix, "include/ussl/internal.hpp")))

    def test_a_consumer_project_builds_with_find_package_and_runs(self):
        build = os.path.join(self.tmp, "consumer-cmake")
        r = run(["cmake", "-S", os.path.join(SOURCE, "tests/package/consumer"), "-B", build,
                 "-DCMAKE_PREFIX_PATH=" + self.prefix])
        self.assertEqual(r.returncode, 0, r.stdout)
        r = run(["cmake", "--build", build, "-j2"])
        self.assertEqual(r.returncode, 0, r.stdout)
        r = run([os.path.join(build, "ussl_consumer"), os.path.join(CERTS, "server-chain.pem"),
                 os.path.join(CERTS, "server.key")], timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertRegex(r.stdout, r"^ussl consumer: context ok, wolfSSL \d+\.\d+\.\d+, cert_expired$")

    def test_a_consumer_builds_with_pkg_config_and_runs(self):
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(self.prefix, "lib/pkgconfig"))
        r = run(["pkg-config", "--cflags", "--libs", "ussl"], env=env)
        self.assertEqual(r.returncode, 0, r.stdout)
        exe = os.path.join(self.tmp, "consumer-pc")
        r = run(["g++", "-std=c++20", os.path.join(SOURCE, "tests/package/consumer/main.cpp"), "-o", exe]
                + r.stdout.split(), env=env)
        self.assertEqual(r.returncode, 0, r.stdout)
        r = run([exe, os.path.join(CERTS, "server-chain.pem"), os.path.join(CERTS, "server.key")], timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout)

    def test_bash_completion_offers_exactly_the_flags_of_help(self):
        for program in ("ussl-client", "ussl-server"):
            exe = os.path.join(self.prefix, "bin", program)
            help_text = run([exe, "--help"], timeout=30).stdout
            help_flags = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?=[ ,\n])", help_text))
            with open(os.path.join(self.prefix, "share/bash-completion/completions", program)) as f:
                script = f.read()
            words = re.search(r'compgen -W "([^"]*)" -- "\$cur"\)\)\n}', script).group(1).split()
            self.assertEqual(set(words), help_flags, program)
            r = run(["bash", "-c", "source '%s' && COMP_WORDS=(%s --cert-r) COMP_CWORD=1 && _%s && echo "
                     "${COMPREPLY[*]}" % (os.path.join(self.prefix, "share/bash-completion/completions", program),
                                          program, program.replace("-", "_"))], timeout=30)
            self.assertEqual(r.stdout.strip(), "--cert-reqs", program)
            r = run(["bash", "-c", "source '%s' && COMP_WORDS=(%s --cert-reqs o) COMP_CWORD=2 && _%s && echo "
                     "${COMPREPLY[*]}" % (os.path.join(self.prefix, "share/bash-completion/completions", program),
                                          program, program.replace("-", "_"))], timeout=30)
            self.assertEqual(r.stdout.strip(), "optional", program)

    def test_man_page_is_made_from_the_program_help(self):
        with open(os.path.join(self.prefix, "share/man/man1/ussl-client.1")) as f:
            page = f.read()
        self.assertIn("\\-\\-cert\\-reqs", page)
        self.assertIn(".TH USSL-CLIENT \"1\"", page)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DebianPackageTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ussl-deb-")
        r = run(["cpack", "-G", "DEB", "-B", cls.tmp], cwd=BUILD, timeout=600)
        if r.returncode != 0:
            raise AssertionError("cpack failed:\n" + r.stdout)
        debs = sorted(f for f in os.listdir(cls.tmp) if f.endswith(".deb"))
        if len(debs) != 2:
            raise AssertionError("cpack made %r, not the programs' and the library's packages" % debs)
        cls.dev_deb, cls.deb = (os.path.join(cls.tmp, d) for d in debs)  # libussl-dev_…, ussl_…
        cls.root = os.path.join(cls.tmp, "root")
        cls.dev_root = os.path.join(cls.tmp, "dev-root")
        for deb, root in ((cls.deb, cls.root), (cls.dev_deb, cls.dev_root)):
            r = run(["dpkg-deb", "-x", deb, root])
            if r.returncode != 0:
                raise AssertionError("dpkg-deb -x failed:\n" + r.stdout)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_packages_are_named_as_debian_names_them(self):
        self.assertRegex(os.path.basename(self.deb), r"^ussl_\d+\.\d+\.\d+_amd64\.deb$")
        self.assertRegex(os.path.basename(self.dev_deb), r"^libussl-dev_\d+\.\d+\.\d+_amd64\.deb$")

    def assert_depends_met(self, deb):
        depends = run(["dpkg-deb", "-f", deb, "Depends"]).stdout.strip()
        self.assertTrue(depends, f"{deb} declares no Depends")
        # dpkg's own relation checker: versions, alternatives and virtual
        # packages, against the Debian 12 packages installed here.
        control = os.path.join(self.tmp, "control")
        with open(control, "w") as f:
            f.write("Source: ussl-depends-check\n\nPackage: ussl-depends-check\nArchitecture: any\n")
        r = run(["dpkg-checkbuilddeps", "-d", depends, control])
        self.assertEqual(r.returncode, 0, "Depends: %s\n%s" % (depends, r.stdout))
        with open("/etc/debian_version") as f:
            self.assertTrue(f.read().startswith("12"), "not a Debian 12 system")
        return depends

    def test_every_dependency_is_met_by_this_debian_12_system(self):
        self.assertIn("libc6", self.assert_depends_met(self.deb))
        self.assertIn("libpsl-dev", self.assert_depends_met(self.dev_deb))

    def test_the_programs_package_holds_no_library_and_the_library_package_no_program(self):
        def files(root):
            return {os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs}
        programs, dev = files(self.root), files(self.dev_root)
        self.assertIn("usr/bin/ussl-client", programs)
        self.assertIn("usr/share/doc/ussl/copyright", programs)
        self.assertFalse([f for f in programs if f.endswith(".a") or f.startswith("usr/include")], programs)
        for f in ("usr/lib/libussl.a", "usr/include/ussl/ussl.hpp", "usr/lib/pkgconfig/ussl.pc",
                  "usr/lib/cmake/ussl/ussl-config.cmake", "usr/share/doc/libussl-dev/copyright"):
            self.assertIn(f, dev)
        self.assertFalse([f for f in dev if f.startswith("usr/bin")], dev)

    def test_the_packaged_programs_are_stripped(self):
        for program in ("ussl-client", "ussl-server", "ussl-bench"):
            sections = run(["readelf", "-S", "-W", os.path.join(self.root, "usr/bin", program)]).stdout
            self.assertIn(".text", sections, program)
            for section in (".symtab", ".debug_info"):
                self.assertFalse(section in sections, f"{program} still has {section}")

    def test_programs_run_from_the_unpacked_package(self):
        r = run([os.path.join(self.root, "usr/bin/ussl-client"), "--version"], timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertRegex(r.stdout, r"^ussl-client \d+\.\d+\.\d+ \(wolfSSL ")

    def test_the_demo_runs_from_the_unpacked_package(self):
        server = subprocess.Popen([os.path.join(self.root, "usr/bin/ussl-server"), "--certfile",
                                   os.path.join(CERTS, "server-chain.pem"), "--keyfile",
                                   os.path.join(CERTS, "server.key"), "--port", "0", "--accept", "1", "--json"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            line = server.stdout.readline()
            port = int(re.search(r'"port":(\d+)', line).group(1))
            r = run([os.path.join(self.root, "usr/bin/ussl-client"), "--host", "localhost", "--port", str(port),
                     "--cert-reqs", "required", "--ca-certs", os.path.join(CERTS, "root-ca.pem"), "--send", "hi",
                     "--read-bytes", "2", "--json"], timeout=30)
            self.assertEqual(r.returncode, 0, r.stdout)
            self.assertIn('"result":"ok"', r.stdout.replace(" ", ""))
        finally:
            server.kill()
            server.wait(timeout=10)
            server.stdout.close()


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
