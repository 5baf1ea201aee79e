// Shared by the verifier's files: the parsed trust store and CRL set.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ussl/verify.hpp"
#include "ussl/verify/x509.hpp"

namespace ussl {

using CertPtr = std::shared_ptr<const x509::Certificate>;

struct TrustStore::Impl {
  std::vector<CertPtr> anchors;
  std::multimap<std::string, std::size_t> by_subject;  // Name::key -> anchors index
  std::vector<std::string> warnings;
  void add(CertPtr cert) {
    by_subject.emplace(cert->subject.key, anchors.size());
    anchors.push_back(std::move(cert));
  }
};

// One parsed CRL (RFC 5280 §5.1).
struct Crl {
  std::vector<std::uint8_t> der;
  x509::Bytes tbs;
  x509::Bytes sig_alg;  // outer AlgorithmIdentifier
  x509::Bytes inner_sig_alg;
  x509::Bytes signature;
  x509::Name issuer;
  std::int64_t this_update = 0;
  std::optional<std::int64_t> next_update;
  std::vector<x509::Bytes> revoked_serials;  // INTEGER contents
  bool has_crl_number = false;
  std::vector<std::string> defects;  // sentences about this CRL
};

struct CrlSet::Impl {
  std::vector<std::shared_ptr<const Crl>> crls;
};

// Parses one DER CRL; nullptr (and *error) when it cannot be read.
std::shared_ptr<const Crl> parse_crl(x509::Bytes der, std::string* error);

// PEM blocks of one label ("CERTIFICATE", "X509 CRL") as DER.
std::vector<std::vector<std::uint8_t>> pem_blocks(const std::string& data, std::string_view label);

// Reads a file whole; throws Error(bad_file) naming role and path.
std::string read_whole_file(std::string_view role, const std::string& path);

}  // namespace ussl
