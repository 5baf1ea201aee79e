// What a ClientHello offered, parsed from its bytes (RFC 8446 4.1.2), its JA4
// fingerprint, and the IANA names of TLS code points (groups, signature
// schemes) that ussl reports and accepts.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ussl {

// One ClientHello as the client sent it. Code points keep the client's
// order and include GREASE values (RFC 8701), which the name functions
// below call "GREASE".
struct ClientHello {
  std::uint16_t legacy_version = 0;              // 0x0303 for TLS 1.2 and 1.3
  std::vector<std::uint16_t> versions;           // supported_versions (43); empty when absent
  std::vector<std::uint16_t> cipher_suites;      // as offered
  std::vector<std::uint16_t> extensions;         // extension types, in the order sent
  std::vector<std::uint16_t> groups;             // supported_groups (10)
  std::vector<std::uint16_t> key_shares;         // key_share (51): the group of each entry
  std::vector<std::uint16_t> signature_schemes;  // signature_algorithms (13)
  std::vector<std::string> alpn;                 // application_layer_protocol_negotiation (16)
  std::optional<std::string> sni;                // server_name (0), host_name entry
  std::size_t size = 0;                          // handshake message bytes, 4-byte header included

  bool operator==(const ClientHello&) const = default;
};

// Parses one handshake message (type 1, with its 4-byte header). nullopt
// when it is not a well-formed ClientHello (lengths that do not add up, a
// truncated extension).
std::optional<ClientHello> parse_client_hello(std::span<const std::uint8_t> message);

// JA4 (FoxIO, "JA4: TLS Client Fingerprinting"): "t13d1516h2_8daaf6152771_e5627efa2ab1".
// Part a: transport t (TCP), the highest TLS version offered (supported_versions,
// else legacy_version), d when SNI is sent else i, the number of cipher suites and
// of extensions (GREASE not counted, at most 99), the first and last character of
// the first ALPN value ("00" without ALPN); part b: the first 12 hex digits of the
// SHA-256 of the sorted cipher suites (4 hex digits each, comma-separated); part
// c: the same of the sorted extensions without SNI and ALPN, then "_" and the
// signature schemes in the order sent. GREASE values are left out everywhere.
std::string ja4(const ClientHello& hello);
// The text JA4 hashes in parts b and c ("002f,0035,...", "0005,000a,..._0403,0804,...").
std::string ja4_ciphers_text(const ClientHello& hello);
std::string ja4_extensions_text(const ClientHello& hello);

// True for the GREASE code points 0x0a0a, 0x1a1a, ... 0xfafa (RFC 8701).
bool is_grease(std::uint16_t value) noexcept;

// IANA TLS Supported Groups names: "x25519", "secp256r1", "ffdhe2048",
// "X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024"; "GREASE";
// "0x1234" for one without a name here.
std::string group_name(std::uint16_t group);
// IANA TLS SignatureScheme names: "ecdsa_secp256r1_sha256",
// "rsa_pss_rsae_sha256", "rsa_pss_pss_sha256", "ed25519", ...; "GREASE";
// "0x1234" for one without a name here.
std::string signature_scheme_name(std::uint16_t scheme);
// IANA cipher suite names as wolfSSL knows them ("TLS_AES_128_GCM_SHA256");
// "GREASE"; "0xc0ff" for one this wolfSSL does not know.
std::string cipher_suite_name(std::uint16_t suite);
// "TLSv1.3", "TLSv1.2", ... ; "GREASE"; "0x7f1c".
std::string version_name(std::uint16_t version);
// Extension names ("server_name", "key_share", ...); "GREASE"; "0x4469".
std::string extension_name(std::uint16_t type);

// A key-exchange group ussl can be asked for by name.
struct GroupInfo {
  std::string_view name;  // IANA name, the report's spelling
  std::uint16_t id;
  bool built;  // the wolfSSL in use can negotiate it
};
// Every group ussl knows, in its preferred order; built says which this
// wolfSSL has (ML-KEM hybrids need wolfSSL 5.8/5.9; X448 and FFDHE sizes
// depend on the build).
std::span<const GroupInfo> known_groups();
// Parses "X25519MLKEM768,x25519:P-256" (comma or colon separated; any case;
// also "P-256"/"prime256v1", "P-384", "P-521" and "X25519"/"X448" spellings).
// Throws Error(usage) naming an unknown name, or a known one this wolfSSL
// cannot use ("group 'X25519MLKEM768' is not available in this wolfSSL (5.5.4)").
// what is the flag or option named in messages ("--groups").
std::vector<std::uint16_t> parse_groups(std::string_view list, std::string_view what);

}  // namespace ussl
