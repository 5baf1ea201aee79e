"""The run's state (Bench: paths, flavours, certificates, results) and the processes it measures: ussl-server
(through tests/apps/ussl_proc.py, the launcher the program tests use), openssl s_server, gnutls-serv, and
ussl-bench as the load client."""

import atexit
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from .proc import children, read_line, run, spawn, stop
from .readings import cpu_seconds, sched_seconds

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "apps"))
sys.dont_write_bytecode = True
import ussl_proc  # noqa: E402


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, timeout=8.0):
    return ussl_proc.wait_port(port, proc, timeout)


class Unsupported(Exception):
    """This flavour's program lacks a flag the row needs (an older commit measured with --baseline)."""


class Server:
    """A started server: its name in the tables, process, port, and (ussl-server) its event log."""

    def __init__(self, name, proc, port, log=None, handle=None):
        self.name, self.proc, self.port, self.log, self.handle = name, proc, port, log, handle

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        stop(self.proc)
        if self.handle is not None:
            self.handle.kill()  # closes its files


class Bench:
    """Everything one run needs: paths, flavours (name, bindir; the baseline first), results (R), and the
    processes it measures. Rows are functions of a Bench (rows_*.py) that fill R["rows"]."""

    def __init__(self, a):
        self.a = a
        self.root = a.root
        self.out = a.out
        self.certs = os.path.join(a.root, "certs")
        self.flavours = []  # (name, bindir)
        for spec in a.flavour:
            name, _, path = spec.partition("=")
            self.flavours.append((name, path))
        # --baseline: the programs of an older commit, one more flavour, measured first in every row.
        self.base = None
        if getattr(a, "base", None):
            name, _, path = a.base.partition("=")
            self.base = name
            self.flavours.insert(0, (name, path))
        self._help = {}
        self.tmp = tempfile.mkdtemp(prefix="ussl-bench-")
        atexit.register(shutil.rmtree, self.tmp, True)
        self.R = {"rows": {}, "notes": [], "profiles": {}, "checks": {}, "skipped": {}, "base": self.base}
        self.plot = {}
        # The one load client for every server: the tuned build's if there is one (never the baseline's).
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

    def help_flags(self, flavour, program):
        """The options `program --help` of this flavour lists (old builds lack newer flags)."""
        key = (flavour, program)
        if key not in self._help:
            r = run([os.path.join(dict(self.flavours)[flavour], program), "--help"], timeout=10)
            text = (r.stdout + r.stderr).decode(errors="replace")
            self._help[key] = set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", text))
        return self._help[key]

    def unsupported(self, flavour, program, argv):
        """The flags of argv that this flavour's program does not have."""
        have = self.help_flags(flavour, program)
        return [x for x in argv if isinstance(x, str) and re.match(r"^--?[A-Za-z]", x) and x not in have]

    def skip(self, row, flavour, why):
        """Records that `row` has no figure for `flavour`, and why (shown in the table and the notes)."""
        self.R["skipped"].setdefault(row, {})[flavour] = why
        self.note(f"{row}: skipped for [{flavour}]: {why}")

    def ussl_server(self, flavour, cert="ecdsa", args=(), wrapper=()):
        """ussl-server of this flavour on port 0 (tests/apps/ussl_proc.py), events to a file. Raises
        Unsupported when this flavour's ussl-server lacks one of the flags."""
        bindir = dict(self.flavours)[flavour]
        chain, key = self.cert[cert]
        argv = [os.path.join(bindir, "ussl-server"), "--certfile", chain, "--keyfile", key, "--port", "0", "--json",
                "-q"] + list(args)
        missing = self.unsupported(flavour, "ussl-server", argv[1:])
        if missing:
            raise Unsupported(f"its ussl-server has no {' '.join(missing)}")
        tag = re.sub(r"[^\w.-]+", "_", flavour)
        logf = os.path.join(self.tmp, f"ussl-server-{tag}-{time.monotonic_ns()}.jsonl")
        try:
            h = ussl_proc.UsslServer(list(wrapper) + argv, log_path=logf, start_timeout=60 if wrapper else 8,
                                     popen=spawn)
        except ussl_proc.ServerStartError as e:
            raise RuntimeError(f"ussl-server [{flavour}] did not start: {str(e)[-500:]}") from None
        return Server(f"ussl-server [{flavour}]", h.proc, h.port, logf, handle=h)

    def ussl_servers(self, row, cert="ecdsa", args=(), flavours=None):
        """One ussl-server per flavour (or the named ones); a flavour without a flag is skipped for `row`."""
        out = []
        for fl in flavours or [fl for fl, _ in self.flavours]:
            try:
                out.append(self.ussl_server(fl, cert, args))
            except Unsupported as e:
                self.skip(row, fl, str(e))
        return out

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

    def gnutls_server(self, cert="ecdsa", args=("--echo",), client_cert=False):
        """gnutls-serv; without client_cert it does not ask for a client certificate (-a)."""
        chain, key = self.cert[cert]
        for _attempt in range(5):
            port = free_port()
            argv = (["gnutls-serv", "-q"] + ([] if client_cert else ["-a"])
                    + ["--x509certfile", chain, "--x509keyfile", key, "-p", str(port)] + list(args))
            err = open(os.path.join(self.tmp, f"gnutls-serv-{port}.err"), "w")
            p = spawn(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
            if wait_listening(port, p):
                return Server("gnutls-serv", p, port)
            stop(p)
        raise RuntimeError("gnutls-serv did not start")

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
        if p in children:
            children.remove(p)
        return rep
