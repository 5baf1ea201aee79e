#include "wire.hpp"

#include <algorithm>
#include <cstring>

namespace ussl {
namespace {

constexpr std::size_t kMaxBuffered = 65536;  // more than any plaintext flight ussl reads
constexpr std::uint8_t kHrrRandom[32] = {0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C,
                                         0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB,
                                         0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

std::uint32_t be(std::span<const std::uint8_t> d, std::size_t pos, std::size_t n) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | d[pos + i];
  return v;
}

}  // namespace

void HandshakeTap::stop(Stream& s) {
  s.stopped = true;
  std::vector<std::uint8_t>().swap(s.records);
  std::vector<std::uint8_t>().swap(s.messages);
}

void HandshakeTap::feed(Dir dir, std::span<const std::uint8_t> bytes) {
  Stream& s = in_[dir == Dir::client_to_server ? 0 : 1];
  if (s.stopped || bytes.empty()) return;
  s.records.insert(s.records.end(), bytes.begin(), bytes.end());
  std::size_t pos = 0;
  while (!s.stopped && s.records.size() - pos >= 5) {
    const std::uint8_t type = s.records[pos];
    const std::size_t len = be(s.records, pos + 3, 2);
    if (type < 20 || type > 23 || len > 18432) {  // not TLS records (or an SSLv2 hello)
      stop(s);
      return;
    }
    if (s.records.size() - pos < 5 + len) break;
    const std::span<const std::uint8_t> payload(s.records.data() + pos + 5, len);
    record(dir, s, type, payload, 5 + len);
    pos += 5 + len;
  }
  if (s.stopped) return;
  s.records.erase(s.records.begin(), s.records.begin() + static_cast<std::ptrdiff_t>(pos));
  if (s.records.size() > kMaxBuffered) stop(s);
}

void HandshakeTap::record(Dir dir, Stream& s, std::uint8_t type, std::span<const std::uint8_t> payload,
                          std::size_t size) {
  if (type == 23) {  // application data: encrypted from here on
    stop(s);
    return;
  }
  if (type == 20) {
    // ChangeCipherSpec: TLS 1.2 encrypts what follows; TLS 1.3 sends it only
    // for middlebox compatibility, and after a HelloRetryRequest the second
    // hello of this direction is still plaintext.
    if (!hrr_ || s.hellos >= 2) stop(s);
    return;
  }
  if (type != 22) return;  // alerts
  s.record_bytes += size;
  s.messages.insert(s.messages.end(), payload.begin(), payload.end());
  std::size_t pos = 0;
  while (!s.stopped && s.messages.size() - pos >= 4) {
    const std::size_t len = be(s.messages, pos + 1, 3);
    if (len > kMaxBuffered) {
      stop(s);
      return;
    }
    if (s.messages.size() - pos < 4 + len) break;
    message(dir, s, std::span<const std::uint8_t>(s.messages.data() + pos, 4 + len));
    pos += 4 + len;
  }
  if (s.stopped) return;
  s.messages.erase(s.messages.begin(), s.messages.begin() + static_cast<std::ptrdiff_t>(pos));
  if (s.messages.size() > kMaxBuffered) stop(s);
}

void HandshakeTap::message(Dir dir, Stream& s, std::span<const std::uint8_t> msg) {
  const std::uint8_t type = msg[0];
  const auto body = msg.subspan(4);
  const std::size_t record_bytes = s.record_bytes;
  s.record_bytes = 0;
  if (dir == Dir::client_to_server && type == 1) {
    if (auto hello = parse_client_hello(msg)) {
      client_hellos_.push_back(std::move(*hello));
      client_hello_bytes_.push_back(record_bytes);
    }
    ++s.hellos;
    return;
  }
  if (dir == Dir::server_to_client && type == 2) {
    ++s.hellos;
    // legacy_version(2) random(32) session_id<1> cipher(2) compression(1) extensions<2>
    if (body.size() < 35) return;
    const bool hrr = std::memcmp(body.data() + 2, kHrrRandom, sizeof kHrrRandom) == 0;
    if (hrr) hrr_ = true;
    std::size_t pos = 34;
    pos += 1 + body[34];
    pos += 3;
    if (pos + 2 > body.size()) return;
    const std::size_t ext_end = std::min(body.size(), pos + 2 + be(body, pos, 2));
    pos += 2;
    while (pos + 4 <= ext_end) {
      const auto ext = be(body, pos, 2);
      const std::size_t len = be(body, pos + 2, 2);
      pos += 4;
      if (pos + len > ext_end) break;
      if (ext == 43 && len == 2 && be(body, pos, 2) == 0x0304) tls13_ = true;
      if (ext == 51 && len >= 2) group_ = static_cast<std::uint16_t>(be(body, pos, 2));
      pos += len;
    }
    if (!hrr && !tls13_ && !hrr_) s.hellos = 2;  // TLS 1.2: one hello each way
    return;
  }
  if (dir == Dir::server_to_client && type == 12 && !tls13_) {
    // ServerKeyExchange. ECDHE: curve_type(1)=3 named_curve(2) point<1> then
    // SignatureAndHashAlgorithm(2); DHE: p<2> g<2> Ys<2> then the same.
    std::size_t pos = 0;
    if (body.size() >= 4 && body[0] == 3) {
      group_ = static_cast<std::uint16_t>(be(body, 1, 2));
      pos = 4 + body[3];
    } else {
      for (int i = 0; i < 3 && pos + 2 <= body.size(); ++i) pos += 2 + be(body, pos, 2);
    }
    if (pos + 2 <= body.size()) server_sig_ = static_cast<std::uint16_t>(be(body, pos, 2));
    return;
  }
  if (dir == Dir::client_to_server && type == 15 && !tls13_ && body.size() >= 2) {
    client_sig_ = static_cast<std::uint16_t>(be(body, 0, 2));  // TLS 1.2 CertificateVerify
  }
}

}  // namespace ussl
