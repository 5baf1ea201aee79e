// Name rules of the verifier: name-constraint matching (RFC 5280
// §4.2.1.10, §6.1.3 (b)/(c)) and the syntax of names in certificates.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "ussl/verify/x509.hpp"

namespace ussl::names {

// Most name/constraint comparisons one path may cost (as Go's
// maxConstraintComparisons): a certificate with thousands of names under
// thousands of constraints fails instead of taking quadratic time.
inline constexpr std::size_t kComparisonBudget = 250000;

// Checks `cert`'s names (SANs, subject DN, subject emailAddress, and the CN
// as a DNS name when a leaf has no SAN) against one issuer's constraints.
// nullopt when allowed; otherwise the reason. `budget` is decremented by the
// comparisons made; when it runs out the reason says so.
std::optional<std::string> check_constraints(const x509::NameConstraints& nc, const x509::Certificate& cert,
                                             bool is_leaf, std::size_t& budget);

// Syntax of the constraints themselves (a DNS constraint with a wildcard
// or leading period, an IP constraint whose mask is not contiguous, ...).
std::optional<std::string> constraint_syntax_error(const x509::NameConstraints& nc);

// Syntax of a certificate's SAN entries: dNSName (LDH labels, "*" only as
// the whole leftmost label), iPAddress (4 or 16 octets), rfc822Name.
std::optional<std::string> san_syntax_error(const x509::Certificate& cert);

// Textual form of an iPAddress SAN value ("192.0.2.1", "2001:db8::1").
std::string ip_text(x509::Bytes value);

}  // namespace ussl::names
