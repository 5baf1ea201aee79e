// RFC 5280 §4 certificate parsing for the verifier: a strict DER walk over
// the whole TBSCertificate, extensions decoded by the verifier itself.
#include "ussl/verify/x509.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace ussl::der {

std::string oid_text(Bytes oid) {
  std::string out;
  std::uint64_t value = 0;
  bool first = true;
  for (std::uint8_t b : oid) {
    value = (value << 7) | (b & 0x7f);
    if (b & 0x80) continue;
    if (first) {
      const std::uint64_t top = value < 40 ? 0 : value < 80 ? 1 : 2;
      out = std::to_string(top) + "." + std::to_string(value - top * 40);
      first = false;
    } else {
      out += "." + std::to_string(value);
    }
    value = 0;
  }
  return out;
}

}  // namespace ussl::der

namespace ussl::x509 {
namespace {

using der::Element;
using der::Reader;

std::string lower_fold(std::string_view s) {
  std::string out;
  bool space = false;
  for (unsigned char c : s) {
    if (std::isspace(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(static_cast<char>(std::tolower(c)));
  }
  return out;
}

const char* attribute_name(const std::string& oid) {
  static const std::pair<const char*, const char*> kNames[] = {
      {"2.5.4.3", "CN"},
      {"2.5.4.6", "C"},
      {"2.5.4.7", "L"},
      {"2.5.4.8", "ST"},
      {"2.5.4.10", "O"},
      {"2.5.4.11", "OU"},
      {"2.5.4.5", "serialNumber"},
      {"0.9.2342.19200300.100.1.25", "DC"},
      {"1.2.840.113549.1.9.1", "emailAddress"},
      // The rest of OpenSSL's short names for directory attributes seen in
      // real subjects (EV certificates, national CAs).
      {"2.5.4.4", "SN"},
      {"2.5.4.9", "street"},
      {"2.5.4.12", "title"},
      {"2.5.4.13", "description"},
      {"2.5.4.15", "businessCategory"},
      {"2.5.4.17", "postalCode"},
      {"2.5.4.18", "postOfficeBox"},
      {"2.5.4.41", "name"},
      {"2.5.4.42", "GN"},
      {"2.5.4.43", "initials"},
      {"2.5.4.44", "generationQualifier"},
      {"2.5.4.46", "dnQualifier"},
      {"2.5.4.65", "pseudonym"},
      {"2.5.4.97", "organizationIdentifier"},
      {"0.9.2342.19200300.100.1.1", "UID"},
      {"1.3.6.1.4.1.311.60.2.1.1", "jurisdictionL"},
      {"1.3.6.1.4.1.311.60.2.1.2", "jurisdictionST"},
      {"1.3.6.1.4.1.311.60.2.1.3", "jurisdictionC"},
  };
  for (const auto& [id, name] : kNames) {
    if (oid == id) return name;
  }
  return nullptr;
}

std::string as_text(Bytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

bool parse_bool(Bytes v, bool& out) {
  if (v.size() != 1 || (v[0] != 0 && v[0] != 0xff)) return false;
  out = v[0] == 0xff;
  return true;
}

// A non-negative INTEGER that fits an int (pathLenConstraint).
bool parse_small_uint(Bytes v, int& out) {
  if (v.empty() || v.size() > 4 || (v[0] & 0x80)) return false;
  if (v.size() > 1 && v[0] == 0 && !(v[1] & 0x80)) return false;
  long long n = 0;
  for (std::uint8_t b : v) n = (n << 8) | b;
  out = static_cast<int>(std::min<long long>(n, 1 << 30));
  return true;
}

bool parse_general_names(Bytes seq_contents, std::vector<GeneralName>& out) {
  Reader r(seq_contents);
  while (!r.empty()) {
    Element e;
    if (!r.next(e)) return false;
    if ((e.tag & 0xc0) != der::kContext) return false;
    const int number = e.tag & 0x1f;
    if (number > 8) return false;
    const bool constructed = (e.tag & der::kConstructed) != 0;
    const auto type = static_cast<NameType>(number);
    // otherName, x400Address, directoryName, ediPartyName are constructed;
    // the rest primitive.
    const bool want_constructed = type == NameType::other_name || type == NameType::x400 ||
                                  type == NameType::directory || type == NameType::edi_party;
    if (constructed != want_constructed) return false;
    Bytes value = e.value;
    if (type == NameType::directory) {
      Reader inner(e.value);
      Element name;
      if (!inner.expect(der::kSequence, name) || !inner.empty()) return false;
      value = name.whole;
    }
    out.push_back({type, value});
  }
  return true;
}

// Validity times (RFC 5280 §4.1.2.5.1/2): UTCTime YYMMDDHHMMSSZ,
// GeneralizedTime YYYYMMDDHHMMSSZ.
std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Decoder {
  Certificate& c;
  void defect(std::string what) { c.defects.push_back(std::move(what)); }

  void basic_constraints(Bytes v) {
    c.has_basic_constraints = true;
    Reader r(v);
    Element seq;
    if (!r.expect(der::kSequence, seq) || !r.empty()) return defect("its basicConstraints extension is malformed");
    Reader s(seq.value);
    Element e;
    if (s.expect(der::kBoolean, e)) {
      if (!parse_bool(e.value, c.ca) || !c.ca)
        return defect("its basicConstraints extension is malformed (cA FALSE must be omitted in DER)");
    }
    if (s.expect(der::kInteger, e)) {
      int n = 0;
      if (!parse_small_uint(e.value, n)) return defect("its basicConstraints pathLenConstraint is malformed");
      c.path_len = n;
      if (!c.ca) defect("its basicConstraints has a pathLenConstraint without cA (RFC 5280 4.2.1.9)");
    }
    if (!s.empty()) defect("its basicConstraints extension is malformed");
  }

  void key_usage(Bytes v) {
    Reader r(v);
    Element bits;
    if (!r.expect(der::kBitString, bits) || !r.empty() || bits.value.empty() || bits.value[0] > 7)
      return defect("its keyUsage extension is malformed");
    std::uint16_t mask = 0;
    for (std::size_t i = 1; i < bits.value.size() && i <= 2; ++i) {
      for (int b = 0; b < 8; ++b) {
        if (bits.value[i] & (0x80 >> b)) mask |= static_cast<std::uint16_t>(1u << ((i - 1) * 8 + b));
      }
    }
    if (mask == 0) return defect("its keyUsage extension asserts no usage (RFC 5280 4.2.1.3)");
    c.key_usage = mask;
  }

  void eku(Bytes v) {
    Reader r(v);
    Element seq;
    if (!r.expect(der::kSequence, seq) || !r.empty()) return defect("its extendedKeyUsage extension is malformed");
    std::vector<std::string> oids;
    Reader s(seq.value);
    while (!s.empty()) {
      Element oid;
      if (!s.expect(der::kOid, oid)) return defect("its extendedKeyUsage extension is malformed");
      oids.push_back(der::oid_text(oid.value));
    }
    if (oids.empty()) return defect("its extendedKeyUsage extension is empty (RFC 5280 4.2.1.12)");
    c.eku = std::move(oids);
  }

  void san(Bytes v) {
    Reader r(v);
    Element seq;
    std::vector<GeneralName> names;
    if (!r.expect(der::kSequence, seq) || !r.empty() || !parse_general_names(seq.value, names))
      return defect("its subjectAltName extension is malformed");
    if (names.empty()) return defect("its subjectAltName extension is empty (RFC 5280 4.2.1.6)");
    c.san = std::move(names);
  }

  void name_constraints(Bytes v) {
    Reader r(v);
    Element seq;
    if (!r.expect(der::kSequence, seq) || !r.empty()) return defect("its nameConstraints extension is malformed");
    NameConstraints nc;
    Reader s(seq.value);
    bool any = false;
    for (int tag = 0; tag < 2; ++tag) {
      Element subtrees;
      if (!s.expect(static_cast<std::uint8_t>(der::kContext | der::kConstructed | tag), subtrees)) continue;
      any = true;
      Reader t(subtrees.value);
      if (t.empty()) return defect("its nameConstraints has an empty subtree list (RFC 5280 4.2.1.10)");
      while (!t.empty()) {
        Element subtree;
        if (!t.expect(der::kSequence, subtree)) return defect("its nameConstraints extension is malformed");
        Reader st(subtree.value);
        Element base;
        if (!st.next(base)) return defect("its nameConstraints extension is malformed");
        std::vector<GeneralName> one;
        if (!parse_general_names(base.whole, one) || one.size() != 1)
          return defect("its nameConstraints extension is malformed");
        // minimum must be 0 (absent), maximum absent (RFC 5280 4.2.1.10).
        if (!st.empty()) return defect("its nameConstraints uses minimum/maximum, which RFC 5280 forbids");
        (tag == 0 ? nc.permitted : nc.excluded).push_back(one.front());
      }
    }
    if (!s.empty()) return defect("its nameConstraints extension is malformed");
    if (!any) return defect("its nameConstraints has neither permitted nor excluded subtrees (RFC 5280 4.2.1.10)");
    c.name_constraints = std::move(nc);
  }

  void ski(Bytes v) {
    Reader r(v);
    Element id;
    if (!r.expect(der::kOctetString, id) || !r.empty() || id.value.empty())
      return defect("its subjectKeyIdentifier extension is malformed");
    c.ski = id.value;
  }

  void aki(Bytes v) {
    c.has_aki = true;
    Reader r(v);
    Element seq;
    if (!r.expect(der::kSequence, seq) || !r.empty())
      return defect("its authorityKeyIdentifier extension is malformed");
    Reader s(seq.value);
    Element e;
    if (s.expect(der::kContext | 0, e)) c.aki_key_id = e.value;
    if (s.expect(der::kContext | der::kConstructed | 1, e)) c.aki_has_issuer = true;
    if (s.expect(der::kContext | 2, e)) c.aki_has_issuer = true;
    if (!s.empty()) defect("its authorityKeyIdentifier extension is malformed");
  }

  // A SEQUENCE OF SEQUENCE well-formedness check for extensions the rules
  // do not read further (AIA, CRL distribution points, policies).
  void sequence_of_sequences(Bytes v, const char* name) {
    Reader r(v);
    Element seq;
    if (!r.expect(der::kSequence, seq) || !r.empty())
      return defect(std::string("its ") + name + " extension is malformed");
    Reader s(seq.value);
    if (s.empty()) return defect(std::string("its ") + name + " extension is empty");
    while (!s.empty()) {
      Element item;
      if (!s.expect(der::kSequence, item)) return defect(std::string("its ") + name + " extension is malformed");
    }
  }

  void access_description(Bytes v, const char* name) {
    Reader r(v);
    Element seq;
    if (!r.expect(der::kSequence, seq) || !r.empty())
      return defect(std::string("its ") + name + " extension is malformed");
    Reader s(seq.value);
    if (s.empty()) return defect(std::string("its ") + name + " extension is empty");
    while (!s.empty()) {
      Element item, method;
      if (!s.expect(der::kSequence, item)) return defect(std::string("its ") + name + " extension is malformed");
      Reader ir(item.value);
      std::vector<GeneralName> location;
      Element loc;
      if (!ir.expect(der::kOid, method) || !ir.next(loc) || !ir.empty() || !parse_general_names(loc.whole, location))
        return defect(std::string("its ") + name + " extension is malformed");
    }
  }
};

bool parse_extensions(Bytes contents, Certificate& c) {
  Reader r(contents);
  Element seq;
  if (!r.expect(der::kSequence, seq) || !r.empty()) return false;
  Reader s(seq.value);
  if (s.empty()) {
    c.defects.push_back("its extensions field is present but empty");
    return true;
  }
  std::set<std::string> seen;
  Decoder d{c};
  while (!s.empty()) {
    Element ext;
    if (!s.expect(der::kSequence, ext)) return false;
    Reader e(ext.value);
    Element oid, crit, value;
    if (!e.expect(der::kOid, oid)) return false;
    Extension x;
    x.oid = oid.value;
    if (e.expect(der::kBoolean, crit)) {
      if (!parse_bool(crit.value, x.critical) || !x.critical) d.defect("an extension encodes critical FALSE (not DER)");
    }
    if (!e.expect(der::kOctetString, value) || !e.empty()) return false;
    x.value = value.value;
    c.extensions.push_back(x);
    const std::string id = der::oid_text(oid.value);
    if (!seen.insert(id).second) {
      d.defect("it has extension " + id + " twice (RFC 5280 4.2)");
      continue;
    }
    if (id == "2.5.29.19") {
      c.basic_constraints_critical = x.critical;
      d.basic_constraints(x.value);
    } else if (id == "2.5.29.15") {
      c.key_usage_critical = x.critical;
      d.key_usage(x.value);
    } else if (id == "2.5.29.37") {
      c.eku_critical = x.critical;
      d.eku(x.value);
    } else if (id == "2.5.29.17") {
      c.san_critical = x.critical;
      d.san(x.value);
    } else if (id == "2.5.29.30") {
      d.name_constraints(x.value);
    } else if (id == "2.5.29.14") {
      if (x.critical) d.defect("its subjectKeyIdentifier is marked critical (RFC 5280 4.2.1.2)");
      d.ski(x.value);
    } else if (id == "2.5.29.35") {
      if (x.critical) d.defect("its authorityKeyIdentifier is marked critical (RFC 5280 4.2.1.1)");
      d.aki(x.value);
    } else if (id == "1.3.6.1.5.5.7.1.1") {
      if (x.critical) d.defect("its authorityInfoAccess is marked critical (RFC 5280 4.2.2.1)");
      d.access_description(x.value, "authorityInfoAccess");
    } else if (id == "1.3.6.1.5.5.7.1.11") {
      if (x.critical) d.defect("its subjectInfoAccess is marked critical (RFC 5280 4.2.2.2)");
      d.access_description(x.value, "subjectInfoAccess");
    } else if (id == "2.5.29.36") {
      if (!x.critical) d.defect("its policyConstraints is not marked critical (RFC 5280 4.2.1.11)");
    } else if (id == "2.5.29.31" || id == "2.5.29.46") {
      d.sequence_of_sequences(x.value, "cRLDistributionPoints");
    } else if (id == "2.5.29.32") {
      d.sequence_of_sequences(x.value, "certificatePolicies");
    } else if (id == "2.5.29.54" || id == "2.5.29.33" || id == "2.5.29.18" || id == "2.5.29.9" ||
               id == "1.3.6.1.4.1.11129.2.4.2" || id == "1.3.6.1.4.1.11129.2.4.3" || id == "1.3.6.1.5.5.7.1.24" ||
               id == "1.3.6.1.5.5.7.48.1.5") {
      // inhibitAnyPolicy, policyMappings, issuerAltName, subjectDirectoryAttributes,
      // CT SCT list / poison, TLS feature, OCSP no-check: known, not processed
      // further (no policy processing: ussl verifies with anyPolicy).
    } else if (x.critical) {
      d.defect("it has an unknown critical extension " + id + " (RFC 5280 4.2)");
    }
  }
  return true;
}

}  // namespace

bool parse_name(Bytes encoding, Name& out) {
  Reader r(encoding);
  Element seq;
  if (!r.expect(der::kSequence, seq) || !r.empty()) return false;
  out.der = seq.whole;
  Reader rdns(seq.value);
  while (!rdns.empty()) {
    Element set;
    if (!rdns.expect(der::kSet, set) || set.value.empty()) return false;
    out.rdns.push_back(set.whole);
    Reader avas(set.value);
    std::string rdn_text;
    while (!avas.empty()) {
      Element ava, oid, value;
      if (!avas.expect(der::kSequence, ava)) return false;
      Reader a(ava.value);
      if (!a.expect(der::kOid, oid) || !a.next(value) || !a.empty()) return false;
      const std::string id = der::oid_text(oid.value);
      const std::string text = as_text(value.value);
      out.key += id + "=" + lower_fold(text) + (avas.empty() ? ";" : "+");
      const char* short_name = attribute_name(id);
      if (!rdn_text.empty()) rdn_text += "+";
      rdn_text += (short_name ? short_name : id) + std::string("=") + text;
      if (id == "2.5.4.3") out.common_names.push_back(text);
      if (id == "1.2.840.113549.1.9.1") out.emails.push_back(text);
    }
    if (!out.text.empty()) out.text += ", ";
    out.text += rdn_text;
  }
  return true;
}

bool parse_time(std::uint8_t tag, Bytes v, std::int64_t& out) {
  const std::string s = as_text(v);
  std::size_t digits = tag == der::kUtcTime ? 12 : tag == der::kGeneralizedTime ? 14 : 0;
  if (digits == 0 || s.size() != digits + 1 || s.back() != 'Z') return false;
  for (std::size_t i = 0; i < digits; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  auto num = [&](std::size_t pos, std::size_t n) { return std::stoi(s.substr(pos, n)); };
  int year = 0;
  std::size_t p = 0;
  if (tag == der::kUtcTime) {
    year = num(0, 2);
    year += year >= 50 ? 1900 : 2000;
    p = 2;
  } else {
    year = num(0, 4);
    p = 4;
  }
  const int month = num(p, 2), day = num(p + 2, 2), hour = num(p + 4, 2), minute = num(p + 6, 2),
            second = num(p + 8, 2);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return false;
  out = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 + hour * 3600 +
        minute * 60 + second;
  return true;
}

std::shared_ptr<const Certificate> parse(Bytes input, std::string* error) {
  auto fail = [&](const char* why) -> std::shared_ptr<const Certificate> {
    if (error) *error = why;
    return nullptr;
  };
  auto c = std::make_shared<Certificate>();
  c->der.assign(input.begin(), input.end());
  const Bytes der(c->der);
  Reader top(der);
  Element cert, tbs, alg, sig;
  if (!top.expect(der::kSequence, cert) || !top.empty()) return fail("not a DER certificate");
  Reader body(cert.value);
  if (!body.expect(der::kSequence, tbs) || !body.expect(der::kSequence, alg) || !body.expect(der::kBitString, sig) ||
      !body.empty())
    return fail("malformed certificate structure");
  c->tbs = tbs.whole;
  c->outer_sig_alg = alg.whole;
  if (sig.value.empty() || sig.value[0] != 0) return fail("malformed signature");
  c->signature = sig.value.subspan(1);

  Reader t(tbs.value);
  Element e;
  if (t.expect(der::kContext | der::kConstructed | 0, e)) {
    Reader v(e.value);
    Element ver;
    if (!v.expect(der::kInteger, ver) || ver.value.size() != 1 || ver.value[0] > 2) return fail("malformed version");
    c->version = ver.value[0] + 1;
    if (c->version == 1) c->defects.push_back("it encodes version v1 explicitly (not DER)");
  }
  Element serial, inner_alg, issuer, validity, subject, spki;
  if (!t.expect(der::kInteger, serial) || serial.value.empty()) return fail("malformed serial number");
  c->serial = serial.value;
  if (!t.expect(der::kSequence, inner_alg)) return fail("malformed signature algorithm");
  c->inner_sig_alg = inner_alg.whole;
  if (!t.expect(der::kSequence, issuer) || !parse_name(issuer.whole, c->issuer)) return fail("malformed issuer name");
  if (!t.expect(der::kSequence, validity)) return fail("malformed validity");
  {
    Reader v(validity.value);
    Element nb, na;
    if (!v.next(nb) || !v.next(na) || !v.empty() || !parse_time(nb.tag, nb.value, c->not_before) ||
        !parse_time(na.tag, na.value, c->not_after))
      return fail("malformed validity times");
  }
  if (!t.expect(der::kSequence, subject) || !parse_name(subject.whole, c->subject))
    return fail("malformed subject name");
  if (!t.expect(der::kSequence, spki) || !parse_public_key(spki.whole, c->key)) return fail("malformed public key");
  c->spki = spki.whole;
  // issuerUniqueID [1], subjectUniqueID [2]: allowed, ignored.
  t.expect(der::kContext | 1, e);
  t.expect(der::kContext | 2, e);
  if (t.expect(der::kContext | der::kConstructed | 3, e)) {
    if (c->version != 3) c->defects.push_back("it has extensions but is not a v3 certificate");
    if (!parse_extensions(e.value, *c)) return fail("malformed extensions");
  }
  if (!t.empty()) return fail("trailing data in the certificate");
  describe_sig_alg(c->inner_sig_alg, c->sig_alg, c->sig_hash, c->sig_alg_name);
  c->self_issued = c->subject.key == c->issuer.key;
  return c;
}

}  // namespace ussl::x509
