#include "ussl/transport.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace ussl {
namespace {

IoResult from_errno(int err) {
  if (err == EAGAIN || err == EWOULDBLOCK) return IoResult::would_block();
  if (err == ECONNRESET || err == EPIPE || err == ECONNABORTED) return {IoResult::Status::reset, 0, err};
  if (err == ETIMEDOUT) return {IoResult::Status::timeout, 0, err};
  return {IoResult::Status::error, 0, err};
}

}  // namespace

FdTransport::FdTransport(int fd) : fd_(fd) {
  // Read once: asking the kernel on every recv/send cost ~11 fcntl() calls
  // per server connection. set_blocking() keeps it current.
  const int flags = fd_ >= 0 ? ::fcntl(fd_, F_GETFL) : -1;
  blocking_ = flags < 0 || (flags & O_NONBLOCK) == 0;
}

FdTransport::~FdTransport() { close(); }

void FdTransport::close() noexcept {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
}

bool FdTransport::blocking() const noexcept { return fd_ < 0 || blocking_; }

// EAGAIN on a descriptor believed blocking: a timeout (SO_RCVTIMEO /
// SO_SNDTIMEO), unless O_NONBLOCK was set on it behind our back, which is
// then adopted (the rare path asks the kernel; the common one never does).
bool FdTransport::still_blocking() noexcept {
  const int flags = ::fcntl(fd_, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK) != 0) blocking_ = false;
  return blocking_;
}

void FdTransport::set_blocking(bool blocking) {
  if (fd_ < 0) return;
  const int flags = ::fcntl(fd_, F_GETFL);
  if (flags < 0) return;
  if (::fcntl(fd_, F_SETFL, blocking ? (flags & ~O_NONBLOCK) : (flags | O_NONBLOCK)) == 0) blocking_ = blocking;
}

short FdTransport::wait(short events, std::chrono::milliseconds timeout) {
  if (fd_ < 0) return POLLNVAL;
  pollfd p{fd_, static_cast<short>(events & (POLLIN | POLLOUT)), 0};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int ms = -1;
    if (timeout.count() >= 0) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      ms = static_cast<int>(std::max<long long>(0, left.count()));
    }
    const int r = ::poll(&p, 1, ms);
    if (r > 0) {
      if (p.revents & (POLLHUP | POLLERR)) return static_cast<short>(p.events | (p.revents & ~(POLLIN | POLLOUT)));
      return p.revents;
    }
    if (r == 0) return 0;
    if (errno != EINTR) return p.events;  // let the following I/O report the error
  }
}

// With a timeout set on a blocking descriptor, wait for readiness first so a
// silent peer becomes a timeout rather than a hang.
IoResult FdTransport::wait_for_blocking(bool want_read) {
  if (!timeout_ || !blocking()) return IoResult::ok(0);
  if (wait(want_read ? POLLIN : POLLOUT, *timeout_) != 0) return IoResult::ok(0);
  return {IoResult::Status::timeout, 0, ETIMEDOUT};
}

IoResult FdTransport::recv(std::span<std::byte> buffer) {
  if (fd_ < 0) return {IoResult::Status::error, 0, EBADF};
  if (auto w = wait_for_blocking(true); w.status != IoResult::Status::ok) return w;
  for (;;) {
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n > 0) return IoResult::ok(static_cast<std::size_t>(n));
    if (n == 0) return IoResult::eof();
    if (errno == EINTR) continue;
    // A blocking socket with SO_RCVTIMEO reports EAGAIN on timeout.
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && blocking_ && still_blocking())
      return {IoResult::Status::timeout, 0, ETIMEDOUT};
    return from_errno(errno);
  }
}

IoResult FdTransport::send(std::span<const std::byte> data) {
  if (fd_ < 0) return {IoResult::Status::error, 0, EBADF};
  if (auto w = wait_for_blocking(false); w.status != IoResult::Status::ok) return w;
  for (;;) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) return IoResult::ok(static_cast<std::size_t>(n));
    if (errno == EINTR) continue;
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && blocking_ && still_blocking())
      return {IoResult::Status::timeout, 0, ETIMEDOUT};
    return from_errno(errno);
  }
}

}  // namespace ussl
