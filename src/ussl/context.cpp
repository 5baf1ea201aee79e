// Context: validates Options once and owns the WOLFSSL_CTX; wrap builds one
// connection (SslSocket::Impl) on it.

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <sstream>

#include "socket_impl.hpp"
#include "ussl/names.hpp"
#include "ussl/verify/internal.hpp"

namespace ussl {
namespace {

void init_wolfssl() {
  static std::once_flag once;
  std::call_once(once, [] { wolfSSL_Init(); });
}

bool is_pem(const std::string& data) { return data.find("-----BEGIN ") != std::string::npos; }

// PEM or DER, or throws: DER must start with an ASN.1 SEQUENCE.
int detect_format(std::string_view role, const std::string& path, const std::string& data) {
  if (is_pem(data)) return WOLFSSL_FILETYPE_PEM;
  if (static_cast<unsigned char>(data[0]) == 0x30) return WOLFSSL_FILETYPE_ASN1;
  throw Error(ErrorKind::bad_file, std::string(role) + " '" + path + "': neither PEM nor DER");
}

const unsigned char* bytes(const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); }
long size(const std::string& s) { return static_cast<long>(s.size()); }

bool is_encrypted_pem(const std::string& data) {
  return data.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string::npos ||
         data.find("Proc-Type: 4,ENCRYPTED") != std::string::npos;
}

// wolfSSL_CTX_check_private_key accepts any ECC key (seen with 5.5.4), so
// prove the pair instead: sign with the key, verify with the certificate.
bool key_matches_certificate(const std::string& cert, int cert_format, const std::string& key, int key_format) {
  struct PkeyFree {
    void operator()(WOLFSSL_EVP_PKEY* k) const { wolfSSL_EVP_PKEY_free(k); }
  };
  struct MdFree {
    void operator()(WOLFSSL_EVP_MD_CTX* m) const { wolfSSL_EVP_MD_CTX_free(m); }
  };
  // The public key from ussl's own parser: wolfSSL's refuses certificates
  // with extensions it does not know (a critical one), which ussl serves.
  std::vector<std::vector<std::uint8_t>> certs;
  try {
    certs = read_certificates(cert, "certfile");
  } catch (const Error&) {
    return false;
  }
  if (certs.empty()) return false;
  const auto leaf = x509::parse(certs.front(), nullptr);
  if (!leaf) return false;
  (void)cert_format;
  // PEM → DER with wolfCrypt's own parser (the one wolfSSL_CTX_use_PrivateKey
  // used): wolfSSL_PEM_read_bio_PrivateKey has a use-after-free on some
  // malformed PEM (5.5.4; found by tests/fuzz/fuzz_load_files).
  std::vector<unsigned char> der;
  if (key_format == WOLFSSL_FILETYPE_PEM) {
    der.resize(key.size());
    const int n =
        wc_KeyPemToDer(bytes(key), static_cast<int>(key.size()), der.data(), static_cast<int>(der.size()), nullptr);
    if (n <= 0) return false;
    der.resize(static_cast<std::size_t>(n));
  } else {
    der.assign(key.begin(), key.end());
  }
  const unsigned char* cursor = der.data();
  std::unique_ptr<WOLFSSL_EVP_PKEY, PkeyFree> priv(
      wolfSSL_d2i_AutoPrivateKey(nullptr, &cursor, static_cast<long>(der.size())));
  const unsigned char* spki = leaf->spki.data();
  std::unique_ptr<WOLFSSL_EVP_PKEY, PkeyFree> pub(
      wolfSSL_d2i_PUBKEY(nullptr, &spki, static_cast<long>(leaf->spki.size())));
  if (!priv || !pub) return false;
  static constexpr unsigned char kMessage[] = "ussl key/certificate pairing check";
  std::vector<unsigned char> sig(1024);
  std::size_t sig_len = sig.size();
  std::unique_ptr<WOLFSSL_EVP_MD_CTX, MdFree> sign(wolfSSL_EVP_MD_CTX_new());
  std::unique_ptr<WOLFSSL_EVP_MD_CTX, MdFree> verify(wolfSSL_EVP_MD_CTX_new());
  return sign && verify &&
         wolfSSL_EVP_DigestSignInit(sign.get(), nullptr, wolfSSL_EVP_sha256(), nullptr, priv.get()) == 1 &&
         wolfSSL_EVP_DigestSignUpdate(sign.get(), kMessage, sizeof kMessage) == 1 &&
         wolfSSL_EVP_DigestSignFinal(sign.get(), sig.data(), &sig_len) == 1 &&
         wolfSSL_EVP_DigestVerifyInit(verify.get(), nullptr, wolfSSL_EVP_sha256(), nullptr, pub.get()) == 1 &&
         wolfSSL_EVP_DigestVerifyUpdate(verify.get(), kMessage, sizeof kMessage) == 1 &&
         wolfSSL_EVP_DigestVerifyFinal(verify.get(), sig.data(), sig_len) == 1;
}

// The result of loading one certificate + key pair, validated.
struct KeyPair {
  std::string cert;
  int cert_format;
  std::string key;
  int key_format;
};

KeyPair load_key_pair(const std::string& certfile, const std::string& keyfile) {
  KeyPair pair;
  pair.cert = read_whole_file("certfile", certfile);
  pair.cert_format = detect_format("certfile", certfile, pair.cert);
  pair.key = read_whole_file("keyfile", keyfile);
  if (is_pem(pair.key) && is_encrypted_pem(pair.key))
    throw Error(ErrorKind::bad_file, "keyfile '" + keyfile +
                                         "': the private key is encrypted; passphrases are not supported "
                                         "(decrypt it with 'openssl pkey')");
  pair.key_format = detect_format("keyfile", keyfile, pair.key);

  // Validate each file on its own first, so the message names the bad one.
  CtxPtr scratch(wolfSSL_CTX_new(wolfSSLv23_server_method()));
  if (!scratch) throw Error(ErrorKind::internal, "wolfSSL_CTX_new failed");
  const int cert_rc =
      pair.cert_format == WOLFSSL_FILETYPE_PEM
          ? wolfSSL_CTX_use_certificate_chain_buffer_format(scratch.get(), bytes(pair.cert), size(pair.cert),
                                                            WOLFSSL_FILETYPE_PEM)
          : wolfSSL_CTX_use_certificate_buffer(scratch.get(), bytes(pair.cert), size(pair.cert), WOLFSSL_FILETYPE_ASN1);
  if (cert_rc != WOLFSSL_SUCCESS)
    throw Error(
        ErrorKind::bad_file,
        "certfile '" + certfile + "': no valid certificate found (wolfSSL: " + wolfssl_error_text(cert_rc) + ")",
        cert_rc);
  CtxPtr key_only(wolfSSL_CTX_new(wolfSSLv23_server_method()));
  const int key_rc =
      wolfSSL_CTX_use_PrivateKey_buffer(key_only.get(), bytes(pair.key), size(pair.key), pair.key_format);
  if (key_rc != WOLFSSL_SUCCESS)
    throw Error(ErrorKind::bad_file,
                "keyfile '" + keyfile + "': no valid private key found (wolfSSL: " + wolfssl_error_text(key_rc) + ")",
                key_rc);
  const int pair_rc =
      wolfSSL_CTX_use_PrivateKey_buffer(scratch.get(), bytes(pair.key), size(pair.key), pair.key_format);
  if (pair_rc != WOLFSSL_SUCCESS || !key_matches_certificate(pair.cert, pair.cert_format, pair.key, pair.key_format))
    throw Error(ErrorKind::bad_file,
                "keyfile '" + keyfile + "' does not match the certificate in certfile '" + certfile + "'");
  return pair;
}

void use_key_pair(WOLFSSL_CTX* ctx, const KeyPair& pair) {
  const int cert_rc =
      pair.cert_format == WOLFSSL_FILETYPE_PEM
          ? wolfSSL_CTX_use_certificate_chain_buffer_format(ctx, bytes(pair.cert), size(pair.cert),
                                                            WOLFSSL_FILETYPE_PEM)
          : wolfSSL_CTX_use_certificate_buffer(ctx, bytes(pair.cert), size(pair.cert), WOLFSSL_FILETYPE_ASN1);
  const int key_rc = wolfSSL_CTX_use_PrivateKey_buffer(ctx, bytes(pair.key), size(pair.key), pair.key_format);
  if (cert_rc != WOLFSSL_SUCCESS || key_rc != WOLFSSL_SUCCESS)
    throw Error(ErrorKind::internal, "loading a validated key pair failed");
}

// Trust anchors: parsed by ussl's verifier (one unusable certificate is
// skipped with a warning, never fatal), then handed to wolfSSL one by one
// for its handshake-time first filter (which may refuse some; ussl's
// verdict decides anyway).
void load_ca_certs(Context::Impl& impl, const std::string& path) {
  impl.anchors = TrustStore::load(path);
  impl.warnings.insert(impl.warnings.end(), impl.anchors->warnings().begin(), impl.anchors->warnings().end());
  for (const auto& anchor : impl.anchors->impl().anchors) {
    wolfSSL_CTX_load_verify_buffer(impl.ctx.get(), anchor->der.data(), static_cast<long>(anchor->der.size()),
                                   WOLFSSL_FILETYPE_ASN1);
  }
}

int proto_version(TlsVersion v) {
  switch (v) {
    case TlsVersion::tls1_0:
      return 0x0301;
    case TlsVersion::tls1_1:
      return 0x0302;
    case TlsVersion::tls1_2:
      return 0x0303;
    case TlsVersion::tls1_3:
      break;
  }
  return 0x0304;
}

// The client's first key shares: as asked (each within groups), else
// X25519MLKEM768 and x25519 where built and allowed, else the first group.
std::vector<std::uint16_t> choose_key_shares(const Options& options, const std::vector<std::uint16_t>& groups) {
  if (options.max_version && *options.max_version != TlsVersion::tls1_3) return {};  // no TLS 1.3: no key shares
  const auto allowed = [&](std::uint16_t id) {
    return groups.empty() || std::find(groups.begin(), groups.end(), id) != groups.end();
  };
  if (options.key_shares) {
    auto shares = parse_groups(*options.key_shares, "key_shares");
    for (const auto id : shares) {
      if (!allowed(id))
        throw Error(ErrorKind::usage, "key_shares: group '" + group_name(id) + "' is not in groups '" +
                                          options.groups.value_or("") + "'");
    }
    return shares;
  }
  std::vector<std::uint16_t> shares;
  for (const auto& g : known_groups()) {
    if ((g.name == "X25519MLKEM768" || g.name == "x25519") && g.built && allowed(g.id)) shares.push_back(g.id);
  }
  if (shares.empty() && !groups.empty()) shares.push_back(groups.front());
  return shares;
}

}  // namespace

const char* const kDefaultCiphers =
    "TLS13-AES128-GCM-SHA256:TLS13-AES256-GCM-SHA384:TLS13-CHACHA20-POLY1305-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:"
    "ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA";
const char* const kLegacyCiphers = "AES256-SHA:AES128-SHA";

Context::Context(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Context::~Context() = default;
const Options& Context::options() const noexcept { return impl_->options; }
const std::vector<std::string>& Context::warnings() const noexcept { return impl_->warnings; }

std::shared_ptr<const Context> Context::create(const Options& options) {
  init_wolfssl();
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  const bool server = options.server_side;

  // Contradictions first: they are the caller's, not a file's.
  if (options.keyfile && !options.certfile) throw Error(ErrorKind::usage, "keyfile given without certfile");
  if (options.certfile && !options.keyfile) throw Error(ErrorKind::usage, "certfile given without keyfile");
  if (server && !options.certfile && options.sni_certificates.empty())
    throw Error(ErrorKind::usage, "a server (server_side=True) requires keyfile and certfile");
  if (!server && !options.sni_certificates.empty())
    throw Error(ErrorKind::usage, "SNI certificates are for servers only");
  if (options.cert_reqs != CertReqs::none && !options.ca_certs)
    throw Error(ErrorKind::usage, std::string("cert_reqs=CERT_") +
                                      (options.cert_reqs == CertReqs::required ? "REQUIRED" : "OPTIONAL") +
                                      " needs ca_certs: no trust anchors to verify the " +
                                      (server ? "client" : "server") + " certificate against");
  if (options.min_version && options.max_version && *options.min_version > *options.max_version)
    throw Error(ErrorKind::usage, "min_version " + std::string(tls_version_name(*options.min_version)) +
                                      " is above max_version " + std::string(tls_version_name(*options.max_version)));

  impl->ctx.reset(wolfSSL_CTX_new(server ? wolfSSLv23_server_method() : wolfSSLv23_client_method()));
  if (!impl->ctx) throw Error(ErrorKind::internal, "wolfSSL_CTX_new failed");
  WOLFSSL_CTX* ctx = impl->ctx.get();

  const TlsVersion min = options.min_version.value_or(TlsVersion::tls1_2);
  const TlsVersion max = options.max_version.value_or(TlsVersion::tls1_3);
#ifdef NO_OLD_TLS
  if (min < TlsVersion::tls1_2)
    throw Error(ErrorKind::usage, "this wolfSSL was built without TLS 1.0 and 1.1 (oldtls): cannot speak " +
                                      std::string(tls_version_name(min)));
#endif
#ifndef WOLFSSL_ALLOW_TLSV10
  if (min == TlsVersion::tls1_0)
    throw Error(ErrorKind::usage, "this wolfSSL was built without TLS 1.0 (tls10): cannot speak TLSv1.0");
#endif
  if (wolfSSL_CTX_set_min_proto_version(ctx, proto_version(min)) != WOLFSSL_SUCCESS ||
      wolfSSL_CTX_set_max_proto_version(ctx, proto_version(max)) != WOLFSSL_SUCCESS)
    throw Error(ErrorKind::usage, "this wolfSSL cannot limit the protocol version range as asked");
  // An explicit list, so compiling legacy suites in never widens the default offer.
  std::string default_ciphers = kDefaultCiphers;
  if (min < TlsVersion::tls1_2) default_ciphers += std::string(":") + kLegacyCiphers;
  const std::string& ciphers = options.ciphers ? *options.ciphers : default_ciphers;
  if (wolfSSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != WOLFSSL_SUCCESS)
    throw Error(ErrorKind::usage, "no usable cipher suite in '" + ciphers + "'");

  if (options.sigalgs) {
#ifdef OPENSSL_EXTRA
    if (wolfSSL_CTX_set1_sigalgs_list(ctx, options.sigalgs->c_str()) != WOLFSSL_SUCCESS)
      throw Error(ErrorKind::usage, "this wolfSSL cannot offer the signature schemes '" + *options.sigalgs + "'");
#else
    throw Error(ErrorKind::usage, "this wolfSSL cannot restrict the signature schemes (no OPENSSL_EXTRA)");
#endif
  }
  if (options.groups) {
    impl->groups = parse_groups(*options.groups, "groups");
    std::vector<int> ids(impl->groups.begin(), impl->groups.end());
    if (wolfSSL_CTX_set_groups(ctx, ids.data(), static_cast<int>(ids.size())) != WOLFSSL_SUCCESS)
      throw Error(ErrorKind::usage, "this wolfSSL cannot use the key-exchange groups '" + *options.groups + "'");
  }
  if (!server) impl->key_shares = choose_key_shares(options, impl->groups);
  for (const auto& proto : options.alpn) {
    if (proto.empty() || proto.size() > 255 || proto.find(',') != std::string::npos)
      throw Error(ErrorKind::usage, "invalid ALPN protocol name '" + proto + "' (1-255 bytes, no commas)");
  }
  if (!options.middlebox_compat) {
#ifndef WOLFSSL_HAVE_SET_TLS13_MIDDLEBOX_COMPAT
    throw Error(ErrorKind::usage,
                "turning TLS 1.3 middlebox compatibility off needs a wolfSSL with WOLFSSL_TLS13_MIDDLEBOX_COMPAT and "
                "ussl's wolfSSL_set_tls13_middlebox_compat patch; this one (" +
                    wolfssl_version() + ") has neither: build with the tuned wolfSSL (docs/wolfssl-build.md)");
#endif
  }
  if (options.keylog) {
#ifdef HAVE_SECRET_CALLBACK
    wolfSSL_CTX_set_keylog_callback(ctx, keylog_callback);
#else
    throw Error(ErrorKind::usage, "key logging needs a wolfSSL built with HAVE_SECRET_CALLBACK; this one (" +
                                      wolfssl_version() +
                                      ") is not: build with the tuned wolfSSL (docs/wolfssl-build.md)");
#endif
  }
  // Whether a certificate's key is RSASSA-PSS, for reporting our own
  // signature scheme (handshake.cpp) without decoding it per connection.
  const auto key_is_pss = [](const std::string& cert) {
    try {
      const auto certs = read_certificates(cert, "certfile");
      return !certs.empty() && has_pss_key(certs.front());
    } catch (const Error&) {
      return false;
    }
  };
  if (options.certfile) {
    const KeyPair p = load_key_pair(*options.certfile, *options.keyfile);
    use_key_pair(ctx, p);
    impl->own_key_pss = key_is_pss(p.cert);
  }
  // wolfSSL (5.7) refuses to create a server session from a context without
  // a certificate; with only SNI certificates, the first one is the context's
  // own. The servername and cert-setup callbacks still refuse clients that
  // name no known server.
  if (!options.certfile && !options.sni_certificates.empty()) {
    const auto& first = options.sni_certificates.front();
    use_key_pair(ctx, load_key_pair(first.certfile, first.keyfile));
  }
  for (const auto& sni : options.sni_certificates) {
    if (sni.name.empty()) throw Error(ErrorKind::usage, "an SNI certificate needs a server name");
    // Compared with the SNI clients send: no trailing dot, A-labels.
    const std::string name = normalize_server_name(sni.name);
    const KeyPair p = load_key_pair(sni.certfile, sni.keyfile);
    impl->sni.push_back({name, {p.cert, p.cert_format, p.key, p.key_format}, key_is_pss(p.cert)});
  }
  if (options.security_level < 0 || options.security_level > 3)
    throw Error(ErrorKind::usage, "security level " + std::to_string(options.security_level) + " is not 0-3");
  if (options.max_chain_depth < 0) throw Error(ErrorKind::usage, "max chain depth must not be negative");
  if (options.ca_certs) {
    load_ca_certs(*impl, *options.ca_certs);
  } else {
    impl->anchors = TrustStore::empty();
  }
  if (options.crl) impl->crls = CrlSet::load(*options.crl);
  // wolfSSL's own key-size floor would refuse a peer's small key before
  // ussl's strength policy (security_level) could judge and report it.
  wolfSSL_CTX_SetMinRsaKey_Sz(ctx, 512);
  wolfSSL_CTX_SetMinEccKey_Sz(ctx, 112);

  // Verification: the client always checks and records (verify_callback
  // decides whether a failure is fatal); the server asks for a client
  // certificate only under CERT_OPTIONAL/REQUIRED.
  if (!server) {
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, verify_callback);
  } else if (options.cert_reqs == CertReqs::none) {
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, nullptr);
  } else {
    int mode = WOLFSSL_VERIFY_PEER;
    if (options.cert_reqs == CertReqs::required) mode |= WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    wolfSSL_CTX_set_verify(ctx, mode, verify_callback);
  }
  if (server) wolfSSL_CTX_set_servername_callback(ctx, servername_callback);
  // Server with only SNI certificates: refuse a client that named no known
  // server. Client: note the server's CertificateRequest (which callback
  // wolfSSL runs for it depends on whether the client has a certificate).
  if (server && !options.certfile) wolfSSL_CTX_set_cert_cb(ctx, cert_setup_callback, nullptr);
  if (!server && options.certfile) wolfSSL_CTX_set_cert_cb(ctx, cert_setup_callback, nullptr);
  if (!server && !options.certfile) wolfSSL_CTX_set_client_cert_cb(ctx, certificate_request_callback);

  return std::shared_ptr<const Context>(new Context(std::move(impl)));
}

// ---------------------------------------------------------------------------
// Context::wrap

std::unique_ptr<SslSocket> Context::wrap(std::unique_ptr<Transport> transport,
                                         std::optional<std::string> server_hostname, bool do_handshake) const {
  WrapArgs args;
  args.server_hostname = std::move(server_hostname);
  args.do_handshake = do_handshake;
  return wrap(std::move(transport), args);
}

std::unique_ptr<SslSocket> Context::wrap(std::unique_ptr<Transport> transport, const WrapArgs& args) const {
  if (!transport) throw Error(ErrorKind::usage, "wrap needs a socket");
  const auto& server_hostname = args.server_hostname;
  auto impl = std::make_unique<SslSocket::Impl>();
  impl->context = shared_from_this();
  impl->ctx = impl_.get();
  impl->transport = std::move(transport);
  impl->server = impl_->options.server_side;
  impl->own_key_pss = impl_->own_key_pss;
  if (impl->server) impl->sni_tap = std::make_unique<detail::HandshakeTap>();
  impl->rec.verify.mode = impl_->options.cert_reqs;
  impl->rec.verify.enforced = impl_->options.cert_reqs != CertReqs::none;
  impl->rec.server_side = impl->server;
  impl->rec.nonblocking = !impl->transport->blocking();
  if (args.eager_trigger && !args.do_handshake) impl->eager_trigger = args.eager_trigger;
  impl->rec.handshake.deferred = !args.do_handshake && !impl->eager_trigger;
  if (server_hostname && server_hostname->empty()) throw Error(ErrorKind::usage, "server_hostname is empty");
  if (!impl->server && server_hostname) {
    // SNI and the name checked: no trailing dot, A-labels (names.hpp).
    impl->hostname = normalize_server_name(*server_hostname);
    impl->rec.verify.hostname = impl->hostname;
  }

  impl->ssl.reset(wolfSSL_new(impl_->ctx.get()));
  if (!impl->ssl) throw Error(ErrorKind::internal, "wolfSSL_new failed");
  WOLFSSL* ssl = impl->ssl.get();
  wolfSSL_SSLSetIORecv(ssl, io_recv);
  wolfSSL_SSLSetIOSend(ssl, io_send);
  wolfSSL_SetIOReadCtx(ssl, impl.get());
  wolfSSL_SetIOWriteCtx(ssl, impl.get());
  wolfSSL_SetCertCbCtx(ssl, impl.get());
#ifdef WOLFSSL_HAVE_SET_TLS13_MIDDLEBOX_COMPAT
  if (!impl_->options.middlebox_compat) wolfSSL_set_tls13_middlebox_compat(ssl, 0);
#endif
  if (!impl->server && impl->hostname && !is_ip_literal(*impl->hostname)) {
    const std::string& name = *impl->hostname;
    if (wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, name.data(), static_cast<unsigned short>(name.size())) !=
        WOLFSSL_SUCCESS)
      throw Error(ErrorKind::usage, "server_hostname '" + name + "' cannot be sent as SNI");
    impl->rec.sni = name;  // what the client sends, known before the handshake
  }
  if (!impl_->options.alpn.empty()) {
    for (const auto& proto : impl_->options.alpn) impl->alpn_list += (impl->alpn_list.empty() ? "" : ",") + proto;
    const unsigned char mode = impl->server ? WOLFSSL_ALPN_FAILED_ON_MISMATCH : WOLFSSL_ALPN_CONTINUE_ON_MISMATCH;
    if (wolfSSL_UseALPN(ssl, impl->alpn_list.data(), static_cast<unsigned>(impl->alpn_list.size()), mode) !=
        WOLFSSL_SUCCESS)
      throw Error(ErrorKind::usage, "ALPN list '" + impl->alpn_list + "' rejected by wolfSSL");
  }
  if (!impl->server) {
    wolfSSL_UseSessionTicket(ssl);
    wolfSSL_set_SessionTicket_cb(ssl, ticket_callback, impl.get());
    if (args.session) {
      const auto* p = reinterpret_cast<const unsigned char*>(args.session->data());
      std::unique_ptr<WOLFSSL_SESSION, SessionFree> session(
          wolfSSL_d2i_SSL_SESSION(nullptr, &p, static_cast<long>(args.session->size())));
      if (!session)
        throw Error(ErrorKind::bad_file, "the saved session cannot be used (corrupt, or from another wolfSSL)");
      // Past its lifetime (the TLS 1.2 session timeout, or the TLS 1.3 ticket
      // lifetime the server gave): not offered, as OpenSSL's client does;
      // the connection runs a full handshake. wolfSSL's own check depends on
      // the build (with OpenSSL error codes it offers an expired session).
      const long born = wolfSSL_SESSION_get_time(session.get());
      const long lifetime = wolfSSL_SESSION_get_timeout(session.get());
      const bool expired = lifetime > 0 && static_cast<long long>(std::time(nullptr)) >=
                                               static_cast<long long>(born) + static_cast<long long>(lifetime);
      if (!expired) {
        if (wolfSSL_set_session(ssl, session.get()) != WOLFSSL_SUCCESS)
          throw Error(ErrorKind::bad_file, "the saved session cannot be used (corrupt, or from another wolfSSL)");
        impl->rec.session_offered = true;
      }
    }
    // A resumption offers the key share of the session's group itself (a
    // second entry for that group would be illegal_parameter, RFC 8446 4.2.8).
    if (!impl->rec.session_offered) {
      for (const auto group : impl_->key_shares) {
        if (wolfSSL_UseKeyShare(ssl, group) != WOLFSSL_SUCCESS)
          throw Error(ErrorKind::usage, "this wolfSSL cannot send a key share for '" + group_name(group) + "'");
      }
    }
  }

  std::unique_ptr<SslSocket> socket(new SslSocket(std::move(impl)));
  if (args.do_handshake) socket->impl_->complete_handshake_blocking("wrap");
  return socket;
}

std::unique_ptr<SslSocket> Context::wrap(int fd, std::optional<std::string> server_hostname, bool do_handshake) const {
  return wrap(std::make_unique<FdTransport>(fd), std::move(server_hostname), do_handshake);
}

std::unique_ptr<SslSocket> wrap_socket(std::unique_ptr<Transport> sock, const Options& options) {
  return Context::create(options)->wrap(std::move(sock), options.server_hostname, options.do_handshake);
}

std::unique_ptr<SslSocket> wrap_socket(int fd, const Options& options) {
  return wrap_socket(std::make_unique<FdTransport>(fd), options);
}

}  // namespace ussl
