#include "common/net.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "common/address.hpp"
#include "ussl/error.hpp"

namespace ussl::apps {

int poll_timeout(Deadline a, Deadline b) {
  Deadline first = a;
  if (!first || (b && *b < *first)) first = b;
  if (!first) return -1;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(*first - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 24LL * 3600 * 1000));
}

bool expired(Deadline deadline) { return deadline && Clock::now() >= *deadline; }

double elapsed_ms(Clock::time_point since, Clock::time_point until) {
  return std::chrono::duration<double, std::milli>(until - since).count();
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

int UniqueFd::release() noexcept { return std::exchange(fd_, -1); }

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Endpoint endpoint_of(const sockaddr* addr) {
  Endpoint ep;
  char text[INET6_ADDRSTRLEN] = {};
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    ep.port = ntohs(in6->sin6_port);
    ep.ipv6 = true;
  } else if (addr->sa_family == AF_INET) {
    const auto* in4 = reinterpret_cast<const sockaddr_in*>(addr);
    ::inet_ntop(AF_INET, &in4->sin_addr, text, sizeof text);
    ep.port = ntohs(in4->sin_port);
  }
  ep.address = text;
  return ep;
}

std::string to_string(const Endpoint& endpoint) {
  const std::string port = std::to_string(endpoint.port);
  return endpoint.ipv6 ? "[" + endpoint.address + "]:" + port : endpoint.address + ":" + port;
}

std::string unbracket(const std::string& host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
  return host;
}

namespace {

struct AddrInfoFree {
  void operator()(addrinfo* ai) const noexcept { ::freeaddrinfo(ai); }
};
using AddrInfoPtr = std::unique_ptr<addrinfo, AddrInfoFree>;

AddrInfoPtr resolve(const std::string& host, std::uint16_t port, int flags, ErrorKind failure) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | flags;
  addrinfo* result = nullptr;
  const std::string name = unbracket(host);
  const int rc = ::getaddrinfo(name.c_str(), std::to_string(port).c_str(), &hints, &result);
  if (rc != 0) {
    const std::string reason = rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc);
    throw Error(failure, "cannot resolve '" + host + "': " + reason);
  }
  return AddrInfoPtr(result);
}

// Waits for a non-blocking connect to finish; returns its errno (0: connected)
// or ETIMEDOUT when the deadline passed first.
int finish_connect(int fd, Deadline deadline) {
  pollfd p{fd, POLLOUT, 0};
  for (;;) {
    const int r = ::poll(&p, 1, poll_timeout(deadline));
    if (r == 0) return ETIMEDOUT;
    if (r > 0) break;
    if (errno != EINTR) return errno;
  }
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

// The addresses to try: "localhost" and names under ".localhost" are the
// loopback addresses without asking the resolver (RFC 6761 §6.3, as curl);
// anything else is resolved.
std::vector<AddrInfoPtr> addresses_of(const std::string& host, std::uint16_t port) {
  std::vector<AddrInfoPtr> out;
  if (!is_localhost_name(unbracket(host))) {
    out.push_back(resolve(host, port, 0, ErrorKind::resolve_failed));
    return out;
  }
  for (const auto& address : localhost_addresses()) {
    try {
      out.push_back(resolve(address, port, AI_NUMERICHOST, ErrorKind::resolve_failed));
    } catch (const Error&) {
      // this loopback family is not available here: the other one is tried
    }
  }
  if (out.empty()) throw Error(ErrorKind::resolve_failed, "cannot resolve '" + host + "': no loopback address");
  return out;
}

}  // namespace

Connection connect_tcp(const std::string& host, std::uint16_t port, Deadline deadline) {
  const std::vector<AddrInfoPtr> resolved = addresses_of(host, port);
  std::optional<Error> last;
  std::vector<const addrinfo*> candidates;
  for (const auto& list : resolved) {
    for (const addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) candidates.push_back(ai);
  }
  for (const addrinfo* ai : candidates) {
    const Endpoint peer = endpoint_of(ai->ai_addr);
    spdlog::debug("connecting to {}", to_string(peer));
    UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd) {
      last = Error(ErrorKind::internal, std::string("socket(): ") + std::strerror(errno));
      continue;
    }
    int err = ::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0 ? 0 : errno;
    if (err == EINPROGRESS || err == EINTR) err = finish_connect(fd.get(), deadline);
    if (err == 0) {
      const int one = 1;
      ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      spdlog::info("connected to {}", to_string(peer));
      return {std::move(fd), peer};
    }
    if (err == ETIMEDOUT && expired(deadline))
      throw Error(ErrorKind::connect_timeout, "connect to " + to_string(peer) + " timed out");
    last = Error(err == ECONNREFUSED ? ErrorKind::connection_refused : ErrorKind::connect_failed,
                 "connect to " + to_string(peer) + ": " + std::strerror(err));
    spdlog::debug("{}", last->message());
  }
  if (last) throw *last;
  throw Error(ErrorKind::resolve_failed, "cannot resolve '" + host + "': no address");
}

void raise_fd_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

Listener listen_tcp(const std::string& address, std::uint16_t port) {
  const AddrInfoPtr addresses = resolve(address, port, AI_PASSIVE, ErrorKind::usage);
  const addrinfo* ai = addresses.get();
  const std::string where =
      (address.find(':') != std::string::npos ? "[" + address + "]" : address) + ":" + std::to_string(port);
  UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
  if (!fd) throw Error(ErrorKind::internal, std::string("socket(): ") + std::strerror(errno));
  const int one = 1;
  const int zero = 0;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ai->ai_family == AF_INET6) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0)
    throw Error(ErrorKind::usage, "cannot bind " + where + ": " + std::strerror(errno));
  if (::listen(fd.get(), SOMAXCONN) != 0)
    throw Error(ErrorKind::usage, "cannot listen on " + where + ": " + std::strerror(errno));
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &len);
  return {std::move(fd), endpoint_of(reinterpret_cast<const sockaddr*>(&bound))};
}

// ---------------------------------------------------------------------------

DeadlineTransport::DeadlineTransport(int fd, bool blocking, Deadline deadline)
    : inner_(fd), blocking_(blocking), deadline_(deadline) {
  inner_.set_blocking(false);
}

bool DeadlineTransport::blocking() const noexcept {
  if (!blocking_) return false;
  return !(nonblocking_when_ && nonblocking_when_());
}

short DeadlineTransport::wait(short events, std::chrono::milliseconds timeout) {
  Deadline limit = deadline_;
  if (timeout.count() >= 0) {
    const auto own = Clock::now() + timeout;
    if (!limit || own < *limit) limit = own;
  }
  return inner_.wait(events, std::chrono::milliseconds(poll_timeout(limit)));
}

IoResult DeadlineTransport::blocking_wait(short events) {
  Deadline limit = deadline_;
  if (op_timeout_) {
    const auto own = Clock::now() + *op_timeout_;
    if (!limit || own < *limit) limit = own;
  }
  if (inner_.wait(events, std::chrono::milliseconds(poll_timeout(limit))) != 0) return IoResult::ok(0);
  return {IoResult::Status::timeout, 0, ETIMEDOUT};
}

IoResult DeadlineTransport::recv(std::span<std::byte> buffer) {
  for (;;) {
    const IoResult r = inner_.recv(buffer);
    spdlog::trace("recv({}) -> status {} n {}", buffer.size(), static_cast<int>(r.status), r.n);
    if (r.status != IoResult::Status::would_block || !blocking()) return r;
    if (const IoResult w = blocking_wait(POLLIN); w.status != IoResult::Status::ok) return w;
  }
}

IoResult DeadlineTransport::send(std::span<const std::byte> data) {
  for (;;) {
    const IoResult r = inner_.send(data);
    spdlog::trace("send({}) -> status {} n {}", data.size(), static_cast<int>(r.status), r.n);
    if (r.status != IoResult::Status::would_block || !blocking()) return r;
    if (const IoResult w = blocking_wait(POLLOUT); w.status != IoResult::Status::ok) return w;
  }
}

void linger_before_close(int fd) noexcept {
  if (fd < 0 || ::shutdown(fd, SHUT_WR) != 0) return;
  const Clock::time_point until = Clock::now() + kLinger;
  char sink[16384];
  std::size_t drained = 0;
  while (drained < kLingerBytes) {
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, poll_timeout(until));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return;  // time is up (or poll failed)
    const ssize_t n = ::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) return;  // EOF or an error: the peer is done
    drained += static_cast<std::size_t>(n);
  }
}

}  // namespace ussl::apps
