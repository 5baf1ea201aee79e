// ussl's own certificate verdict: path building (RFC 5280 §6 with the
// CA/Browser Forum server profile on top), strength policy and revocation,
// on wolfSSL's signature primitives. Used by every handshake (the verify
// callback) and offline (verify_chain on a chain file).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ussl/certificate.hpp"
#include "ussl/error.hpp"

namespace ussl {

// Which end's certificate is judged: a server's needs EKU serverAuth, a
// client's clientAuth (RFC 5280 §4.2.1.12).
enum class ChainRole { server, client };
std::string_view chain_role_name(ChainRole role) noexcept;  // "server", "client"

// Which certificates of the path must be checked against the CRLs given:
// the leaf only, or every certificate below the anchor.
enum class CrlCheck { leaf, chain };

// One problem found on a path: its kind (cert_expired, cert_purpose,
// cert_invalid, cert_weak, cert_revoked, chain_too_long, cert_untrusted,
// hostname_mismatch, ...), the certificate (depth on the path, 0 = leaf;
// -1 when it is about no single certificate) and the rule.
struct CertProblem {
  CertProblem() = default;
  CertProblem(ErrorKind kind_, int depth_, std::string subject_, std::string rule_, std::string message_)
      : kind(kind_),
        depth(depth_),
        subject(std::move(subject_)),
        rule(std::move(rule_)),
        message(std::move(message_)) {}

  ErrorKind kind = ErrorKind::cert_untrusted;
  int depth = -1;
  std::string subject;  // RFC 4514-style subject of the certificate at fault
  std::string rule;     // the rule broken, e.g. "RFC 5280 4.2.1.9 basicConstraints"
  std::string message;  // one sentence naming the certificate and the rule
  // The details, as fields (rustls' NotValidForNameContext / ExpiredContext).
  // cert_expired and cert_not_yet_valid: the instant checked and the bound
  // crossed, in seconds since the epoch (RFC 5280 4.1.2.5); the message is
  // formatted from them (validity_text).
  std::optional<std::int64_t> time;
  std::optional<std::int64_t> not_before;  // cert_not_yet_valid
  std::optional<std::int64_t> not_after;   // cert_expired
  // hostname_mismatch: the name checked and the names the certificate
  // presents (its dNSName and iPAddress SANs, else its subject CNs).
  std::optional<std::string> expected_name;
  std::vector<std::string> presented_names;
};

// "expired on 2010-01-01T00:00:00Z" (cert_expired, from not_after) or "is not
// valid before ..." (cert_not_yet_valid, from not_before); "" for a problem
// without those fields. Times are UTC, ISO 8601.
std::string validity_text(const CertProblem& problem);

// Trust anchors: certificates loaded from ca_certs. Parsed once; one that
// cannot be parsed is skipped and named in warnings() (never fatal).
class TrustStore {
 public:
  // A PEM bundle, a DER file or a directory of them. Throws Error(bad_file)
  // when the path cannot be read or holds no usable certificate.
  static std::shared_ptr<const TrustStore> load(const std::string& path);
  // From DER certificates (tests, the limbo harness); unusable ones are
  // skipped with a warning.
  static std::shared_ptr<const TrustStore> from_der(const std::vector<std::vector<std::uint8_t>>& certs);
  static std::shared_ptr<const TrustStore> empty();

  ~TrustStore();
  const std::vector<std::string>& warnings() const noexcept;
  std::size_t size() const noexcept;

  struct Impl;
  const Impl& impl() const noexcept { return *impl_; }

 private:
  explicit TrustStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Certificate revocation lists (RFC 5280 §5), PEM or DER, from a file or a
// directory. Each CRL's signature, validity and its issuer's cRLSign are
// checked when it is used, not when it is loaded.
class CrlSet {
 public:
  // Throws Error(bad_file) when the path cannot be read or holds no CRL.
  static std::shared_ptr<const CrlSet> load(const std::string& path);
  static std::shared_ptr<const CrlSet> from_der(const std::vector<std::vector<std::uint8_t>>& crls);
  ~CrlSet();
  std::size_t size() const noexcept;

  struct Impl;
  const Impl& impl() const noexcept { return *impl_; }

 private:
  explicit CrlSet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The default depth limit: far above real chains (2-4 certificates), low
// enough to bound the work on a hostile one.
inline constexpr int kDefaultMaxChainDepth = 64;

struct VerifyPolicy {
  ChainRole role = ChainRole::server;
  // DNS name or IP literal the leaf must match (hostname_matches); none: no
  // name check.
  std::optional<std::string> hostname;
  // The instant to verify at, seconds since the Unix epoch (UTC); none: now.
  std::optional<std::int64_t> at;
  // The most intermediates (certificates between leaf and anchor that are
  // not self-issued, RFC 5280 §6.1.4 (l)) a path may hold.
  int max_depth = kDefaultMaxChainDepth;
  // OpenSSL's security levels for certificate keys and signature hashes:
  // 0 none; 1 RSA/DSA >= 1024 bits, EC >= 160, no MD5/SHA-1 signatures;
  // 2 RSA >= 2048, EC >= 224; 3 RSA >= 3072, EC >= 256.
  int security_level = 2;
  std::shared_ptr<const CrlSet> crls;  // none: revocation is not checked
  CrlCheck crl_check = CrlCheck::leaf;
};

// The verdict on one presented chain.
struct ChainVerdict {
  bool ok = false;
  // Every problem on the best path found (the one with the fewest), or why
  // no path to an anchor exists. Empty when ok.
  std::vector<CertProblem> problems;
  // The best path, leaf first, ending with the anchor when one was reached
  // (its subjects, for the report).
  std::vector<std::string> path;
  bool anchored = false;  // path ends at a trust anchor
  // The leaf matched VerifyPolicy::hostname only through its commonName (it
  // has no dNSName or iPAddress SAN; names.hpp, match_server_name). False
  // without a hostname, or when the name did not match.
  bool cn_fallback = false;
  unsigned paths_tried = 0;
  // The first problem as an Error (its kind and message), for callers that
  // throw. Only meaningful when !ok.
  Error error() const;
};

// Judges a chain as a peer would send it: presented[0] is the leaf (DER);
// the rest in any order, extras and duplicates ignored. Builds candidate
// paths to the anchors (issuer name, then key identifiers), tries the
// alternatives when one fails, within a fixed budget of signature checks
// and path steps, and judges each path by RFC 5280 §6 with the CA/B Forum
// Baseline Requirements' profile: validity of every certificate (anchors
// included), signatures, basicConstraints and pathLenConstraint (self-issued
// not counted), keyUsage/EKU for the role, name constraints accumulated
// along the path, unknown critical extensions, serial numbers (anchors
// exempt), key and hash strength (security_level), CRLs. Never throws for
// a bad chain: problems say what is wrong. Throws Error(usage) only when
// presented is empty.
ChainVerdict verify_chain(std::span<const std::vector<std::uint8_t>> presented, const TrustStore& anchors,
                          const VerifyPolicy& policy);

// The report view of one DER certificate (parse_certificate's fields: names,
// SANs in certificate order, dates, serial, SHA-256, key type, size or curve
// and signature algorithm), read by ussl's own X.509 parser. Throws
// Error(cert_invalid) when it cannot be read.
CertificateInfo describe_certificate(std::span<const std::uint8_t> der);

// Splits PEM or DER data into DER certificates (PEM: every CERTIFICATE
// block in order). Throws Error(bad_file) naming `what` when none is found.
std::vector<std::vector<std::uint8_t>> read_certificates(const std::string& data, const std::string& what);

// Splits PEM ("X509 CRL" blocks) or DER data into DER CRLs. Throws
// Error(bad_file) naming `what` when none is found.
std::vector<std::vector<std::uint8_t>> read_crls(const std::string& data, const std::string& what);

}  // namespace ussl
