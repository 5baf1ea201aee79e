#!/usr/bin/env python3
"""ussl-client's ways to reach a server: host:port and --connect-to, proxies (HTTP CONNECT, SOCKS5),
and STARTTLS against scripted peers (Python standard library, loopback, free ports).

Run: test_net.py --client PATH --server PATH --certs DIR [unittest arguments, e.g. a class name].
Every peer here is a thread of this process on 127.0.0.1 port 0; every socket has a timeout; every
loop is bounded; every client run has a timeout.
Long on purpose (~950 lines): each scripted peer (proxy, SOCKS5, one per STARTTLS protocol) sits next
to the tests that drive it; the STARTTLS part is most of it and shares the peers' plumbing.
"""

import base64
import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_apps  # noqa: E402  (helpers: ServerProcess, Helper, AppTestCase)
from test_apps import AppTestCase, Helper  # noqa: E402

PEER_TIMEOUT = 10


def relay(a, b, stop):
    """Copies bytes both ways between two sockets until one side closes."""
    def pump(src, dst):
        while not stop.is_set():
            try:
                data = src.recv(65536)
            except OSError:
                break
            if not data:
                break
            try:
                dst.sendall(data)
            except OSError:
                break
        for s in (dst,):
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
    t = threading.Thread(target=pump, args=(b, a), daemon=True)
    t.start()
    pump(a, b)
    t.join(timeout=PEER_TIMEOUT)


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data


class HttpProxy(Helper):
    """HTTP CONNECT proxy: optional Basic auth, or refusing every tunnel with `refuse` (a status line)."""

    def __init__(self, test, auth=None, refuse=None, count=1):
        self.auth = auth
        self.refuse = refuse
        self.requests = []
        super().__init__(test, self.serve, count=count)

    def serve(self, conn, helper):
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 16384:
            chunk = conn.recv(4096)
            if not chunk:
                return
            head += chunk
        text = head.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        lines = text.split("\r\n")
        self.requests.append(lines)
        if self.refuse:
            conn.sendall(f"{self.refuse}\r\nContent-Length: 0\r\n\r\n".encode())
            return
        if self.auth is not None:
            expected = "Proxy-Authorization: Basic " + base64.b64encode(self.auth.encode()).decode()
            if expected not in lines:
                conn.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                             b"Proxy-Authenticate: Basic realm=\"t\"\r\nContent-Length: 0\r\n\r\n")
                return
        method, authority, _ = lines[0].split(" ", 2)
        host, port = authority.rsplit(":", 1)
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=PEER_TIMEOUT)
        except OSError:
            conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        self.conns.append(upstream)
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        relay(conn, upstream, helper.stop_event)


class Socks5Proxy(Helper):
    """SOCKS5 proxy (RFC 1928/1929): resolves names itself; optional user/password; `reply` != 0 refuses."""

    def __init__(self, test, auth=None, reply=0):
        self.auth = auth
        self.reply = reply
        self.requested = []
        super().__init__(test, self.serve)

    def serve(self, conn, helper):
        version, n = recv_exact(conn, 2)
        methods = recv_exact(conn, n)
        if self.auth is not None:
            if 2 not in methods:
                conn.sendall(b"\x05\xff")
                return
            conn.sendall(b"\x05\x02")
            recv_exact(conn, 1)
            user = recv_exact(conn, recv_exact(conn, 1)[0]).decode()
            password = recv_exact(conn, recv_exact(conn, 1)[0]).decode()
            ok = f"{user}:{password}" == self.auth
            conn.sendall(b"\x01\x00" if ok else b"\x01\x01")
            if not ok:
                return
        else:
            conn.sendall(b"\x05\x00")
        _, cmd, _, atyp = recv_exact(conn, 4)
        if atyp == 3:
            host = recv_exact(conn, recv_exact(conn, 1)[0]).decode()
        elif atyp == 1:
            host = socket.inet_ntop(socket.AF_INET, recv_exact(conn, 4))
        else:
            host = socket.inet_ntop(socket.AF_INET6, recv_exact(conn, 16))
        port = struct.unpack("!H", recv_exact(conn, 2))[0]
        self.requested.append((atyp, host, port))
        if self.reply != 0:
            conn.sendall(bytes([5, self.reply, 0, 1, 0, 0, 0, 0, 0, 0]))
            return
        upstream = socket.create_connection(("127.0.0.1" if host == "localhost" else host, port),
                                            timeout=PEER_TIMEOUT)
        self.conns.append(upstream)
        conn.sendall(bytes([5, 0, 0, 1, 127, 0, 0, 1]) + struct.pack("!H", port))
        relay(conn, upstream, helper.stop_event)


class Lines:
    """Line reader over a socket."""

    def __init__(self, conn):
        self.conn = conn
        self.buffer = b""

    def line(self):
        while b"\n" not in self.buffer:
            chunk = self.conn.recv(4096)
            if not chunk:
                raise OSError("closed")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.rstrip(b"\r").decode("latin-1")

    def until(self, marker):
        while marker not in self.buffer:
            chunk = self.conn.recv(4096)
            if not chunk:
                raise OSError("closed")
            self.buffer += chunk
        text, self.buffer = self.buffer.split(marker, 1)
        return (text + marker).decode("latin-1")


# ---- scripted STARTTLS servers: each plays the plaintext part and returns True to go on with TLS.
# `mode` is "ok", "refuse", "absent" (STARTTLS not offered) or "inject" (plaintext after the go-ahead).

def smtp_script(conn, io, mode, seen, lmtp=False):
    conn.sendall(b"220 mail.test ESMTP ready\r\n")
    seen.append(io.line())
    caps = b"250-mail.test\r\n250-PIPELINING\r\n" + (b"250-STARTTLS\r\n" if mode != "absent" else b"") + \
        b"250 8BITMIME\r\n"
    conn.sendall(caps)
    if mode == "absent":
        seen.append(io.line())
        return False
    seen.append(io.line())
    if mode == "refuse":
        conn.sendall(b"454 4.7.0 TLS not available\r\n")
        return False
    conn.sendall(b"220 2.0.0 Ready to start TLS\r\n" + (b"250 injected\r\n" if mode == "inject" else b""))
    return True


def imap_script(conn, io, mode, seen):
    conn.sendall(b"* OK IMAP4rev1 ready\r\n")
    tag = io.line().split(" ")[0]
    caps = "IMAP4rev1 STARTTLS LOGINDISABLED" if mode != "absent" else "IMAP4rev1"
    conn.sendall(f"* CAPABILITY {caps}\r\n{tag} OK done\r\n".encode())
    if mode == "absent":
        return False
    tag = io.line().split(" ")[0]
    if mode == "refuse":
        conn.sendall(f"{tag} BAD not now\r\n".encode())
        return False
    conn.sendall(f"{tag} OK Begin TLS negotiation now\r\n".encode() + (b"* OK injected\r\n" if mode == "inject" else b""))
    return True


def pop3_script(conn, io, mode, seen):
    conn.sendall(b"+OK POP3 ready\r\n")
    io.line()
    conn.sendall(b"+OK\r\nUSER\r\n" + (b"STLS\r\n" if mode != "absent" else b"") + b".\r\n")
    if mode == "absent":
        return False
    io.line()
    if mode == "refuse":
        conn.sendall(b"-ERR not now\r\n")
        return False
    conn.sendall(b"+OK Begin TLS\r\n" + (b"+OK injected\r\n" if mode == "inject" else b""))
    return True


def ftp_script(conn, io, mode, seen):
    conn.sendall(b"220-Welcome\r\n220 FTP ready\r\n")
    io.line()
    if mode == "absent":
        conn.sendall(b"502 AUTH not implemented\r\n")
        return False
    if mode == "refuse":
        conn.sendall(b"431 not now\r\n")
        return False
    conn.sendall(b"234 AUTH TLS ok\r\n" + (b"200 injected\r\n" if mode == "inject" else b""))
    return True


def nntp_script(conn, io, mode, seen):
    conn.sendall(b"200 news ready\r\n")
    io.line()
    conn.sendall(b"101 caps\r\nVERSION 2\r\n" + (b"STARTTLS\r\n" if mode != "absent" else b"") + b".\r\n")
    if mode == "absent":
        return False
    io.line()
    if mode == "refuse":
        conn.sendall(b"580 not now\r\n")
        return False
    conn.sendall(b"382 go ahead\r\n" + (b"200 injected\r\n" if mode == "inject" else b""))
    return True


def sieve_script(conn, io, mode, seen):
    conn.sendall(b'"IMPLEMENTATION" "test"\r\n"SASL" ""\r\n' + (b'"STARTTLS"\r\n' if mode != "absent" else b"") +
                 b'OK "ready"\r\n')
    if mode == "absent":
        return False
    io.line()
    if mode == "refuse":
        conn.sendall(b'NO "not now"\r\n')
        return False
    conn.sendall(b'OK "begin TLS"\r\n' + (b'OK "injected"\r\n' if mode == "inject" else b""))
    return True


def irc_script(conn, io, mode, seen):
    seen.append(io.line())
    conn.sendall(b":irc.test NOTICE * :*** Looking up your hostname\r\n")
    if mode == "absent":
        conn.sendall(b":irc.test 421 * STARTTLS :Unknown command\r\n")
        return False
    if mode == "refuse":
        conn.sendall(b":irc.test 691 * :STARTTLS failed\r\n")
        return False
    conn.sendall(b":irc.test 670 * :STARTTLS successful, go ahead\r\n" +
                 (b":irc.test NOTICE * :injected\r\n" if mode == "inject" else b""))
    return True


def xmpp_script(conn, io, mode, seen, server=False):
    seen.append(io.until(b">" if False else b"version='1.0'>"))
    ns = "jabber:server" if server else "jabber:client"
    features = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>" if mode != "absent" else ""
    conn.sendall((f"<?xml version='1.0'?><stream:stream xmlns='{ns}' xmlns:stream='http://etherx.jabber.org/streams' "
                  f"id='s1' from='localhost' version='1.0'><stream:features>{features}</stream:features>").encode())
    if mode == "absent":
        return False
    seen.append(io.until(b"/>"))
    if mode == "refuse":
        conn.sendall(b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>")
        return False
    conn.sendall(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" + (b"<message/>" if mode == "inject" else b""))
    return True


def ldap_script(conn, io, mode, seen):
    request = recv_exact(conn, 31)
    seen.append(request)
    code = {"ok": 0, "inject": 0, "refuse": 52, "absent": 2}[mode]
    conn.sendall(bytes([0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, code, 0x04, 0x00, 0x04, 0x00]) +
                 (b"\x30\x00" if mode == "inject" else b""))
    return mode in ("ok", "inject")


def postgres_script(conn, io, mode, seen):
    seen.append(recv_exact(conn, 8))
    if mode in ("absent", "refuse"):
        conn.sendall(b"N")
        return False
    conn.sendall(b"S" + (b"E" if mode == "inject" else b""))
    return True


def mysql_script(conn, io, mode, seen):
    caps = 0x0200 | 0x8000 | (0x0800 if mode != "absent" else 0)
    payload = (b"\x0a" + b"10.11.6-MariaDB-test\x00" + struct.pack("<I", 7) + b"abcdefgh" + b"\x00" +
               struct.pack("<H", caps) + b"\x21" + b"\x02\x00" + b"\x00\x00" + b"\x15" + b"\x00" * 10 +
               b"ijklmnopqrst\x00" + b"mysql_native_password\x00")
    conn.sendall(struct.pack("<I", len(payload))[:3] + b"\x00" + payload)
    if mode == "absent":
        return False
    packet = recv_exact(conn, 36)
    seen.append(packet)
    return True


SCRIPTS = {
    "smtp": smtp_script,
    "lmtp": lambda c, io, m, s: smtp_script(c, io, m, s, lmtp=True),
    "imap": imap_script,
    "pop3": pop3_script,
    "ftp": ftp_script,
    "nntp": nntp_script,
    "sieve": sieve_script,
    "irc": irc_script,
    "xmpp": xmpp_script,
    "xmpp-server": lambda c, io, m, s: xmpp_script(c, io, m, s, server=True),
    "ldap": ldap_script,
    "postgres": postgres_script,
    "mysql": mysql_script,
}
# Where each protocol fails when STARTTLS is not offered, and when it is refused.
ABSENT_STEP = {"smtp": "ehlo", "lmtp": "lhlo", "imap": "capability", "pop3": "capa", "ftp": "auth_tls",
               "nntp": "capabilities", "sieve": "greeting", "irc": "starttls", "xmpp": "features",
               "xmpp-server": "features", "ldap": "starttls", "postgres": "sslrequest", "mysql": "greeting"}
REFUSE_STEP = {"smtp": "starttls", "lmtp": "starttls", "imap": "starttls", "pop3": "stls", "ftp": "auth_tls",
               "nntp": "starttls", "sieve": "starttls", "irc": "starttls", "xmpp": "starttls",
               "xmpp-server": "starttls", "ldap": "starttls"}


class StarttlsPeer(Helper):
    """A scripted STARTTLS server: the protocol's plaintext dialogue, then TLS with the test PKI."""

    def __init__(self, test, protocol, mode="ok", script=None):
        self.script = script or SCRIPTS[protocol]
        self.mode = mode
        self.seen = []
        self.tls_done = threading.Event()
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(test_apps.cert("server-chain.pem"), test_apps.cert("server.key"))
        super().__init__(test, self.serve)

    def serve(self, conn, helper):
        io = Lines(conn)
        if not self.script(conn, io, self.mode, self.seen):
            try:
                conn.recv(1024)  # wait for the client to give up
            except OSError:
                pass
            return
        if self.mode == "inject":
            try:
                conn.recv(1024)
            except OSError:
                pass
            return
        tls = self.context.wrap_socket(conn, server_side=True)
        self.conns.append(tls)
        self.tls_done.set()
        try:
            while tls.recv(4096):
                pass
        except (OSError, ssl.SSLError):
            pass


class NetTestCase(AppTestCase):
    def setUp(self):
        self.tmp = None

    def starttls_client(self, protocol, port, *args, **kwargs):
        return self.client("--starttls", protocol, "--host", "localhost", "--port", port, "--timeout", "10000", *args,
                           **kwargs)


# ---------------------------------------------------------------------------


class AddressTests(NetTestCase):
    def test_host_with_a_port_connects_to_that_port(self):
        srv = self.server()
        r = self.client("--host", f"localhost:{srv.port}", "--cert-reqs", "required", *test_apps.TRUST)
        self.assert_exit(r, 0)
        self.assertEqual(r.report["target"]["host"], "localhost")
        self.assertEqual(r.report["target"]["port"], srv.port)
        self.assertEqual(r.report["sni"], "localhost")

    def test_a_positional_host_and_port_works_like_host(self):
        srv = self.server()
        r = self.client(f"127.0.0.1:{srv.port}")
        self.assert_exit(r, 0)
        self.assertEqual(r.report["target"]["address"], "127.0.0.1")
        self.assertIsNone(r.report["sni"])

    def test_a_bracketed_ipv6_literal_with_port_connects_over_ipv6(self):
        srv = self.server(bind="::1")
        r = self.client("--host", f"[::1]:{srv.port}", "--cert-reqs", "required", *test_apps.TRUST)
        self.assert_exit(r, 0)
        self.assertEqual(r.report["target"]["address"], "::1")
        self.assertEqual(r.report["verify"]["hostname"], "::1")  # an IP host is checked against iPAddress SANs

    def test_a_bare_ipv6_literal_takes_its_port_from_the_port_flag(self):
        srv = self.server(bind="::1")
        r = self.client("--host", "::1", "--port", srv.port)
        self.assert_exit(r, 0)
        self.assertEqual(r.report["target"]["address"], "::1")

    def test_a_port_flag_contradicting_the_host_port_is_a_usage_error(self):
        r = self.client("--host", "localhost:4433", "--port", "4434", json_mode=False)
        self.assertEqual(r.rc, 2)
        self.assertEqual(r.stderr.strip(),
                         "ussl-client: error: usage: --port 4434 contradicts the port in --host 'localhost:4433'")
        self.assertEqual(r.stdout, "")

    def test_a_port_flag_agreeing_with_the_host_port_is_accepted(self):
        srv = self.server()
        r = self.client("--host", f"localhost:{srv.port}", "--port", srv.port)
        self.assert_exit(r, 0)

    def test_connect_to_connects_elsewhere_while_sni_and_the_name_check_use_the_host(self):
        srv = self.server()
        r = self.client("--host", "server.ussl.test", "--connect-to", f"127.0.0.1:{srv.port}", "--cert-reqs",
                        "required", *test_apps.TRUST)
        self.assert_exit(r, 0)
        self.assertEqual(r.report["sni"], "server.ussl.test")
        self.assertEqual(r.report["verify"]["hostname"], "server.ussl.test")
        self.assertTrue(r.report["verify"]["verified"])
        self.assertEqual(r.report["target"]["port"], 443)
        self.assertEqual(r.report["target"]["connect_to"], f"127.0.0.1:{srv.port}")
        self.assertEqual(r.report["target"]["address"], "127.0.0.1")

    def test_connect_to_keeps_the_name_check_so_a_wrong_certificate_still_fails(self):
        srv = self.server()
        r = self.client("--host", "www.example.com", "--connect-to", f"127.0.0.1:{srv.port}", "--cert-reqs",
                        "required", *test_apps.TRUST)
        self.assert_exit(r, 5, "hostname_mismatch")
        self.assertEqual(r.report["sni"], "www.example.com")

    def test_a_name_under_localhost_is_loopback_without_the_resolver(self):
        # The system resolver does not know this name (no /etc/hosts entry): only the RFC 6761 rule connects.
        srv = self.server()
        r = self.client("--host", "ussl-test.localhost", "--port", srv.port)
        self.assert_exit(r, 0)
        self.assertEqual(r.report["target"]["address"], "127.0.0.1")
        self.assertEqual(r.report["sni"], "ussl-test.localhost")

    def test_localhost_falls_back_to_ipv6_loopback_when_ipv4_refuses(self):
        srv = self.server(bind="::1")
        r = self.client("--host", "LocalHost.", "--port", srv.port)
        self.assert_exit(r, 0)
        self.assertEqual(r.report["target"]["address"], "::1")

    def test_the_human_report_names_the_connect_to_target(self):
        srv = self.server()
        r = self.client("--host", "server.ussl.test", "--connect-to", f"127.0.0.1:{srv.port}", json_mode=False)
        self.assertEqual(r.rc, 0, repr(r))
        self.assertIn(f"(server.ussl.test:443 via --connect-to 127.0.0.1:{srv.port})", r.stdout.splitlines()[0])


class ProxyTests(NetTestCase):
    def test_an_http_proxy_tunnels_to_the_host_and_the_report_records_its_answer(self):
        srv = self.server()
        proxy = HttpProxy(self)
        r = self.client("--host", f"localhost:{srv.port}", "--proxy", f"http://127.0.0.1:{proxy.port}",
                        "--cert-reqs", "required", *test_apps.TRUST)
        self.assert_exit(r, 0)
        self.assertEqual(proxy.requests[0][0], f"CONNECT localhost:{srv.port} HTTP/1.1")
        self.assertEqual(r.report["proxy"], {"url": f"http://127.0.0.1:{proxy.port}", "scheme": "http",
                                             "source": "flag", "ok": True,
                                             "answer": "HTTP/1.1 200 Connection established"})
        self.assertTrue(r.report["verify"]["verified"])

    def test_an_http_proxy_gets_basic_auth_and_the_password_is_never_shown(self):
        srv = self.server()
        proxy = HttpProxy(self, auth="user:s3cret")
        r = self.client("--host", f"localhost:{srv.port}", "--proxy", f"http://user:s3cret@127.0.0.1:{proxy.port}")
        self.assert_exit(r, 0)
        self.assertIn("Proxy-Authorization: Basic dXNlcjpzM2NyZXQ=", proxy.requests[0])
        self.assertEqual(r.report["proxy"]["url"], f"http://user@127.0.0.1:{proxy.port}")
        self.assertNotIn("s3cret", r.stdout)
        self.assertNotIn("s3cret", r.stderr)

    def test_an_http_proxy_demanding_auth_is_proxy_failed_exit_3(self):
        srv = self.server()
        proxy = HttpProxy(self, auth="user:s3cret")
        r = self.client("--host", f"localhost:{srv.port}", "--proxy", f"http://127.0.0.1:{proxy.port}")
        self.assert_exit(r, 3, "proxy_failed")
        self.assertEqual(r.report["error"]["message"],
                         "the proxy refused the tunnel: 'HTTP/1.1 407 Proxy Authentication Required'")
        self.assertFalse(r.report["proxy"]["ok"])

    def test_a_refusing_http_proxy_is_proxy_failed_exit_3(self):
        proxy = HttpProxy(self, refuse="HTTP/1.1 403 Forbidden")
        r = self.client("--host", "localhost:1", "--proxy", f"http://127.0.0.1:{proxy.port}", json_mode=False)
        self.assertEqual(r.rc, 3, repr(r))
        self.assertIn("FAILED (exit 3) proxy_failed: the proxy refused the tunnel: 'HTTP/1.1 403 Forbidden'", r.stdout)
        self.assertIn(f"proxy        http://127.0.0.1:{proxy.port} (flag): FAILED: ", r.stdout)

    def test_a_socks5h_proxy_gets_the_name_and_resolves_it(self):
        srv = self.server()
        proxy = Socks5Proxy(self)
        r = self.client("--host", f"localhost:{srv.port}", "--proxy", f"socks5h://127.0.0.1:{proxy.port}")
        self.assert_exit(r, 0)
        self.assertEqual(proxy.requested, [(3, "localhost", srv.port)])
        self.assertEqual(r.report["proxy"]["answer"], "SOCKS5 succeeded")
        self.assertEqual(r.report["proxy"]["scheme"], "socks5h")

    def test_a_socks5h_proxy_with_user_and_password(self):
        srv = self.server()
        proxy = Socks5Proxy(self, auth="u:p")
        r = self.client("--host", f"localhost:{srv.port}", "--proxy", f"socks5h://u:p@127.0.0.1:{proxy.port}")
        self.assert_exit(r, 0)
        self.assertEqual(r.report["proxy"]["url"], f"socks5h://u@127.0.0.1:{proxy.port}")

    def test_a_socks5h_proxy_rejecting_the_password_is_proxy_failed(self):
        proxy = Socks5Proxy(self, auth="u:p")
        r = self.client("--host", "localhost:1", "--proxy", f"socks5h://u:wrong@127.0.0.1:{proxy.port}")
        self.assert_exit(r, 3, "proxy_failed")
        self.assertEqual(r.report["error"]["message"], "the SOCKS5 proxy rejected the user and password")

    def test_a_socks5h_proxy_refusing_the_connection_is_proxy_failed_with_its_reason(self):
        proxy = Socks5Proxy(self, reply=5)
        r = self.client("--host", "localhost:1", "--proxy", f"socks5h://127.0.0.1:{proxy.port}")
        self.assert_exit(r, 3, "proxy_failed")
        self.assertEqual(r.report["error"]["message"], "the SOCKS5 proxy refused the tunnel: connection refused")

    def test_proxy_env_uses_https_proxy(self):
        srv = self.server()
        proxy = HttpProxy(self)
        env = dict(os.environ, HTTPS_PROXY=f"http://127.0.0.1:{proxy.port}")
        env.pop("https_proxy", None)
        env.pop("NO_PROXY", None)
        env.pop("no_proxy", None)
        r = self.client("--host", f"localhost:{srv.port}", "--proxy-env", env=env)
        self.assert_exit(r, 0)
        self.assertEqual(r.report["proxy"]["source"], "HTTPS_PROXY")
        self.assertEqual(len(proxy.requests), 1)

    def test_proxy_env_skips_the_proxy_for_a_host_in_no_proxy(self):
        srv = self.server()
        env = dict(os.environ, HTTPS_PROXY="http://127.0.0.1:1", NO_PROXY="example.com,localhost")
        env.pop("no_proxy", None)
        r = self.client("--host", f"localhost:{srv.port}", "--proxy-env", env=env)
        self.assert_exit(r, 0)
        self.assertIsNone(r.report["proxy"])

    def test_without_proxy_env_the_environment_is_ignored(self):
        srv = self.server()
        env = dict(os.environ, HTTPS_PROXY="http://127.0.0.1:1", ALL_PROXY="http://127.0.0.1:1")
        r = self.client("--host", f"localhost:{srv.port}", env=env)
        self.assert_exit(r, 0)
        self.assertIsNone(r.report["proxy"])

    def test_starttls_works_through_a_proxy(self):
        peer = StarttlsPeer(self, "smtp")
        proxy = HttpProxy(self)
        r = self.starttls_client("smtp", peer.port, "--proxy", f"http://127.0.0.1:{proxy.port}", "--cert-reqs",
                                 "required", *test_apps.TRUST)
        self.assert_exit(r, 0)
        self.assertEqual(r.report["starttls"]["result"], "ok")
        self.assertTrue(r.report["proxy"]["ok"])


class StarttlsClientTests(NetTestCase):
    def test_every_protocol_upgrades_against_its_scripted_server_and_verifies(self):
        for protocol in SCRIPTS:
            with self.subTest(protocol=protocol):
                peer = StarttlsPeer(self, protocol)
                r = self.starttls_client(protocol, peer.port, "--cert-reqs", "required", *test_apps.TRUST)
                self.assert_exit(r, 0)
                s = r.report["starttls"]
                self.assertEqual(s["protocol"], protocol)
                self.assertEqual(s["result"], "ok")
                self.assertIsNone(s["failed_at"])
                self.assertTrue(s["offered"])
                self.assertIsNone(s["injected"])
                self.assertTrue(r.report["verify"]["verified"])
                self.assertEqual(r.report["sni"], "localhost")
                self.assertTrue(peer.tls_done.wait(5))  # the peer may finish its side just after the client

    def test_every_protocol_reports_starttls_not_offered_as_exit_9(self):
        for protocol in SCRIPTS:
            with self.subTest(protocol=protocol):
                peer = StarttlsPeer(self, protocol, mode="absent")
                r = self.starttls_client(protocol, peer.port)
                self.assert_exit(r, 9, "starttls_failed")
                self.assertEqual(r.report["starttls"]["result"], "not_offered")
                self.assertEqual(r.report["starttls"]["failed_at"], ABSENT_STEP[protocol])
                self.assertFalse(r.report["handshake"]["done"])

    def test_every_protocol_reports_a_refused_starttls_as_exit_9(self):
        for protocol in REFUSE_STEP:
            with self.subTest(protocol=protocol):
                peer = StarttlsPeer(self, protocol, mode="refuse")
                r = self.starttls_client(protocol, peer.port)
                self.assert_exit(r, 9, "starttls_failed")
                self.assertEqual(r.report["starttls"]["result"], "refused")
                self.assertEqual(r.report["starttls"]["failed_at"], REFUSE_STEP[protocol])

    def test_every_protocol_detects_plaintext_injected_after_the_go_ahead(self):
        for protocol in SCRIPTS:
            if protocol == "mysql":
                continue  # no go-ahead: the client speaks TLS right after its request
            with self.subTest(protocol=protocol):
                peer = StarttlsPeer(self, protocol, mode="inject")
                r = self.starttls_client(protocol, peer.port)
                self.assert_exit(r, 9, "starttls_injection")
                self.assertEqual(r.report["starttls"]["result"], "injection")
                self.assertEqual(r.report["starttls"]["failed_at"], "after_go_ahead")
                self.assertIsNotNone(r.report["starttls"]["injected"])
                self.assertFalse(r.report["handshake"]["done"])

    def test_smtp_records_greeting_capabilities_and_the_dialogue(self):
        peer = StarttlsPeer(self, "smtp")
        r = self.starttls_client("smtp", peer.port, "--starttls-name", "client.test")
        self.assert_exit(r, 0)
        s = r.report["starttls"]
        self.assertEqual(s["greeting"], "220 mail.test ESMTP ready")
        self.assertEqual(s["capabilities"], ["PIPELINING", "STARTTLS", "8BITMIME"])
        self.assertEqual(s["name"], "client.test")
        self.assertEqual(peer.seen[0], "EHLO client.test")
        self.assertEqual(s["transcript"][:3], ["S: 220 mail.test ESMTP ready", "C: EHLO client.test",
                                               "S: 250-mail.test"])
        self.assertEqual(s["transcript"][-2:], ["C: STARTTLS", "S: 220 2.0.0 Ready to start TLS"])

    def test_injected_plaintext_is_shown_escaped(self):
        peer = StarttlsPeer(self, "smtp", mode="inject")
        r = self.starttls_client("smtp", peer.port)
        self.assertEqual(r.report["starttls"]["injected"], "250 injected\r\n")  # as received; outputs escape it
        self.assertEqual(r.report["error"]["message"],
                         "the server sent 14 byte(s) of plaintext after its STARTTLS go-ahead, before the TLS "
                         "handshake: '250 injected\r\n'")  # JSON escapes it; the human report shows \r\n

    def test_terminal_escapes_in_a_greeting_are_escaped_in_the_human_report(self):
        def script(conn, io, mode, seen):
            conn.sendall(b"220 \x1b[31mevil\x1b]0;title\x07 ESMTP\r\n")
            io.line()
            conn.sendall(b"250-x\r\n250 STARTTLS\r\n")
            io.line()
            conn.sendall(b"220 go\r\n")
            return True
        peer = StarttlsPeer(self, "smtp", script=script)
        r = self.starttls_client("smtp", peer.port, json_mode=False)
        self.assertEqual(r.rc, 0, repr(r))
        self.assertNotIn("\x1b", r.stdout)
        self.assertIn("S: 220 \\x1b[31mevil\\x1b]0;title\\x07 ESMTP", r.stdout)

    def test_a_silent_server_fails_the_greeting_within_the_timeout(self):
        def script(conn, io, mode, seen):
            conn.recv(1024)
            return False
        peer = StarttlsPeer(self, "imap", script=script)
        r = self.client("--starttls", "imap", "--host", "localhost", "--port", peer.port, "--timeout", "500")
        self.assert_exit(r, 9, "starttls_failed")
        self.assertEqual(r.report["starttls"]["failed_at"], "greeting")
        self.assertEqual(r.report["error"]["message"], "no answer from the server before the end of --timeout")
        self.assertLess(r.report["timing_ms"]["total"], 5000)

    def test_an_endless_line_is_cut_at_the_size_limit(self):
        def script(conn, io, mode, seen):
            try:
                conn.sendall(b"220 " + b"x" * 100000)
                conn.recv(1024)
            except OSError:
                pass
            return False
        peer = StarttlsPeer(self, "smtp", script=script)
        r = self.starttls_client("smtp", peer.port)
        self.assert_exit(r, 9, "starttls_failed")
        self.assertEqual(r.report["error"]["message"], "the server sent a line longer than 4096 bytes")

    def test_xmpp_sends_the_starttls_name_as_the_stream_to(self):
        peer = StarttlsPeer(self, "xmpp")
        r = self.starttls_client("xmpp", peer.port, "--starttls-name", "chat.example")
        self.assert_exit(r, 0)
        self.assertIn("to='chat.example'", peer.seen[0])
        self.assertIn("xmlns='jabber:client'", peer.seen[0])

    def test_the_port_defaults_to_the_protocols_port(self):
        r = self.client("--starttls", "imap", "--host", "localhost", "--connect-timeout", "300", "--timeout", "1000")
        self.assertEqual(r.report["target"]["port"], 143)

    def test_expect_works_after_the_upgrade(self):
        peer = StarttlsPeer(self, "pop3")
        r = self.starttls_client("pop3", peer.port, "--expect", "starttls.result=ok", "--expect", "tls.version=TLSv1.3")
        self.assert_exit(r, 0)
        self.assertTrue(all(e["ok"] for e in r.report["expectations"]))

    def test_an_unknown_protocol_is_a_usage_error(self):
        r = self.client("--starttls", "gopher", "--host", "localhost", json_mode=False)
        self.assertEqual(r.rc, 2)
        self.assertTrue(r.stderr.startswith("ussl-client: error: usage: --starttls: gopher not in {"), r.stderr)


SERVER_PROTOCOLS = ["smtp", "imap", "pop3", "ftp", "postgres", "ldap"]


def tool(name):
    """The path of a client program, or None (the test then skips, naming it)."""
    return shutil.which(name)


class StarttlsServerTests(NetTestCase):
    """ussl-server --starttls against curl, Python's standard clients, psql, ldapsearch and ussl-client."""

    def trusted_context(self):
        return ssl.create_default_context(cafile=test_apps.cert("root-ca.pem"))

    def serve(self, protocol, *args):
        return self.server("--starttls", protocol, "--accept", "1", *args)

    def closed_event(self, srv):
        self.assertEqual(srv.wait(), 0, srv.text() + "".join(srv.stderr))
        return srv.wait_for(lambda e: e["event"] == "closed")

    def assert_served(self, srv, protocol, last_client_line):
        closed = self.closed_event(srv)
        self.assertTrue(closed["ok"], closed)
        self.assertEqual(closed["starttls"]["protocol"], protocol)
        self.assertEqual(closed["starttls"]["result"], "upgraded")
        self.assertIn(last_client_line, closed["starttls"]["dialogue"])
        handshake = srv.wait_for(lambda e: e["event"] == "handshake")
        self.assertTrue(handshake["ok"])
        self.assertEqual(handshake["starttls"]["result"], "upgraded")
        return closed

    def curl(self, url, *args):
        if not tool("curl"):
            self.skipTest("curl is not installed")
        return subprocess.run(["curl", "-sS", "--ssl-reqd", "--cacert", test_apps.cert("root-ca.pem"),
                               "--max-time", "10", url, *args], capture_output=True, text=True, timeout=20)

    def test_curl_sends_mail_over_smtp_starttls(self):
        srv = self.serve("smtp")
        with tempfile.NamedTemporaryFile("w", suffix=".eml") as mail:
            mail.write("From: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n")
            mail.flush()
            p = self.curl(f"smtp://localhost:{srv.port}", "--mail-from", "a@example.com", "--mail-rcpt",
                          "b@example.com", "-T", mail.name)
        self.assertEqual(p.returncode, 0, p.stderr)
        closed = self.assert_served(srv, "smtp", "C: QUIT")
        self.assertIn("C: STARTTLS", closed["starttls"]["plaintext"])
        self.assertIn("S: 250 2.0.0 OK: queued (and discarded) by ussl-server", closed["starttls"]["dialogue"])

    def test_curl_lists_imap_mailboxes_over_starttls(self):
        srv = self.serve("imap")
        p = self.curl(f"imap://localhost:{srv.port}/")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('* LIST (\\HasNoChildren) "/" INBOX', p.stdout)
        self.assert_served(srv, "imap", "S: * BYE ussl-server logging out")

    def test_curl_lists_pop3_messages_over_stls(self):
        srv = self.serve("pop3")
        p = self.curl(f"pop3://localhost:{srv.port}/")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_served(srv, "pop3", "C: QUIT")

    def test_curl_logs_in_over_ftp_auth_tls(self):
        srv = self.serve("ftp")
        p = self.curl(f"ftp://localhost:{srv.port}/", "-I")
        self.assertEqual(p.returncode, 0, p.stderr)
        closed = self.assert_served(srv, "ftp", "C: QUIT")
        self.assertIn("C: PROT P", closed["starttls"]["dialogue"])

    def test_python_smtplib_sends_mail_and_quits(self):
        import smtplib
        srv = self.serve("smtp")
        with smtplib.SMTP("localhost", srv.port, timeout=10) as client:
            client.starttls(context=self.trusted_context())
            client.ehlo()
            client.login("user", "password")
            client.sendmail("a@example.com", ["b@example.com"], "Subject: hi\r\n\r\nhello\r\n")
        self.assert_served(srv, "smtp", "C: QUIT")

    def test_python_imaplib_logs_in_and_out(self):
        import imaplib
        srv = self.serve("imap")
        client = imaplib.IMAP4("localhost", srv.port, timeout=10)
        client.starttls(ssl_context=self.trusted_context())
        self.assertEqual(client.login("user", "password")[0], "OK")
        self.assertEqual(client.select("INBOX")[0], "OK")
        self.assertEqual(client.logout()[0], "BYE")
        self.assert_served(srv, "imap", "S: * BYE ussl-server logging out")

    def test_python_poplib_logs_in_and_quits(self):
        import poplib
        srv = self.serve("pop3")
        client = poplib.POP3("localhost", srv.port, timeout=10)
        client.stls(context=self.trusted_context())
        client.user("user")
        client.pass_("password")
        self.assertEqual(client.stat(), (0, 0))
        client.quit()
        self.assert_served(srv, "pop3", "C: QUIT")

    def test_python_ftplib_logs_in_and_quits(self):
        import ftplib
        srv = self.serve("ftp")
        client = ftplib.FTP_TLS(context=self.trusted_context(), timeout=10)
        client.connect("localhost", srv.port)
        client.auth()
        client.login("user", "password")
        client.prot_p()
        self.assertEqual(client.pwd(), "/")
        client.quit()
        self.assert_served(srv, "ftp", "C: QUIT")

    def test_psql_gets_its_startup_message_answered_inside_tls(self):
        if not tool("psql"):
            self.skipTest("psql (postgresql-client) is not installed")
        srv = self.serve("postgres")
        env = dict(os.environ, PGCONNECT_TIMEOUT="10")
        p = subprocess.run(["psql", f"host=localhost port={srv.port} sslmode=verify-full "
                            f"sslrootcert={test_apps.cert('root-ca.pem')} user=tester dbname=db", "-c", "select 1"],
                           capture_output=True, text=True, timeout=20, env=env, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("FATAL:  ussl-server: TLS works; there is no database here", p.stderr)
        closed = self.assert_served(srv, "postgres",
                                    "S: ErrorResponse FATAL 28000 ussl-server: TLS works; there is no database here "
                                    "(STARTTLS test endpoint)")
        self.assertEqual(closed["starttls"]["plaintext"], ["C: SSLRequest", "S: S"])
        self.assertIn("user=tester database=db", closed["starttls"]["dialogue"][0])

    def test_ldapsearch_starts_tls_binds_searches_and_unbinds(self):
        if not tool("ldapsearch"):
            self.skipTest("ldapsearch (ldap-utils) is not installed")
        srv = self.serve("ldap")
        # 127.0.0.1, not localhost: libldap checks "localhost" against the machine's own name.
        env = dict(os.environ, LDAPTLS_CACERT=test_apps.cert("root-ca.pem"), LDAPTLS_REQCERT="demand")
        p = subprocess.run(["ldapsearch", "-ZZ", "-x", "-H", f"ldap://127.0.0.1:{srv.port}", "-b", "", "-s", "base",
                            "-o", "nettimeout=10"], capture_output=True, text=True, timeout=20, env=env,
                           stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("result: 0 Success", p.stdout)
        closed = self.assert_served(srv, "ldap", "C: UnbindRequest")
        self.assertEqual(closed["starttls"]["plaintext"],
                         ["C: ExtendedRequest StartTLS", "S: ExtendedResponse resultCode 0 (success)"])

    def test_ussl_client_upgrades_against_ussl_server_for_every_protocol(self):
        for protocol in SERVER_PROTOCOLS:
            with self.subTest(protocol=protocol):
                srv = self.serve(protocol)
                r = self.starttls_client(protocol, srv.port, "--cert-reqs", "required", *test_apps.TRUST)
                self.assert_exit(r, 0)
                self.assertEqual(r.report["starttls"]["result"], "ok")
                srv.stop()

    def test_starttls_refuse_makes_ussl_client_exit_9_and_the_connection_fail_with_starttls_failed(self):
        for protocol in SERVER_PROTOCOLS:
            with self.subTest(protocol=protocol):
                srv = self.serve(protocol, "--starttls-refuse")
                r = self.starttls_client(protocol, srv.port)
                self.assert_exit(r, 9, "starttls_failed")
                self.assertIn(r.report["starttls"]["result"], ("refused", "not_offered"))
                self.assertEqual(srv.wait(), 9)
                closed = srv.wait_for(lambda e: e["event"] == "closed")
                self.assertEqual(closed["error"]["kind"], "starttls_failed")
                self.assertTrue(closed["starttls"]["refused"])
                self.assertEqual(closed["starttls"]["result"], "refused")

    def test_starttls_inject_is_detected_by_ussl_client_for_every_protocol(self):
        for protocol in SERVER_PROTOCOLS:
            with self.subTest(protocol=protocol):
                srv = self.serve(protocol, "--starttls-inject")
                r = self.starttls_client(protocol, srv.port)
                self.assert_exit(r, 9, "starttls_injection")
                srv.stop()
                closed = srv.wait_for(lambda e: e["event"] == "closed")
                self.assertTrue(closed["starttls"]["injected"])

    def test_python_smtplib_is_refused_by_starttls_refuse(self):
        import smtplib
        srv = self.serve("smtp", "--starttls-refuse")
        with smtplib.SMTP("localhost", srv.port, timeout=10) as client:
            with self.assertRaises(smtplib.SMTPResponseException) as caught:
                client.starttls(context=self.trusted_context())
            self.assertEqual(caught.exception.smtp_code, 454)
        self.assertEqual(srv.wait(), 9)
        closed = srv.wait_for(lambda e: e["event"] == "closed")
        self.assertEqual(closed["error"]["message"], "the client quit before STARTTLS (refused: --starttls-refuse)")

    def test_the_human_server_output_shows_both_dialogues_escaped(self):
        srv = self.server("--starttls", "smtp", "--accept", "1", json_mode=False)
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as raw:
            io = Lines(raw)
            io.line()
            raw.sendall(b"EHLO \x1b[31mevil\r\n")
            for _ in range(4):
                io.line()
            raw.sendall(b"QUIT\r\n")
            io.line()
        self.assertEqual(srv.wait(), 9)
        self.assertIn("[1] plain C: EHLO \\x1b[31mevil\n", srv.text())
        self.assertNotIn("\x1b", srv.text())

    def test_starttls_excludes_mode_and_refuse_needs_starttls(self):
        r = subprocess.run([test_apps.SERVER, *test_apps.SERVER_CERT, "--starttls", "smtp", "--mode", "http"],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr.strip(), "ussl-server: error: usage: --mode excludes --starttls (see --help)")
        r = subprocess.run([test_apps.SERVER, *test_apps.SERVER_CERT, "--starttls-refuse"],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr.strip(), "ussl-server: error: usage: --starttls-refuse requires --starttls (see --help)")


def main():
    import argparse
    import unittest
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--client", default=test_apps.CLIENT)
    parser.add_argument("--server", default=test_apps.SERVER)
    parser.add_argument("--certs", default=test_apps.CERTS)
    args, rest = parser.parse_known_args()
    test_apps.CLIENT, test_apps.SERVER, test_apps.CERTS = args.client, args.server, args.certs
    for name, path in (("--client", args.client), ("--server", args.server)):
        if not path or not os.access(path, os.X_OK):
            sys.exit(f"{name}: not an executable: {path!r}")
    test_apps.SERVER_CERT[:] = ["--certfile", test_apps.cert("server-chain.pem"), "--keyfile",
                                test_apps.cert("server.key")]
    test_apps.TRUST[:] = ["--ca-certs", test_apps.cert("root-ca.pem")]
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
