#include "common/plain_stream.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace ussl::apps {

PlainStream::PlainStream(int fd, Deadline deadline, std::chrono::milliseconds step_timeout, ErrorKind failure,
                         std::string who)
    : fd_(fd), deadline_(deadline), step_timeout_(step_timeout), failure_(failure), who_(std::move(who)) {}

void PlainStream::set_failure(ErrorKind failure, std::string who) {
  failure_ = failure;
  who_ = std::move(who);
}

void PlainStream::fail(const std::string& message) const { throw Error(failure_, message); }

void PlainStream::write(std::string_view data) {
  const Deadline step = Clock::now() + step_timeout_;
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
      fail("cannot send to the " + who_ + ": " + std::strerror(errno));
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, poll_timeout(step, deadline_)) == 0)
      fail("the " + who_ + " did not take our data " +
           (expired(deadline_) ? "before the end of --timeout"
                               : "within " + std::to_string(step_timeout_.count()) + " ms"));
  }
}

// Reads what the socket has (waiting up to the step timeout for something).
void PlainStream::fill(std::size_t max_total) {
  if (total_ >= max_total) fail("the " + who_ + " sent more than " + std::to_string(max_total) + " bytes");
  const Deadline step = Clock::now() + step_timeout_;
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::recv(fd_, chunk, std::min(sizeof chunk, max_total - total_), 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      total_ += static_cast<std::size_t>(n);
      spdlog::trace("plaintext from the {}: {} byte(s)", who_, n);
      return;
    }
    if (n == 0) fail("the " + who_ + " closed the connection");
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) fail("cannot read from the " + who_ + ": " + std::strerror(errno));
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, poll_timeout(step, deadline_)) == 0)
      fail("no answer from the " + who_ +
           (expired(deadline_) ? " before the end of --timeout"
                               : " within " + std::to_string(step_timeout_.count()) + " ms"));
  }
}

std::string PlainStream::read_line(std::size_t max_line) {
  for (;;) {
    const std::size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      if (nl > max_line) fail("the " + who_ + " sent a line longer than " + std::to_string(max_line) + " bytes");
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (buffer_.size() > max_line)
      fail("the " + who_ + " sent a line longer than " + std::to_string(max_line) + " bytes");
    fill(kPlainDialogueLimit);
  }
}

std::string PlainStream::read_exact(std::size_t n) {
  while (buffer_.size() < n) fill(kPlainDialogueLimit);
  std::string out = buffer_.substr(0, n);
  buffer_.erase(0, n);
  return out;
}

std::string PlainStream::read_until(std::string_view marker, std::size_t max) {
  for (;;) {
    const std::size_t at = buffer_.find(marker);
    if (at != std::string::npos) {
      std::string out = buffer_.substr(0, at + marker.size());
      buffer_.erase(0, at + marker.size());
      return out;
    }
    if (buffer_.size() > max) fail("the " + who_ + " sent more than " + std::to_string(max) + " bytes");
    fill(kPlainDialogueLimit);
  }
}

bool PlainStream::more_pending() {
  if (!buffer_.empty()) return true;
  char byte = 0;
  const ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n > 0;
}

}  // namespace ussl::apps
