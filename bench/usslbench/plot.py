"""docs/performance.png with gnuplot: latency CDFs, capacity, bulk throughput, memory."""

import os
import shutil

from .proc import run
from .stats import med


def write_plot(B, png):
    if not shutil.which("gnuplot"):
        B.note("gnuplot missing: no plot")
        return False
    d = os.path.join(B.out, "plot")
    os.makedirs(d, exist_ok=True)

    def cdf(values, path):
        s = sorted(values)
        if not s:
            return False
        step = max(1, len(s) // 400)
        with open(path, "w") as f:
            for i in range(0, len(s), step):
                f.write(f"{s[i]:.4f} {(i + 1) / len(s):.5f}\n")
            f.write(f"{s[-1]:.4f} 1.0\n")
        return True

    def q(s):
        return s.replace('"', "'")

    panels = []
    for key, title in (("full_ecdsa", "Full TLS 1.3 handshake, ECDSA P-256 + X25519"),
                       ("resumed_ecdsa", "Resumed handshake (PSK + X25519)")):
        plots = []
        for i, (name, lf) in enumerate(B.plot.get(key, {}).items()):
            vals = [float(x) for x in open(lf).read().split()] if os.path.exists(lf) else []
            p = os.path.join(d, f"{key}-{i}.dat")
            if cdf(vals, p):
                plots.append(f"'{p}' using 1:2 with lines lw 2 title \"{q(name)}\"")
        if plots:
            panels.append(f'set title "{title}\\nlatency seen by ussl-bench (4 in flight), CDF"\n'
                          'set xlabel "ms"\nset ylabel "fraction of connections"\nset logscale x\n'
                          'set key bottom right\nplot ' + ", ".join(plots) + "\nunset logscale x\n")
    one = B.R["rows"].get("oneshot", {}).get("clients", {})
    plots = []
    for i, (name, v) in enumerate(one.items()):
        p = os.path.join(d, f"oneshot-{i}.dat")
        if cdf(v["times_ms"], p):
            plots.append(f"'{p}' using 1:2 with lines lw 2 title \"{q(name)}\"")
    if plots:
        panels.append('set title "One-shot verified handshake, exec to exit, CDF"\nset xlabel "ms"\n'
                      'set ylabel "fraction of runs"\nset logscale x\nset key bottom right\nplot '
                      + ", ".join(plots) + "\nunset logscale x\n")

    # bars: server CPU-seconds -> handshakes per server CPU second
    names = [f"ussl-server [{fl}]" for fl, _ in B.flavours] + ["openssl s_server", "gnutls-serv"]
    rowsd = B.R["rows"]
    p = os.path.join(d, "capacity.dat")
    with open(p, "w") as f:
        f.write("case " + " ".join(f'"{q(n)}"' for n in names) + "\n")
        for key, label in (("full_ecdsa", "full-ECDSA"), ("full_rsa", "full-RSA"), ("resumed_ecdsa", "resumed")):
            vals = []
            for n in names:
                us = rowsd.get(key, {}).get(n, {}).get("cpu_us")
                vals.append(f"{1e6 / us:.0f}" if us else "?")
            f.write(f"{label} " + " ".join(vals) + "\n")
    cols = ", ".join([f"'{p}' using 2:xtic(1) title columnheader(2)"]
                     + [f"'' using {i + 2} title columnheader({i + 2})" for i in range(1, len(names))])
    panels.append('set title "Handshakes per second of server CPU (1e6 / server CPU µs per handshake)"\n'
                  'set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\n'
                  'set xlabel ""\nset ylabel "handshakes / CPU-second"\nset key top right\nset yrange [0:*]\n'
                  f"plot {cols}\nset yrange [*:*]\n")
    # bulk
    p = os.path.join(d, "bulk.dat")
    bulk = rowsd.get("bulk", {}).get("servers", {})
    up = rowsd.get("upload", {}).get("servers", {})
    bnames = [n for n in names if n in bulk or n in up]
    with open(p, "w") as f:
        f.write('case "download (curl)" "upload (s_client)"\n')
        for n in bnames:
            dl = med([m["mb_s"] for m in bulk.get(n, [])]) if bulk.get(n) else None
            u = up.get(n, {}).get("mb_s")
            f.write(f'"{q(n)}" {dl if dl is not None else "?"} {u if u is not None else "?"}\n')
    panels.append('set title "Bulk over loopback, AES-128-GCM (MB/s; a stalled download shows its bytes/time)"\n'
                  'set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\n'
                  'set ylabel "MB/s"\nset key top left\nset yrange [0:*]\nset xtics rotate by -12\n'
                  f"plot '{p}' using 2:xtic(1) title columnheader(2), '' using 3 title columnheader(3)\n"
                  "set xtics norotate\nset yrange [*:*]\n")
    # memory
    p = os.path.join(d, "memory.dat")
    ms = rowsd.get("memory", {}).get("servers", {})
    with open(p, "w") as f:
        f.write('server "KiB per idle connection"\n')
        for n, v in ms.items():
            for pt in v.get("points", []):
                f.write(f'"{q(n)} N={pt["n"]}" {pt["per_conn_kib"]["RssAnon"]:.2f}\n')
    panels.append('set title "Memory per idle TLS connection (server RssAnon delta / N)"\nset style data histograms\n'
                  'set style histogram clustered gap 1\nset style fill solid 0.8 border -1\nset ylabel "KiB"\n'
                  'set key top right\nset yrange [0:*]\nset xtics rotate by -25 font ",8"\nset bmargin 6\n'
                  f"plot '{p}' using 2:xtic(1) title columnheader(2), 16 with lines dt 2 lw 2 title \"target 16 KiB\"\n"
                  "set xtics norotate\nset yrange [*:*]\n")
    term = "pngcairo size 1800,1050 font 'DejaVu Sans,10'"
    r = run(["gnuplot", "-e", "set terminal"], timeout=20)
    if b"pngcairo" not in (r.stdout + r.stderr):
        term = "png size 1800,1050"
    gp = os.path.join(d, "plot.gp")
    with open(gp, "w") as f:
        f.write(f"set terminal {term}\nset termoption noenhanced\nset output '{png}'\nset datafile missing '?'\n"
                "set grid ytics\n"
                f"set multiplot layout 2,3 title \"ussl bench, {B.R['meta']['date']} ({q(B.R['meta']['cpu'])}; "
                f"servers on CPU 0, clients on CPU 1)\"\n")
        for pnl in panels:
            f.write(pnl + "\n")
        f.write("unset multiplot\n")
    r = run(["gnuplot", gp], timeout=60)
    if r.returncode != 0:
        B.note("gnuplot failed: " + r.stderr.decode(errors="replace")[-400:])
        return False
    return True
