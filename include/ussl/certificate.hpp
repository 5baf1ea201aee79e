// Parsed view of an X.509 certificate and the hostname rules.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ussl {

struct CertificateInfo {
  std::vector<std::uint8_t> der;
  std::string subject;  // RFC 4514 style, most specific last: "CN=localhost, O=ussl"
  std::string issuer;
  std::string common_name;                // subject CN, empty if none
  std::vector<std::string> dns_names;     // SAN dNSName entries
  std::vector<std::string> ip_addresses;  // SAN iPAddress entries, textual
  std::vector<std::string> san;           // all SAN entries as "DNS:x", "IP:x", "email:x", "URI:x"
  std::string not_before;                 // ISO 8601 UTC "2025-01-01T00:00:00Z"
  std::string not_after;
  std::int64_t not_before_epoch = 0;
  std::int64_t not_after_epoch = 0;
  std::string sha256;        // hex, lowercase, colon-free
  std::string serial;        // hex
  bool self_issued = false;  // subject == issuer
  // Strength facts.
  std::string key_type;             // "RSA", "EC", "Ed25519", "Ed448", "DSA" or the algorithm OID
  int key_bits = 0;                 // RSA modulus size, EC field size
  std::string key_curve;            // "P-256", ... for EC keys, else ""
  std::string signature_algorithm;  // "sha256WithRSAEncryption", "ecdsa-with-SHA256", ...

  std::string pem() const;
};

// Parses one DER certificate with ussl's X.509 parser (the verifier's).
// Throws ussl::Error(internal) if it cannot.
CertificateInfo parse_certificate(std::span<const std::uint8_t> der);

// True when hostname is an IPv4 or IPv6 literal.
bool is_ip_literal(std::string_view hostname);

// The server-name rule, as a yes/no (names.hpp: match_server_name gives the
// reason and whether the legacy CN was used; defined in names.cpp).
bool hostname_matches(const CertificateInfo& cert, std::string_view hostname);

}  // namespace ussl
