// Options mirror the keyword arguments of ussl.wrap_socket, plus the few
// settings a testing tool needs beyond them (version range, SNI certificates).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ussl/verify.hpp"

namespace ussl {

// The level of certificate checking (ussl.CERT_NONE/OPTIONAL/REQUIRED, with
// ussl's values). Never a bool: turning verification off is explicit.
enum class CertReqs { none = 0, optional = 1, required = 2 };

std::string_view cert_reqs_name(CertReqs reqs) noexcept;  // "none", "optional", "required"

// In protocol order (comparable). TLS 1.0 and 1.1 are legacy: only offered
// when min_version asks for them, and only by a wolfSSL built with them.
enum class TlsVersion { tls1_0, tls1_1, tls1_2, tls1_3 };
std::string_view tls_version_name(TlsVersion version) noexcept;  // "TLSv1.0" ... "TLSv1.3"
// True for a version or cipher suite (IANA name) that reports mark as legacy:
// TLS 1.0/1.1 (and older), RSA key transport, CBC with SHA-1, 3DES, RC4, NULL.
bool is_legacy_version(std::string_view name) noexcept;
bool is_legacy_suite(std::string_view iana_name) noexcept;
// The cipher list every Context uses unless Options::ciphers says otherwise
// (wolfSSL names): TLS 1.3 AEADs, then ECDHE with AES-GCM, ChaCha20 and AES-CBC
// with SHA-2 or SHA-1 -- what wolfSSL's own default offered before TLS 1.0/1.1
// and RSA key transport were compiled in. min_version below TLS 1.2 appends
// kLegacyCiphers.
extern const char* const kDefaultCiphers;
extern const char* const kLegacyCiphers;

// A certificate the server presents when the client's SNI equals name.
struct SniCertificate {
  std::string name;
  std::string certfile;
  std::string keyfile;
};

struct Options {
  // --- the ussl.wrap_socket keyword arguments ---
  bool server_side = false;
  std::optional<std::string> keyfile;   // path, PEM or DER
  std::optional<std::string> certfile;  // path, PEM (may hold a chain) or DER
  CertReqs cert_reqs = CertReqs::none;
  std::optional<std::string> ca_certs;  // path: PEM bundle, DER file, or a directory
  std::optional<std::string> server_hostname;
  bool do_handshake = true;

  // --- beyond ussl ---
  std::optional<TlsVersion> min_version;         // default TLS 1.2 (1.0/1.1: legacy, on request)
  std::optional<TlsVersion> max_version;         // default TLS 1.3
  std::vector<SniCertificate> sni_certificates;  // server only
  std::optional<std::string> ciphers;            // wolfSSL cipher list; default kDefaultCiphers
  // Key-exchange groups in preference order, comma- or colon-separated IANA
  // names ("X25519MLKEM768,x25519,secp256r1"; also "X25519", "P-256" ...).
  // An unknown name, or one this wolfSSL cannot use, is a usage error naming
  // it (Context::create). Default: wolfSSL's own list.
  std::optional<std::string> groups;
  // Client: the groups that get a key share in the first ClientHello, in the
  // same syntax; each must be in groups when groups is given. Default:
  // X25519MLKEM768 and x25519 where built (and in groups), else the first
  // group (RFC 8446 4.2.8: a server then answers with no HelloRetryRequest
  // whether it speaks ML-KEM or not). Ignored when TLS 1.3 is not allowed.
  std::optional<std::string> key_shares;
  // Server: answer the first ClientHello of every handshake with a
  // HelloRetryRequest (for testing clients), by declining every group the
  // client sent a key share for (RFC 8446 4.1.4). No HelloRetryRequest is
  // possible when the client sent key shares for all the groups both support.
  bool hello_retry_request = false;
  // Signature schemes to offer, wolfSSL/OpenSSL spelling ("RSA-PSS+SHA256:
  // ECDSA+SHA256:ED25519"); default wolfSSL's. Needs a wolfSSL with the
  // OpenSSL compatibility layer, else Context::create refuses (usage).
  std::optional<std::string> sigalgs;
  // ALPN protocols in preference order. A client offers them and accepts a
  // server that picks none; a server picks from them and refuses a client
  // that offers only others (no_application_protocol).
  std::vector<std::string> alpn;
  // NSS key log lines (SSLKEYLOGFILE format), one call per line. Needs a
  // wolfSSL built with HAVE_SECRET_CALLBACK; otherwise Context::create
  // refuses with a usage error naming the missing feature.
  std::function<void(std::string_view line)> keylog;

  // --- ussl's certificate verdict (verify.hpp), in every cert_reqs mode ---
  // OpenSSL's security level for certificate keys and signature hashes
  // (0-3; 0 turns strength rules off, not the structural ones).
  int security_level = 2;
  // The most intermediates (not self-issued) a peer's path may hold.
  int max_chain_depth = kDefaultMaxChainDepth;
  // CRLs (a PEM/DER file or a directory) the peer's path is checked
  // against; crl_check says which certificates must be covered.
  std::optional<std::string> crl;
  CrlCheck crl_check = CrlCheck::leaf;
  // Verify as of this instant (seconds since the Unix epoch, UTC) instead
  // of now.
  std::optional<std::int64_t> verify_at;

  // TLS 1.3 middlebox compatibility mode (RFC 8446 Appendix D.4): a client
  // sends a 32-byte legacy_session_id and a dummy change_cipher_spec before
  // its second flight; a server answers a client that sent a session id with
  // a change_cipher_spec right after its first flight (after a
  // HelloRetryRequest too). On wherever the wolfSSL has the mode (the tuned
  // build). false turns it off, for peers that break on it; that needs
  // ussl's wolfSSL patch (wolfSSL_set_tls13_middlebox_compat), and elsewhere
  // Context::create refuses with a usage error naming the missing feature.
  bool middlebox_compat = true;
};

// Compile-time features of the wolfSSL in use, by name ("tls13", "sni",
// "alpn", "session_tickets", "secret_callback", "early_data", ...).
struct Feature {
  std::string name;
  bool enabled;
};
// Every feature ussl asks about, in a fixed order, with whether this build has it.
std::vector<Feature> wolfssl_features();

}  // namespace ussl
