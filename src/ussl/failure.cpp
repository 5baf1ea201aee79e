// The error a failed wolfSSL call maps to.
#include <cstring>

#include "socket_impl.hpp"

namespace ussl {

Error SslSocket::Impl::map_error(int err, bool handshake) {
  const char* phase = handshake ? " during the handshake" : "";
  if (failure.setup && handshake) return Error(failure.setup->kind(), failure.setup->message(), err);
  if (rec.verify.failure && rec.verify.enforced && handshake)
    return Error(*rec.verify.failure, rec.verify.reason, rec.verify.wolfssl_code ? rec.verify.wolfssl_code : err);
  WOLFSSL_ALERT_HISTORY history{};
  wolfSSL_get_alert_history(ssl.get(), &history);
  if (err == FATAL_ERROR) {
    const int alert = history.last_rx.code;
    return Error(ErrorKind::alert_received,
                 "peer sent fatal alert " + alert_name(alert) + " (" + std::to_string(alert) + ")" + phase, err, alert);
  }
  if (failure.transport) {
    const auto& io = *failure.transport;
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
    return Error(ErrorKind::chain_too_long, rec.verify.reason, err);
  }
  if (err == NO_PEER_CERT || (server && handshake && rec.verify.mode == CertReqs::required && !rec.verify.performed &&
                              (err == VERIFY_CERT_ERROR || err == NO_PEER_VERIFY))) {
    record_failure(ErrorKind::peer_cert_missing, "the client sent no certificate (cert_reqs=CERT_REQUIRED)", 0, err);
    return Error(ErrorKind::peer_cert_missing, "the client sent no certificate (cert_reqs=CERT_REQUIRED)", err);
  }
  std::string text = wolfssl_error_text(err);
  if (history.last_tx.code > static_cast<int>(AlertDescription::close_notify) || history.last_tx.level == 2)
    text += "; sent alert " + alert_name(history.last_tx.code);
  return Error(ErrorKind::protocol_error, text + phase, err);
}

}  // namespace ussl
