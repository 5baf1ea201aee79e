// Shared by the fuzz targets: drive one side of a handshake whose peer's
// bytes come from the fuzzer, with every loop bounded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "ussl/testing/memory_transport.hpp"
#include "ussl/ussl.hpp"

namespace ussl::fuzz {

inline std::string certs_dir() {
#ifdef USSL_CERTS_DIR
  return USSL_CERTS_DIR;
#else
  return "certs";
#endif
}

// Feeds data as everything the peer ever sends, then a TCP close; drives the
// socket through the handshake and a few reads. Any ussl::Error is a valid
// outcome; a crash, hang or sanitizer report is a bug.
inline void drive(const std::shared_ptr<const Context>& ctx, const std::optional<std::string>& hostname,
                  const std::uint8_t* data, std::size_t size) {
  auto [mine, peer] = make_memory_pipe();
  mine->set_blocking(false);
  peer->set_blocking(false);
  if (size > 0) peer->send({reinterpret_cast<const std::byte*>(data), size});
  peer->close();
  try {
    auto sock = ctx->wrap(std::move(mine), hostname, false);
    for (int i = 0; i < 64 && !sock->handshake().done; ++i) {
      if (!sock->do_handshake() && sock->want() == Want::nothing) break;
    }
    for (int i = 0; i < 16; ++i) {
      auto r = sock->read(4096);
      if (!r || r->empty()) break;
    }
    (void)sock->peer_chain();
    (void)sock->verify_result();
    sock->close();
  } catch (const Error&) {
  }
}

}  // namespace ussl::fuzz
