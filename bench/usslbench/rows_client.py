"""Row 6 (one-shot verified client, exec to exit) and row 8 (a full scan against sslscan and testssl.sh)."""

import json
import os
import shutil
import subprocess
import time

from .proc import run
from .stats import fmt, med, pct


def oneshot_row(B):
    """Against gnutls-serv --http (the table row) and, for information, ussl-server --mode http."""
    a = B.a
    runs = 5 if a.quick else 30
    ca = os.path.join(B.certs, "root-ca.pem")
    bad_ca = os.path.join(B.certs, "untrusted-root-ca.pem")

    def ussl_client(bindir, port, ca_file):
        return [os.path.join(bindir, "ussl-client"), "--host", "127.0.0.1", "--port", str(port), "--server-hostname",
                "localhost", "--cert-reqs", "required", "--ca-certs", ca_file, "--read-timeout", "0", "-q"]

    flavours = []  # those whose ussl-client has every flag
    for fl, bindir in B.flavours:
        missing = B.unsupported(fl, "ussl-client", ussl_client(bindir, 1, ca)[1:])
        if missing:
            B.skip("oneshot", fl, f"its ussl-client has no {' '.join(missing)}")
        else:
            flavours.append((fl, bindir))

    def clients(port, ca_file):
        c = {f"ussl-client [{fl}]": ussl_client(bindir, port, ca_file) for fl, bindir in flavours}
        c["curl"] = ["curl", "-sS", "--cacert", ca_file, "--resolve", f"localhost:{port}:127.0.0.1", "-o",
                     "/dev/null", f"https://localhost:{port}/"]
        c["openssl s_client"] = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername",
                                 "localhost", "-verify_hostname", "localhost", "-CAfile", ca_file,
                                 "-verify_return_error", "-brief", "-no-CApath", "-no-CAstore"]
        c["gnutls-cli"] = ["gnutls-cli", "--x509cafile", ca_file, "--sni-hostname", "localhost",
                           "--verify-hostname", "localhost", "-p", str(port), "127.0.0.1"]
        return c

    def measure(srv, n, negative_check):
        good, bad = clients(srv.port, ca), clients(srv.port, bad_ca)
        times = {k: [] for k in good}
        failures = {k: 0 for k in good}
        negative = {}
        if negative_check:  # verification is really on: a wrong trust anchor fails
            for name, argv in bad.items():
                r = run(argv, timeout=15, stdin=subprocess.DEVNULL)
                negative[name] = r.returncode
                if r.returncode == 0:
                    B.note(f"{name} succeeded with an untrusted root: it does not verify as invoked")
        for name, argv in good.items():  # warm the page cache
            run(argv, timeout=15, stdin=subprocess.DEVNULL)
        for _ in range(n):
            for name, argv in good.items():
                t0 = time.perf_counter()
                r = run(argv, timeout=15, stdin=subprocess.DEVNULL)
                dt = (time.perf_counter() - t0) * 1000
                if r.returncode == 0:
                    times[name].append(dt)
                else:
                    failures[name] += 1
        res = {}
        for name, ts in times.items():
            res[name] = {"runs": len(ts), "failures": failures[name], "median_ms": med(ts),
                         "p10_ms": pct(ts, 10), "p90_ms": pct(ts, 90), "min_ms": min(ts) if ts else None,
                         "times_ms": ts, "negative_check_exit": negative.get(name), "argv": good[name]}
            B.log(f"one-shot vs {srv.name:18} {name:22} median {fmt(med(ts), 'ms')} (p10 "
                  f"{fmt(pct(ts, 10), 'ms')}, p90 {fmt(pct(ts, 90), 'ms')}), {failures[name]} failed"
                  + (f"; untrusted root -> exit {negative.get(name)}" if negative_check else ""))
        return res, good

    srv = B.gnutls_server("ecdsa", ["--http"])
    try:
        res, good = measure(srv, runs, True)
        # ussl-client's default (no drain without a CertificateRequest): shown for information.
        dflt = [x for x in good[f"ussl-client [{B.flavours[-1][0]}]"] if x not in ("--read-timeout", "0")]
        dts = []
        for _ in range(3 if a.quick else 5):
            t0 = time.perf_counter()
            run(dflt, timeout=15, stdin=subprocess.DEVNULL)
            dts.append((time.perf_counter() - t0) * 1000)
    finally:
        srv.stop()
    B.R["rows"]["oneshot"] = {"server": srv.name + " --http", "runs": runs, "clients": res,
                              "ussl_client_default_read_timeout_ms": {"median_ms": med(dts), "runs": len(dts)}}
    fl = B.flavours[-1][0]
    srv = B.ussl_server(fl, "ecdsa", ["--mode", "http"])
    try:
        res, _ = measure(srv, 3 if a.quick else 10, False)
    finally:
        srv.stop()
    B.R["rows"]["oneshot_vs_ussl"] = {"server": srv.name + " --mode http", "runs": 3 if a.quick else 10,
                                      "clients": res}


def scan_row(B):
    """openssl s_server -www (RSA, its defaults: TLS 1.2 + 1.3) on loopback; wall time per full scan."""
    a = B.a
    runs = 3 if a.quick else 5
    srv = B.openssl_server("rsa", ["-www"])
    res = {}
    try:
        tools = {}
        for fl, bindir in B.flavours:
            argv = [os.path.join(bindir, "ussl-client"), "--host", "127.0.0.1", "--port", str(srv.port), "--scan",
                    "--json", "-q"]
            missing = B.unsupported(fl, "ussl-client", argv[1:])
            if missing:
                B.skip("scan", fl, f"its ussl-client has no {' '.join(missing)}")
                continue
            tools[f"ussl-client --scan [{fl}]"] = argv
        if shutil.which("sslscan"):
            tools["sslscan"] = ["sslscan", "--no-colour", f"127.0.0.1:{srv.port}"]
        testssl = shutil.which("testssl") or shutil.which("testssl.sh")
        if testssl and not a.quick:
            tools["testssl.sh"] = [testssl, "--quiet", "--color", "0", f"127.0.0.1:{srv.port}"]
        elif testssl:
            B.note("scan row: testssl.sh skipped in --quick (its default run takes minutes)")
        for name, argv in tools.items():
            n = 1 if name == "testssl.sh" else runs
            times, codes, found = [], [], None
            for _ in range(n):
                t0 = time.perf_counter()
                r = run(argv, timeout=1800, stdin=subprocess.DEVNULL, cwd=B.tmp)
                times.append(time.perf_counter() - t0)
                codes.append(r.returncode)
                if name.startswith("ussl-client"):
                    scan = json.loads(r.stdout.decode().strip().splitlines()[-1])["scan"]
                    found = {"versions": [k for k, v in scan["versions"].items() if v == "accepted"],
                             "suites": {k: len(v) for k, v in scan["suites"].items() if isinstance(v, list)},
                             "connections": scan["connections"]}
            res[name] = {"runs": n, "median_s": med(times), "times_s": times, "exit_codes": codes,
                         "argv": argv, "found": found}
            B.log(f"scan: {name:28} median {fmt(med(times), 's', 2)} over {n} run(s), exit {codes}")
    finally:
        srv.stop()
    B.R["rows"]["scan"] = {"server": "openssl s_server -www (RSA-2048, defaults)", "tools": res}
