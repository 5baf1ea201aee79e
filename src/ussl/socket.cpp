// SslSocket: what the connection negotiated and found (the accessors). The
// other parts of one connection live in the files socket_impl.hpp lists.
#include "socket_impl.hpp"

namespace ussl {

bool SslSocket::closed() const noexcept { return impl_->closed; }
bool SslSocket::server_side() const noexcept { return impl_->server; }
const HandshakeInfo& SslSocket::handshake() const noexcept { return impl_->rec.handshake; }
std::optional<std::string> SslSocket::tls_version() const { return impl_->rec.version; }
std::optional<std::string> SslSocket::cipher() const { return impl_->rec.cipher; }
std::optional<std::string> SslSocket::sni() const { return impl_->rec.sni; }
std::optional<std::string> SslSocket::alpn() const { return impl_->rec.alpn; }

const std::vector<CertificateInfo>& SslSocket::peer_chain() const noexcept {
  Impl& s = *impl_;
  if (s.rec.peer_chain.empty() && !s.raw_chain.empty()) {
    try {
      for (const auto& der : s.raw_chain) s.rec.peer_chain.push_back(describe_certificate(der));
    } catch (const Error&) {
    }
  }
  return s.rec.peer_chain;
}

Negotiation SslSocket::negotiation() const { return record().negotiation; }

const ConnectionRecord& SslSocket::record() const {
  impl_->refresh_record();
  return impl_->rec;
}

const VerifyResult& SslSocket::verify_result() const noexcept { return impl_->rec.verify; }
const std::optional<Error>& SslSocket::error() const noexcept { return impl_->failure.sticky; }
std::uint64_t SslSocket::bytes_read() const noexcept { return impl_->rec.bytes_received; }
std::uint64_t SslSocket::bytes_written() const noexcept { return impl_->rec.bytes_sent; }
Transport& SslSocket::transport() noexcept { return *impl_->transport; }

}  // namespace ussl
