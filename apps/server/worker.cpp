// ussl-server's event loop: accept, wait on epoll, service the connections
// that are ready, run their timers, close and free them. What a connection
// does with its bytes is in modes.cpp; the report lines are in events.cpp;
// the lifetime rule of a connection is next to Conn in worker.hpp.
#include "server/worker.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "server/process.hpp"

namespace ussl::apps {
namespace {

using std::chrono::milliseconds;

constexpr int kAcceptBatch = 32;  // accepts per wake-up, so the other loops get their share
constexpr milliseconds kShutdownGrace{2000};
constexpr milliseconds kAcceptPause{100};  // out of descriptors: stop accepting this long

// epoll_event.data.ptr of the two descriptors that are not connections.
char g_listener_tag;
char g_wake_tag;

}  // namespace

std::string errno_text(const char* call) { return std::string(call) + ": " + std::strerror(errno); }

Worker::Worker(Server& server) : server_(server), c_(server.config()), mode_(server.mode()), out_(server.output()) {
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) throw Error(ErrorKind::internal, errno_text("epoll_create1()"));
  event_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!event_) throw Error(ErrorKind::internal, errno_text("eventfd()"));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &g_wake_tag;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, event_.get(), &ev) != 0)
    throw Error(ErrorKind::internal, errno_text("epoll_ctl()"));
  // EPOLLEXCLUSIVE: a new connection wakes one loop, not all of them.
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  ev.data.ptr = &g_listener_tag;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, server.listener(), &ev) != 0)
    throw Error(ErrorKind::internal, errno_text("epoll_ctl()"));
  listening_ = true;
}

void Worker::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(event_.get(), &one, sizeof one);
}

void Worker::run() noexcept {
  try {
    loop();
  } catch (const std::exception& e) {
    spdlog::critical("internal error in an event loop: {}", e.what());
    server_.loop_failed();
    // The connections are dropped without reports: their sockets close with the loop.
    ready_.clear();
    done_.clear();
    timers_.clear();
    conns_.clear();
  }
  out_.flush();
}

int Worker::wait_events(std::array<epoll_event, kEventBatch>& events, int timeout) {
  if (timeout != 0 && !out_.empty()) {
    // Report lines are waiting. If events are ready already, serve them first
    // and write the lines in one go later (Output::due bounds how late);
    // otherwise write them now, before blocking.
    const int n = ::epoll_wait(epoll_.get(), events.data(), kEventBatch, 0);
    if (n != 0 && !out_.due()) return n;
    out_.flush();
    if (n != 0) return n;
  }
  return ::epoll_wait(epoll_.get(), events.data(), kEventBatch, timeout);
}

void Worker::loop() {
  std::array<epoll_event, kEventBatch> events{};
  for (;;) {
    observe_server();
    if (!listening_ && !resume_accept_ && conns_.empty()) return;
    const int timeout = ready_.empty() ? poll_timeout(next_deadline()) : 0;
    const int n = wait_events(events, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorKind::internal, errno_text("epoll_wait()"));
    }
    for (int i = 0; i < n; ++i) {
      void* tag = events[static_cast<std::size_t>(i)].data.ptr;
      if (tag == &g_wake_tag) {
        std::uint64_t count = 0;
        [[maybe_unused]] const ssize_t r = ::read(event_.get(), &count, sizeof count);
      } else if (tag == &g_listener_tag) {
        accept_ready();
      } else {
        Conn& conn = *static_cast<Conn*>(tag);
        if (conn.stage == Stage::lingering) {
          drain(conn);
        } else if (!conn.finished()) {
          service(conn);
        }
      }
    }
    if (!ready_.empty()) {
      std::vector<Conn*> batch;
      batch.swap(ready_);
      for (Conn* conn : batch) {
        conn->queued = false;
        if (!conn->finished()) service(*conn);
      }
    }
    expire_timers();
    if (resume_accept_ && expired(resume_accept_)) {
      resume_accept_.reset();
      if (server_.accepting()) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLEXCLUSIVE;
        ev.data.ptr = &g_listener_tag;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, server_.listener(), &ev) == 0) listening_ = true;
      }
    }
    if (stop_deadline_ && expired(stop_deadline_)) {
      for (auto& conn : conns_) {
        if (conn.stage == Stage::lingering) release(conn);
        if (!conn.finished()) close_conn(conn, CloseReason::shutdown, std::nullopt, Phase::data);
      }
    }
    reap();
  }
}

// Acts on what the main thread or another loop changed: the accept limit
// reached, a signal.
void Worker::observe_server() {
  if ((listening_ || resume_accept_) && !server_.accepting()) drop_listener();
  const StopLevel level = server_.stop_level();
  if (level == stop_seen_) return;
  if (stop_seen_ == StopLevel::serving) begin_shutdown();
  if (level >= StopLevel::closing) stop_deadline_ = Clock::now();
  stop_seen_ = level;
  reap();
}

void Worker::drop_listener() {
  if (listening_) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, server_.listener(), nullptr);
  listening_ = false;
  resume_accept_.reset();
}

void Worker::accept_ready() {
  for (int i = 0; i < kAcceptBatch; ++i) {
    if (!server_.reserve_accept()) {
      drop_listener();
      return;
    }
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    const int fd =
        ::accept4(server_.listener(), reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      server_.release_accept();
      if (err == EINTR || err == ECONNABORTED) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      if (err == EINVAL) {  // the listener was shut down (accept limit or signal)
        drop_listener();
        return;
      }
      if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
        // Level-triggered: retrying at once would spin. Pause this loop's accepting.
        spdlog::warn("accept(): {}; not accepting for {} ms", std::strerror(err), kAcceptPause.count());
        drop_listener();
        resume_accept_ = Clock::now() + kAcceptPause;
        return;
      }
      spdlog::warn("accept(): {}", std::strerror(err));
      return;
    }
    const std::uint64_t id = server_.commit_accept();
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // small records go out at once
    Conn& conn = conns_.emplace_back();
    conn.self = std::prev(conns_.end());
    conn.id = id;
    conn.fd = fd;
    conn.peer = endpoint_of(reinterpret_cast<const sockaddr*>(&addr));
    conn.accepted = conn.last_activity = Clock::now();
    if (mode_ == ServeMode::source) conn.source_left = c_.source_bytes;
    emit_accepted(conn);
    if (mode_ == ServeMode::starttls) {
      // Plaintext first: the socket is wrapped once the dialogue reaches its go-ahead.
      conn.starttls = StarttlsSession::create(c_.starttls, {c_.starttls_refuse, c_.starttls_inject});
      conn.plain = true;
      conn.out = conn.starttls->greeting();
      if (c_.handshake_timeout_ms > 0) timers_.set(conn, TimerKind::handshake);
      service(conn);
      continue;
    }
    try {
      conn.socket = server_.context()->wrap(std::make_unique<FdTransport>(fd), wrap_args());
    } catch (const Error& e) {
      // wrap() owns the descriptor from the call on and has closed it.
      spdlog::error("[{}] cannot wrap the accepted socket: {}", conn.id, describe(ErrorInfo::from(e)));
      server_.count_wrap_failure();
      conns_.erase(conn.self);
      continue;
    }
    if (c_.handshake_timeout_ms > 0) timers_.set(conn, TimerKind::handshake);
    service(conn);
  }
}

void Worker::service(Conn& conn) {
  try {
    drive(conn);
    if (!conn.finished()) check_timers(conn);
  } catch (const Error& e) {
    // After the client's close_notify, a reset while we still send is the
    // client going away as announced, not a failure.
    const bool gone = e.kind() == ErrorKind::connection_reset || e.kind() == ErrorKind::truncated_eof;
    if (conn.peer_eof && gone) {
      close_conn(conn, CloseReason::peer_closed, std::nullopt, Phase::data);
    } else {
      fail(conn, e);
    }
  }
  if (!conn.finished()) settle(conn);
}

// After a connection ran: what to wait for, which timer, which buffers to give back.
void Worker::settle(Conn& conn) {
  if (conn.handshake_done && !conn.idle_armed) {  // also with --handshake-timeout 0
    conn.idle_armed = true;
    timers_.set(conn, c_.idle_timeout_ms > 0 ? TimerKind::idle : TimerKind::none);
  }
  const std::uint32_t events = interest(conn);
  if (!conn.in_epoll || events != conn.events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = &conn;
    if (::epoll_ctl(epoll_.get(), conn.in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, conn.fd, &ev) != 0) {
      // ENOSPC (max_user_watches) or ENOMEM: this connection cannot be served, the others can.
      fail(conn, Error(ErrorKind::internal, errno_text("epoll_ctl()")));
      return;
    }
    conn.in_epoll = true;
    conn.events = events;
  }
  if (conn.read_stalled && conn.out.size() < kMaxBuffered && !conn.queued) {
    conn.queued = true;
    ready_.push_back(&conn);
  }
  // Waiting on the peer alone: an idle connection keeps no buffers of ours.
  if (events == EPOLLIN && conn.out.empty()) {
    if (conn.out.capacity() > 0) std::string().swap(conn.out);
    conn.http.release_if_empty();
  }
}

// --starttls before TLS: reads the client's commands, sends the answers;
// returns true once the go-ahead is sent and the socket is wrapped (the

void Worker::check_handshake(Conn& conn) {
  if (conn.handshake_reported) return;
  if (!conn.socket->handshake().done) return;
  conn.handshake_done = true;
  conn.handshake_ms = elapsed_ms(conn.accepted);
  conn.last_activity = Clock::now();
  conn.facts = conn.socket->record();
  conn.handshake_reported = true;
  emit_handshake(conn, std::nullopt);
  if (mode_ != ServeMode::http) conn.facts = ConnectionRecord{};  // only the http page shows them later
}

void Worker::check_timers(Conn& conn) {
  const auto now = Clock::now();
  if (!conn.handshake_done) {
    if (c_.handshake_timeout_ms > 0 && now >= deadline(conn, TimerKind::handshake))
      fail(conn, Error(ErrorKind::timeout, "no TLS handshake within " + std::to_string(c_.handshake_timeout_ms) +
                                               " ms (--handshake-timeout)"));
    return;
  }
  if (c_.idle_timeout_ms > 0 && now >= deadline(conn, TimerKind::idle))
    fail(conn, Error(ErrorKind::timeout, "no data for " + std::to_string(c_.idle_timeout_ms) + " ms (--idle-timeout)"));
}

void Worker::touch(Conn& conn) {
  conn.last_activity = Clock::now();
  timers_.touch(conn);
}

// When the connection's timer on that list fires.
Clock::time_point Worker::deadline(const Conn& conn, TimerKind list) const {
  if (list == TimerKind::linger) return conn.last_activity + kLinger;  // set when the lingering began
  return list == TimerKind::handshake ? conn.accepted + milliseconds(c_.handshake_timeout_ms)
                                      : conn.last_activity + milliseconds(c_.idle_timeout_ms);
}

// Services the connections whose deadline passed. Each one's timer ends:
// check_timers() fails it, or it moved data and went to the back (idle) or
// to the idle list (handshake done); a lingering one is drained (released
// when its linger time is up).
void Worker::expire_timers() {
  if (timers_.empty()) return;
  const auto now = Clock::now();
  const auto deadline_of = [this](const Conn& conn, TimerKind list) { return deadline(conn, list); };
  const auto fire = [this](Conn& conn) {
    if (conn.stage == Stage::lingering) {
      drain(conn);
    } else {
      service(conn);
    }
  };
  for (const TimerKind list : TimerLists<Conn>::kLists) timers_.expire(list, now, conns_.size() + 1, deadline_of, fire);
}

Deadline Worker::next_deadline() const {
  Deadline wake =
      timers_.next(stop_deadline_, [this](const Conn& conn, TimerKind list) { return deadline(conn, list); });
  if (resume_accept_ && (!wake || *resume_accept_ < *wake)) wake = resume_accept_;
  return wake;
}

std::uint32_t Worker::interest(const Conn& conn) const {
  if (conn.plain) return EPOLLIN | (conn.out.empty() ? 0U : static_cast<std::uint32_t>(EPOLLOUT));
  if (!conn.socket) return EPOLLIN;  // wrapping failed: the connection is being closed
  const SslSocket& socket = *conn.socket;
  if (!conn.handshake_done) {
    if (socket.want() == Want::write) return EPOLLOUT;
    // A deferred source handshake starts with a write; before that, wait to read.
    return EPOLLIN;
  }
  std::uint32_t events = 0;
  if (!conn.peer_eof && !conn.closing && conn.out.size() < kMaxBuffered) events |= EPOLLIN;
  // Source mode refills its buffer only when it may write: ask for EPOLLOUT while bytes remain to be sent.
  if (!conn.out.empty() || conn.source_left > 0 || conn.flush_needed || socket.want() == Want::write)
    events |= EPOLLOUT;
  return events;
}

void Worker::fail(Conn& conn, const Error& error) {
  // From the socket: a deferred handshake can complete inside a read that then fails.
  const Phase phase = conn.socket && conn.socket->handshake().done ? Phase::data : Phase::handshake;
  const ErrorInfo info = ErrorInfo::from(error);
  if (!conn.handshake_reported) {
    ConnectionRecord before_wrap;  // a STARTTLS connection that never reached TLS
    before_wrap.handshake.deferred = c_.tls.defer_handshake;
    conn.facts = record_of(conn.socket.get(), &error, before_wrap);
    conn.handshake_ms = elapsed_ms(conn.accepted);
    conn.handshake_reported = true;
    emit_handshake(conn, info);
  }
  close_conn(conn, CloseReason::failed, info, phase);
}

void Worker::close_conn(Conn& conn, CloseReason reason, const std::optional<ErrorInfo>& error, Phase phase) {
  const std::uint64_t sent = conn.socket ? conn.socket->bytes_written() : conn.plain_sent;
  const std::uint64_t received = conn.socket ? conn.socket->bytes_read() : conn.plain_received;
  // A failure may have sent an alert the client has not read yet: linger,
  // unless the client is gone already, the failure is our timeout (closed
  // with close_notify, no alert) or the second signal closes everything.
  const bool no_alert = error && (error->kind == ErrorKind::connection_reset ||
                                  error->kind == ErrorKind::truncated_eof || error->kind == ErrorKind::timeout);
  if (conn.socket && error && !no_alert && stop_seen_ < StopLevel::closing) {
    linger(conn);
  } else {
    release(conn);
  }
  const int code = error ? exit_code_for(error->kind, phase, error->alert) : kExitOk;
  server_.count_close(error, code, !error && reason == CloseReason::shutdown && phase == Phase::handshake);
  emit_closed(conn, reason, error, code, sent, received);
  if (error) spdlog::warn("[{}] {}", conn.id, describe(*error));
}

// Lingering close (see kLinger in common/net.hpp): the write side is shut
// (the alert, then FIN) and the client's input is read and discarded until it
// closes, kLingerBytes were read or kLinger passed; then the socket closes.
// tlsfuzzer's certificate_required cases lost the alert to a reset without it.
// The loop never blocks on it: the connection waits in epoll with its own timer.
void Worker::linger(Conn& conn) {
  ::shutdown(conn.fd, SHUT_WR);
  conn.stage = Stage::lingering;
  conn.last_activity = Clock::now();
  timers_.set(conn, TimerKind::linger);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.ptr = &conn;
  if (::epoll_ctl(epoll_.get(), conn.in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, conn.fd, &ev) != 0) {
    release(conn);
    return;
  }
  conn.in_epoll = true;
  conn.events = ev.events;
  drain(conn);
}

void Worker::drain(Conn& conn) {
  std::array<char, kReadChunk> sink{};
  for (;;) {
    if (conn.linger_drained >= kLingerBytes || Clock::now() >= deadline(conn, TimerKind::linger)) break;
    const ssize_t n = ::recv(conn.fd, sink.data(), sink.size(), 0);
    if (n > 0) {
      conn.linger_drained += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // wait for more, or the timer
    break;                                                           // EOF or an error: the client is done
  }
  release(conn);
}

// Closes the connection's descriptor (the socket's close also takes it out
// of the epoll set) and queues it for reaping, once: a lingering connection
// comes here again from its timer or its drain. The Conn itself is freed by
// reap() at the end of the round (see "Lifetime of a connection").
void Worker::release(Conn& conn) {
  if (conn.stage == Stage::released) return;
  conn.stage = Stage::released;
  if (conn.socket) {
    conn.socket->close();
  } else if (conn.plain) {
    ::close(conn.fd);  // --starttls before the upgrade: no socket owns it yet
  }
  timers_.set(conn, TimerKind::none);
  done_.push_back(&conn);
}

void Worker::reap() {
  for (Conn* conn : done_) {
    if (conn->queued) std::erase(ready_, conn);
    conns_.erase(conn->self);
  }
  done_.clear();
}

void Worker::begin_shutdown() {
  drop_listener();
  stop_deadline_ = Clock::now() + kShutdownGrace;
  for (auto& conn : conns_) {
    if (conn.finished()) continue;
    if (!conn.handshake_done) {
      close_conn(conn, CloseReason::shutdown, std::nullopt, Phase::handshake);
    } else {
      conn.closing = true;
      conn.source_left = 0;
      service(conn);
    }
  }
}

}  // namespace ussl::apps
