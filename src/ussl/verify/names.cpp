#include "ussl/verify/names.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace ussl::names {
namespace {

using x509::GeneralName;
using x509::NameType;

std::string text(x509::Bytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// name is `base` or a subdomain of it ("" is every name).
bool dns_within(std::string_view name, std::string_view base) {
  if (base.empty()) return true;
  if (name == base) return true;
  return name.size() > base.size() && ends_with(name, base) && name[name.size() - base.size() - 1] == '.';
}

bool valid_label(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](unsigned char c) { return std::isalnum(c) || c == '-'; });
}

// An LDH host name; `wildcard` allows "*" as the whole leftmost label.
bool valid_dns(std::string_view name, bool wildcard) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t start = 0;
  bool first = true;
  for (;;) {
    const std::size_t dot = name.find('.', start);
    const std::string_view label = name.substr(start, dot == std::string_view::npos ? name.npos : dot - start);
    const bool star = first && wildcard && label == "*" && dot != std::string_view::npos;
    if (!star && !valid_label(label)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
    first = false;
  }
}

bool valid_mailbox(std::string_view m) {
  const auto at = m.find('@');
  if (at == std::string_view::npos || at == 0 || m.find('@', at + 1) != std::string_view::npos) return false;
  return valid_dns(m.substr(at + 1), false);
}

bool dns_matches(const std::string& name_in, const std::string& constraint_in, bool excluded) {
  std::string name = lower(name_in);
  if (!name.empty() && name.back() == '.') name.pop_back();
  const std::string c = lower(constraint_in);
  if (name.rfind("*.", 0) == 0) {
    const std::string base = name.substr(2);
    // Every name the wildcard covers is within c when its base is; an
    // excluded c is also hit when the wildcard could produce a name in it
    // (c is a subdomain of the base: CVE-2025-61727).
    if (dns_within(base, c)) return true;
    return excluded && dns_within(c, base) && c != base;
  }
  return dns_within(name, c);
}

bool ip_matches(x509::Bytes name, x509::Bytes constraint) {
  if (constraint.size() != name.size() * 2) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const std::uint8_t mask = constraint[name.size() + i];
    if ((name[i] & mask) != (constraint[i] & mask)) return false;
  }
  return true;
}

bool email_matches(const std::string& mailbox, const std::string& constraint) {
  const auto at = mailbox.find('@');
  if (at == std::string::npos) return false;
  const std::string local = mailbox.substr(0, at);
  const std::string host = lower(mailbox.substr(at + 1));
  const auto cat = constraint.find('@');
  if (cat != std::string::npos) return local == constraint.substr(0, cat) && host == lower(constraint.substr(cat + 1));
  const std::string c = lower(constraint);
  if (!c.empty() && c.front() == '.') return ends_with(host, c);
  return host == c;
}

// The host of an absolute URI ("https://host:port/path"), lowercased.
std::optional<std::string> uri_host(const std::string& uri) {
  const auto scheme = uri.find("://");
  if (scheme == std::string::npos) return std::nullopt;
  std::string rest = uri.substr(scheme + 3);
  const auto end = rest.find_first_of("/?#");
  if (end != std::string::npos) rest = rest.substr(0, end);
  const auto at = rest.rfind('@');
  if (at != std::string::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest.front() == '[') return std::nullopt;  // IP literal: never matches a host constraint
  const auto colon = rest.find(':');
  if (colon != std::string::npos) rest = rest.substr(0, colon);
  if (rest.empty()) return std::nullopt;
  return lower(rest);
}

bool uri_matches(const std::string& uri, const std::string& constraint) {
  const auto host = uri_host(uri);
  if (!host) return false;
  const std::string c = lower(constraint);
  if (!c.empty() && c.front() == '.') return ends_with(*host, c);
  return *host == c;
}

bool dn_within(x509::Bytes name_der, x509::Bytes constraint_der) {
  x509::Name name, base;
  if (!x509::parse_name(name_der, name) || !x509::parse_name(constraint_der, base)) return false;
  if (base.rdns.size() > name.rdns.size()) return false;
  for (std::size_t i = 0; i < base.rdns.size(); ++i) {
    if (!der::equal(base.rdns[i], name.rdns[i])) return false;
  }
  return true;
}

// The type-id of an otherName ("1.3.6.1.5.5.7.8.4").
std::string other_name_type(x509::Bytes value) {
  der::Reader r(value);
  der::Element oid;
  if (!r.expect(der::kOid, oid)) return {};
  return der::oid_text(oid.value);
}

bool matches(const GeneralName& name, const GeneralName& c, bool excluded) {
  switch (name.type) {
    case NameType::dns:
      return dns_matches(text(name.value), text(c.value), excluded);
    case NameType::ip:
      return ip_matches(name.value, c.value);
    case NameType::rfc822:
      return email_matches(text(name.value), text(c.value));
    case NameType::uri:
      return uri_matches(text(name.value), text(c.value));
    case NameType::directory:
      return dn_within(name.value, c.value);
    case NameType::other_name:
      // Same type-id: excluded conservatively; permitted only on equality.
      return excluded ? other_name_type(name.value) == other_name_type(c.value) : der::equal(name.value, c.value);
    default:
      return der::equal(name.value, c.value);
  }
}

const char* type_name(NameType t) {
  switch (t) {
    case NameType::dns:
      return "DNS";
    case NameType::ip:
      return "IP";
    case NameType::rfc822:
      return "email";
    case NameType::uri:
      return "URI";
    case NameType::directory:
      return "DirName";
    case NameType::other_name:
      return "otherName";
    default:
      return "name";
  }
}

std::string describe(const GeneralName& n) {
  std::string v;
  switch (n.type) {
    case NameType::ip:
      v = ip_text(n.value);
      break;
    case NameType::directory: {
      x509::Name name;
      v = x509::parse_name(n.value, name) ? name.text : "?";
      break;
    }
    case NameType::dns:
    case NameType::rfc822:
    case NameType::uri:
      v = text(n.value);
      break;
    default:
      v = "...";
  }
  return std::string(type_name(n.type)) + ":" + v;
}

}  // namespace

std::string ip_text(x509::Bytes value) {
  std::array<char, INET6_ADDRSTRLEN> buf{};
  const int family = value.size() == 4 ? AF_INET : value.size() == 16 ? AF_INET6 : 0;
  if (family == 0 || inet_ntop(family, value.data(), buf.data(), buf.size()) == nullptr) return "<invalid>";
  return buf.data();
}

std::optional<std::string> check_constraints(const x509::NameConstraints& nc, const x509::Certificate& cert,
                                             bool is_leaf, std::size_t& budget) {
  std::vector<GeneralName> subject_names;
  if (cert.san) subject_names = *cert.san;
  if (!cert.subject.empty()) subject_names.push_back({NameType::directory, cert.subject.der});
  // Values kept alive for the spans below.
  std::vector<std::string> owned;
  owned.reserve(cert.subject.emails.size() + cert.subject.common_names.size());
  for (const auto& e : cert.subject.emails) {
    owned.push_back(e);
    subject_names.push_back(
        {NameType::rfc822, {reinterpret_cast<const std::uint8_t*>(owned.back().data()), owned.back().size()}});
  }
  if (is_leaf && !cert.san) {
    for (const auto& cn : cert.subject.common_names) {
      if (!valid_dns(cn, true)) continue;
      owned.push_back(cn);
      subject_names.push_back(
          {NameType::dns, {reinterpret_cast<const std::uint8_t*>(owned.back().data()), owned.back().size()}});
    }
  }
  const std::size_t cost = subject_names.size() * (nc.permitted.size() + nc.excluded.size());
  if (cost > budget) {
    budget = 0;
    return "checking its " + std::to_string(subject_names.size()) + " names against " +
           std::to_string(nc.permitted.size() + nc.excluded.size()) +
           " name constraints exceeds the verifier's budget of " + std::to_string(kComparisonBudget) + " comparisons";
  }
  budget -= cost;
  for (const auto& name : subject_names) {
    for (const auto& c : nc.excluded) {
      if (c.type == name.type && matches(name, c, true))
        return "its name " + describe(name) + " is in an excluded subtree " + describe(c);
    }
    bool any_of_type = false;
    bool permitted = false;
    for (const auto& c : nc.permitted) {
      if (c.type != name.type) continue;
      any_of_type = true;
      if (matches(name, c, false)) {
        permitted = true;
        break;
      }
    }
    if (any_of_type && !permitted) return "its name " + describe(name) + " is outside every permitted subtree";
  }
  return std::nullopt;
}

std::optional<std::string> constraint_syntax_error(const x509::NameConstraints& nc) {
  for (const auto* list : {&nc.permitted, &nc.excluded}) {
    for (const auto& c : *list) {
      const std::string v = text(c.value);
      switch (c.type) {
        case NameType::dns:
          if (!v.empty() && !valid_dns(v, false))
            return "its nameConstraints has an invalid dNSName '" + v + "' (RFC 5280 4.2.1.10)";
          break;
        case NameType::ip: {
          if (c.value.size() != 8 && c.value.size() != 32)
            return "its nameConstraints has an iPAddress of " + std::to_string(c.value.size()) +
                   " octets (8 or 32 expected, RFC 5280 4.2.1.10)";
          const auto mask = c.value.subspan(c.value.size() / 2);
          bool zero = false;
          for (std::uint8_t m : mask) {
            for (int b = 7; b >= 0; --b) {
              const bool set = (m >> b) & 1;
              if (set && zero) return "its nameConstraints has an iPAddress whose mask is not contiguous";
              if (!set) zero = true;
            }
          }
          break;
        }
        case NameType::rfc822: {
          if (v.empty()) break;
          if (v.find('@') != std::string::npos ? !valid_mailbox(v)
                                               : !valid_dns(v.front() == '.' ? v.substr(1) : v, false))
            return "its nameConstraints has an invalid rfc822Name '" + v + "'";
          break;
        }
        default:
          break;
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> san_syntax_error(const x509::Certificate& cert) {
  if (!cert.san) return std::nullopt;
  for (const auto& n : *cert.san) {
    const std::string v = text(n.value);
    switch (n.type) {
      case NameType::dns:
        if (!valid_dns(v, true)) return "its subjectAltName has an invalid dNSName '" + v + "'";
        break;
      case NameType::ip:
        if (n.value.size() != 4 && n.value.size() != 16)
          return "its subjectAltName has an iPAddress of " + std::to_string(n.value.size()) + " octets";
        break;
      case NameType::rfc822:
        if (!valid_mailbox(v)) return "its subjectAltName has an invalid rfc822Name '" + v + "'";
        break;
      default:
        break;
    }
  }
  return std::nullopt;
}

}  // namespace ussl::names
