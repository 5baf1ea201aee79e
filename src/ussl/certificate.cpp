#include "ussl/certificate.hpp"

// clang-format off
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/coding.h>
// clang-format on

#include <arpa/inet.h>

#include <array>

#include "ussl/error.hpp"
#include "ussl/verify/policy.hpp"
#include "ussl/verify/x509.hpp"

namespace ussl {

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
  std::string error;
  const auto parsed = x509::parse(der, &error);
  if (!parsed) throw Error(ErrorKind::internal, "could not parse a certificate: " + error);
  return certificate_info(*parsed);
}

bool is_ip_literal(std::string_view hostname) {
  const std::string host(hostname);
  std::array<unsigned char, 16> buf{};
  return inet_pton(AF_INET, host.c_str(), buf.data()) == 1 || inet_pton(AF_INET6, host.c_str(), buf.data()) == 1;
}

}  // namespace ussl
