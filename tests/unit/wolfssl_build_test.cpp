// Known-answer tests of the wolfSSL build ussl links: the X25519 code that
// every TLS 1.3 handshake runs (RFC 7748's vectors, on whichever base-point
// multiplication the build compiled in), and the behaviour that ussl's own
// wolfSSL patches (cmake/patches/) add to the tuned build.
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/curve25519.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "support.hpp"

namespace ussl::test {
namespace {

using Bytes32 = std::array<std::uint8_t, 32>;

Bytes32 from_hex(const std::string& hex) {
  Bytes32 out{};
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  return out;
}

// RFC 7748 §5 decodeScalar25519: wolfSSL wants the scalar already clamped.
Bytes32 clamp(Bytes32 k) {
  k[0] &= 248;
  k[31] &= 127;
  k[31] |= 64;
  return k;
}

// X25519(k, 9): the base-point multiplication TLS key shares use.
Bytes32 x25519_base(const Bytes32& scalar) {
  const Bytes32 k = clamp(scalar);
  Bytes32 out{};
  EXPECT_EQ(wc_curve25519_make_pub(32, out.data(), 32, k.data()), 0);
  return out;
}

// X25519(k, u) for any u (RFC 7748 §5).
Bytes32 x25519(const Bytes32& scalar, const Bytes32& u) {
  const Bytes32 k = clamp(scalar);
  Bytes32 out{};
  EXPECT_EQ(wc_curve25519_generic(32, out.data(), 32, k.data(), 32, u.data()), 0);
  return out;
}

TEST(WolfsslBuild, X25519PublicKeysMatchRfc7748DiffieHellmanVectors) {
  // RFC 7748 §6.1.
  EXPECT_EQ(x25519_base(from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")),
            from_hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"));
  EXPECT_EQ(x25519_base(from_hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")),
            from_hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"));
}

TEST(WolfsslBuild, X25519SharedSecretMatchesRfc7748OnBothSides) {
  const auto alice = from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const auto bob = from_hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  const auto shared = from_hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  EXPECT_EQ(x25519(alice, x25519_base(bob)), shared);
  EXPECT_EQ(x25519(bob, x25519_base(alice)), shared);
}

TEST(WolfsslBuild, X25519MatchesRfc7748ScalarMultiplicationVectors) {
  // RFC 7748 §5.2, first vector.
  EXPECT_EQ(x25519(from_hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                   from_hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")),
            from_hex("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"));
}

TEST(WolfsslBuild, X25519BasePointAgreesWithTheGenericLadderOnIteratedRfc7748Vectors) {
  // RFC 7748 §5.2, iterated: k = X25519(k, u), u = old k, from k = u = 9.
  // Each step is also checked against the base-point path where u is 9.
  Bytes32 k{};
  k[0] = 9;
  Bytes32 u = k;
  EXPECT_EQ(x25519_base(k), x25519(k, u));
  for (int i = 1; i <= 1000; ++i) {
    const Bytes32 next = x25519(k, u);
    u = k;
    k = next;
    if (i == 1) {
      EXPECT_EQ(k, from_hex("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079"));
    }
  }
  EXPECT_EQ(k, from_hex("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51"));
}

// The client's end of a pipe that copies the server's records through and
// puts a plaintext ChangeCipherSpec right behind the record that carries the
// ServerHelloDone, in the same read: the client sees the server's CCS before
// it has sent its ClientKeyExchange.
class CcsAfterServerHelloDone final : public Transport {
 public:
  explicit CcsAfterServerHelloDone(std::unique_ptr<Transport> inner) : inner_(std::move(inner)) {}

  IoResult recv(std::span<std::byte> buffer) override {
    while (ready_.empty()) {
      std::array<std::byte, 4096> chunk{};
      const IoResult r = inner_->recv(chunk);
      if (r.status != IoResult::Status::ok) return r;
      pending_.insert(pending_.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(r.n));
      move_whole_records();
    }
    const std::size_t n = std::min(buffer.size(), ready_.size());
    std::copy_n(ready_.begin(), n, buffer.begin());
    ready_.erase(ready_.begin(), ready_.begin() + static_cast<std::ptrdiff_t>(n));
    return IoResult::ok(n);
  }
  IoResult send(std::span<const std::byte> data) override { return inner_->send(data); }
  void close() noexcept override { inner_->close(); }
  bool closed() const noexcept override { return inner_->closed(); }
  void set_blocking(bool blocking) override { inner_->set_blocking(blocking); }
  bool blocking() const noexcept override { return inner_->blocking(); }
  short wait(short events, std::chrono::milliseconds timeout) override {
    return ready_.empty() ? inner_->wait(events, timeout) : events;
  }
  void set_timeout(std::optional<std::chrono::milliseconds> timeout) override { inner_->set_timeout(timeout); }
  std::optional<std::chrono::milliseconds> timeout() const noexcept override { return inner_->timeout(); }

 private:
  void move_whole_records() {
    while (pending_.size() >= 5) {
      const std::size_t len =
          (std::to_integer<std::size_t>(pending_[3]) << 8) | std::to_integer<std::size_t>(pending_[4]);
      if (pending_.size() < 5 + len) return;
      const bool handshake = std::to_integer<int>(pending_[0]) == 22;
      bool server_hello_done = false;
      // Walk the handshake messages of a plaintext handshake record.
      for (std::size_t at = 5; handshake && at + 4 <= 5 + len;) {
        const std::size_t body = (std::to_integer<std::size_t>(pending_[at + 1]) << 16) |
                                 (std::to_integer<std::size_t>(pending_[at + 2]) << 8) |
                                 std::to_integer<std::size_t>(pending_[at + 3]);
        if (std::to_integer<int>(pending_[at]) == 14) server_hello_done = true;
        at += 4 + body;
      }
      ready_.insert(ready_.end(), pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(5 + len));
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(5 + len));
      if (server_hello_done && !injected_) {
        for (int b : {20, 3, 3, 0, 1, 1}) ready_.push_back(static_cast<std::byte>(b));
        injected_ = true;
      }
    }
  }

  std::unique_ptr<Transport> inner_;
  std::deque<std::byte> pending_;
  std::deque<std::byte> ready_;
  bool injected_ = false;
};

// CVE-2026-93304 is about a TLS 1.2 client taking the server's CCS before
// it has sent its ClientKeyExchange. Here the CCS arrives in the same read as
// the ServerHelloDone; wolfSSL's client reads it only after its own flight
// and refuses it there (the tuned build's patch 0001 refuses it earlier too,
// in a state this test cannot reach: docs/wolfssl-build.md).
TEST(WolfsslBuild, Tls12ClientRefusesAChangeCipherSpecInjectedAfterServerHelloDone) {
  auto [ct, st] = blocking_pipe();
  auto server_options_12 = server_options();
  server_options_12.max_version = TlsVersion::tls1_2;
  auto server_future = std::async(
      std::launch::async, [&, t = std::move(st)]() mutable { return wrap_side(std::move(t), server_options_12); });
  Options client = client_options();
  client.max_version = TlsVersion::tls1_2;
  Side side = wrap_side(std::make_unique<CcsAfterServerHelloDone>(std::move(ct)), client);
  server_future.get();
  ASSERT_TRUE(side.error.has_value()) << "the client completed a handshake with an injected ChangeCipherSpec";
  EXPECT_EQ(side.error->kind(), ErrorKind::protocol_error) << side.error->message();
}

}  // namespace
}  // namespace ussl::test
