#include "ussl/certificate.hpp"

// clang-format off
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/sha256.h>
#include <wolfssl/wolfcrypt/coding.h>
// clang-format on

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <memory>

#include "ussl/error.hpp"

namespace ussl {
namespace {

constexpr int kGenEmail = 1;
constexpr int kGenDns = 2;
constexpr int kGenUri = 6;
constexpr int kGenIp = 7;

struct X509Free {
  void operator()(WOLFSSL_X509* x) const { wolfSSL_X509_free(x); }
};
struct NamesFree {
  void operator()(WOLFSSL_GENERAL_NAMES* n) const { wolfSSL_GENERAL_NAMES_free(n); }
};

std::string asn1_string(WOLFSSL_ASN1_STRING* s) {
  if (s == nullptr) return {};
  const unsigned char* data = wolfSSL_ASN1_STRING_data(s);
  const int len = wolfSSL_ASN1_STRING_length(s);
  if (data == nullptr || len <= 0) return {};
  return {reinterpret_cast<const char*>(data), static_cast<std::size_t>(len)};
}

std::string to_hex(const unsigned char* data, std::size_t len) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (std::size_t i = 0; i < len; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xf]);
  }
  return out;
}

// RFC 4514-like rendering: "CN=localhost, O=ussl". Values keep their order
// in the certificate (most significant first), which is what people read.
std::string format_name(WOLFSSL_X509_NAME* name, std::string* common_name) {
  if (name == nullptr) return {};
  std::string out;
  const int count = wolfSSL_X509_NAME_entry_count(name);
  for (int i = 0; i < count; ++i) {
    WOLFSSL_X509_NAME_ENTRY* entry = wolfSSL_X509_NAME_get_entry(name, i);
    if (entry == nullptr) continue;
    const int nid = wolfSSL_OBJ_obj2nid(wolfSSL_X509_NAME_ENTRY_get_object(entry));
    const char* sn = wolfSSL_OBJ_nid2sn(nid);
    const std::string value = asn1_string(wolfSSL_X509_NAME_ENTRY_get_data(entry));
    if (!out.empty()) out += ", ";
    out += sn ? sn : std::to_string(nid);
    out += '=';
    out += value;
    if (nid == NID_commonName && common_name != nullptr && common_name->empty()) *common_name = value;
  }
  return out;
}

// ASN.1 UTCTime "YYMMDDHHMMSSZ" or GeneralizedTime "YYYYMMDDHHMMSSZ".
bool parse_asn1_time(const WOLFSSL_ASN1_TIME* t, std::string& iso, std::int64_t& epoch) {
  if (t == nullptr) return false;
  std::string s(reinterpret_cast<const char*>(t->data), static_cast<std::size_t>(std::max(0, t->length)));
  while (!s.empty() && s.back() == '\0') s.pop_back();
  if (s.empty() || s.back() != 'Z') return false;
  s.pop_back();
  if (!std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return false;
  int year = 0;
  std::size_t pos = 0;
  if (s.size() == 12) {
    year = std::stoi(s.substr(0, 2));
    year += year >= 50 ? 1900 : 2000;
    pos = 2;
  } else if (s.size() == 14) {
    year = std::stoi(s.substr(0, 4));
    pos = 4;
  } else {
    return false;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = std::stoi(s.substr(pos, 2)) - 1;
  tm.tm_mday = std::stoi(s.substr(pos + 2, 2));
  tm.tm_hour = std::stoi(s.substr(pos + 4, 2));
  tm.tm_min = std::stoi(s.substr(pos + 6, 2));
  tm.tm_sec = std::stoi(s.substr(pos + 8, 2));
  epoch = static_cast<std::int64_t>(timegm(&tm));
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  iso = buf.data();
  return true;
}

}  // namespace

std::string CertificateInfo::pem() const {
  std::string b64;
  word32 out_len = static_cast<word32>(der.size() * 2 + 128);
  b64.resize(out_len);
  if (Base64_Encode(der.data(), static_cast<word32>(der.size()), reinterpret_cast<byte*>(b64.data()), &out_len) != 0)
    return {};
  b64.resize(out_len);
  return "-----BEGIN CERTIFICATE-----\n" + b64 + "-----END CERTIFICATE-----\n";
}

CertificateInfo parse_certificate(std::span<const std::uint8_t> der) {
  std::unique_ptr<WOLFSSL_X509, X509Free> x509(wolfSSL_X509_d2i(nullptr, der.data(), static_cast<int>(der.size())));
  if (!x509) throw Error(ErrorKind::internal, "could not parse a peer certificate");
  CertificateInfo info;
  info.der.assign(der.begin(), der.end());
  info.subject = format_name(wolfSSL_X509_get_subject_name(x509.get()), &info.common_name);
  info.issuer = format_name(wolfSSL_X509_get_issuer_name(x509.get()), nullptr);
  info.self_issued =
      wolfSSL_X509_NAME_cmp(wolfSSL_X509_get_subject_name(x509.get()), wolfSSL_X509_get_issuer_name(x509.get())) == 0;
  parse_asn1_time(wolfSSL_X509_get_notBefore(x509.get()), info.not_before, info.not_before_epoch);
  parse_asn1_time(wolfSSL_X509_get_notAfter(x509.get()), info.not_after, info.not_after_epoch);

  std::array<unsigned char, 64> serial{};
  int serial_len = static_cast<int>(serial.size());
  if (wolfSSL_X509_get_serial_number(x509.get(), serial.data(), &serial_len) == WOLFSSL_SUCCESS)
    info.serial = to_hex(serial.data(), static_cast<std::size_t>(serial_len));

  std::array<unsigned char, WC_SHA256_DIGEST_SIZE> digest{};
  if (wc_Sha256Hash(der.data(), static_cast<word32>(der.size()), digest.data()) == 0)
    info.sha256 = to_hex(digest.data(), digest.size());

  std::unique_ptr<WOLFSSL_GENERAL_NAMES, NamesFree> names(static_cast<WOLFSSL_GENERAL_NAMES*>(
      wolfSSL_X509_get_ext_d2i(x509.get(), NID_subject_alt_name, nullptr, nullptr)));
  const int count = names ? wolfSSL_sk_GENERAL_NAME_num(names.get()) : 0;
  for (int i = 0; i < count; ++i) {
    WOLFSSL_GENERAL_NAME* gn = wolfSSL_sk_GENERAL_NAME_value(names.get(), i);
    if (gn == nullptr) continue;
    switch (gn->type) {
      case kGenDns: {
        std::string dns = asn1_string(gn->d.dNSName);
        info.san.push_back("DNS:" + dns);
        info.dns_names.push_back(std::move(dns));
        break;
      }
      case kGenIp: {
        const std::string raw = asn1_string(gn->d.iPAddress);
        std::array<char, INET6_ADDRSTRLEN> text{};
        const int family = raw.size() == 4 ? AF_INET : raw.size() == 16 ? AF_INET6 : 0;
        if (family == 0 || inet_ntop(family, raw.data(), text.data(), text.size()) == nullptr) {
          info.san.push_back("IP:<invalid>");
          break;
        }
        info.san.push_back(std::string("IP:") + text.data());
        info.ip_addresses.emplace_back(text.data());
        break;
      }
      case kGenEmail:
        info.san.push_back("email:" + asn1_string(gn->d.rfc822Name));
        break;
      case kGenUri:
        info.san.push_back("URI:" + asn1_string(gn->d.uniformResourceIdentifier));
        break;
      default:
        info.san.push_back("other:" + std::to_string(gn->type));
        break;
    }
  }
  // wolfSSL (5.5) keeps SAN entries in reverse certificate order.
  std::reverse(info.san.begin(), info.san.end());
  std::reverse(info.dns_names.begin(), info.dns_names.end());
  std::reverse(info.ip_addresses.begin(), info.ip_addresses.end());
  return info;
}

bool is_ip_literal(std::string_view hostname) {
  const std::string host(hostname);
  std::array<unsigned char, 16> buf{};
  return inet_pton(AF_INET, host.c_str(), buf.data()) == 1 || inet_pton(AF_INET6, host.c_str(), buf.data()) == 1;
}

}  // namespace ussl
