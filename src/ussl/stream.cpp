// ussl's stream interface over one connection: read, readinto, readline,
// recv, write, send, close, abort, blocking mode and poll. A read or write
// before the handshake completed runs it (handshake.cpp).
#include <poll.h>

#include <algorithm>

#include "socket_impl.hpp"

namespace ussl {

bool SslSocket::Impl::flush_stalled() {
  if (stalled.empty()) return true;
  const int ret =
      call([this] { return wolfSSL_write(ssl.get(), stalled.data(), static_cast<int>(stalled.size())); }, false);
  if (ret == -1) return false;
  stalled.clear();
  return true;
}

int SslSocket::Impl::read_some(char* buf, std::size_t n, const char* trigger) {
  check_usable();
  if (!rec.handshake.done) {
    if (transport->blocking()) {
      complete_handshake_blocking(trigger);
    } else if (!advance_handshake(trigger)) {
      return -1;
    }
  }
  if (eof) return 0;
  flush_stalled();  // a record of ours still queued goes out first; reading proceeds either way
  const int want_n = static_cast<int>(std::min<std::size_t>(n, kRecordSize));
  for (;;) {
    const int ret = call([&] { return wolfSSL_read(ssl.get(), buf, want_n); }, false);
    if (ret > 0) rec.bytes_received += static_cast<std::uint64_t>(ret);
    if (ret >= 0 || !transport->blocking()) return ret;
    wait_for(want);
  }
}

// ---------------------------------------------------------------------------
// SslSocket

SslSocket::SslSocket(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SslSocket::~SslSocket() { close(); }

std::optional<std::string> SslSocket::read(std::optional<std::size_t> n) {
  Impl& s = *impl_;
  std::string out;
  char buf[kRecordSize];
  for (;;) {
    const std::size_t want_n = n ? std::min(*n - out.size(), kRecordSize) : kRecordSize;
    if (n && want_n == 0) return out;
    const int got = s.read_some(buf, want_n, "read");
    if (got > 0) {
      out.append(buf, static_cast<std::size_t>(got));
      continue;
    }
    if (got == 0) return out;              // EOF: what was collected
    if (out.empty()) return std::nullopt;  // non-blocking, nothing yet
    return out;
  }
}

std::optional<std::size_t> SslSocket::readinto(std::span<char> buffer) {
  Impl& s = *impl_;
  std::size_t total = 0;
  while (total < buffer.size()) {
    const int got = s.read_some(buffer.data() + total, buffer.size() - total, "readinto");
    if (got > 0) {
      total += static_cast<std::size_t>(got);
      continue;
    }
    if (got == 0) break;
    if (total == 0) return std::nullopt;
    break;
  }
  if (buffer.empty()) s.check_usable();
  return total;
}

std::optional<std::string> SslSocket::readline(std::size_t max) {
  Impl& s = *impl_;
  std::string out;
  while (out.size() < max) {
    char c = 0;
    const int got = s.read_some(&c, 1, "readline");
    if (got > 0) {
      out.push_back(c);
      if (c == '\n') break;
      continue;
    }
    if (got == 0) break;
    if (out.empty()) return std::nullopt;
    break;
  }
  return out;
}

std::optional<std::string> SslSocket::recv(std::size_t n) {
  Impl& s = *impl_;
  std::string out(std::min(n, kRecordSize), '\0');
  if (n == 0) {
    s.check_usable();
    return out;
  }
  const int got = s.read_some(out.data(), out.size(), "recv");
  if (got < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(got));
  return out;
}

std::optional<std::size_t> SslSocket::write(std::string_view data) {
  Impl& s = *impl_;
  s.check_usable();
  const bool blocking = s.transport->blocking();
  if (!s.rec.handshake.done) {
    if (blocking) {
      s.complete_handshake_blocking("write");
    } else if (!s.advance_handshake("write")) {
      return std::nullopt;
    }
  }
  if (blocking) {
    while (!s.flush_stalled()) s.wait_for(s.want);
  } else if (!s.flush_stalled()) {
    return std::nullopt;
  }
  std::size_t total = 0;
  while (total < data.size()) {
    const std::string_view chunk = data.substr(total, kRecordSize);
    const int ret =
        s.call([&] { return wolfSSL_write(s.ssl.get(), chunk.data(), static_cast<int>(chunk.size())); }, false);
    if (ret > 0) {
      total += static_cast<std::size_t>(ret);
      continue;
    }
    // wolfSSL has encrypted this record and must finish sending it before
    // anything else: the bytes are accepted; the record is sent later.
    s.stalled.assign(chunk);
    total += chunk.size();
    if (!blocking) break;
    while (!s.flush_stalled()) s.wait_for(s.want);
  }
  s.rec.bytes_sent += total;
  return total;
}

std::optional<std::size_t> SslSocket::send(std::string_view data) {
  Impl& s = *impl_;
  s.check_usable();
  const bool blocking = s.transport->blocking();
  if (!s.rec.handshake.done) {
    if (blocking) {
      s.complete_handshake_blocking("send");
    } else if (!s.advance_handshake("send")) {
      return std::nullopt;
    }
  }
  if (blocking) {
    while (!s.flush_stalled()) s.wait_for(s.want);
  } else if (!s.flush_stalled()) {
    return std::nullopt;
  }
  if (data.empty()) return 0;
  const std::string_view chunk = data.substr(0, kRecordSize);
  const int ret =
      s.call([&] { return wolfSSL_write(s.ssl.get(), chunk.data(), static_cast<int>(chunk.size())); }, false);
  if (ret < 0) {
    s.stalled.assign(chunk);
    if (blocking) {
      while (!s.flush_stalled()) s.wait_for(s.want);
    }
  }
  s.rec.bytes_sent += chunk.size();
  return chunk.size();
}

bool SslSocket::do_handshake() {
  Impl& s = *impl_;
  s.check_usable();
  if (s.transport->blocking()) {
    s.complete_handshake_blocking("do_handshake");
    return true;
  }
  return s.advance_handshake("do_handshake");
}

void SslSocket::close() noexcept {
  Impl& s = *impl_;
  if (s.closed) return;
  try {
    if (s.rec.handshake.done && !s.failure.sticky && s.ssl) {
      const bool blocking = s.transport->blocking();
      if (blocking || s.flush_stalled()) {
        if (blocking) {
          while (!s.flush_stalled()) s.wait_for(s.want);
        }
        // Sends close_notify; does not wait for the peer's. Exactly one call:
        // a second wolfSSL_shutdown (bidirectional shutdown) with decrypted
        // data still buffered is CVE-2026-15442, which the tuned wolfSSL 5.9.2
        // does not patch (docs/wolfssl-build.md).
        wolfSSL_shutdown(s.ssl.get());
      }
    }
  } catch (...) {
  }
  s.closed = true;
  s.ssl.reset();
  s.transport->close();
}

void SslSocket::abort() noexcept {
  Impl& s = *impl_;
  if (s.closed) return;
  s.closed = true;
  s.ssl.reset();
  s.transport->close();
}

void SslSocket::setblocking(bool blocking) {
  if (impl_->closed) throw Error(ErrorKind::closed, "operation on a closed SSL socket");
  impl_->transport->set_blocking(blocking);
}

bool SslSocket::blocking() const noexcept { return impl_->transport->blocking(); }

void SslSocket::settimeout(std::optional<std::chrono::milliseconds> timeout) { impl_->transport->set_timeout(timeout); }

int SslSocket::fileno() const noexcept { return impl_->closed ? -1 : impl_->transport->fd(); }

Want SslSocket::want() const noexcept { return impl_->want; }

bool SslSocket::pending() const noexcept {
  const Impl& s = *impl_;
  return !s.closed && s.ssl && wolfSSL_pending(s.ssl.get()) > 0;
}

short SslSocket::poll(short events, std::chrono::milliseconds timeout) {
  Impl& s = *impl_;
  if (s.closed || s.failure.sticky) return POLLNVAL;
  const short asked = static_cast<short>(events & (POLLIN | POLLOUT));
  if ((asked & POLLIN) && (s.eof || pending() || (s.rec.handshake.done && wolfSSL_has_pending(s.ssl.get()))))
    return POLLIN;
  // Mid-handshake the socket must move in the direction wolfSSL asked for;
  // report the caller's own events when it can, so the caller calls again.
  if (!s.rec.handshake.done && s.want != Want::nothing) {
    const short needed = s.want == Want::write ? POLLOUT : POLLIN;
    const short r = s.transport->wait(needed, timeout);
    if (r & POLLNVAL) return POLLNVAL;
    return r != 0 ? static_cast<short>(asked | (r & (POLLHUP | POLLERR))) : 0;
  }
  // A record accepted but not yet sent needs the socket writable; any call
  // (read or write) then flushes it.
  const bool flushing = !s.stalled.empty();
  const short r = s.transport->wait(static_cast<short>(asked | (flushing ? POLLOUT : 0)), timeout);
  short out = static_cast<short>(r & (asked | POLLHUP | POLLERR | POLLNVAL));
  if (flushing && (r & POLLOUT)) out = static_cast<short>(out | asked);
  return out;
}

}  // namespace ussl
