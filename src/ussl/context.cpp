// Context: validates Options once and owns the WOLFSSL_CTX.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>

#include "internal.hpp"

namespace ussl {
namespace {

void init_wolfssl() {
  static std::once_flag once;
  std::call_once(once, [] { wolfSSL_Init(); });
}

// Reads a whole file, or throws bad_file naming the role and the path.
std::string read_file(std::string_view role, const std::string& path) {
  const std::string where = std::string(role) + " '" + path + "'";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw Error(ErrorKind::bad_file, where + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw Error(ErrorKind::bad_file, where + ": is a directory, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::bad_file, where + ": cannot open: " + std::strerror(errno));
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(ErrorKind::bad_file, where + ": read error");
  if (data.empty()) throw Error(ErrorKind::bad_file, where + ": file is empty");
  return data;
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

// Splits a PEM file into its CERTIFICATE blocks (other blocks are ignored).
std::vector<std::string> pem_certificates(const std::string& data) {
  static constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  static constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (;;) {
    const auto begin = data.find(kBegin, pos);
    if (begin == std::string::npos) break;
    const auto end = data.find(kEnd, begin);
    if (end == std::string::npos) {
      out.push_back(data.substr(begin));  // unterminated: let the parser reject it
      break;
    }
    out.push_back(data.substr(begin, end + kEnd.size() - begin) + "\n");
    pos = end + kEnd.size();
  }
  return out;
}

// wolfSSL_CTX_check_private_key accepts any ECC key (seen with 5.5.4), so
// prove the pair instead: sign with the key, verify with the certificate.
bool key_matches_certificate(const std::string& cert, int cert_format, const std::string& key, int key_format) {
  struct X509Free {
    void operator()(WOLFSSL_X509* x) const { wolfSSL_X509_free(x); }
  };
  struct PkeyFree {
    void operator()(WOLFSSL_EVP_PKEY* k) const { wolfSSL_EVP_PKEY_free(k); }
  };
  struct MdFree {
    void operator()(WOLFSSL_EVP_MD_CTX* m) const { wolfSSL_EVP_MD_CTX_free(m); }
  };
  std::unique_ptr<WOLFSSL_X509, X509Free> x509(
      wolfSSL_X509_load_certificate_buffer(bytes(cert), static_cast<int>(cert.size()), cert_format));
  if (!x509) return false;
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
  std::unique_ptr<WOLFSSL_EVP_PKEY, PkeyFree> pub(wolfSSL_X509_get_pubkey(x509.get()));
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
  pair.cert = read_file("certfile", certfile);
  pair.cert_format = detect_format("certfile", certfile, pair.cert);
  pair.key = read_file("keyfile", keyfile);
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
  if (pair_rc != WOLFSSL_SUCCESS || wolfSSL_CTX_check_private_key(scratch.get()) != WOLFSSL_SUCCESS ||
      !key_matches_certificate(pair.cert, pair.cert_format, pair.key, pair.key_format))
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

// Loads one CA file; returns the number of certificates loaded.
int load_ca_file(WOLFSSL_CTX* ctx, const std::string& path, const std::string& data) {
  const int format = detect_format("ca_certs", path, data);
  if (format == WOLFSSL_FILETYPE_ASN1) {
    const int rc = wolfSSL_CTX_load_verify_buffer(ctx, bytes(data), size(data), WOLFSSL_FILETYPE_ASN1);
    if (rc != WOLFSSL_SUCCESS)
      throw Error(ErrorKind::bad_file,
                  "ca_certs '" + path + "': not a valid DER certificate (wolfSSL: " + wolfssl_error_text(rc) + ")", rc);
    return 1;
  }
  const auto blocks = pem_certificates(data);
  if (blocks.empty()) throw Error(ErrorKind::bad_file, "ca_certs '" + path + "': no PEM certificate found");
  int index = 0;
  for (const auto& block : blocks) {
    ++index;
    const int rc = wolfSSL_CTX_load_verify_buffer(ctx, bytes(block), size(block), WOLFSSL_FILETYPE_PEM);
    if (rc != WOLFSSL_SUCCESS)
      throw Error(ErrorKind::bad_file,
                  "ca_certs '" + path + "': certificate #" + std::to_string(index) +
                      " is malformed (wolfSSL: " + wolfssl_error_text(rc) + ")",
                  rc);
  }
  return index;
}

void load_ca_certs(WOLFSSL_CTX* ctx, const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    load_ca_file(ctx, path, read_file("ca_certs", path));
    return;
  }
  // A directory: every regular file in it that holds certificates. Files
  // that hold none (a README, a CRL) are skipped; at least one must load.
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
    if (entry.is_regular_file(ec)) files.push_back(entry.path());
  }
  if (ec) throw Error(ErrorKind::bad_file, "ca_certs '" + path + "': cannot list directory: " + ec.message());
  std::sort(files.begin(), files.end());
  int loaded = 0;
  for (const auto& file : files) {
    try {
      loaded += load_ca_file(ctx, file.string(), read_file("ca_certs", file.string()));
    } catch (const Error&) {
      continue;
    }
  }
  if (loaded == 0) throw Error(ErrorKind::bad_file, "ca_certs '" + path + "': no certificate found in directory");
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

}  // namespace

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

const char* const kDefaultCiphers =
    "TLS13-AES256-GCM-SHA384:TLS13-AES128-GCM-SHA256:TLS13-CHACHA20-POLY1305-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:"
    "ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA";
const char* const kLegacyCiphers = "AES256-SHA:AES128-SHA";

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
  };
}

Context::Context(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Context::~Context() = default;
const Options& Context::options() const noexcept { return impl_->options; }

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
    // wolfSSL_CTX_set1_groups_list knows few spellings; map names ourselves.
    static const std::pair<std::string_view, int> kGroups[] = {
        {"x25519", WOLFSSL_ECC_X25519},       {"x448", WOLFSSL_ECC_X448},
        {"p-256", WOLFSSL_ECC_SECP256R1},     {"prime256v1", WOLFSSL_ECC_SECP256R1},
        {"secp256r1", WOLFSSL_ECC_SECP256R1}, {"p-384", WOLFSSL_ECC_SECP384R1},
        {"secp384r1", WOLFSSL_ECC_SECP384R1}, {"p-521", WOLFSSL_ECC_SECP521R1},
        {"secp521r1", WOLFSSL_ECC_SECP521R1}, {"ffdhe2048", WOLFSSL_FFDHE_2048},
        {"ffdhe3072", WOLFSSL_FFDHE_3072},
    };
    std::vector<int> ids;
    std::string name;
    std::istringstream in(*options.groups);
    while (std::getline(in, name, ':')) {
      std::string lower;
      for (char c : name) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      const auto* found =
          std::find_if(std::begin(kGroups), std::end(kGroups), [&](const auto& g) { return g.first == lower; });
      if (found == std::end(kGroups))
        throw Error(ErrorKind::usage, "unknown key-exchange group '" + name +
                                          "' (known: X25519, X448, P-256, P-384, P-521, ffdhe2048, ffdhe3072)");
      ids.push_back(found->second);
    }
    if (ids.empty() || wolfSSL_CTX_set_groups(ctx, ids.data(), static_cast<int>(ids.size())) != WOLFSSL_SUCCESS)
      throw Error(ErrorKind::usage, "this wolfSSL cannot use the key-exchange groups '" + *options.groups + "'");
  }
  for (const auto& proto : options.alpn) {
    if (proto.empty() || proto.size() > 255 || proto.find(',') != std::string::npos)
      throw Error(ErrorKind::usage, "invalid ALPN protocol name '" + proto + "' (1-255 bytes, no commas)");
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
  if (options.certfile) use_key_pair(ctx, load_key_pair(*options.certfile, *options.keyfile));
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
    const KeyPair p = load_key_pair(sni.certfile, sni.keyfile);
    impl->sni.push_back({sni.name, {p.cert, p.cert_format, p.key, p.key_format}});
  }
  if (options.ca_certs) load_ca_certs(ctx, *options.ca_certs);

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
  if (server && !options.certfile) wolfSSL_CTX_set_cert_cb(ctx, cert_setup_callback, nullptr);

  return std::shared_ptr<const Context>(new Context(std::move(impl)));
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
