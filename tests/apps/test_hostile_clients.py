#!/usr/bin/env python3
"""ussl-server and ussl-client against hostile or unusual peers, with raw TLS (tests/apps/raw_tls.py).

Each test sends a hand-built ClientHello (or, for the client, hand-built server records) and
asserts the exact alert or behaviour. Run like test_apps.py:
test_hostile_clients.py --client PATH --server PATH --certs DIR [unittest arguments]
Loopback only, port 0, every wait bounded, every process stopped.
Long on purpose (~550 lines): one short class per kind of hostile or unusual peer (names, closes,
middlebox compatibility, large hellos, signatures, interleaved records), sharing the fixtures.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import raw_tls  # noqa: E402
import test_apps  # noqa: E402

# tlsfuzzer's test-invalid-server-name-extension.py ("SNI name with NULL", "SNI name with BEL",
# "SNI name with UTF-8", "SNI name with ANSI color escapes code") expects, for each:
#     ExpectAlert(AlertLevel.fatal, AlertDescription.illegal_parameter)
INVALID_NAMES = {
    "embedded NUL": b"localhost\x00.evil.example",
    "BEL": b"local\x07host",
    "terminal title escape": b"\x1b]0;pwned\x07",
    "ANSI colour escape": b"\x1b[31mred.example",
    "tab": b"a\tb.example",
    "space": b"a b.example",
    "DEL": b"a\x7fb.example",
    "UTF-8": "b\u00fccher.example".encode(),
    "slash": b"a/b.example",
    "invalid UTF-8 byte": b"a\xffb.example",
}


_FEATURES = None


def wolfssl_features():
    """features of the wolfSSL ussl-server is built with (--version --json)."""
    global _FEATURES
    if _FEATURES is None:
        out = subprocess.run([test_apps.SERVER, "--version", "--json"], capture_output=True, text=True, timeout=10)
        _FEATURES = json.loads(out.stdout)["wolfssl"]["features"]
    return _FEATURES


def needs_ussl_wolfssl(test):
    """Skips on a wolfSSL without ussl's patches (Debian's 5.5.4), which keeps the behaviour
    docs/interop.md describes; they come with the middlebox mode (cmake/patches/)."""
    if not wolfssl_features().get("middlebox_compat"):
        test.skipTest("needs the tuned wolfSSL with ussl's patches (docs/interop.md: system build)")


class HostileTestCase(test_apps.AppTestCase):
    def raw(self, srv):
        client = raw_tls.RawClient(srv.port)
        self.addCleanup(client.close)
        return client

    def handshake_event(self, srv):
        return srv.wait_for(lambda e: e["event"] == "handshake")


class SniValidationTests(HostileTestCase):
    def test_server_refuses_an_sni_with_an_embedded_nul_with_illegal_parameter_and_reports_it_byte_for_byte(self):
        srv = self.server()
        answer = self.raw(srv)
        answer.send(raw_tls.records(raw_tls.client_hello(INVALID_NAMES["embedded NUL"])))
        reply = answer.first_answer()
        self.assertEqual((reply.kind, reply.level, reply.alert), ("alert", 2, "illegal_parameter"), reply)
        event = self.handshake_event(srv)
        self.assertFalse(event["ok"])
        self.assertEqual(event["error"]["kind"], "protocol_error")
        self.assertIn("invalid server name", event["error"]["message"])
        # The whole name, not "localhost" (where wolfSSL's C string stops).
        self.assertEqual(event["sni"], "localhost\u0000.evil.example")
        self.assertEqual(event["exit_code"], 4)

    def test_server_refuses_control_characters_spaces_and_non_ascii_in_the_sni_with_illegal_parameter(self):
        srv = self.server()
        for what, name in INVALID_NAMES.items():
            with self.subTest(what):
                client = self.raw(srv)
                client.send(raw_tls.records(raw_tls.client_hello(name)))
                reply = client.first_answer()
                self.assertEqual((reply.kind, reply.level, reply.alert), ("alert", 2, "illegal_parameter"), reply)
        deadline = time.monotonic() + 10
        events = []
        while time.monotonic() < deadline and len(events) < len(INVALID_NAMES):
            time.sleep(0.05)
            events = [e for e in srv.events() if e["event"] == "handshake"]
        self.assertEqual(len(events), len(INVALID_NAMES))
        self.assertTrue(all(not e["ok"] and e["error"]["kind"] == "protocol_error" for e in events), events)

    def test_server_accepts_an_sni_of_letters_digits_hyphens_dots_and_underscores(self):
        srv = self.server()
        for name in (b"localhost", b"my_host-01.Example.COM", b"_acme-challenge.example", b"a"):
            with self.subTest(name):
                client = self.raw(srv)
                client.send(raw_tls.records(raw_tls.client_hello(name)))
                self.assertEqual(client.first_answer().kind, "server_hello", "".join(srv.lines + srv.stderr))

    def test_server_refuses_an_sni_with_a_nul_in_a_client_hello_over_64_kib(self):
        # The byte-for-byte reading covers hellos up to the handshake limit, not only small ones.
        needs_ussl_wolfssl(self)
        srv = self.server()
        client = self.raw(srv)
        suites = raw_tls.TLS13_SUITES + raw_tls.TLS12_SUITES + list(range(0x1400, 0x1400 + 200))
        hello = raw_tls.client_hello(INVALID_NAMES["embedded NUL"], suites=suites, padding=65250)
        self.assertGreater(len(hello), 65536)
        client.send(raw_tls.records(hello))
        reply = client.first_answer()
        self.assertEqual((reply.kind, reply.level, reply.alert), ("alert", 2, "illegal_parameter"), reply)

    def test_server_ignores_other_name_types_next_to_the_host_name(self):
        # RFC 6066 3: at most one name per type; types the server does not know are ignored.
        needs_ussl_wolfssl(self)
        srv = self.server()
        entry = lambda t, n: raw_tls.u8(t) + raw_tls.vec16(n)
        for entries in ((entry(0, b"localhost"), entry(7, b"other")), (entry(7, b"other"), entry(0, b"localhost"))):
            client = self.raw(srv)
            sni = raw_tls.extension(raw_tls.EXT_SERVER_NAME, raw_tls.vec16(b"".join(entries)))
            client.send(raw_tls.records(raw_tls.client_hello(None, extra_extensions=[sni])))
            self.assertEqual(client.first_answer().kind, "server_hello")

    def test_server_refuses_two_host_names_with_illegal_parameter(self):
        # tlsfuzzer "multiple host_names in SNI, RFC 6066 compliance": illegal_parameter.
        needs_ussl_wolfssl(self)
        srv = self.server()
        client = self.raw(srv)
        sni = raw_tls.server_name_extension(b"localhost", b"example.com")
        client.send(raw_tls.records(raw_tls.client_hello(None, extra_extensions=[sni])))
        reply = client.first_answer()
        self.assertEqual((reply.kind, reply.level, reply.alert), ("alert", 2, "illegal_parameter"), reply)

    def test_server_prints_an_sni_escape_sequence_escaped_in_its_report_and_log(self):
        srv = self.server("-v", json_mode=False)
        client = self.raw(srv)
        client.send(raw_tls.records(raw_tls.client_hello(INVALID_NAMES["terminal title escape"])))
        self.assertEqual(client.first_answer().alert, "illegal_parameter")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any("closed" in line for line in srv.lines):
            time.sleep(0.05)
        srv.proc.terminate()
        srv.proc.wait(10)
        time.sleep(0.2)  # the reader threads drain the pipes
        stdout, stderr = "".join(srv.lines), "".join(srv.stderr)
        for stream, text in (("stdout", stdout), ("stderr", stderr)):
            self.assertNotIn("\x1b", text, stream)
            self.assertNotIn("\x07", text, stream)
            self.assertIn(r"\x1b]0;pwned\x07", text, stream)
        self.assertIn("handshake FAILED (exit 4)", stdout)


class LingeringCloseTests(HostileTestCase):
    # A ClientHello with no suite in common: handshake_failure on every build.
    REFUSED_HELLO = raw_tls.records(raw_tls.client_hello(b"localhost", suites=[0x009C]))
    MORE_FLIGHT = raw_tls.records(b"\x00" * 4000)

    def test_server_alert_reaches_a_client_that_keeps_sending_after_the_refusal(self):
        # Without the lingering close, the server closes with the client's bytes unread, the
        # kernel answers with a reset, and the client's next write fails before it reads the alert.
        srv = self.server()
        client = self.raw(srv)
        client.send(self.REFUSED_HELLO + self.MORE_FLIGHT)
        time.sleep(0.2)  # the server has refused and closed its side meanwhile
        client.send(self.MORE_FLIGHT)
        records, how = client.read_to_end()
        self.assertEqual(how, "eof")
        self.assertEqual([(t, p[0], raw_tls.ALERT_NAMES[p[1]]) for t, p in records],
                         [(raw_tls.ALERT, 2, "handshake_failure")])

    def test_server_closes_a_lingering_connection_within_half_a_second(self):
        srv = self.server()
        client = self.raw(srv)
        client.send(self.REFUSED_HELLO)
        records, how = client.read_to_end()
        self.assertEqual((how, len(records)), ("eof", 1))
        time.sleep(1.0)  # past the 500 ms linger: the server's socket is closed now
        with self.assertRaises((ConnectionResetError, BrokenPipeError)):
            client.send(self.MORE_FLIGHT)
            time.sleep(0.2)
            client.send(self.MORE_FLIGHT)
            client.sock.recv(1)

    def test_client_alert_reaches_a_server_that_keeps_sending_after_the_client_refused(self):
        listener = socket.create_server(("127.0.0.1", 0))
        self.addCleanup(listener.close)
        listener.settimeout(10)
        port = listener.getsockname()[1]
        proc = subprocess.Popen([test_apps.CLIENT, "--host", "127.0.0.1", "--port", str(port), "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(proc.kill)
        conn, _ = listener.accept()
        self.addCleanup(conn.close)
        conn.settimeout(5)
        hello = b""
        while len(hello) < 5 or len(hello) < 5 + int.from_bytes(hello[3:5], "big"):
            chunk = conn.recv(65536)
            self.assertTrue(chunk, "ussl-client closed before its ClientHello")
            hello += chunk
        # A ServerHello of four bytes cannot be parsed: the client refuses with decode_error.
        bogus = raw_tls.records(raw_tls.u8(raw_tls.SERVER_HELLO) + raw_tls.u24(4) + b"\x03\x03\x00\x00")
        conn.sendall(bogus + self.MORE_FLIGHT)
        time.sleep(0.3)
        conn.sendall(self.MORE_FLIGHT)  # a reset here if ussl-client closed without lingering
        data = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        self.assertEqual(data, bytes([raw_tls.ALERT, 3, 3, 0, 2, 2, 50]))  # fatal decode_error, then EOF
        out, _ = proc.communicate(timeout=10)
        report = json.loads(out)
        self.assertEqual((proc.returncode, report["error"]["kind"]), (4, "protocol_error"))


class MiddleboxCompatibilityTests(HostileTestCase):
    """RFC 8446 Appendix D.4."""

    def test_server_sends_a_change_cipher_spec_right_after_its_server_hello_to_a_client_with_a_session_id(self):
        needs_ussl_wolfssl(self)
        srv = self.server()
        client = self.raw(srv)
        client.send(raw_tls.records(raw_tls.client_hello(b"localhost", session_id=os.urandom(32))))
        reply = client.first_answer()
        self.assertEqual(reply.kind, "server_hello", reply)
        self.assertEqual(client.read_record()[0], raw_tls.CHANGE_CIPHER_SPEC)

    def test_server_sends_no_change_cipher_spec_to_a_client_without_a_session_id(self):
        needs_ussl_wolfssl(self)
        srv = self.server()
        client = self.raw(srv)
        client.send(raw_tls.records(raw_tls.client_hello(b"localhost", session_id=b"")))
        self.assertEqual(client.first_answer().kind, "server_hello")
        self.assertEqual(client.read_record()[0], raw_tls.APPLICATION_DATA)

    def test_server_with_no_middlebox_compat_sends_no_change_cipher_spec(self):
        needs_ussl_wolfssl(self)
        srv = self.server("--no-middlebox-compat")
        client = self.raw(srv)
        client.send(raw_tls.records(raw_tls.client_hello(b"localhost", session_id=os.urandom(32))))
        self.assertEqual(client.first_answer().kind, "server_hello")
        self.assertEqual(client.read_record()[0], raw_tls.APPLICATION_DATA)

    def test_server_sends_the_change_cipher_spec_at_once_after_a_hello_retry_request(self):
        # The client sends nothing more: the CCS must come with the HelloRetryRequest,
        # not held back until the second ClientHello.
        needs_ussl_wolfssl(self)
        srv = self.server()
        client = self.raw(srv)
        no_key_share = raw_tls.extension(raw_tls.EXT_KEY_SHARE, raw_tls.vec16(b""))
        hello = raw_tls.client_hello(b"localhost", extensions=[
            raw_tls.server_name_extension(b"localhost"),
            raw_tls.extension(raw_tls.EXT_SUPPORTED_GROUPS, raw_tls.vec16(raw_tls.u16(raw_tls.X25519))),
            raw_tls.signature_algorithms_extension([raw_tls.ECDSA_SECP256R1_SHA256]),
            raw_tls.extension(raw_tls.EXT_SUPPORTED_VERSIONS, raw_tls.vec8(raw_tls.u16(0x0304))),
            no_key_share,
        ])
        client.send(raw_tls.records(hello))
        self.assertEqual(client.first_answer().kind, "hello_retry_request")
        self.assertEqual(client.read_record()[0], raw_tls.CHANGE_CIPHER_SPEC)

    def test_client_sends_a_32_byte_session_id_unless_told_not_to(self):
        needs_ussl_wolfssl(self)
        for flags, length in (([], 32), (["--no-middlebox-compat"], 0)):
            with self.subTest(flags=flags):
                listener = socket.create_server(("127.0.0.1", 0))
                self.addCleanup(listener.close)
                listener.settimeout(10)
                proc = subprocess.Popen([test_apps.CLIENT, "--host", "127.0.0.1", "--port",
                                         str(listener.getsockname()[1]), "--tls-version", "1.3", "--json", *flags],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                self.addCleanup(proc.kill)
                conn, _ = listener.accept()
                self.addCleanup(conn.close)
                conn.settimeout(5)
                hello = b""
                while len(hello) < 5 + 4 + 2 + 32 + 1:
                    chunk = conn.recv(65536)
                    self.assertTrue(chunk)
                    hello += chunk
                self.assertEqual(hello[5 + 4 + 2 + 32], length)  # legacy_session_id length
                conn.close()
                proc.communicate(timeout=10)

    def test_no_middlebox_compat_is_a_usage_error_naming_the_feature_where_wolfssl_lacks_it(self):
        if wolfssl_features().get("middlebox_compat"):
            self.skipTest("this wolfSSL has the mode (the tests above use the flag)")
        commands = [[test_apps.SERVER, "--port", "0", *test_apps.SERVER_CERT, "--no-middlebox-compat"],
                    [test_apps.CLIENT, "--host", "localhost", "--port", "1", "--no-middlebox-compat"]]
        for command in commands:
            p = subprocess.run(command, capture_output=True, text=True, timeout=10)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("WOLFSSL_TLS13_MIDDLEBOX_COMPAT", p.stderr)


class LargeHelloTests(HostileTestCase):
    """Handshake messages up to ussl's MAX_HANDSHAKE_SZ (131,396 bytes, the largest ClientHello the
    encoding allows, OpenSSL's CLIENT_HELLO_MAX_LENGTH), fragmented over any number of records;
    long lists (suites, key shares, signature schemes); record size limits."""

    def test_server_answers_a_client_hello_split_into_one_byte_records(self):
        needs_ussl_wolfssl(self)
        srv = self.server()
        client = self.raw(srv)
        client.send(raw_tls.records(raw_tls.client_hello(b"localhost"), fragment=1))
        self.assertEqual(client.first_answer().kind, "server_hello")

    def test_server_answers_a_client_hello_whose_header_is_split_over_three_records(self):
        needs_ussl_wolfssl(self)
        srv = self.server()
        client = self.raw(srv)
        hello = raw_tls.client_hello(b"localhost")
        wire = (raw_tls.records(hello[:1]) + raw_tls.records(hello[1:3]) + raw_tls.records(hello[3:]))
        client.send_records(wire, gap=0.02)
        self.assertEqual(client.first_answer().kind, "server_hello")

    def test_server_answers_a_client_hello_of_64_kib_in_five_records(self):
        needs_ussl_wolfssl(self)
        srv = self.server()
        client = self.raw(srv)
        # A full extension block (the padding) and 200 unassigned suites: over 64 KiB.
        suites = raw_tls.TLS13_SUITES + raw_tls.TLS12_SUITES + list(range(0x1400, 0x1400 + 200))
        hello = raw_tls.client_hello(b"localhost", suites=suites, padding=65300)
        self.assertGreater(len(hello), 65536)
        client.send(raw_tls.records(hello))
        self.assertEqual(client.first_answer().kind, "server_hello")

    def test_server_refuses_a_handshake_message_over_its_limit_with_decode_error(self):
        needs_ussl_wolfssl(self)
        srv = self.server()
        client = self.raw(srv)
        hello = raw_tls.client_hello(b"localhost")
        too_big = hello[:1] + raw_tls.u24(131397) + hello[4:]  # announces one byte over the limit
        client.send(raw_tls.records(too_big))
        reply = client.first_answer()
        self.assertEqual((reply.kind, reply.level, reply.alert), ("alert", 2, "decode_error"), reply)

    def test_server_refuses_an_oversized_record_with_record_overflow(self):
        # RFC 8446 5.1: a plaintext record holds at most 2^14 bytes.
        needs_ussl_wolfssl(self)
        srv = self.server()
        client = self.raw(srv)
        hello = raw_tls.client_hello(b"localhost", padding=16384)
        client.send(raw_tls.records(hello, fragment=16385))
        reply = client.first_answer()
        self.assertEqual((reply.kind, reply.level, reply.alert), ("alert", 2, "record_overflow"), reply)

    def test_server_skips_key_shares_of_unknown_groups_and_uses_the_known_one(self):
        # RFC 8446 4.2.8 sets no limit on the entries; tlsfuzzer sends 221 unknown ones.
        needs_ussl_wolfssl(self)
        srv = self.server()
        client = self.raw(srv)
        unknown = list(range(34, 34 + 60))
        shares = b"".join(raw_tls.u16(g) + raw_tls.vec16(b"\xab" * 128) for g in unknown)
        shares += raw_tls.u16(raw_tls.X25519) + raw_tls.vec16(raw_tls.x25519_public_key())
        groups = b"".join(raw_tls.u16(g) for g in unknown + [raw_tls.X25519])
        hello = raw_tls.client_hello(b"localhost", extensions=[
            raw_tls.extension(raw_tls.EXT_KEY_SHARE, raw_tls.vec16(shares)),  # first, as tlsfuzzer does
            raw_tls.server_name_extension(b"localhost"),
            raw_tls.extension(raw_tls.EXT_SUPPORTED_GROUPS, raw_tls.vec16(groups)),
            raw_tls.signature_algorithms_extension([raw_tls.ECDSA_SECP256R1_SHA256]),
            raw_tls.extension(raw_tls.EXT_SUPPORTED_VERSIONS, raw_tls.vec8(raw_tls.u16(0x0304))),
        ])
        client.send(raw_tls.records(hello))
        self.assertEqual(client.first_answer().kind, "server_hello")

    def test_server_refuses_a_client_without_a_group_in_common_with_handshake_failure(self):
        # RFC 8446 4.1.1: no overlap in supported_groups is handshake_failure.
        needs_ussl_wolfssl(self)
        srv = self.server()
        client = self.raw(srv)
        hello = raw_tls.client_hello(b"localhost", extensions=[
            raw_tls.server_name_extension(b"localhost"),
            raw_tls.extension(raw_tls.EXT_SUPPORTED_GROUPS, raw_tls.vec16(raw_tls.u16(34) + raw_tls.u16(35))),
            raw_tls.signature_algorithms_extension([raw_tls.ECDSA_SECP256R1_SHA256]),
            raw_tls.extension(raw_tls.EXT_SUPPORTED_VERSIONS, raw_tls.vec8(raw_tls.u16(0x0304))),
            raw_tls.extension(raw_tls.EXT_KEY_SHARE, raw_tls.vec16(raw_tls.u16(34) + raw_tls.vec16(b"\xab" * 64))),
        ], suites=raw_tls.TLS13_SUITES)
        client.send(raw_tls.records(hello))
        reply = client.first_answer()
        self.assertEqual((reply.kind, reply.level, reply.alert), ("alert", 2, "handshake_failure"), reply)

    def test_server_reads_a_usable_signature_scheme_at_position_64_of_the_list(self):
        # 63 unassigned code points first (RFC 8446 4.2.3: ignore unknown schemes).
        needs_ussl_wolfssl(self)
        srv = self.server()
        client = self.raw(srv)
        schemes = [0xFE00 + i for i in range(63)] + [raw_tls.ECDSA_SECP256R1_SHA256]
        client.send(raw_tls.records(raw_tls.client_hello(b"localhost", signature_schemes=schemes)))
        self.assertEqual(client.first_answer().kind, "server_hello")

    def test_server_refuses_an_empty_ffdhe_key_share_with_decode_error(self):
        # Kept on purpose (docs/interop.md): key_exchange<1..2^16-1> (RFC 8446 4.2.8) makes an
        # empty share a syntax error, and RFC 8446 6 answers that with decode_error, as OpenSSL
        # does; tlsfuzzer's test-tls13-ffdhe-groups expects illegal_parameter, its test-x25519
        # decode_error for the same empty share.
        needs_ussl_wolfssl(self)
        srv = self.server()
        client = self.raw(srv)
        ffdhe2048 = 0x0100
        hello = raw_tls.client_hello(b"localhost", extensions=[
            raw_tls.server_name_extension(b"localhost"),
            raw_tls.extension(raw_tls.EXT_SUPPORTED_GROUPS, raw_tls.vec16(raw_tls.u16(ffdhe2048))),
            raw_tls.signature_algorithms_extension([raw_tls.ECDSA_SECP256R1_SHA256]),
            raw_tls.extension(raw_tls.EXT_SUPPORTED_VERSIONS, raw_tls.vec8(raw_tls.u16(0x0304))),
            raw_tls.extension(raw_tls.EXT_KEY_SHARE, raw_tls.vec16(raw_tls.u16(ffdhe2048) + raw_tls.vec16(b""))),
        ], suites=raw_tls.TLS13_SUITES)
        client.send(raw_tls.records(hello))
        reply = client.first_answer()
        self.assertEqual((reply.kind, reply.level, reply.alert), ("alert", 2, "decode_error"), reply)

    def test_server_finds_a_usable_signature_scheme_after_thousands_of_repeats_of_another(self):
        # tlsfuzzer's test-tls13-signature-algorithms, "duplicated N non-rsa schemes": repeats are
        # skipped (patch 0023), so the list's distinct schemes count, not its length.
        needs_ussl_wolfssl(self)
        srv = self.server()
        client = self.raw(srv)
        dsa_sha1 = 0x0202
        schemes = [dsa_sha1] * 20000 + [raw_tls.ECDSA_SECP256R1_SHA256]
        client.send(raw_tls.records(raw_tls.client_hello(b"localhost", signature_schemes=schemes)))
        self.assertEqual(client.first_answer().kind, "server_hello")

    def test_server_reads_at_most_64_distinct_signature_schemes(self):
        # The documented bound (WOLFSSL_MAX_SIGALGO, 128 bytes): a usable scheme 65th among
        # distinct ones is not seen, and the server finds none in common.
        needs_ussl_wolfssl(self)
        srv = self.server()
        client = self.raw(srv)
        schemes = [0xFE00 + i for i in range(64)] + [raw_tls.ECDSA_SECP256R1_SHA256]
        client.send(raw_tls.records(raw_tls.client_hello(b"localhost", signature_schemes=schemes)))
        reply = client.first_answer()
        self.assertEqual((reply.kind, reply.level, reply.alert), ("alert", 2, "handshake_failure"), reply)

    def test_server_ignores_an_empty_connection_id_extension_over_tls(self):
        # connection_id (54, RFC 9146) is DTLS-only; tlsfuzzer's test-large-hello sends it empty
        # among thousands of empty extensions (patch 0022).
        needs_ussl_wolfssl(self)
        srv = self.server()
        for tls13 in (True, False):
            with self.subTest(tls13=tls13):
                client = self.raw(srv)
                empty_cid = raw_tls.extension(54, b"")
                client.send(raw_tls.records(raw_tls.client_hello(b"localhost", tls13=tls13,
                                                                 extra_extensions=[empty_cid])))
                self.assertEqual(client.first_answer().kind, "server_hello")


class Tls12SignatureTests(HostileTestCase):
    """RFC 5246 7.4.1.4.1: a TLS 1.2 client without signature_algorithms gets the hash it implies
    (SHA-1); one that sends the list never gets SHA-1 (ussl offers none, RFC 9155)."""

    def rsa_server(self):
        return self.server("--certfile", test_apps.cert("server-rsa-chain.pem"), "--keyfile",
                           test_apps.cert("server-rsa.key"), certs=False)

    def tls12_hello(self, suite, schemes=None):
        extensions = [
            raw_tls.server_name_extension(b"localhost"),
            raw_tls.extension(raw_tls.EXT_SUPPORTED_GROUPS, raw_tls.vec16(raw_tls.u16(raw_tls.SECP256R1))),
            raw_tls.extension(raw_tls.EXT_EC_POINT_FORMATS, raw_tls.vec8(b"\x00")),
        ]
        if schemes is not None:
            extensions.append(raw_tls.signature_algorithms_extension(schemes))
        return raw_tls.records(raw_tls.client_hello(None, tls13=False, suites=[suite], extensions=extensions))

    def server_key_exchange_scheme(self, srv, hello):
        client = self.raw(srv)
        client.send(hello)
        messages, answer = client.tls12_server_flight()
        self.assertIsNone(answer, answer)
        bodies = [body for kind, body in messages if kind == raw_tls.SERVER_KEY_EXCHANGE]
        self.assertEqual(len(bodies), 1, [kind for kind, _ in messages])
        return raw_tls.ecdhe_signature_scheme(bodies[0])

    def test_server_signs_with_rsa_pkcs1_sha1_for_a_tls12_client_without_signature_algorithms(self):
        # tlsfuzzer's test-ecdhe-padded-shared-secret sends such a hello and checks the scheme.
        needs_ussl_wolfssl(self)
        srv = self.rsa_server()
        scheme = self.server_key_exchange_scheme(srv, self.tls12_hello(0xC02F))  # ECDHE_RSA_AES_128_GCM
        self.assertEqual(scheme, raw_tls.RSA_PKCS1_SHA1)

    def test_server_signs_with_ecdsa_sha1_for_a_tls12_client_without_signature_algorithms(self):
        needs_ussl_wolfssl(self)
        srv = self.server()
        scheme = self.server_key_exchange_scheme(srv, self.tls12_hello(0xC02B))  # ECDHE_ECDSA_AES_128_GCM
        self.assertEqual(scheme, raw_tls.ECDSA_SHA1)

    def test_server_skips_sha1_in_the_signature_algorithms_a_tls12_client_sent(self):
        needs_ussl_wolfssl(self)
        srv = self.rsa_server()
        hello = self.tls12_hello(0xC02F, [raw_tls.RSA_PKCS1_SHA1, raw_tls.RSA_PKCS1_SHA256])
        self.assertEqual(self.server_key_exchange_scheme(srv, hello), raw_tls.RSA_PKCS1_SHA256)

    def test_server_refuses_a_tls12_client_that_offers_only_sha1_signatures_with_handshake_failure(self):
        needs_ussl_wolfssl(self)
        srv = self.rsa_server()
        client = self.raw(srv)
        client.send(self.tls12_hello(0xC02F, [raw_tls.RSA_PKCS1_SHA1]))
        reply = client.first_answer()
        self.assertEqual((reply.kind, reply.level, reply.alert), ("alert", 2, "handshake_failure"), reply)


class InterleavedRecordTests(HostileTestCase):
    """RFC 8446 5.1: records of another type must not come between the fragments of a handshake
    message; tlsfuzzer's test-tls13-zero-length-data ("zero-length app data interleaved in
    handshake") expects unexpected_message."""

    def test_server_refuses_an_empty_application_data_record_inside_a_fragmented_client_hello(self):
        needs_ussl_wolfssl(self)
        srv = self.server()
        client = self.raw(srv)
        hello = raw_tls.client_hello(b"localhost")
        half = len(hello) // 2
        client.send_records(raw_tls.records(hello[:half]))
        client.send(raw_tls.empty_record(raw_tls.APPLICATION_DATA))
        reply = client.first_answer()
        self.assertEqual((reply.kind, reply.level, reply.alert), ("alert", 2, "unexpected_message"), reply)

    def test_server_refuses_an_empty_application_data_record_before_the_client_hello(self):
        needs_ussl_wolfssl(self)
        srv = self.server()
        client = self.raw(srv)
        client.send(raw_tls.empty_record(raw_tls.APPLICATION_DATA))
        reply = client.first_answer()
        self.assertEqual((reply.kind, reply.level, reply.alert), ("alert", 2, "unexpected_message"), reply)


def main():
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
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
