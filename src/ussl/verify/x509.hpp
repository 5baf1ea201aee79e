// The verifier's own parsed view of an X.509 certificate (RFC 5280 §4):
// every field and extension the path validation rules read, kept as DER
// spans into the certificate's own bytes. Private to the verifier.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ussl/verify/der.hpp"

namespace ussl::x509 {

using der::Bytes;

// GeneralName (RFC 5280 §4.2.1.6), by its context tag number.
enum class NameType : std::uint8_t {
  other_name = 0,
  rfc822 = 1,
  dns = 2,
  x400 = 3,
  directory = 4,
  edi_party = 5,
  uri = 6,
  ip = 7,
  registered_id = 8,
};

struct GeneralName {
  NameType type;
  Bytes value;  // contents; for directory, the Name SEQUENCE's encoding
};

// An X.501 Name: its encoding, its RDNs' encodings, and a comparison key
// (RFC 5280 §7.1: attribute values compared case-insensitively, spaces
// folded, whatever the string type).
struct Name {
  Bytes der;                // the whole SEQUENCE
  std::vector<Bytes> rdns;  // each RelativeDistinguishedName SET
  std::string key;
  std::string text;  // "CN=example.com, O=Example", for messages
  std::vector<std::string> common_names;
  std::vector<std::string> emails;  // emailAddress attributes
  bool empty() const noexcept { return rdns.empty(); }
};

enum class KeyType { rsa, ec, ed25519, ed448, dsa, other };
enum class HashAlg { none, md5, sha1, sha224, sha256, sha384, sha512 };
enum class SigAlg { rsa_pkcs1, rsa_pss, ecdsa, ed25519, ed448, dsa, unknown };

struct PublicKey {
  KeyType type = KeyType::other;
  int bits = 0;                 // RSA modulus, EC field size, 256 for Ed25519
  std::string curve;            // "P-256", ... for EC (empty when explicit or unknown)
  bool explicit_curve = false;  // EC parameters given explicitly (RFC 5480 forbids)
  std::string algorithm;        // "RSA", "EC", "Ed25519", "DSA" or the OID
};

struct Extension {
  Bytes oid;
  bool critical = false;
  Bytes value;  // the OCTET STRING's contents
};

struct NameConstraints {
  std::vector<GeneralName> permitted;
  std::vector<GeneralName> excluded;
};

struct Certificate {
  std::vector<std::uint8_t> der;
  Bytes tbs;
  Bytes outer_sig_alg;  // AlgorithmIdentifier encodings
  Bytes inner_sig_alg;
  Bytes signature;  // BIT STRING contents without the unused-bits byte
  int version = 1;
  Bytes serial;  // INTEGER contents
  Name issuer;
  Name subject;
  std::int64_t not_before = 0;
  std::int64_t not_after = 0;
  Bytes spki;  // SubjectPublicKeyInfo encoding
  PublicKey key;
  SigAlg sig_alg = SigAlg::unknown;
  HashAlg sig_hash = HashAlg::none;
  std::string sig_alg_name;  // "sha256WithRSAEncryption", "ecdsa-with-SHA256", ...

  std::vector<Extension> extensions;
  bool has_basic_constraints = false;
  bool basic_constraints_critical = false;
  bool ca = false;
  std::optional<int> path_len;
  std::optional<std::uint16_t> key_usage;  // bit 0 = digitalSignature ... bit 8 = decipherOnly
  bool key_usage_critical = false;
  std::optional<std::vector<std::string>> eku;  // dotted OIDs
  bool eku_critical = false;
  std::optional<std::vector<GeneralName>> san;
  bool san_critical = false;
  std::optional<NameConstraints> name_constraints;
  std::optional<Bytes> ski;
  bool has_aki = false;
  std::optional<Bytes> aki_key_id;
  bool aki_has_issuer = false;  // authorityCertIssuer or authorityCertSerialNumber

  // Structural defects found while parsing: each a complete sentence about
  // this certificate ("its subjectAltName extension is malformed").
  std::vector<std::string> defects;
  bool self_issued = false;  // subject and issuer names are equal
};

inline constexpr int kKeyUsageDigitalSignature = 0;
inline constexpr int kKeyUsageKeyCertSign = 5;
inline constexpr int kKeyUsageCrlSign = 6;

inline constexpr const char* kEkuServerAuth = "1.3.6.1.5.5.7.3.1";
inline constexpr const char* kEkuClientAuth = "1.3.6.1.5.5.7.3.2";
inline constexpr const char* kEkuAny = "2.5.29.37.0";

// Parses one certificate. nullptr when the outer structure (TBS, names,
// validity, key) cannot be read at all; *error then says why. Defects in
// extensions are recorded in Certificate::defects instead.
std::shared_ptr<const Certificate> parse(Bytes der, std::string* error);

// Parses an X.501 Name encoding (a SEQUENCE); false if malformed.
bool parse_name(Bytes encoding, Name& out);

// ASN.1 UTCTime/GeneralizedTime contents as RFC 5280 §4.1.2.5 allows them
// (seconds, "Z", no fraction) to seconds since the epoch.
bool parse_time(std::uint8_t tag, Bytes value, std::int64_t& out);

// Verifies that `signature` over `message` was made by the key in `spki`
// with the algorithm `sig_alg` (an AlgorithmIdentifier encoding), with
// wolfCrypt's primitives. False on any mismatch or unsupported algorithm.
bool verify_signature(Bytes spki, Bytes sig_alg, Bytes message, Bytes signature);

// Describes an algorithm identifier: its SigAlg, hash and name.
void describe_sig_alg(Bytes sig_alg, SigAlg& alg, HashAlg& hash, std::string& name);

std::string hash_name(HashAlg hash);

// Reads a SubjectPublicKeyInfo: algorithm, size in bits, curve name; false
// when it is malformed (algorithms.cpp).
bool parse_public_key(Bytes spki, PublicKey& key);

}  // namespace ussl::x509
