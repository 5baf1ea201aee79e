// A test fixture, not part of the library's public API: two connected
// in-memory transports with fault hooks, for self-talk tests (client and
// server in one process) and the fuzz targets. CMake target ussl::testing.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <utility>

#include "ussl/transport.hpp"

namespace ussl {

// Two connected in-memory ends, thread-safe: each end's send feeds the other
// end's recv. Blocking ends wait on a condition variable (bounded by the
// timeout); close() gives the peer EOF after it drained what was sent;
// reset() gives the peer a connection reset at once.
class MemoryTransport;
std::pair<std::unique_ptr<MemoryTransport>, std::unique_ptr<MemoryTransport>> make_memory_pipe();

class MemoryTransport final : public Transport {
 public:
  struct Shared;
  MemoryTransport(std::shared_ptr<Shared> shared, int side);
  ~MemoryTransport() override;

  IoResult recv(std::span<std::byte> buffer) override;
  IoResult send(std::span<const std::byte> data) override;
  void close() noexcept override;
  bool closed() const noexcept override;
  void set_blocking(bool blocking) override { blocking_ = blocking; }
  bool blocking() const noexcept override { return blocking_; }
  short wait(short events, std::chrono::milliseconds timeout) override;
  void set_timeout(std::optional<std::chrono::milliseconds> timeout) override { timeout_ = timeout; }
  std::optional<std::chrono::milliseconds> timeout() const noexcept override { return timeout_; }

  // Test hooks: abort the connection (the peer sees a reset); cap the bytes
  // the peer may have queued before send would block (0: unlimited).
  void reset() noexcept;
  void set_send_capacity(std::size_t bytes);
  // Bytes this end has sent / received so far.
  std::size_t bytes_sent() const noexcept;

 private:
  std::shared_ptr<Shared> shared_;
  int side_;
  bool blocking_ = true;
  std::optional<std::chrono::milliseconds> timeout_;
};

}  // namespace ussl
