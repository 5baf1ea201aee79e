// Callbacks registered on the WOLFSSL_CTX (Context::create): the server's
// SNI and certificate selection, the client's "a CertificateRequest came"
// and the key log.
#include <strings.h>

#include <string_view>

#include "socket_impl.hpp"

namespace ussl {

int servername_callback(WOLFSSL* ssl, int* alert, void*) {
  auto* s = static_cast<SslSocket::Impl*>(wolfSSL_GetIOReadCtx(ssl));
  if (s == nullptr) return 0;
  const auto& impl = *s->ctx;
  const char* name = wolfSSL_get_servername(ssl, WOLFSSL_SNI_HOST_NAME);
  if (name == nullptr || *name == '\0') {
    if (impl.options.certfile) return 0;
    // Only SNI certificates, and the client named no server: RFC 8446 §9.2
    // says a TLS 1.3 server that requires server_name answers its absence
    // with missing_extension; under TLS 1.2 the alert for "no certificate for
    // the name asked" is unrecognized_name (RFC 6066 §3).
    const bool tls13 = wolfSSL_version(ssl) == TLS1_3_VERSION;
    s->failure.note_setup(Error(ErrorKind::protocol_error,
                                "client sent no SNI and there is no default certificate (only SNI certificates); sent "
                                "alert " +
                                    std::string(tls13 ? "missing_extension" : "unrecognized_name")));
    *alert = static_cast<int>(tls13 ? AlertDescription::missing_extension : AlertDescription::unrecognized_name);
    return 2;  // SSL_TLSEXT_ERR_ALERT_FATAL
  }
  // wolfSSL keeps the name as a C string: an embedded NUL would cut it
  // short ("localhost\0.evil.example" reads as "localhost"), so the name is
  // taken byte for byte from the ClientHello itself.
  std::optional<std::string> raw;
  if (s->sni_tap) raw = detail::client_hello_host_name(s->sni_tap->stream());
  s->rec.sni = raw.value_or(name);
  if (!detail::valid_host_name(*s->rec.sni)) {
    // RFC 6066 §3: HostName is an ASCII DNS name; a server that cannot
    // accept it aborts with illegal_parameter (the alert tlsfuzzer's
    // test-invalid-server-name-extension expects).
    s->failure.note_setup(Error(ErrorKind::protocol_error,
                                "client sent an invalid server name (only letters, digits, '-', '.' and '_' are "
                                "allowed): '" +
                                    *s->rec.sni + "'; sent alert illegal_parameter"));
    *alert = static_cast<int>(AlertDescription::illegal_parameter);
    return 2;  // SSL_TLSEXT_ERR_ALERT_FATAL
  }
  // A client that sends a trailing dot (RFC 6066 §3 forbids it) still finds
  // the certificate for its name.
  std::string_view wanted(name);
  if (wanted.size() > 1 && wanted.back() == '.') wanted.remove_suffix(1);
  for (const auto& entry : impl.sni) {
    if (entry.name.size() != wanted.size() || strncasecmp(entry.name.c_str(), wanted.data(), wanted.size()) != 0)
      continue;
    const auto& p = entry.pair;
    const auto* cert = reinterpret_cast<const unsigned char*>(p.cert.data());
    const auto* key = reinterpret_cast<const unsigned char*>(p.key.data());
    const int rc1 =
        p.cert_format == WOLFSSL_FILETYPE_PEM
            ? wolfSSL_use_certificate_chain_buffer_format(ssl, cert, static_cast<long>(p.cert.size()),
                                                          WOLFSSL_FILETYPE_PEM)
            : wolfSSL_use_certificate_buffer(ssl, cert, static_cast<long>(p.cert.size()), WOLFSSL_FILETYPE_ASN1);
    const int rc2 = wolfSSL_use_PrivateKey_buffer(ssl, key, static_cast<long>(p.key.size()), p.key_format);
    if (rc1 != WOLFSSL_SUCCESS || rc2 != WOLFSSL_SUCCESS) {
      *alert = static_cast<int>(AlertDescription::internal_error);
      return 2;  // SSL_TLSEXT_ERR_ALERT_FATAL
    }
    s->sni_certificate = true;
    s->own_key_pss = entry.key_pss;
    return 0;
  }
  if (!impl.options.certfile) {
    s->failure.note_setup(
        Error(ErrorKind::protocol_error, "client asked for server name '" + std::string(name) +
                                             "', which has no certificate (and there is no default)"));
    // No default certificate to fall back on.
    *alert = static_cast<int>(AlertDescription::unrecognized_name);
    return 2;
  }
  return 0;
}

// Runs after the ClientHello is parsed: a server with only SNI certificates
// refuses a client that named no server, with an alert rather than a
// wolfSSL-internal "no certificate" error.
int cert_setup_callback(WOLFSSL* ssl, void*) {
  auto* s = static_cast<SslSocket::Impl*>(wolfSSL_GetIOReadCtx(ssl));
  if (s == nullptr) return 1;
  if (!s->server) {
    // A client with a certificate: wolfSSL runs this when it processes the
    // server's CertificateRequest (TLS 1.2 and 1.3).
    s->rec.handshake.certificate_requested = true;
    return 1;
  }
  if (s->ctx->options.certfile || s->sni_certificate) return 1;
  s->failure.note_setup(Error(ErrorKind::protocol_error,
                              "client sent no SNI and there is no default certificate (only SNI certificates)"));
  return 0;
}

// A client without a certificate: wolfSSL asks this for one when the server
// sent a CertificateRequest (TLS 1.2: on receiving it; TLS 1.3: when sending
// the client's Certificate). None is given: an empty Certificate goes out.
// (The cert-setup callback cannot serve here: with it set, wolfSSL 5.7
// promises a certificate and fails with NO_CERT_ERROR.)
int certificate_request_callback(WOLFSSL* ssl, WOLFSSL_X509**, WOLFSSL_EVP_PKEY**) {
  auto* s = static_cast<SslSocket::Impl*>(wolfSSL_GetIOReadCtx(ssl));
  if (s != nullptr) s->rec.handshake.certificate_requested = true;
  return 0;
}

#ifdef HAVE_SECRET_CALLBACK
void keylog_callback(const WOLFSSL* ssl, const char* line) {
  auto* s = static_cast<SslSocket::Impl*>(wolfSSL_GetIOReadCtx(const_cast<WOLFSSL*>(ssl)));
  if (s != nullptr && s->ctx->options.keylog && line != nullptr) s->ctx->options.keylog(line);
}
#endif

}  // namespace ussl
