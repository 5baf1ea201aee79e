"""Rows 1-3 (server CPU per full ECDSA and RSA handshake, per resumed handshake), the post-quantum row,
and the mutual-TLS server row."""

import json
import os
import subprocess

from .peers import Server, free_port, wait_listening
from .proc import run, spawn, stop
from .stats import fmt_us, summarize_cpu


def handshake_rows(B):
    a = B.a
    n_full = {"ecdsa": 300 if a.quick else 3000, "rsa": 200 if a.quick else 1500}
    n_res = 300 if a.quick else 3000
    rounds = {"ecdsa": 1 if a.quick else 3, "rsa": 1 if a.quick else 3}
    for cert in ("ecdsa", "rsa"):
        servers = []
        try:
            servers += B.ussl_servers(f"full_{cert}", cert)
            servers.append(B.openssl_server(cert))
            servers.append(B.gnutls_server(cert))
            for s in servers:
                B.check_negotiated(s, cert)
                B.ussl_bench(s.port, ["--count", "100", "-c", "4"])  # warm-up
            kinds = [("full", n_full[cert], [])] + ([("resumed", n_res, ["--resume"])] if cert == "ecdsa" else [])
            for kind, n, extra in kinds:
                key = f"{kind}_{cert}"
                res = {s.name: [] for s in servers}
                for r in range(rounds[cert]):
                    order = servers[r % len(servers):] + servers[: r % len(servers)]
                    for s in order:
                        lat = os.path.join(B.tmp, f"lat-{key}-{servers.index(s)}-{r}.txt")
                        m = B.measure_cpu(s, ["--count", str(n), "-c", "4", "--latency-file", lat] + extra)
                        m["latency_file"] = lat
                        res[s.name].append(m)
                        B.log(f"{key:14} {s.name:24} round {r + 1}: {fmt_us(m.get('cpu_us'))} server CPU/hs, "
                              f"{m['ok']} ok, {m['failed']} failed, {m['resumed']} resumed, "
                              f"{m['hs_per_s']:.0f} hs/s")
                B.R["rows"][key] = summarize_cpu(res)
                B.plot[key] = {name: runs[-1]["latency_file"] for name, runs in res.items()}
        finally:
            for s in servers:
                s.stop()


def pq_rows(B):
    """ussl-server (builds with ML-KEM) against OpenSSL 3.5 s_server (scripts/fetch-peers.sh), the load
    client offering X25519MLKEM768 only; and the ClientHello ussl-client sends with each key-share choice."""
    a = B.a
    n = 300 if a.quick else 2000
    rounds = 1 if a.quick else 3
    openssl35 = os.path.join(os.environ.get("USSL_CACHE_DIR") or os.path.expanduser("~/.cache/ussl"), "peers",
                             "bin", "openssl35")
    servers = []
    try:
        for fl, bindir in B.flavours:
            v = run([os.path.join(bindir, "ussl-server"), "--version", "--json"], timeout=10)
            try:
                mlkem = json.loads(v.stdout.decode() or "{}").get("wolfssl", {}).get("features", {}).get("mlkem")
            except ValueError:  # an older build without --version --json
                mlkem = False
            if mlkem:
                servers += B.ussl_servers("full_mlkem", "ecdsa", ["--groups", "X25519MLKEM768"], [fl])
            else:
                B.skip("full_mlkem", fl, "this wolfSSL has no ML-KEM")
        if os.access(openssl35, os.X_OK):
            leaf, rest = B.split["ecdsa"]
            port = free_port()
            argv = [openssl35, "s_server", "-accept", f"127.0.0.1:{port}", "-cert", leaf, "-cert_chain", rest,
                    "-key", B.cert["ecdsa"][1], "-quiet", "-no-CAfile", "-no-CApath", "-no-CAstore", "-rev",
                    "-groups", "X25519MLKEM768"]
            p = spawn(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                      stderr=open(os.path.join(B.tmp, "s_server35.err"), "w"))
            if wait_listening(port, p):
                servers.append(Server("OpenSSL 3.5 s_server", p, port))
            else:
                stop(p)
                B.note("OpenSSL 3.5 s_server did not start")
        else:
            B.note(f"{openssl35} is missing (scripts/fetch-peers.sh): no OpenSSL 3.5 figure")
        pq = ["--key-shares", "X25519MLKEM768"]
        for srv in servers:
            B.ussl_bench(srv.port, ["--count", "100", "-c", "4"] + pq, groups="X25519MLKEM768")  # warm-up
        res = {srv.name: [] for srv in servers}
        for r in range(rounds):
            for srv in servers[r % max(1, len(servers)):] + servers[: r % max(1, len(servers))]:
                m = B.measure_cpu(srv, ["--count", str(n), "-c", "4"] + pq, groups="X25519MLKEM768")
                res[srv.name].append(m)
                B.log(f"full_mlkem     {srv.name:24} round {r + 1}: {fmt_us(m.get('cpu_us'))} server CPU/hs, "
                      f"{m['ok']} ok, {m['failed']} failed")
        B.R["rows"]["full_mlkem"] = summarize_cpu(res)
        # ClientHello bytes, as ussl-client reports them.
        sizes = {}
        if servers:
            client = os.path.join(dict(B.flavours)[B.client_flavour], "ussl-client")
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
        B.R["rows"]["client_hello_bytes"] = sizes
    finally:
        for srv in servers:
            srv.stop()


def mtls_row(B):
    """Server CPU per full TLS 1.3 handshake (ECDSA P-256 server certificate, X25519) in which the server
    requires a client certificate and verifies it: the ECDSA P-256 client chain of certs/ (leaf +
    intermediate) against certs/root-ca.pem. ussl-server --cert-reqs required per flavour, openssl s_server
    -Verify and gnutls-serv --require-client-cert --verify-client-cert as peers. Each server is checked
    first: the load client without a certificate, and with a certificate from another root, must fail, and
    with the trusted one succeed."""
    a = B.a
    n = 300 if a.quick else 2000
    rounds = 1 if a.quick else 3
    ca = os.path.join(B.certs, "root-ca.pem")
    good = ["--certfile", os.path.join(B.certs, "client-chain.pem"), "--keyfile", os.path.join(B.certs, "client.key")]
    untrusted = ["--certfile", os.path.join(B.certs, "untrusted-client.pem"), "--keyfile",
                 os.path.join(B.certs, "untrusted-client.key")]
    servers = []
    checks = {}
    try:
        servers += B.ussl_servers("full_mtls", "ecdsa", ["--cert-reqs", "required", "--ca-certs", ca])
        servers.append(B.openssl_server("ecdsa", ["-rev", "-Verify", "9", "-verify_return_error", "-CAfile", ca]))
        servers.append(B.gnutls_server("ecdsa", ["--echo", "--require-client-cert", "--verify-client-cert",
                                                 "--x509cafile", ca], client_cert=True))
        for srv in servers:
            # Under TLS 1.3 the client's handshake completes before the server has judged its certificate: the
            # checks exchange a 16-byte echo, which a rejecting server answers with an alert instead.
            check = ["--count", "2", "-c", "1", "--payload", "16"]
            none = B.ussl_bench(srv.port, check).get("connections", {})
            other = B.ussl_bench(srv.port, check + untrusted).get("connections", {})
            ok = B.ussl_bench(srv.port, check + good).get("connections", {})
            B.ussl_bench(srv.port, ["--count", "100", "-c", "4"] + good)  # warm-up
            checks[srv.name] = {"without_certificate_ok": none.get("ok"), "untrusted_certificate_ok": other.get("ok"),
                                "trusted_certificate_ok": ok.get("ok"),
                                "verified": none.get("ok") == 0 and other.get("ok") == 0 and ok.get("ok", 0) > 0}
            if not checks[srv.name]["verified"]:
                B.note(f"full_mtls: {srv.name} does not require and verify the client certificate as invoked "
                       f"({checks[srv.name]})")
        res = {srv.name: [] for srv in servers}
        for r in range(rounds):
            for srv in servers[r % max(1, len(servers)):] + servers[: r % max(1, len(servers))]:
                m = B.measure_cpu(srv, ["--count", str(n), "-c", "4"] + good)
                res[srv.name].append(m)
                B.log(f"full_mtls      {srv.name:24} round {r + 1}: {fmt_us(m.get('cpu_us'))} server CPU/hs, "
                      f"{m['ok']} ok, {m['failed']} failed")
        row = summarize_cpu(res)
        for name, c in checks.items():
            row[name]["client_certificate_check"] = c
        B.R["rows"]["full_mtls"] = row
    finally:
        for srv in servers:
            srv.stop()
