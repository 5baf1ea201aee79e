// Private to the library: reads the plaintext handshake messages of a
// connection off the bytes the transport carries (both directions), up to
// where encryption starts: the ClientHellos, ServerHellos and
// HelloRetryRequests (RFC 8446 4.1), and under TLS 1.2 the
// ServerKeyExchange's group and signature scheme (RFC 8422 5.4) and a
// client's CertificateVerify scheme (RFC 5246 7.4.8).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "ussl/hello.hpp"

namespace ussl {

class HandshakeTap {
 public:
  enum class Dir { client_to_server, server_to_client };

  // Feeds bytes as they crossed the transport, in order per direction.
  void feed(Dir dir, std::span<const std::uint8_t> bytes);

  // Every ClientHello seen, in order, and the TLS record bytes (5-byte
  // headers included) that carried each.
  const std::vector<ClientHello>& client_hellos() const { return client_hellos_; }
  const std::vector<std::size_t>& client_hello_record_bytes() const { return client_hello_bytes_; }
  // A HelloRetryRequest was seen (a ServerHello whose random is RFC 8446's
  // SHA-256 of "HelloRetryRequest").
  bool hello_retry_request() const { return hrr_; }
  // The group of the last ServerHello's key_share (TLS 1.3) or of the
  // ServerKeyExchange (TLS 1.2 ECDHE).
  std::optional<std::uint16_t> group() const { return group_; }
  // TLS 1.2 signature schemes on the wire: the server's (ServerKeyExchange)
  // and the client's (CertificateVerify).
  std::optional<std::uint16_t> server_signature_scheme() const { return server_sig_; }
  std::optional<std::uint16_t> client_signature_scheme() const { return client_sig_; }
  // Both directions stopped (encrypted, or nothing more to learn).
  bool done() const { return in_[0].stopped && in_[1].stopped; }

 private:
  struct Stream {
    std::vector<std::uint8_t> records;   // unparsed record bytes
    std::vector<std::uint8_t> messages;  // handshake bytes not yet a whole message
    std::size_t record_bytes = 0;        // record bytes since the last whole message
    unsigned hellos = 0;
    bool stopped = false;
  };
  void stop(Stream& s);
  void record(Dir dir, Stream& s, std::uint8_t type, std::span<const std::uint8_t> payload, std::size_t size);
  void message(Dir dir, Stream& s, std::span<const std::uint8_t> msg);

  Stream in_[2];
  std::vector<ClientHello> client_hellos_;
  std::vector<std::size_t> client_hello_bytes_;
  bool hrr_ = false;
  bool tls13_ = false;
  std::optional<std::uint16_t> group_;
  std::optional<std::uint16_t> server_sig_;
  std::optional<std::uint16_t> client_sig_;
};

}  // namespace ussl
