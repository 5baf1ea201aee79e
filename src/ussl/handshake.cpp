// The handshake driver: one step at a time (advance_handshake), to completion
// (complete_handshake_blocking), and what is recorded when it finishes
// (peer chain, signature schemes). Also the handshake tap's hook that forces
// a HelloRetryRequest.
#include <poll.h>

#include <algorithm>
#include <cstring>

#include "socket_impl.hpp"

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

// ---------------------------------------------------------------------------
// Driving wolfSSL

void SslSocket::Impl::check_usable() const {
  if (closed) throw Error(ErrorKind::closed, "operation on a closed SSL socket");
  if (failure.sticky) throw *failure.sticky;
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
  raise(map_error(err, handshake));
}

void SslSocket::Impl::raise(Error error) {
  refresh_record();
  error.attach_record(std::make_shared<const ConnectionRecord>(rec));
  failure.sticky = std::move(error);
  throw *failure.sticky;
}

void SslSocket::Impl::wait_for(Want direction) {
  const short events = direction == Want::write ? POLLOUT : POLLIN;
  // The transport's own timeout bounds the wait; without one, wait forever.
  if (transport->wait(events, transport->timeout().value_or(std::chrono::milliseconds(-1))) == 0) {
    raise(Error(ErrorKind::timeout, "timed out waiting for the socket"));
  }
}

bool SslSocket::Impl::advance_handshake(const char* trigger) {
  if (rec.handshake.done) return true;
  touch_thread_caches();
  if (rec.handshake.trigger.empty()) {
    rec.handshake.trigger = eager_trigger.value_or(trigger);
    started = std::chrono::steady_clock::now();
  }
  rec.nonblocking = !transport->blocking();
  const int ret = call([this] { return server ? wolfSSL_accept(ssl.get()) : wolfSSL_connect(ssl.get()); }, true);
  if (ret == -1) {
    (want == Want::write ? rec.handshake.want_write : rec.handshake.want_read)++;
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
  rec.handshake.done = true;
  rec.handshake.duration =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  sni_tap.reset();
  record_parameters();
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
  if (rec.verify.performed && !verdict_done) {
    run_verdict();
    if (rec.verify.enforced && rec.verify.failure) {
      raise(Error(*rec.verify.failure, rec.verify.reason, rec.verify.wolfssl_code));
    }
  }
  if (!server && wolfSSL_version(ssl.get()) == TLS1_3_VERSION && wolfSSL_session_reused(ssl.get()) == 1)
    resumed_ticket = current_ticket(ssl.get());
  record_signature_schemes();
}

// The negotiated parameters, read from wolfSSL once the handshake completed.
void SslSocket::Impl::record_parameters() {
  WOLFSSL* s = ssl.get();
  const std::string version = wolfSSL_get_version(s);
  rec.version = version == "TLSv1" ? std::string("TLSv1.0") : version;  // wolfSSL's name for TLS 1.0
  const int suite = wolfSSL_get_current_cipher_suite(s);
  const char* name = wolfSSL_get_cipher_name_iana_from_suite(static_cast<unsigned char>((suite >> 8) & 0xff),
                                                             static_cast<unsigned char>(suite & 0xff));
  if (name == nullptr || *name == '\0' || std::strcmp(name, "None") == 0) name = wolfSSL_get_cipher_name(s);
  if (name != nullptr) rec.cipher = std::string(name);
  char* protocol = nullptr;
  unsigned short size = 0;
  if (wolfSSL_ALPN_GetProtocol(s, &protocol, &size) == WOLFSSL_SUCCESS && protocol != nullptr && size != 0)
    rec.alpn = std::string(protocol, size);
  rec.resumed = wolfSSL_session_reused(s) == 1;
}

void SslSocket::Impl::refresh_record() {
  if (rec.peer_chain.empty() && !raw_chain.empty()) {
    try {
      for (const auto& der : raw_chain) rec.peer_chain.push_back(describe_certificate(der));
    } catch (const Error&) {
    }
  }
  Negotiation& n = rec.negotiation;
  n = Negotiation{};
  if (tap.group()) n.group = group_name(*tap.group());
  n.hello_retry_request = tap.hello_retry_request();
  const auto& hellos = tap.client_hellos();
  if (!hellos.empty()) {
    for (const auto g : hellos.front().key_shares) n.key_shares_offered.push_back(group_name(g));
    if (server) n.client_hello = hellos.front();
  }
  n.client_hello_bytes = tap.client_hello_record_bytes();
  // TLS 1.2: the schemes on the wire; TLS 1.3: recorded at the handshake's end.
  const auto server_sig = tap.server_signature_scheme();
  const auto client_sig = tap.client_signature_scheme();
  auto peer = server ? client_sig : server_sig;
  auto own = server ? server_sig : client_sig;
  if (peer_sig) peer = peer_sig;
  if (own_sig) own = own_sig;
  if (peer) n.signature_scheme = signature_scheme_name(*peer);
  if (own) n.own_signature_scheme = signature_scheme_name(*own);
}

}  // namespace ussl
