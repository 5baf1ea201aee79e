#!/usr/bin/env python3
"""Renders the interop results (interop.py --results FILE) as docs/interop.md.

Run: render.py RESULTS.json OUT.md  (interop.py calls write() itself after every full run).
The page holds no timings, so a run with the same outcome rewrites it byte for byte.
"""

import json
import sys

TABLES = [
    ("client-core", "1. ussl-client → server peers", "1a. Every dimension",
     "ussl-client pins the version (`--tls-version`), verifies with `--cert-reqs` against `certs/root-ca.pem` "
     "(under `none` the result is recorded, not enforced), runs the handshake eagerly or `--defer-handshake`, "
     "blocking or `--nonblocking`, sends ~20 KB (more than one TLS record) and checks the answer byte for byte. "
     "The server peer speaks both versions and serves the RSA or ECDSA chain; the report must show the "
     "certificate it serves (SHA-256), the mode and the trigger (`wrap` or `write`)."),
    ("client-farm", None, "1b. Bad server certificates",
     "`--cert-reqs required` must fail with the exact error kind and exit 5; `--cert-reqs none` must connect "
     "and still report what verification found. `wildcard` is `*.wild.ussl.test`; the IP cells connect to "
     "127.0.0.1 with `--server-hostname 127.0.0.1` (checked against the IP SANs, no SNI)."),
    ("client-certs", None, "1c. ussl-client's certificate, the peer requiring one",
     "The peer requires and verifies a client certificate (`s_server -Verify`, `gnutls-serv -r "
     "--verify-client-cert`, `ssl_verify_client on`, `CERT_REQUIRED`). Under TLS 1.3 the rejection arrives after "
     "ussl-client's Finished; its drain window catches it."),
    ("server-core", "2. Client peers → ussl-server", "2a. Every dimension",
     "ussl-server pins the version, serves the RSA or ECDSA chain, asks for a client certificate per "
     "`--cert-reqs` (the peer sends a valid one under `optional` and `required`), runs the handshake eagerly or "
     "`--defer-handshake` (`--nonblocking` is accepted for symmetry: the server always drives non-blocking "
     "sockets), and echoes (curl: `--mode http`, the page must name the path requested). The handshake event "
     "must show the version, the client certificate, the mode and the trigger (`do_handshake` or `read`)."),
    ("server-farm", None, "2b. Client certificates",
     "ussl-server with `--cert-reqs required` or `optional`; the peer sends no certificate, a valid one, one from "
     "an untrusted CA, or an expired one. A rejected client must fail too (also under TLS 1.3, where the "
     "rejection comes after its handshake)."),
    ("server-certs", None, "2c. Bad server certificates, seen by the peer",
     "ussl-server serves the certificate; the peer verifies it (s_client `-verify_return_error` with "
     "`-verify_hostname`/`-verify_ip`, curl, Python `CERT_REQUIRED`). ussl-server must report the peer's alert "
     "(exit 4)."),
]

NOTES = {
    "nginx-client-cert": "**nginx enforces client certificates in HTTP, not in TLS.** With `ssl_verify_client "
    "on` it completes every handshake (no certificate, an untrusted or an expired one) and answers the request "
    "with `400 Bad Request` (\"No required SSL certificate was sent\", \"The SSL certificate error\"). Its cells "
    "therefore expect exit 0 and HTTP 400 where the other peers send an alert (exit 4).",
    "curl-hostname": "**curl checks the server's name after the handshake.** curl 7.88 (OpenSSL) verifies the "
    "chain during the handshake but the host name only once it is complete, then hangs up with close_notify: "
    "for a wrong host ussl-server sees a good handshake and a clean close (exit 0), where s_client and Python "
    "send `bad_certificate` during it.",
    "tls13-plaintext-alert": "**wolfSSL reads OpenSSL's TLS 1.3 certificate alert as a protocol error.** An "
    "OpenSSL client that rejects the server certificate under TLS 1.3 sends its alert before it has switched "
    "to the handshake keys, i.e. unencrypted; the wolfSSL server already expects encrypted records and reports "
    "`protocol_error` (\"parse error on header; sent alert unexpected_message\", exit 4) instead of "
    "`alert_received` with the alert's name. Under TLS 1.2 (same table) the alert is named exactly. curl and "
    "Python do the same as s_client (all three are OpenSSL); the TLS 1.3 rows run with s_client only, because "
    "curl hangs up at once and ussl-server then reads either the alert or the reset first.",
    "keylog": "**Key logging needs a wolfSSL built with `HAVE_SECRET_CALLBACK`.** Debian's wolfSSL 5.5.4 is not: "
    "the cell then checks that `--keylog FILE` and `SSLKEYLOGFILE` are refused with exit 2 and a message naming "
    "the missing feature (and that no file is created). With such a wolfSSL it checks the key log lines "
    "instead.",
}

STATIC_NOTES = [
    "**Post-quantum peers.** OpenSSL 3.5 (`s_server`, `s_client`) and curl on OpenSSL 3.5 come from Debian 13 "
    "(trixie): `scripts/fetch-peers.sh` (run by `scripts/build.sh`) downloads their packages and trixie's glibc "
    "with `apt-get download` through a private apt configuration (own sources.list signed by Debian's archive "
    "keyring, own lists and cache under `~/.cache/ussl/peers`), unpacks them with `dpkg-deb -x` and starts them "
    "through the unpacked `ld-linux-x86-64.so.2 --library-path …`: nothing is installed system-wide, and the "
    "version in the table above is whatever trixie had when the cache was filled (`--update` refreshes it). "
    "Their cells (section 3) assert `tls.group` and `handshake.hello_retry_request`: ussl-client offers key "
    "shares for X25519MLKEM768 and x25519, so a server preferring either answers at once, and one that "
    "accepts only SecP256r1MLKEM768, SecP384r1MLKEM1024 or P-256 costs a HelloRetryRequest.",
    "**Data checks.** `openssl s_server -rev` answers every line reversed, and the check compares with the "
    "reversed payload. `gnutls-serv --echo` is line-based text (a NUL ends a line, CR LF becomes LF), so payloads "
    "to it are lines of hex digits; binary payloads go through nginx (`echo_request_body`), Python and "
    "ussl-server.",
    "**Ports.** ussl-server, `s_server` and the Python server bind port 0 and announce the port. `gnutls-serv` "
    "and nginx cannot: they get a port below the kernel's ephemeral range, checked free, and are restarted on "
    "another port when their bind fails (`gnutls-serv` only warns about a failed IPv4 bind).",
]


def mark(result, show_expected):
    sign = "✅" if result["passed"] else "❌ **unexpected**"
    return f"{sign} {result['expected']}" if show_expected or not result["passed"] else sign


def table(results, name):
    rows = []
    cols = []
    cells = {}
    for r in results:
        if r["table"] != name:
            continue
        if r["row"] not in rows:
            rows.append(r["row"])
        if r["col"] not in cols:
            cols.append(r["col"])
        cells[(r["row"], r["col"])] = r
    if not rows:
        return []
    out = ["| case | expected | " + " | ".join(cols) + " |", "| --- | --- |" + " --- |" * len(cols)]
    for row in rows:
        here = [cells.get((row, c)) for c in cols]
        expected = {c["expected"] for c in here if c}
        same = len(expected) == 1
        line = f"| {row} | {expected.pop() if same else 'see cells'} | "
        line += " | ".join(mark(c, not same) if c else "—" for c in here)
        out.append(line + " |")
    return out


def render(versions, results):
    failed = [r for r in results if not r["passed"]]
    lines = [
        "# Interop matrix",
        "",
        "Generated by `tests/interop/interop.py` on every test run (`ctest -R interop`, part of",
        "`scripts/test.sh`); do not edit by hand. The run fails on any unexpected cell. A cell reads ✅ when",
        "the outcome was the expected one (success, or the exact error kind and exit code), and",
        "❌ **unexpected** when it was not.",
        "",
        f"**{len(results)} cells: {len(results) - len(failed)} as expected, {len(failed)} unexpected.**",
        "",
        "| Peer | Version |",
        "| --- | --- |",
        f"| ussl-client, ussl-server | {versions.get('ussl', '?')} |",
        f"| `openssl s_server`, `openssl s_client` | {versions.get('openssl', '?')} |",
        f"| `gnutls-serv`, `gnutls-cli` | {versions.get('gnutls', '?')} |",
        f"| `curl` | {versions.get('curl', '?')} |",
        f"| OpenSSL 3.5 `s_server`, `s_client` (Debian 13, `scripts/fetch-peers.sh`) | "
        f"{versions.get('openssl35', '?')} |",
        f"| curl (Debian 13, `scripts/fetch-peers.sh`) | {versions.get('curl35', '?')} |",
        f"| `nginx` (generated config, `ngx_http_echo_module`) | {versions.get('nginx', '?')} |",
        f"| Python `ssl` (`tests/interop/tls_peer.py`) | {versions.get('python', '?')} |",
        "",
        "Contents: [1. ussl-client → server peers](#1-ussl-client--server-peers) ·",
        "[2. client peers → ussl-server](#2-client-peers--ussl-server) ·",
        "[3. Capabilities against foreign peers](#3-capabilities-against-foreign-peers) ·",
        "[Known differences and notes](#known-differences-and-notes)",
    ]
    for name, section, title, text in TABLES:
        body = table(results, name)
        if not body:
            continue
        if section:
            lines += ["", f"## {section}"]
        lines += ["", f"### {title}", "", text, ""] + body
    caps = [r for r in results if r["table"] == "capabilities"]
    if caps:
        lines += ["", "## 3. Capabilities against foreign peers", "",
                  "Every capability of issue 4 (b), each against at least one foreign peer.", "",
                  "| capability | peer | expected | result | observed |", "| --- | --- | --- | --- | --- |"]
        for r in caps:
            observed = r["observed"].splitlines()[0] if r["passed"] else "see below"
            lines.append(f"| {r['row']} | {r['col']} | {r['expected']} | {'✅' if r['passed'] else '❌'} | "
                         f"{observed.replace('|', '/')} |")
    lines += ["", "## Known differences and notes", ""]
    notes = sorted({r["note"] for r in results if r.get("note")})
    for note in notes:
        lines += [f"- {NOTES.get(note, note)}"]
    for note in STATIC_NOTES:
        lines += [f"- {note}"]
    if failed:
        lines += ["", "## Unexpected cells", ""]
        for r in failed:
            lines += [f"- **{r['table']} · {r['row']} · {r['col']}**: expected {r['expected']}; observed: "
                      + r["observed"].splitlines()[0].replace("|", "/") if r["observed"] else "(nothing)"]
    return "\n".join(lines) + "\n"


# tests/interop/test_starttls.py appends its STARTTLS table after this marker; a rewrite keeps it.
STARTTLS_MARKER = "<!-- starttls: generated by tests/interop/test_starttls.py; do not edit -->"


def write(path, versions, results):
    text = render(versions, results)
    try:
        with open(path, encoding="utf-8") as f:
            old = f.read()
    except OSError:
        old = ""
    if STARTTLS_MARKER in old:
        text += "\n" + old[old.index(STARTTLS_MARKER):]
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        data = json.load(f)
    write(sys.argv[2], data["versions"], data["results"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
