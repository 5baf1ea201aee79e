// Session resumption: the client's tickets and saved sessions.
#include "socket_impl.hpp"

namespace ussl {

int ticket_callback(WOLFSSL*, const unsigned char*, int, void* ctx) {
  static_cast<SslSocket::Impl*>(ctx)->ticket = true;
  return 0;
}

std::string current_ticket(WOLFSSL* ssl) {
  std::string ticket(4096, '\0');
  word32 size = static_cast<word32>(ticket.size());
  if (wolfSSL_get_SessionTicket(ssl, reinterpret_cast<unsigned char*>(ticket.data()), &size) != WOLFSSL_SUCCESS)
    return {};
  ticket.resize(size);
  return ticket;
}

bool SslSocket::session_offered() const noexcept { return impl_->rec.session_offered; }

bool SslSocket::session_reused() const noexcept { return impl_->rec.resumed; }

bool SslSocket::session_ticket_received() const noexcept {
  const Impl& s = *impl_;
  if (s.ticket) return true;
  // wolfSSL calls the ticket callback for TLS 1.2 only; under TLS 1.3 ask
  // the session itself.
  if (!s.rec.handshake.done || !s.ssl || s.server) return false;
  WOLFSSL_SESSION* session = wolfSSL_get_session(s.ssl.get());
  if (session == nullptr || wolfSSL_SESSION_has_ticket(session) != 1) return false;
  // A resumed connection holds the ticket it resumed with until the server
  // sends a new one.
  return s.resumed_ticket.empty() || current_ticket(s.ssl.get()) != s.resumed_ticket;
}

std::optional<std::string> SslSocket::session() const {
  const Impl& s = *impl_;
  if (!s.rec.handshake.done || !s.ssl || s.server) return std::nullopt;
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

}  // namespace ussl
