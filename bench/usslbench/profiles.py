"""CPU profiles (perf record on the server, or on whole ussl-client runs) and a heap profile (massif)."""

import os
import shutil
import signal
import subprocess
import time

from .proc import children, run, spawn, stop
from .readings import parse_massif_peak, perf_breakdown


def perf_ok(B):
    if not shutil.which("perf"):
        return False
    r = run(["perf", "record", "-e", "cpu-clock", "-o", os.path.join(B.tmp, "probe.data"), "true"], timeout=30)
    return r.returncode == 0


def profile_perf(B, srv, name, workload):
    data = os.path.join(B.out, f"perf-{name}.data")
    p = spawn(["perf", "record", "-e", "cpu-clock", "-F", "2000", "-g", "-p", str(srv.pid), "-o", data],
              role="client", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        workload()
    finally:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            stop(p)
        if p in children:
            children.remove(p)
    perf_report(B, name, data)


def perf_report(B, name, data, extra=()):
    prof = {}
    for sort, limit in (("dso", 1.0), ("dso,sym", 1.5)):
        r = run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", sort, "-g", "none",
                 "--percent-limit", str(limit)] + list(extra), timeout=120)
        lines = [ln.rstrip()[:150] for ln in r.stdout.decode(errors="replace").splitlines()
                 if ln.strip() and not ln.startswith("#")]
        prof[sort] = lines[:14]
    r = run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", "dso,sym", "-g", "none",
             "--percent-limit", "0"] + list(extra), timeout=120)
    prof["breakdown"] = perf_breakdown(r.stdout.decode(errors="replace"))
    B.R["profiles"][name] = prof
    B.log(f"profile {name}: " + "; ".join(x.strip() for x in prof["dso,sym"][:4]))


def profile_client(B, fl, bindir):
    """perf over ten one-shot ussl-client runs (whole processes, start to exit)."""
    srv = B.gnutls_server("ecdsa", ["--http"])
    data = os.path.join(B.out, f"perf-oneshot-client-{fl}.data")
    cmd = (f"for i in 1 2 3 4 5 6 7 8 9 10; do '{os.path.join(bindir, 'ussl-client')}' --host 127.0.0.1 "
           f"--port {srv.port} --server-hostname localhost --cert-reqs required --ca-certs "
           f"'{os.path.join(B.certs, 'root-ca.pem')}' --read-timeout 0 -q >/dev/null; done")
    try:
        run(["perf", "record", "-e", "cpu-clock", "-F", "10000", "-g", "-o", data, "--", "sh", "-c", cmd],
            timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finally:
        srv.stop()
    perf_report(B, f"oneshot-client-{fl}", data)


def profiles(B):
    if B.a.no_profile:
        return
    if not perf_ok(B):
        B.note("perf record does not work here: no CPU profiles")
    else:
        n = "300" if B.a.quick else "2000"
        for fl, _ in B.flavours:
            if fl == B.base:
                continue  # the baseline is measured, not profiled
            for cert in ("ecdsa", "rsa"):
                srv = B.ussl_server(fl, cert)
                try:
                    B.ussl_bench(srv.port, ["--count", "50", "-c", "4"])
                    profile_perf(B, srv, f"full-{cert}-{fl}",
                                      lambda s=srv: B.ussl_bench(s.port, ["--count", n, "-c", "4"]))
                finally:
                    srv.stop()
            dl = (32 if B.a.quick else 256) << 20
            srv = B.ussl_server(fl, "ecdsa", ["--mode", "source", "--source-bytes", str(dl), "--ciphers",
                                              "TLS13-AES128-GCM-SHA256"])
            try:
                profile_perf(B, srv, f"download-{fl}", lambda s=srv: run(
                    ["curl", "-sk", "--http0.9", "-o", "/dev/null", "--speed-limit", "1", "--speed-time", "3",
                     "--max-time", "60", f"https://127.0.0.1:{s.port}/"], timeout=90))
            finally:
                srv.stop()
            srv = B.ussl_server(fl, "ecdsa", ["--mode", "discard", "--ciphers", "TLS13-AES128-GCM-SHA256"])
            up = os.path.join(B.tmp, "upload")
            try:
                def upload(s=srv):
                    with open(up, "rb") as f:
                        run(["openssl", "s_client", "-connect", f"127.0.0.1:{s.port}", "-ciphersuites",
                             "TLS_AES_128_GCM_SHA256", "-no-CAfile", "-no-CApath", "-no-CAstore"], timeout=120,
                            stdin=f, stdout=subprocess.DEVNULL)
                profile_perf(B, srv, f"upload-{fl}", upload)
            finally:
                srv.stop()
            profile_client(B, fl, dict(B.flavours)[fl])
    if shutil.which("valgrind") and shutil.which("ms_print"):
        for fl, _ in B.flavours:
            if fl == B.base:
                continue
            massif(B, fl)
    else:
        B.note("no valgrind: no heap profile")


def massif(B, fl):
    """Heap profile of ussl-server holding idle connections: who allocates them."""
    n = 50 if B.a.quick else 200
    mf = os.path.join(B.out, f"massif-{fl}.out")
    srv = B.ussl_server(fl, "ecdsa", wrapper=["valgrind", "--tool=massif", f"--massif-out-file={mf}",
                                              "--threshold=1.0", "--detailed-freq=1", "--max-snapshots=60"])
    p = None
    try:
        p, first = B.hold(srv, n, concurrency=4)
        time.sleep(1.0)
        if p is not None:
            B.release(p)
            p = None
    finally:
        if p is not None:
            stop(p)
        srv.proc.send_signal(signal.SIGTERM)
        try:
            srv.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
        srv.stop()
    if not os.path.exists(mf):
        B.note(f"massif [{fl}]: no output")
        return
    r = run(["ms_print", mf], timeout=60)
    text = r.stdout.decode(errors="replace")
    B.R["profiles"][f"massif-{fl}"] = {"held": n, "peak": parse_massif_peak(text, n)}
    B.log(f"massif [{fl}]: " + " | ".join(B.R["profiles"][f"massif-{fl}"]["peak"][:3]))
