#include "ussl/client_hello.hpp"

#include <algorithm>

namespace ussl::detail {

namespace {
constexpr std::uint8_t kChangeCipherSpec = 20;
constexpr std::uint8_t kHandshake = 22;
constexpr std::uint8_t kClientHello = 1;
constexpr std::uint16_t kServerName = 0;
constexpr std::uint8_t kHostName = 0;

// A cursor over a byte span: every read is bounds-checked and fails the
// cursor for good, so a parse is a straight line with one check at the end.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  bool ok() const { return ok_; }
  bool empty() const { return pos_ >= bytes_.size(); }
  std::size_t remaining() const { return bytes_.size() - pos_; }
  std::size_t u8() { return take(1).empty() ? 0 : bytes_[pos_ - 1]; }
  std::size_t u16() {
    const auto b = take(2);
    return b.size() == 2 ? (std::size_t{b[0]} << 8) | b[1] : 0;
  }
  std::size_t u24() {
    const auto b = take(3);
    return b.size() == 3 ? (std::size_t{b[0]} << 16) | (std::size_t{b[1]} << 8) | b[2] : 0;
  }
  // The next n bytes; fails the cursor when fewer remain.
  std::span<const std::uint8_t> take(std::size_t n) {
    if (!ok_ || bytes_.size() - pos_ < n) {
      ok_ = false;
      return {};
    }
    pos_ += n;
    return bytes_.subspan(pos_ - n, n);
  }
  // A vector with a length prefix of `width` bytes.
  Reader vec(int width) {
    const std::size_t n = width == 1 ? u8() : width == 2 ? u16() : u24();
    return Reader(take(n));
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// The host_name of one ClientHello body (RFC 8446 §4.1.2, RFC 6066 §3).
std::optional<std::string> host_name_of(std::span<const std::uint8_t> hello) {
  Reader r(hello);
  r.take(2 + 32);  // legacy_version, random
  r.vec(1);        // legacy_session_id
  r.vec(2);        // cipher_suites
  r.vec(1);        // legacy_compression_methods
  Reader extensions = r.vec(2);
  while (r.ok() && extensions.ok() && !extensions.empty()) {
    const std::size_t type = extensions.u16();
    Reader body = extensions.vec(2);
    if (type != kServerName) continue;
    Reader list = body.vec(2);
    if (list.u8() != kHostName) return std::nullopt;
    const auto name = list.take(list.u16());
    if (!body.ok() || !list.ok()) return std::nullopt;
    return std::string(name.begin(), name.end());
  }
  return std::nullopt;
}
}  // namespace

void HandshakeTap::feed(std::span<const std::uint8_t> bytes) {
  while (!stopped_ && !bytes.empty()) {
    if (header_len_ < header_.size()) {
      const std::size_t n = std::min(header_.size() - header_len_, bytes.size());
      std::copy_n(bytes.begin(), n, header_.begin() + static_cast<std::ptrdiff_t>(header_len_));
      header_len_ += n;
      bytes = bytes.subspan(n);
      if (header_len_ < header_.size()) return;
      const std::uint8_t type = header_[0];
      if (type != kHandshake && type != kChangeCipherSpec) {
        stopped_ = true;
        return;
      }
      keep_body_ = type == kHandshake;
      body_left_ = (std::size_t{header_[3]} << 8) | header_[4];
    }
    const std::size_t n = std::min(body_left_, bytes.size());
    if (keep_body_) {
      const std::size_t room = kLimit - std::min(kLimit, stream_.size());
      stream_.insert(stream_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(std::min(n, room)));
      if (n > room) stopped_ = true;
    }
    body_left_ -= n;
    bytes = bytes.subspan(n);
    if (body_left_ == 0) header_len_ = 0;
  }
}

std::optional<std::string> client_hello_host_name(std::span<const std::uint8_t> stream) {
  std::optional<std::string> found;
  Reader r(stream);
  while (!r.empty()) {
    const std::size_t type = r.u8();
    Reader body = r.vec(3);
    if (!r.ok()) break;  // an incomplete message: what came before stands
    if (type != kClientHello) continue;
    found = host_name_of(body.take(body.remaining()));
  }
  return found;
}

bool valid_host_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_';
  });
}

}  // namespace ussl::detail
