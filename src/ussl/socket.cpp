// SslSocket: one TLS connection. Owns its WOLFSSL and its Transport; wolfSSL
// reaches the transport only through io_recv/io_send below, the one place
// that knows wolfSSL's I/O callback codes.
#include <poll.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>

#include "internal.hpp"

namespace ussl {

namespace {
constexpr std::size_t kRecordSize = 16384;

// wolfSSL builds with FP_ECC (Debian's does) keep a per-thread fixed-point
// cache that only wc_ecc_fp_free() releases; without this, every thread that
// ever ran a handshake leaks it (~3 MiB per thread, found by LeakSanitizer).
void touch_thread_caches() {
#ifdef FP_ECC
  struct Guard {
    ~Guard() { wc_ecc_fp_free(); }
  };
  thread_local Guard guard;
  (void)guard;
#endif
}
}  // namespace

struct SslSocket::Impl {
  std::shared_ptr<const Context> context;
  const Context::Impl* ctx = nullptr;
  std::unique_ptr<Transport> transport;
  SslPtr ssl;
  bool server = false;
  std::optional<std::string> hostname;  // client: name to verify
  std::optional<std::string> sni;
  HandshakeInfo hs;
  VerifyResult verify;
  std::vector<std::vector<std::uint8_t>> raw_chain;  // as sent by the peer, leaf first
  std::vector<CertificateInfo> chain;
  std::optional<Error> sticky;
  bool session_offered = false;        // client: the WrapArgs session was set (not expired)
  std::optional<IoResult> io_failure;  // first fatal transport result
  Want want = Want::nothing;
  bool closed = false;
  bool eof = false;                    // close_notify received
  bool ticket = false;                 // client: a session ticket arrived
  bool sni_certificate = false;        // server: a certificate was chosen by SNI
  std::optional<Error> setup_failure;  // server: why no certificate could be chosen
  std::string alpn_list;               // comma-separated, kept alive for wolfSSL
  std::string stalled;                 // a record wolfSSL must finish sending
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;

  // --- wolfSSL plumbing ---
  int call(const std::function<int()>& op, bool handshake);
  Error map_error(int err, bool handshake);
  void check_usable() const;
  bool advance_handshake(const char* trigger);
  void complete_handshake_blocking(const char* trigger);
  void handshake_finished();
  void wait_for(Want direction);
  bool flush_stalled();
  int on_verify(int preverify, WOLFSSL_X509_STORE_CTX* store);
  void record_failure(ErrorKind kind, std::string reason, int depth, int code);
  int read_some(char* buf, std::size_t n, const char* trigger);  // >0, 0 EOF, -1 would block
};

// ---------------------------------------------------------------------------
// Transport callbacks

namespace {

int io_result_to_cbio(SslSocket::Impl& s, const IoResult& r, bool reading) {
  switch (r.status) {
    case IoResult::Status::ok:
      return static_cast<int>(r.n);
    case IoResult::Status::would_block:
      s.want = reading ? Want::read : Want::write;
      return WOLFSSL_CBIO_ERR_WANT_READ;
    case IoResult::Status::eof:
      if (!s.io_failure) s.io_failure = r;
      return WOLFSSL_CBIO_ERR_CONN_CLOSE;
    case IoResult::Status::reset:
      if (!s.io_failure) s.io_failure = r;
      return WOLFSSL_CBIO_ERR_CONN_RST;
    case IoResult::Status::timeout:
      if (!s.io_failure) s.io_failure = r;
      return WOLFSSL_CBIO_ERR_TIMEOUT;
    case IoResult::Status::error:
      if (!s.io_failure) s.io_failure = r;
      return WOLFSSL_CBIO_ERR_GENERAL;
  }
  return WOLFSSL_CBIO_ERR_GENERAL;
}

int io_recv(WOLFSSL*, char* buf, int sz, void* ctx) {
  auto& s = *static_cast<SslSocket::Impl*>(ctx);
  const IoResult r = s.transport->recv({reinterpret_cast<std::byte*>(buf), static_cast<std::size_t>(sz)});
  return io_result_to_cbio(s, r, true);
}

int io_send(WOLFSSL*, char* buf, int sz, void* ctx) {
  auto& s = *static_cast<SslSocket::Impl*>(ctx);
  const IoResult r = s.transport->send({reinterpret_cast<const std::byte*>(buf), static_cast<std::size_t>(sz)});
  return io_result_to_cbio(s, r, false);
}

std::string describe(const CertificateInfo& cert) { return "'" + cert.subject + "'"; }

}  // namespace

// ---------------------------------------------------------------------------
// Verification

int verify_callback(int preverify, WOLFSSL_X509_STORE_CTX* store) {
  auto* s = static_cast<SslSocket::Impl*>(store ? store->userCtx : nullptr);
  if (s == nullptr) return preverify;
  return s->on_verify(preverify, store);
}

void SslSocket::Impl::record_failure(ErrorKind kind, std::string reason, int depth, int code) {
  if (verify.failure) return;
  verify.failure = kind;
  verify.reason = std::move(reason);
  verify.depth = depth;
  verify.wolfssl_code = code;
}

int SslSocket::Impl::on_verify(int preverify, WOLFSSL_X509_STORE_CTX* store) {
  if (store->totalCerts == 0) {
    // The peer sent no certificate. A server under CERT_REQUIRED fails here,
    // so that wolfSSL sends an alert (it sends none for its own
    // FAIL_IF_NO_PEER_CERT check under TLS 1.2).
    if (server && verify.mode == CertReqs::required) {
      record_failure(ErrorKind::peer_cert_missing, "the client sent no certificate (cert_reqs=CERT_REQUIRED)", 0,
                     NO_PEER_CERT);
      return 0;
    }
    return 1;
  }
  verify.performed = true;
  if (raw_chain.empty() && store->certs != nullptr) {
    for (int i = 0; i < store->totalCerts; ++i) {
      const auto& b = store->certs[i];
      raw_chain.emplace_back(b.buffer, b.buffer + b.length);
    }
  }
  const int depth = store->error_depth;
  std::optional<CertificateInfo> cert;
  if (store->current_cert != nullptr) {
    int len = 0;
    const unsigned char* der = wolfSSL_X509_get_der(store->current_cert, &len);
    if (der != nullptr && len > 0) {
      try {
        cert = parse_certificate({der, static_cast<std::size_t>(len)});
      } catch (const Error&) {
      }
    }
  }
  const std::string what = cert ? describe(*cert) : "certificate at depth " + std::to_string(depth);

  if (!preverify) {
    const int code = store->error;
    switch (code) {
      case ASN_AFTER_DATE_E:
      case 10:  // X509_V_ERR_CERT_HAS_EXPIRED
      case 14:  // X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD, wolfSSL's mapping of ASN_AFTER_DATE_E
        record_failure(ErrorKind::cert_expired, what + " expired" + (cert ? " on " + cert->not_after : std::string()),
                       depth, code);
        break;
      case ASN_BEFORE_DATE_E:
      case 9:   // X509_V_ERR_CERT_NOT_YET_VALID
      case 13:  // X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD, wolfSSL's mapping of ASN_BEFORE_DATE_E
        record_failure(ErrorKind::cert_not_yet_valid,
                       what + " is not valid before " + (cert ? cert->not_before : std::string("its start date")),
                       depth, code);
        break;
      default: {
        std::string reason;
        if (cert && cert->self_issued) {
          reason = (depth == 0 ? "self-signed certificate " : "root ") + what + " is not a trusted CA";
        } else if (cert && depth == store->totalCerts - 1) {
          reason = "issuer '" + cert->issuer + "' of " + what +
                   " is not a trusted CA and was not sent by the peer (unknown CA or incomplete chain)";
        } else {
          reason = what + " could not be verified: " + wolfssl_error_text(code);
        }
        record_failure(ErrorKind::cert_untrusted, std::move(reason), depth, code);
      }
    }
  }

  bool name_ok = true;
  if (depth == 0 && hostname && cert) {
    name_ok = hostname_matches(*cert, *hostname);
    verify.hostname_ok = name_ok;
    if (!name_ok) {
      std::string names;
      for (const auto& n : cert->san) names += (names.empty() ? "" : ", ") + n;
      if (names.empty()) names = "CN=" + cert->common_name;
      record_failure(ErrorKind::hostname_mismatch,
                     "certificate " + what + " is for " + names + ", not for '" + *hostname + "'", 0, 0);
    }
  }
  if (!verify.enforced) return 1;  // CERT_NONE client: record, never fail
  return preverify && name_ok ? 1 : 0;
}

int servername_callback(WOLFSSL* ssl, int* alert, void*) {
  auto* s = static_cast<SslSocket::Impl*>(wolfSSL_GetIOReadCtx(ssl));
  const char* name = wolfSSL_get_servername(ssl, WOLFSSL_SNI_HOST_NAME);
  if (s == nullptr || name == nullptr || *name == '\0') return 0;
  s->sni = name;
  const auto& impl = *s->ctx;
  for (const auto& entry : impl.sni) {
    if (strcasecmp(entry.name.c_str(), name) != 0) continue;
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
      *alert = 80;  // internal_error
      return 2;     // SSL_TLSEXT_ERR_ALERT_FATAL
    }
    s->sni_certificate = true;
    return 0;
  }
  if (!impl.options.certfile) {
    s->setup_failure = Error(ErrorKind::protocol_error, "client asked for server name '" + std::string(name) +
                                                            "', which has no certificate (and there is no default)");
    *alert = 112;  // unrecognized_name: no default certificate to fall back on
    return 2;
  }
  return 0;
}

// Runs after the ClientHello is parsed: a server with only SNI certificates
// refuses a client that named no server, with an alert rather than a
// wolfSSL-internal "no certificate" error.
int cert_setup_callback(WOLFSSL* ssl, void*) {
  auto* s = static_cast<SslSocket::Impl*>(wolfSSL_GetIOReadCtx(ssl));
  if (s == nullptr || s->ctx->options.certfile || s->sni_certificate) return 1;
  if (!s->setup_failure)
    s->setup_failure = Error(ErrorKind::protocol_error,
                             "client sent no SNI and there is no default certificate (only SNI certificates)");
  return 0;
}

#ifdef HAVE_SECRET_CALLBACK
void keylog_callback(const WOLFSSL* ssl, const char* line) {
  auto* s = static_cast<SslSocket::Impl*>(wolfSSL_GetIOReadCtx(const_cast<WOLFSSL*>(ssl)));
  if (s != nullptr && s->ctx->options.keylog && line != nullptr) s->ctx->options.keylog(line);
}
#endif

namespace {
int ticket_callback(WOLFSSL*, const unsigned char*, int, void* ctx) {
  static_cast<SslSocket::Impl*>(ctx)->ticket = true;
  return 0;
}

struct SessionFree {
  void operator()(WOLFSSL_SESSION* s) const noexcept { wolfSSL_SESSION_free(s); }
};
}  // namespace

// ---------------------------------------------------------------------------
// Driving wolfSSL

void SslSocket::Impl::check_usable() const {
  if (closed) throw Error(ErrorKind::closed, "operation on a closed SSL socket");
  if (sticky) throw *sticky;
}

// Runs one wolfSSL operation. Returns its positive result, 0 for a clean
// EOF (close_notify), -1 for would-block (want says which way); throws the
// sticky error on anything fatal.
int SslSocket::Impl::call(const std::function<int()>& op, bool handshake) {
  check_usable();
  want = Want::nothing;
  const int ret = op();
  if (ret > 0) return ret;
  const int err = wolfSSL_get_error(ssl.get(), ret);
  if (err == WOLFSSL_ERROR_WANT_READ || err == WOLFSSL_ERROR_WANT_WRITE) {
    if (want == Want::nothing) want = err == WOLFSSL_ERROR_WANT_READ ? Want::read : Want::write;
    return -1;
  }
  if (err == WOLFSSL_ERROR_ZERO_RETURN && !handshake) {
    eof = true;
    return 0;
  }
  sticky = map_error(err, handshake);
  throw *sticky;
}

Error SslSocket::Impl::map_error(int err, bool handshake) {
  const char* phase = handshake ? " during the handshake" : "";
  if (setup_failure && handshake) return Error(setup_failure->kind(), setup_failure->message(), err);
  if (verify.failure && verify.enforced && handshake)
    return Error(*verify.failure, verify.reason, verify.wolfssl_code ? verify.wolfssl_code : err);
  WOLFSSL_ALERT_HISTORY history{};
  wolfSSL_get_alert_history(ssl.get(), &history);
  if (err == FATAL_ERROR) {
    const int alert = history.last_rx.code;
    return Error(ErrorKind::alert_received,
                 "peer sent fatal alert " + alert_name(alert) + " (" + std::to_string(alert) + ")" + phase, err, alert);
  }
  if (io_failure) {
    const auto& io = *io_failure;
    switch (io.status) {
      case IoResult::Status::eof:
        return Error(ErrorKind::truncated_eof, std::string("peer closed the connection without close_notify") + phase,
                     err);
      case IoResult::Status::reset:
        return Error(ErrorKind::connection_reset, std::string(std::strerror(io.err)) + phase, err);
      case IoResult::Status::timeout:
        return Error(ErrorKind::timeout, std::string("timed out") + phase, err);
      default:
        return Error(ErrorKind::internal, std::string("socket error: ") + std::strerror(io.err) + phase, err);
    }
  }
  if (err == WOLFSSL_ERROR_ZERO_RETURN)
    return Error(ErrorKind::protocol_error, "peer sent close_notify during the handshake", err);
  if (err == NO_PEER_CERT || (server && handshake && verify.mode == CertReqs::required && !verify.performed &&
                              (err == VERIFY_CERT_ERROR || err == NO_PEER_VERIFY))) {
    record_failure(ErrorKind::peer_cert_missing, "the client sent no certificate (cert_reqs=CERT_REQUIRED)", 0, err);
    return Error(ErrorKind::peer_cert_missing, "the client sent no certificate (cert_reqs=CERT_REQUIRED)", err);
  }
  std::string text = wolfssl_error_text(err);
  if (history.last_tx.code > 0 || (history.last_tx.level == 2))
    text += "; sent alert " + alert_name(history.last_tx.code);
  return Error(ErrorKind::protocol_error, text + phase, err);
}

void SslSocket::Impl::wait_for(Want direction) {
  const short events = direction == Want::write ? POLLOUT : POLLIN;
  // The transport's own timeout bounds the wait; without one, wait forever.
  if (transport->wait(events, transport->timeout().value_or(std::chrono::milliseconds(-1))) == 0) {
    sticky = Error(ErrorKind::timeout, "timed out waiting for the socket");
    throw *sticky;
  }
}

bool SslSocket::Impl::advance_handshake(const char* trigger) {
  if (hs.done) return true;
  touch_thread_caches();
  if (hs.trigger.empty()) hs.trigger = trigger;
  const int ret = call([this] { return server ? wolfSSL_accept(ssl.get()) : wolfSSL_connect(ssl.get()); }, true);
  if (ret == -1) {
    (want == Want::write ? hs.want_write : hs.want_read)++;
    return false;
  }
  handshake_finished();
  return true;
}

void SslSocket::Impl::complete_handshake_blocking(const char* trigger) {
  while (!advance_handshake(trigger)) wait_for(want);
}

void SslSocket::Impl::handshake_finished() {
  hs.done = true;
#ifdef SESSION_CERTS
  if (raw_chain.empty()) {
    if (WOLFSSL_X509_CHAIN* peer = wolfSSL_get_peer_chain(ssl.get())) {
      for (int i = 0; i < wolfSSL_get_chain_count(peer); ++i) {
        const unsigned char* der = wolfSSL_get_chain_cert(peer, i);
        const int len = wolfSSL_get_chain_length(peer, i);
        if (der != nullptr && len > 0) raw_chain.emplace_back(der, der + len);
      }
    }
  }
#endif
  if (!verify.failure && verify.performed) verify.ok = true;
}

bool SslSocket::Impl::flush_stalled() {
  if (stalled.empty()) return true;
  const int ret =
      call([this] { return wolfSSL_write(ssl.get(), stalled.data(), static_cast<int>(stalled.size())); }, false);
  if (ret == -1) return false;
  stalled.clear();
  return true;
}

int SslSocket::Impl::read_some(char* buf, std::size_t n, const char* trigger) {
  check_usable();
  if (!hs.done) {
    if (transport->blocking()) {
      complete_handshake_blocking(trigger);
    } else if (!advance_handshake(trigger)) {
      return -1;
    }
  }
  if (eof) return 0;
  flush_stalled();  // a record of ours still queued goes out first; reading proceeds either way
  const int want_n = static_cast<int>(std::min<std::size_t>(n, kRecordSize));
  for (;;) {
    const int ret = call([&] { return wolfSSL_read(ssl.get(), buf, want_n); }, false);
    if (ret > 0) bytes_in += static_cast<std::uint64_t>(ret);
    if (ret >= 0 || !transport->blocking()) return ret;
    wait_for(want);
  }
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
  impl->verify.mode = impl_->options.cert_reqs;
  impl->verify.enforced = impl_->options.cert_reqs != CertReqs::none;
  impl->hs.deferred = !args.do_handshake;
  if (server_hostname && server_hostname->empty()) throw Error(ErrorKind::usage, "server_hostname is empty");
  if (!impl->server) {
    impl->hostname = server_hostname;
    impl->verify.hostname = server_hostname;
  }

  impl->ssl.reset(wolfSSL_new(impl_->ctx.get()));
  if (!impl->ssl) throw Error(ErrorKind::internal, "wolfSSL_new failed");
  WOLFSSL* ssl = impl->ssl.get();
  wolfSSL_SSLSetIORecv(ssl, io_recv);
  wolfSSL_SSLSetIOSend(ssl, io_send);
  wolfSSL_SetIOReadCtx(ssl, impl.get());
  wolfSSL_SetIOWriteCtx(ssl, impl.get());
  wolfSSL_SetCertCbCtx(ssl, impl.get());
  if (!impl->server && server_hostname && !is_ip_literal(*server_hostname)) {
    if (wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, server_hostname->data(),
                       static_cast<unsigned short>(server_hostname->size())) != WOLFSSL_SUCCESS)
      throw Error(ErrorKind::usage, "server_hostname '" + *server_hostname + "' cannot be sent as SNI");
    impl->sni = server_hostname;  // what the client sends, known before the handshake
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
        impl->session_offered = true;
      }
    }
  }

  std::unique_ptr<SslSocket> socket(new SslSocket(std::move(impl)));
  if (args.do_handshake) socket->impl_->complete_handshake_blocking("wrap");
  return socket;
}

// ---------------------------------------------------------------------------
// SslSocket

SslSocket::SslSocket(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SslSocket::~SslSocket() { close(); }

std::optional<std::string> SslSocket::read(std::optional<std::size_t> n) {
  Impl& s = *impl_;
  std::string out;
  char buf[kRecordSize];
  for (;;) {
    const std::size_t want_n = n ? std::min(*n - out.size(), kRecordSize) : kRecordSize;
    if (n && want_n == 0) return out;
    const int got = s.read_some(buf, want_n, "read");
    if (got > 0) {
      out.append(buf, static_cast<std::size_t>(got));
      continue;
    }
    if (got == 0) return out;              // EOF: what was collected
    if (out.empty()) return std::nullopt;  // non-blocking, nothing yet
    return out;
  }
}

std::optional<std::size_t> SslSocket::readinto(std::span<char> buffer) {
  Impl& s = *impl_;
  std::size_t total = 0;
  while (total < buffer.size()) {
    const int got = s.read_some(buffer.data() + total, buffer.size() - total, "readinto");
    if (got > 0) {
      total += static_cast<std::size_t>(got);
      continue;
    }
    if (got == 0) break;
    if (total == 0) return std::nullopt;
    break;
  }
  if (buffer.empty()) s.check_usable();
  return total;
}

std::optional<std::string> SslSocket::readline(std::size_t max) {
  Impl& s = *impl_;
  std::string out;
  while (out.size() < max) {
    char c = 0;
    const int got = s.read_some(&c, 1, "readline");
    if (got > 0) {
      out.push_back(c);
      if (c == '\n') break;
      continue;
    }
    if (got == 0) break;
    if (out.empty()) return std::nullopt;
    break;
  }
  return out;
}

std::optional<std::string> SslSocket::recv(std::size_t n) {
  Impl& s = *impl_;
  std::string out(std::min(n, kRecordSize), '\0');
  if (n == 0) {
    s.check_usable();
    return out;
  }
  const int got = s.read_some(out.data(), out.size(), "recv");
  if (got < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(got));
  return out;
}

std::optional<std::size_t> SslSocket::write(std::string_view data) {
  Impl& s = *impl_;
  s.check_usable();
  const bool blocking = s.transport->blocking();
  if (!s.hs.done) {
    if (blocking) {
      s.complete_handshake_blocking("write");
    } else if (!s.advance_handshake("write")) {
      return std::nullopt;
    }
  }
  if (blocking) {
    while (!s.flush_stalled()) s.wait_for(s.want);
  } else if (!s.flush_stalled()) {
    return std::nullopt;
  }
  std::size_t total = 0;
  while (total < data.size()) {
    const std::string_view chunk = data.substr(total, kRecordSize);
    const int ret =
        s.call([&] { return wolfSSL_write(s.ssl.get(), chunk.data(), static_cast<int>(chunk.size())); }, false);
    if (ret > 0) {
      total += static_cast<std::size_t>(ret);
      continue;
    }
    // wolfSSL has encrypted this record and must finish sending it before
    // anything else: the bytes are accepted; the record is sent later.
    s.stalled.assign(chunk);
    total += chunk.size();
    if (!blocking) break;
    while (!s.flush_stalled()) s.wait_for(s.want);
  }
  s.bytes_out += total;
  return total;
}

std::optional<std::size_t> SslSocket::send(std::string_view data) {
  Impl& s = *impl_;
  s.check_usable();
  const bool blocking = s.transport->blocking();
  if (!s.hs.done) {
    if (blocking) {
      s.complete_handshake_blocking("send");
    } else if (!s.advance_handshake("send")) {
      return std::nullopt;
    }
  }
  if (blocking) {
    while (!s.flush_stalled()) s.wait_for(s.want);
  } else if (!s.flush_stalled()) {
    return std::nullopt;
  }
  if (data.empty()) return 0;
  const std::string_view chunk = data.substr(0, kRecordSize);
  const int ret =
      s.call([&] { return wolfSSL_write(s.ssl.get(), chunk.data(), static_cast<int>(chunk.size())); }, false);
  if (ret < 0) {
    s.stalled.assign(chunk);
    if (blocking) {
      while (!s.flush_stalled()) s.wait_for(s.want);
    }
  }
  s.bytes_out += chunk.size();
  return chunk.size();
}

bool SslSocket::do_handshake() {
  Impl& s = *impl_;
  s.check_usable();
  if (s.transport->blocking()) {
    s.complete_handshake_blocking("do_handshake");
    return true;
  }
  return s.advance_handshake("do_handshake");
}

void SslSocket::close() noexcept {
  Impl& s = *impl_;
  if (s.closed) return;
  try {
    if (s.hs.done && !s.sticky && s.ssl) {
      const bool blocking = s.transport->blocking();
      if (blocking || s.flush_stalled()) {
        if (blocking) {
          while (!s.flush_stalled()) s.wait_for(s.want);
        }
        // Sends close_notify; does not wait for the peer's. Exactly one call:
        // a second wolfSSL_shutdown (bidirectional shutdown) with decrypted
        // data still buffered is CVE-2026-15442, which the tuned wolfSSL 5.9.2
        // does not patch (docs/wolfssl-build.md).
        wolfSSL_shutdown(s.ssl.get());
      }
    }
  } catch (...) {
  }
  s.closed = true;
  s.ssl.reset();
  s.transport->close();
}

void SslSocket::abort() noexcept {
  Impl& s = *impl_;
  if (s.closed) return;
  s.closed = true;
  s.ssl.reset();
  s.transport->close();
}

void SslSocket::setblocking(bool blocking) {
  if (impl_->closed) throw Error(ErrorKind::closed, "operation on a closed SSL socket");
  impl_->transport->set_blocking(blocking);
}

bool SslSocket::blocking() const noexcept { return impl_->transport->blocking(); }

void SslSocket::settimeout(std::optional<std::chrono::milliseconds> timeout) { impl_->transport->set_timeout(timeout); }

int SslSocket::fileno() const noexcept { return impl_->closed ? -1 : impl_->transport->fd(); }

Want SslSocket::want() const noexcept { return impl_->want; }

bool SslSocket::pending() const noexcept {
  const Impl& s = *impl_;
  return !s.closed && s.ssl && wolfSSL_pending(s.ssl.get()) > 0;
}

short SslSocket::poll(short events, std::chrono::milliseconds timeout) {
  Impl& s = *impl_;
  if (s.closed || s.sticky) return POLLNVAL;
  const short asked = static_cast<short>(events & (POLLIN | POLLOUT));
  if ((asked & POLLIN) && (s.eof || pending() || (s.hs.done && wolfSSL_has_pending(s.ssl.get())))) return POLLIN;
  // Mid-handshake the socket must move in the direction wolfSSL asked for;
  // report the caller's own events when it can, so the caller calls again.
  if (!s.hs.done && s.want != Want::nothing) {
    const short needed = s.want == Want::write ? POLLOUT : POLLIN;
    const short r = s.transport->wait(needed, timeout);
    if (r & POLLNVAL) return POLLNVAL;
    return r != 0 ? static_cast<short>(asked | (r & (POLLHUP | POLLERR))) : 0;
  }
  // A record accepted but not yet sent needs the socket writable; any call
  // (read or write) then flushes it.
  const bool flushing = !s.stalled.empty();
  const short r = s.transport->wait(static_cast<short>(asked | (flushing ? POLLOUT : 0)), timeout);
  short out = static_cast<short>(r & (asked | POLLHUP | POLLERR | POLLNVAL));
  if (flushing && (r & POLLOUT)) out = static_cast<short>(out | asked);
  return out;
}

bool SslSocket::closed() const noexcept { return impl_->closed; }
bool SslSocket::server_side() const noexcept { return impl_->server; }
const HandshakeInfo& SslSocket::handshake() const noexcept { return impl_->hs; }

std::optional<std::string> SslSocket::tls_version() const {
  const Impl& s = *impl_;
  if (!s.hs.done || !s.ssl) return std::nullopt;
  const std::string name = wolfSSL_get_version(s.ssl.get());
  return name == "TLSv1" ? std::string("TLSv1.0") : name;  // wolfSSL's name for TLS 1.0
}

std::optional<std::string> SslSocket::cipher() const {
  const Impl& s = *impl_;
  if (!s.hs.done || !s.ssl) return std::nullopt;
  const int suite = wolfSSL_get_current_cipher_suite(s.ssl.get());
  const char* name = wolfSSL_get_cipher_name_iana_from_suite(static_cast<unsigned char>((suite >> 8) & 0xff),
                                                             static_cast<unsigned char>(suite & 0xff));
  if (name == nullptr || *name == '\0' || std::strcmp(name, "None") == 0) name = wolfSSL_get_cipher_name(s.ssl.get());
  if (name == nullptr) return std::nullopt;
  return std::string(name);
}

std::optional<std::string> SslSocket::sni() const { return impl_->sni; }

std::optional<std::string> SslSocket::alpn() const {
  const Impl& s = *impl_;
  if (!s.hs.done || !s.ssl) return std::nullopt;
  char* name = nullptr;
  unsigned short size = 0;
  if (wolfSSL_ALPN_GetProtocol(s.ssl.get(), &name, &size) != WOLFSSL_SUCCESS || name == nullptr || size == 0)
    return std::nullopt;
  return std::string(name, size);
}

bool SslSocket::session_offered() const noexcept { return impl_->session_offered; }

bool SslSocket::session_reused() const noexcept {
  const Impl& s = *impl_;
  return s.hs.done && s.ssl && wolfSSL_session_reused(s.ssl.get()) == 1;
}

bool SslSocket::session_ticket_received() const noexcept {
  const Impl& s = *impl_;
  if (s.ticket) return true;
  // wolfSSL calls the ticket callback for TLS 1.2 only; under TLS 1.3 ask
  // the session itself.
  if (!s.hs.done || !s.ssl || s.server) return false;
  WOLFSSL_SESSION* session = wolfSSL_get_session(s.ssl.get());
  return session != nullptr && wolfSSL_SESSION_has_ticket(session) == 1;
}

std::optional<std::string> SslSocket::session() const {
  const Impl& s = *impl_;
  if (!s.hs.done || !s.ssl || s.server) return std::nullopt;
  // A TLS 1.3 session resumes only through a ticket, which arrives after the
  // handshake; before it there is nothing worth saving.
  if (wolfSSL_version(s.ssl.get()) == TLS1_3_VERSION && !session_ticket_received()) return std::nullopt;
  std::unique_ptr<WOLFSSL_SESSION, SessionFree> session(wolfSSL_get1_session(s.ssl.get()));
  if (!session) return std::nullopt;
  const int len = wolfSSL_i2d_SSL_SESSION(session.get(), nullptr);
  if (len <= 0) return std::nullopt;
  std::string out(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  if (wolfSSL_i2d_SSL_SESSION(session.get(), &p) != len) return std::nullopt;
  return out;
}

const std::vector<CertificateInfo>& SslSocket::peer_chain() const noexcept {
  Impl& s = *impl_;
  if (s.chain.empty() && !s.raw_chain.empty()) {
    try {
      for (const auto& der : s.raw_chain) s.chain.push_back(parse_certificate(der));
    } catch (const Error&) {
    }
  }
  return s.chain;
}

const VerifyResult& SslSocket::verify_result() const noexcept { return impl_->verify; }
const std::optional<Error>& SslSocket::error() const noexcept { return impl_->sticky; }
std::uint64_t SslSocket::bytes_read() const noexcept { return impl_->bytes_in; }
std::uint64_t SslSocket::bytes_written() const noexcept { return impl_->bytes_out; }
Transport& SslSocket::transport() noexcept { return *impl_->transport; }

}  // namespace ussl
