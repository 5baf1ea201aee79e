"""The table of targets: one row per (measurement, flavour), as data (what, target, ours, peers, ratio,
verdict); and, with a baseline flavour, the new/base comparison of every ussl row."""

from .rows_bulk import GIB
from .rows_memory import SCALE_INFLIGHT
from .stats import fmt, fmt_us, med, ratio_text, verdict_ge, verdict_le


def build_table(B):
    R = B.R["rows"]
    rows = []  # (what, target, ours, peers, ratio, verdict)
    fls = [fl for fl, _ in B.flavours]
    OS, GS = "openssl s_server", "gnutls-serv"

    def cpu(row, name):
        return R.get(row, {}).get(name, {}).get("cpu_us")

    for fl in fls:
        me = f"ussl-server [{fl}]"
        # 1
        us, o, g = cpu("full_ecdsa", me), cpu("full_ecdsa", OS), cpu("full_ecdsa", GS)
        rg = us / g if us and g else None
        ro = us / o if us and o else None
        rows.append(("server CPU per full TLS 1.3 handshake, ECDSA P-256 + X25519",
                     "≤ 0.8× gnutls-serv, ≤ 0.5× openssl s_server", f"{me}: {fmt_us(us)}",
                     f"gnutls-serv {fmt_us(g)}; s_server {fmt_us(o)}",
                     f"{ratio_text(rg)} gnutls; {ratio_text(ro)} openssl",
                     f"gnutls: {verdict_le(rg, 0.8)}; openssl: {verdict_le(ro, 0.5)}"))
        # 2
        us, o, g = cpu("full_rsa", me), cpu("full_rsa", OS), cpu("full_rsa", GS)
        ro = us / o if us and o else None
        rows.append(("server CPU per full handshake, RSA-2048 + X25519", "≤ 1.0× openssl s_server",
                     f"{me}: {fmt_us(us)}", f"s_server {fmt_us(o)}; gnutls-serv {fmt_us(g)}",
                     f"{ratio_text(ro)} openssl", verdict_le(ro, 1.0)))
        # 3
        us, o, g = cpu("resumed_ecdsa", me), cpu("resumed_ecdsa", OS), cpu("resumed_ecdsa", GS)
        peers = [(v, n) for v, n in ((o, "s_server"), (g, "gnutls-serv")) if v]
        best = min(peers) if peers else (None, None)
        rb = us / best[0] if us and best[0] else None
        rows.append(("server CPU per resumed handshake (PSK + X25519, ECDSA cert)", "≤ 0.8× the best peer",
                     f"{me}: {fmt_us(us)}", f"s_server {fmt_us(o)}; gnutls-serv {fmt_us(g)}",
                     f"{ratio_text(rb)} {best[1] or ''}".strip(), verdict_le(rb, 0.8)))
        # post-quantum (issue 11)
        us, o = cpu("full_mlkem", me), cpu("full_mlkem", "OpenSSL 3.5 s_server")
        if us or o:
            ro = us / o if us and o else None
            sizes = R.get("client_hello_bytes", {})
            rows.append(("server CPU per full TLS 1.3 handshake, ECDSA P-256 + X25519MLKEM768",
                         "≤ 0.6× OpenSSL 3.5 s_server", f"{me}: {fmt_us(us)}", f"OpenSSL 3.5 s_server {fmt_us(o)}",
                         f"{ratio_text(ro)} openssl 3.5", verdict_le(ro, 0.6)))
            if sizes:
                rows.append(("ClientHello size (ussl-client)", "—",
                             "; ".join(f"{k}: {'+'.join(map(str, v)) if v else '?'} B" for k, v in sizes.items()),
                             "—", "—", "measured"))
        # mutual TLS (issue 10): the client certificate required and verified
        mt = R.get("full_mtls", {})
        us, o, g = cpu("full_mtls", me), cpu("full_mtls", OS), cpu("full_mtls", GS)
        if mt:
            base_us = cpu("full_mtls", f"ussl-server [{B.base}]") if B.base and fl != B.base else None
            rb = us / base_us if us and base_us else None
            why = (R_skipped(B, "full_mtls", fl) or "not measured") if us is None else None
            rows.append(("server CPU per full TLS 1.3 handshake, client certificate required and verified "
                         "(ECDSA P-256 + X25519)", "≤ 1.10× the baseline commit (issue 10)" if B.base else "—",
                         f"{me}: {fmt_us(us)}" + (f" ({why})" if why else ""),
                         f"s_server -Verify {fmt_us(o)}; gnutls-serv --require-client-cert {fmt_us(g)}"
                         + (f"; base {fmt_us(base_us)}" if base_us else ""),
                         f"{ratio_text(us / o if us and o else None)} openssl; "
                         f"{ratio_text(us / g if us and g else None)} gnutls"
                         + (f"; {ratio_text(rb)} base" if base_us else ""),
                         verdict_le(rb, 1.10) if B.base and fl != B.base else
                         ("baseline" if fl == B.base else "measured")))
        # 4
        bulk = R.get("bulk", {}).get("servers", {})
        mine = bulk.get(me, [])
        peer = [m for m in bulk.get(OS, []) if m["complete"]]
        up = R.get("upload", {}).get("servers", {})
        ours_ok = [m for m in mine if m["complete"]]
        o_mb = med([m["mb_s"] for m in peer])
        if ours_ok:
            u_mb = med([m["mb_s"] for m in ours_ok])
            ours = f"{me}: {fmt(u_mb, 'MB/s', 0)} ({fmt(med([m['server_cpu_s_per_gib'] for m in ours_ok]), 's', 2)} server CPU/GiB)"
            rr = u_mb / o_mb if o_mb else None
            verdict = verdict_ge(rr, 1.0)
        elif mine:
            ours = f"{me}: stalled after {mine[0]['bytes']:,} bytes"
            rr = None
            verdict = "missed: download did not complete (see notes)"
        else:
            ours, rr, verdict = f"{me}: n/a", None, "not measured"
        peer_txt = f"s_server {fmt(o_mb, 'MB/s', 0)}"
        if peer:
            peer_txt += f" ({fmt(med([m['server_cpu_s_per_gib'] for m in peer]), 's', 2)} server CPU/GiB)"
        size = R.get("bulk", {}).get("size", GIB)
        rows.append((f"bulk download, {size >> 20} MiB over loopback, AES-128-GCM, curl as the client",
                     "≥ 1.0× openssl s_server", ours, peer_txt, f"{ratio_text(rr)} openssl", verdict))
        if up.get(me) and up.get(OS):
            um, om = up[me], up[OS]
            rr = um["server_cpu_s_per_gib"] / om["server_cpu_s_per_gib"] if om["server_cpu_s_per_gib"] else None
            rows.append((f"(information) upload {R['upload']['size'] >> 20} MiB into the server, s_client as the "
                         f"client: server CPU per GiB", "—",
                         f"{me}: {fmt(um['server_cpu_s_per_gib'], 's', 2)}/GiB, {fmt(um['mb_s'], 'MB/s', 0)}",
                         f"s_server {fmt(om['server_cpu_s_per_gib'], 's', 2)}/GiB, {fmt(om['mb_s'], 'MB/s', 0)}",
                         f"{ratio_text(rr)} openssl (CPU)", "—"))
        # 5
        mem = R.get("memory", {})
        ms = mem.get("servers", {})
        pts = {p["n"]: p for p in ms.get(me, {}).get("points", [])}
        n = mem.get("n")
        big = pts.get(n)
        small = pts.get(mem.get("n_peer"))
        gpts = ms.get(GS, {}).get("points", [])
        g_txt = (f"gnutls-serv {fmt(gpts[0]['per_conn_kib']['RssAnon'], 'KiB')} at {gpts[0]['n']:,}"
                 if gpts else "gnutls-serv n/a")
        ours = []
        if big:
            ours.append(f"{fmt(big['per_conn_kib']['RssAnon'], 'KiB')} at {big['n']:,}")
        if small and small is not big:
            ours.append(f"{fmt(small['per_conn_kib']['RssAnon'], 'KiB')} at {small['n']:,}")
        val = big["per_conn_kib"]["RssAnon"] if big else None
        if val is None:
            verdict = f"not measured at {n:,}" if n else "not measured"
        elif val <= 16:
            verdict = f"met ({val:.1f} KiB ≤ 16 KiB)"
        else:
            verdict = f"missed by {(val / 16 - 1) * 100:.0f}% ({val:.1f} KiB > 16 KiB)"
        rg = None
        if small and gpts:
            rg = small["per_conn_kib"]["RssAnon"] / gpts[0]["per_conn_kib"]["RssAnon"]
        rows.append((f"heap (RssAnon) per idle established TLS connection, {n:,} held", "≤ 16 KiB",
                     f"{me}: " + ", ".join(ours) if ours else f"{me}: n/a",
                     g_txt + "; s_server cannot hold concurrent connections",
                     f"{ratio_text(rg)} gnutls (same N)", verdict))
        # 6
        one = R.get("oneshot", {}).get("clients", {})
        mine = one.get(f"ussl-client [{fl}]", {}).get("median_ms")
        peers = [(v["median_ms"], k) for k, v in one.items() if not k.startswith("ussl-client") and v["median_ms"]]
        best = min(peers) if peers else (None, None)
        rb = mine / best[0] if mine and best[0] else None
        rows.append(("one-shot verified client handshake, exec to exit (median)", "≤ 1.0× the fastest peer client",
                     f"ussl-client [{fl}]: {fmt(mine, 'ms')}",
                     "; ".join(f"{k} {fmt(v, 'ms')}" for v, k in sorted(peers)),
                     f"{ratio_text(rb)} {best[1] or ''}".strip(), verdict_le(rb, 1.0)))
        # 7
        sc = R.get("scale", {})
        mine = [s for s in sc.get("servers", {}).get(me, []) if s["held"] == sc.get("n")]
        gs = sc.get("servers", {}).get(GS, [])
        memo = ms.get(me, {})
        if mine:
            s = mine[0]
            lost = memo.get("held", 0) - memo.get("still_open_at_end", 0)
            ours = (f"{me}: {s['held']:,} held, {fmt(s['hs_per_s'], 'new hs/s', 0)} (server at "
                    f"{fmt(s.get('server_cpu_pct'), '', 0)}% CPU; {fmt(s.get('capacity_hs_per_cpu_s'), '', 0)} hs per "
                    f"server CPU-second), {s['failed']} failed, {lost} held connections lost")
            ok = s["held"] >= 10000 and s["hs_per_s"] >= 1000 and s["failed"] == 0 and lost == 0
            if ok:
                verdict = "met"
            else:
                why = []
                if s["held"] < 10000:
                    why.append(f"held {s['held']:,} < 10,000")
                if s["hs_per_s"] < 1000:
                    cap = s.get("capacity_hs_per_cpu_s")
                    why.append(f"measured rate missed by {(1 - s['hs_per_s'] / 1000) * 100:.0f}%"
                               + (f" (server-CPU capacity {cap:,.0f}/s: {'≥' if cap >= 1000 else '<'} 1,000)"
                                  if cap else ""))
                if s["failed"] or lost:
                    why.append("errors")
                verdict = "missed: " + ", ".join(why)
        else:
            ours, verdict = f"{me}: n/a", "not measured"
        g_txt = (f"gnutls-serv {gs[0]['held']:,} held: {fmt(gs[0]['hs_per_s'], 'hs/s', 0)}, {gs[0]['failed']} failed"
                 if gs else "gnutls-serv n/a")
        rows.append((f"scale: new full handshakes/s ({SCALE_INFLIGHT} in flight) while N idle connections are held",
                     "10,000 held while ≥ 1,000 new hs/s succeed, no errors", ours, g_txt, "—", verdict))
        # 8 (issue 14)
        tools = R.get("scan", {}).get("tools", {})
        mine = tools.get(f"ussl-client --scan [{fl}]", {}).get("median_s")
        ssl_s = tools.get("sslscan", {}).get("median_s")
        tst = tools.get("testssl.sh", {}).get("median_s")
        r_ssl = mine / ssl_s if mine and ssl_s else None
        r_tst = tst / mine if mine and tst else None
        rows.append(("full scan of one TLS 1.2+1.3 server on loopback (wall, median)",
                     "≥ 10× faster than testssl.sh, ≤ 1.0× sslscan", f"ussl-client --scan [{fl}]: {fmt(mine, 's', 2)}",
                     f"sslscan {fmt(ssl_s, 's', 2)}; testssl.sh {fmt(tst, 's', 1)}",
                     f"{ratio_text(r_ssl)} sslscan; testssl.sh/ours {fmt(r_tst, '×', 0)}",
                     f"sslscan: {verdict_le(r_ssl, 1.0)}; testssl.sh: {verdict_ge(r_tst, 10.0)}"))
    return rows


def R_skipped(B, row, flavour):
    why = B.R.get("skipped", {}).get(row, {}).get(flavour)
    return f"skipped: {why}" if why else None


# The ussl figures compared with the baseline commit: (row key, what, unit, issue 10's row, figure(R, name)).
# Each is a cost (lower is better), so new/base ≤ 1.10 is issue 10's "grow by at most 10%".
def _cpu(key):
    """Server CPU per handshake from schedstat (ns resolution) where there is one, else utime + stime: a
    10% criterion needs finer steps than the clock tick's (10 ms over a few thousand handshakes)."""
    def f(R, name):
        v = R.get(key, {}).get(name, {})
        return v.get("sched_us") or v.get("cpu_us")
    return f


def _bulk(key):
    def f(R, name):
        runs = R.get(key, {}).get("servers", {}).get(name)
        if isinstance(runs, dict):  # upload: the median of its rounds
            return runs.get("server_cpu_s_per_gib")
        return med([m["server_cpu_s_per_gib"] for m in runs or [] if m.get("complete")])
    return f


def _memory(R, name):
    mem = R.get("memory", {})
    pts = [p for p in mem.get("servers", {}).get(name, {}).get("points", []) if p["n"] == mem.get("n")]
    return pts[0]["per_conn_kib"].get("RssAnon") if pts else None


def _scale(R, name):
    sc = R.get("scale", {})
    runs = [x for x in sc.get("servers", {}).get(name, []) if x["held"] == sc.get("n")]
    cap = runs[0].get("capacity_hs_per_cpu_s") if runs else None
    return 1e6 / cap if cap else None


def _client(key, field, prefix):
    return lambda R, fl: R.get(key, {}).get("clients" if key == "oneshot" else "tools", {}).get(
        f"{prefix} [{fl}]", {}).get(field)


BASELINE_METRICS = [
    ("oneshot", "one-shot verified client handshake, exec to exit (median)", "ms", True,
     _client("oneshot", "median_ms", "ussl-client"), "client"),
    ("full_mtls", "server CPU per full handshake, client certificate required and verified", "µs", True,
     _cpu("full_mtls"), "server"),
    ("full_ecdsa", "server CPU per full handshake, ECDSA P-256 + X25519", "µs", False, _cpu("full_ecdsa"), "server"),
    ("full_rsa", "server CPU per full handshake, RSA-2048 + X25519", "µs", False, _cpu("full_rsa"), "server"),
    ("resumed_ecdsa", "server CPU per resumed handshake", "µs", False, _cpu("resumed_ecdsa"), "server"),
    ("full_mlkem", "server CPU per full handshake, X25519MLKEM768", "µs", False, _cpu("full_mlkem"), "server"),
    ("bulk", "server CPU per GiB downloaded", "s", False, _bulk("bulk"), "server"),
    ("upload", "server CPU per GiB uploaded", "s", False, _bulk("upload"), "server"),
    ("memory", "heap (RssAnon) per idle connection", "KiB", False, _memory, "server"),
    ("scale", "server CPU per new handshake with N idle connections held (1 / capacity)", "µs", False, _scale,
     "server"),
    ("scan", "full ussl-client --scan (wall, median)", "s", False, _client("scan", "median_s", "ussl-client --scan"),
     "client"),
]


def baseline_rows(B):
    """New against base for every ussl figure: (what, issue 10?, new, base, new/base, verdict); empty without
    --baseline."""
    if not B.base:
        return []
    R = B.R["rows"]
    out = []
    for fl, _ in B.flavours:
        if fl == B.base:
            continue
        for key, what, unit, issue10, figure, side in BASELINE_METRICS:
            if side == "server":
                new, base = figure(R, f"ussl-server [{fl}]"), figure(R, f"ussl-server [{B.base}]")
            else:
                new, base = figure(R, fl), figure(R, B.base)
            ratio = new / base if new and base else None
            if ratio is not None:
                verdict = verdict_le(ratio, 1.10)
            else:
                verdict = R_skipped(B, key, B.base) or R_skipped(B, key, fl) or "not measured"
            nd = 2 if unit in ("ms", "s", "KiB") else 0
            out.append((f"[{fl}] {what}", "yes" if issue10 else "", fmt(new, unit, nd), fmt(base, unit, nd),
                        ratio_text(ratio), verdict))
    return out


def print_baseline(B, rows):
    if not rows:
        return
    print("=" * 100)
    print(f"new / {B.base}, measured in this run; target ≤ 1.10× (issue 10's rows marked *)")
    print("=" * 100)
    for what, issue10, new, base, ratio, verdict in rows:
        print(f"{'*' if issue10 else ' '} {what}\n    new {new}, base {base}: {ratio}, {verdict}")
    print()


def print_table(rows):
    print()
    print("=" * 100)
    print("ussl bench results (ratios = ours / peer; every figure measured in this run)")
    print("=" * 100)
    for what, target, ours, peers, ratio, verdict in rows:
        print(f"* {what}\n    target : {target}\n    ours   : {ours}\n    peers  : {peers}\n"
              f"    ratio  : {ratio}\n    verdict: {verdict}")
    print()
