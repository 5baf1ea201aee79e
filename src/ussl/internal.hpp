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
// clang-format on

#include <memory>
#include <string>
#include <vector>

#include "ussl/socket.hpp"

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

// Callbacks registered on the WOLFSSL_CTX (defined in socket.cpp).
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
  };
  Options options;
  CtxPtr ctx;
  std::vector<SniEntry> sni;
  std::shared_ptr<const TrustStore> anchors;  // from ca_certs (empty store without)
  std::shared_ptr<const CrlSet> crls;         // from crl, or null
  std::vector<std::string> warnings;
};

}  // namespace ussl
