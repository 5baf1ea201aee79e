// Private to the library: the wolfSSL-facing parts of Context and SslSocket.
// The only header that includes wolfSSL.
#pragma once

// clang-format off
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/openssl/evp.h>
#include <wolfssl/openssl/ec.h>
// clang-format on

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ussl/socket.hpp"

// wolfSSL_get_peer_signature_nid and friends (5.7 has them; Debian 12's 5.5.4
// does not): the TLS 1.3 signature schemes need them.
#if defined(OPENSSL_EXTRA) && defined(LIBWOLFSSL_VERSION_HEX) && LIBWOLFSSL_VERSION_HEX >= 0x05007000
#define USSL_HAVE_SIGNATURE_NIDS 1
#endif

namespace ussl {

struct CtxFree {
  void operator()(WOLFSSL_CTX* ctx) const noexcept { wolfSSL_CTX_free(ctx); }
};
struct SslFree {
  void operator()(WOLFSSL* ssl) const noexcept { wolfSSL_free(ssl); }
};
using CtxPtr = std::unique_ptr<WOLFSSL_CTX, CtxFree>;
using SslPtr = std::unique_ptr<WOLFSSL, SslFree>;

std::string wolfssl_error_text(int code);

// True when the DER certificate's subjectPublicKeyInfo algorithm is
// RSASSA-PSS (1.2.840.113549.1.1.10), not rsaEncryption: what tells
// rsa_pss_pss_* from rsa_pss_rsae_* (RFC 8446 4.2.3). False for anything
// that does not parse.
bool has_pss_key(std::span<const std::uint8_t> der);

// Callbacks registered on the WOLFSSL_CTX (verify_callback in peer_verify.cpp,
// the others in callbacks.cpp).
int verify_callback(int preverify, WOLFSSL_X509_STORE_CTX* store);
int servername_callback(WOLFSSL* ssl, int* alert, void* arg);
int cert_setup_callback(WOLFSSL* ssl, void* arg);
int certificate_request_callback(WOLFSSL* ssl, WOLFSSL_X509** x509, WOLFSSL_EVP_PKEY** pkey);
#ifdef HAVE_SECRET_CALLBACK
void keylog_callback(const WOLFSSL* ssl, const char* line);
#endif

struct Context::Impl {
  struct SniEntry {
    std::string name;
    struct Pair {
      std::string cert;
      int cert_format;
      std::string key;
      int key_format;
    } pair;
    bool key_pss = false;  // the certificate's key is RSASSA-PSS (rsa_pss_pss_* schemes)
  };
  Options options;
  CtxPtr ctx;
  std::vector<SniEntry> sni;
  bool own_key_pss = false;                   // the default certificate's key is RSASSA-PSS
  std::shared_ptr<const TrustStore> anchors;  // from ca_certs (empty store without)
  std::shared_ptr<const CrlSet> crls;         // from crl, or null
  std::vector<std::string> warnings;
  std::vector<std::uint16_t> groups;      // parsed Options::groups (empty: wolfSSL's default)
  std::vector<std::uint16_t> key_shares;  // client: the key shares of the first ClientHello
};

}  // namespace ussl
