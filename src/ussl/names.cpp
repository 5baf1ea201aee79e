#include "ussl/names.hpp"

#include <arpa/inet.h>
#include <idn2.h>
#include <libpsl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <optional>

#include "ussl/error.hpp"

namespace ussl {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// The address bytes of an IP literal (4 or 16), or nullopt for a DNS name.
std::optional<std::array<unsigned char, 17>> parse_ip(std::string_view text) {
  const std::string s(text);
  std::array<unsigned char, 17> out{};
  if (inet_pton(AF_INET, s.c_str(), out.data() + 1) == 1) {
    out[0] = 4;
    return out;
  }
  if (inet_pton(AF_INET6, s.c_str(), out.data() + 1) == 1) {
    out[0] = 16;
    return out;
  }
  return std::nullopt;
}

const psl_ctx_t* public_suffix_list() {
  // Loaded once, read-only afterwards (libpsl lookups are thread-safe).
  static const psl_ctx_t* const list = [] {
    const psl_ctx_t* latest = psl_latest(nullptr);
    return latest != nullptr ? latest : psl_builtin();
  }();
  return list;
}

enum class Wildcard { no, matches, public_suffix };

// Matches one certificate name (a dNSName or the CN) against a normalized,
// lower-case DNS name.
Wildcard dns_name_matches(std::string_view pattern_in, const std::string& host, bool& matched) {
  std::string pattern = lower(pattern_in);
  if (!pattern.empty() && pattern.back() == '.') pattern.pop_back();
  matched = false;
  if (pattern.empty() || host.empty()) return Wildcard::no;
  if (pattern.rfind("*.", 0) != 0) {
    matched = pattern == host;
    return Wildcard::no;
  }
  // "*" must be the whole leftmost label, and the rest must hold at least two
  // labels ("*.example.com", not "*.com") that are not a public suffix.
  const std::string rest = pattern.substr(1);  // ".wild.ussl.test"
  if (rest.find('*') != std::string::npos) return Wildcard::no;
  if (std::count(rest.begin(), rest.end(), '.') < 2) return Wildcard::no;
  const auto dot = host.find('.');
  if (dot == std::string::npos || dot == 0 || host.substr(dot) != rest) return Wildcard::no;
  if (is_public_suffix(rest.substr(1))) return Wildcard::public_suffix;
  matched = true;
  return Wildcard::matches;
}

std::string names_of(const CertificateInfo& cert) {
  std::string names;
  for (const auto& n : cert.san) names += (names.empty() ? "" : ", ") + n;
  if (names.empty() && !cert.common_name.empty()) names = "CN=" + cert.common_name;
  if (names.empty()) names = "no name";
  return names;
}

}  // namespace

std::string normalize_server_name(std::string_view name) {
  if (name.empty()) throw Error(ErrorKind::usage, "server name is empty");
  if (parse_ip(name)) return std::string(name);
  std::string out(name);
  if (out.back() == '.') out.pop_back();
  if (out.empty() || out.front() == '.' || out.back() == '.' || out.find("..") != std::string::npos)
    throw Error(ErrorKind::usage, "server name '" + std::string(name) + "' has an empty label");
  if (is_ascii(out)) return out;
  char* converted = nullptr;
  const int rc = idn2_lookup_u8(reinterpret_cast<const uint8_t*>(out.c_str()), reinterpret_cast<uint8_t**>(&converted),
                                IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  const std::unique_ptr<char, decltype(&idn2_free)> owned(converted, &idn2_free);
  if (rc != IDN2_OK || converted == nullptr)
    throw Error(ErrorKind::usage, "server name '" + std::string(name) +
                                      "' cannot be converted to an A-label (IDNA 2008): " + idn2_strerror(rc));
  return converted;
}

bool is_public_suffix(std::string_view domain) {
  if (domain.empty()) return false;
  const psl_ctx_t* list = public_suffix_list();
  if (list == nullptr) return false;
  const std::string d = lower(domain);
  return psl_is_public_suffix2(list, d.c_str(), PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) != 0;
}

NameMatch match_server_name(const CertificateInfo& cert, std::string_view name_in) {
  NameMatch m;
  // The reason is built only when the name does not match.
  const auto not_for = [&cert](std::string_view name) {
    return "certificate '" + cert.subject + "' is for " + names_of(cert) + ", not for '" + std::string(name) + "'";
  };
  std::string name;
  try {
    name = normalize_server_name(name_in);
  } catch (const Error& e) {
    m.reason = not_for(name_in) + ": " + e.message();
    return m;
  }

  if (const auto want = parse_ip(name)) {
    const std::size_t n = (*want)[0];
    for (const auto& ip : cert.ip_addresses) {
      const auto have = parse_ip(ip);
      if (have && (*have)[0] == n && std::equal(want->begin(), want->begin() + 1 + n, have->begin())) {
        m.ok = true;
        return m;
      }
    }
    m.reason = not_for(name) + ": an IP address matches only an iPAddress SAN, never the CN or a dNSName";
    return m;
  }

  const std::string host = lower(name);
  std::string refused_wildcard;
  for (const auto& dns : cert.dns_names) {
    bool matched = false;
    if (dns_name_matches(dns, host, matched) == Wildcard::public_suffix && refused_wildcard.empty())
      refused_wildcard = dns;
    if (matched) {
      m.ok = true;
      return m;
    }
  }
  const bool has_san = !cert.dns_names.empty() || !cert.ip_addresses.empty();
  if (!has_san && !cert.common_name.empty()) {
    bool matched = false;
    if (dns_name_matches(cert.common_name, host, matched) == Wildcard::public_suffix)
      refused_wildcard = cert.common_name;
    if (matched) {
      m.ok = true;
      m.cn_fallback = true;
      return m;
    }
  }
  m.reason = not_for(name);
  if (!refused_wildcard.empty()) {
    m.reason +=
        ": the wildcard '" + refused_wildcard + "' spans the public suffix '" + lower(refused_wildcard).substr(2) + "'";
  } else if (has_san && !cert.common_name.empty()) {
    bool matched = false;
    dns_name_matches(cert.common_name, host, matched);
    if (matched) m.reason += " (its CN=" + cert.common_name + " is not used: the certificate has SANs)";
  }
  return m;
}

bool hostname_matches(const CertificateInfo& cert, std::string_view hostname) {
  return match_server_name(cert, hostname).ok;
}

}  // namespace ussl
