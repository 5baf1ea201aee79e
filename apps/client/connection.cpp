// ussl-client: one connection's TLS -- wrap, the handshake (eager or
// deferred, blocking or driven by poll), sending the payload, reading (with
// the late-alert drain), waiting for a TLS 1.3 session ticket, and the close
// with what the report needs; see client_run.hpp.
#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "client/client_run.hpp"

namespace ussl::apps::client {
namespace {

// A failure after which the server may still be sending, or may not have read
// the alert the client sent: not when the connection is gone or out of time.
bool lingers_after(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::connection_reset:
    case ErrorKind::truncated_eof:
    case ErrorKind::timeout:
    case ErrorKind::closed:
      return false;
    default:
      return true;
  }
}

}  // namespace

void ClientRun::wrap(Conn& conn) {
  conn.phase = Phase::handshake;
  auto transport = std::make_unique<DeadlineTransport>(conn.fd.release(), !c_.tls.nonblocking, deadline_);
  DeadlineTransport* raw = transport.get();
  // Always wrap with do_handshake=False and run an eager handshake right
  // after (handshake()), so every wait is bounded by --timeout; the library
  // records it as eager, triggered by wrap.
  WrapArgs args{server_hostname_, false, resume_, std::nullopt};
  if (!c_.tls.defer_handshake) args.eager_trigger = "wrap";
  conn.socket = context_->wrap(std::move(transport), args);
  SslSocket* socket = conn.socket.get();
  raw->set_nonblocking_when([socket] { return socket->handshake().done; });
}

void ClientRun::handshake(Conn& conn) {
  SslSocket& socket = *conn.socket;
  conn.handshake_start = Clock::now();
  if (socket.blocking()) {
    socket.do_handshake();  // every wait is bounded by the deadline
  } else {
    while (!socket.do_handshake())
      wait_ready(conn, socket.want() == Want::write ? POLLOUT : POLLIN, "during the handshake");
  }
  note_progress(conn);
}

// Sends the payload, reading whatever arrives meanwhile: an echo server
// stops reading once its replies cannot be sent, and a client that only
// wrote would then wait for it forever.
void ClientRun::send_payload(Conn& conn) {
  SslSocket& socket = *conn.socket;
  if (!conn.handshake_start) conn.handshake_start = Clock::now();
  std::string_view rest = payload_;
  while (!rest.empty()) {
    const auto n = socket.write(rest);
    note_progress(conn);
    if (n && *n > 0) {
      rest.remove_prefix(*n);
      continue;
    }
    if (!socket.handshake().done) {
      wait_ready(conn, POLLOUT, "during the handshake");
      continue;
    }
    wait_writable_reading(conn);
    if (conn.peer_closed) {
      spdlog::warn("the server closed the connection with {} byte(s) still to send", rest.size());
      return;
    }
  }
  // The socket accepted every byte; a record may still wait to be sent.
  while (!socket.write(std::string_view{})) {
    wait_writable_reading(conn);
    if (conn.peer_closed) return;
  }
  conn.phase = Phase::data;
}

bool ClientRun::read_limit_reached(const Conn& conn) const {
  return c_.read_bytes != 0 && conn.received >= c_.read_bytes;
}

// Reads what has arrived, without waiting (the handshake is done).
void ClientRun::read_available(Conn& conn) {
  while (!conn.peer_closed && !read_limit_reached(conn)) {
    std::size_t n = kReadChunk;
    if (c_.read_bytes != 0) n = static_cast<std::size_t>(std::min<std::uint64_t>(n, c_.read_bytes - conn.received));
    const auto data = conn.socket->read(n);
    if (!data) return;
    if (data->empty()) {
      spdlog::info("the server closed the connection (close_notify)");
      conn.peer_closed = true;
      return;
    }
    output(conn, *data);
  }
}

void ClientRun::wait_writable_reading(Conn& conn) {
  for (;;) {
    const bool can_read = !conn.peer_closed && !read_limit_reached(conn);
    const auto events = static_cast<short>(POLLOUT | (can_read ? POLLIN : 0));
    const int ms = poll_timeout(deadline_);
    const short ready = ms != 0 ? conn.socket->poll(events, milliseconds(ms)) : 0;
    if (ready == 0) {
      if (expired(deadline_)) fail_timeout("while sending");
      continue;
    }
    if (can_read && (ready & POLLIN)) read_available(conn);
    if ((ready & ~POLLIN) != 0 || conn.peer_closed) return;  // writable, or an error the write will report
  }
}

// How long reading may stay idle once the handshake is done: --read-timeout;
// none with --read-bytes; 1 s for the reply after sending; and with nothing
// sent, the late-alert drain. A TLS 1.3 server judges the client certificate
// after the client's Finished, so its rejection arrives about one round trip
// after the handshake completed here: wait for it only when the server asked
// for a certificate (otherwise nothing can come), at least 200 ms and at
// least two measured round trips.
std::optional<milliseconds> ClientRun::read_idle_limit(Conn& conn) const {
  if (c_.read_timeout_ms >= 0) return milliseconds(c_.read_timeout_ms);
  if (c_.read_bytes != 0) return std::nullopt;
  if (!payload_.empty()) return kReplyIdleTimeout;
  const SslSocket& socket = *conn.socket;
  const HandshakeInfo& hs = socket.handshake();
  if (!hs.certificate_requested || socket.tls_version() != std::optional<std::string>("TLSv1.3"))
    return milliseconds(0);
  milliseconds window = kDrainWindow;
  if (hs.round_trip) window = std::max(window, std::chrono::ceil<milliseconds>(kDrainRoundTrips * *hs.round_trip));
  conn.drain_window = window;
  spdlog::info("the server asked for a client certificate: waiting {} ms for a late rejection", window.count());
  return window;
}

void ClientRun::read_phase(Conn& conn) {
  SslSocket& socket = *conn.socket;
  if (!conn.handshake_start) conn.handshake_start = Clock::now();
  std::optional<milliseconds> idle;
  bool idle_known = false;
  auto last_data = Clock::now();
  std::optional<Clock::time_point> drain_start;
  // Records how long the drain waited, however reading ends.
  struct DrainClock {
    Conn& conn;
    const std::optional<Clock::time_point>& start;
    ~DrainClock() {
      if (conn.drain_window && start) conn.drain_waited = elapsed_ms(*start);
    }
  } drain_clock{conn, drain_start};
  // Decided once, as soon as the handshake is done (before the first read
  // after it, or right after the read that completed a deferred handshake).
  const auto decide_idle = [&] {
    if (idle_known || !socket.handshake().done) return;
    idle = read_idle_limit(conn);
    idle_known = true;
    last_data = Clock::now();
    if (conn.drain_window) drain_start = last_data;
  };
  while (!conn.peer_closed) {
    decide_idle();
    if (read_limit_reached(conn)) return;
    std::size_t n = kReadChunk;
    if (c_.read_bytes != 0) n = static_cast<std::size_t>(std::min<std::uint64_t>(n, c_.read_bytes - conn.received));
    const auto data = socket.read(n);
    note_progress(conn);
    if (data && data->empty()) {
      spdlog::info("the server closed the connection (close_notify)");
      conn.peer_closed = true;
      return;
    }
    if (data) {
      output(conn, *data);
      last_data = Clock::now();
      continue;
    }
    if (!socket.handshake().done) {
      wait_ready(conn, POLLIN, "during the handshake");
      last_data = Clock::now();
      continue;
    }
    conn.phase = Phase::data;
    decide_idle();
    const Deadline idle_end = idle ? Deadline(last_data + *idle) : std::nullopt;
    if (expired(idle_end)) return;
    if (socket.poll(POLLIN, milliseconds(poll_timeout(idle_end, deadline_))) != 0) continue;
    if (expired(idle_end)) return;
    if (expired(deadline_)) {
      if (c_.read_bytes != 0) fail_timeout("waiting for --read-bytes " + std::to_string(c_.read_bytes));
      return;  // --timeout ends optional reading
    }
  }
}

// A session is kept for the next connection (--reconnect) or for --sess-out.
bool ClientRun::session_wanted(const Conn& conn) const {
  return conn.index < static_cast<std::size_t>(c_.reconnect) || !c_.sess_out.empty();
}

// A TLS 1.3 server sends its session ticket after the handshake, in a
// message of its own: keep reading (bounded) until it arrived, else the
// next connection could not resume (the bug of `openssl s_client -reconnect`).
void ClientRun::wait_for_ticket(Conn& conn) {
  SslSocket& socket = *conn.socket;
  if (socket.session_ticket_received() || socket.tls_version() != std::optional<std::string>("TLSv1.3")) return;
  Deadline limit = Clock::now() + kTicketWait;
  if (deadline_ && *deadline_ < *limit) limit = deadline_;
  while (!socket.session_ticket_received() && !conn.peer_closed && !expired(limit)) {
    if (socket.poll(POLLIN, milliseconds(poll_timeout(limit))) == 0) continue;
    const auto data = socket.read(kReadChunk);
    if (data && data->empty()) conn.peer_closed = true;
    if (!data || data->empty() || read_limit_reached(conn)) continue;
    output(conn, data->substr(0, c_.read_bytes == 0 ? data->size() : c_.read_bytes - conn.received));
  }
  if (!socket.session_ticket_received())
    spdlog::warn("no TLS 1.3 session ticket from the server within {} ms: the session cannot be resumed",
                 kTicketWait.count());
}

void ClientRun::wait_ready(Conn& conn, short events, const std::string& doing) {
  for (;;) {
    const int ms = poll_timeout(deadline_);
    if (ms != 0 && conn.socket->poll(events, milliseconds(ms)) != 0) return;
    if (expired(deadline_)) fail_timeout(doing);
  }
}

void ClientRun::fail_timeout(const std::string& doing) {
  throw Error(ErrorKind::timeout, "timed out after " + std::to_string(c_.timeout_ms) + " ms (--timeout) " + doing);
}

void ClientRun::note_progress(Conn& conn) {
  if (conn.timing.handshake || !conn.socket->handshake().done) return;
  const auto& took = conn.socket->handshake().duration;
  conn.timing.handshake = took ? static_cast<double>(took->count()) / 1000.0 : elapsed_ms(*conn.handshake_start);
  spdlog::info("handshake done: {} {}{}", conn.socket->tls_version().value_or("?"), conn.socket->cipher().value_or("?"),
               conn.socket->session_reused() ? ", resumed" : "");
  if (options_.cert_reqs == CertReqs::none && conn.index == 0)
    spdlog::warn(
        "the server certificate was NOT verified (--cert-reqs none); the report shows what verification found");
  conn.phase = Phase::data;
  if (!c_.common.json && conn.index == 0) {
    snapshot(conn);
    print_header(conn);
  }
}

void ClientRun::output(Conn& conn, const std::string& data) {
  conn.received += data.size();
  if (recv_file_ && !data.empty() && std::fwrite(data.data(), 1, data.size(), recv_file_.get()) != data.size())
    throw Error(ErrorKind::bad_file, "--recv-file '" + c_.recv_file + "': write error");
  if (c_.common.json || data.empty()) return;
  std::fwrite(data.data(), 1, data.size(), stdout);
  std::fflush(stdout);
  data_needs_newline_ = data.back() != '\n';
}

void ClientRun::snapshot(Conn& conn) {
  if (!conn.socket) return;
  conn.facts = conn.socket->record();
  conn.ticket_received = conn.socket->session_ticket_received();
}

void ClientRun::end_connection(Conn& conn) {
  snapshot(conn);
  if (conn.socket && !conn.error && conn.facts.handshake.done) {
    // TLS 1.2 resumes from the handshake itself (session ID or ticket);
    // TLS 1.3 only with a ticket.
    if (conn.ticket_received || conn.facts.version == std::optional<std::string>("TLSv1.2")) {
      if (auto session = conn.socket->session()) {
        resume_ = std::move(session);
        session_from_run_ = true;
      }
    }
  }
  if (conn.socket && conn.error && lingers_after(conn.error->kind)) linger_before_close(conn.socket->fileno());
  if (conn.socket) conn.socket->close();
  conn.timing.total = elapsed_ms(*conn.start);
  conn.exit_code = conn.error ? exit_code_for(conn.error->kind, conn.phase, conn.error->alert) : kExitOk;
  if (conn.error) {
    const std::string which = c_.reconnect > 0 ? "connection " + std::to_string(conn.index + 1) + ": " : "";
    spdlog::error("{}{}", which, describe(*conn.error));
  }
  if (c_.common.json || c_.reconnect == 0) return;
  if (conn.index == 0) {
    if (!header_printed_) print_header(conn);
    print_bytes(conn);
  } else {
    print_reconnect(conn);
  }
}

}  // namespace ussl::apps::client
