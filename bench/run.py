#!/usr/bin/env python3
"""ussl benchmark harness, called by bench/run.sh (which builds the programs and
enters a private network namespace). Measures, in one run and on loopback only:

  1. server CPU per full TLS 1.3 handshake, ECDSA P-256 + X25519
  2. the same with RSA-2048
  3. server CPU per resumed handshake
  4. bulk download of 1 GiB, AES-128-GCM (plus an upload, for information)
  5. memory per idle established connection, N held
  6. one-shot verified client handshake, exec to exit
  7. scale: new handshakes/s while N idle connections are held

ussl-server against openssl s_server and gnutls-serv, ussl-client against curl,
openssl s_client and gnutls-cli. Servers run on CPU 0, clients on CPU 1.
Server CPU comes from /proc/PID/stat (utime + stime) of the server process.
Every figure printed or written comes from this run.
"""

import argparse
import atexit
import ctypes
import datetime
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

GIB = 1 << 30
SCALE_INFLIGHT = 16  # new handshakes in flight in the scale row
CLK_TCK = os.sysconf("SC_CLK_TCK")
PR_SET_PDEATHSIG = 1

# ---------------------------------------------------------------------------
# processes: every child dies with us (PDEATHSIG), is pinned, and is stopped by
# its PID at the end.

_libc = ctypes.CDLL(None, use_errno=True)
_children = []
_pin = {"server": None, "client": None}


_nice = {"value": 0}


def _preexec(cpu):
    def fn():
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
        if _nice["value"]:
            try:
                os.nice(_nice["value"])
            except OSError:
                pass

    return fn


def spawn(argv, role="server", **kw):
    p = subprocess.Popen(argv, preexec_fn=_preexec(_pin[role]), **kw)
    _children.append(p)
    return p


def run(argv, timeout, role="client", **kw):
    """subprocess.run with a timeout, pinned, dying with us."""
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    p = spawn(argv, role=role, **kw)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return subprocess.CompletedProcess(argv, -9, out, (err or b"") + b"\n[bench: timed out]")
    finally:
        if p in _children:
            _children.remove(p)
    return subprocess.CompletedProcess(argv, p.returncode, out, err)


def stop(p, grace=3.0):
    if p is None:
        return
    if p.poll() is None:
        try:
            p.terminate()
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)
        except ProcessLookupError:
            pass
    if p in _children:
        _children.remove(p)


def stop_all():
    for p in list(_children):
        try:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=5)
        except Exception:
            pass
    _children.clear()


atexit.register(stop_all)


def _on_signal(signum, _frame):
    stop_all()
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)

# ---------------------------------------------------------------------------
# /proc readings


def cpu_seconds(pid):
    """utime + stime of the process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    fields = s[s.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def sched_seconds(pid):
    """Time on CPU from schedstat (ns resolution), summed over the threads."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
    except OSError:
        return None
    return total / 1e9


def memory_kb(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "VmHWM"):
                out[k] = int(v.split()[0])
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("Pss", "Pss_Anon"):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


# ---------------------------------------------------------------------------
# servers


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, timeout=8.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.02)
    return False


class Server:
    def __init__(self, name, proc, port, log=None):
        self.name, self.proc, self.port, self.log = name, proc, port, log

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        stop(self.proc)


class Bench:
    """Everything one run needs: paths, flavours, results."""

    def __init__(self, a):
        self.a = a
        self.root = a.root
        self.out = a.out
        self.certs = os.path.join(a.root, "certs")
        self.flavours = []  # (name, bindir)
        for spec in a.flavour:
            name, _, path = spec.partition("=")
            self.flavours.append((name, path))
        self.tmp = tempfile.mkdtemp(prefix="ussl-bench-")
        atexit.register(shutil.rmtree, self.tmp, True)
        self.R = {"rows": {}, "notes": [], "profiles": {}, "checks": {}}
        self.plot = {}
        # The one load client for every server: the tuned build's if there is one.
        self.client_flavour, bindir = self.flavours[-1]
        self.bench_bin = os.path.join(bindir, "ussl-bench")
        self.cert = {
            "ecdsa": (os.path.join(self.certs, "server-chain.pem"), os.path.join(self.certs, "server.key")),
            "rsa": (os.path.join(self.certs, "server-rsa-chain.pem"), os.path.join(self.certs, "server-rsa.key")),
        }
        # s_server wants the leaf and the rest of the chain apart.
        self.split = {}
        for kind, (chain, _key) in self.cert.items():
            blocks = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", open(chain).read(), re.S)
            leaf = os.path.join(self.tmp, f"{kind}-leaf.pem")
            rest = os.path.join(self.tmp, f"{kind}-rest.pem")
            open(leaf, "w").write(blocks[0])
            open(rest, "w").write("".join(blocks[1:]))
            self.split[kind] = (leaf, rest)
        self.logs = os.path.join(self.out, "logs")
        os.makedirs(self.logs, exist_ok=True)

    def log(self, msg):
        print(f"bench: {msg}", file=sys.stderr, flush=True)

    def note(self, msg):
        self.log("NOTE: " + msg)
        self.R["notes"].append(msg)

    # --- servers -----------------------------------------------------------

    def ussl_server(self, flavour, cert="ecdsa", args=(), wrapper=()):
        bindir = dict(self.flavours)[flavour]
        chain, key = self.cert[cert]
        logf = os.path.join(self.tmp, f"ussl-server-{flavour}-{time.monotonic_ns()}.jsonl")
        out = open(logf, "w")
        err = open(logf + ".err", "w")
        argv = list(wrapper) + [os.path.join(bindir, "ussl-server"), "--certfile", chain, "--keyfile", key,
                                "--port", "0", "--json", "-q"] + list(args)
        p = spawn(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        end = time.monotonic() + (60 if wrapper else 8)
        port = None
        while time.monotonic() < end and p.poll() is None:
            with open(logf) as f:
                line = f.readline()
            if line.endswith("\n"):
                port = json.loads(line)["port"]
                break
            time.sleep(0.02)
        if port is None:
            stop(p)
            raise RuntimeError(f"ussl-server [{flavour}] did not start: {open(logf + '.err').read()[-500:]}")
        return Server(f"ussl-server [{flavour}]", p, port, logf)

    def openssl_server(self, cert="ecdsa", args=("-rev",), cwd=None, stdin=subprocess.DEVNULL):
        leaf, rest = self.split[cert]
        key = self.cert[cert][1]
        for _attempt in range(5):
            port = free_port()
            argv = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", leaf, "-cert_chain", rest,
                    "-key", key, "-quiet", "-no-CAfile", "-no-CApath", "-no-CAstore"] + list(args)
            err = open(os.path.join(self.tmp, f"s_server-{port}.err"), "w")
            p = spawn(argv, stdin=stdin, stdout=subprocess.DEVNULL, stderr=err, cwd=cwd)
            if wait_listening(port, p):
                return Server("openssl s_server", p, port)
            stop(p)
        raise RuntimeError("openssl s_server did not start")

    def gnutls_server(self, cert="ecdsa", args=("--echo",)):
        chain, key = self.cert[cert]
        for _attempt in range(5):
            port = free_port()
            argv = ["gnutls-serv", "-q", "-a", "--x509certfile", chain, "--x509keyfile", key, "-p", str(port)] + list(args)
            err = open(os.path.join(self.tmp, f"gnutls-serv-{port}.err"), "w")
            p = spawn(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
            if wait_listening(port, p):
                return Server("gnutls-serv", p, port)
            stop(p)
        raise RuntimeError("gnutls-serv did not start")

    # --- the load client ---------------------------------------------------

    def ussl_bench(self, port, args=(), timeout=180, groups="X25519"):
        argv = [self.bench_bin, "--host", "127.0.0.1", "--port", str(port), "--groups", groups, "--tls-version",
                "1.3", "--json"] + list(args)
        r = run(argv, timeout=timeout)
        try:
            return json.loads(r.stdout.decode().strip().splitlines()[-1])
        except (IndexError, ValueError):
            return {"ok": False, "connections": {"ok": 0, "failed": -1, "resumed": 0},
                    "errors": {"bench": r.stderr.decode()[-300:]}}

    def check_negotiated(self, srv, cert):
        """Once per server: openssl s_client -brief says TLS 1.3 and X25519."""
        r = run(["openssl", "s_client", "-brief", "-connect", f"127.0.0.1:{srv.port}", "-groups", "X25519",
                 "-no-CAfile", "-no-CApath", "-no-CAstore"], timeout=10, stdin=subprocess.DEVNULL)
        text = (r.stdout + r.stderr).decode(errors="replace")
        proto = re.search(r"Protocol version: (\S+)", text)
        tmpkey = re.search(r"Server Temp Key: ([^,\n]+)", text)
        sig = re.search(r"Signature type: (\S+)", text)
        res = {"protocol": proto and proto.group(1), "key_exchange": tmpkey and tmpkey.group(1),
               "signature": sig and sig.group(1)}
        ok = res["protocol"] == "TLSv1.3" and res["key_exchange"] == "X25519"
        res["ok"] = ok
        self.R["checks"][f"{srv.name} ({cert})"] = res
        if not ok:
            self.note(f"{srv.name} ({cert}): s_client saw {res}, not TLSv1.3 + X25519")
        return res

    # ------------------------------------------------------------------------
    # rows 1-3: server CPU per handshake

    def handshake_rows(self):
        a = self.a
        n_full = {"ecdsa": 300 if a.quick else 3000, "rsa": 200 if a.quick else 1500}
        n_res = 300 if a.quick else 3000
        rounds = {"ecdsa": 1 if a.quick else 3, "rsa": 1 if a.quick else 3}
        for cert in ("ecdsa", "rsa"):
            servers = []
            try:
                for fl, _ in self.flavours:
                    servers.append(self.ussl_server(fl, cert))
                servers.append(self.openssl_server(cert))
                servers.append(self.gnutls_server(cert))
                for s in servers:
                    self.check_negotiated(s, cert)
                    self.ussl_bench(s.port, ["--count", "100", "-c", "4"])  # warm-up
                kinds = [("full", n_full[cert], [])] + ([("resumed", n_res, ["--resume"])] if cert == "ecdsa" else [])
                for kind, n, extra in kinds:
                    key = f"{kind}_{cert}"
                    res = {s.name: [] for s in servers}
                    for r in range(rounds[cert]):
                        order = servers[r % len(servers):] + servers[: r % len(servers)]
                        for s in order:
                            lat = os.path.join(self.tmp, f"lat-{key}-{servers.index(s)}-{r}.txt")
                            m = self.measure_cpu(s, ["--count", str(n), "-c", "4", "--latency-file", lat] + extra)
                            m["latency_file"] = lat
                            res[s.name].append(m)
                            self.log(f"{key:14} {s.name:24} round {r + 1}: {fmt_us(m.get('cpu_us'))} server CPU/hs, "
                                     f"{m['ok']} ok, {m['failed']} failed, {m['resumed']} resumed, "
                                     f"{m['hs_per_s']:.0f} hs/s")
                    self.R["rows"][key] = summarize_cpu(res)
                    self.plot[key] = {name: runs[-1]["latency_file"] for name, runs in res.items()}
            finally:
                for s in servers:
                    s.stop()

    # ------------------------------------------------------------------------
    # post-quantum: server CPU per full handshake with X25519MLKEM768, ClientHello size

    def pq_rows(self):
        """ussl-server (builds with ML-KEM) against OpenSSL 3.5 s_server (scripts/fetch-peers.sh), the load
        client offering X25519MLKEM768 only; and the ClientHello ussl-client sends with each key-share choice."""
        a = self.a
        n = 300 if a.quick else 2000
        rounds = 1 if a.quick else 3
        openssl35 = os.path.join(os.environ.get("USSL_CACHE_DIR") or os.path.expanduser("~/.cache/ussl"), "peers",
                                 "bin", "openssl35")
        servers = []
        try:
            for fl, bindir in self.flavours:
                v = run([os.path.join(bindir, "ussl-server"), "--version", "--json"], timeout=10)
                if json.loads(v.stdout.decode() or "{}").get("wolfssl", {}).get("features", {}).get("mlkem"):
                    servers.append(self.ussl_server(fl, "ecdsa", ["--groups", "X25519MLKEM768"]))
                else:
                    self.note(f"ussl [{fl}]: this wolfSSL has no ML-KEM; no X25519MLKEM768 row for it")
            if os.access(openssl35, os.X_OK):
                leaf, rest = self.split["ecdsa"]
                port = free_port()
                argv = [openssl35, "s_server", "-accept", f"127.0.0.1:{port}", "-cert", leaf, "-cert_chain", rest,
                        "-key", self.cert["ecdsa"][1], "-quiet", "-no-CAfile", "-no-CApath", "-no-CAstore", "-rev",
                        "-groups", "X25519MLKEM768"]
                p = spawn(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=open(os.path.join(self.tmp, "s_server35.err"), "w"))
                if wait_listening(port, p):
                    servers.append(Server("OpenSSL 3.5 s_server", p, port))
                else:
                    stop(p)
                    self.note("OpenSSL 3.5 s_server did not start")
            else:
                self.note(f"{openssl35} is missing (scripts/fetch-peers.sh): no OpenSSL 3.5 figure")
            pq = ["--key-shares", "X25519MLKEM768"]
            for srv in servers:
                self.ussl_bench(srv.port, ["--count", "100", "-c", "4"] + pq, groups="X25519MLKEM768")  # warm-up
            res = {srv.name: [] for srv in servers}
            for r in range(rounds):
                for srv in servers[r % max(1, len(servers)):] + servers[: r % max(1, len(servers))]:
                    m = self.measure_cpu(srv, ["--count", str(n), "-c", "4"] + pq, groups="X25519MLKEM768")
                    res[srv.name].append(m)
                    self.log(f"full_mlkem     {srv.name:24} round {r + 1}: {fmt_us(m.get('cpu_us'))} server CPU/hs, "
                             f"{m['ok']} ok, {m['failed']} failed")
            self.R["rows"]["full_mlkem"] = summarize_cpu(res)
            # ClientHello bytes, as ussl-client reports them.
            sizes = {}
            if servers:
                client = os.path.join(dict(self.flavours)[self.client_flavour], "ussl-client")
                for label, extra in (("default key shares (X25519MLKEM768 + X25519)", []),
                                     ("--key-shares X25519MLKEM768", ["--key-shares", "X25519MLKEM768"]),
                                     ("--key-shares X25519", ["--key-shares", "X25519"])):
                    r = run([client, "--host", "127.0.0.1", "--port", str(servers[0].port), "--json"] + extra,
                            timeout=20)
                    try:
                        # The first ClientHello (a server accepting only X25519MLKEM768 asks again for it).
                        sizes[label] = json.loads(r.stdout.decode())["handshake"]["client_hello_bytes"][:1]
                    except (ValueError, KeyError):
                        sizes[label] = None
            self.R["rows"]["client_hello_bytes"] = sizes
        finally:
            for srv in servers:
                srv.stop()

    def measure_cpu(self, srv, args, groups="X25519"):
        c0, s0 = cpu_seconds(srv.pid), sched_seconds(srv.pid)
        rep = self.ussl_bench(srv.port, args, groups=groups)
        time.sleep(0.05)  # the server finishes the last close
        c1, s1 = cpu_seconds(srv.pid), sched_seconds(srv.pid)
        conns = rep.get("connections", {})
        ok = conns.get("ok", 0)
        m = {"ok": ok, "failed": conns.get("failed", 0), "resumed": conns.get("resumed", 0),
             "errors": rep.get("errors", {}), "hs_per_s": rep.get("handshakes_per_s", 0.0),
             "latency_ms": rep.get("latency_ms", {}), "negotiated": rep.get("negotiated"),
             "cpu_s": c1 - c0, "sched_s": (s1 - s0) if s0 is not None and s1 is not None else None}
        if ok > 0:
            m["cpu_us"] = m["cpu_s"] / ok * 1e6
            if m["sched_s"] is not None:
                m["sched_us"] = m["sched_s"] / ok * 1e6
        if m["failed"]:
            self.note(f"{srv.name}: {m['failed']} failed connections: {m['errors']}")
        if not srv.alive():
            self.note(f"{srv.name} exited during the run (code {srv.proc.returncode})")
        return m

    # ------------------------------------------------------------------------
    # row 4: bulk

    def bulk_rows(self):
        a = self.a
        size = 64 << 20 if a.quick else GIB
        up_size = 32 << 20 if a.quick else 256 << 20
        rounds = 1 if a.quick else 3
        d = os.path.join(self.tmp, "www")
        os.makedirs(d)
        big = os.path.join(d, "big")
        with open(big, "wb") as f:
            f.truncate(size)  # sparse: read from the page cache, no disk
        with open(big, "rb") as f:  # once, so that no server pays for filling the page cache
            while f.readinto(bytearray(1 << 20)):
                pass
        up = os.path.join(self.tmp, "upload")
        with open(up, "wb") as f:
            f.truncate(up_size)
        curl = ["curl", "-sk", "--http0.9", "--tlsv1.3", "--tls13-ciphers", "TLS_AES_128_GCM_SHA256", "-o",
                "/dev/null", "--speed-limit", "1", "--speed-time", "3", "--max-time", "120", "-w", "%{json}"]

        def download(srv, path):
            c0 = cpu_seconds(srv.pid)
            t0 = time.perf_counter()
            r = run(curl + [f"https://127.0.0.1:{srv.port}{path}"], timeout=150)
            wall = time.perf_counter() - t0
            time.sleep(0.05)
            cpu = cpu_seconds(srv.pid) - c0
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
            for fl, _ in self.flavours:
                servers.append((self.ussl_server(fl, "ecdsa", ["--mode", "source", "--source-bytes", str(size),
                                                               "--ciphers", "TLS13-AES128-GCM-SHA256"]), "/"))
            servers.append((self.openssl_server("ecdsa", ["-WWW", "-ciphersuites", "TLS_AES_128_GCM_SHA256"], cwd=d),
                            "/big"))
            for srv, _ in servers:
                res[srv.name] = []
            for r in range(rounds):
                for srv, path in servers:
                    if res[srv.name] and not res[srv.name][-1]["complete"]:
                        continue  # it stalled once: do not wait for it again
                    m = download(srv, path)
                    res[srv.name].append(m)
                    self.log(f"download {size >> 20} MiB from {srv.name:24}: {m['bytes']} bytes, "
                             f"{m['mb_s']:.0f} MB/s, server CPU {m['server_cpu_s']:.2f} s"
                             + ("" if m["complete"] else f"  INCOMPLETE: curl exit {m['curl_exit']} {m['curl_error']}"))
                    if not m["complete"] and srv.name.startswith("ussl"):
                        self.note(f"{srv.name} --mode source: the download stopped after {m['bytes']} of {size} bytes "
                                  f"(curl: {m['curl_error']}).")
        finally:
            for srv, _ in servers:
                srv.stop()
        self.R["rows"]["bulk"] = {"size": size, "servers": res}

        # Upload (information): the server's receive path; s_client as the one client.
        res = {}
        servers = []
        try:
            for fl, _ in self.flavours:
                servers.append(self.ussl_server(fl, "ecdsa", ["--mode", "discard", "--ciphers",
                                                              "TLS13-AES128-GCM-SHA256"]))
            servers.append(self.openssl_server("ecdsa", ["-ciphersuites", "TLS_AES_128_GCM_SHA256"],
                                               stdin=subprocess.PIPE))
            for srv in servers:
                c0 = cpu_seconds(srv.pid)
                t0 = time.perf_counter()
                with open(up, "rb") as f:
                    r = run(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-ciphersuites",
                             "TLS_AES_128_GCM_SHA256", "-no-CAfile", "-no-CApath", "-no-CAstore"], timeout=120,
                            stdin=f, stdout=subprocess.DEVNULL)
                wall = time.perf_counter() - t0
                received = None
                if srv.log:  # ussl-server reports what it received
                    end = time.monotonic() + 10
                    while time.monotonic() < end and received is None:
                        for line in open(srv.log):
                            if '"event":"closed"' in line:
                                received = json.loads(line)["bytes"]["received"]
                        time.sleep(0.05)
                else:
                    time.sleep(0.2)
                cpu = cpu_seconds(srv.pid) - c0
                m = {"bytes": up_size, "client_exit": r.returncode, "time_s": wall, "mb_s": up_size / wall / 1e6,
                     "server_cpu_s": cpu, "server_cpu_s_per_gib": cpu * GIB / up_size, "server_received": received}
                res[srv.name] = m
                self.log(f"upload {up_size >> 20} MiB to {srv.name:24}: {m['mb_s']:.0f} MB/s, server CPU "
                         f"{cpu:.2f} s, s_client exit {r.returncode}, server received {received}")
        finally:
            for srv in servers:
                srv.stop()
        self.R["rows"]["upload"] = {"size": up_size, "servers": res}

    # ------------------------------------------------------------------------
    # rows 5 and 7: memory per idle connection, scale

    def hold(self, srv, n, concurrency=32):
        """Start a holder of n connections; return (proc, holding-line) once all are up."""
        argv = [self.bench_bin, "--host", "127.0.0.1", "--port", str(srv.port), "--groups", "X25519",
                "--tls-version", "1.3", "--json", "--hold", str(n), "--payload", "16", "-c", str(concurrency),
                "--hold-seconds", "600", "--hold-until-eof"]
        p = spawn(argv, role="client", stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = read_line(p.stdout, timeout=60 + n / 100)
        try:
            first = json.loads(line) if line else None
        except ValueError:
            first = None
        if not first or first.get("event") != "holding":
            stop(p)
            return None, {"event": "failed", "output": (line or "")[:300]}
        return p, first

    def release(self, p):
        try:
            out, _ = p.communicate(timeout=120)  # closes its stdin: the holder stops holding
            rep = json.loads(out.decode().strip().splitlines()[-1])
        except (subprocess.TimeoutExpired, IndexError, ValueError):
            stop(p)
            rep = {}
        if p in _children:
            _children.remove(p)
        return rep

    def memory_scale_rows(self, profile):
        a = self.a
        n_big = 300 if a.quick else a.hold
        n_peer = min(n_big, 1000)  # gnutls-serv: select(), FD_SETSIZE 1024
        load_s = 2 if a.quick else 5
        mem = {}
        scale = {}

        def warm(srv):
            self.ussl_bench(srv.port, ["--count", "20", "-c", "4", "--payload", "16"])
            time.sleep(0.3)

        def load_once(srv):
            c0 = cpu_seconds(srv.pid)
            ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            rep = self.ussl_bench(srv.port, ["--duration", str(load_s), "-c", str(SCALE_INFLIGHT)],
                                  timeout=load_s + 60)
            ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            conns = rep.get("connections", {})
            m = {"hs_per_s": rep.get("handshakes_per_s", 0.0), "ok": conns.get("ok", 0),
                 "failed": conns.get("failed", 0), "errors": rep.get("errors", {}),
                 "latency_ms": rep.get("latency_ms", {}), "server_cpu_s": cpu_seconds(srv.pid) - c0,
                 "client_cpu_s": (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime),
                 "seconds": rep.get("wall_s", load_s)}
            # What the server could sustain with a whole CPU: handshakes per second of its own CPU time.
            m["capacity_hs_per_cpu_s"] = m["ok"] / m["server_cpu_s"] if m["server_cpu_s"] > 0 else None
            return m

        def load(srv):
            # Capacity: the better of two runs (interference on a shared box only lowers a rate); both kept.
            runs = [load_once(srv) for _ in range(1 if a.quick else 2)]
            best = dict(max(runs, key=lambda x: x["hs_per_s"]))
            best["failed"] = sum(x["failed"] for x in runs)
            best["all_hs_per_s"] = [x["hs_per_s"] for x in runs]
            best["server_cpu_pct"] = 100 * best["server_cpu_s"] / best["seconds"] if best["seconds"] else None
            best["client_cpu_pct"] = 100 * best["client_cpu_s"] / best["seconds"] if best["seconds"] else None
            return best

        def step(srv, holders, target, label):
            have = sum(h[1]["held"] for h in holders)
            t0 = time.perf_counter()
            p, first = self.hold(srv, target - have)
            if p is None:
                self.note(f"{srv.name}: could not hold {target} connections ({first.get('output')})")
                return None
            holders.append((p, first))
            time.sleep(0.5)
            m = memory_kb(srv.pid)
            return {"n": sum(h[1]["held"] for h in holders), "mem_kb": m, "open_s": time.perf_counter() - t0}

        for fl, _ in self.flavours:
            srv = self.ussl_server(fl, "ecdsa")
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
                    self.log(f"memory {srv.name:24} {pt['n']} held: RssAnon +{pt['mem_kb']['RssAnon'] - base['RssAnon']}"
                             f" kB -> {pt['per_conn_kib']['RssAnon']:.1f} KiB/connection (opened in {pt['open_s']:.1f} s)")
                    sc = load(srv)
                    sc["held"] = pt["n"]
                    scale.setdefault(srv.name, []).append(sc)
                    self.log(f"scale  {srv.name:24} {pt['n']} held: {sc['hs_per_s']:.0f} new hs/s, "
                             f"{sc['failed']} failed, server CPU {sc['server_cpu_pct']:.0f}%, client CPU "
                             f"{sc['client_cpu_pct']:.0f}%, {fmt(sc['capacity_hs_per_cpu_s'], '', 0)} hs per server "
                             f"CPU-second")
                if profile and points:
                    self.profile_perf(srv, f"scale-{fl}", lambda s=srv: load_once(s))
                rels = [self.release(p) for p, _ in holders]
                held = sum(r.get("hold", {}).get("held", 0) for r in rels)
                still = sum(r.get("hold", {}).get("still_open", 0) for r in rels)
                mem[srv.name] = {"baseline_kb": base, "points": points, "held": held, "still_open_at_end": still}
                if held != still:
                    self.note(f"{srv.name}: {held - still} of {held} held connections were closed by the server")
            finally:
                for p, _ in holders:
                    stop(p)
                srv.stop()

        srv = self.gnutls_server("ecdsa")
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
                self.log(f"memory {srv.name:24} {pt['n']} held: {pt['per_conn_kib']['RssAnon']:.1f} KiB/connection")
                sc = load(srv)
                sc["held"] = pt["n"]
                scale[srv.name] = [sc]
                self.log(f"scale  {srv.name:24} {pt['n']} held: {sc['hs_per_s']:.0f} new hs/s, {sc['failed']} failed")
            rels = [self.release(p) for p, _ in holders]
            mem[srv.name] = {"baseline_kb": base, "points": points,
                             "held": sum(r.get("hold", {}).get("held", 0) for r in rels),
                             "still_open_at_end": sum(r.get("hold", {}).get("still_open", 0) for r in rels)}
        finally:
            for p, _ in holders:
                stop(p)
            srv.stop()
        self.R["rows"]["memory"] = {"n": n_big, "n_peer": n_peer, "servers": mem}
        self.R["rows"]["scale"] = {"n": n_big, "load_seconds": load_s, "servers": scale}

    # ------------------------------------------------------------------------
    # row 6: one-shot client

    def oneshot_row(self):
        """Against gnutls-serv --http (the table row) and, for information, ussl-server --mode http."""
        a = self.a
        runs = 5 if a.quick else 30
        ca = os.path.join(self.certs, "root-ca.pem")
        bad_ca = os.path.join(self.certs, "untrusted-root-ca.pem")

        def clients(port, ca_file):
            c = {}
            for fl, bindir in self.flavours:
                c[f"ussl-client [{fl}]"] = [os.path.join(bindir, "ussl-client"), "--host", "127.0.0.1", "--port",
                                            str(port), "--server-hostname", "localhost", "--cert-reqs", "required",
                                            "--ca-certs", ca_file, "--read-timeout", "0", "-q"]
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
                        self.note(f"{name} succeeded with an untrusted root: it does not verify as invoked")
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
                self.log(f"one-shot vs {srv.name:18} {name:22} median {fmt(med(ts), 'ms')} (p10 "
                         f"{fmt(pct(ts, 10), 'ms')}, p90 {fmt(pct(ts, 90), 'ms')}), {failures[name]} failed"
                         + (f"; untrusted root -> exit {negative.get(name)}" if negative_check else ""))
            return res, good

        srv = self.gnutls_server("ecdsa", ["--http"])
        try:
            res, good = measure(srv, runs, True)
            # ussl-client's default (no drain without a CertificateRequest): shown for information.
            dflt = [x for x in good[f"ussl-client [{self.flavours[-1][0]}]"] if x not in ("--read-timeout", "0")]
            dts = []
            for _ in range(3 if a.quick else 5):
                t0 = time.perf_counter()
                run(dflt, timeout=15, stdin=subprocess.DEVNULL)
                dts.append((time.perf_counter() - t0) * 1000)
        finally:
            srv.stop()
        self.R["rows"]["oneshot"] = {"server": srv.name + " --http", "runs": runs, "clients": res,
                                     "ussl_client_default_read_timeout_ms": {"median_ms": med(dts), "runs": len(dts)}}
        fl = self.flavours[-1][0]
        srv = self.ussl_server(fl, "ecdsa", ["--mode", "http"])
        try:
            res, _ = measure(srv, 3 if a.quick else 10, False)
        finally:
            srv.stop()
        self.R["rows"]["oneshot_vs_ussl"] = {"server": srv.name + " --mode http", "runs": 3 if a.quick else 10,
                                             "clients": res}

    # ------------------------------------------------------------------------
    # scan: one full ussl-client --scan vs sslscan and testssl.sh on the same server

    def scan_row(self):
        """openssl s_server -www (RSA, its defaults: TLS 1.2 + 1.3) on loopback; wall time per full scan."""
        a = self.a
        runs = 3 if a.quick else 5
        srv = self.openssl_server("rsa", ["-www"])
        res = {}
        try:
            tools = {}
            for fl, bindir in self.flavours:
                tools[f"ussl-client --scan [{fl}]"] = [os.path.join(bindir, "ussl-client"), "--host", "127.0.0.1",
                                                       "--port", str(srv.port), "--scan", "--json", "-q"]
            if shutil.which("sslscan"):
                tools["sslscan"] = ["sslscan", "--no-colour", f"127.0.0.1:{srv.port}"]
            testssl = shutil.which("testssl") or shutil.which("testssl.sh")
            if testssl and not a.quick:
                tools["testssl.sh"] = [testssl, "--quiet", "--color", "0", f"127.0.0.1:{srv.port}"]
            elif testssl:
                self.note("scan row: testssl.sh skipped in --quick (its default run takes minutes)")
            for name, argv in tools.items():
                n = 1 if name == "testssl.sh" else runs
                times, codes, found = [], [], None
                for _ in range(n):
                    t0 = time.perf_counter()
                    r = run(argv, timeout=1800, stdin=subprocess.DEVNULL, cwd=self.tmp)
                    times.append(time.perf_counter() - t0)
                    codes.append(r.returncode)
                    if name.startswith("ussl-client"):
                        scan = json.loads(r.stdout.decode().strip().splitlines()[-1])["scan"]
                        found = {"versions": [k for k, v in scan["versions"].items() if v == "accepted"],
                                 "suites": {k: len(v) for k, v in scan["suites"].items() if isinstance(v, list)},
                                 "connections": scan["connections"]}
                res[name] = {"runs": n, "median_s": med(times), "times_s": times, "exit_codes": codes,
                             "argv": argv, "found": found}
                self.log(f"scan: {name:28} median {fmt(med(times), 's', 2)} over {n} run(s), exit {codes}")
        finally:
            srv.stop()
        self.R["rows"]["scan"] = {"server": "openssl s_server -www (RSA-2048, defaults)", "tools": res}

    # ------------------------------------------------------------------------
    # profiles

    def perf_ok(self):
        if not shutil.which("perf"):
            return False
        r = run(["perf", "record", "-e", "cpu-clock", "-o", os.path.join(self.tmp, "probe.data"), "true"], timeout=30)
        return r.returncode == 0

    def profile_perf(self, srv, name, workload):
        data = os.path.join(self.out, f"perf-{name}.data")
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
            if p in _children:
                _children.remove(p)
        self.perf_report(name, data)

    def perf_report(self, name, data, extra=()):
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
        self.R["profiles"][name] = prof
        self.log(f"profile {name}: " + "; ".join(x.strip() for x in prof["dso,sym"][:4]))

    def profile_client(self, fl, bindir):
        """perf over ten one-shot ussl-client runs (whole processes, start to exit)."""
        srv = self.gnutls_server("ecdsa", ["--http"])
        data = os.path.join(self.out, f"perf-oneshot-client-{fl}.data")
        cmd = (f"for i in 1 2 3 4 5 6 7 8 9 10; do '{os.path.join(bindir, 'ussl-client')}' --host 127.0.0.1 "
               f"--port {srv.port} --server-hostname localhost --cert-reqs required --ca-certs "
               f"'{os.path.join(self.certs, 'root-ca.pem')}' --read-timeout 0 -q >/dev/null; done")
        try:
            run(["perf", "record", "-e", "cpu-clock", "-F", "10000", "-g", "-o", data, "--", "sh", "-c", cmd],
                timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        finally:
            srv.stop()
        self.perf_report(f"oneshot-client-{fl}", data)

    def profiles(self):
        if self.a.no_profile:
            return
        if not self.perf_ok():
            self.note("perf record does not work here: no CPU profiles")
        else:
            n = "300" if self.a.quick else "2000"
            for fl, _ in self.flavours:
                for cert in ("ecdsa", "rsa"):
                    srv = self.ussl_server(fl, cert)
                    try:
                        self.ussl_bench(srv.port, ["--count", "50", "-c", "4"])
                        self.profile_perf(srv, f"full-{cert}-{fl}",
                                          lambda s=srv: self.ussl_bench(s.port, ["--count", n, "-c", "4"]))
                    finally:
                        srv.stop()
                dl = (32 if self.a.quick else 256) << 20
                srv = self.ussl_server(fl, "ecdsa", ["--mode", "source", "--source-bytes", str(dl), "--ciphers",
                                                     "TLS13-AES128-GCM-SHA256"])
                try:
                    self.profile_perf(srv, f"download-{fl}", lambda s=srv: run(
                        ["curl", "-sk", "--http0.9", "-o", "/dev/null", "--speed-limit", "1", "--speed-time", "3",
                         "--max-time", "60", f"https://127.0.0.1:{s.port}/"], timeout=90))
                finally:
                    srv.stop()
                srv = self.ussl_server(fl, "ecdsa", ["--mode", "discard", "--ciphers", "TLS13-AES128-GCM-SHA256"])
                up = os.path.join(self.tmp, "upload")
                try:
                    def upload(s=srv):
                        with open(up, "rb") as f:
                            run(["openssl", "s_client", "-connect", f"127.0.0.1:{s.port}", "-ciphersuites",
                                 "TLS_AES_128_GCM_SHA256", "-no-CAfile", "-no-CApath", "-no-CAstore"], timeout=120,
                                stdin=f, stdout=subprocess.DEVNULL)
                    self.profile_perf(srv, f"upload-{fl}", upload)
                finally:
                    srv.stop()
                self.profile_client(fl, dict(self.flavours)[fl])
        if shutil.which("valgrind") and shutil.which("ms_print"):
            for fl, _ in self.flavours:
                self.massif(fl)
        else:
            self.note("no valgrind: no heap profile")

    def massif(self, fl):
        """Heap profile of ussl-server holding idle connections: who allocates them."""
        n = 50 if self.a.quick else 200
        mf = os.path.join(self.out, f"massif-{fl}.out")
        srv = self.ussl_server(fl, "ecdsa", wrapper=["valgrind", "--tool=massif", f"--massif-out-file={mf}",
                                                     "--threshold=1.0", "--detailed-freq=1", "--max-snapshots=60"])
        p = None
        try:
            p, first = self.hold(srv, n, concurrency=4)
            time.sleep(1.0)
            if p is not None:
                self.release(p)
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
            self.note(f"massif [{fl}]: no output")
            return
        r = run(["ms_print", mf], timeout=60)
        text = r.stdout.decode(errors="replace")
        self.R["profiles"][f"massif-{fl}"] = {"held": n, "peak": parse_massif_peak(text, n)}
        self.log(f"massif [{fl}]: " + " | ".join(self.R["profiles"][f"massif-{fl}"]["peak"][:3]))


# ---------------------------------------------------------------------------
# helpers


def read_line(stream, timeout):
    box = []
    t = threading.Thread(target=lambda: box.append(stream.readline()), daemon=True)
    t.start()
    t.join(timeout)
    return box[0].decode(errors="replace").strip() if box else None


def med(xs):
    return statistics.median(xs) if xs else None


def pct(xs, p):
    if not xs:
        return None
    s = sorted(xs)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[k]


def fmt(x, unit="", nd=1):
    if x is None:
        return "n/a"
    if isinstance(x, float) and abs(x) >= 100:
        nd = 0
    return f"{x:,.{nd}f} {unit}".strip()


def fmt_us(x):
    return fmt(x, "µs", 0)


def summarize_cpu(res):
    out = {}
    for name, runs in res.items():
        us = [r["cpu_us"] for r in runs if "cpu_us" in r]
        sus = [r["sched_us"] for r in runs if "sched_us" in r]
        out[name] = {"cpu_us": med(us), "cpu_us_min": min(us) if us else None, "cpu_us_max": max(us) if us else None,
                     "sched_us": med(sus), "hs_per_s": med([r["hs_per_s"] for r in runs]),
                     "ok": sum(r["ok"] for r in runs), "failed": sum(r["failed"] for r in runs),
                     "resumed": sum(r["resumed"] for r in runs), "rounds": len(runs),
                     "negotiated": runs[-1].get("negotiated") if runs else None,
                     "latency_ms": runs[-1].get("latency_ms") if runs else None, "runs": runs}
    return out


# Where the samples of a profile go. Patterns are tried in order on "dso sym".
PERF_CLASSES = [
    ("event loop: epoll and the loop's bookkeeping",
     r"\b(ep_poll|ep_send_events|ep_item_poll|do_epoll_wait|do_epoll_ctl|__x64_sys_epoll_wait|__x64_sys_epoll_ctl|"
     r"ep_insert|ep_remove|ep_modify|sock_poll|tcp_poll|fdget|__fget_light|Worker::loop|Worker::settle|"
     r"Worker::interest|Worker::expire_timers|Worker::next_deadline|Worker::touch|Worker::set_timer|"
     r"Worker::observe_server|Worker::reap)\b"),
    ("JSON / logging of events (nlohmann, fmt, spdlog)", r"nlohmann|fmt::|spdlog|print_json|dump_escaped"),
    ("kernel: network stack, syscalls, scheduler", r"\[k\]"),
    ("dynamic loader (start-up)", r"^ld-linux"),
    ("malloc / free / memcpy (libc)", r"^libc\.so\S*\s+\[\.\] .*(malloc|free|memmove|memcpy|memset|cfree|realloc|"
     r"calloc|_int_)"),
    ("other libc", r"^libc\.so"),
    ("ussl library and app (other)", r"\bussl::"),
    ("C++ runtime", r"^libstdc\+\+|std::|__cxx|operator new|operator delete"),
    ("wolfSSL (TLS + crypto)", r"^(libwolfssl|ussl-server|ussl-client|ussl-bench)"),
]


def perf_breakdown(text):
    totals = {}
    for ln in text.splitlines():
        m = re.match(r"^\s*(\d+\.\d+)%\s+(\S+)\s+(\[.\])\s+(.*)$", ln)
        if not m:
            continue
        pctv, dso, kind, sym = float(m.group(1)), m.group(2), m.group(3), m.group(4)
        key = f"{dso} {kind} {sym}"
        for label, pat in PERF_CLASSES:
            if re.search(pat, key):
                break
        else:
            label = "other"
        totals[label] = totals.get(label, 0.0) + pctv
    return [f"{v:6.2f}%  {k}" for k, v in sorted(totals.items(), key=lambda kv: -kv[1]) if v >= 0.5]


def _short_fn(fn):
    fn = re.sub(r"^0x[0-9A-Fa-f]+: ", "", fn)
    fn = re.sub(r"\(in (/[^)]*/)?([^/)]+)\)$", r"(in \2)", fn)
    if "::" in fn:  # drop C++ parameter lists
        prev = None
        while prev != fn:
            prev = fn
            fn = re.sub(r"\((?:[^()])*\)(?= const| \(|$)", "()", fn, count=1) if "(in " not in fn else re.sub(
                r"::(\w+)\((?:[^()]|\([^()]*\))*\)( const)?", r"::\1()", fn)
    return fn[:140]


def parse_massif_peak(text, n):
    """The top-level branches of the peak snapshot's allocation tree, with each one's first caller."""
    m = re.search(r"(\d+) \(peak\)", text)
    if not m:
        return []
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if re.match(r"^\s+" + m.group(1) + r"\s+[\d,]+\s+[\d,]+", ln)),
                 None)
    if start is None:
        return []
    entries = []
    total = re.match(r"^\s+\d+\s+[\d,]+\s+([\d,]+)", lines[start]).group(1)
    for ln in lines[start + 1:]:
        if ln.startswith("-----"):
            break
        mm = re.match(r"^((?:\| |  )*)->(\d+\.\d+)% \(([\d,]+)B\) (.*)$", ln)
        if not mm:
            continue
        depth = len(mm.group(1)) // 2
        if depth <= 1:
            entries.append((depth, float(mm.group(2)), int(mm.group(3).replace(",", "")), _short_fn(mm.group(4))))
    out = [f"peak heap {total} B with {n} idle connections held; largest allocation sites (B per held connection = "
           f"bytes / {n}):"]
    for k, (d, pc, b, fn) in enumerate(entries):
        if d != 0:
            continue
        child = entries[k + 1][3] if k + 1 < len(entries) and entries[k + 1][0] == 1 else ""
        out.append(f"{pc:6.2f}% {b:>11,} B {b / n:>8,.0f} B/conn  {fn}" + (f"  <- {child}" if child else ""))
        if len(out) > 14:
            break
    return out


# ---------------------------------------------------------------------------
# verdicts and the table


def ratio_text(r):
    return "n/a" if r is None else f"{r:.2f}×"


def verdict_le(ratio, target):
    if ratio is None:
        return "not measured"
    if ratio <= target:
        return f"met ({ratio:.2f}× ≤ {target}×)"
    return f"missed by {(ratio / target - 1) * 100:.0f}% ({ratio:.2f}× > {target}×)"


def verdict_ge(ratio, target):
    if ratio is None:
        return "not measured"
    if ratio >= target:
        return f"met ({ratio:.2f}× ≥ {target}×)"
    return f"missed by {(1 - ratio / target) * 100:.0f}% ({ratio:.2f}× < {target}×)"


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


def print_table(rows):
    print()
    print("=" * 100)
    print("ussl bench results (ratios = ours / peer; every figure measured in this run)")
    print("=" * 100)
    for what, target, ours, peers, ratio, verdict in rows:
        print(f"* {what}\n    target : {target}\n    ours   : {ours}\n    peers  : {peers}\n"
              f"    ratio  : {ratio}\n    verdict: {verdict}")
    print()


# ---------------------------------------------------------------------------
# plot


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


# ---------------------------------------------------------------------------
# the document


def machine_info():
    info = {"nproc": os.cpu_count(), "kernel": platform.release()}
    try:
        r = subprocess.run(["lscpu"], capture_output=True, timeout=10, text=True)
        for ln in r.stdout.splitlines():
            k, _, v = ln.partition(":")
            if k.strip() in ("Model name", "CPU(s)", "Thread(s) per core", "Hypervisor vendor", "L3 cache",
                             "CPU max MHz", "Virtualization type"):
                info[k.strip()] = v.strip()
            if k.strip() == "Flags":
                fl = v.split()
                info["flags (selection)"] = " ".join(x for x in ("aes", "pclmulqdq", "vaes", "vpclmulqdq", "avx2",
                                                                  "avx512f", "sha_ni", "adx", "bmi2") if x in fl)
    except Exception:
        pass
    with open("/proc/meminfo") as f:
        info["MemTotal"] = f.readline().split(":")[1].strip()
    try:
        info["os"] = re.search(r'PRETTY_NAME="([^"]+)"', open("/etc/os-release").read()).group(1)
    except Exception:
        pass
    return info


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


def md_escape(s):
    return str(s).replace("|", "\\|")


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
    w("```")
    w("")
    w(f"Recorded run: `{meta['command']}` on {meta['date']}, commit {meta['git']}, "
      f"{meta['runtime_s']:.0f} s of measuring after {meta['build_seconds']} s of tool checks and builds.")
    w("")
    w("## Results")
    w("")
    w("Ratios are ours / peer's. Targets are issue 5's. \"Met\" or \"missed by X%\" is computed from the ratio "
      "against the target.")
    w("")
    w("| what | target | ours | peers | ratio | verdict |")
    w("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
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
                       ("resumed_ecdsa", "Resumed handshakes (TLS 1.3 ticket, PSK + X25519), ECDSA certificate")):
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
        w(f"ussl-bench opens full handshakes ({SCALE_INFLIGHT} in flight, {sc['load_seconds']} s, twice; the better "
          "run is the figure, both are listed) while another ussl-bench holds N idle connections on the same server. "
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
      "across servers (the order rotates), and the table gives the median of the rounds.")
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
    with open(path, "w") as f:
        f.write("\n".join(L))


# ---------------------------------------------------------------------------


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
        _nice["value"] = -10
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) >= 2:
        _pin["server"], _pin["client"] = cpus[0], cpus[1]
        os.sched_setaffinity(0, {cpus[1]})  # the harness itself stays off the servers' CPU
        pinning = f"servers on CPU {cpus[0]}, clients (and this harness) on CPU {cpus[1]} (sched_setaffinity)"
    else:
        pinning = "one CPU only: no pinning, servers and clients share it"

    B = Bench(a)
    B.R["meta"] = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "bench/run.sh " + " ".join(
            (["--wolfssl " + ("both" if len(B.flavours) > 1 else B.flavours[0][0])]) +
            (["--quick"] if a.quick else []) + (["--no-profile"] if a.no_profile else []) +
            ([f"--hold {a.hold}"] if a.hold != 10000 else [])),
        "git": git_info(a.root), "netns": a.netns,
        "pinning": pinning + (f"; measured processes at nice {_nice['value']}" if _nice["value"] else ""), "machine": machine_info(),
        "cpu": machine_info().get("Model name", "?") + f", {os.cpu_count()} CPUs",
        "load_start": loadavg(), "build_seconds": a.build_seconds,
        "build_notes": open(a.build_notes).read().splitlines() if a.build_notes and os.path.exists(a.build_notes) else [],
        "versions": tool_versions(B),
        "counts": {"full ECDSA handshakes per round": 300 if a.quick else 3000, "ECDSA rounds": 1 if a.quick else 3,
                   "full RSA handshakes per round": 200 if a.quick else 1500, "RSA rounds": 1 if a.quick else 3,
                   "resumed per round": 300 if a.quick else 3000, "bulk rounds": 1 if a.quick else 3,
                   "held": 300 if a.quick else a.hold, "one-shot runs": 5 if a.quick else 30},
    }
    B.log(f"flavours: {B.flavours}; load client: {B.bench_bin}; {pinning}; load {loadavg()}")
    steps = [("handshakes", B.handshake_rows), ("post-quantum", B.pq_rows), ("bulk", B.bulk_rows),
             ("memory+scale", lambda: B.memory_scale_rows(not a.no_profile and B.perf_ok())),
             ("one-shot", B.oneshot_row), ("scan", B.scan_row), ("profiles", B.profiles)]
    for name, fn in steps:
        t0 = time.monotonic()
        try:
            fn()
        except Exception as e:  # one broken step must not lose the others
            import traceback
            traceback.print_exc()
            B.note(f"step {name} failed: {type(e).__name__}: {e}")
        B.log(f"step {name}: {time.monotonic() - t0:.0f} s")
        stop_all()
    B.R["meta"]["load_end"] = loadavg()
    B.R["meta"]["runtime_s"] = time.monotonic() - t_start
    rows = build_table(B)
    B.R["table"] = rows
    print_table(rows)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(B.R, f, indent=1, default=str)
    if not a.no_doc:
        png = os.path.join(a.root, "docs", "performance.png")
        png_ok = write_plot(B, png)
        write_doc(B, rows, os.path.join(a.root, "docs", "performance.md"), png_ok)
        B.log(f"wrote docs/performance.md{' and docs/performance.png' if png_ok else ''}")
    else:
        png_ok = write_plot(B, os.path.join(a.out, "performance.png"))
    B.log(f"results: {os.path.join(a.out, 'results.json')}; {B.R['meta']['runtime_s']:.0f} s")


if __name__ == "__main__":
    main()
