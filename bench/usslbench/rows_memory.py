"""Rows 5 and 7: memory per idle connection, and new handshakes/s while N idle connections are held."""

import resource
import time

from . import profiles
from .proc import stop
from .readings import memory_kb, server_cpu_seconds
from .stats import fmt

SCALE_INFLIGHT = 16  # new handshakes in flight in the scale row


def memory_scale_rows(B, profile):
    a = B.a
    n_big = 300 if a.quick else a.hold
    n_peer = min(n_big, 1000)  # gnutls-serv: select(), FD_SETSIZE 1024
    load_s = 2 if a.quick else 5
    mem = {}
    scale = {}

    def warm(srv):
        B.ussl_bench(srv.port, ["--count", "20", "-c", "4", "--payload", "16"])
        time.sleep(0.3)

    def load_once(srv):
        c0 = server_cpu_seconds(srv.pid)
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        rep = B.ussl_bench(srv.port, ["--duration", str(load_s), "-c", str(SCALE_INFLIGHT)],
                           timeout=load_s + 60)
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        conns = rep.get("connections", {})
        m = {"hs_per_s": rep.get("handshakes_per_s", 0.0), "ok": conns.get("ok", 0),
             "failed": conns.get("failed", 0), "errors": rep.get("errors", {}),
             "latency_ms": rep.get("latency_ms", {}), "server_cpu_s": server_cpu_seconds(srv.pid) - c0,
             "client_cpu_s": (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime),
             "seconds": rep.get("wall_s", load_s)}
        # What the server could sustain with a whole CPU: handshakes per second of its own CPU time.
        m["capacity_hs_per_cpu_s"] = m["ok"] / m["server_cpu_s"] if m["server_cpu_s"] > 0 else None
        return m

    def load(srv):
        # The figure is the run with the best capacity, handshakes per server CPU-second (interference on
        # a shared box only lowers it; the rate is the load client's, near 100% CPU); every run is kept.
        runs = [load_once(srv) for _ in range(1 if a.quick else 3)]
        best = dict(max(runs, key=lambda x: x["capacity_hs_per_cpu_s"] or 0))
        best["failed"] = sum(x["failed"] for x in runs)
        best["all_hs_per_s"] = [x["hs_per_s"] for x in runs]
        best["all_capacity_hs_per_cpu_s"] = [x["capacity_hs_per_cpu_s"] for x in runs]
        best["server_cpu_pct"] = 100 * best["server_cpu_s"] / best["seconds"] if best["seconds"] else None
        best["client_cpu_pct"] = 100 * best["client_cpu_s"] / best["seconds"] if best["seconds"] else None
        return best

    def step(srv, holders, target, label):
        have = sum(h[1]["held"] for h in holders)
        t0 = time.perf_counter()
        p, first = B.hold(srv, target - have)
        if p is None:
            B.note(f"{srv.name}: could not hold {target} connections ({first.get('output')})")
            return None
        holders.append((p, first))
        time.sleep(0.5)
        m = memory_kb(srv.pid)
        return {"n": sum(h[1]["held"] for h in holders), "mem_kb": m, "open_s": time.perf_counter() - t0}

    for fl, _ in B.flavours:
        found = B.ussl_servers("memory", "ecdsa", flavours=[fl])
        if not found:
            continue
        srv = found[0]
        holders = []
        try:
            warm(srv)
            base = memory_kb(srv.pid)
            points = []
            for n in sorted({n_peer, n_big}):
                pt = step(srv, holders, n, fl)
                if pt is None:
                    break
                pt["per_conn_kib"] = {k: (pt["mem_kb"][k] - base[k]) / pt["n"] * 1000 / 1024
                                      for k in ("RssAnon", "VmRSS", "Pss") if k in base and k in pt["mem_kb"]}
                points.append(pt)
                B.log(f"memory {srv.name:24} {pt['n']} held: RssAnon +{pt['mem_kb']['RssAnon'] - base['RssAnon']}"
                      f" kB -> {pt['per_conn_kib']['RssAnon']:.1f} KiB/connection (opened in {pt['open_s']:.1f} s)")
                sc = load(srv)
                sc["held"] = pt["n"]
                scale.setdefault(srv.name, []).append(sc)
                B.log(f"scale  {srv.name:24} {pt['n']} held: {sc['hs_per_s']:.0f} new hs/s, "
                      f"{sc['failed']} failed, server CPU {sc['server_cpu_pct']:.0f}%, client CPU "
                      f"{sc['client_cpu_pct']:.0f}%, {fmt(sc['capacity_hs_per_cpu_s'], '', 0)} hs per server "
                      f"CPU-second")
            if profile and points:
                if fl != B.base:
                    profiles.profile_perf(B, srv, f"scale-{fl}", lambda s=srv: load_once(s))
            rels = [B.release(p) for p, _ in holders]
            held = sum(r.get("hold", {}).get("held", 0) for r in rels)
            still = sum(r.get("hold", {}).get("still_open", 0) for r in rels)
            mem[srv.name] = {"baseline_kb": base, "points": points, "held": held, "still_open_at_end": still}
            if held != still:
                B.note(f"{srv.name}: {held - still} of {held} held connections were closed by the server")
        finally:
            for p, _ in holders:
                stop(p)
            srv.stop()

    srv = B.gnutls_server("ecdsa")
    holders = []
    try:
        warm(srv)
        base = memory_kb(srv.pid)
        pt = step(srv, holders, n_peer, "gnutls")
        points = []
        if pt:
            pt["per_conn_kib"] = {k: (pt["mem_kb"][k] - base[k]) / pt["n"] * 1000 / 1024
                                  for k in ("RssAnon", "VmRSS", "Pss") if k in base and k in pt["mem_kb"]}
            points.append(pt)
            B.log(f"memory {srv.name:24} {pt['n']} held: {pt['per_conn_kib']['RssAnon']:.1f} KiB/connection")
            sc = load(srv)
            sc["held"] = pt["n"]
            scale[srv.name] = [sc]
            B.log(f"scale  {srv.name:24} {pt['n']} held: {sc['hs_per_s']:.0f} new hs/s, {sc['failed']} failed")
        rels = [B.release(p) for p, _ in holders]
        mem[srv.name] = {"baseline_kb": base, "points": points,
                         "held": sum(r.get("hold", {}).get("held", 0) for r in rels),
                         "still_open_at_end": sum(r.get("hold", {}).get("still_open", 0) for r in rels)}
    finally:
        for p, _ in holders:
            stop(p)
        srv.stop()
    B.R["rows"]["memory"] = {"n": n_big, "n_peer": n_peer, "servers": mem}
    B.R["rows"]["scale"] = {"n": n_big, "load_seconds": load_s, "servers": scale}
