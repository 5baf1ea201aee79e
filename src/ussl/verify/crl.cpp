// CRL parsing (RFC 5280 §5.1) for the verifier: a strict DER walk; the
// signature, validity and the issuer's cRLSign are checked where a CRL is
// used (policy.cpp), against the issuer found on the path.
#include <set>

#include "ussl/verify/internal.hpp"

namespace ussl {

std::shared_ptr<const Crl> parse_crl(x509::Bytes input, std::string* error) {
  auto fail = [&](const char* why) -> std::shared_ptr<const Crl> {
    if (error) *error = why;
    return nullptr;
  };
  auto crl = std::make_shared<Crl>();
  crl->der.assign(input.begin(), input.end());
  const x509::Bytes bytes(crl->der);
  der::Reader top(bytes);
  der::Element list, tbs, alg, sig;
  if (!top.expect(der::kSequence, list) || !top.empty()) return fail("not a DER CRL");
  der::Reader body(list.value);
  if (!body.expect(der::kSequence, tbs) || !body.expect(der::kSequence, alg) || !body.expect(der::kBitString, sig) ||
      !body.empty() || sig.value.empty() || sig.value[0] != 0)
    return fail("malformed CRL structure");
  crl->tbs = tbs.whole;
  crl->sig_alg = alg.whole;
  crl->signature = sig.value.subspan(1);
  der::Reader t(tbs.value);
  der::Element e, inner, issuer;
  if (t.expect(der::kInteger, e) && (e.value.size() != 1 || e.value[0] != 1)) return fail("unsupported CRL version");
  if (!t.expect(der::kSequence, inner)) return fail("malformed CRL signature algorithm");
  crl->inner_sig_alg = inner.whole;
  if (!t.expect(der::kSequence, issuer) || !x509::parse_name(issuer.whole, crl->issuer))
    return fail("malformed CRL issuer");
  der::Element tu;
  if (!t.next(tu) || !x509::parse_time(tu.tag, tu.value, crl->this_update)) return fail("malformed thisUpdate");
  if (t.peek(der::kUtcTime) || t.peek(der::kGeneralizedTime)) {
    std::int64_t nu = 0;
    if (!t.next(tu) || !x509::parse_time(tu.tag, tu.value, nu)) return fail("malformed nextUpdate");
    crl->next_update = nu;
  } else {
    crl->defects.push_back("it has no nextUpdate (RFC 5280 5.1.2.5)");
  }
  if (t.expect(der::kSequence, e)) {
    der::Reader revoked(e.value);
    while (!revoked.empty()) {
      der::Element entry, serial;
      if (!revoked.expect(der::kSequence, entry)) return fail("malformed revokedCertificates");
      der::Reader er(entry.value);
      if (!er.expect(der::kInteger, serial)) return fail("malformed revoked serial number");
      crl->revoked_serials.push_back(serial.value);
    }
  }
  if (t.expect(der::kContext | der::kConstructed | 0, e)) {
    der::Reader er(e.value);
    der::Element exts;
    if (!er.expect(der::kSequence, exts)) return fail("malformed crlExtensions");
    der::Reader xs(exts.value);
    std::set<std::string> seen;
    while (!xs.empty()) {
      der::Element ext, oid, crit, value;
      if (!xs.expect(der::kSequence, ext)) return fail("malformed crlExtensions");
      der::Reader x(ext.value);
      if (!x.expect(der::kOid, oid)) return fail("malformed crlExtensions");
      const bool critical = x.expect(der::kBoolean, crit) && crit.value.size() == 1 && crit.value[0] == 0xff;
      if (!x.expect(der::kOctetString, value)) return fail("malformed crlExtensions");
      const std::string id = der::oid_text(oid.value);
      if (!seen.insert(id).second) crl->defects.push_back("it has extension " + id + " twice");
      if (id == "2.5.29.20") {
        crl->has_crl_number = true;
        if (critical) crl->defects.push_back("its cRLNumber extension is critical (RFC 5280 5.2.3)");
      } else if (id == "2.5.29.35") {
        // authorityKeyIdentifier: fine either way.
      } else if (critical) {
        crl->defects.push_back("it has an unknown critical extension " + id + " (RFC 5280 5.2)");
      }
    }
  }
  if (!t.empty()) return fail("trailing data in the CRL");
  if (!crl->has_crl_number) crl->defects.push_back("it has no cRLNumber extension (RFC 5280 5.2.3)");
  if (!der::equal(crl->inner_sig_alg, crl->sig_alg))
    crl->defects.push_back("its two signature algorithm fields differ (RFC 5280 5.1.2.2)");
  return crl;
}

}  // namespace ussl
