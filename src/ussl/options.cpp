// Names of the Options values, wolfSSL's error text, and what this wolfSSL
// build offers.
#include "internal.hpp"

namespace ussl {

std::string wolfssl_error_text(int code) {
  char buf[WOLFSSL_MAX_ERROR_SZ] = {};
  wolfSSL_ERR_error_string_n(static_cast<unsigned long>(code), buf, sizeof buf);
  return buf;
}

std::string_view cert_reqs_name(CertReqs reqs) noexcept {
  switch (reqs) {
    case CertReqs::none:
      return "none";
    case CertReqs::optional:
      return "optional";
    case CertReqs::required:
      return "required";
  }
  return "none";
}

std::string_view tls_version_name(TlsVersion version) noexcept {
  switch (version) {
    case TlsVersion::tls1_0:
      return "TLSv1.0";
    case TlsVersion::tls1_1:
      return "TLSv1.1";
    case TlsVersion::tls1_2:
      return "TLSv1.2";
    case TlsVersion::tls1_3:
      break;
  }
  return "TLSv1.3";
}
bool is_legacy_version(std::string_view name) noexcept {
  return name == "TLSv1" || name == "TLSv1.0" || name == "TLSv1.1" || name == "SSLv3" || name == "SSLv2";
}

bool is_legacy_suite(std::string_view n) noexcept {
  const auto has = [n](std::string_view part) { return n.find(part) != std::string_view::npos; };
  const bool cbc_sha1 = has("_CBC_SHA") && !has("_CBC_SHA256") && !has("_CBC_SHA384");
  return n.starts_with("TLS_RSA_WITH_") || cbc_sha1 || has("3DES") || has("RC4") || has("_NULL_") || has("EXPORT") ||
         has("_anon_");
}

std::string wolfssl_version() { return wolfSSL_lib_version(); }

std::vector<Feature> wolfssl_features() {
  return {
#ifdef WOLFSSL_TLS13
    {"tls13", true},
#else
    {"tls13", false},
#endif
#ifdef HAVE_SNI
        {"sni", true},
#else
        {"sni", false},
#endif
#ifdef HAVE_ALPN
        {"alpn", true},
#else
        {"alpn", false},
#endif
#ifdef HAVE_SESSION_TICKET
        {"session_tickets", true},
#else
        {"session_tickets", false},
#endif
#ifndef NO_SESSION_CACHE
        {"session_cache", true},
#else
        {"session_cache", false},
#endif
#ifdef HAVE_SECRET_CALLBACK
        {"secret_callback", true},
#else
        {"secret_callback", false},
#endif
#ifdef WOLFSSL_EARLY_DATA
        {"early_data", true},
#else
        {"early_data", false},
#endif
#ifdef WOLFSSL_HAVE_SET_TLS13_MIDDLEBOX_COMPAT  // the mode, and ussl's patch to turn it off
        {"middlebox_compat", true},
#else
        {"middlebox_compat", false},
#endif
#ifndef NO_OLD_TLS
        {"oldtls", true},
#else
        {"oldtls", false},
#endif
#ifdef WOLFSSL_ALLOW_TLSV10
        {"tls10", true},
#else
        {"tls10", false},
#endif
#ifdef HAVE_CURVE25519
        {"x25519", true},
#else
        {"x25519", false},
#endif
#if defined(WOLFSSL_AESNI) || defined(USE_INTEL_SPEEDUP)
        {"aesni", true},
#else
        {"aesni", false},
#endif
#ifdef USE_INTEL_SPEEDUP
        {"intel_asm", true},
#else
        {"intel_asm", false},
#endif
#ifdef WOLFSSL_SP_X86_64_ASM
        {"sp_asm", true},
#else
        {"sp_asm", false},
#endif
        // The ML-KEM hybrid groups (X25519MLKEM768 ...), wolfSSL 5.8 and later.
        {"mlkem", known_groups().front().built},
    // The signature schemes of a TLS 1.3 handshake can be reported (wolfSSL 5.7 and later).
#ifdef USSL_HAVE_SIGNATURE_NIDS
        {"signature_schemes", true},
#else
        {"signature_schemes", false},
#endif
  };
}

}  // namespace ussl
