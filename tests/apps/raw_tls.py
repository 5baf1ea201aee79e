"""A raw TLS client for the tests: ClientHellos built by hand, records read and alerts parsed.

Python standard library only. It speaks just enough TLS to send a malformed or unusual
ClientHello (or any bytes) and see what the server answers first: a ServerHello, an alert,
a clean close or a reset. It never completes a handshake: the X25519 key share is random
bytes of the right form, so the server answers as it would to a real client.
"""

import os
import socket
import struct
import time

# Record content types (RFC 8446 §5.1).
CHANGE_CIPHER_SPEC = 20
ALERT = 21
HANDSHAKE = 22
APPLICATION_DATA = 23

# Handshake message types (RFC 8446 §4).
CLIENT_HELLO = 1
SERVER_HELLO = 2
SERVER_KEY_EXCHANGE = 12
SERVER_HELLO_DONE = 14

# Extension types (IANA TLS ExtensionType Values).
EXT_SERVER_NAME = 0
EXT_SUPPORTED_GROUPS = 10
EXT_EC_POINT_FORMATS = 11
EXT_SIGNATURE_ALGORITHMS = 13
EXT_PADDING = 21
EXT_SUPPORTED_VERSIONS = 43
EXT_KEY_SHARE = 51

X25519 = 0x001D
SECP256R1 = 0x0017
ECDSA_SECP256R1_SHA256 = 0x0403
RSA_PSS_RSAE_SHA256 = 0x0804
RSA_PKCS1_SHA256 = 0x0401
RSA_PKCS1_SHA1 = 0x0201
ECDSA_SHA1 = 0x0203

# The HelloRetryRequest "random" (RFC 8446 §4.1.3).
HRR_RANDOM = bytes.fromhex("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C")

# Alert descriptions (IANA TLS Alerts registry), by code.
ALERT_NAMES = {
    0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 22: "record_overflow",
    40: "handshake_failure", 42: "bad_certificate", 43: "unsupported_certificate", 44: "certificate_revoked",
    45: "certificate_expired", 46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca",
    49: "access_denied", 50: "decode_error", 51: "decrypt_error", 70: "protocol_version",
    71: "insufficient_security", 80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled",
    100: "no_renegotiation", 109: "missing_extension", 110: "unsupported_extension", 112: "unrecognized_name",
    113: "bad_certificate_status_response", 115: "unknown_psk_identity", 116: "certificate_required",
    120: "no_application_protocol",
}

TLS13_SUITES = [0x1301, 0x1302, 0x1303]
TLS12_SUITES = [0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8]


def u8(n):
    return struct.pack("!B", n)


def u16(n):
    return struct.pack("!H", n)


def u24(n):
    return struct.pack("!I", n)[1:]


def vec8(body):
    return u8(len(body)) + body


def vec16(body):
    return u16(len(body)) + body


def extension(ext_type, body):
    return u16(ext_type) + vec16(body)


def server_name_extension(*names, name_type=0):
    """server_name (RFC 6066 §3) with one entry per name (bytes), all of name_type."""
    entries = b"".join(u8(name_type) + vec16(name) for name in names)
    return extension(EXT_SERVER_NAME, vec16(entries))


def signature_algorithms_extension(schemes):
    return extension(EXT_SIGNATURE_ALGORITHMS, vec16(b"".join(u16(s) for s in schemes)))


def x25519_public_key():
    """32 random bytes with the top bit clear: wolfSSL refuses an X25519 key with it set."""
    key = bytearray(os.urandom(32))
    key[31] &= 0x7F
    return bytes(key)


def client_hello(server_name=None, tls13=True, suites=None, extensions=None, extra_extensions=(),
                 signature_schemes=None, session_id=None, padding=0):
    """A ClientHello handshake message (header included).

    server_name: bytes sent as the one host_name of server_name, or None for no SNI.
    tls13: offer TLS 1.3 (supported_versions, an X25519 key share) as well as TLS 1.2.
    extensions: replaces the default extension list entirely (already encoded).
    extra_extensions: encoded extensions appended to the default list.
    padding: length of a padding extension (RFC 7685) appended last, 0 for none.
    """
    if suites is None:
        suites = (TLS13_SUITES if tls13 else []) + TLS12_SUITES
    if signature_schemes is None:
        signature_schemes = [ECDSA_SECP256R1_SHA256, RSA_PSS_RSAE_SHA256, RSA_PKCS1_SHA256]
    if extensions is None:
        extensions = []
        if server_name is not None:
            extensions.append(server_name_extension(server_name))
        extensions.append(extension(EXT_SUPPORTED_GROUPS, vec16(u16(X25519) + u16(SECP256R1))))
        extensions.append(extension(EXT_EC_POINT_FORMATS, vec8(b"\x00")))
        extensions.append(signature_algorithms_extension(signature_schemes))
        if tls13:
            extensions.append(extension(EXT_SUPPORTED_VERSIONS, vec8(u16(0x0304) + u16(0x0303))))
            extensions.append(extension(EXT_KEY_SHARE, vec16(u16(X25519) + vec16(x25519_public_key()))))
    extensions = list(extensions) + list(extra_extensions)
    if padding:
        extensions.append(extension(EXT_PADDING, bytes(padding)))
    if session_id is None:
        session_id = os.urandom(32)
    body = (u16(0x0303) + os.urandom(32) + vec8(session_id) + vec16(b"".join(u16(s) for s in suites)) +
            vec8(b"\x00") + vec16(b"".join(extensions)))
    return u8(CLIENT_HELLO) + u24(len(body)) + body


def ecdhe_signature_scheme(server_key_exchange):
    """The SignatureAndHashAlgorithm of a TLS 1.2 ECDHE ServerKeyExchange body (RFC 8422 5.4):
    curve_type, named_curve, the point, then the two scheme bytes."""
    point_length = server_key_exchange[3]
    return int.from_bytes(server_key_exchange[4 + point_length:6 + point_length], "big")


def empty_record(content_type):
    """A record with no content (records() makes none for an empty payload)."""
    return u8(content_type) + u16(0x0303) + u16(0)


def records(payload, content_type=HANDSHAKE, fragment=16384, version=0x0301):
    """payload cut into records of at most `fragment` bytes each."""
    out = b""
    for i in range(0, len(payload), fragment):
        chunk = payload[i:i + fragment]
        out += u8(content_type) + u16(version) + u16(len(chunk)) + chunk
    return out


class Answer:
    """What the server sent first: kind is 'server_hello', 'hello_retry_request', 'alert',
    'closed' (FIN before anything) or 'reset'."""

    def __init__(self, kind, level=None, description=None, records_seen=()):
        self.kind = kind
        self.level = level
        self.description = description
        self.records = list(records_seen)

    @property
    def alert(self):
        return ALERT_NAMES.get(self.description, str(self.description)) if self.kind == "alert" else None

    def __repr__(self):
        if self.kind == "alert":
            return f"Answer(alert {'fatal' if self.level == 2 else 'warning'} {self.alert})"
        return f"Answer({self.kind}, records {[t for t, _ in self.records]})"


class RawClient:
    """One TCP connection to 127.0.0.1:port; every wait bounded by `timeout` seconds."""

    def __init__(self, port, timeout=5.0):
        self.timeout = timeout
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def send_records(self, data, gap=0.0):
        """Sends each record of data in its own write (gap seconds apart), so the server
        reads them separately."""
        pos = 0
        while pos < len(data):
            length = struct.unpack("!H", data[pos + 3:pos + 5])[0]
            self.sock.sendall(data[pos:pos + 5 + length])
            pos += 5 + length
            if gap:
                time.sleep(gap)

    def _fill(self, n, deadline):
        while len(self._buffer) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from the server in time")
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                return False
            self._buffer += chunk
        return True

    def read_record(self, deadline=None):
        """(content_type, payload) of the next record, or None at EOF.
        Raises ConnectionResetError on a reset, TimeoutError past the deadline."""
        deadline = deadline or time.monotonic() + self.timeout
        if not self._fill(5, deadline):
            return None
        length = struct.unpack("!H", self._buffer[3:5])[0]
        if not self._fill(5 + length, deadline):
            return None
        content_type, payload = self._buffer[0], self._buffer[5:5 + length]
        self._buffer = self._buffer[5 + length:]
        return content_type, payload

    def first_answer(self):
        """Reads until the server's first meaningful answer (see Answer)."""
        deadline = time.monotonic() + self.timeout
        seen = []
        try:
            while True:
                record = self.read_record(deadline)
                if record is None:
                    return Answer("closed", records_seen=seen)
                seen.append(record)
                content_type, payload = record
                if content_type == ALERT and len(payload) >= 2:
                    return Answer("alert", payload[0], payload[1], seen)
                if content_type == HANDSHAKE and payload[:1] == u8(SERVER_HELLO):
                    kind = "hello_retry_request" if payload[6:38] == HRR_RANDOM else "server_hello"
                    return Answer(kind, records_seen=seen)
        except ConnectionResetError:
            return Answer("reset", records_seen=seen)

    def tls12_server_flight(self):
        """The handshake messages of a TLS 1.2 server's first flight, [(type, body)], up to its
        ServerHelloDone; returns (messages, answer) where answer is the Answer that ended it early
        (alert, close, reset) or None."""
        deadline = time.monotonic() + self.timeout
        messages, pending = [], b""
        try:
            while True:
                record = self.read_record(deadline)
                if record is None:
                    return messages, Answer("closed")
                content_type, payload = record
                if content_type == ALERT and len(payload) >= 2:
                    return messages, Answer("alert", payload[0], payload[1])
                if content_type != HANDSHAKE:
                    continue
                pending += payload
                while len(pending) >= 4 and len(pending) >= 4 + int.from_bytes(pending[1:4], "big"):
                    length = int.from_bytes(pending[1:4], "big")
                    messages.append((pending[0], pending[4:4 + length]))
                    pending = pending[4 + length:]
                    if messages[-1][0] == SERVER_HELLO_DONE:
                        return messages, None
        except ConnectionResetError:
            return messages, Answer("reset")

    def read_to_end(self):
        """Reads every record until EOF; returns (records, how) with how 'eof' or 'reset'."""
        deadline = time.monotonic() + self.timeout
        seen = []
        try:
            while True:
                record = self.read_record(deadline)
                if record is None:
                    return seen, "eof"
                seen.append(record)
        except ConnectionResetError:
            return seen, "reset"
