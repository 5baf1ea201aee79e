// The small byte-stream interface through which wolfSSL reaches the network.
// wolfSSL never touches a socket: wolfssl_io.cpp registers I/O callbacks that call
// a Transport. FdTransport wraps a connected stream socket; the tests' in-memory
// pipe is in ussl/testing/memory_transport.hpp (target ussl::testing).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <utility>

namespace ussl {

struct IoResult {
  enum class Status {
    ok,           // n bytes moved (n > 0)
    would_block,  // non-blocking and nothing can move now
    eof,          // the peer closed its sending side (recv only)
    reset,        // connection reset / broken pipe
    timeout,      // blocking call exceeded the transport's timeout
    error,        // any other OS error (err holds errno)
  };
  Status status = Status::ok;
  std::size_t n = 0;
  int err = 0;  // errno for reset/timeout/error

  static IoResult ok(std::size_t n) { return {Status::ok, n, 0}; }
  static IoResult would_block() { return {Status::would_block, 0, 0}; }
  static IoResult eof() { return {Status::eof, 0, 0}; }
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Reads up to buffer.size() bytes: ok with n > 0, eof, would_block (only
  // non-blocking), or a failure status. Never throws.
  virtual IoResult recv(std::span<std::byte> buffer) = 0;
  // Writes up to data.size() bytes: ok with the count written (possibly
  // fewer), would_block (only non-blocking), or a failure status. Never throws.
  virtual IoResult send(std::span<const std::byte> data) = 0;
  // Releases the connection (closes the descriptor). Idempotent.
  virtual void close() noexcept = 0;
  virtual bool closed() const noexcept = 0;  // close() was called
  // Switches between blocking (recv/send wait, bounded by timeout()) and
  // non-blocking (would_block) behaviour.
  virtual void set_blocking(bool blocking) = 0;
  virtual bool blocking() const noexcept = 0;
  // The descriptor to poll, or -1 for transports without one.
  virtual int fd() const noexcept { return -1; }
  // Wait until the transport is readable (POLLIN) and/or writable (POLLOUT)
  // as asked in events; returns the ready events (POLLHUP/POLLERR count as
  // ready for both), 0 on timeout. A negative timeout waits forever.
  virtual short wait(short events, std::chrono::milliseconds timeout) = 0;
  // Limit every blocking recv/send to this long (nullopt: no limit).
  virtual void set_timeout(std::optional<std::chrono::milliseconds> timeout) = 0;
  virtual std::optional<std::chrono::milliseconds> timeout() const noexcept = 0;
};

// A connected stream socket. Owns the descriptor from construction on and
// closes it in close() or the destructor. Its blocking mode is read from
// O_NONBLOCK once, at construction, and kept by set_blocking()
// (SslSocket::setblocking); O_NONBLOCK set later with fcntl() on the
// descriptor is noticed at the first EAGAIN.
class FdTransport final : public Transport {
 public:
  explicit FdTransport(int fd);
  ~FdTransport() override;
  FdTransport(const FdTransport&) = delete;
  FdTransport& operator=(const FdTransport&) = delete;

  IoResult recv(std::span<std::byte> buffer) override;
  IoResult send(std::span<const std::byte> data) override;
  void close() noexcept override;
  bool closed() const noexcept override { return fd_ < 0; }
  void set_blocking(bool blocking) override;
  bool blocking() const noexcept override;
  int fd() const noexcept override { return fd_; }
  short wait(short events, std::chrono::milliseconds timeout) override;
  void set_timeout(std::optional<std::chrono::milliseconds> timeout) override { timeout_ = timeout; }
  std::optional<std::chrono::milliseconds> timeout() const noexcept override { return timeout_; }

 private:
  IoResult wait_for_blocking(bool want_read);
  bool still_blocking() noexcept;
  int fd_;
  bool blocking_ = true;  // O_NONBLOCK as read when wrapped, then as set_blocking() left it
  std::optional<std::chrono::milliseconds> timeout_;
};

}  // namespace ussl
