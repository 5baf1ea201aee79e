// The IANA registries the scan probes: cipher suites (with key exchange,
// version range and legacy marks), supported groups, signature schemes and
// SSLv2 cipher kinds, with their names (RFC 8446 B.4, RFC 5246 A.5, the TLS
// parameters registry). Pure data and lookups; the bytes are in wire.cpp.
#include <cstdio>

#include "client/scan/wire.hpp"
#include "ussl/error.hpp"

namespace ussl::apps::scan {
namespace {

// clang-format off
constexpr SuiteInfo kSuites[] = {
    {0x1301, "TLS_AES_128_GCM_SHA256", Kx::tls13},
    {0x1302, "TLS_AES_256_GCM_SHA384", Kx::tls13},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256", Kx::tls13},
    {0x1304, "TLS_AES_128_CCM_SHA256", Kx::tls13},
    {0x1305, "TLS_AES_128_CCM_8_SHA256", Kx::tls13},
    {0x0001, "TLS_RSA_WITH_NULL_MD5", Kx::rsa},
    {0x0002, "TLS_RSA_WITH_NULL_SHA", Kx::rsa},
    {0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", Kx::rsa},
    {0x0004, "TLS_RSA_WITH_RC4_128_MD5", Kx::rsa},
    {0x0005, "TLS_RSA_WITH_RC4_128_SHA", Kx::rsa},
    {0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", Kx::rsa},
    {0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA", Kx::rsa},
    {0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", Kx::rsa},
    {0x0009, "TLS_RSA_WITH_DES_CBC_SHA", Kx::rsa},
    {0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", Kx::rsa},
    {0x000D, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA", Kx::static_dh},
    {0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA", Kx::static_dh},
    {0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA", Kx::dhe},
    {0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA", Kx::dhe},
    {0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", Kx::dhe},
    {0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", Kx::dhe},
    {0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA", Kx::dhe},
    {0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", Kx::dhe},
    {0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5", Kx::anon_dh},
    {0x0018, "TLS_DH_anon_WITH_RC4_128_MD5", Kx::anon_dh},
    {0x001B, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA", Kx::anon_dh},
    {0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", Kx::rsa},
    {0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", Kx::dhe},
    {0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", Kx::dhe},
    {0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA", Kx::anon_dh},
    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", Kx::rsa},
    {0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA", Kx::dhe},
    {0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", Kx::dhe},
    {0x003A, "TLS_DH_anon_WITH_AES_256_CBC_SHA", Kx::anon_dh},
    {0x003B, "TLS_RSA_WITH_NULL_SHA256", Kx::rsa},
    {0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", Kx::rsa},
    {0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", Kx::rsa},
    {0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256", Kx::dhe},
    {0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", Kx::rsa},
    {0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA", Kx::dhe},
    {0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA", Kx::dhe},
    {0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", Kx::dhe},
    {0x006A, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", Kx::dhe},
    {0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", Kx::dhe},
    {0x006C, "TLS_DH_anon_WITH_AES_128_CBC_SHA256", Kx::anon_dh},
    {0x006D, "TLS_DH_anon_WITH_AES_256_CBC_SHA256", Kx::anon_dh},
    {0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA", Kx::rsa},
    {0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA", Kx::dhe},
    {0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA", Kx::dhe},
    {0x0096, "TLS_RSA_WITH_SEED_CBC_SHA", Kx::rsa},
    {0x009A, "TLS_DHE_RSA_WITH_SEED_CBC_SHA", Kx::dhe},
    {0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", Kx::rsa},
    {0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", Kx::rsa},
    {0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", Kx::dhe},
    {0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", Kx::dhe},
    {0x00A2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", Kx::dhe},
    {0x00A3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", Kx::dhe},
    {0x00A6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256", Kx::anon_dh},
    {0x00A7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384", Kx::anon_dh},
    {0x00BA, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256", Kx::rsa},
    {0x00BE, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", Kx::dhe},
    {0x00C0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256", Kx::rsa},
    {0x00C4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256", Kx::dhe},
    {0xC002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA", Kx::static_dh},
    {0xC003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA", Kx::static_dh},
    {0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA", Kx::static_dh},
    {0xC005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA", Kx::static_dh},
    {0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA", Kx::ecdhe},
    {0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", Kx::ecdhe},
    {0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", Kx::ecdhe},
    {0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", Kx::ecdhe},
    {0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", Kx::ecdhe},
    {0xC00C, "TLS_ECDH_RSA_WITH_RC4_128_SHA", Kx::static_dh},
    {0xC00D, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA", Kx::static_dh},
    {0xC00E, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA", Kx::static_dh},
    {0xC00F, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA", Kx::static_dh},
    {0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA", Kx::ecdhe},
    {0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA", Kx::ecdhe},
    {0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", Kx::ecdhe},
    {0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", Kx::ecdhe},
    {0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", Kx::ecdhe},
    {0xC016, "TLS_ECDH_anon_WITH_RC4_128_SHA", Kx::anon_ecdh},
    {0xC017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA", Kx::anon_ecdh},
    {0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", Kx::anon_ecdh},
    {0xC019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA", Kx::anon_ecdh},
    {0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", Kx::ecdhe},
    {0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", Kx::ecdhe},
    {0xC025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256", Kx::static_dh},
    {0xC026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384", Kx::static_dh},
    {0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", Kx::ecdhe},
    {0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", Kx::ecdhe},
    {0xC029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256", Kx::static_dh},
    {0xC02A, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384", Kx::static_dh},
    {0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", Kx::ecdhe},
    {0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", Kx::ecdhe},
    {0xC02D, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256", Kx::static_dh},
    {0xC02E, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384", Kx::static_dh},
    {0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", Kx::ecdhe},
    {0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", Kx::ecdhe},
    {0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256", Kx::static_dh},
    {0xC032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384", Kx::static_dh},
    {0xC03C, "TLS_RSA_WITH_ARIA_128_CBC_SHA256", Kx::rsa},
    {0xC03D, "TLS_RSA_WITH_ARIA_256_CBC_SHA384", Kx::rsa},
    {0xC044, "TLS_DHE_RSA_WITH_ARIA_128_CBC_SHA256", Kx::dhe},
    {0xC045, "TLS_DHE_RSA_WITH_ARIA_256_CBC_SHA384", Kx::dhe},
    {0xC048, "TLS_ECDHE_ECDSA_WITH_ARIA_128_CBC_SHA256", Kx::ecdhe},
    {0xC049, "TLS_ECDHE_ECDSA_WITH_ARIA_256_CBC_SHA384", Kx::ecdhe},
    {0xC04C, "TLS_ECDHE_RSA_WITH_ARIA_128_CBC_SHA256", Kx::ecdhe},
    {0xC04D, "TLS_ECDHE_RSA_WITH_ARIA_256_CBC_SHA384", Kx::ecdhe},
    {0xC050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256", Kx::rsa},
    {0xC051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384", Kx::rsa},
    {0xC052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256", Kx::dhe},
    {0xC053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384", Kx::dhe},
    {0xC05C, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256", Kx::ecdhe},
    {0xC05D, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384", Kx::ecdhe},
    {0xC060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256", Kx::ecdhe},
    {0xC061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384", Kx::ecdhe},
    {0xC072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256", Kx::ecdhe},
    {0xC073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384", Kx::ecdhe},
    {0xC076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", Kx::ecdhe},
    {0xC077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384", Kx::ecdhe},
    {0xC07A, "TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256", Kx::rsa},
    {0xC07B, "TLS_RSA_WITH_CAMELLIA_256_GCM_SHA384", Kx::rsa},
    {0xC07C, "TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256", Kx::dhe},
    {0xC07D, "TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384", Kx::dhe},
    {0xC086, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256", Kx::ecdhe},
    {0xC087, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384", Kx::ecdhe},
    {0xC08A, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256", Kx::ecdhe},
    {0xC08B, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384", Kx::ecdhe},
    {0xC09C, "TLS_RSA_WITH_AES_128_CCM", Kx::rsa},
    {0xC09D, "TLS_RSA_WITH_AES_256_CCM", Kx::rsa},
    {0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM", Kx::dhe},
    {0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM", Kx::dhe},
    {0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8", Kx::rsa},
    {0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8", Kx::rsa},
    {0xC0A2, "TLS_DHE_RSA_WITH_AES_128_CCM_8", Kx::dhe},
    {0xC0A3, "TLS_DHE_RSA_WITH_AES_256_CCM_8", Kx::dhe},
    {0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", Kx::ecdhe},
    {0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", Kx::ecdhe},
    {0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", Kx::ecdhe},
    {0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", Kx::ecdhe},
    {0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", Kx::ecdhe},
    {0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", Kx::ecdhe},
    {0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", Kx::dhe},
};

constexpr NamedCode kGroups[] = {
    {0x11EC, "X25519MLKEM768"}, {0x11EB, "SecP256r1MLKEM768"}, {0x11ED, "SecP384r1MLKEM1024"},
    {0x0200, "MLKEM512"}, {0x0201, "MLKEM768"}, {0x0202, "MLKEM1024"},
    {0x001D, "x25519"}, {0x0017, "secp256r1"}, {0x0018, "secp384r1"}, {0x0019, "secp521r1"}, {0x001E, "x448"},
    {0x0015, "secp224r1"},
    {0x001A, "brainpoolP256r1"}, {0x001B, "brainpoolP384r1"}, {0x001C, "brainpoolP512r1"},
    {0x001F, "brainpoolP256r1tls13"}, {0x0020, "brainpoolP384r1tls13"}, {0x0021, "brainpoolP512r1tls13"},
    {0x0100, "ffdhe2048"}, {0x0101, "ffdhe3072"}, {0x0102, "ffdhe4096"}, {0x0103, "ffdhe6144"}, {0x0104, "ffdhe8192"},
};

constexpr NamedCode kSigalgs[] = {
    {0x0403, "ecdsa_secp256r1_sha256"}, {0x0503, "ecdsa_secp384r1_sha384"}, {0x0603, "ecdsa_secp521r1_sha512"},
    {0x0807, "ed25519"}, {0x0808, "ed448"},
    {0x0804, "rsa_pss_rsae_sha256"}, {0x0805, "rsa_pss_rsae_sha384"}, {0x0806, "rsa_pss_rsae_sha512"},
    {0x0809, "rsa_pss_pss_sha256"}, {0x080A, "rsa_pss_pss_sha384"}, {0x080B, "rsa_pss_pss_sha512"},
    {0x0401, "rsa_pkcs1_sha256"}, {0x0501, "rsa_pkcs1_sha384"}, {0x0601, "rsa_pkcs1_sha512"},
    {0x081A, "ecdsa_brainpoolP256r1tls13_sha256"}, {0x081B, "ecdsa_brainpoolP384r1tls13_sha384"},
    {0x081C, "ecdsa_brainpoolP512r1tls13_sha512"},
    {0x0904, "mldsa44"}, {0x0905, "mldsa65"}, {0x0906, "mldsa87"},
    {0x0201, "rsa_pkcs1_sha1"}, {0x0203, "ecdsa_sha1"},
};

constexpr std::pair<std::uint32_t, const char*> kSsl2Ciphers[] = {
    {0x010080, "SSL_CK_RC4_128_WITH_MD5"},
    {0x020080, "SSL_CK_RC4_128_EXPORT40_WITH_MD5"},
    {0x030080, "SSL_CK_RC2_128_CBC_WITH_MD5"},
    {0x040080, "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5"},
    {0x050080, "SSL_CK_IDEA_128_CBC_WITH_MD5"},
    {0x060040, "SSL_CK_DES_64_CBC_WITH_MD5"},
    {0x0700C0, "SSL_CK_DES_192_EDE3_CBC_WITH_MD5"},
};

// x25519: u = 9. secp256r1: the uncompressed base point.
// clang-format on

std::string hex4(std::uint16_t id) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04X", id);
  return buf;
}

template <typename T>
const char* name_in(std::span<const T> table, std::uint16_t id) {
  for (const auto& e : table) {
    if (e.id == id) return e.name;
  }
  return nullptr;
}

}  // namespace

std::span<const SuiteInfo> known_suites() { return kSuites; }
std::span<const NamedCode> known_groups() { return kGroups; }
std::span<const NamedCode> known_sigalgs() { return kSigalgs; }
std::span<const std::pair<std::uint32_t, const char*>> sslv2_ciphers() { return kSsl2Ciphers; }

const SuiteInfo* suite_info(std::uint16_t id) {
  for (const auto& s : kSuites) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

std::string suite_name(std::uint16_t id) {
  const SuiteInfo* s = suite_info(id);
  return s != nullptr ? s->name : hex4(id);
}
std::string group_name(std::uint16_t id) {
  const char* n = name_in<NamedCode>(kGroups, id);
  return n != nullptr ? n : hex4(id);
}
std::string sigalg_name(std::uint16_t id) {
  const char* n = name_in<NamedCode>(kSigalgs, id);
  return n != nullptr ? n : hex4(id);
}

std::string version_name(std::uint16_t v) {
  switch (v) {
    case kSsl2:
      return "SSLv2";
    case kSsl3:
      return "SSLv3";
    case kTls10:
      return "TLSv1.0";
    case kTls11:
      return "TLSv1.1";
    case kTls12:
      return "TLSv1.2";
    case kTls13:
      return "TLSv1.3";
    default:
      return hex4(v);
  }
}

// The library's one table of alert names (ussl/error.hpp).
std::string alert_name(int d) { return ussl::alert_name(d); }

bool is_ec_group(std::uint16_t id) { return (id >= 0x0015 && id <= 0x001E); }
bool is_hybrid_or_kem(std::uint16_t id) { return (id >= 0x0200 && id <= 0x0202) || (id >= 0x11EB && id <= 0x11ED); }

}  // namespace ussl::apps::scan
