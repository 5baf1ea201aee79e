// ClientHellos built byte by byte for the scan (TLS 1.0-1.3 and the SSLv2
// CLIENT-HELLO), and the parser of what comes back: ServerHello,
// HelloRetryRequest, ServerKeyExchange, alerts, SSLv2 SERVER-HELLO. The
// registries (names, suites, groups) are in registry.cpp.
#include "client/scan/wire.hpp"

#include <algorithm>
#include <cstdio>

#include "ussl/error.hpp"

namespace ussl::apps::scan {
namespace {

// clang-format off
constexpr std::uint8_t kP256Base[] = {
    0x04, 0x6B, 0x17, 0xD1, 0xF2, 0xE1, 0x2C, 0x42, 0x47, 0xF8, 0xBC, 0xE6, 0xE5, 0x63, 0xA4, 0x40, 0xF2,
    0x77, 0x03, 0x7D, 0x81, 0x2D, 0xEB, 0x33, 0xA0, 0xF4, 0xA1, 0x39, 0x45, 0xD8, 0x98, 0xC2, 0x96,
    0x4F, 0xE3, 0x42, 0xE2, 0xFE, 0x1A, 0x7F, 0x9B, 0x8E, 0xE7, 0xEB, 0x4A, 0x7C, 0x0F, 0x9E, 0x16,
    0x2B, 0xCE, 0x33, 0x57, 0x6B, 0x31, 0x5E, 0xCE, 0xCB, 0xB6, 0x40, 0x68, 0x37, 0xBF, 0x51, 0xF5};
// clang-format on

constexpr std::uint8_t kHrrRandom[32] = {0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C,
                                         0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB,
                                         0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

class Writer {
 public:
  void u8(unsigned v) { out_.push_back(static_cast<std::uint8_t>(v)); }
  void u16(unsigned v) {
    u8(v >> 8);
    u8(v & 0xff);
  }
  void u24(std::size_t v) {
    u8(static_cast<unsigned>(v >> 16) & 0xff);
    u16(static_cast<unsigned>(v & 0xffff));
  }
  void bytes(std::span<const std::uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  // Starts a length-prefixed block of width bytes; end() fills the length in.
  std::size_t begin(int width) {
    const std::size_t at = out_.size();
    for (int i = 0; i < width; ++i) u8(0);
    widths_.push_back(width);
    return at;
  }
  void end(std::size_t at) {
    const int width = widths_.back();
    widths_.pop_back();
    std::size_t len = out_.size() - at - static_cast<std::size_t>(width);
    for (int i = width - 1; i >= 0; --i) {
      out_[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(len & 0xff);
      len >>= 8;
    }
  }
  Bytes& out() { return out_; }

 private:
  Bytes out_;
  std::vector<int> widths_;
};

void extension(Writer& w, std::uint16_t type, const auto& fill) {
  w.u16(type);
  const auto at = w.begin(2);
  fill();
  w.end(at);
}

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> data) : data_(data) {}
  bool has(std::size_t n) const { return data_.size() - pos_ >= n; }
  std::size_t left() const { return data_.size() - pos_; }
  unsigned u8() { return data_[pos_++]; }
  unsigned u16() {
    const unsigned v = (static_cast<unsigned>(data_[pos_]) << 8) | data_[pos_ + 1];
    pos_ += 2;
    return v;
  }
  std::size_t u24() {
    const std::size_t v = (static_cast<std::size_t>(data_[pos_]) << 16) |
                          (static_cast<std::size_t>(data_[pos_ + 1]) << 8) | data_[pos_ + 2];
    pos_ += 3;
    return v;
  }
  std::span<const std::uint8_t> take(std::size_t n) {
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
};

bool parse_server_hello(std::span<const std::uint8_t> body, Answer& a) {
  Reader r(body);
  if (!r.has(2 + 32 + 1)) return false;
  a.legacy_version = static_cast<std::uint16_t>(r.u16());
  a.version = a.legacy_version;
  const auto random = r.take(32);
  const bool hrr = std::equal(random.begin(), random.end(), std::begin(kHrrRandom));
  const std::size_t sid = r.u8();
  if (!r.has(sid + 3)) return false;
  r.take(sid);
  a.suite = static_cast<std::uint16_t>(r.u16());
  a.compression = static_cast<std::uint8_t>(r.u8());
  a.kind = hrr ? Answer::Kind::hello_retry : Answer::Kind::server_hello;
  if (r.left() == 0) return true;
  if (!r.has(2)) return false;
  const std::size_t total = r.u16();
  if (!r.has(total)) return false;
  Reader exts(r.take(total));
  while (exts.left() > 0) {
    if (!exts.has(4)) return false;
    const auto type = static_cast<std::uint16_t>(exts.u16());
    const std::size_t len = exts.u16();
    if (!exts.has(len)) return false;
    Reader ext(exts.take(len));
    a.extensions.push_back(type);
    if (type == 43 && len == 2) a.version = static_cast<std::uint16_t>(ext.u16());
    if (type == 51 && len >= 2) a.key_share_group = static_cast<std::uint16_t>(ext.u16());
    if (type == 16 && len >= 3) {
      ext.u16();
      const std::size_t n = ext.u8();
      if (ext.has(n)) {
        const auto p = ext.take(n);
        a.alpn = std::string(p.begin(), p.end());
      }
    }
  }
  return true;
}

void parse_key_exchange(std::span<const std::uint8_t> body, Answer& a) {
  a.key_exchange_seen = true;
  const SuiteInfo* info = suite_info(a.suite);
  if (info == nullptr) return;
  Reader r(body);
  if (info->kx == Kx::ecdhe || info->kx == Kx::anon_ecdh) {
    if (!r.has(4) || r.u8() != 3) return;
    a.kx_group = static_cast<std::uint16_t>(r.u16());
    const std::size_t n = r.u8();
    if (!r.has(n)) return;
    r.take(n);
  } else if (info->kx == Kx::dhe || info->kx == Kx::anon_dh) {
    for (int i = 0; i < 3; ++i) {
      if (!r.has(2)) return;
      const std::size_t n = r.u16();
      if (!r.has(n)) return;
      auto v = r.take(n);
      if (i == 0) {
        std::size_t skip = 0;
        while (skip < v.size() && v[skip] == 0) ++skip;
        a.dh_bits = static_cast<unsigned>((v.size() - skip) * 8);
      }
    }
  } else {
    return;
  }
  if (info->kx != Kx::anon_dh && info->kx != Kx::anon_ecdh && a.version >= kTls12 && r.has(2))
    a.kx_sigalg = static_cast<std::uint16_t>(r.u16());
}

Answer garbage(std::string reason) {
  Answer a;
  a.kind = Answer::Kind::garbage;
  a.garbage_reason = std::move(reason);
  return a;
}

Answer parse_sslv2(std::span<const std::uint8_t> data) {
  Reader r(data);
  const std::size_t len = ((r.u8() & 0x7f) << 8) | r.u8();
  if (!r.has(len)) return Answer{};
  Reader m(r.take(len));
  if (!m.has(11) || m.u8() != 4) return garbage("an SSLv2 record that is not SERVER-HELLO");
  Answer a;
  a.kind = Answer::Kind::sslv2_server_hello;
  m.u8();  // session id hit
  m.u8();  // certificate type
  a.version = static_cast<std::uint16_t>(m.u16());
  a.legacy_version = a.version;
  const std::size_t cert = m.u16();
  const std::size_t specs = m.u16();
  m.u16();  // connection id length
  if (!m.has(cert + specs)) return garbage("a truncated SSLv2 SERVER-HELLO");
  m.take(cert);
  Reader s(m.take(specs));
  while (s.has(3)) {
    const std::uint32_t hi = s.u8();
    a.sslv2_ciphers.push_back((hi << 16) | s.u16());
  }
  return a;
}

}  // namespace

Bytes key_share_for(std::uint16_t group) {
  if (group == 0x001D) {
    Bytes k(32, 0);
    k[0] = 9;
    return k;
  }
  if (group == 0x0017) return Bytes(std::begin(kP256Base), std::end(kP256Base));
  return {};
}

bool Answer::has_extension(std::uint16_t type) const {
  return std::find(extensions.begin(), extensions.end(), type) != extensions.end();
}

Bytes encode_client_hello_message(const HelloSpec& spec) {
  Writer w;
  w.u8(1);  // client_hello
  const auto msg = w.begin(3);
  w.u16(spec.legacy_version);
  w.bytes(spec.random);
  w.u8(static_cast<unsigned>(spec.session_id_length));
  for (std::size_t i = 0; i < spec.session_id_length; ++i) w.u8(static_cast<unsigned>(0x5a ^ i));
  auto at = w.begin(2);
  for (auto s : spec.suites) w.u16(s);
  w.end(at);
  w.u8(1);  // compression methods: null
  w.u8(0);
  const auto exts = w.begin(2);
  if (spec.sni) {
    extension(w, 0, [&] {
      const auto list = w.begin(2);
      w.u8(0);
      const auto name = w.begin(2);
      w.bytes({reinterpret_cast<const std::uint8_t*>(spec.sni->data()), spec.sni->size()});
      w.end(name);
      w.end(list);
    });
  }
  if (!spec.groups.empty()) {
    extension(w, 10, [&] {
      const auto list = w.begin(2);
      for (auto g : spec.groups) w.u16(g);
      w.end(list);
    });
  }
  if (spec.ec_point_formats) extension(w, 11, [&] { w.bytes(std::array<std::uint8_t, 2>{1, 0}); });
  if (!spec.sigalgs.empty()) {
    extension(w, 13, [&] {
      const auto list = w.begin(2);
      for (auto s : spec.sigalgs) w.u16(s);
      w.end(list);
    });
  }
  if (!spec.alpn.empty()) {
    extension(w, 16, [&] {
      const auto list = w.begin(2);
      for (const auto& p : spec.alpn) {
        const auto one = w.begin(1);
        w.bytes({reinterpret_cast<const std::uint8_t*>(p.data()), p.size()});
        w.end(one);
      }
      w.end(list);
    });
  }
  if (spec.extended_master_secret) extension(w, 23, [] {});
  if (!spec.supported_versions.empty()) {
    extension(w, 43, [&] {
      const auto list = w.begin(1);
      for (auto v : spec.supported_versions) w.u16(v);
      w.end(list);
    });
    extension(w, 45, [&] { w.bytes(std::array<std::uint8_t, 2>{1, 1}); });  // psk_dhe_ke
  }
  if (spec.key_share_extension || !spec.key_shares.empty()) {
    extension(w, 51, [&] {
      const auto list = w.begin(2);
      for (auto g : spec.key_shares) {
        const Bytes key = key_share_for(g);
        w.u16(g);
        const auto k = w.begin(2);
        w.bytes(key);
        w.end(k);
      }
      w.end(list);
    });
  }
  for (const auto& e : spec.extra) extension(w, e.type, [&] { w.bytes(e.data); });
  if (spec.renegotiation_info) extension(w, 0xff01, [&] { w.u8(0); });
  // Padding last (RFC 7685): the whole message reaches pad_to bytes.
  const std::size_t now = w.out().size() - 0;
  if (spec.pad_to > 0 && now + 4 <= spec.pad_to) {
    const std::size_t n = spec.pad_to - now - 4;
    extension(w, 21, [&] { w.bytes(Bytes(n, 0)); });
  } else if (spec.pad_to > 0 && now < spec.pad_to) {
    extension(w, 21, [] {});  // cannot hit the size exactly: 4 bytes over
  }
  w.end(exts);
  w.end(msg);
  return std::move(w.out());
}

Bytes encode_client_hello(const HelloSpec& spec) {
  const Bytes msg = encode_client_hello_message(spec);
  std::vector<std::span<const std::uint8_t>> parts;
  const std::span<const std::uint8_t> all(msg);
  if (spec.split_at > 0 && spec.split_at < msg.size()) {
    parts.push_back(all.first(spec.split_at));
    parts.push_back(all.subspan(spec.split_at));
  } else {
    for (std::size_t off = 0; off < msg.size(); off += 16384)
      parts.push_back(all.subspan(off, std::min<std::size_t>(16384, msg.size() - off)));
  }
  Writer w;
  for (auto part : parts) {
    w.u8(22);
    w.u16(spec.record_version);
    w.u16(static_cast<unsigned>(part.size()));
    w.bytes(part);
  }
  return std::move(w.out());
}

Bytes encode_sslv2_hello(std::uint16_t version, const std::vector<std::uint32_t>& cipher_specs) {
  Writer body;
  body.u8(1);  // CLIENT-HELLO
  body.u16(version);
  body.u16(static_cast<unsigned>(cipher_specs.size() * 3));
  body.u16(0);   // session id length
  body.u16(16);  // challenge length
  for (auto c : cipher_specs) {
    body.u8((c >> 16) & 0xff);
    body.u16(c & 0xffff);
  }
  for (unsigned i = 0; i < 16; ++i) body.u8(0xa0 + i);
  Writer w;
  w.u16(0x8000 | static_cast<unsigned>(body.out().size()));
  w.bytes(body.out());
  return std::move(w.out());
}

Answer parse_answer(std::span<const std::uint8_t> data, bool want_key_exchange) {
  if (data.empty()) return Answer{};
  if ((data[0] & 0x80) != 0) {
    if (data.size() < 3) return Answer{};
    return parse_sslv2(data);
  }
  Answer a;
  Bytes handshake;  // handshake records' payload, concatenated
  bool hello_done = false;
  Reader r(data);
  while (r.has(5)) {
    const unsigned type = r.u8();
    const unsigned version = r.u16();
    const std::size_t len = r.u16();
    if (type < 20 || type > 24 || (version >> 8) != 3) return garbage("not a TLS record");
    if (!r.has(len)) break;
    const auto payload = r.take(len);
    if (type == 21) {
      if (hello_done) break;  // an alert after the ServerHello we already have
      if (len < 2) return garbage("a truncated alert");
      Answer alert;
      alert.kind = Answer::Kind::alert;
      alert.alert_level = payload[0];
      alert.alert = payload[1];
      return alert;
    }
    if (type != 22) {
      if (hello_done) return a;  // ChangeCipherSpec or encrypted data follow a TLS 1.3 ServerHello
      if (type == 20) continue;
      return garbage("a record of type " + std::to_string(type) + " before the ServerHello");
    }
    handshake.insert(handshake.end(), payload.begin(), payload.end());
    Reader h(handshake);
    std::size_t consumed = 0;
    while (h.has(4)) {
      const unsigned mtype = h.u8();
      const std::size_t mlen = h.u24();
      if (!h.has(mlen)) break;
      const auto body = h.take(mlen);
      consumed += 4 + mlen;
      if (!hello_done) {
        if (mtype != 2) return garbage("handshake message " + std::to_string(mtype) + " before the ServerHello");
        if (!parse_server_hello(body, a)) return garbage("a malformed ServerHello");
        hello_done = true;
        if (!want_key_exchange || a.kind == Answer::Kind::hello_retry || a.version >= kTls13) return a;
        continue;
      }
      if (mtype == 12) {
        parse_key_exchange(body, a);
        return a;
      }
      if (mtype == 14) {
        a.server_hello_done = true;
        return a;
      }
    }
    handshake.erase(handshake.begin(), handshake.begin() + static_cast<std::ptrdiff_t>(consumed));
  }
  if (hello_done) {
    Answer partial = a;
    partial.kind = Answer::Kind::incomplete;
    return partial;
  }
  return Answer{};
}

}  // namespace ussl::apps::scan
