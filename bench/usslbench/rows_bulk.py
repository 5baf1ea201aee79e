"""Row 4: bulk download (and, for information, upload) over loopback."""

import json
import os
import subprocess
import time

from .proc import run
from .readings import server_cpu_seconds
from .stats import med

GIB = 1 << 30


def bulk_rows(B):
    a = B.a
    size = 64 << 20 if a.quick else GIB
    up_size = 32 << 20 if a.quick else GIB
    rounds = 1 if a.quick else 3
    d = os.path.join(B.tmp, "www")
    os.makedirs(d)
    big = os.path.join(d, "big")
    with open(big, "wb") as f:
        f.truncate(size)  # sparse: read from the page cache, no disk
    with open(big, "rb") as f:  # once, so that no server pays for filling the page cache
        while f.readinto(bytearray(1 << 20)):
            pass
    up = os.path.join(B.tmp, "upload")
    with open(up, "wb") as f:
        f.truncate(up_size)
    curl = ["curl", "-sk", "--http0.9", "--tlsv1.3", "--tls13-ciphers", "TLS_AES_128_GCM_SHA256", "-o",
            "/dev/null", "--speed-limit", "1", "--speed-time", "3", "--max-time", "120", "-w", "%{json}"]

    def download(srv, path):
        c0 = server_cpu_seconds(srv.pid)
        t0 = time.perf_counter()
        r = run(curl + [f"https://127.0.0.1:{srv.port}{path}"], timeout=150)
        wall = time.perf_counter() - t0
        time.sleep(0.05)
        cpu = server_cpu_seconds(srv.pid) - c0
        try:
            w = json.loads(r.stdout.decode())
        except ValueError:
            w = {}
        got = int(w.get("size_download", 0))
        m = {"bytes": got, "expected": size, "curl_exit": r.returncode, "curl_error": w.get("errormsg"),
             "time_s": w.get("time_total", wall), "server_cpu_s": cpu,
             "mb_s": got / float(w.get("time_total") or wall) / 1e6 if got else 0.0,
             "tls": w.get("ssl_version") or None}
        m["complete"] = got >= size
        if m["complete"]:
            m["server_cpu_s_per_gib"] = cpu * GIB / got
        return m

    res = {}
    servers = []
    try:
        servers += [(s, "/") for s in B.ussl_servers("bulk", "ecdsa", ["--mode", "source", "--source-bytes",
                                                                        str(size), "--ciphers",
                                                                        "TLS13-AES128-GCM-SHA256"])]
        servers.append((B.openssl_server("ecdsa", ["-WWW", "-ciphersuites", "TLS_AES_128_GCM_SHA256"], cwd=d),
                        "/big"))
        for srv, _ in servers:
            res[srv.name] = []
        for r in range(rounds):
            for srv, path in servers:
                if res[srv.name] and not res[srv.name][-1]["complete"]:
                    continue  # it stalled once: do not wait for it again
                m = download(srv, path)
                res[srv.name].append(m)
                B.log(f"download {size >> 20} MiB from {srv.name:24}: {m['bytes']} bytes, "
                      f"{m['mb_s']:.0f} MB/s, server CPU {m['server_cpu_s']:.2f} s"
                      + ("" if m["complete"] else f"  INCOMPLETE: curl exit {m['curl_exit']} {m['curl_error']}"))
                if not m["complete"] and srv.name.startswith("ussl"):
                    B.note(f"{srv.name} --mode source: the download stopped after {m['bytes']} of {size} bytes "
                           f"(curl: {m['curl_error']}).")
    finally:
        for srv, _ in servers:
            srv.stop()
    B.R["rows"]["bulk"] = {"size": size, "servers": res}

    # Upload (information): the server's receive path; s_client as the one client. Rounds interleaved
    # across the servers; each server's figures are the median of its rounds (all kept under "runs").
    def upload(srv):
        c0 = server_cpu_seconds(srv.pid)
        t0 = time.perf_counter()
        with open(up, "rb") as f:
            r = run(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-ciphersuites",
                     "TLS_AES_128_GCM_SHA256", "-no-CAfile", "-no-CApath", "-no-CAstore"], timeout=150,
                    stdin=f, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        received = None
        if srv.log:  # ussl-server reports what it received: the "closed" event of this round's connection
            end = time.monotonic() + 10
            while time.monotonic() < end and received is None:
                closed = [line for line in open(srv.log) if '"event":"closed"' in line]
                if len(closed) > closed_seen[srv.name]:
                    received = json.loads(closed[closed_seen[srv.name]])["bytes"]["received"]
                    closed_seen[srv.name] += 1
                else:
                    time.sleep(0.05)
        else:
            time.sleep(0.2)
        cpu = server_cpu_seconds(srv.pid) - c0
        return {"bytes": up_size, "client_exit": r.returncode, "time_s": wall, "mb_s": up_size / wall / 1e6,
                "server_cpu_s": cpu, "server_cpu_s_per_gib": cpu * GIB / up_size, "server_received": received,
                "complete": r.returncode == 0 and received in (None, up_size)}

    res = {}
    servers = []
    try:
        servers += B.ussl_servers("upload", "ecdsa", ["--mode", "discard", "--ciphers", "TLS13-AES128-GCM-SHA256"])
        servers.append(B.openssl_server("ecdsa", ["-ciphersuites", "TLS_AES_128_GCM_SHA256"],
                                        stdin=subprocess.PIPE))
        runs = {srv.name: [] for srv in servers}
        closed_seen = {srv.name: 0 for srv in servers}  # "closed" events read so far
        for _ in range(rounds):
            for srv in servers:
                m = upload(srv)
                runs[srv.name].append(m)
                B.log(f"upload {up_size >> 20} MiB to {srv.name:24}: {m['mb_s']:.0f} MB/s, server CPU "
                      f"{m['server_cpu_s']:.3f} s, s_client exit {m['client_exit']}, server received "
                      f"{m['server_received']}")
        for name, ms in runs.items():
            ok = [m for m in ms if m["complete"]] or ms
            res[name] = {k: med([m[k] for m in ok]) for k in ("time_s", "mb_s", "server_cpu_s",
                                                               "server_cpu_s_per_gib")}
            res[name].update(bytes=up_size, client_exit=max(m["client_exit"] for m in ms),
                             server_received=ok[-1]["server_received"], complete=all(m["complete"] for m in ms),
                             runs=ms)
    finally:
        for srv in servers:
            srv.stop()
    B.R["rows"]["upload"] = {"size": up_size, "servers": res}
