// --ciphers: cipher suites as wolfSSL or IANA (RFC 8446 / the TLS registry)
// spell them, turned into a wolfSSL cipher list.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ussl::apps {

// The wolfSSL name of an IANA cipher suite name (case-insensitive), e.g.
// TLS_AES_128_GCM_SHA256 -> TLS13-AES128-GCM-SHA256,
// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 -> ECDHE-ECDSA-AES128-GCM-SHA256;
// nullopt for a name that is not in the table (a wolfSSL name, or unknown).
std::optional<std::string_view> wolfssl_cipher_name(std::string_view iana);

// Converts a ':' or ',' separated list, IANA names to wolfSSL names, others
// unchanged. Throws ussl::Error(usage) for an empty list or an empty entry.
std::string to_wolfssl_cipher_list(const std::string& list);

// Throws ussl::Error(usage) naming the first suite this wolfSSL does not
// know: wolfSSL itself silently drops unknown names from a list.
void check_cipher_list(const std::string& wolfssl_list, const std::string& as_given);

}  // namespace ussl::apps
