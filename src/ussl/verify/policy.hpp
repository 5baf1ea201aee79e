// The rules a complete path is judged by (RFC 5280 §6.1 and the CA/B
// Forum profile); path.cpp builds the paths.
#pragma once

#include <vector>

#include "ussl/certificate.hpp"
#include "ussl/verify/internal.hpp"

namespace ussl {

// Every problem of one path: path[0] is the leaf, path.back() the anchor
// (when anchored). Ordered by depth.
std::vector<CertProblem> judge_path(const std::vector<CertPtr>& path, bool anchored, const VerifyPolicy& policy,
                                    std::int64_t now);

// The hostname view of a parsed certificate (for hostname_matches).
CertificateInfo name_view(const x509::Certificate& cert);
// Every field of CertificateInfo, from ussl's parse (parse_certificate and
// describe_certificate).
CertificateInfo certificate_info(const x509::Certificate& cert);

}  // namespace ussl
