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
#include "ussl/client_hello.hpp"
#include "ussl/names.hpp"
#include "wire.hpp"

namespace ussl {

namespace {
constexpr std::size_t kRecordSize = 16384;
// The most certificates of the peer's chain this wolfSSL collects.
#ifdef MAX_CHAIN_DEPTH
constexpr int kCollected = MAX_CHAIN_DEPTH;
#else
constexpr int kCollected = 9;  // wolfSSL's default (Debian's build)
#endif

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
  bool eof = false;                               // close_notify received
  bool ticket = false;                            // client: a session ticket arrived
  bool sni_certificate = false;                   // server: a certificate was chosen by SNI
  std::optional<Error> setup_failure;             // server: why no certificate could be chosen
  std::unique_ptr<detail::HandshakeTap> sni_tap;  // server, until the handshake ends: the ClientHello's bytes
  std::string alpn_list;                          // comma-separated, kept alive for wolfSSL
  std::string stalled;                            // a record wolfSSL must finish sending
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::optional<std::chrono::steady_clock::time_point> first_sent;  // client: ClientHello handed to the transport
  std::string resumed_ticket;             // client: the ticket this connection resumed with (a new one replaces it)
  HandshakeTap tap;                       // the plaintext handshake messages, both ways
  bool own_key_pss = false;               // our certificate's key is RSASSA-PSS (the one in use)
  bool hrr_forced = false;                // server: the groups were narrowed for a HelloRetryRequest
  std::optional<std::uint16_t> peer_sig;  // TLS 1.3: signature schemes, at the end of the handshake
  std::optional<std::uint16_t> own_sig;

  void tap_bytes(bool received, std::span<const std::uint8_t> bytes);
  void force_hello_retry();
  void record_signature_schemes();

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
  void run_verdict();
  bool verdict_done = false;
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
  if (s.sni_tap && r.status == IoResult::Status::ok) s.sni_tap->feed({reinterpret_cast<const std::uint8_t*>(buf), r.n});
  if (s.first_sent && !s.hs.round_trip && r.status == IoResult::Status::ok && r.n > 0)
    s.hs.round_trip =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - *s.first_sent);
  if (r.status == IoResult::Status::ok && !s.hs.done)
    s.tap_bytes(true, {reinterpret_cast<const std::uint8_t*>(buf), r.n});
  return io_result_to_cbio(s, r, true);
}

int io_send(WOLFSSL*, char* buf, int sz, void* ctx) {
  auto& s = *static_cast<SslSocket::Impl*>(ctx);
  // The client's first send starts the round-trip clock, taken before the
  // send: on loopback the server may answer before send() returns here (its
  // thread preempts ours).
  const bool first = !s.server && !s.first_sent;
  const auto now = first ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  const IoResult r = s.transport->send({reinterpret_cast<const std::byte*>(buf), static_cast<std::size_t>(sz)});
  if (first && r.status == IoResult::Status::ok && r.n > 0) s.first_sent = now;
  if (r.status == IoResult::Status::ok && !s.hs.done)
    s.tap_bytes(false, {reinterpret_cast<const std::uint8_t*>(buf), r.n});
  return io_result_to_cbio(s, r, false);
}

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

// wolfSSL calls this for every certificate of the peer's chain, top first,
// the leaf (depth 0) last. wolfSSL's own complaints are recorded, never
// decisive: intermediates always pass here, and at the leaf, with the whole
// chain known, ussl's verdict (verify_chain) decides. CERT_NONE records it
// and lets the handshake go on.
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
  if (!preverify && verify.wolfssl_error.empty()) {
    verify.wolfssl_code = store->error;
    verify.wolfssl_error = "depth " + std::to_string(store->error_depth) + ": " + wolfssl_error_text(store->error);
  }
  if (store->error_depth != 0) return 1;
  run_verdict();
  if (!verify.enforced) return 1;  // CERT_NONE: record, never fail
  return verify.ok ? 1 : 0;
}

void SslSocket::Impl::run_verdict() {
  if (verdict_done || raw_chain.empty()) return;
  verdict_done = true;
  const Options& o = ctx->options;
  VerifyPolicy policy;
  policy.role = server ? ChainRole::client : ChainRole::server;
  if (!server) policy.hostname = hostname;
  policy.at = o.verify_at;
  policy.max_depth = o.max_chain_depth;
  policy.security_level = o.security_level;
  policy.crls = ctx->crls;
  policy.crl_check = o.crl_check;
  ChainVerdict verdict;
  try {
    verdict = verify_chain(raw_chain, *ctx->anchors, policy);
  } catch (const Error& e) {
    verdict.problems.push_back({e.kind(), -1, "", "verification", e.message()});
  }
  verify.ok = verdict.ok;
  verify.path = std::move(verdict.path);
  if (hostname && !server) {
    verify.hostname_ok = std::none_of(verdict.problems.begin(), verdict.problems.end(),
                                      [](const CertProblem& p) { return p.kind == ErrorKind::hostname_mismatch; });
    // Whether the match leaned on the legacy CN (the verdict's own name rule
    // is the same match_server_name, through hostname_matches).
    try {
      verify.cn_fallback = match_server_name(parse_certificate(raw_chain.front()), *hostname).cn_fallback;
    } catch (const Error&) {
    }
  }
  if (!verdict.ok && raw_chain.size() >= static_cast<std::size_t>(kCollected)) {
    // wolfSSL stopped collecting: the verdict saw a truncated chain.
    verdict.problems.insert(verdict.problems.begin(),
                            CertProblem{ErrorKind::chain_too_long, -1, "", "wolfSSL MAX_CHAIN_DEPTH",
                                        "the peer sent at least " + std::to_string(raw_chain.size()) +
                                            " certificates, as many as this wolfSSL collects (MAX_CHAIN_DEPTH " +
                                            std::to_string(kCollected) + "): the rest were not seen"});
  }
  if (!verdict.problems.empty()) {
    const auto& first = verdict.problems.front();
    record_failure(first.kind, first.message, first.depth, verify.wolfssl_code);
  }
  verify.problems = std::move(verdict.problems);
}

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
    s->setup_failure = Error(ErrorKind::protocol_error,
                             "client sent no SNI and there is no default certificate (only SNI certificates); sent "
                             "alert " +
                                 std::string(tls13 ? "missing_extension" : "unrecognized_name"));
    *alert = tls13 ? 109 : 112;  // missing_extension : unrecognized_name
    return 2;                    // SSL_TLSEXT_ERR_ALERT_FATAL
  }
  // wolfSSL keeps the name as a C string: an embedded NUL would cut it
  // short ("localhost\0.evil.example" reads as "localhost"), so the name is
  // taken byte for byte from the ClientHello itself.
  std::optional<std::string> raw;
  if (s->sni_tap) raw = detail::client_hello_host_name(s->sni_tap->stream());
  s->sni = raw.value_or(name);
  if (!detail::valid_host_name(*s->sni)) {
    // RFC 6066 §3: HostName is an ASCII DNS name; a server that cannot
    // accept it aborts with illegal_parameter (the alert tlsfuzzer's
    // test-invalid-server-name-extension expects).
    s->setup_failure = Error(ErrorKind::protocol_error,
                             "client sent an invalid server name (only letters, digits, '-', '.' and '_' are "
                             "allowed): '" +
                                 *s->sni + "'; sent alert illegal_parameter");
    *alert = 47;  // illegal_parameter
    return 2;     // SSL_TLSEXT_ERR_ALERT_FATAL
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
      *alert = 80;  // internal_error
      return 2;     // SSL_TLSEXT_ERR_ALERT_FATAL
    }
    s->sni_certificate = true;
    s->own_key_pss = entry.key_pss;
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
  if (s == nullptr) return 1;
  if (!s->server) {
    // A client with a certificate: wolfSSL runs this when it processes the
    // server's CertificateRequest (TLS 1.2 and 1.3).
    s->hs.certificate_requested = true;
    return 1;
  }
  if (s->ctx->options.certfile || s->sni_certificate) return 1;
  if (!s->setup_failure)
    s->setup_failure = Error(ErrorKind::protocol_error,
                             "client sent no SNI and there is no default certificate (only SNI certificates)");
  return 0;
}

// A client without a certificate: wolfSSL asks this for one when the server
// sent a CertificateRequest (TLS 1.2: on receiving it; TLS 1.3: when sending
// the client's Certificate). None is given: an empty Certificate goes out.
// (The cert-setup callback cannot serve here: with it set, wolfSSL 5.7
// promises a certificate and fails with NO_CERT_ERROR.)
int certificate_request_callback(WOLFSSL* ssl, WOLFSSL_X509**, WOLFSSL_EVP_PKEY**) {
  auto* s = static_cast<SslSocket::Impl*>(wolfSSL_GetIOReadCtx(ssl));
  if (s != nullptr) s->hs.certificate_requested = true;
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

// The session ticket a client holds now ("" when none).
std::string current_ticket(WOLFSSL* ssl) {
  std::string ticket(4096, '\0');
  word32 size = static_cast<word32>(ticket.size());
  if (wolfSSL_get_SessionTicket(ssl, reinterpret_cast<unsigned char*>(ticket.data()), &size) != WOLFSSL_SUCCESS)
    return {};
  ticket.resize(size);
  return ticket;
}
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
  if (err == MAX_CHAIN_ERROR && handshake) {
    record_failure(ErrorKind::chain_too_long,
                   "the peer sent more certificates than this wolfSSL collects (MAX_CHAIN_DEPTH " +
                       std::to_string(kCollected) + ")",
                   -1, err);
    return Error(ErrorKind::chain_too_long, verify.reason, err);
  }
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

void SslSocket::Impl::tap_bytes(bool received, std::span<const std::uint8_t> bytes) {
  if (tap.done()) return;
  const bool from_client = received == server;
  tap.feed(from_client ? HandshakeTap::Dir::client_to_server : HandshakeTap::Dir::server_to_client, bytes);
  if (server && received && ctx->options.hello_retry_request && !hrr_forced && tap.client_hellos().size() == 1)
    force_hello_retry();
}

// The first ClientHello is complete and wolfSSL has not parsed it yet: offer
// only groups the client supports but sent no key share for, so the server
// must ask again (RFC 8446 4.1.4).
void SslSocket::Impl::force_hello_retry() {
  hrr_forced = true;
  const ClientHello& hello = tap.client_hellos().front();
  std::vector<std::uint16_t> ours = ctx->groups;
  if (ours.empty()) {
    for (const auto& g : known_groups()) {
      if (g.built) ours.push_back(g.id);
    }
  }
  std::vector<int> narrowed;
  for (const auto id : ours) {
    const bool supported = std::find(hello.groups.begin(), hello.groups.end(), id) != hello.groups.end();
    const bool shared = std::find(hello.key_shares.begin(), hello.key_shares.end(), id) != hello.key_shares.end();
    if (supported && !shared) narrowed.push_back(id);
  }
  if (narrowed.empty()) return;  // every common group has a key share: no HelloRetryRequest is possible
  wolfSSL_set_groups(ssl.get(), narrowed.data(), static_cast<int>(narrowed.size()));
}

// True when the certificate's subjectPublicKeyInfo algorithm is RSASSA-PSS
// (1.2.840.113549.1.1.10), not rsaEncryption: what tells rsa_pss_pss_* from
// rsa_pss_rsae_* (RFC 8446 4.2.3).
bool has_pss_key(std::span<const std::uint8_t> der) {
  // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version?, serial,
  // signature, issuer, validity, subject, subjectPublicKeyInfo SEQUENCE {
  // algorithm SEQUENCE { OID ... } ... } ... } ... }
  std::size_t pos = 0;
  const auto header = [&](std::size_t& len) -> bool {
    if (pos + 2 > der.size()) return false;
    ++pos;  // tag
    std::size_t n = der[pos++];
    if (n & 0x80) {
      const std::size_t bytes = n & 0x7f;
      if (bytes == 0 || bytes > 3 || pos + bytes > der.size()) return false;
      n = 0;
      for (std::size_t i = 0; i < bytes; ++i) n = (n << 8) | der[pos++];
    }
    len = n;
    return pos + len <= der.size();
  };
  std::size_t len = 0;
  if (!header(len) || !header(len)) return false;  // Certificate, tbsCertificate
  if (pos < der.size() && der[pos] == 0xa0) {
    if (!header(len)) return false;
    pos += len;
  }
  for (int i = 0; i < 5; ++i) {  // serial, signature, issuer, validity, subject
    if (!header(len)) return false;
    pos += len;
  }
  if (!header(len) || !header(len) || !header(len)) return false;  // spki, algorithm, OID
  static constexpr std::uint8_t kPss[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a};
  return len == sizeof kPss && std::equal(kPss, kPss + sizeof kPss, der.begin() + static_cast<std::ptrdiff_t>(pos));
}

namespace {
#ifdef USSL_HAVE_SIGNATURE_NIDS
// The SignatureScheme of a TLS 1.3 signature from wolfSSL's (hash, key type) NIDs.
std::optional<std::uint16_t> scheme_of(int hash_nid, int type_nid, bool pss_key) {
  // wolfSSL's NID values (not always OpenSSL's).
  const int level = hash_nid == NID_sha256 ? 0 : hash_nid == NID_sha384 ? 1 : hash_nid == NID_sha512 ? 2 : -1;
#ifdef HAVE_ED25519
  if (type_nid == NID_ED25519) return 0x0807;
#endif
#ifdef HAVE_ED448
  if (type_nid == NID_ED448) return 0x0808;
#endif
  if (level < 0) return std::nullopt;
  if (type_nid == NID_X9_62_id_ecPublicKey) return static_cast<std::uint16_t>(0x0403 + 0x100 * level);
  if (type_nid == NID_rsaEncryption) return static_cast<std::uint16_t>(0x0401 + 0x100 * level);
  if (type_nid == NID_rsassaPss) return static_cast<std::uint16_t>((pss_key ? 0x0809 : 0x0804) + level);
  return std::nullopt;
}
#endif
}  // namespace

void SslSocket::Impl::record_signature_schemes() {
#ifdef USSL_HAVE_SIGNATURE_NIDS
  if (wolfSSL_version(ssl.get()) != TLS1_3_VERSION || wolfSSL_session_reused(ssl.get()) == 1) return;
  int hash = 0;
  int type = 0;
  if (wolfSSL_get_peer_signature_nid(ssl.get(), &hash) == WOLFSSL_SUCCESS &&
      wolfSSL_get_peer_signature_type_nid(ssl.get(), &type) == WOLFSSL_SUCCESS && !raw_chain.empty())
    peer_sig = scheme_of(hash, type, has_pss_key(raw_chain.front()));
  // A client signs only when the server asked for its certificate, which
  // wolfSSL does not tell: a client with a certificate reports the scheme
  // wolfSSL chose for it. Whether our key is RSASSA-PSS was decided when the
  // context loaded the certificate (wolfSSL_get_certificate would decode an
  // X509 and keep it for the connection's life: ~28 KiB per idle server
  // connection, faults.IdleMemoryTests).
  const bool have_own = sni_certificate || ctx->options.certfile;
  if (have_own && wolfSSL_get_signature_nid(ssl.get(), &hash) == WOLFSSL_SUCCESS &&
      wolfSSL_get_signature_type_nid(ssl.get(), &type) == WOLFSSL_SUCCESS)
    own_sig = scheme_of(hash, type, own_key_pss);
#endif
}

void SslSocket::Impl::handshake_finished() {
  hs.done = true;
  sni_tap.reset();
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
  // Builds whose verify callback does not run on success: judge now, and
  // fail an enforced handshake that the verdict rejects.
  if (verify.performed && !verdict_done) {
    run_verdict();
    if (verify.enforced && verify.failure) {
      sticky = Error(*verify.failure, verify.reason, verify.wolfssl_code);
      throw *sticky;
    }
  }
  if (!server && wolfSSL_version(ssl.get()) == TLS1_3_VERSION && wolfSSL_session_reused(ssl.get()) == 1)
    resumed_ticket = current_ticket(ssl.get());
  record_signature_schemes();
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
  impl->own_key_pss = impl_->own_key_pss;
  if (impl->server) impl->sni_tap = std::make_unique<detail::HandshakeTap>();
  impl->verify.mode = impl_->options.cert_reqs;
  impl->verify.enforced = impl_->options.cert_reqs != CertReqs::none;
  impl->hs.deferred = !args.do_handshake;
  if (server_hostname && server_hostname->empty()) throw Error(ErrorKind::usage, "server_hostname is empty");
  if (!impl->server && server_hostname) {
    // SNI and the name checked: no trailing dot, A-labels (names.hpp).
    impl->hostname = normalize_server_name(*server_hostname);
    impl->verify.hostname = impl->hostname;
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
    impl->sni = name;  // what the client sends, known before the handshake
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
    // A resumption offers the key share of the session's group itself (a
    // second entry for that group would be illegal_parameter, RFC 8446 4.2.8).
    if (!impl->session_offered) {
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
  if (session == nullptr || wolfSSL_SESSION_has_ticket(session) != 1) return false;
  // A resumed connection holds the ticket it resumed with until the server
  // sends a new one.
  return s.resumed_ticket.empty() || current_ticket(s.ssl.get()) != s.resumed_ticket;
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
      for (const auto& der : s.raw_chain) s.chain.push_back(describe_certificate(der));
    } catch (const Error&) {
    }
  }
  return s.chain;
}

Negotiation SslSocket::negotiation() const {
  const Impl& s = *impl_;
  Negotiation n;
  const HandshakeTap& tap = s.tap;
  if (tap.group()) n.group = group_name(*tap.group());
  n.hello_retry_request = tap.hello_retry_request();
  const auto& hellos = tap.client_hellos();
  if (!hellos.empty()) {
    for (const auto g : hellos.front().key_shares) n.key_shares_offered.push_back(group_name(g));
    if (s.server) n.client_hello = hellos.front();
  }
  n.client_hello_bytes = tap.client_hello_record_bytes();
  // TLS 1.2: the schemes on the wire; TLS 1.3: recorded at the handshake's end.
  const auto server_sig = tap.server_signature_scheme();
  const auto client_sig = tap.client_signature_scheme();
  auto peer = s.server ? client_sig : server_sig;
  auto own = s.server ? server_sig : client_sig;
  if (s.peer_sig) peer = s.peer_sig;
  if (s.own_sig) own = s.own_sig;
  if (peer) n.signature_scheme = signature_scheme_name(*peer);
  if (own) n.own_signature_scheme = signature_scheme_name(*own);
  return n;
}

const VerifyResult& SslSocket::verify_result() const noexcept { return impl_->verify; }
const std::optional<Error>& SslSocket::error() const noexcept { return impl_->sticky; }
std::uint64_t SslSocket::bytes_read() const noexcept { return impl_->bytes_in; }
std::uint64_t SslSocket::bytes_written() const noexcept { return impl_->bytes_out; }
Transport& SslSocket::transport() noexcept { return *impl_->transport; }

}  // namespace ussl
