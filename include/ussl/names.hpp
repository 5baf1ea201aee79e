// Server names: the form a name takes on the wire (SNI) and the rule that
// matches it against a certificate.
#pragma once

#include <string>
#include <string_view>

#include "ussl/certificate.hpp"

namespace ussl {

// The form of a server name that is sent as SNI and matched against
// certificates:
// - an IPv4 or IPv6 literal is returned as given (it is never sent as SNI,
//   RFC 6066 §3, and is matched only against iPAddress SANs);
// - a DNS name loses one trailing dot (RFC 6066 §3: "The hostname is
//   represented ... without a trailing dot");
// - a name with non-ASCII characters has its U-labels converted to A-labels
//   (IDNA 2008, RFC 5891 §5, with the UTS #46 non-transitional mapping that
//   browsers and curl apply, through libidn2): "Bücher.example" becomes
//   "xn--bcher-kva.example". An ASCII name is kept as given, case included.
// Throws Error(usage) for an empty name, a name with an empty label
// ("a..b", "name.."), or one libidn2 cannot convert (the message says why).
std::string normalize_server_name(std::string_view name);

// The outcome of matching a server name against a leaf certificate.
struct NameMatch {
  bool ok = false;
  // The match relied on the subject CN, because the certificate has no
  // dNSName or iPAddress SAN (RFC 6125 §6.4.4 legacy; CA/Browser Forum
  // certificates always carry SANs).
  bool cn_fallback = false;
  // Why it did not match ("" when ok): names the certificate, what it is for
  // and the rule that refused the name.
  std::string reason;
};

// The server-name rule (RFC 6125 §6 / RFC 9525 §6.3 with the CA/Browser
// Forum's wildcard profile), name first normalized as above:
// - an IP literal matches only an iPAddress SAN with the same address,
//   never the CN or a dNSName (RFC 9525 §6.3);
// - a DNS name matches dNSName SANs case-insensitively, or the subject CN
//   when the certificate has no dNSName and no iPAddress SAN (cn_fallback);
// - "*" matches exactly one label, only as the whole leftmost label, with at
//   least two labels after it, and never when the rest is a public suffix
//   of the Public Suffix List, ICANN or private section ("*.co.uk",
//   "*.s3.amazonaws.com": RFC 6125 §7.2, CA/Browser Forum BR 3.2.2.6).
// Never throws.
NameMatch match_server_name(const CertificateInfo& cert, std::string_view name);

// True when "*.<rest>" may not be honoured because <rest> is a public suffix
// (either section of the list). The list is the newest of libpsl's built-in
// copy and Debian's publicsuffix data file (psl_latest); "" or an unknown
// name is not a public suffix.
bool is_public_suffix(std::string_view domain);

}  // namespace ussl
