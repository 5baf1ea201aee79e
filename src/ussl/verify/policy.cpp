// Judging one complete path. Each rule names the certificate (subject and
// depth) and the rule it breaks.
#include "ussl/verify/policy.hpp"

// clang-format off
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hash.h>
// clang-format on

#include <algorithm>
#include <array>

#include "ussl/names.hpp"
#include "ussl/verify/names.hpp"

namespace ussl {
namespace {

using x509::Certificate;
using x509::KeyType;

struct Judge {
  Judge(const std::vector<CertPtr>& p, bool a, const VerifyPolicy& pol, std::int64_t t)
      : path(p), anchored(a), policy(pol), now(t) {}
  const std::vector<CertPtr>& path;
  bool anchored;
  const VerifyPolicy& policy;
  std::int64_t now;
  std::vector<CertProblem> problems;
  std::size_t nc_budget = names::kComparisonBudget;

  std::string who(std::size_t i) const {
    const bool anchor = anchored && i + 1 == path.size();
    std::string role = i == 0 ? "leaf" : anchor ? "trust anchor" : "intermediate";
    return role + " '" + path[i]->subject.text + "' (depth " + std::to_string(i) + ")";
  }
  void add(ErrorKind kind, std::size_t i, std::string rule, std::string what) {
    problems.push_back({kind, static_cast<int>(i), path[i]->subject.text, std::move(rule), who(i) + " " + what});
  }

  static int min_rsa(int level) { return level <= 0 ? 0 : level == 1 ? 1024 : level == 2 ? 2048 : 3072; }
  static int min_ec(int level) { return level <= 0 ? 0 : level == 1 ? 160 : level == 2 ? 224 : 256; }

  void key_rules(std::size_t i) {
    const Certificate& c = *path[i];
    const auto& k = c.key;
    switch (k.type) {
      case KeyType::rsa:
        if (k.bits % 8 != 0)
          add(ErrorKind::cert_invalid, i, "CA/B BR 6.1.5 key size",
              "has an RSA key of " + std::to_string(k.bits) + " bits, not a multiple of 8");
        if (k.bits < min_rsa(policy.security_level))
          add(ErrorKind::cert_weak, i, "security level " + std::to_string(policy.security_level),
              "has a weak RSA-" + std::to_string(k.bits) + " key (security level " +
                  std::to_string(policy.security_level) + " needs " + std::to_string(min_rsa(policy.security_level)) +
                  " bits)");
        break;
      case KeyType::ec:
        if (k.explicit_curve) {
          add(ErrorKind::cert_invalid, i, "RFC 5480 2.1.1 namedCurve", "has an EC key with explicit curve parameters");
          break;
        }
        if (k.curve != "P-256" && k.curve != "P-384" && k.curve != "P-521")
          add(ErrorKind::cert_invalid, i, "CA/B BR 6.1.5 key type",
              "has an EC key on curve " + k.curve + " (P-256, P-384 or P-521 only)");
        if (k.bits < min_ec(policy.security_level))
          add(ErrorKind::cert_weak, i, "security level " + std::to_string(policy.security_level),
              "has a weak " + std::to_string(k.bits) + "-bit EC key");
        break;
      case KeyType::ed25519:
      case KeyType::ed448:
        break;
      case KeyType::dsa:
        add(ErrorKind::cert_invalid, i, "CA/B BR 6.1.5 key type", "has a DSA key (RSA or ECDSA only)");
        break;
      case KeyType::other:
        add(ErrorKind::cert_invalid, i, "CA/B BR 6.1.5 key type", "has a key of unsupported type " + k.algorithm);
        break;
    }
  }

  void certificate_rules(std::size_t i) {
    const Certificate& c = *path[i];
    const bool anchor = anchored && i + 1 == path.size();
    const bool leaf = i == 0;
    for (const auto& d : c.defects) add(ErrorKind::cert_invalid, i, "RFC 5280 4.2 encoding", "is malformed: " + d);
    if (now < c.not_before) {
      CertProblem p{ErrorKind::cert_not_yet_valid, static_cast<int>(i), c.subject.text, "RFC 5280 4.1.2.5 validity",
                    ""};
      p.time = now;
      p.not_before = c.not_before;
      p.message = who(i) + " " + validity_text(p);
      problems.push_back(std::move(p));
    }
    if (now > c.not_after) {
      CertProblem p{ErrorKind::cert_expired, static_cast<int>(i), c.subject.text, "RFC 5280 4.1.2.5 validity", ""};
      p.time = now;
      p.not_after = c.not_after;
      p.message = who(i) + " " + validity_text(p);
      problems.push_back(std::move(p));
    }
    key_rules(i);
    if (c.issuer.empty()) add(ErrorKind::cert_invalid, i, "RFC 5280 4.1.2.4 issuer", "has an empty issuer name");
    if (!anchor) {
      if (c.version != 3)
        add(ErrorKind::cert_invalid, i, "CA/B BR 7.1.1 version",
            "is a v" + std::to_string(c.version) + " certificate (v3 required)");
      serial_rules(i);
      if (!der::equal(c.inner_sig_alg, c.outer_sig_alg))
        add(ErrorKind::cert_invalid, i, "RFC 5280 4.1.1.2 signatureAlgorithm",
            "names different signature algorithms inside and outside its TBSCertificate");
      const int level = policy.security_level;
      if (level >= 1 && (c.sig_hash == x509::HashAlg::md5 || c.sig_hash == x509::HashAlg::sha1))
        add(ErrorKind::cert_weak, i, "security level " + std::to_string(level),
            "is signed with " + c.sig_alg_name + " (" + x509::hash_name(c.sig_hash) +
                " is too weak at security level " + std::to_string(level) + ")");
    }
    // Authority key identifier: every certificate but a self-signed one
    // (RFC 5280 4.2.1.1); keyIdentifier only (CA/B BR 7.1.2.11.1).
    if (!c.self_issued && !anchor && !c.aki_key_id)
      add(ErrorKind::cert_invalid, i, "RFC 5280 4.2.1.1 authorityKeyIdentifier",
          c.has_aki ? "has an authorityKeyIdentifier without keyIdentifier" : "has no authorityKeyIdentifier");
    else if (c.has_aki && !c.aki_key_id)
      add(ErrorKind::cert_invalid, i, "RFC 5280 4.2.1.1 authorityKeyIdentifier",
          "has an authorityKeyIdentifier without keyIdentifier");
    if (c.aki_has_issuer)
      add(ErrorKind::cert_invalid, i, "CA/B BR 7.1.2.11.1 authorityKeyIdentifier",
          "has authorityCertIssuer/authorityCertSerialNumber in its authorityKeyIdentifier");
    if (c.self_issued && anchor && c.aki_key_id && c.ski && !der::equal(*c.aki_key_id, *c.ski))
      add(ErrorKind::cert_invalid, i, "RFC 5280 4.2.1.1 authorityKeyIdentifier",
          "is self-signed but its authorityKeyIdentifier differs from its subjectKeyIdentifier");
    if (c.key_usage && (*c.key_usage >> x509::kKeyUsageKeyCertSign & 1) && !c.ca)
      add(ErrorKind::cert_invalid, i, "RFC 5280 4.2.1.3 keyUsage", "asserts keyCertSign without basicConstraints cA");
    if (c.name_constraints && !c.ca)
      add(ErrorKind::cert_invalid, i, "RFC 5280 4.2.1.10 nameConstraints",
          "has nameConstraints but is not a CA certificate");
    if (auto bad = names::san_syntax_error(c)) add(ErrorKind::cert_invalid, i, "RFC 5280 4.2.1.6 subjectAltName", *bad);
    if (c.subject.empty() && c.san && !c.san_critical)
      add(ErrorKind::cert_invalid, i, "RFC 5280 4.2.1.6 subjectAltName",
          "has an empty subject and a non-critical subjectAltName");
    if (c.subject.empty() && !c.san)
      add(ErrorKind::cert_invalid, i, "RFC 5280 4.1.2.6 subject", "has an empty subject and no subjectAltName");
    if (!c.subject.empty() && c.san && c.san_critical && leaf)
      add(ErrorKind::cert_invalid, i, "CA/B BR 7.1.2.7.12 subjectAltName",
          "marks its subjectAltName critical although its subject is not empty");
    if (leaf) {
      leaf_rules();
    } else {
      issuer_rules(i, anchor);
    }
  }

  void serial_rules(std::size_t i) {
    const auto s = path[i]->serial;
    if (s[0] & 0x80) {
      add(ErrorKind::cert_invalid, i, "RFC 5280 4.1.2.2 serialNumber", "has a negative serial number");
      return;
    }
    if (std::all_of(s.begin(), s.end(), [](std::uint8_t b) { return b == 0; }))
      add(ErrorKind::cert_invalid, i, "RFC 5280 4.1.2.2 serialNumber", "has serial number 0");
    if (s.size() > 1 && s[0] == 0 && !(s[1] & 0x80))
      add(ErrorKind::cert_invalid, i, "X.690 DER INTEGER", "has a serial number that is not minimally encoded");
    const std::size_t octets = s.size() - (s.size() > 1 && s[0] == 0 ? 1 : 0);
    if (octets > 20)
      add(ErrorKind::cert_invalid, i, "RFC 5280 4.1.2.2 serialNumber",
          "has a serial number of " + std::to_string(octets) + " octets (at most 20)");
  }

  void leaf_rules() {
    const Certificate& c = *path[0];
    const bool self_anchor = anchored && path.size() == 1;
    if (c.ca && !self_anchor)
      add(ErrorKind::cert_invalid, 0, "CA/B BR 7.1.2.7.8 basicConstraints",
          "is a CA certificate (basicConstraints cA) used as an end-entity certificate");
    const char* want = policy.role == ChainRole::server ? x509::kEkuServerAuth : x509::kEkuClientAuth;
    const char* want_name = policy.role == ChainRole::server ? "serverAuth" : "clientAuth";
    if (!c.eku) {
      if (policy.role == ChainRole::server && !self_anchor)
        add(ErrorKind::cert_purpose, 0, "CA/B BR 7.1.2.7.10 extKeyUsage",
            "has no extendedKeyUsage; a TLS server certificate needs serverAuth");
    } else {
      if (std::find(c.eku->begin(), c.eku->end(), want) == c.eku->end())
        add(ErrorKind::cert_purpose, 0, "RFC 5280 4.2.1.12 extKeyUsage",
            std::string("is not for ") + want_name + " (its extendedKeyUsage lacks it" +
                (std::find(c.eku->begin(), c.eku->end(), x509::kEkuAny) != c.eku->end()
                     ? "; anyExtendedKeyUsage is not enough under the CA/B profile)"
                     : ")"));
      if (policy.role == ChainRole::server && std::find(c.eku->begin(), c.eku->end(), x509::kEkuAny) != c.eku->end())
        add(ErrorKind::cert_purpose, 0, "CA/B BR 7.1.2.7.10 extKeyUsage",
            "has anyExtendedKeyUsage, which a TLS server certificate must not have");
      if (c.eku_critical && policy.role == ChainRole::server)
        add(ErrorKind::cert_invalid, 0, "CA/B BR 7.1.2.7.10 extKeyUsage", "marks its extendedKeyUsage critical");
    }
    if (c.key_usage) {
      const std::uint16_t ku = *c.key_usage;
      // digitalSignature, keyEncipherment or keyAgreement for TLS.
      if (!(ku & 0x1) && !(ku & 0x4) && !(ku & 0x10))
        add(ErrorKind::cert_purpose, 0, "RFC 5280 4.2.1.3 keyUsage",
            "has a keyUsage without digitalSignature, keyEncipherment or keyAgreement");
    }
    if (policy.role == ChainRole::server && c.san && !self_anchor) {
      // CA/B BR 7.1.4.3: a commonName, if present, repeats one SAN entry
      // exactly (a dNSName, or an iPAddress in its textual form).
      const CertificateInfo v = name_view(c);
      for (const auto& cn : c.subject.common_names) {
        const bool listed = std::find(v.dns_names.begin(), v.dns_names.end(), cn) != v.dns_names.end() ||
                            std::find(v.ip_addresses.begin(), v.ip_addresses.end(), cn) != v.ip_addresses.end();
        if (!listed)
          add(ErrorKind::cert_invalid, 0, "CA/B BR 7.1.4.3 commonName",
              "has commonName '" + cn + "', which is not one of its subjectAltName entries");
      }
    }
    if (policy.hostname) {
      // The server-name rule and its reason (names.hpp): IP literals only
      // against iPAddress SANs, the CN only without SANs, wildcards not over
      // a public suffix.
      const CertificateInfo names = name_view(c);
      const NameMatch match = match_server_name(names, *policy.hostname);
      if (!match.ok) {
        CertProblem p{ErrorKind::hostname_mismatch, 0, c.subject.text, "RFC 6125 / RFC 9525 name", match.reason};
        p.expected_name = *policy.hostname;
        p.presented_names = names.dns_names;
        p.presented_names.insert(p.presented_names.end(), names.ip_addresses.begin(), names.ip_addresses.end());
        if (p.presented_names.empty()) p.presented_names = c.subject.common_names;
        problems.push_back(std::move(p));
      }
    }
  }

  void issuer_rules(std::size_t i, bool anchor) {
    const Certificate& c = *path[i];
    const std::string child = "'" + path[i - 1]->subject.text + "'";
    if (c.version < 3 && !c.has_basic_constraints)
      add(ErrorKind::cert_invalid, i, "RFC 5280 6.1.4 (k) basicConstraints",
          "is a v" + std::to_string(c.version) + " certificate and cannot be a CA, but issued " + child);
    else if (!c.has_basic_constraints || !c.ca)
      add(ErrorKind::cert_invalid, i, "RFC 5280 6.1.4 (k) basicConstraints",
          "is not a CA (no basicConstraints cA) but issued " + child);
    else if (!c.basic_constraints_critical)
      add(ErrorKind::cert_invalid, i, "RFC 5280 4.2.1.9 basicConstraints",
          "is a CA whose basicConstraints is not marked critical");
    if (c.key_usage && !(*c.key_usage >> x509::kKeyUsageKeyCertSign & 1))
      add(ErrorKind::cert_purpose, i, "RFC 5280 6.1.4 (n) keyUsage",
          "lacks keyCertSign in its keyUsage but issued " + child);
    if (!c.ski)
      add(ErrorKind::cert_invalid, i, "RFC 5280 4.2.1.2 subjectKeyIdentifier", "is a CA without subjectKeyIdentifier");
    if (c.subject.empty()) add(ErrorKind::cert_invalid, i, "RFC 5280 4.1.2.6 subject", "is a CA with an empty subject");
    if (c.eku) {
      const char* want = policy.role == ChainRole::server ? x509::kEkuServerAuth : x509::kEkuClientAuth;
      if (anchor && policy.role == ChainRole::server)
        add(ErrorKind::cert_invalid, i, "CA/B BR 7.1.2.1.2 root extensions", "is a root with an extendedKeyUsage");
      else if (std::find(c.eku->begin(), c.eku->end(), want) == c.eku->end() &&
               std::find(c.eku->begin(), c.eku->end(), x509::kEkuAny) == c.eku->end())
        add(ErrorKind::cert_purpose, i, "CA/B BR 7.1.2.2 extKeyUsage",
            std::string("restricts its extendedKeyUsage and does not allow ") +
                (policy.role == ChainRole::server ? "serverAuth" : "clientAuth"));
    }
    // pathLenConstraint: non-self-issued intermediates below (RFC 5280 6.1.4 (l)/(m)).
    if (c.path_len) {
      int below = 0;
      for (std::size_t j = 1; j < i; ++j) below += path[j]->self_issued ? 0 : 1;
      if (below > *c.path_len)
        add(ErrorKind::cert_invalid, i, "RFC 5280 4.2.1.9 pathLenConstraint",
            "allows " + std::to_string(*c.path_len) + " intermediates below it (pathLenConstraint) but has " +
                std::to_string(below));
    }
    if (c.name_constraints) {
      if (auto bad = names::constraint_syntax_error(*c.name_constraints)) {
        add(ErrorKind::cert_invalid, i, "RFC 5280 4.2.1.10 nameConstraints", *bad);
      } else {
        // Every certificate below, except self-issued intermediates (6.1.3 (b)).
        for (std::size_t j = 0; j < i; ++j) {
          if (j > 0 && path[j]->self_issued) continue;
          if (auto why = names::check_constraints(*c.name_constraints, *path[j], j == 0, nc_budget)) {
            problems.push_back({ErrorKind::cert_invalid, static_cast<int>(j), path[j]->subject.text,
                                "RFC 5280 4.2.1.10 nameConstraints",
                                who(j) + " violates the name constraints of '" + c.subject.text + "': " + *why});
            break;
          }
        }
      }
    }
  }

  static std::string iso(std::int64_t t) {
    const std::int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    const std::int64_t secs = t - days * 86400;
    // civil_from_days
    const std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
    const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t y = yoe + era * 400 + (m <= 2);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", static_cast<long long>(y),
                  static_cast<long long>(m), static_cast<long long>(d), static_cast<long long>(secs / 3600),
                  static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
    return buf;
  }

  void revocation(std::size_t i) {
    const Certificate& c = *path[i];
    const Certificate& issuer = *path[i + 1];
    bool found = false;
    for (const auto& crl : policy.crls->impl().crls) {
      if (crl->issuer.key != issuer.subject.key) continue;
      if (!x509::verify_signature(issuer.spki, crl->sig_alg, crl->tbs, crl->signature)) continue;
      found = true;
      const std::string from = "the CRL of '" + issuer.subject.text + "'";
      if (issuer.key_usage && !(*issuer.key_usage >> x509::kKeyUsageCrlSign & 1))
        add(ErrorKind::cert_invalid, i + 1, "RFC 5280 6.3.3 (f) keyUsage",
            "signed a CRL without cRLSign in its keyUsage");
      for (const auto& d : crl->defects)
        add(ErrorKind::cert_invalid, i, "RFC 5280 5.2 CRL", "is checked against " + from + ", which is invalid: " + d);
      if (now < crl->this_update)
        add(ErrorKind::cert_invalid, i, "RFC 5280 5.1.2.4 thisUpdate",
            "is checked against " + from + ", not yet issued");
      if (crl->next_update && now > *crl->next_update)
        add(ErrorKind::cert_invalid, i, "RFC 5280 5.1.2.5 nextUpdate",
            "is checked against " + from + ", out of date since " + iso(*crl->next_update));
      for (const auto& serial : crl->revoked_serials) {
        if (der::equal(serial, c.serial)) {
          add(ErrorKind::cert_revoked, i, "RFC 5280 5.1.2.6 revokedCertificates", "is revoked by " + from);
          break;
        }
      }
    }
    if (!found)
      add(ErrorKind::cert_untrusted, i, "RFC 5280 6.3 revocation",
          "has an unknown revocation status: no CRL signed by its issuer '" + issuer.subject.text + "' was given");
  }

  void run() {
    for (std::size_t i = 0; i < path.size(); ++i) certificate_rules(i);
    if (policy.crls && anchored) {
      const std::size_t last = policy.crl_check == CrlCheck::leaf ? 1 : path.size() - 1;
      for (std::size_t i = 0; i < last && i + 1 < path.size(); ++i) revocation(i);
    }
    // Depth: intermediates that are not self-issued (RFC 5280 6.1.4 (l)).
    if (path.size() > 2) {
      int count = 0;
      for (std::size_t j = 1; j + 1 < path.size(); ++j) count += path[j]->self_issued ? 0 : 1;
      if (!anchored) count += 1;
      if (count > policy.max_depth)
        problems.push_back({ErrorKind::chain_too_long, -1, path[0]->subject.text, "max chain depth",
                            "the path from '" + path[0]->subject.text + "' holds " + std::to_string(count) +
                                " intermediates, more than the limit of " + std::to_string(policy.max_depth)});
    }
    std::stable_sort(problems.begin(), problems.end(),
                     [](const CertProblem& a, const CertProblem& b) { return a.depth < b.depth; });
  }
};

}  // namespace

CertificateInfo name_view(const x509::Certificate& c) {
  CertificateInfo info;
  info.subject = c.subject.text;
  info.issuer = c.issuer.text;
  if (!c.subject.common_names.empty()) info.common_name = c.subject.common_names.front();
  if (c.san) {
    for (const auto& n : *c.san) {
      const std::string v(reinterpret_cast<const char*>(n.value.data()), n.value.size());
      switch (n.type) {
        case x509::NameType::dns:
          info.dns_names.push_back(v);
          info.san.push_back("DNS:" + v);
          break;
        case x509::NameType::ip: {
          const std::string ip = names::ip_text(n.value);
          if (ip != "<invalid>") info.ip_addresses.push_back(ip);
          info.san.push_back("IP:" + ip);
          break;
        }
        case x509::NameType::rfc822:
          info.san.push_back("email:" + v);
          break;
        case x509::NameType::uri:
          info.san.push_back("URI:" + v);
          break;
        default:
          info.san.push_back("other:" + std::to_string(static_cast<int>(n.type)));
      }
    }
  }
  return info;
}

CertificateInfo certificate_info(const x509::Certificate& c) {
  CertificateInfo info = name_view(c);
  info.der = c.der;
  info.self_issued = c.self_issued;
  info.not_before_epoch = c.not_before;
  info.not_after_epoch = c.not_after;
  info.not_before = Judge::iso(c.not_before);
  info.not_after = Judge::iso(c.not_after);
  // The INTEGER's value bytes, as OpenSSL and wolfSSL print them: without
  // the 0x00 that DER puts before a first byte with its high bit set.
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t first = 0;
  if (c.serial.size() > 1 && c.serial[0] == 0 && c.serial[1] >= 0x80) first = 1;
  for (std::size_t i = first; i < c.serial.size(); ++i)
    info.serial += std::string{kHex[c.serial[i] >> 4], kHex[c.serial[i] & 15]};
  std::array<std::uint8_t, WC_SHA256_DIGEST_SIZE> digest{};
  if (wc_Sha256Hash(c.der.data(), static_cast<word32>(c.der.size()), digest.data()) == 0) {
    for (const std::uint8_t b : digest) info.sha256 += std::string{kHex[b >> 4], kHex[b & 15]};
  }
  info.key_type = c.key.algorithm;
  info.key_bits = c.key.bits;
  info.key_curve = c.key.curve;
  info.signature_algorithm = c.sig_alg_name;
  return info;
}

CertificateInfo describe_certificate(std::span<const std::uint8_t> der) {
  const auto parsed = x509::parse(der, nullptr);
  if (!parsed) throw Error(ErrorKind::cert_invalid, "a certificate cannot be parsed");
  return certificate_info(*parsed);
}

std::vector<CertProblem> judge_path(const std::vector<CertPtr>& path, bool anchored, const VerifyPolicy& policy,
                                    std::int64_t now) {
  Judge j(path, anchored, policy, now);
  j.run();
  return std::move(j.problems);
}

std::string validity_text(const CertProblem& problem) {
  if (problem.kind == ErrorKind::cert_expired && problem.not_after)
    return "expired on " + Judge::iso(*problem.not_after);
  if (problem.kind == ErrorKind::cert_not_yet_valid && problem.not_before)
    return "is not valid before " + Judge::iso(*problem.not_before);
  return "";
}

}  // namespace ussl
