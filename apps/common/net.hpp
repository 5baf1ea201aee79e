// Sockets for the programs: resolve + connect with a timeout (IPv4 and IPv6),
// listen, printable addresses, and the client's deadline-bounded transport.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "ussl/transport.hpp"

struct sockaddr;

namespace ussl::apps {

using Clock = std::chrono::steady_clock;
using Deadline = std::optional<Clock::time_point>;  // nullopt: no limit

// Milliseconds left until the earliest of the limits, for poll(): -1 when
// there is no limit, 0 when one has passed.
int poll_timeout(Deadline a, Deadline b = std::nullopt);
bool expired(Deadline deadline);
double elapsed_ms(Clock::time_point since, Clock::time_point until = Clock::now());

// A file descriptor that closes itself.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept;
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

struct Endpoint {
  std::string address;  // numeric: "127.0.0.1", "::1"
  std::uint16_t port = 0;
  bool ipv6 = false;
};
Endpoint endpoint_of(const sockaddr* addr);
// "[::1]" -> "::1"; anything else unchanged.
std::string unbracket(const std::string& host);
std::string to_string(const Endpoint& endpoint);  // "127.0.0.1:443", "[::1]:443"

struct Connection {
  UniqueFd fd;  // connected, O_NONBLOCK, TCP_NODELAY
  Endpoint peer;
};

// Resolves host (DNS name, IPv4 or IPv6 literal, "[v6]" accepted) and tries
// each address in turn until one connects or the deadline passes. Throws
// ussl::Error: resolve_failed, connection_refused (also for unreachable and
// every other connect error; the message has the system's reason) or
// connect_timeout.
Connection connect_tcp(const std::string& host, std::uint16_t port, Deadline deadline);

struct Listener {
  UniqueFd fd;  // listening, O_NONBLOCK
  Endpoint local;
};

// Holding thousands of connections needs descriptors: raises the soft
// RLIMIT_NOFILE to the hard limit (quietly keeps it when that fails).
void raise_fd_limit();

// Lingering close, both programs: after a failure (which may have sent a
// fatal alert the peer has not read yet), shut the write side and read and
// discard the peer's input until it closes, kLingerBytes were read or
// kLinger passed, before closing. Closing with unread input makes the kernel
// send a reset, which can destroy the alert before the peer reads it.
inline constexpr std::chrono::milliseconds kLinger{500};
inline constexpr std::size_t kLingerBytes = 64 * 1024;

// The blocking form (ussl-client): at most kLinger and kLingerBytes, then
// returns; the caller closes fd. Never throws.
void linger_before_close(int fd) noexcept;

// Binds address:port (port 0 picks a free port; "::" also accepts IPv4) and
// listens. Throws ussl::Error(usage) when the address is invalid or taken.
Listener listen_tcp(const std::string& address, std::uint16_t port);

// The client's transport. The descriptor is always O_NONBLOCK underneath;
// blocking() is the logical mode the library sees, and a "blocking" call
// waits with poll() no longer than the run's deadline, so --timeout bounds
// every wait (the library's own FdTransport bounds each wait separately and
// cannot bound an eager handshake on a non-blocking socket).
//
// After set_nonblocking_when() returns true (the client uses "the handshake
// is done"), the transport reports itself non-blocking: a blocking-mode read
// that triggered a deferred handshake then returns "no data yet" instead of
// waiting for application data, so the client can apply its read timeouts.
class DeadlineTransport final : public Transport {
 public:
  DeadlineTransport(int fd, bool blocking, Deadline deadline);

  IoResult recv(std::span<std::byte> buffer) override;
  IoResult send(std::span<const std::byte> data) override;
  void close() noexcept override { inner_.close(); }
  bool closed() const noexcept override { return inner_.closed(); }
  void set_blocking(bool blocking) override { blocking_ = blocking; }
  bool blocking() const noexcept override;
  int fd() const noexcept override { return inner_.fd(); }
  short wait(short events, std::chrono::milliseconds timeout) override;
  void set_timeout(std::optional<std::chrono::milliseconds> timeout) override { op_timeout_ = timeout; }
  std::optional<std::chrono::milliseconds> timeout() const noexcept override { return op_timeout_; }

  void set_nonblocking_when(std::function<bool()> condition) { nonblocking_when_ = std::move(condition); }

 private:
  IoResult blocking_wait(short events);
  FdTransport inner_;
  bool blocking_;
  Deadline deadline_;
  std::optional<std::chrono::milliseconds> op_timeout_;
  std::function<bool()> nonblocking_when_;
};

}  // namespace ussl::apps
