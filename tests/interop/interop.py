#!/usr/bin/env python3
"""The interop matrix: ussl-client against real TLS servers, real TLS clients against ussl-server.

Run: interop.py --client PATH --server PATH --certs DIR [--doc docs/interop.md] [--results FILE]
                [--jobs N] [--filter TEXT] [--list]

Peers: openssl s_server/s_client, gnutls-serv/gnutls-cli, curl, nginx (generated config in a temp dir), and
Python's ssl module (tls_peer.py). All on loopback: ussl-server, s_server and the Python server bind port 0 and
announce the port; gnutls-serv and nginx cannot, so they get a port below the kernel's ephemeral range, checked
free, and are restarted on another one if the bind fails. Every process is bounded in time and killed when its
cell ends; cells run in parallel (--jobs).

Each cell has an expected outcome (success, or the exact error kind and exit code) and, where data flows,
checks it byte for byte. The results are rendered to --doc (docs/interop.md) by render.py; the exit status is 1
if any cell did not go as expected.
Long on purpose (~1,300 lines): the cells are data-like, one short function per peer and capability,
registered by a decorator next to its row; the peers live in peers.py, the daemons in test_starttls.py.
"""

import argparse
import concurrent.futures
import hashlib
import itertools
import json
import os
import random
import shutil
import ssl
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import peers  # noqa: E402
import render  # noqa: E402
from peers import (CLIENT_CERTS, SERVER_CERTS, ClientSpec, ServerSpec, UsslServer, run)  # noqa: E402

MiB = 1024 * 1024


class CellFailure(Exception):
    pass


class Cell:
    """One cell of the matrix: fn(env) raises CellFailure (or anything) when the outcome was not the expected
    one, and returns a short text of what was observed."""

    def __init__(self, table, row, col, expected, fn, note=None):
        self.table = table
        self.row = row
        self.col = col
        self.expected = expected
        self.fn = fn
        self.note = note

    @property
    def id(self):
        return f"{self.table} | {self.row} | {self.col}"


# --- helpers -----------------------------------------------------------------------------------------------


def payload_lines(size, seed):
    """Printable, line-based data (every peer's echo handles it): hex lines of 63 characters + LF."""
    rng = random.Random(seed)
    return b"".join(b"%063x\n" % rng.getrandbits(252) for _ in range((size + 63) // 64))


def binary_payload(size, seed):
    rng = random.Random(seed)
    return rng.randbytes(size)


def reversed_lines(data):
    """What `openssl s_server -rev` answers: every line reversed, LF kept."""
    return b"".join(line[::-1] + b"\n" for line in data.split(b"\n")[:-1])


def cert_sha256(env, name):
    with open(env.cert(name)) as f:
        pem = f.read()
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()


def field(report, path):
    node = report
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return "<missing>"
    return node


def expect_fields(report, expected, who="report"):
    """expected: {dotted.path: value}; raises CellFailure naming every mismatch."""
    wrong = [f"{path}: expected {value!r}, got {field(report, path)!r}" for path, value in expected.items()
             if field(report, path) != value]
    if wrong:
        raise CellFailure(f"{who}: " + "; ".join(wrong))


def short_error(report):
    err = report.get("error") if isinstance(report, dict) else None
    if not err:
        return "ok"
    alert = f" ({err['alert']})" if err.get("alert") else ""
    return f"{err['kind']}{alert}"


class UsslClientRun:
    """One ussl-client --json run: rc, report, the bytes received (--recv-file), stderr."""

    def __init__(self, env, port, *, host="localhost", server_hostname=None, reqs="required", version=None,
                 defer=False, nonblocking=False, client_cert=None, send=b"", read_bytes=None, read_timeout=None,
                 extra=(), timeout_ms=20000, envvars=None):
        tmp = env.tmpdir("ussl-client-")
        try:
            cmd = [env.client, "--host", host, "--port", port, "--cert-reqs", reqs, "--ca-certs",
                   env.cert("root-ca.pem"), "--json", "--timeout", timeout_ms,
                   "--recv-file", os.path.join(tmp, "recv")]
            if server_hostname:
                cmd += ["--server-hostname", server_hostname]
            if version:
                cmd += ["--tls-version", version]
            if defer:
                cmd.append("--defer-handshake")
            if nonblocking:
                cmd.append("--nonblocking")
            if client_cert:
                _, _, key, chain = CLIENT_CERTS[client_cert]
                cmd += ["--certfile", env.cert(chain), "--keyfile", env.cert(key)]
            if send:
                with open(os.path.join(tmp, "send"), "wb") as f:
                    f.write(send)
                cmd += ["--send-file", os.path.join(tmp, "send")]
            if read_bytes:
                cmd += ["--read-bytes", read_bytes]
            if read_timeout is not None:
                cmd += ["--read-timeout", read_timeout]
            cmd += list(extra)
            self.cmd = " ".join(map(str, cmd))
            self.rc, out, err = run(cmd, env=envvars)
            self.stderr = err.decode("utf-8", "replace")
            try:
                self.report = json.loads(out)
            except ValueError:
                raise CellFailure(f"ussl-client printed no JSON (rc {self.rc}): {out[:300]!r} {self.stderr[-500:]}")
            self.received = peers._read_bytes(os.path.join(tmp, "recv")) or b""
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def expect_exit(self, code, kind=None):
        if self.rc != code or self.report.get("exit_code") != code:
            raise CellFailure(f"ussl-client: expected exit {code}{' ' + kind if kind else ''}, got {self.rc} "
                              f"({short_error(self.report)}: {(self.report.get('error') or {}).get('message')})")
        if kind is not None and field(self.report, "error.kind") != kind:
            raise CellFailure(f"ussl-client: expected {kind}, got {short_error(self.report)}: "
                              f"{(self.report.get('error') or {}).get('message')}")


def http_body(response):
    head, sep, body = response.partition(b"\r\n\r\n")
    if not sep:
        raise CellFailure(f"no HTTP response: {response[:200]!r}")
    return head.split(b"\r\n")[0].decode("latin-1"), body


def exchange(peer, env, running, payload):
    """What ussl-client sends to a server peer, and what must come back: (send, read_bytes, check(received))."""
    if peer.data == "http-echo":
        if os.path.exists(peers.NGINX_ECHO_MODULE):
            request = (b"POST /echo HTTP/1.0\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n" % len(payload)) + payload
            want = payload
        else:  # without the echo module: download the payload as a file
            with open(os.path.join(running.www, "payload.txt"), "wb") as f:
                f.write(payload)
            os.chmod(os.path.join(running.www, "payload.txt"), 0o644)
            request = b"GET /payload.txt HTTP/1.0\r\nHost: localhost\r\n\r\n"
            want = payload

        def check(received):
            status, body = http_body(received)
            if "200" not in status or body != want:
                raise CellFailure(f"nginx answered {status!r} with {len(body)} body bytes, expected {len(want)} "
                                  "bytes echoed")
        return request, None, check
    want = reversed_lines(payload) if peer.data == "rev" else payload

    def check(received):
        if received != want:
            raise CellFailure(f"data: received {len(received)} bytes, expected {len(want)} "
                              f"({'different bytes' if len(received) == len(want) else 'short'})")
    return payload, len(want), check


# --- ussl-client -> server peers ---------------------------------------------------------------------------

# Every value of every dimension for every peer: 2 versions x 2 key types x 3 cert-reqs = 12 cells, the
# handshake (eager/deferred) and I/O (blocking/non-blocking) modes taking turns, so each of the four
# combinations runs three times per peer.
MODES = [(False, False), (True, True), (True, False), (False, True)]  # (deferred, nonblocking)
CORE = [(version, key, reqs, *MODES[i % 4]) for i, (version, key, reqs) in
        enumerate(itertools.product(["1.3", "1.2"], ["ecdsa", "rsa"], ["none", "optional", "required"]))]


def core_label(version, key, reqs, defer, nonblocking):
    return (f"TLS {version} · {key.upper() if key == 'rsa' else 'ECDSA'} · {'deferred' if defer else 'eager'} · "
            f"{'non-blocking' if nonblocking else 'blocking'} · cert-reqs {reqs}")


def client_core_cell(peer, version, key, reqs, defer, nonblocking, seed):
    def fn(env):
        running = peer.start(env, ServerSpec(cert=key))
        try:
            payload = payload_lines(20000, seed)  # more than one TLS record
            send, read_bytes, check = exchange(peer, env, running, payload)
            r = UsslClientRun(env, running.port, reqs=reqs, version=version, defer=defer, nonblocking=nonblocking,
                              send=send, read_bytes=read_bytes, read_timeout=None if read_bytes else 5000)
        finally:
            running.stop()
        r.expect_exit(0)
        expect_fields(r.report, {
            "tls.version": "TLSv" + version,
            "verify.mode": reqs,
            "verify.result": "ok",
            "verify.verified": reqs != "none",
            "verify.hostname_ok": True,
            "peer_certificate.sha256": cert_sha256(env, SERVER_CERTS[key][0]),
            "handshake.deferred": defer,
            "handshake.nonblocking": nonblocking,
            "handshake.trigger": "write" if defer else "wrap",
        })
        check(r.received)
        return f"{r.report['tls']['version']} {r.report['tls']['cipher']}, {len(send)} bytes sent and checked back"
    return fn


# case: (label, server cert, host, server_hostname, error kind or None, extra report fields)
SERVER_CERT_FARM = [
    ("expired", "expired", "localhost", None, "cert_expired", {}),
    ("not yet valid", "notyetvalid", "localhost", None, "cert_not_yet_valid", {}),
    ("wrong host", "wronghost", "localhost", None, "hostname_mismatch", {}),
    ("self-signed", "selfsigned", "localhost", None, "cert_untrusted", {}),
    ("unknown CA", "untrusted", "localhost", None, "cert_untrusted", {}),
    ("incomplete chain (leaf only)", "leafonly", "localhost", None, "cert_untrusted", {}),
    ("wildcard match a.wild.ussl.test", "wildcard", "127.0.0.1", "a.wild.ussl.test", None,
     {"verify.hostname": "a.wild.ussl.test", "sni": "a.wild.ussl.test"}),
    ("wildcard non-match a.b.wild.ussl.test", "wildcard", "127.0.0.1", "a.b.wild.ussl.test", "hostname_mismatch", {}),
    ("IP-address SAN 127.0.0.1", "ecdsa", "127.0.0.1", "127.0.0.1", None,
     {"verify.hostname": "127.0.0.1", "sni": None}),
    ("IP address not in the SANs", "wronghost", "127.0.0.1", "127.0.0.1", "hostname_mismatch", {}),
]


def client_farm_cell(peer, case, reqs, seed):
    label, key, host, server_hostname, kind, extra = case

    def fn(env):
        running = peer.start(env, ServerSpec(cert=key))
        try:
            payload = payload_lines(640, seed)
            send, read_bytes, check = exchange(peer, env, running, payload)
            ok = kind is None or reqs == "none"
            r = UsslClientRun(env, running.port, host=host, server_hostname=server_hostname, reqs=reqs,
                              send=send if ok else b"", read_bytes=read_bytes if ok else None,
                              read_timeout=None if read_bytes or not ok else 5000)
        finally:
            running.stop()
        if kind is not None and reqs != "none":
            r.expect_exit(5, kind)
            expect_fields(r.report, {"verify.result": "failed", "verify.failure": kind, "handshake.done": False})
            return f"{kind}: {r.report['verify']['reason']}"
        r.expect_exit(0)
        expect_fields(r.report, {"verify.result": "failed" if kind else "ok", "verify.failure": kind,
                                 "verify.verified": kind is None and reqs != "none", **extra})
        check(r.received)
        return (f"connected; verification found {kind}" if kind else "verified") + f", {len(send)} bytes checked"
    return fn


# ussl-client presenting a client certificate to a server peer that requires one.
CLIENT_CERT_CASES = [("absent", None), ("valid", "valid"), ("untrusted CA", "untrusted"), ("expired", "expired")]


def client_cert_alert(peer, version, cert):
    """The alert a peer rejects ussl-client's certificate with (what each stack sends, observed and stable)."""
    if cert is None:
        if version == "1.3":
            return "certificate_required"
        return "decode_error" if peer.name == "gnutls" else "handshake_failure"  # GnuTLS: to OpenSSL clients too
    if peer.name == "gnutls":
        return "access_denied"
    return {"untrusted": "unknown_ca", "expired": "certificate_expired"}[cert]


def client_cert_expectation(peer, version, cert):
    if peer.name == "nginx":
        return "HTTP 200" if cert == "valid" else "handshake ok, HTTP 400"
    if cert == "valid":
        return "ok, data checked"
    return f"alert_received {client_cert_alert(peer, version, cert)} · exit 4"


def client_cert_cell(peer, version, case, seed):
    label, cert = case

    def fn(env):
        running = peer.start(env, ServerSpec(client_auth="required"))
        try:
            if peer.name == "nginx":
                # nginx finishes every handshake and enforces ssl_verify_client in HTTP: 400 for a bad one.
                r = UsslClientRun(env, running.port, version=version, client_cert=cert, read_timeout=5000,
                                  send=b"GET /whoami HTTP/1.0\r\nHost: localhost\r\n\r\n")
                r.expect_exit(0)
                status, body = http_body(r.received)
                want = "200" if cert == "valid" else "400"
                if want not in status:
                    raise CellFailure(f"nginx answered {status!r}, expected {want}: {body[:200]!r}")
                return f"handshake ok, HTTP {status.split(' ', 1)[1]}"
            payload = payload_lines(640, seed)
            send, read_bytes, check = exchange(peer, env, running, payload)
            r = UsslClientRun(env, running.port, version=version, client_cert=cert,
                              send=send if cert == "valid" else b"", read_bytes=read_bytes if cert == "valid" else None)
        finally:
            running.stop()
        if cert == "valid":
            r.expect_exit(0)
            expect_fields(r.report, {"tls.version": "TLSv" + version})
            check(r.received)
            return f"accepted, {len(send)} bytes checked"
        r.expect_exit(4, "alert_received")
        expect_fields(r.report, {"error.alert": client_cert_alert(peer, version, cert)})
        return f"rejected by the peer: alert {r.report['error']['alert']}"
    return fn


# --- client peers -> ussl-server ---------------------------------------------------------------------------


def ussl_server_args(env, key="ecdsa", reqs="none", version=None, defer=False, nonblocking=False, mode="echo",
                     accept=1, extra=()):
    _, _, keyfile, chain = SERVER_CERTS[key]
    args = ["--certfile", env.cert(chain), "--keyfile", env.cert(keyfile), "--cert-reqs", reqs, "--accept", accept,
            "--mode", mode, "--handshake-timeout", 15000]
    if reqs != "none":
        args += ["--ca-certs", env.cert("root-ca.pem")]
    if version:
        args += ["--tls-version", version]
    if defer:
        args.append("--defer-handshake")
    if nonblocking:
        args.append("--nonblocking")
    return args + list(extra)


def finish_server(server, expect_rc):
    rc = server.wait()
    events = server.handshakes()
    if not events:
        raise CellFailure(f"ussl-server reported no handshake (rc {rc}): {server.text()[-800:]}")
    if rc != expect_rc:
        raise CellFailure(f"ussl-server: expected exit {expect_rc}, got {rc} ({short_error(events[0])}: "
                          f"{(events[0].get('error') or {}).get('message')})")
    return events[0]


def server_core_cell(peer, version, key, reqs, defer, nonblocking, seed):
    def fn(env):
        cert = None
        if reqs != "none":
            cert = "valid-rsa" if key == "rsa" else "valid"
        server = UsslServer(env, ussl_server_args(env, key, reqs, version, defer, nonblocking, peer.server_mode))
        try:
            payload = payload_lines(20000, seed)
            outcome = peer.run(env, ClientSpec(cert=cert), server.port, payload)
            event = finish_server(server, 0)
        finally:
            server.stop()
        if outcome.rc != 0 or outcome.data_ok is not True:
            raise CellFailure(f"{peer.label}: rc {outcome.rc}, data {'ok' if outcome.data_ok else 'WRONG'}: "
                              f"{outcome.detail[-600:]}")
        expect_fields(event, {
            "ok": True,
            "tls.version": "TLSv" + version,
            "verify.mode": reqs,
            "verify.result": "ok" if cert else None,
            "verify.verified": cert is not None,
            "peer_certificate" if not cert else "peer_certificate.subject":
            ("CN=ussl test client rsa" if key == "rsa" else "CN=ussl test client") if cert else None,
            "handshake.deferred": defer,
            "handshake.trigger": "read" if defer else "do_handshake",
        }, "ussl-server")
        return f"{event['tls']['version']} {event['tls']['cipher']}, data checked"
    return fn


# ussl-server's --cert-reqs and what the client peer presents: (label, reqs, client cert, error kind or None)
SERVER_CLIENT_CERT_FARM = [
    ("required · no certificate", "required", None, "peer_cert_missing"),
    ("required · valid", "required", "valid", None),
    ("required · untrusted CA", "required", "untrusted", "cert_untrusted"),
    ("required · expired", "required", "expired", "cert_expired"),
    ("optional · no certificate", "optional", None, None),
    ("optional · expired", "optional", "expired", "cert_expired"),
]


def server_farm_cell(peer, version, case, seed):
    label, reqs, cert, kind = case

    def fn(env):
        server = UsslServer(env, ussl_server_args(env, reqs=reqs, version=version, mode=peer.server_mode))
        try:
            payload = payload_lines(640, seed)
            outcome = peer.run(env, ClientSpec(cert=cert, version=version), server.port, payload)
            event = finish_server(server, 5 if kind else 0)
        finally:
            server.stop()
        if kind is None:
            if outcome.rc != 0 or outcome.data_ok is not True:
                raise CellFailure(f"{peer.label}: rc {outcome.rc}, data {outcome.data_ok}: {outcome.detail[-600:]}")
            expect_fields(event, {"ok": True, "verify.result": "ok" if cert else None,
                                  "verify.verified": cert is not None}, "ussl-server")
            return "accepted" + (f", verified {event['peer_certificate']['subject']}" if cert else ", no certificate")
        expect_fields(event, {"ok": False, "error.kind": kind, "exit_code": 5, "verify.result": "failed"},
                      "ussl-server")
        if outcome.rc == 0:
            raise CellFailure(f"{peer.label} exited 0 although ussl-server rejected it: {outcome.detail[-600:]}")
        return f"ussl-server: {kind} (exit 5); {peer.label} failed (rc {outcome.rc})"
    return fn


# ussl-server presenting a bad certificate; the client peer verifies it. Every peer here is built on OpenSSL,
# which names the alert it sends after its own verification error.
# (label, server cert, host the peer connects to, name it verifies, the alert it sends or None for success,
#  whether it is the name that does not match)
SERVER_CERT_FARM_B = [
    ("expired", "expired", "localhost", "localhost", "certificate_expired", False),
    ("not yet valid", "notyetvalid", "localhost", "localhost", "bad_certificate", False),
    ("wrong host", "wronghost", "localhost", "localhost", "bad_certificate", True),
    ("self-signed", "selfsigned", "localhost", "localhost", "unknown_ca", False),
    ("unknown CA", "untrusted", "localhost", "localhost", "unknown_ca", False),
    ("incomplete chain (leaf only)", "leafonly", "localhost", "localhost", "unknown_ca", False),
    ("wildcard match a.wild.ussl.test", "wildcard", "a.wild.ussl.test", "a.wild.ussl.test", None, False),
    ("wildcard non-match a.b.wild.ussl.test", "wildcard", "a.b.wild.ussl.test", "a.b.wild.ussl.test",
     "bad_certificate", True),
    ("IP-address SAN 127.0.0.1", "ecdsa", "127.0.0.1", "127.0.0.1", None, False),
]


def server_cert_expectation(peer, version, case):
    """(expected text, ussl-server exit code, error kind, alert, note) for one cell."""
    alert = case[4]
    if alert is None:
        return "ok, data checked", 0, None, None, None
    if peer.name == "curl" and case[5]:
        return "curl refuses after the handshake; ussl-server ok", 0, None, None, "curl-hostname"
    if version == "1.3":
        return "ussl-server protocol_error · exit 4", 4, "protocol_error", None, "tls13-plaintext-alert"
    return f"ussl-server alert_received {alert} · exit 4", 4, "alert_received", alert, None


def server_cert_cell(peer, version, case, seed):
    label, key, host, name, _, _ = case
    text, code, kind, alert, _ = server_cert_expectation(peer, version, case)

    def fn(env):
        server = UsslServer(env, ussl_server_args(env, key=key, mode=peer.server_mode, version=version))
        try:
            payload = payload_lines(640, seed)
            spec = ClientSpec(host=host, verify_name=name)
            if peer.name == "curl" and host not in ("localhost", "127.0.0.1"):
                outcome = _curl_resolving(peer, env, spec, server.port, payload)
            else:  # s_client and Python connect to 127.0.0.1 and send the name as SNI
                outcome = peer.run(env, spec, server.port, payload)
            event = finish_server(server, code)
        finally:
            server.stop()
        if case[4] is None:
            if outcome.rc != 0 or outcome.data_ok is not True:
                raise CellFailure(f"{peer.label}: rc {outcome.rc}, data {outcome.data_ok}: {outcome.detail[-600:]}")
            return "verified by the peer, data checked"
        if outcome.rc == 0:
            raise CellFailure(f"{peer.label} accepted the bad certificate")
        if kind is None:
            expect_fields(event, {"ok": True}, "ussl-server")
            return f"{peer.label} refused it after the handshake (rc {outcome.rc})"
        expect_fields(event, {"ok": False, "error.kind": kind, "exit_code": 4, "error.alert": alert}, "ussl-server")
        return f"{peer.label} refused it; ussl-server: {short_error(event)} (exit 4)"
    return fn


def _curl_resolving(peer, env, spec, port, payload):
    token = payload.split(b"\n")[0].decode()
    cmd = peer.command(env, ClientSpec(), port, "/" + token)
    cmd = cmd[:-1] + ["--resolve", f"{spec.host}:{port}:127.0.0.1", f"https://{spec.host}:{port}/{token}"]
    rc, out, err = run(cmd)
    return peers.ClientOutcome(rc, f"request: GET /{token} HTTP/1.1".encode() in out,
                               (out + err).decode("utf-8", "replace"))


# --- capabilities against foreign peers --------------------------------------------------------------------


def cap(row, col, expected, note=None):
    def wrap(fn):
        CAPABILITIES.append(Cell("capabilities", row, col, expected, fn, note))
        return fn
    return wrap


CAPABILITIES = []
OPENSSL, GNUTLS, NGINX, PYTHON = peers.SERVER_PEERS
S_CLIENT, GNUTLS_CLI, CURL, PY_CLIENT = peers.CLIENT_PEERS


@cap("--reconnect 2 resumes (TLS 1.3 tickets)", "openssl s_server", "connections 2 and 3 resumed")
def _(env):
    return _reconnect(env, OPENSSL, "1.3")


@cap("--reconnect 2 resumes (TLS 1.2)", "openssl s_server", "connections 2 and 3 resumed")
def _(env):
    return _reconnect(env, OPENSSL, "1.2")


@cap("--reconnect 2 resumes (TLS 1.3 tickets)", "gnutls-serv", "connections 2 and 3 resumed")
def _(env):
    return _reconnect(env, GNUTLS, "1.3")


@cap("--reconnect 2 resumes (TLS 1.3 tickets)", "nginx", "connections 2 and 3 resumed")
def _(env):
    return _reconnect(env, NGINX, "1.3")


@cap("--reconnect 2 resumes (TLS 1.2)", "Python ssl", "connections 2 and 3 resumed")
def _(env):
    return _reconnect(env, PYTHON, "1.2", accept=3)


def _reconnect(env, peer, version, **kwargs):
    running = peer.start(env, ServerSpec(), **kwargs)
    try:
        r = UsslClientRun(env, running.port, version=version, extra=["--reconnect", 2])
    finally:
        running.stop()
    r.expect_exit(0)
    expect_fields(r.report, {"resumed": False, "connections.0.resumed": False, "connections.1.resumed": True,
                             "connections.2.resumed": True, "connections.1.tls.version": "TLSv" + version})
    if len(r.report["connections"]) != 3:
        raise CellFailure(f"{len(r.report['connections'])} connections reported, expected 3")
    return "resumed: " + ", ".join(str(c["resumed"]).lower() for c in r.report["connections"])


@cap("--sess-out, then --sess-in in a new process (TLS 1.3)", "openssl s_server", "second run resumed")
def _(env):
    running = OPENSSL.start(env, ServerSpec())
    tmp = env.tmpdir("sess-")
    try:
        sess = os.path.join(tmp, "session")
        first = UsslClientRun(env, running.port, extra=["--sess-out", sess])
        first.expect_exit(0)
        expect_fields(first.report, {"session.saved": True, "resumed": False})
        second = UsslClientRun(env, running.port, extra=["--sess-in", sess])
        second.expect_exit(0)
        expect_fields(second.report, {"resumed": True, "session.in": sess})
    finally:
        running.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return "first run saved the ticket, second run resumed"


@cap("--reconnect 1 --sess-out against a TLS 1.3 server sending no ticket", "openssl s_server -num_tickets 0",
     "exit 0, not resumed, nothing saved, a warning says why")
def _(env):
    running = OPENSSL.start(env, ServerSpec(version="1.3"), extra=["-num_tickets", "0"])
    tmp = env.tmpdir("sess-")
    try:
        sess = os.path.join(tmp, "session")
        r = UsslClientRun(env, running.port, extra=["--reconnect", 1, "--sess-out", sess])
    finally:
        running.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    r.expect_exit(0)
    expect_fields(r.report, {"connections.0.ticket_received": False, "connections.1.resumed": False,
                             "session.saved": False})
    if "no TLS 1.3 session ticket" not in r.stderr or "not written" not in r.stderr:
        raise CellFailure("no warning: " + r.stderr[-400:])
    return "both connections full handshakes; --sess-out not written, with a warning"


@cap("openssl s_client -sess_out, then -sess_in (TLS 1.3)", "ussl-server", "s_client: Reused; ussl-server: resumed")
def _(env):
    server = UsslServer(env, ussl_server_args(env, accept=2))
    tmp = env.tmpdir("sess-")
    proc = None
    try:
        sess = os.path.join(tmp, "session.pem")
        texts = []
        for flag in ("-sess_out", "-sess_in"):
            cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{server.port}", "-servername", "localhost",
                   "-CAfile", env.cert("root-ca.pem"), "-verify_return_error", flag, sess, "-no_ign_eof"]
            # -sess_out under TLS 1.3 needs the connection open until the ticket arrives (see cli-anchors.md).
            proc = peers.Proc(cmd, stdin=True)
            if flag == "-sess_out":  # s_client writes the file when the ticket arrives
                proc.wait_for(lambda out, err: os.path.exists(sess) and os.path.getsize(sess) > 0, 10)
            else:
                proc.wait_for(lambda out, err: b"Reused" in out or b"New," in out, 10)
            proc.close_stdin()
            if proc.wait(15) != 0:
                raise CellFailure(f"s_client {flag} failed: {proc.text()[-600:]}")
            texts.append(proc.text())
            proc.stop()
        rc = server.wait()
        events = server.handshakes()
    finally:
        if proc is not None:
            proc.stop()
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    if "Reused, TLSv1.3" not in texts[1]:
        raise CellFailure("s_client -sess_in did not resume: " + texts[1][-600:])
    if rc != 0 or [e["resumed"] for e in events] != [False, True]:
        raise CellFailure(f"ussl-server rc {rc}, resumed per connection {[e['resumed'] for e in events]}")
    return "s_client: Reused, TLSv1.3; ussl-server events resumed: false, true"


@cap("gnutls-cli --resume (TLS 1.3)", "ussl-server", "gnutls-cli: resumed; ussl-server: resumed")
def _(env):
    server = UsslServer(env, ussl_server_args(env, accept=2))
    tmp = env.tmpdir("gnutls-")
    proc = None
    try:
        log = os.path.join(tmp, "log")
        # --waitresumption: under TLS 1.3 read the ticket before reconnecting (else a race with our ticket).
        cmd = ["gnutls-cli", "-p", server.port, "localhost", "--x509cafile", env.cert("root-ca.pem"), "--resume",
               "--waitresumption", "--logfile", log]
        proc = peers.Proc(cmd, stdin=True)
        # Its log file is written at exit: watch ussl-server's second handshake instead.
        server.wait_handshakes(2, 15)
        proc.close_stdin()
        rc_client = proc.wait(15)
        proc.stop()
        text = peers._read(log)
        rc = server.wait()
        events = server.handshakes()
    finally:
        if proc is not None:
            proc.stop()  # also when the cell failed half-way: no gnutls-cli outlives it
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    if rc_client != 0 or "This is a resumed session" not in text:
        raise CellFailure(f"gnutls-cli rc {rc_client}: {text[-600:]}")
    if rc != 0 or [e["resumed"] for e in events] != [False, True]:
        raise CellFailure(f"ussl-server rc {rc}, resumed per connection {[e['resumed'] for e in events]}")
    return "gnutls-cli: This is a resumed session; ussl-server events resumed: false, true"


@cap("--alpn h2,http/1.1 (nginx without http2)", "nginx", "alpn http/1.1, request served")
def _(env):
    running = NGINX.start(env, ServerSpec())
    try:
        r = UsslClientRun(env, running.port, extra=["--alpn", "h2,http/1.1"], read_timeout=5000,
                          send=b"GET /whoami HTTP/1.0\r\nHost: localhost\r\n\r\n")
    finally:
        running.stop()
    r.expect_exit(0)
    expect_fields(r.report, {"alpn": "http/1.1"})
    status, body = http_body(r.received)
    if "200" not in status:
        raise CellFailure(f"nginx answered {status}")
    return "alpn http/1.1; " + body.decode().strip()


@cap("--alpn h2,http/1.1 (nginx with http2)", "nginx", "alpn h2")
def _(env):
    running = NGINX.start(env, ServerSpec(http2=True))
    try:
        r = UsslClientRun(env, running.port, extra=["--alpn", "h2,http/1.1", "--expect", "alpn=h2"])
    finally:
        running.stop()
    r.expect_exit(0)
    expect_fields(r.report, {"alpn": "h2", "expectations.0.ok": True})
    return "alpn h2 (--expect alpn=h2 held)"


@cap("--alpn h2 against a server speaking only foo,http/1.1", "openssl s_server",
     "alert_received no_application_protocol (exit 4)")
def _(env):
    running = OPENSSL.start(env, ServerSpec(alpn=["foo", "http/1.1"]))
    try:
        r = UsslClientRun(env, running.port, extra=["--alpn", "h2"])
    finally:
        running.stop()
    r.expect_exit(4, "alert_received")
    expect_fields(r.report, {"error.alert": "no_application_protocol", "alpn": None})
    return "alert no_application_protocol"


@cap("ussl-server --alpn http/1.1 with curl (offers h2, http/1.1)", "curl", "alpn http/1.1 on both sides")
def _(env):
    server = UsslServer(env, ussl_server_args(env, mode="http", extra=["--alpn", "http/1.1"]))
    try:
        rc, out, err = run(CURL.command(env, ClientSpec(alpn=["h2", "http/1.1"]), server.port, "/alpn") + ["-v"])
        event = finish_server(server, 0)
    finally:
        server.stop()
    text = (out + err).decode("utf-8", "replace")
    if rc != 0 or "ALPN: server accepted http/1.1" not in text or b"alpn: http/1.1" not in out:
        raise CellFailure(f"curl rc {rc}: {text[-800:]}")
    expect_fields(event, {"alpn": "http/1.1"}, "ussl-server")
    return "curl: ALPN: server accepted http/1.1; page says alpn: http/1.1"


@cap("ussl-server --alpn foo with curl", "curl", "ussl-server refuses (exit 4); curl fails")
def _(env):
    server = UsslServer(env, ussl_server_args(env, mode="http", extra=["--alpn", "foo"]))
    try:
        rc, out, err = run(CURL.command(env, ClientSpec(alpn=["h2", "http/1.1"]), server.port, "/"))
        event = finish_server(server, 4)
    finally:
        server.stop()
    if rc == 0:
        raise CellFailure("curl succeeded although no protocol matched")
    return f"ussl-server: {short_error(event)} (exit 4); curl rc {rc}"


@cap("ussl-server --alpn x,http/1.1 with Python ssl (offers h2, http/1.1)", "Python ssl", "alpn http/1.1")
def _(env):
    server = UsslServer(env, ussl_server_args(env, extra=["--alpn", "x,http/1.1"]))
    try:
        outcome = PY_CLIENT.run(env, ClientSpec(alpn=["h2", "http/1.1"]), server.port, b"ping\n")
        event = finish_server(server, 0)
    finally:
        server.stop()
    if outcome.rc != 0 or outcome.extra.get("alpn") != "http/1.1":
        raise CellFailure(f"python client: {outcome.detail[-400:]}")
    expect_fields(event, {"alpn": "http/1.1"}, "ussl-server")
    return "both sides: http/1.1"


@cap("--tls-version 1.3 against a TLS 1.2-only server", "openssl s_server -tls1_2",
     "alert_received protocol_version (exit 4)")
def _(env):
    running = OPENSSL.start(env, ServerSpec(version="1.2"))
    try:
        r = UsslClientRun(env, running.port, version="1.3")
    finally:
        running.stop()
    r.expect_exit(4, "alert_received")
    expect_fields(r.report, {"error.alert": "protocol_version", "tls.version": None})
    return "alert protocol_version"


@cap("--tls-version 1.2 against a TLS 1.3-only server", "gnutls-serv (+VERS-TLS1.3 only)",
     "alert_received handshake_failure (exit 4)")
def _(env):
    running = GNUTLS.start(env, ServerSpec(version="1.3"))
    try:
        r = UsslClientRun(env, running.port, version="1.2")
    finally:
        running.stop()
    r.expect_exit(4, "alert_received")
    expect_fields(r.report, {"error.alert": "handshake_failure", "tls.version": None})
    return "alert handshake_failure (GnuTLS's answer to a ClientHello without TLS 1.3)"


@cap("--max-version 1.2 against nginx (TLSv1.2 TLSv1.3)", "nginx", "TLSv1.2 negotiated")
def _(env):
    running = NGINX.start(env, ServerSpec())
    try:
        r = UsslClientRun(env, running.port, extra=["--max-version", "TLSv1.2", "--min-version", "1.2"])
    finally:
        running.stop()
    r.expect_exit(0)
    expect_fields(r.report, {"tls.version": "TLSv1.2"})
    return "TLSv1.2"


@cap("ussl-server --tls-version 1.3, client speaks only TLS 1.2", "gnutls-cli",
     "both fail: ussl-server protocol_error (exit 4)")
def _(env):
    server = UsslServer(env, ussl_server_args(env, version="1.3"))
    try:
        outcome = GNUTLS_CLI.run(env, ClientSpec(version="1.2"), server.port, b"x\n")
        event = finish_server(server, 4)
    finally:
        server.stop()
    if outcome.rc == 0:
        raise CellFailure("gnutls-cli connected")
    return f"ussl-server: {short_error(event)}; gnutls-cli rc {outcome.rc}"


@cap("ussl-server --tls-version 1.2, curl --tlsv1.3", "curl", "both fail: exit 4")
def _(env):
    server = UsslServer(env, ussl_server_args(env, version="1.2", mode="http"))
    try:
        rc, out, err = run(CURL.command(env, ClientSpec(version="1.3"), server.port, "/"))
        event = finish_server(server, 4)
    finally:
        server.stop()
    if rc == 0:
        raise CellFailure("curl connected")
    return f"ussl-server: {short_error(event)}; curl rc {rc}"


@cap("--ciphers TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 (IANA, TLS 1.2)", "openssl s_server",
     "that suite negotiated")
def _(env):
    return _cipher(env, OPENSSL, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLSv1.2")


@cap("--ciphers TLS_AES_256_GCM_SHA384 (IANA, TLS 1.3)", "gnutls-serv", "that suite negotiated")
def _(env):
    return _cipher(env, GNUTLS, "TLS_AES_256_GCM_SHA384", "TLSv1.3")


@cap("--ciphers ECDHE-RSA-AES128-GCM-SHA256 (wolfSSL name)", "nginx (RSA certificate)", "that suite negotiated")
def _(env):
    return _cipher(env, NGINX, "ECDHE-RSA-AES128-GCM-SHA256", "TLSv1.2", key="rsa",
                   iana="TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")


def _cipher(env, peer, ciphers, version, key="ecdsa", iana=None):
    running = peer.start(env, ServerSpec(cert=key))
    try:
        r = UsslClientRun(env, running.port, extra=["--ciphers", ciphers])
    finally:
        running.stop()
    r.expect_exit(0)
    expect_fields(r.report, {"tls.cipher": iana or ciphers, "tls.version": version})
    return f"{version} {r.report['tls']['cipher']}"


@cap("ussl-server --ciphers TLS_CHACHA20_POLY1305_SHA256", "openssl s_client", "that suite negotiated")
def _(env):
    server = UsslServer(env, ussl_server_args(env, extra=["--ciphers", "TLS_CHACHA20_POLY1305_SHA256"]))
    try:
        cmd = [c for c in S_CLIENT.command(env, ClientSpec(), server.port) if c not in ("-quiet",)]
        rc, out, err = run(cmd, stdin_data=b"")
        event = finish_server(server, 0)
    finally:
        server.stop()
    if b"Cipher is TLS_CHACHA20_POLY1305_SHA256" not in out:
        raise CellFailure(f"s_client rc {rc}: {out[-600:]!r}")
    expect_fields(event, {"tls.cipher": "TLS_CHACHA20_POLY1305_SHA256"}, "ussl-server")
    return "s_client: Cipher is TLS_CHACHA20_POLY1305_SHA256"


@cap("--keylog FILE and SSLKEYLOGFILE", "openssl s_server -keylogfile", "the same secrets as s_server logs, or "
     "exit 2 naming the missing HAVE_SECRET_CALLBACK", note="keylog")
def _(env):
    tmp = env.tmpdir("keylog-")
    os.chmod(tmp, 0o755)
    server_keys = os.path.join(tmp, "s_server.keys")
    running = OPENSSL.start(env, ServerSpec(), extra=["-keylogfile", server_keys])
    try:
        ours = os.path.join(tmp, "ussl.keys")
        by_env_file = os.path.join(tmp, "env.keys")
        flag = UsslClientRun(env, running.port, extra=["--keylog", ours])
        by_env = UsslClientRun(env, running.port, envvars=dict(os.environ, SSLKEYLOGFILE=by_env_file))
    finally:
        running.stop()
    try:
        if flag.rc != 0:
            for r, source in ((flag, "--keylog"), (by_env, "SSLKEYLOGFILE")):
                r.expect_exit(2, "usage")
                message = r.report["error"]["message"]
                if "HAVE_SECRET_CALLBACK" not in message or source not in message:
                    raise CellFailure(f"unclear refusal: {message}")
            if os.path.exists(ours) or os.path.exists(by_env_file):
                raise CellFailure("the refused key log still created a file")
            return "refused, exit 2: " + flag.report["error"]["message"]
        by_env.expect_exit(0)
        theirs = set(peers._read(server_keys).lower().split("\n"))  # wolfSSL writes upper-case hex
        for path in (ours, by_env_file):
            lines = [line for line in peers._read(path).split("\n") if line]
            labels = {line.split(" ")[0] for line in lines}
            if not {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0"} <= labels:
                raise CellFailure(f"{path}: key log labels {sorted(labels)}")
            missing = [line for line in lines if line.lower() not in theirs]
            if missing:
                raise CellFailure(f"{len(missing)} of {len(lines)} logged secrets differ from s_server's")
        return (f"--keylog and SSLKEYLOGFILE: {len(lines)} lines per connection, each identical to s_server's "
                "-keylogfile")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@cap("--expect: all hold (exit 0) / one fails (exit 8, named)", "nginx", "exit 0, then exit 8 naming tls.version")
def _(env):
    running = NGINX.start(env, ServerSpec(version="1.2"))
    try:
        good = UsslClientRun(env, running.port, extra=["--expect", "tls.version=TLSv1.2", "--expect",
                                                        "verify.verified=true", "--expect", "sni=localhost"])
        bad = UsslClientRun(env, running.port, extra=["--expect", "tls.version=TLSv1.3", "--expect",
                                                       "verify.result=ok"])
    finally:
        running.stop()
    good.expect_exit(0)
    bad.expect_exit(8)
    expect_fields(bad.report, {"expectations.0.field": "tls.version", "expectations.0.actual": "TLSv1.2",
                               "expectations.0.ok": False, "expectations.1.ok": True, "ok": True})
    return "exit 0; exit 8 with tls.version expected TLSv1.3, actual TLSv1.2"


@cap("--expect on a failed handshake: error.kind=cert_expired holds", "gnutls-serv", "exit 0")
def _(env):
    running = GNUTLS.start(env, ServerSpec(cert="expired"))
    try:
        r = UsslClientRun(env, running.port, extra=["--expect", "error.kind=cert_expired", "--expect",
                                                     "exit_code=5", "--expect", "verify.depth=0"])
    finally:
        running.stop()
    r.expect_exit(0)
    expect_fields(r.report, {"ok": False, "error.kind": "cert_expired"})
    return "handshake failed as expected: exit 0"


@cap("ussl-server --accept 2 --expect verify.verified=true", "curl (one with, one without a certificate)",
     "exit 8: the second connection failed the expectation")
def _(env):
    server = UsslServer(env, ussl_server_args(env, reqs="optional", mode="http", accept=2,
                                              extra=["--expect", "verify.verified=true"]))
    try:
        rc1 = run(CURL.command(env, ClientSpec(cert="valid"), server.port, "/"))[0]
        rc2 = run(CURL.command(env, ClientSpec(), server.port, "/"))[0]
        rc = server.wait()
        events = server.handshakes()
    finally:
        server.stop()
    if (rc1, rc2, rc) != (0, 0, 8):
        raise CellFailure(f"curl rc {rc1}, {rc2}; ussl-server rc {rc}")
    if [e["expectations"][0]["ok"] for e in events] != [True, False]:
        raise CellFailure(f"expectations per connection: {[e['expectations'] for e in events]}")
    return "connection 1 held, connection 2 did not: exit 8"


@cap("4 MiB both ways", "gnutls-serv --echo", "4 MiB echoed, byte for byte")
def _(env):
    running = GNUTLS.start(env, ServerSpec())
    try:
        payload = payload_lines(4 * MiB, 4)  # gnutls-serv's echo is for text
        r = UsslClientRun(env, running.port, send=payload, read_bytes=len(payload), nonblocking=True)
    finally:
        running.stop()
    r.expect_exit(0)
    if r.received != payload:
        raise CellFailure(f"received {len(r.received)} bytes, not the {len(payload)} sent")
    return f"{len(payload)} bytes sent and received"


@cap("4 MiB both ways (binary)", "nginx echo (POST)", "4 MiB echoed, byte for byte")
def _(env):
    running = NGINX.start(env, ServerSpec())
    try:
        payload = binary_payload(4 * MiB, 5)
        send, _, check = exchange(NGINX, env, running, payload)
        r = UsslClientRun(env, running.port, send=send, read_timeout=10000)
    finally:
        running.stop()
    r.expect_exit(0)
    check(r.received)
    return f"{len(payload)} bytes echoed in the HTTP body"


@cap("4 MiB both ways (binary)", "Python ssl client → ussl-server --mode echo", "4 MiB echoed, byte for byte")
def _(env):
    server = UsslServer(env, ussl_server_args(env))
    try:
        payload = binary_payload(4 * MiB, 6)
        outcome = PY_CLIENT.run(env, ClientSpec(), server.port, payload)
        event = finish_server(server, 0)
    finally:
        server.stop()
    if outcome.rc != 0 or outcome.data_ok is not True:
        raise CellFailure(f"python client: {outcome.detail[-400:]}")
    closed = [e for e in server.events() if e.get("event") == "closed"]
    if not closed or closed[0]["bytes"] != {"sent": len(payload), "received": len(payload)}:
        raise CellFailure(f"ussl-server closed event: {closed}")
    return f"{len(payload)} bytes, {event['tls']['version']}"


@cap("4 MiB download", "curl ← ussl-server --mode source", "4 MiB, byte for byte")
def _(env):
    size = 4 * MiB
    server = UsslServer(env, ussl_server_args(env, mode="source", extra=["--source-bytes", size]))
    try:
        # source mode is raw bytes, not HTTP: curl takes them as an HTTP/0.9 answer.
        cmd = CURL.command(env, ClientSpec(), server.port, "/") + ["--http0.9", "-o", "-"]
        cmd.remove("-w")
        cmd.remove("\n%{http_code} %{http_version}\n")
        rc, out, err = run(cmd)
        finish_server(server, 0)
    finally:
        server.stop()
    pattern = b"abcdefghijklmnopqrstuvwxyz0123456789\n"
    want = (pattern * (size // len(pattern) + 1))[:size]
    if rc != 0 or out != want:
        raise CellFailure(f"curl rc {rc}, {len(out)} bytes: {err[-300:]!r}")
    return f"{size} bytes"


# --- key exchange and HelloRetryRequest with OpenSSL 3.5 (post-quantum hybrids) ----------------------------

OPENSSL35 = peers.OpenSSL35Server()
S_CLIENT35 = peers.OpenSSL35Client()
KEX_SERVER = "OpenSSL 3.5 s_server"


_FEATURES = {}


def has_mlkem(env):
    """The ussl programs' wolfSSL has the ML-KEM hybrids (5.9); Debian 12's 5.5.4 does not."""
    if not _FEATURES:
        _FEATURES.update(json.loads(run([env.client, "--version", "--json"], timeout=10)[1])["wolfssl"]["features"])
    return _FEATURES.get("mlkem", False)


def _kex_client(env, server_groups, group, hrr, client_args=(), shares=None, pq_only=False):
    """ussl-client (default key shares: X25519MLKEM768 and x25519, x25519 alone without ML-KEM) against
    s_server -groups. pq_only: without ML-KEM the handshake must fail (handshake_failure, exit 4), or a
    --groups naming a hybrid is a usage error (exit 2)."""
    mlkem = has_mlkem(env)  # also reads the other features
    extra = ["-groups", server_groups] if server_groups else []
    running = OPENSSL35.start(env, ServerSpec(version="1.3"), extra=extra)
    try:
        r = UsslClientRun(env, running.port, extra=list(client_args))
    finally:
        running.stop()
    if pq_only and not mlkem:
        if "--groups" in client_args:
            r.expect_exit(2, "usage")
            return "no ML-KEM in this wolfSSL: --groups refused (exit 2)"
        r.expect_exit(4, "alert_received")
        expect_fields(r.report, {"error.alert": "handshake_failure", "handshake.key_shares_offered": ["x25519"]})
        return "no ML-KEM in this wolfSSL: handshake_failure (exit 4)"
    r.expect_exit(0)
    expect_fields(r.report, {"tls.version": "TLSv1.3", "tls.group": group, "handshake.hello_retry_request": hrr})
    if _FEATURES.get("signature_schemes"):
        expect_fields(r.report, {"tls.signature_scheme": "ecdsa_secp256r1_sha256"})
    if shares is not None:
        expect_fields(r.report, {"handshake.key_shares_offered": shares if mlkem else ["x25519"]})
    sizes = r.report["handshake"]["client_hello_bytes"]
    if len(sizes) != (2 if hrr else 1):
        raise CellFailure(f"{len(sizes)} ClientHellos reported ({sizes}), expected {2 if hrr else 1}")
    return f"{group}, {'after a HelloRetryRequest' if hrr else 'no HelloRetryRequest'}, ClientHello " + \
        " + ".join(f"{n} B" for n in sizes)


NO_MLKEM = " (a wolfSSL without ML-KEM: handshake_failure)"


@cap("hybrid X25519MLKEM768 only (-groups X25519MLKEM768)", KEX_SERVER, "X25519MLKEM768, no HRR" + NO_MLKEM)
def _(env):
    return _kex_client(env, "X25519MLKEM768", "X25519MLKEM768", False, shares=["X25519MLKEM768", "x25519"],
                       pq_only=True)


@cap("hybrid SecP256r1MLKEM768 only (no key share for it: HRR)", KEX_SERVER,
     "SecP256r1MLKEM768 after HRR" + NO_MLKEM)
def _(env):
    return _kex_client(env, "SecP256r1MLKEM768", "SecP256r1MLKEM768", True, pq_only=True)


@cap("hybrid SecP384r1MLKEM1024 only (no key share for it: HRR)", KEX_SERVER,
     "SecP384r1MLKEM1024 after HRR" + NO_MLKEM)
def _(env):
    return _kex_client(env, "SecP384r1MLKEM1024", "SecP384r1MLKEM1024", True, pq_only=True)


@cap("PQ only on both sides (--groups X25519MLKEM768,SecP256r1MLKEM768,SecP384r1MLKEM1024)", KEX_SERVER,
     "X25519MLKEM768, no HRR (a wolfSSL without ML-KEM: usage error, exit 2)")
def _(env):
    pq = "X25519MLKEM768:SecP256r1MLKEM768:SecP384r1MLKEM1024"
    return _kex_client(env, pq, "X25519MLKEM768", False, client_args=["--groups", pq.replace(":", ",")],
                       shares=["X25519MLKEM768"], pq_only=True)


@cap("classical only (-groups X25519:P-256): the second key share avoids an HRR", KEX_SERVER, "x25519, no HRR")
def _(env):
    return _kex_client(env, "X25519:P-256", "x25519", False, shares=["X25519MLKEM768", "x25519"])


@cap("forced HRR (-groups P-256, no key share for it)", KEX_SERVER, "secp256r1 after HRR")
def _(env):
    return _kex_client(env, "P-256", "secp256r1", True)


def _kex_server(env, server_args, client_cmd, group, hrr, mode="echo", pq_only=False):
    """A client peer against ussl-server; group None: whatever a wolfSSL without ML-KEM picks (x25519)."""
    server = UsslServer(env, ussl_server_args(env, accept=1, mode=mode) + list(server_args))
    try:
        rc, out, err = run(client_cmd(server.port))
        server_rc = server.wait()
        events = server.handshakes()
    finally:
        server.stop()
    text = (out + err).decode("utf-8", "replace")
    if pq_only and not has_mlkem(env):
        if rc == 0 or len(events) != 1 or events[0]["ok"]:
            raise CellFailure(f"expected a failed handshake without ML-KEM: client rc {rc}, events {events}")
        return "no ML-KEM in this wolfSSL: the handshake fails (" + short_error(events[0]) + ")"
    if not has_mlkem(env) and group.endswith(("MLKEM768", "MLKEM1024")):
        group = "x25519"
    if rc != 0 or server_rc != 0 or len(events) != 1:
        raise CellFailure(f"client rc {rc}, ussl-server rc {server_rc}, {len(events)} events: {text[-400:]}")
    e = events[0]
    expect_fields(e, {"ok": True, "tls.group": group, "handshake.hello_retry_request": hrr}, "ussl-server")
    hello = e["client_hello"] or {}
    if len(e["handshake"]["client_hello_bytes"]) != (2 if hrr else 1) or not hello.get("ja4", "").startswith("t13"):
        raise CellFailure(f"ClientHellos {e['handshake']['client_hello_bytes']}, client_hello {hello}")
    return f"{group}, {'after a HelloRetryRequest' if hrr else 'no HelloRetryRequest'}; key shares offered " + \
        ",".join(hello.get("key_shares", [])) + f"; JA4 {hello['ja4']}"


def _s_client35(env, *args):
    def cmd(port):
        return [peers.need_peer(peers.OPENSSL35), "s_client", "-connect", f"127.0.0.1:{port}", "-servername",
                "localhost", "-CAfile", env.cert("root-ca.pem"), "-verify_return_error", "-brief", *args]
    return cmd


@cap("OpenSSL 3.5 s_client, defaults", "ussl-server", "X25519MLKEM768, no HRR (without ML-KEM: x25519)")
def _(env):
    return _kex_server(env, [], _s_client35(env), "X25519MLKEM768", False)


@cap("OpenSSL 3.5 s_client -groups SecP256r1MLKEM768", "ussl-server",
     "SecP256r1MLKEM768, no HRR (without ML-KEM: the handshake fails)")
def _(env):
    return _kex_server(env, [], _s_client35(env, "-groups", "SecP256r1MLKEM768"), "SecP256r1MLKEM768", False,
                       pq_only=True)


@cap("OpenSSL 3.5 s_client, defaults", "ussl-server --hello-retry", "secp256r1 after HRR")
def _(env):
    return _kex_server(env, ["--hello-retry"], _s_client35(env), "secp256r1", True)


@cap("curl (OpenSSL 3.5), defaults", "ussl-server --mode http", "X25519MLKEM768, no HRR (without ML-KEM: x25519)")
def _(env):
    def cmd(port):
        return [peers.need_peer(peers.CURL35), "-sS", "--max-time", "20", "--http1.1", "--cacert",
                env.cert("root-ca.pem"), f"https://localhost:{port}/"]
    return _kex_server(env, [], cmd, "X25519MLKEM768", False, mode="http")


# --- the matrix --------------------------------------------------------------------------------------------


def build_cells():
    cells = []
    seed = itertools.count(1)
    for peer in peers.SERVER_PEERS:
        for params in CORE:
            cells.append(Cell("client-core", core_label(*params), peer.label, "ok, data checked",
                              client_core_cell(peer, *params, next(seed))))
        for case in SERVER_CERT_FARM:
            kind = case[4]
            cells.append(Cell("client-farm", case[0] + " · cert-reqs required", peer.label,
                              f"{kind} · exit 5" if kind else "ok, verified",
                              client_farm_cell(peer, case, "required", next(seed))))
            if peer.name in ("openssl", "python"):
                cells.append(Cell("client-farm", case[0] + " · cert-reqs none", peer.label,
                                  f"ok, verify.failure {kind}" if kind else "ok, verify.result ok",
                                  client_farm_cell(peer, case, "none", next(seed))))
        for version in ("1.3", "1.2"):
            for case in CLIENT_CERT_CASES:
                expected = client_cert_expectation(peer, version, case[1])
                cells.append(Cell("client-certs", f"TLS {version} · client certificate {case[0]}", peer.label,
                                  expected, client_cert_cell(peer, version, case, next(seed)),
                                  note="nginx-client-cert" if peer.name == "nginx" else None))
    for peer in peers.CLIENT_PEERS:
        for params in CORE:
            cells.append(Cell("server-core", core_label(*params), peer.label, "ok, data checked",
                              server_core_cell(peer, *params, next(seed))))
        for version in ("1.3", "1.2"):
            if version == "1.2" and peer.name not in ("openssl", "gnutls"):
                continue
            for case in SERVER_CLIENT_CERT_FARM:
                kind = case[3]
                cells.append(Cell("server-farm", f"TLS {version} · {case[0]}", peer.label,
                                  f"{kind} · exit 5" if kind else "ok",
                                  server_farm_cell(peer, version, case, next(seed))))
        for version in ("1.2", "1.3"):
            # TLS 1.3 only with s_client: curl hangs up at once, and which of its alert and its reset
            # ussl-server reads first is a race.
            if peer.name not in ("openssl", "curl", "python") or version == "1.3" and peer.name != "openssl":
                continue
            for case in SERVER_CERT_FARM_B:
                text, _, _, _, note = server_cert_expectation(peer, version, case)
                cells.append(Cell("server-certs", f"TLS {version} · {case[0]}", peer.label, text,
                                  server_cert_cell(peer, version, case, next(seed)), note=note))
    return cells + CAPABILITIES


def run_cell(env, cell):
    start = time.monotonic()
    try:
        observed = cell.fn(env)
        passed = True
    except CellFailure as e:
        observed, passed = str(e), False
    except Exception as e:  # a harness or peer problem is a failed cell too, with its traceback
        observed, passed = f"{type(e).__name__}: {e}\n{traceback.format_exc()}", False
    return {"table": cell.table, "row": cell.row, "col": cell.col, "expected": cell.expected,
            "observed": observed, "passed": passed, "note": cell.note,
            "seconds": round(time.monotonic() - start, 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--client", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--certs", required=True)
    parser.add_argument("--doc", help="write the matrix as Markdown here (docs/interop.md)")
    parser.add_argument("--results", help="write every cell's result as JSON here")
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--filter", help="run only cells whose id contains this text (no --doc then)")
    parser.add_argument("--list", action="store_true", help="list the cells and exit")
    args = parser.parse_args()

    for tool in ("openssl", "gnutls-serv", "gnutls-cli", "curl", peers.NGINX):
        if shutil.which(tool) is None:
            sys.exit(f"interop: {tool} is not installed (scripts/setup.sh installs every peer)")
    os.environ.pop("SSLKEYLOGFILE", None)  # only the key log cell sets it

    cells = build_cells()
    if args.filter:
        cells = [c for c in cells if args.filter in c.id]
    if args.list:
        for c in cells:
            print(c.id, "->", c.expected)
        print(f"{len(cells)} cells")
        return 0

    workdir = tempfile.mkdtemp(prefix="ussl-interop-")
    env = peers.Env(os.path.abspath(args.client), os.path.abspath(args.server), os.path.abspath(args.certs),
                    workdir)
    started = time.monotonic()
    try:
        versions = peers.peer_versions(env)
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = list(pool.map(lambda c: run_cell(env, c), cells))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - started

    failed = [r for r in results if not r["passed"]]
    for r in failed:
        print(f"UNEXPECTED: {r['table']} | {r['row']} | {r['col']}\n  expected: {r['expected']}\n"
              f"  observed: {r['observed']}\n", file=sys.stderr)
    slowest = sorted(results, key=lambda r: -r["seconds"])[:5]
    print(f"interop: {len(results)} cells, {len(results) - len(failed)} as expected, {len(failed)} unexpected, "
          f"{elapsed:.1f} s with {args.jobs} jobs; slowest: " +
          ", ".join(f"{r['col']} / {r['row']} {r['seconds']} s" for r in slowest))
    if args.results:
        with open(args.results, "w") as f:
            json.dump({"versions": versions, "results": results, "seconds": round(elapsed, 1)}, f, indent=1)
    if args.doc and not args.filter:
        render.write(args.doc, versions, results)
        print(f"interop: wrote {args.doc}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
