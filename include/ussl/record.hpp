// The connection record: everything one SslSocket learned about its
// connection from wrap onward, filled as the handshake proceeds. Reports (the
// programs' JSON and human lines) read it; nothing in it is re-derived by
// them. A failed handshake keeps what was seen up to the failure: the Error
// thrown carries a copy (Error::record()).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ussl/certificate.hpp"
#include "ussl/error.hpp"
#include "ussl/hello.hpp"
#include "ussl/options.hpp"
#include "ussl/verify.hpp"

namespace ussl {

// What certificate verification found. It is recorded in every cert_reqs
// mode: under CERT_NONE the client still checks and records, but does not
// fail the handshake.
struct VerifyResult {
  CertReqs mode = CertReqs::none;
  bool enforced = false;                // failures abort the handshake in this mode
  bool performed = false;               // a peer certificate was checked
  bool ok = false;                      // chain (and name, when given) passed
  std::optional<ErrorKind> failure;     // kind of the first failure
  std::string reason;                   // human reason of the first failure, "" when ok
  int depth = -1;                       // chain depth of the first failure (0 = leaf)
  int wolfssl_code = 0;                 // wolfSSL's verify error code of the first failure
  std::optional<std::string> hostname;  // the name checked, if any
  std::optional<bool> hostname_ok;      // nullopt when no name was checked
  // Every problem ussl's verdict found on the best path (first = failure).
  std::vector<CertProblem> problems;
  // The best path's subjects, leaf first (ends with the anchor when found).
  std::vector<std::string> path;
  // wolfSSL's own handshake-time check, recorded but never the judge:
  // its first complaint ("" when it had none).
  std::string wolfssl_error;
  // The name matched only through the subject CN, because the certificate
  // has no dNSName or iPAddress SAN (legacy, RFC 6125 §6.4.4).
  bool cn_fallback = false;
  // True only when the mode enforced verification and it passed.
  bool verified() const noexcept { return enforced && performed && ok; }
};

struct HandshakeInfo {
  bool done = false;
  // The handshake did not run in wrap: do_handshake=False, and the caller
  // did not ask for it to be reported as eager (WrapArgs::caller_runs_handshake).
  bool deferred = false;
  // The call that ran the handshake: "wrap" (eager), "do_handshake", "read",
  // "readinto", "readline", "recv", "write", "send"; "" before it started.
  std::string trigger;
  unsigned want_read = 0;   // would-block steps waiting to read
  unsigned want_write = 0;  // would-block steps waiting to write
  // Client: the server sent a CertificateRequest (TLS 1.2 or 1.3). Under TLS
  // 1.3 the server judges the client's certificate (or its absence) after
  // the client's Finished, so its rejection can arrive after the handshake
  // completed here (RFC 8446 §4.4.2.4).
  bool certificate_requested = false;
  // Client: the handshake round trip, from the first byte of the ClientHello
  // handed to the transport to the first byte of the server's reply read
  // from it (so it includes the server's time to answer). Empty until both
  // happened.
  std::optional<std::chrono::microseconds> round_trip;
  // From the first handshake step (the first wolfSSL_connect/accept call) to
  // its completion, on the steady clock. Empty until it completed.
  std::optional<std::chrono::microseconds> duration;
};

// What the key exchange and the signatures of one handshake used, read from
// the handshake messages themselves. Names are IANA's (hello.hpp). Survives
// a failed handshake: what was seen before the failure is kept.
struct Negotiation {
  // The key-exchange group: the ServerHello's key_share (TLS 1.3) or the
  // ServerKeyExchange's named curve (TLS 1.2 ECDHE): "X25519MLKEM768",
  // "x25519", "secp256r1". nullopt when none was used (a TLS 1.2 resumption,
  // a TLS 1.3 psk_ke resumption) or the handshake did not get that far.
  std::optional<std::string> group;
  // The SignatureScheme the peer signed its handshake with
  // ("ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256"): TLS 1.2 from the
  // ServerKeyExchange or CertificateVerify on the wire; TLS 1.3 (where the
  // CertificateVerify is encrypted) from wolfSSL's hash and key type, with
  // rsa_pss_rsae_* vs rsa_pss_pss_* decided by the certificate's key
  // (rsaEncryption vs RSASSA-PSS, RFC 8446 4.2.3). nullopt when the peer
  // signed nothing (resumption; a client without a certificate).
  std::optional<std::string> signature_scheme;
  std::optional<std::string> own_signature_scheme;  // the same for what we signed
  bool hello_retry_request = false;                 // the server sent a HelloRetryRequest
  // The groups of the key_share entries of the first ClientHello (sent by a
  // client, received by a server), in order.
  std::vector<std::string> key_shares_offered;
  // The TLS record bytes (5-byte headers included) of each ClientHello, in
  // order: two after a HelloRetryRequest.
  std::vector<std::size_t> client_hello_bytes;
  // Server: the first ClientHello as the client sent it.
  std::optional<ClientHello> client_hello;
};

// One connection, from wrap onward. Filled as the handshake proceeds:
// server_side, nonblocking, verify.mode/enforced/hostname, deferred and (for
// a client) sni at wrap; negotiation, verify and peer_chain as the handshake
// messages arrive; version, cipher, alpn, resumed and handshake.duration
// when it completes; bytes with every read and write. A default-constructed
// record (no connection yet) has only its defaults.
struct ConnectionRecord {
  bool server_side = false;
  // The transport was non-blocking when the handshake ran (at wrap when it
  // has not started).
  bool nonblocking = false;
  HandshakeInfo handshake;
  std::optional<std::string> version;  // "TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1.0"; once the handshake completed
  std::optional<std::string> cipher;   // IANA name ("TLS_AES_128_GCM_SHA256"); once completed
  // The server name: the one the client sends (known at wrap; none for an
  // IP literal, RFC 6066 §3) or the one the server received, byte for byte.
  std::optional<std::string> sni;
  std::optional<std::string> alpn;  // the protocol negotiated, if any (RFC 7301)
  bool resumed = false;             // the handshake resumed a session
  bool session_offered = false;     // client: WrapArgs::session was offered (not expired)
  VerifyResult verify;
  std::vector<CertificateInfo> peer_chain;  // as the peer sent it, leaf first
  Negotiation negotiation;                  // group, signature schemes, HelloRetryRequest, ClientHellos
  std::uint64_t bytes_sent = 0;             // application bytes accepted by write/send
  std::uint64_t bytes_received = 0;         // application bytes returned by the reads
};

}  // namespace ussl
