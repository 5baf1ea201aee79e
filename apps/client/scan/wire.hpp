// The scan's own TLS wire format: hand-built ClientHellos (TLS 1.0-1.3,
// SSLv3 and SSLv2) and a parser of the server's first flight (ServerHello,
// HelloRetryRequest, ServerKeyExchange, alert, SSLv2 SERVER-HELLO). No
// cryptography: the scan decides from what the server answers in the clear.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ussl::apps::scan {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::uint16_t kSsl3 = 0x0300;
inline constexpr std::uint16_t kTls10 = 0x0301;
inline constexpr std::uint16_t kTls11 = 0x0302;
inline constexpr std::uint16_t kTls12 = 0x0303;
inline constexpr std::uint16_t kTls13 = 0x0304;
inline constexpr std::uint16_t kSsl2 = 0x0002;
inline constexpr std::uint16_t kFallbackScsv = 0x5600;

// Key exchange of a TLS 1.2-and-earlier suite, for reading its ServerKeyExchange.
enum class Kx { rsa, dhe, ecdhe, static_dh, anon_dh, anon_ecdh, tls13 };

struct SuiteInfo {
  std::uint16_t id;
  const char* name;  // IANA
  Kx kx;
};
struct NamedCode {
  std::uint16_t id;
  const char* name;  // IANA
};

// Every suite the scan knows (TLS 1.3 first, then the registry order),
// including many wolfSSL does not implement.
std::span<const SuiteInfo> known_suites();
std::span<const NamedCode> known_groups();
std::span<const NamedCode> known_sigalgs();
const SuiteInfo* suite_info(std::uint16_t id);
std::string suite_name(std::uint16_t id);   // IANA name or "0xC02F"
std::string group_name(std::uint16_t id);   // IANA name or "0x001D"
std::string sigalg_name(std::uint16_t id);  // IANA name or "0x0804"
std::string version_name(std::uint16_t v);  // "TLSv1.2", "SSLv3", "SSLv2", "0x0305"
std::string alert_name(int description);    // "handshake_failure", "alert_200" (ussl::alert_name)
bool is_ec_group(std::uint16_t id);         // usable with ECDHE in TLS 1.2
bool is_hybrid_or_kem(std::uint16_t id);    // ML-KEM and its hybrids (TLS 1.3 only)

struct Extension {
  std::uint16_t type;
  Bytes data;
};

// What a hand-built ClientHello says. Every list is sent as given (order
// matters: a server honouring the client's order picks the first it likes).
struct HelloSpec {
  std::uint16_t record_version = kTls10;  // the record layer's version
  std::uint16_t legacy_version = kTls12;  // ClientHello.client_version
  std::vector<std::uint16_t> suites;
  std::vector<std::uint16_t> supported_versions;  // empty: no supported_versions extension
  std::vector<std::uint16_t> groups;              // empty: no supported_groups extension
  std::vector<std::uint16_t> key_shares;          // groups to send a share for (x25519, secp256r1)
  bool key_share_extension = false;               // send key_share even when key_shares is empty
  std::vector<std::uint16_t> sigalgs;             // empty: no signature_algorithms extension
  std::optional<std::string> sni;
  std::vector<std::string> alpn;
  bool extended_master_secret = true;
  bool renegotiation_info = true;
  bool ec_point_formats = true;
  std::vector<Extension> extra;  // appended before padding (unknown or GREASE extensions)
  std::size_t pad_to = 0;        // make the handshake message at least this long (padding extension)
  std::size_t split_at = 0;      // >0: the handshake message is cut into two records after this many bytes
  std::array<std::uint8_t, 32> random{};
  std::size_t session_id_length = 32;
};

// One or two TLS records holding the ClientHello.
Bytes encode_client_hello(const HelloSpec& spec);
// The ClientHello handshake message alone (type, length, body).
Bytes encode_client_hello_message(const HelloSpec& spec);
// An SSLv2 CLIENT-HELLO record (RFC 6101 appendix E): version 0x0002 for the
// SSLv2 protocol, 0x0301.. for an SSLv2-compatible hello; cipher specs are
// 3 bytes each (TLS suites as 0x00XXYY).
Bytes encode_sslv2_hello(std::uint16_t version, const std::vector<std::uint32_t>& cipher_specs);
// The SSLv2 cipher specs the scan offers (RC4, RC2, IDEA, DES, 3DES, export).
std::span<const std::pair<std::uint32_t, const char*>> sslv2_ciphers();

// What came back: the first flight up to ServerHelloDone (TLS 1.2 and
// earlier, when the key exchange is asked for) or the ServerHello.
struct Answer {
  enum class Kind { incomplete, server_hello, hello_retry, alert, sslv2_server_hello, garbage };
  Kind kind = Kind::incomplete;
  std::string garbage_reason;
  // ServerHello / HelloRetryRequest
  std::uint16_t legacy_version = 0;
  std::uint16_t version = 0;  // supported_versions when present, else legacy_version
  std::uint16_t suite = 0;
  std::uint8_t compression = 0;
  std::vector<std::uint16_t> extensions;         // types, in order
  std::optional<std::uint16_t> key_share_group;  // ServerHello key_share or HRR selected_group
  std::optional<std::string> alpn;
  // ServerKeyExchange (TLS 1.2 and earlier)
  bool key_exchange_seen = false;
  std::optional<std::uint16_t> kx_group;   // ECDHE named curve
  std::optional<unsigned> dh_bits;         // DHE prime size
  std::optional<std::uint16_t> kx_sigalg;  // TLS 1.2 signature scheme
  bool server_hello_done = false;
  // Alert
  int alert_level = -1;
  int alert = -1;
  // SSLv2
  std::vector<std::uint32_t> sslv2_ciphers;

  bool has_extension(std::uint16_t type) const;
};

// Parses what the server sent so far. want_key_exchange: after a TLS 1.2 (or
// earlier) ServerHello go on until ServerKeyExchange or ServerHelloDone.
// Kind::incomplete means "read more".
Answer parse_answer(std::span<const std::uint8_t> data, bool want_key_exchange);

// A valid public key share for the group (the curve's base point), or empty
// when the scan cannot make one.
Bytes key_share_for(std::uint16_t group);

}  // namespace ussl::apps::scan
