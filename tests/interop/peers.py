"""Interop peers for ussl: processes, ports, and how to start or run each foreign TLS stack.

Standard library only. Every process is started in its own session (so nginx's worker goes with its
master), every wait is bounded, and every process is killed when its cell ends.
Long on purpose (~800 lines): one class per foreign TLS stack (start, run, stop), each small; together
they are the one catalogue of how this project starts a peer.
"""

import json
import os
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "apps"))
import ussl_proc  # noqa: E402  (tests/apps: the shared ussl-server launcher)

TLS_PEER = os.path.join(HERE, "tls_peer.py")
NGINX_ECHO_MODULE = "/usr/lib/nginx/modules/ngx_http_echo_module.so"
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin") or "nginx"  # sbin: not in every PATH

# Peers newer than Debian 12's, unpacked from trixie by scripts/fetch-peers.sh (run by scripts/build.sh).
PEERS_BIN = os.path.join(os.environ.get("USSL_CACHE_DIR") or os.path.expanduser("~/.cache/ussl"), "peers", "bin")
OPENSSL35 = os.environ.get("USSL_OPENSSL35") or os.path.join(PEERS_BIN, "openssl35")
CURL35 = os.environ.get("USSL_CURL35") or os.path.join(PEERS_BIN, "curl-trixie")


def need_peer(path):
    """A fetched peer, or a failure naming it and how to get it."""
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{path} is missing: run scripts/fetch-peers.sh")
    return path


START_TIMEOUT = 15  # seconds for a server peer to be ready
RUN_TIMEOUT = 30  # seconds for any one client run


class Env:
    """Paths shared by every cell."""

    def __init__(self, client, server, certs, workdir):
        self.client = client
        self.server = server
        self.certs = certs
        self.workdir = workdir
        self.python = sys.executable

    def cert(self, name):
        return os.path.join(self.certs, name)

    def tmpdir(self, prefix):
        return tempfile.mkdtemp(prefix=prefix, dir=self.workdir)


# --- processes ---------------------------------------------------------------------------------------------


class Proc:
    """A subprocess whose stdout/stderr are collected by threads, so waiting on output is bounded."""

    def __init__(self, cmd, stdin=False, env=None, cwd=None):
        self.cmd = [str(c) for c in cmd]
        self.p = subprocess.Popen(self.cmd, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd,
                                  start_new_session=True)
        self.out = bytearray()
        self.err = bytearray()
        self._cond = threading.Condition()
        self._open = 2
        self._threads = [threading.Thread(target=self._pump, args=(self.p.stdout, self.out), daemon=True),
                         threading.Thread(target=self._pump, args=(self.p.stderr, self.err), daemon=True)]
        for t in self._threads:
            t.start()

    def _pump(self, stream, sink):
        fd = stream.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            with self._cond:
                if not chunk:
                    self._open -= 1
                    self._cond.notify_all()
                    return
                sink.extend(chunk)
                self._cond.notify_all()

    def wait_for(self, predicate, timeout):
        """Waits until predicate(out, err) holds; False on timeout or when the output ended without it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if predicate(bytes(self.out), bytes(self.err)):
                    return True
                left = deadline - time.monotonic()
                if left <= 0 or self._open == 0:
                    return False
                self._cond.wait(min(left, 0.1))

    def write(self, data):
        try:
            self.p.stdin.write(data)
            self.p.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass

    def close_stdin(self):
        try:
            self.p.stdin.close()
        except (BrokenPipeError, OSError):
            pass

    def wait(self, timeout):
        """The exit code, or None when it did not exit in time."""
        try:
            rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        for t in self._threads:
            t.join(timeout=5)
        return rc

    def alive(self):
        return self.p.poll() is None

    def stop(self, timeout=5):
        """SIGTERM to the process group, SIGKILL after timeout; returns the exit code."""
        if self.p.poll() is None:
            self._signal(signal.SIGTERM)
            if self.wait(timeout) is None:
                self._signal(signal.SIGKILL)
        rc = self.wait(timeout)
        for stream in (self.p.stdin, self.p.stdout, self.p.stderr):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        return rc

    def _signal(self, sig):
        try:
            os.killpg(self.p.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def text(self):
        with self._cond:
            return (bytes(self.out) + b"\n" + bytes(self.err)).decode("utf-8", "replace")


def run(cmd, timeout=RUN_TIMEOUT, env=None, stdin_data=None):
    """Runs a command to completion (bounded); returns (rc, stdout bytes, stderr bytes)."""
    proc = Proc(cmd, stdin=stdin_data is not None, env=env)
    if stdin_data is not None:
        proc.write(stdin_data)
        proc.close_stdin()
    rc = proc.wait(timeout)
    if rc is None:
        proc.stop()
        rc = "timeout"
    else:
        proc.stop()
    return rc, bytes(proc.out), bytes(proc.err)


# --- ports -------------------------------------------------------------------------------------------------

_port_lock = threading.Lock()
_ports_given = set()
# (index, count): which slice of the fixed-port range this process picks from. The matrix takes the
# lower half and the CI recipes (another CTest test, maybe running at the same time) the upper half.
PORT_SLICE = (0, 2)


def _fixed_port_range():
    """Ports below the kernel's ephemeral range: never handed out for port 0 or to a client socket, so a port
    picked here cannot be taken by another test's listener or connection while a peer starts."""
    low = 32768
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    top = min(low - 1, 32000)
    if top < 12000:
        return 10000, 60999  # odd configuration: any port, still checked and retried
    return max(10000, top - 12000), top


def free_port(salt=0):
    """A port no test of this run was given, free on 0.0.0.0 and :: right now (gnutls-serv binds both)."""
    low, high = _fixed_port_range()
    width = (high - low + 1) // PORT_SLICE[1]
    low += width * PORT_SLICE[0]
    high = low + width - 1
    rng = random.Random(os.getpid() * 7919 + salt + time.monotonic_ns())
    with _port_lock:
        for _ in range(500):
            port = rng.randint(low, high)
            if port in _ports_given:
                continue
            _ports_given.add(port)
            if _bindable(socket.AF_INET, "0.0.0.0", port) and _bindable(socket.AF_INET6, "::", port):
                return port
    raise RuntimeError("no free port found")


def _bindable(family, address, port):
    try:
        s = socket.socket(family, socket.SOCK_STREAM)
    except OSError:
        return True  # no IPv6: nothing to collide with
    try:
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((address, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


# --- versions ----------------------------------------------------------------------------------------------


def peer_versions(env):
    """The version of every peer, for the report."""
    def text(cmd):
        rc, out, err = run(cmd, timeout=10)
        return (out + err).decode("utf-8", "replace")

    def find(pattern, haystack, default="?"):
        m = re.search(pattern, haystack)
        return m.group(0) if m else default

    try:
        version = json.loads(run([env.client, "--version", "--json"], timeout=10)[1])
        ussl = f"ussl {version['version']} (wolfSSL {version['wolfssl']['version']})"
    except ValueError:
        ussl = "ussl ?"
    curl = text(["curl", "--version"])
    openssl35 = text([OPENSSL35, "version"]) if os.access(OPENSSL35, os.X_OK) else "missing"
    curl35 = text([CURL35, "--version"]) if os.access(CURL35, os.X_OK) else "missing"
    def debian(name):
        try:
            with open(os.path.join(os.path.dirname(PEERS_BIN), name, "VERSION")) as f:
                return f", Debian package {f.read().strip()}"
        except OSError:
            return ""
    return {
        "openssl35": find(r"OpenSSL [0-9][^ ]*", openssl35, "missing (scripts/fetch-peers.sh)") + debian("openssl"),
        "curl35": find(r"curl [0-9.]+", curl35, "missing (scripts/fetch-peers.sh)") + " (" +
        find(r"OpenSSL/[0-9.]+", curl35) + debian("curl") + ")",
        "ussl": ussl,
        "openssl": find(r"OpenSSL [0-9][^ ]*", text(["openssl", "version"])),
        "gnutls": find(r"gnutls-cli [0-9.]+", text(["gnutls-cli", "--version"])).replace("gnutls-cli", "GnuTLS"),
        "curl": find(r"curl [0-9.]+", curl) + " (" + find(r"(OpenSSL|GnuTLS|wolfSSL)/[0-9.]+", curl) + ")",
        "nginx": find(r"nginx/[0-9.]+", text([NGINX, "-V"])) + " (" +
        find(r"running with OpenSSL [0-9.]+", text([NGINX, "-V"])).replace("running with ", "") + ")",
        "python": f"Python {sys.version.split()[0]} ssl ({ssl.OPENSSL_VERSION})",
    }


# --- certificates ------------------------------------------------------------------------------------------

# name: (leaf, intermediate or None, key, chain file a server sends)
SERVER_CERTS = {
    "ecdsa": ("server.pem", "intermediate-ca.pem", "server.key", "server-chain.pem"),
    "rsa": ("server-rsa.pem", "intermediate-ca.pem", "server-rsa.key", "server-rsa-chain.pem"),
    "expired": ("expired.pem", "intermediate-ca.pem", "expired.key", "expired-chain.pem"),
    "notyetvalid": ("notyetvalid.pem", "intermediate-ca.pem", "notyetvalid.key", "notyetvalid-chain.pem"),
    "wronghost": ("wronghost.pem", "intermediate-ca.pem", "wronghost.key", "wronghost-chain.pem"),
    "wildcard": ("wildcard.pem", "intermediate-ca.pem", "wildcard.key", "wildcard-chain.pem"),
    "selfsigned": ("selfsigned.pem", None, "selfsigned.key", "selfsigned.pem"),
    "untrusted": ("untrusted-server.pem", None, "untrusted-server.key", "untrusted-server.pem"),
    "leafonly": ("server.pem", None, "server.key", "server.pem"),
}

# name: (leaf, intermediate or None, key, chain file a client sends)
CLIENT_CERTS = {
    "valid": ("client.pem", "intermediate-ca.pem", "client.key", "client-chain.pem"),
    "valid-rsa": ("client-rsa.pem", "intermediate-ca.pem", "client-rsa.key", "client-rsa-chain.pem"),
    "untrusted": ("untrusted-client.pem", None, "untrusted-client.key", "untrusted-client.pem"),
    "expired": ("client-expired.pem", "intermediate-ca.pem", "client-expired.key", "client-expired-chain.pem"),
}


class ServerSpec:
    """What a server peer is asked to do."""

    def __init__(self, version=None, cert="ecdsa", client_auth="none", alpn=None, ciphers=None, http2=False):
        self.version = version  # "1.2", "1.3" or None (both)
        self.cert = cert
        self.client_auth = client_auth  # none, optional, required
        self.alpn = alpn  # list or None
        self.ciphers = ciphers  # peer-specific string or None
        self.http2 = http2  # nginx: also offer h2


class ClientSpec:
    """What a client peer is asked to do."""

    def __init__(self, version=None, cert=None, host="localhost", verify_name="localhost", alpn=None,
                 ciphers=None):
        self.version = version
        self.cert = cert  # key into CLIENT_CERTS or None
        self.host = host
        self.verify_name = verify_name  # name (or IP) the peer checks the server certificate against
        self.alpn = alpn
        self.ciphers = ciphers


# --- server peers ------------------------------------------------------------------------------------------


class Running:
    """A started server peer."""

    def __init__(self, proc, port, tmp=None, describe=""):
        self.proc = proc
        self.port = port
        self.tmp = tmp
        self.describe = describe

    def stop(self):
        rc = self.proc.stop()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return rc


class ServerPeer:
    name = "?"
    label = "?"
    # How the peer answers the data a ussl-client sends: "echo" (same bytes), "rev" (each line reversed),
    # "http-echo" (an HTTP/1.0 POST /echo answered with the body).
    data = "echo"

    def start(self, env, spec):
        raise NotImplementedError


class OpenSSLServer(ServerPeer):
    name = "openssl"
    label = "openssl s_server"
    data = "rev"
    program = "openssl"

    def start(self, env, spec, extra=()):
        leaf, inter, key, _ = SERVER_CERTS[spec.cert]
        cmd = [need_peer(self.program) if os.sep in self.program else self.program, "s_server", "-accept", "127.0.0.1:0", "-cert", env.cert(leaf), "-key", env.cert(key),
               "-rev"]
        if inter:
            cmd += ["-cert_chain", env.cert(inter)]
        if spec.version:
            cmd.append("-tls1_2" if spec.version == "1.2" else "-tls1_3")
        if spec.client_auth != "none":
            cmd += ["-CAfile", env.cert("root-ca.pem"), "-verify_return_error"]
            cmd += ["-Verify" if spec.client_auth == "required" else "-verify", "3"]
        if spec.alpn:
            cmd += ["-alpn", ",".join(spec.alpn)]
        if spec.ciphers:
            cmd += ["-cipher", spec.ciphers, "-ciphersuites", spec.ciphers]
        cmd += list(extra)
        proc = Proc(cmd, stdin=True)  # s_server reads stdin; keep it open (and quiet)
        if not proc.wait_for(lambda out, err: re.search(rb"ACCEPT 127\.0\.0\.1:\d+", out), START_TIMEOUT):
            text = proc.text()
            proc.stop()
            raise RuntimeError("openssl s_server did not start:\n" + text)
        port = int(re.search(rb"ACCEPT 127\.0\.0\.1:(\d+)", proc.out).group(1))
        return Running(proc, port, describe=" ".join(cmd))


class OpenSSL35Server(OpenSSLServer):
    name = "openssl35"
    label = "OpenSSL 3.5 s_server"
    program = OPENSSL35


class GnuTLSServer(ServerPeer):
    name = "gnutls"
    label = "gnutls-serv"
    data = "echo"  # text only: gnutls-serv's echo is line based (NUL ends a line, CR LF becomes LF)

    def start(self, env, spec, extra=()):
        _, _, key, chain = SERVER_CERTS[spec.cert]
        priority = "NORMAL"
        if spec.version:
            priority += ":-VERS-ALL:+VERS-TLS" + spec.version
        if spec.ciphers:
            priority += ":" + spec.ciphers
        last = ""
        for attempt in range(5):
            port = free_port(attempt)
            cmd = ["gnutls-serv", "-p", port, "--echo", "--x509certfile", env.cert(chain), "--x509keyfile",
                   env.cert(key), "--priority", priority]
            if spec.client_auth == "none":
                cmd.append("-a")
            else:
                cmd += ["--x509cafile", env.cert("root-ca.pem"), "--verify-client-cert"]
                if spec.client_auth == "required":
                    cmd.append("-r")
            if spec.alpn:
                for proto in spec.alpn:
                    cmd.append("--alpn=" + proto)
                cmd.append("--alpn-fatal")
            cmd += list(extra)
            proc = Proc(cmd)
            # It announces IPv4 and IPv6 in turn on stderr; a failed bind is printed but not fatal, so look for it.
            ready = proc.wait_for(lambda out, err: b"bind() failed" in out + err or
                                  (out + err).count(b"...done") >= 2, START_TIMEOUT)
            if ready and b"bind() failed" not in bytes(proc.out) + bytes(proc.err) and proc.alive():
                return Running(proc, port, describe=" ".join(map(str, cmd)))
            last = proc.text()
            proc.stop()
        raise RuntimeError("gnutls-serv did not start:\n" + last)


class NginxServer(ServerPeer):
    name = "nginx"
    label = "nginx"
    data = "http-echo"

    def start(self, env, spec, extra=(), sni=None):
        """sni: extra server blocks {server_name: cert name}, for the SNI recipe."""
        _, _, key, chain = SERVER_CERTS[spec.cert]
        last = ""
        for attempt in range(5):
            tmp = env.tmpdir("nginx-")
            os.chmod(tmp, 0o755)  # the worker runs as nobody when we are root
            www = os.path.join(tmp, "www")
            os.mkdir(www)
            os.chmod(www, 0o755)
            port = free_port(attempt)
            protocols = {"1.2": "TLSv1.2", "1.3": "TLSv1.3"}.get(spec.version, "TLSv1.2 TLSv1.3")
            verify = {"none": "off", "optional": "optional", "required": "on"}[spec.client_auth]

            def server_block(name, cert_name, default):
                _, _, k, c = SERVER_CERTS[cert_name]
                lines = [
                    "  server {",
                    f"    listen 127.0.0.1:{port} ssl{' http2' if spec.http2 else ''}"
                    f"{' default_server' if default else ''};",
                    f"    server_name {name};",
                    f"    ssl_certificate {env.cert(c)};",
                    f"    ssl_certificate_key {env.cert(k)};",
                    f"    ssl_protocols {protocols};",
                    f"    ssl_verify_client {verify};",
                    f"    ssl_client_certificate {env.cert('root-ca.pem')};",
                    "    ssl_verify_depth 3;",
                    f"    root {www};",
                ]
                if spec.ciphers:
                    lines.append(f"    ssl_ciphers {spec.ciphers};")
                if os.path.exists(NGINX_ECHO_MODULE):
                    lines.append("    location /echo { echo_read_request_body; echo_request_body; }")
                lines.append("    location /whoami { default_type text/plain; return 200 \"$ssl_server_name "
                             "$ssl_protocol $ssl_client_verify\\n\"; }")
                lines.append("  }")
                return "\n".join(lines)

            blocks = [server_block("localhost", spec.cert, True)]
            for name, cert_name in (sni or {}).items():
                blocks.append(server_block(name, cert_name, False))
            conf = "\n".join([
                "worker_processes 1;",
                f"pid {tmp}/nginx.pid;",
                f"error_log {tmp}/error.log info;",
                f"load_module {NGINX_ECHO_MODULE};" if os.path.exists(NGINX_ECHO_MODULE) else "",
                "events { worker_connections 64; }",
                "http {",
                "  access_log off;",
                f"  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;",
                f"  fastcgi_temp_path {tmp}/fastcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;",
                "  client_body_buffer_size 8m; client_max_body_size 16m;",
                *blocks,
                "}",
                "",
            ])
            with open(os.path.join(tmp, "nginx.conf"), "w") as f:
                f.write(conf)
            cmd = [NGINX, "-p", tmp, "-c", os.path.join(tmp, "nginx.conf"), "-e", os.path.join(tmp, "error.log"),
                   "-g", "daemon off;"]
            proc = Proc(cmd)
            ok = ussl_proc.wait_port(port, proc.p, START_TIMEOUT)
            log = _read(os.path.join(tmp, "error.log"))
            if ok and "bind()" not in log and proc.alive():
                running = Running(proc, port, tmp=tmp, describe=" ".join(cmd))
                running.www = www
                return running
            last = proc.text() + log
            proc.stop()
            shutil.rmtree(tmp, ignore_errors=True)
        raise RuntimeError("nginx did not start:\n" + last)


class PythonServer(ServerPeer):
    name = "python"
    label = "Python ssl"
    data = "echo"

    def start(self, env, spec, extra=(), accept=1):
        _, _, key, chain = SERVER_CERTS[spec.cert]
        cmd = [env.python, TLS_PEER, "server", "--cert", env.cert(chain), "--key", env.cert(key), "--accept",
               accept, "--verify", spec.client_auth, "--version", spec.version or "any"]
        if spec.client_auth != "none":
            cmd += ["--ca", env.cert("root-ca.pem")]
        if spec.alpn:
            cmd += ["--alpn", ",".join(spec.alpn)]
        cmd += list(extra)
        proc = Proc(cmd)
        if not proc.wait_for(lambda out, err: b'"listening"' in out, START_TIMEOUT):
            text = proc.text()
            proc.stop()
            raise RuntimeError("tls_peer.py server did not start:\n" + text)
        port = json.loads(bytes(proc.out).splitlines()[0])["port"]
        return Running(proc, port, describe=" ".join(map(str, cmd)))


def _read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


SERVER_PEERS = [OpenSSLServer(), GnuTLSServer(), NginxServer(), PythonServer()]


# --- ussl-server -------------------------------------------------------------------------------------------


class UsslServer:
    """ussl-server --json on port 0, one JSON event per line: tests/apps/ussl_proc.py's launcher (the one the
    program tests and the benchmark use), in its own session so a stop reaches nothing else."""

    def __init__(self, env, args):
        self.cmd = [env.server, "--port", "0", "--json"] + [str(a) for a in args]
        try:
            self._server = ussl_proc.UsslServer(self.cmd, start_timeout=START_TIMEOUT, start_new_session=True)
        except ussl_proc.ServerStartError as e:
            raise RuntimeError(f"ussl-server did not start: {e}") from None
        self.port = self._server.port

    def events(self):
        return self._server.events()

    def handshakes(self):
        return self._server.handshakes()

    def wait_handshakes(self, count, timeout):
        """Waits (bounded) until `count` handshake events are out; True if they are."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.handshakes()) >= count:
                return True
            time.sleep(0.02)
        return len(self.handshakes()) >= count

    def text(self):
        """Its stdout and stderr so far."""
        return self._server.text() + "\n" + self._server.stderr_text()

    def wait(self, timeout=15):
        """The exit code, or "timeout" (the server is then stopped)."""
        try:
            return self._server.wait(timeout)
        except subprocess.TimeoutExpired:
            self._server.terminate()
            return "timeout"

    def stop(self):
        """SIGTERM, SIGKILL if it lingers; the exit code."""
        try:
            return self._server.stop(timeout=5)
        except subprocess.TimeoutExpired:
            self._server.terminate()
            return self._server.proc.returncode


# --- client peers ------------------------------------------------------------------------------------------


class ClientOutcome:
    def __init__(self, rc, data_ok, detail, extra=None):
        self.rc = rc  # the peer's exit code (or "timeout")
        self.data_ok = data_ok  # None when no data was checked
        self.detail = detail
        self.extra = extra or {}


def _interactive(cmd, payload, expect_reply, timeout=RUN_TIMEOUT, env=None):
    """Runs a client that sends its stdin and prints what it receives on stdout: writes the payload, waits for
    the reply (or for the client to end), then closes stdin so the client closes with close_notify."""
    proc = Proc(cmd, stdin=True, env=env)
    proc.write(payload)
    got = proc.wait_for(lambda out, err: len(out) >= len(expect_reply), min(timeout, 10) if expect_reply else 0.5)
    if not got and proc.alive():
        proc.wait_for(lambda out, err: False, 0.3)  # a late alert or reply
    proc.close_stdin()
    rc = proc.wait(timeout)
    if rc is None:
        proc.stop()
        rc = "timeout"
    else:
        proc.stop()
    out = bytes(proc.out)
    return rc, out, proc.text()


class ClientPeer:
    name = "?"
    label = "?"

    def run(self, env, spec, port, payload):
        raise NotImplementedError


class OpenSSLClient(ClientPeer):
    name = "openssl"
    label = "openssl s_client"
    server_mode = "echo"
    program = "openssl"

    def command(self, env, spec, port, extra=()):
        cmd = [need_peer(self.program) if os.sep in self.program else self.program, "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", env.cert("root-ca.pem"),
               "-verify_return_error", "-quiet", "-no_ign_eof"]
        if spec.host != "127.0.0.1":
            cmd += ["-servername", spec.host]
        if spec.verify_name:
            ip = re.fullmatch(r"[0-9.]+|[0-9a-fA-F:]+", spec.verify_name)
            cmd += ["-verify_ip" if ip else "-verify_hostname", spec.verify_name]
        if spec.version:
            cmd.append("-tls1_2" if spec.version == "1.2" else "-tls1_3")
        if spec.cert:
            leaf, inter, key, _ = CLIENT_CERTS[spec.cert]
            cmd += ["-cert", env.cert(leaf), "-key", env.cert(key)]
            if inter:
                cmd += ["-cert_chain", env.cert(inter)]
        if spec.alpn:
            cmd += ["-alpn", ",".join(spec.alpn)]
        if spec.ciphers:
            cmd += ["-cipher", spec.ciphers, "-ciphersuites", spec.ciphers]
        return cmd + list(extra)

    def run(self, env, spec, port, payload):
        rc, out, text = _interactive(self.command(env, spec, port), payload, payload)
        return ClientOutcome(rc, out == payload if payload else None, text)


class OpenSSL35Client(OpenSSLClient):
    name = "openssl35"
    label = "OpenSSL 3.5 s_client"
    program = OPENSSL35


class GnuTLSClient(ClientPeer):
    name = "gnutls"
    label = "gnutls-cli"
    server_mode = "echo"

    def command(self, env, spec, port, logfile, extra=()):
        cmd = ["gnutls-cli", "-p", port, spec.host, "--x509cafile", env.cert("root-ca.pem"), "--logfile", logfile]
        if spec.verify_name:
            cmd += ["--verify-hostname", spec.verify_name]
        priority = "NORMAL"
        if spec.version:
            priority += ":-VERS-ALL:+VERS-TLS" + spec.version
        cmd += ["--priority", priority]
        if spec.cert:
            _, _, key, chain = CLIENT_CERTS[spec.cert]
            cmd += ["--x509certfile", env.cert(chain), "--x509keyfile", env.cert(key)]
        if spec.alpn:
            cmd += ["--alpn=" + p for p in spec.alpn]
        return cmd + list(extra)

    def run(self, env, spec, port, payload):
        tmp = env.tmpdir("gnutls-cli-")
        log = os.path.join(tmp, "log")
        rc, out, text = _interactive(self.command(env, spec, port, log), payload, payload)
        text += _read(log)
        shutil.rmtree(tmp, ignore_errors=True)
        return ClientOutcome(rc, out == payload if payload else None, text)


class CurlClient(ClientPeer):
    name = "curl"
    label = "curl"
    server_mode = "http"

    def command(self, env, spec, port, path, extra=()):
        host = spec.host
        cmd = ["curl", "-sS", "--max-time", "20", "--cacert", env.cert("root-ca.pem"), "-w",
               "\n%{http_code} %{http_version}\n"]
        if spec.version == "1.2":
            cmd += ["--tlsv1.2", "--tls-max", "1.2"]
        elif spec.version == "1.3":
            cmd += ["--tlsv1.3"]
        if spec.cert:
            _, _, key, chain = CLIENT_CERTS[spec.cert]
            cmd += ["--cert", env.cert(chain), "--key", env.cert(key)]
        if spec.alpn is None:
            cmd.append("--http1.1")
        if spec.ciphers:
            cmd += ["--ciphers", spec.ciphers, "--tls13-ciphers", spec.ciphers]
        cmd += list(extra)
        cmd.append(f"https://{host}:{port}{path}")
        return cmd

    def run(self, env, spec, port, payload):
        token = payload.split(b"\n")[0].decode() if payload else "x"
        rc, out, err = run(self.command(env, spec, port, "/" + token))
        data_ok = None
        if payload:
            data_ok = f"request: GET /{token} HTTP/1.1".encode() in out
        return ClientOutcome(rc, data_ok, (out + b"\n" + err).decode("utf-8", "replace"))


class PythonClient(ClientPeer):
    name = "python"
    label = "Python ssl"
    server_mode = "echo"

    def command(self, env, spec, port, send_file=None, recv_file=None, extra=()):
        cmd = [env.python, TLS_PEER, "client", "--port", port, "--host", "127.0.0.1", "--ca",
               env.cert("root-ca.pem"), "--verify", "required", "--version", spec.version or "any"]
        if spec.host != "127.0.0.1" or spec.verify_name:
            cmd += ["--server-hostname", spec.verify_name or spec.host]
        if spec.cert:
            _, _, key, chain = CLIENT_CERTS[spec.cert]
            cmd += ["--cert", env.cert(chain), "--key", env.cert(key)]
        if spec.alpn:
            cmd += ["--alpn", ",".join(spec.alpn)]
        if send_file:
            cmd += ["--send-file", send_file]
        if recv_file:
            cmd += ["--recv-file", recv_file]
        return cmd + list(extra)

    def run(self, env, spec, port, payload):
        tmp = env.tmpdir("py-client-")
        send = os.path.join(tmp, "send")
        recv = os.path.join(tmp, "recv")
        with open(send, "wb") as f:
            f.write(payload)
        rc, out, err = run(self.command(env, spec, port, send if payload else None, recv))
        data_ok = None
        if payload:
            data_ok = _read_bytes(recv) == payload
        shutil.rmtree(tmp, ignore_errors=True)
        extra = {}
        try:
            extra = json.loads(out.splitlines()[-1])
        except (ValueError, IndexError):
            pass
        return ClientOutcome(rc, data_ok, (out + b"\n" + err).decode("utf-8", "replace"), extra)


def _read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


CLIENT_PEERS = [OpenSSLClient(), GnuTLSClient(), CurlClient(), PythonClient()]
