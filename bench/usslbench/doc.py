"""docs/performance.md: the table, what the profiles say, the details of every row, the method."""

import json
import os
import re
import subprocess

from .rows_memory import SCALE_INFLIGHT
from .stats import fmt, fmt_us, md_escape, med


def tool_versions(B):
    v = {}

    def first(argv):
        try:
            r = subprocess.run(argv, capture_output=True, timeout=10, text=True)
            return (r.stdout or r.stderr).strip().splitlines()[0]
        except Exception:
            return "n/a"

    v["openssl"] = first(["openssl", "version"])
    v["gnutls-serv"] = first(["gnutls-serv", "--version"])
    v["curl"] = first(["curl", "--version"])
    for fl, bindir in B.flavours:
        try:
            r = subprocess.run([os.path.join(bindir, "ussl-client"), "--version", "--json"], capture_output=True,
                               timeout=10, text=True)
            v[f"ussl [{fl}]"] = json.loads(r.stdout)
        except Exception:
            v[f"ussl [{fl}]"] = first([os.path.join(bindir, "ussl-client"), "--version"])
    return v


def git_info(root):
    def g(*args):
        try:
            return subprocess.run(["git", "-C", root] + list(args), capture_output=True, timeout=10,
                                  text=True).stdout.strip()
        except Exception:
            return ""

    head = g("rev-parse", "--short", "HEAD")
    dirty = bool(g("status", "--porcelain", "--untracked-files=no"))
    return head + (" (with uncommitted changes)" if dirty else "")


def _top_sym(prof):
    for ln in prof.get("dso,sym", []):
        m = re.match(r"^\s*(\d+\.\d+)%\s+(\S+)\s+\[.\]\s+(.*)$", ln)
        if m:
            return float(m.group(1)), m.group(3)
    return None, None


def _share(prof, label_start):
    for ln in prof.get("breakdown", []):
        m = re.match(r"^\s*(\d+\.\d+)%\s+(.*)$", ln)
        if m and m.group(2).startswith(label_start):
            return float(m.group(1))
    return 0.0


def derive_findings(B):
    """Plain statements computed from this run's figures; nothing here is a constant."""
    R, P, out = B.R["rows"], B.R["profiles"], []
    for fl, _ in B.flavours:
        me = f"ussl-server [{fl}]"
        dlp = P.get(f"download-{fl}")
        bulk = R.get("bulk", {}).get("servers", {})
        mine = [m for m in bulk.get(me, []) if m.get("complete")]
        peer = [m for m in bulk.get("openssl s_server", []) if m.get("complete")]
        if dlp and mine and peer:
            pct_top, sym = _top_sym(dlp)
            out.append(f"[{fl}] Download: ussl-server used {med([m['server_cpu_s_per_gib'] for m in mine]):.2f} s of "
                       f"CPU per GiB against s_server's {med([m['server_cpu_s_per_gib'] for m in peer]):.2f} s. In its "
                       f"profile the top symbol is `{sym}` with {pct_top:.1f}% of the samples; wolfSSL (TLS + crypto) "
                       f"takes {_share(dlp, 'wolfSSL'):.1f}%, the kernel {_share(dlp, 'kernel'):.1f}%.")
        upr = R.get("upload", {}).get("servers", {})
        if upr.get(me) and upr.get("openssl s_server"):
            out.append(f"[{fl}] Upload (the receive path): {upr[me]['server_cpu_s_per_gib']:.2f} s of server CPU per "
                       f"GiB against s_server's {upr['openssl s_server']['server_cpu_s_per_gib']:.2f} s.")
        scp = P.get(f"scale-{fl}")
        sc = [x for x in R.get("scale", {}).get("servers", {}).get(me, []) if x["held"] == R["scale"]["n"]]
        if scp and sc:
            loop = _share(scp, "event loop")
            out.append(f"[{fl}] Scale: with {sc[0]['held']:,} idle connections held, {loop:.1f}% of the server's "
                       f"samples are in epoll and the event loop's own bookkeeping (ep_poll, epoll_ctl, sock_poll, "
                       f"Worker::loop/settle/expire_timers); new handshakes ran at {sc[0]['hs_per_s']:,.0f}/s with the "
                       f"server at {fmt(sc[0].get('server_cpu_pct'), '', 0)}%{''} CPU.")
        fp = P.get(f"full-ecdsa-{fl}")
        if fp:
            out.append(f"[{fl}] Full ECDSA handshakes, server samples by kind: "
                       + "; ".join(x.strip() for x in fp.get("breakdown", [])[:5]) + ".")
        rp = P.get(f"full-rsa-{fl}")
        rsa_us = R.get("full_rsa", {}).get(me, {}).get("cpu_us")
        os_us = R.get("full_rsa", {}).get("openssl s_server", {}).get("cpu_us")
        if rp and rsa_us and os_us:
            modexp = 0.0
            for ln in rp.get("dso,sym", []):
                m = re.match(r"^\s*(\d+\.\d+)%\s+(\S+)\s+\[.\]\s+(.*)$", ln)
                if m and re.search(r"\b(sp_2048_\w+|L_2048_\w+|sp_RsaPrivate_2048)", m.group(3)):
                    modexp += float(m.group(1))
            if modexp > 0:
                rest = rsa_us * (1 - modexp / 100)
                out.append(f"[{fl}] Full RSA-2048 handshakes: {modexp:.1f}% of ussl-server's samples are wolfSSL's "
                           f"RSA-2048 private-key operation (sp_2048_* / L_2048_*: the CRT modular exponentiation of "
                           f"the CertificateVerify signature), about {rsa_us * modexp / 100:,.0f} µs of its "
                           f"{rsa_us:,.0f} µs per handshake. Everything else in its handshake costs about "
                           f"{rest:,.0f} µs, against s_server's {os_us:,.0f} µs in total; the ratio to s_server "
                           f"is set by how fast each library signs with RSA-2048 on this CPU.")
        op = P.get(f"oneshot-client-{fl}")
        one = R.get("oneshot", {}).get("clients", {}).get(f"ussl-client [{fl}]")
        if op and one and one.get("median_ms"):
            out.append(f"[{fl}] One-shot ussl-client ({one['median_ms']:.1f} ms median), samples by kind: "
                       + "; ".join(x.strip() for x in op.get("breakdown", [])[:4]) + ".")
        mp = P.get(f"massif-{fl}")
        if mp and len(mp.get("peak", [])) > 1:
            out.append(f"[{fl}] Heap with {mp['held']} idle connections (massif), largest site: "
                       + " ".join(mp["peak"][1].split()) + ".")
    one = R.get("oneshot", {}).get("clients", {})
    info = R.get("oneshot_vs_ussl", {}).get("clients", {})
    if one.get("curl") and info.get("curl") and one["curl"]["median_ms"] and info["curl"]["median_ms"]:
        a, b = info["curl"]["median_ms"], one["curl"]["median_ms"]
        if a > 1.5 * b:
            out.append(f"curl took {a:.1f} ms (median) against {R['oneshot_vs_ussl']['server']} but {b:.1f} ms "
                       f"against gnutls-serv: a stall on the ussl-server side of the request/response, the pattern of "
                       f"Nagle's algorithm meeting a delayed ACK (an accepted socket without TCP_NODELAY).")
    return out


KEEP_MARKER = "<!-- Measured by hand from here on: bench/run.sh keeps what follows when it rewrites this file. -->"


def write_doc(B, rows, path, png_ok):
    R, meta = B.R, B.R["meta"]
    L = []
    w = L.append
    w("# Performance: ussl against OpenSSL and GnuTLS")
    w("")
    w("This file is written by `bench/run.sh`; every figure in it comes from the run recorded here. "
      "Re-run it to refresh the page (it overwrites this file and `docs/performance.png`).")
    w("")
    w("```sh")
    w("bench/run.sh                     # the tuned static wolfSSL (default, as the build)")
    w("bench/run.sh --wolfssl system    # Debian's libwolfssl (cmake -DUSSL_WOLFSSL=system)")
    w("bench/run.sh --wolfssl both      # both builds side by side against the same peer figures")
    w("bench/run.sh --baseline d723923  # also the programs of an older commit, as one more flavour: new/base ratios")
    w("```")
    w("")
    w(f"Recorded run: `{meta['command']}` on {meta['date']}, commit {meta['git']}, "
      f"{meta['runtime_s']:.0f} s of measuring after {meta['build_seconds']} s of tool checks and builds.")
    w("")
    w("## Results")
    w("")
    w("Ratios are ours / peer's. Targets are issue 5's (the mutual-TLS row's: issue 10's). \"Met\" or \"missed by "
      "X%\" is computed from the ratio against the target.")
    w("")
    w("| what | target | ours | peers | ratio | verdict |")
    w("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        w("| " + " | ".join(md_escape(x) for x in r) + " |")
    w("")
    base_rows = B.R.get("baseline_table") or []
    if base_rows:
        w(f"### New against the baseline commit ({meta.get('base_rev')})")
        w("")
        w(f"The programs of `{meta.get('base_rev')}` were built in a temporary git worktree and measured as the "
          f"flavour `{B.base}` in this same run, with the same peers and load client. Every figure is a cost "
          "(lower is better; server CPU per handshake here is schedstat's, ns resolution, beside the table's utime + "
          "stime); issue 10's target is that the rows it names (marked) grow by at most 10%, "
          "new/base ≤ 1.10×. A flavour whose program lacks a flag a row needs is skipped for that row.")
        w("")
        w("| what | issue 10's row | new | base | new / base | verdict (≤ 1.10×) |")
        w("| --- | --- | --- | --- | --- | --- |")
        for r in base_rows:
            w("| " + " | ".join(md_escape(x) for x in r) + " |")
        w("")
    if png_ok:
        w("![handshake latency distributions, capacity, bulk throughput, memory](performance.png)")
        w("")
    findings = derive_findings(B)
    if findings:
        w("### What the profiles say about the gaps")
        w("")
        w("Derived by the script from this run's measurements and profiles (see \"Profiles\" below).")
        w("")
        for f in findings:
            w(f"- {f}")
        w("")
    if R["notes"]:
        w("### Notes from the run")
        w("")
        for n in R["notes"]:
            w(f"- {n}")
        w("")
    w("## Details")
    w("")
    if R["checks"]:
        w("### What each server negotiated (`openssl s_client -brief -groups X25519`, once per server)")
        w("")
        w("| server (certificate) | protocol | key exchange | signature | TLS 1.3 + X25519 |")
        w("| --- | --- | --- | --- | --- |")
        for name, c in R["checks"].items():
            w(f"| {name} | {c.get('protocol')} | {c.get('key_exchange')} | {c.get('signature')} | "
              f"{'yes' if c.get('ok') else 'NO'} |")
        w("")
        w("The load client itself offers only TLS 1.3 and only an X25519 key share, so every counted handshake "
          "used them; the `negotiated` column below is what it reported.")
        w("")
    for key, title in (("full_ecdsa", "Full handshakes, ECDSA P-256 certificate + X25519"),
                       ("full_rsa", "Full handshakes, RSA-2048 certificate + X25519"),
                       ("resumed_ecdsa", "Resumed handshakes (TLS 1.3 ticket, PSK + X25519), ECDSA certificate"),
                       ("full_mtls", "Full handshakes with a client certificate required and verified (ECDSA P-256 "
                                     "client chain, X25519)")):
        row = R["rows"].get(key)
        if not row:
            continue
        w(f"### {title}")
        w("")
        w("| server | server CPU µs / handshake (median of rounds; min–max) | schedstat µs | handshakes/s "
          "(client-bound) | ok / failed / resumed | latency p50 / p90 / p99 ms | negotiated |")
        w("| --- | --- | --- | --- | --- | --- | --- |")
        for name, v in row.items():
            lat = v.get("latency_ms") or {}
            neg = v.get("negotiated") or {}
            w(f"| {name} | {fmt_us(v['cpu_us'])} ({fmt(v['cpu_us_min'], '', 0)}–{fmt(v['cpu_us_max'], '', 0)}) | "
              f"{fmt_us(v['sched_us'])} | {fmt(v['hs_per_s'], '', 0)} | {v['ok']} / {v['failed']} / {v['resumed']} | "
              f"{fmt(lat.get('p50'), '', 2)} / {fmt(lat.get('p90'), '', 2)} / {fmt(lat.get('p99'), '', 2)} | "
              f"{neg.get('version', '')} {neg.get('cipher', '')} |")
        w("")
        checks = {name: v["client_certificate_check"] for name, v in row.items() if "client_certificate_check" in v}
        if checks:
            w("Client certificate checks before measuring (connections that succeeded out of 2 without a "
              "certificate, out of 2 with one from another root, out of 2 with the trusted one; each sends 16 bytes "
              "and reads the echo, since a TLS 1.3 server judges the client's certificate after the client's "
              "handshake is done): "
              + "; ".join(f"{name}: {c['without_certificate_ok']} / {c['untrusted_certificate_ok']} / "
                          f"{c['trusted_certificate_ok']} "
                          f"({'required and verified' if c['verified'] else 'NOT verified'})"
                          for name, c in checks.items()) + ".")
            w("")
    bulk = R["rows"].get("bulk")
    if bulk:
        w(f"### Bulk download, {bulk['size'] >> 20} MiB, AES-128-GCM, curl (OpenSSL) as the client")
        w("")
        w("| server | run | bytes received | MB/s | server CPU s | curl exit |")
        w("| --- | --- | --- | --- | --- | --- |")
        for name, runs in bulk["servers"].items():
            for i, m in enumerate(runs):
                w(f"| {name} | {i + 1} | {m['bytes']:,} | {fmt(m['mb_s'], '', 0)} | {m['server_cpu_s']:.2f} | "
                  f"{m['curl_exit']}{' (' + str(m['curl_error']) + ')' if m['curl_error'] else ''} |")
        w("")
    up = R["rows"].get("upload")
    if up:
        w(f"### Upload into the server (information), {up['size'] >> 20} MiB, AES-128-GCM, openssl s_client as the "
          "client")
        w("")
        w("s_client reads its input in small pieces and is the slower end here, so the MB/s are client-bound; "
          "the server CPU per GiB is the comparison.")
        w("")
        w("| server | MB/s | server CPU s | server CPU s per GiB | bytes the server reported |")
        w("| --- | --- | --- | --- | --- |")
        for name, m in up["servers"].items():
            w(f"| {name} | {fmt(m['mb_s'], '', 0)} | {m['server_cpu_s']:.2f} | {m['server_cpu_s_per_gib']:.2f} | "
              f"{m['server_received'] if m['server_received'] is not None else 'n/a'} |")
        w("")
    mem = R["rows"].get("memory")
    if mem:
        w("### Memory per idle connection")
        w("")
        w(f"Each held connection completed its handshake and a 16-byte echo, then stayed idle. The server's "
          f"`RssAnon` (anonymous resident memory: heap and other private mappings) and `VmRSS` were read from "
          f"`/proc/PID/status` after a warm-up and again with N held. gnutls-serv is held at "
          f"{mem['n_peer']:,}: it uses select(), and a descriptor above FD_SETSIZE (1024) aborts it. "
          "openssl s_server serves one connection at a time and cannot hold concurrent connections.")
        w("")
        w("| server | N held | RssAnon KiB / conn | VmRSS KiB / conn | Pss KiB / conn | time to open them | "
          "still open at the end |")
        w("| --- | --- | --- | --- | --- | --- | --- |")
        for name, v in mem["servers"].items():
            for i, pt in enumerate(v["points"]):
                pc = pt["per_conn_kib"]
                last = i == len(v["points"]) - 1
                w(f"| {name} | {pt['n']:,} | {fmt(pc.get('RssAnon'), '', 2)} | {fmt(pc.get('VmRSS'), '', 2)} | "
                  f"{fmt(pc.get('Pss'), '', 2)} | {pt['open_s']:.1f} s (more held) | "
                  + (f"{v['still_open_at_end']:,} of {v['held']:,} |" if last else "— |"))
        w("")
    sc = R["rows"].get("scale")
    if sc:
        w("### Scale: new handshakes while idle connections are held")
        w("")
        w(f"ussl-bench opens full handshakes ({SCALE_INFLIGHT} in flight, {sc['load_seconds']} s, three times; the run "
          "with the most handshakes per server CPU-second is the figure, every run's rate is listed) while another "
          "ussl-bench holds N idle connections on the same server. "
          "Server CPU % near 100 means the server is the limit; well below 100 with the client also below 100 means "
          "the box (other tenants) or waiting limited the rate. \"Handshakes per server CPU-second\" (handshakes / "
          "server CPU time) is the rate the server could sustain with a whole core, measured like rows 1–3.")
        w("")
        w("| server | N held | new handshakes/s (runs) | failed | server CPU % | client CPU % | handshakes per server "
          "CPU-second | latency p50 / p99 ms |")
        w("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for name, runs in sc["servers"].items():
            for s in runs:
                lat = s.get("latency_ms") or {}
                allr = ", ".join(fmt(x, "", 0) for x in s.get("all_hs_per_s", []))
                w(f"| {name} | {s['held']:,} | {fmt(s['hs_per_s'], '', 0)} ({allr}) | {s['failed']} | "
                  f"{fmt(s.get('server_cpu_pct'), '', 0)} | {fmt(s.get('client_cpu_pct'), '', 0)} | "
                  f"{fmt(s.get('capacity_hs_per_cpu_s'), '', 0)} | {fmt(lat.get('p50'), '', 2)} / "
                  f"{fmt(lat.get('p99'), '', 2)} |")
        w("")
    one = R["rows"].get("oneshot")
    if one:
        w(f"### One-shot clients, exec to exit ({one['runs']} runs each, interleaved; server: {one['server']})")
        w("")
        w("Each client verifies the chain against `certs/root-ca.pem` and the name `localhost`, then exits. "
          "The run first checks that each fails against an untrusted root (the exit code column). The server is "
          "gnutls-serv, a neutral peer for every client; curl also sends one HTTP request (`--http`), the others "
          "send nothing.")
        w("")
        w("| client | median ms | p10 ms | p90 ms | min ms | failed runs | exit with an untrusted root | command |")
        w("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for name, v in one["clients"].items():
            cmd = " ".join(os.path.basename(v["argv"][0]) if i == 0 else x for i, x in enumerate(v["argv"]))
            cmd = cmd.replace(B.certs + "/", "certs/")
            w(f"| {name} | {fmt(v['median_ms'], '', 2)} | {fmt(v['p10_ms'], '', 2)} | {fmt(v['p90_ms'], '', 2)} | "
              f"{fmt(v['min_ms'], '', 2)} | {v['failures']} | {v['negative_check_exit']} | `{md_escape(cmd)}` |")
        info = R["rows"].get("oneshot_vs_ussl")
        if info:
            w("")
            w(f"The same clients against {info['server']} ({info['runs']} runs each, information): "
              + "; ".join(f"{k} median {fmt(v['median_ms'], 'ms')}" for k, v in info["clients"].items()) + ".")
        d = one["ussl_client_default_read_timeout_ms"]
        w("")
        w(f"Without `--read-timeout 0` (ussl-client's default: a drain for a late alert only after a TLS 1.3 "
          f"CertificateRequest, which this server does not send): median {fmt(d['median_ms'], 'ms')} over "
          f"{d['runs']} runs.")
        w("")
    if R["profiles"]:
        w("## Profiles of ussl-server")
        w("")
        w("`perf record -e cpu-clock -g -p PID` on the server process during the named workload (self time; "
          "`perf report --sort dso` then `--sort dso,sym`): full-* are 2,000 full handshakes, download-* a 256 MiB "
          "download by curl from `--mode source`, upload-* the upload above, scale-* a load run with N idle connections held; oneshot-client-* is ten whole ussl-client runs. "
          "`valgrind --tool=massif` shows the heap while idle connections are held (top of the peak snapshot's "
          "allocation tree; process-wide caches appear in it too).")
        w("")
        for name, prof in R["profiles"].items():
            w(f"### {name}")
            w("")
            w("```")
            if "peak" in prof:
                L.extend(prof["peak"] or ["(could not parse ms_print output)"])
            else:
                w("by kind of code (share of samples):")
                L.extend(prof.get("breakdown", []))
                w("")
                w("by library:")
                L.extend(prof.get("dso", []))
                w("")
                w("top symbols:")
                L.extend(prof.get("dso,sym", []))
            w("```")
            w("")
    w("## Method")
    w("")
    w(f"- Network: {'a private network namespace (`' + meta['netns'].replace('-', ' -') + '`) with only `lo` up' if meta['netns'] != 'none' else 'the host loopback (no permission for a private network namespace; gnutls-serv listened on all addresses)'}; every "
      "connection went to 127.0.0.1.")
    w(f"- Pinning: {meta['pinning']}.")
    w("- Server CPU: `utime + stime` from `/proc/PID/stat` of the server process read just before and just after "
      "each client run (so start-up and certificate loading are excluded), divided by the handshakes that "
      "succeeded; `schedstat` (ns resolution) is shown beside it as a cross-check. Rounds are interleaved "
      "across servers (the order rotates), and the table gives the median of the rounds. The download, the "
      "upload and the scale rows read the server's CPU from `schedstat` (summed over its threads): a few "
      "tenths of a second of CPU are too few clock ticks for a 10% criterion. The download and the upload "
      "run three rounds interleaved across the servers (one with --quick), median; the scale row takes the "
      "load run with the best capacity of three (interference only lowers it).")
    w(f"- Load client for rows 1–3, 5 and 7: `ussl-bench` [{B.client_flavour}] for every server, TLS 1.3 only, key "
      f"share X25519 only (`--groups X25519`), no certificate verification; 4 connections in flight for rows 1–3, "
      f"{SCALE_INFLIGHT} for the scale row, 32 while opening the held connections. Each server was checked once with "
      "`openssl s_client -brief -groups X25519` (table above).")
    w("- Servers: `ussl-server --json -q` (echo mode; `--mode source` / `discard` for bulk, `http` for the "
      "one-shot information line), "
      "`openssl s_server -quiet -rev -no-CAfile -no-CApath -no-CAstore` (leaf via `-cert`, intermediate via "
      "`-cert_chain`; `-WWW` for the download, plain mode for the upload), `gnutls-serv -q -a --echo` "
      "(`-a`: no client-certificate request, as the others; `--http` for the one-shot clients). The same certificates: `certs/server-chain.pem` / "
      "`server.key` (ECDSA P-256) and `certs/server-rsa-chain.pem` / `server-rsa.key` (RSA-2048), leaf + "
      "intermediate sent by every server.")
    w("- Mutual TLS: `ussl-server --cert-reqs required --ca-certs certs/root-ca.pem`, `openssl s_server -Verify 9 "
      "-verify_return_error -CAfile certs/root-ca.pem`, `gnutls-serv --require-client-cert --verify-client-cert "
      "--x509cafile certs/root-ca.pem`; the load client sends `certs/client-chain.pem` (ECDSA P-256 leaf + "
      "intermediate) with `certs/client.key`. Before measuring, each server must refuse the load client without a "
      "certificate and with `certs/untrusted-client.pem` (another root), so the figure includes a real "
      "verification.")
    w("- Baseline (`--baseline REV`): `git worktree add --detach` of REV in a temporary directory, built like the "
      "others (Release, the newest build's wolfSSL flavour at REV's own pin of it) into `build-bench-base`, the "
      "worktree removed afterwards; its programs run every row as one more flavour (not profiled); the load client "
      "stays the new ussl-bench. "
      "Flags are checked against each program's `--help` first.")
    w("- Bulk download: a sparse file served by `s_server -WWW` from a temporary directory against "
      "`ussl-server --mode source --source-bytes N`, both limited to TLS_AES_128_GCM_SHA256, read by the same "
      "`curl --http0.9 -o /dev/null` (OpenSSL). curl gives up after 3 s without data.")
    w("- One-shot clients: wall time from fork to exit measured in Python (`time.perf_counter`), pinned to CPU 1.")
    w("- Every process runs under a timeout and dies with the harness (PR_SET_PDEATHSIG); all are stopped by PID.")
    w("")
    w("Counts in this run: " + ", ".join(f"{k}={v}" for k, v in meta["counts"].items()) + ".")
    w("")
    w("## Machine and software")
    w("")
    for k, v in meta["machine"].items():
        w(f"- {k}: {v}")
    w(f"- load average at the start / end of the measurements: {meta['load_start']} / {meta['load_end']} "
      "(the box is shared; trust ratios more than absolute figures)")
    for k, v in meta["versions"].items():
        if isinstance(v, dict):
            wv = v.get("wolfssl") or v
            feats = " ".join(("+" if on else "-") + f for f, on in wv.get("features", {}).items())
            w(f"- {k}: ussl {v.get('version', '?')}, wolfSSL {wv.get('version', '?')} ({feats})")
        else:
            w(f"- {k}: {v}")
    w("")
    w("Builds:")
    w("")
    for ln in meta["build_notes"]:
        w(f"- {ln}")
    for fl, bindir in B.flavours:
        w(f"- {fl}: programs in `{os.path.relpath(bindir, B.root)}`")
    w("")
    w(f"Raw results of this run: `{os.path.relpath(os.path.join(B.out, 'results.json'), B.root)}` (not committed).")
    w("")
    # Sections measured by hand follow KEEP_MARKER; a re-run keeps them.
    kept = ""
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
        at = old.find(KEEP_MARKER)
        if at >= 0:
            kept = old[at:]
    with open(path, "w") as f:
        f.write("\n".join(L) + ("\n" + kept if kept else ""))
