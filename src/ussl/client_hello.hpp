// What a server needs to read from the ClientHello byte for byte, where
// wolfSSL hands over only a C string: the record-layer tap that keeps the
// plaintext handshake stream, and the server_name it carried.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ussl::detail {

// Follows the records a server receives during its handshake and keeps the
// payload of plaintext handshake records (content type 22) as one stream,
// so a ClientHello split over any number of records reads as one message.
// Bounded: stops (and keeps what it has) past kLimit bytes of stream, and at
// the first record that cannot be plaintext handshake (application data,
// alert or an unknown type).
class HandshakeTap {
 public:
  // Two ClientHellos (one before and one after a HelloRetryRequest) of the
  // largest size the tuned wolfSSL accepts (MAX_HANDSHAKE_SZ, 131,396 bytes)
  // with their headers: a name padded past the limit cannot hide from the
  // check. The memory is taken only by hellos that large, and freed when the
  // handshake ends.
  static constexpr std::size_t kLimit = 2 * (131396 + 4);

  // Bytes exactly as the transport delivered them, in order.
  void feed(std::span<const std::uint8_t> bytes);
  const std::vector<std::uint8_t>& stream() const { return stream_; }

 private:
  std::array<std::uint8_t, 5> header_{};
  std::size_t header_len_ = 0;
  std::size_t body_left_ = 0;
  bool keep_body_ = false;
  bool stopped_ = false;
  std::vector<std::uint8_t> stream_;
};

// The host_name of the server_name extension (RFC 6066 §3) of the last
// complete ClientHello in a handshake stream, as raw bytes (an embedded NUL
// included); nullopt when there is no complete ClientHello, no server_name
// extension, or the extension is malformed (wolfSSL answers those).
std::optional<std::string> client_hello_host_name(std::span<const std::uint8_t> stream);

// RFC 6066 §3: a HostName is an ASCII DNS name without a trailing dot. ussl
// accepts letters, digits, '-', '.' and '_' (underscores occur in real host
// names); anything else (NUL, control characters, spaces, UTF-8, escape
// sequences) makes the name invalid.
bool valid_host_name(std::string_view name);

}  // namespace ussl::detail
