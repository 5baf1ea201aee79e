"""The command line of bench/run.py and the order of the steps."""

import argparse
import datetime
import json
import os
import resource
import sys
import time

from . import doc, plot, profiles, proc, rows_bulk, rows_client, rows_handshake, rows_memory, table
from .peers import Bench
from .readings import loadavg, machine_info


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--flavour", action="append", required=True, help="NAME=BINDIR")
    ap.add_argument("--netns", default="none")
    ap.add_argument("--build-notes")
    ap.add_argument("--build-seconds", type=int, default=0)
    ap.add_argument("--hold", type=int, default=10000)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--no-doc", action="store_true")
    ap.add_argument("--base", help="NAME=BINDIR: the programs of an older commit, measured as one more flavour")
    ap.add_argument("--base-rev", help="the revision --base was built from, as given to bench/run.sh --baseline")
    a = ap.parse_args()

    t_start = time.monotonic()
    # Descriptors for the held connections (children inherit the limit).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    need = a.hold + 100
    if hard < need:
        print(f"bench: RLIMIT_NOFILE hard limit {hard} < {need}: holding {hard - 200} connections instead of "
              f"{a.hold}", file=sys.stderr)
        a.hold = max(100, hard - 200)
    # The box is shared: measured processes get a higher priority than other work when we may give it.
    if os.geteuid() == 0:
        proc.nice["value"] = -10
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) >= 2:
        proc.pin["server"], proc.pin["client"] = cpus[0], cpus[1]
        os.sched_setaffinity(0, {cpus[1]})  # the harness itself stays off the servers' CPU
        pinning = f"servers on CPU {cpus[0]}, clients (and this harness) on CPU {cpus[1]} (sched_setaffinity)"
    else:
        pinning = "one CPU only: no pinning, servers and clients share it"

    B = Bench(a)
    B.R["meta"] = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "bench/run.sh " + " ".join(
            (["--wolfssl " + ("both" if len(B.flavours) - bool(B.base) > 1 else B.flavours[-1][0])]) +
            ([f"--baseline {a.base_rev}"] if B.base else []) +
            (["--quick"] if a.quick else []) + (["--no-profile"] if a.no_profile else []) +
            ([f"--hold {a.hold}"] if a.hold != 10000 else [])),
        "git": doc.git_info(a.root), "netns": a.netns, "base_rev": a.base_rev,
        "pinning": pinning + (f"; measured processes at nice {proc.nice['value']}" if proc.nice["value"] else ""),
        "machine": machine_info(),
        "cpu": machine_info().get("Model name", "?") + f", {os.cpu_count()} CPUs",
        "load_start": loadavg(), "build_seconds": a.build_seconds,
        "build_notes": open(a.build_notes).read().splitlines() if a.build_notes and os.path.exists(a.build_notes) else [],
        "versions": doc.tool_versions(B),
        "counts": {"full ECDSA handshakes per round": 300 if a.quick else 3000, "ECDSA rounds": 1 if a.quick else 3,
                   "full RSA handshakes per round": 200 if a.quick else 1500, "RSA rounds": 1 if a.quick else 3,
                   "resumed per round": 300 if a.quick else 3000, "bulk rounds": 1 if a.quick else 3,
                   "held": 300 if a.quick else a.hold, "one-shot runs": 5 if a.quick else 30,
                   "mutual-TLS handshakes per round": 300 if a.quick else 2000,
                   "mutual-TLS rounds": 1 if a.quick else 3},
    }
    B.log(f"flavours: {B.flavours}; load client: {B.bench_bin}; {pinning}; load {loadavg()}")
    steps = [("handshakes", lambda: rows_handshake.handshake_rows(B)),
             ("mutual TLS", lambda: rows_handshake.mtls_row(B)),
             ("post-quantum", lambda: rows_handshake.pq_rows(B)), ("bulk", lambda: rows_bulk.bulk_rows(B)),
             ("memory+scale", lambda: rows_memory.memory_scale_rows(B, not a.no_profile and profiles.perf_ok(B))),
             ("one-shot", lambda: rows_client.oneshot_row(B)), ("scan", lambda: rows_client.scan_row(B)),
             ("profiles", lambda: profiles.profiles(B))]
    for name, fn in steps:
        t0 = time.monotonic()
        try:
            fn()
        except Exception as e:  # one broken step must not lose the others
            import traceback
            traceback.print_exc()
            B.note(f"step {name} failed: {type(e).__name__}: {e}")
        B.log(f"step {name}: {time.monotonic() - t0:.0f} s")
        proc.stop_all()
    B.R["meta"]["load_end"] = loadavg()
    B.R["meta"]["runtime_s"] = time.monotonic() - t_start
    rows = table.build_table(B)
    B.R["table"] = rows
    B.R["baseline_table"] = table.baseline_rows(B)
    table.print_table(rows)
    table.print_baseline(B, B.R["baseline_table"])
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(B.R, f, indent=1, default=str)
    if not a.no_doc:
        png = os.path.join(a.root, "docs", "performance.png")
        png_ok = plot.write_plot(B, png)
        doc.write_doc(B, rows, os.path.join(a.root, "docs", "performance.md"), png_ok)
        B.log(f"wrote docs/performance.md{' and docs/performance.png' if png_ok else ''}")
    else:
        png_ok = plot.write_plot(B, os.path.join(a.out, "performance.png"))
    B.log(f"results: {os.path.join(a.out, 'results.json')}; {B.R['meta']['runtime_s']:.0f} s")
