// wolfSSL's I/O callbacks: the one place that knows wolfSSL's callback codes.
// wolfSSL never touches a socket; these move bytes through the connection's
// Transport, and tap them for what the handshake record needs (the
// ClientHello, the round trip, the plaintext handshake messages).
#include <chrono>

#include "socket_impl.hpp"

namespace ussl {

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
      s.failure.note_transport(r);
      return WOLFSSL_CBIO_ERR_CONN_CLOSE;
    case IoResult::Status::reset:
      s.failure.note_transport(r);
      return WOLFSSL_CBIO_ERR_CONN_RST;
    case IoResult::Status::timeout:
      s.failure.note_transport(r);
      return WOLFSSL_CBIO_ERR_TIMEOUT;
    case IoResult::Status::error:
      s.failure.note_transport(r);
      return WOLFSSL_CBIO_ERR_GENERAL;
  }
  return WOLFSSL_CBIO_ERR_GENERAL;
}

}  // namespace

int io_recv(WOLFSSL*, char* buf, int sz, void* ctx) {
  auto& s = *static_cast<SslSocket::Impl*>(ctx);
  const IoResult r = s.transport->recv({reinterpret_cast<std::byte*>(buf), static_cast<std::size_t>(sz)});
  if (s.sni_tap && r.status == IoResult::Status::ok) s.sni_tap->feed({reinterpret_cast<const std::uint8_t*>(buf), r.n});
  if (s.first_sent && !s.rec.handshake.round_trip && r.status == IoResult::Status::ok && r.n > 0)
    s.rec.handshake.round_trip =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - *s.first_sent);
  if (r.status == IoResult::Status::ok && !s.rec.handshake.done)
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
  if (r.status == IoResult::Status::ok && !s.rec.handshake.done)
    s.tap_bytes(false, {reinterpret_cast<const std::uint8_t*>(buf), r.n});
  return io_result_to_cbio(s, r, false);
}

}  // namespace ussl
