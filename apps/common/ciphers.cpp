#include "common/ciphers.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "common/text.hpp"
#include "ussl/socket.hpp"

namespace ussl::apps {
namespace {

struct CipherName {
  std::string_view iana;
  std::string_view wolfssl;
};

// IANA name -> wolfSSL name. Generated from Debian 12's wolfSSL 5.5.4, the
// widest build (wolfSSL_get_cipher_name_iana_from_suite / _from_suite over
// every suite it knows; the tuned 5.7.2 knows a subset with the same
// names), plus the static-RSA suites neither build has. A name in the table
// that a build lacks is refused by check_cipher_list.
constexpr std::array kCipherNames = {
    CipherName{"TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", "EDH-RSA-DES-CBC3-SHA"},
    CipherName{"TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "DHE-RSA-AES128-SHA"},
    CipherName{"TLS_DH_anon_WITH_AES_128_CBC_SHA", "ADH-AES128-SHA"},
    CipherName{"TLS_DHE_RSA_WITH_AES_256_CBC_SHA", "DHE-RSA-AES256-SHA"},
    CipherName{"TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA", "DHE-RSA-CAMELLIA128-SHA"},
    CipherName{"TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", "DHE-RSA-AES128-SHA256"},
    CipherName{"TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", "DHE-RSA-AES256-SHA256"},
    CipherName{"TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA", "DHE-RSA-CAMELLIA256-SHA"},
    CipherName{"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "DHE-RSA-AES128-GCM-SHA256"},
    CipherName{"TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "DHE-RSA-AES256-GCM-SHA384"},
    CipherName{"TLS_DH_anon_WITH_AES_256_GCM_SHA384", "ADH-AES256-GCM-SHA384"},
    CipherName{"TLS_DHE_PSK_WITH_AES_128_GCM_SHA256", "DHE-PSK-AES128-GCM-SHA256"},
    CipherName{"TLS_DHE_PSK_WITH_AES_256_GCM_SHA384", "DHE-PSK-AES256-GCM-SHA384"},
    CipherName{"TLS_DHE_PSK_WITH_AES_128_CBC_SHA256", "DHE-PSK-AES128-CBC-SHA256"},
    CipherName{"TLS_DHE_PSK_WITH_AES_256_CBC_SHA384", "DHE-PSK-AES256-CBC-SHA384"},
    CipherName{"TLS_DHE_PSK_WITH_NULL_SHA256", "DHE-PSK-NULL-SHA256"},
    CipherName{"TLS_DHE_PSK_WITH_NULL_SHA384", "DHE-PSK-NULL-SHA384"},
    CipherName{"TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", "DHE-RSA-CAMELLIA128-SHA256"},
    CipherName{"TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256", "DHE-RSA-CAMELLIA256-SHA256"},
    CipherName{"TLS_AES_128_GCM_SHA256", "TLS13-AES128-GCM-SHA256"},
    CipherName{"TLS_AES_256_GCM_SHA384", "TLS13-AES256-GCM-SHA384"},
    CipherName{"TLS_CHACHA20_POLY1305_SHA256", "TLS13-CHACHA20-POLY1305-SHA256"},
    CipherName{"TLS_AES_128_CCM_SHA256", "TLS13-AES128-CCM-SHA256"},
    CipherName{"TLS_AES_128_CCM_8_SHA256", "TLS13-AES128-CCM-8-SHA256"},
    CipherName{"TLS_ECDHE_ECDSA_WITH_NULL_SHA", "ECDHE-ECDSA-NULL-SHA"},
    CipherName{"TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "ECDHE-ECDSA-RC4-SHA"},
    CipherName{"TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-ECDSA-DES-CBC3-SHA"},
    CipherName{"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
    CipherName{"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
    CipherName{"TLS_ECDHE_RSA_WITH_RC4_128_SHA", "ECDHE-RSA-RC4-SHA"},
    CipherName{"TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-RSA-DES-CBC3-SHA"},
    CipherName{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    CipherName{"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    CipherName{"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA-AES128-SHA256"},
    CipherName{"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "ECDHE-ECDSA-AES256-SHA384"},
    CipherName{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA-AES128-SHA256"},
    CipherName{"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "ECDHE-RSA-AES256-SHA384"},
    CipherName{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    CipherName{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    CipherName{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    CipherName{"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    CipherName{"TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256", "ECDHE-PSK-AES128-CBC-SHA256"},
    CipherName{"TLS_ECDHE_PSK_WITH_NULL_SHA256", "ECDHE-PSK-NULL-SHA256"},
    CipherName{"TLS_DHE_PSK_WITH_AES_128_CCM", "DHE-PSK-AES128-CCM"},
    CipherName{"TLS_DHE_PSK_WITH_AES_256_CCM", "DHE-PSK-AES256-CCM"},
    CipherName{"TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "ECDHE-ECDSA-AES128-CCM"},
    CipherName{"TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", "ECDHE-ECDSA-AES128-CCM-8"},
    CipherName{"TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", "ECDHE-ECDSA-AES256-CCM-8"},
    CipherName{"TLS_SHA256_SHA256", "TLS13-SHA256-SHA256"},
    CipherName{"TLS_SHA384_SHA384", "TLS13-SHA384-SHA384"},
    CipherName{"TLS_ECDHE_RSA_WITH_CHACHA20_OLD_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305-OLD"},
    CipherName{"TLS_ECDHE_ECDSA_WITH_CHACHA20_OLD_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305-OLD"},
    CipherName{"TLS_DHE_RSA_WITH_CHACHA20_OLD_POLY1305_SHA256", "DHE-RSA-CHACHA20-POLY1305-OLD"},
    CipherName{"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
    CipherName{"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
    CipherName{"TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "DHE-RSA-CHACHA20-POLY1305"},
    CipherName{"TLS_PSK_WITH_CHACHA20_POLY1305_SHA256", "PSK-CHACHA20-POLY1305"},
    CipherName{"TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-PSK-CHACHA20-POLY1305"},
    CipherName{"TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256", "DHE-PSK-CHACHA20-POLY1305"},
    CipherName{"TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256", "ECDHE-PSK-AES128-GCM-SHA256"},
    CipherName{"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
    CipherName{"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
    CipherName{"TLS_RSA_WITH_AES_128_CBC_SHA256", "AES128-SHA256"},
    CipherName{"TLS_RSA_WITH_AES_256_CBC_SHA256", "AES256-SHA256"},
    CipherName{"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
    CipherName{"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
};

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
         });
}

std::vector<std::string> split_list(const std::string& list) { return split(list, ":,"); }

}  // namespace

std::optional<std::string_view> wolfssl_cipher_name(std::string_view iana) {
  for (const auto& entry : kCipherNames) {
    if (iequal(entry.iana, iana)) return entry.wolfssl;
  }
  return std::nullopt;
}

std::string to_wolfssl_cipher_list(const std::string& list) {
  std::string out;
  for (const auto& name : split_list(list)) {
    if (name.empty()) throw Error(ErrorKind::usage, "--ciphers '" + list + "': empty cipher suite name");
    if (!out.empty()) out += ':';
    const auto converted = wolfssl_cipher_name(name);
    out += converted ? std::string(*converted) : name;
  }
  return out;
}

void check_cipher_list(const std::string& wolfssl_list, const std::string& as_given) {
  const auto given = split_list(as_given);
  const auto names = split_list(wolfssl_list);
  for (std::size_t i = 0; i < names.size(); ++i) {
    Options probe;  // a client context without files: cheap, and validates only the name
    probe.ciphers = names[i];
    try {
      Context::create(probe);
    } catch (const Error&) {
      throw Error(ErrorKind::usage, "--ciphers: unknown cipher suite '" + (i < given.size() ? given[i] : names[i]) +
                                        "' (not an IANA or wolfSSL name this wolfSSL " + wolfssl_version() +
                                        " supports)");
    }
  }
}

}  // namespace ussl::apps
