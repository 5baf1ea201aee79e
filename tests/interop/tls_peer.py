#!/usr/bin/env python3
"""Python's ssl module as an interop peer for ussl (standard library only).

  tls_peer.py server --cert CHAIN --key KEY [--ca FILE --verify none|optional|required] [--version 1.2|1.3]
                     [--alpn LIST] [--accept N]
      Listens on 127.0.0.1 port 0 and prints {"event":"listening","port":P}; echoes every byte of each
      connection until the client's close_notify, then answers with its own. Prints one JSON line per
      connection: {"event":"handshake",...} then {"event":"closed",...}. Exits after --accept connections.

  tls_peer.py client --port P [--host H] [--server-hostname NAME] [--ca FILE --verify none|required]
                     [--cert CHAIN --key KEY] [--version 1.2|1.3] [--alpn LIST] [--send-file F] [--recv-file F]
      Connects (a blocking handshake), sends the file while reading the echo (non-blocking, so a payload of
      several MiB cannot deadlock), reads as many bytes as it sent, closes with close_notify and prints one
      JSON object. Exit 0 on success, 1 on a TLS or connection error.

Every wait is bounded (--timeout seconds, default 20).
"""

import argparse
import json
import selectors
import socket
import ssl
import sys
import threading
import time

VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def make_context(args, server):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = VERSIONS.get(args.version, ssl.TLSVersion.TLSv1_2)
    ctx.maximum_version = VERSIONS.get(args.version, ssl.TLSVersion.TLSv1_3)
    if args.cert:
        ctx.load_cert_chain(args.cert, args.key)
    if args.ca:
        ctx.load_verify_locations(args.ca)
    if server:
        ctx.verify_mode = {"none": ssl.CERT_NONE, "optional": ssl.CERT_OPTIONAL,
                           "required": ssl.CERT_REQUIRED}[args.verify]
    else:
        ctx.check_hostname = args.verify == "required" and args.server_hostname is not None
        ctx.verify_mode = ssl.CERT_REQUIRED if args.verify == "required" else ssl.CERT_NONE
    if args.alpn:
        ctx.set_alpn_protocols(args.alpn.split(","))
    return ctx


def describe(exc):
    return f"{type(exc).__name__}: {exc}"


def serve_one(ctx, conn, index, timeout):
    conn.settimeout(timeout)
    report = {"event": "handshake", "conn": index, "ok": False}
    try:
        tls = ctx.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        tls.do_handshake()
    except (OSError, ssl.SSLError) as e:
        report["error"] = describe(e)
        emit(report)
        conn.close()
        return
    peer = tls.getpeercert()
    report.update(ok=True, version=tls.version(), cipher=tls.cipher()[0], alpn=tls.selected_alpn_protocol(),
                  resumed=tls.session_reused, peer_cert=dict(x[0] for x in peer["subject"]) if peer else None)
    emit(report)
    received = 0
    closed = {"event": "closed", "conn": index, "ok": True}
    try:
        while True:
            data = tls.recv(65536)
            if not data:
                break
            received += len(data)
            tls.sendall(data)
        tls.unwrap()
    except (OSError, ssl.SSLError) as e:
        closed.update(ok=False, error=describe(e))
    closed["received"] = received
    emit(closed)
    try:
        tls.close()
    except OSError:
        pass


def run_server(args):
    ctx = make_context(args, server=True)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(args.timeout)
    emit({"event": "listening", "port": listener.getsockname()[1]})
    threads = []
    for index in range(1, args.accept + 1):
        try:
            conn, _ = listener.accept()
        except OSError:
            break
        t = threading.Thread(target=serve_one, args=(ctx, conn, index, args.timeout), daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join(args.timeout)
    listener.close()
    return 0


def exchange(tls, payload, timeout):
    """Sends the payload while reading the echo (non-blocking, so several MiB cannot deadlock); returns the
    bytes received once as many arrived as were sent."""
    tls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(tls, selectors.EVENT_READ)
    out = memoryview(payload)
    got = bytearray()
    deadline = time.monotonic() + timeout
    while len(got) < len(payload):
        if time.monotonic() > deadline:
            raise TimeoutError(f"received {len(got)} of {len(payload)} bytes in {timeout} s")
        progressed = False
        if out:
            try:
                n = tls.send(out[:65536])
                out = out[n:]
                progressed = n > 0
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
                pass
        try:
            while len(got) < len(payload):
                data = tls.recv(65536)
                if not data:
                    raise ConnectionError(f"the server closed the connection after {len(got)} bytes")
                got += data
                progressed = True
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            pass
        if not progressed:
            sel.modify(tls, selectors.EVENT_READ | (selectors.EVENT_WRITE if out else 0))
            sel.select(min(1.0, max(0.0, deadline - time.monotonic())))
    sel.close()
    tls.setblocking(True)
    tls.settimeout(timeout)
    return bytes(got)


def run_client(args):
    """A blocking handshake (so a rejected certificate is answered with an alert on the wire), then the
    exchange, then close_notify."""
    ctx = make_context(args, server=False)
    payload = b""
    if args.send_file:
        with open(args.send_file, "rb") as f:
            payload = f.read()
    report = {"ok": False, "error": None, "version": None, "cipher": None, "alpn": None, "sent": 0, "received": 0}
    tls = None
    try:
        sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
        tls = ctx.wrap_socket(sock, server_hostname=args.server_hostname or None)
        report.update(version=tls.version(), cipher=tls.cipher()[0], alpn=tls.selected_alpn_protocol())
        if payload:
            received = exchange(tls, payload, args.timeout)
            report.update(sent=len(payload), received=len(received))
            if args.recv_file:
                with open(args.recv_file, "wb") as f:
                    f.write(received)
        else:
            # Nothing to exchange: still give a TLS 1.3 server the time to reject our certificate.
            tls.settimeout(0.3)
            try:
                if not tls.recv(1):
                    raise ConnectionError("the server closed the connection")
            except socket.timeout:
                pass
            tls.settimeout(args.timeout)
        tls = tls.unwrap()  # close_notify, and the server's
        report["ok"] = True
    except (OSError, ssl.SSLError, ConnectionError, TimeoutError) as e:
        report["error"] = describe(e)
    finally:
        if tls is not None:
            tls.close()
    emit(report)
    return 0 if report["ok"] else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("role", choices=["server", "client"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--server-hostname")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--ca")
    parser.add_argument("--verify", choices=["none", "optional", "required"], default="none")
    parser.add_argument("--version", choices=["1.2", "1.3", "any"], default="any")
    parser.add_argument("--alpn")
    parser.add_argument("--accept", type=int, default=1)
    parser.add_argument("--send-file")
    parser.add_argument("--recv-file")
    parser.add_argument("--timeout", type=float, default=20)
    args = parser.parse_args()
    if args.role == "server":
        return run_server(args)
    return run_client(args)


if __name__ == "__main__":
    sys.exit(main())
