#include "client/scan/probe.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <thread>

namespace ussl::apps::scan {

using std::chrono::milliseconds;

void Limits::pace() {
  if (delay_.count() <= 0) return;
  Clock::time_point start;
  {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    start = next_start_ && *next_start_ > now ? *next_start_ : now;
    next_start_ = start + delay_;
  }
  std::this_thread::sleep_until(start);
}

Deadline Limits::probe_deadline() const {
  Clock::time_point d = Clock::now() + connect_timeout_;
  if (run_deadline_ && *run_deadline_ < d) d = *run_deadline_;
  return d;
}

namespace {

bool send_all(int fd, const Bytes& data, Deadline deadline) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
    pollfd p{fd, POLLOUT, 0};
    const int ms = poll_timeout(deadline);
    if (ms == 0 || ::poll(&p, 1, ms) == 0) return false;
  }
  return true;
}

bool hello_seen(const Answer& a) { return a.legacy_version != 0; }

}  // namespace

Exchange exchange(const std::string& host, std::uint16_t port, Limits& limits, const Bytes& hello,
                  bool want_key_exchange) {
  Exchange e;
  if (limits.run_expired()) {
    e.detail = "--timeout reached before this probe";
    return e;
  }
  limits.pace();
  const auto start = Clock::now();
  const Deadline deadline = limits.probe_deadline();
  auto finish = [&](Outcome outcome, std::string detail) {
    e.outcome = outcome;
    e.detail = std::move(detail);
    e.ms = elapsed_ms(start);
    return e;
  };
  Connection conn;
  try {
    conn = connect_tcp(host, port, deadline);
  } catch (const Error& err) {
    e.connect_error = ErrorInfo::from(err);
    return finish(Outcome::unknown, "no connection: " + err.message());
  }
  const int fd = conn.fd.get();
  if (!send_all(fd, hello, deadline)) return finish(Outcome::unknown, "could not send the hello");
  Bytes in;
  std::uint8_t buf[16384];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      in.insert(in.end(), buf, buf + n);
      e.answer = parse_answer(in, want_key_exchange);
      switch (e.answer.kind) {
        case Answer::Kind::incomplete:
          continue;
        case Answer::Kind::alert:
          return finish(Outcome::refused, "alert " + alert_name(e.answer.alert));
        case Answer::Kind::garbage:
          return finish(Outcome::unknown, "unparseable answer: " + e.answer.garbage_reason);
        default:
          return finish(Outcome::answered, "");
      }
    }
    if (n == 0) {
      if (hello_seen(e.answer)) {
        e.answer.kind = Answer::Kind::server_hello;
        return finish(Outcome::answered, "closed after the ServerHello");
      }
      if (!in.empty()) return finish(Outcome::unknown, "closed in the middle of a record");
      return finish(Outcome::refused, "closed without an answer");
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      if (hello_seen(e.answer)) {
        e.answer.kind = Answer::Kind::server_hello;
        return finish(Outcome::answered, "reset after the ServerHello");
      }
      return finish(Outcome::unknown, errno == ECONNRESET ? "connection reset" : "receive error");
    }
    pollfd p{fd, POLLIN, 0};
    const int ms = poll_timeout(deadline);
    if (ms == 0 || ::poll(&p, 1, ms) == 0) {
      if (hello_seen(e.answer)) {
        e.answer.kind = Answer::Kind::server_hello;
        return finish(Outcome::answered, "timeout after the ServerHello");
      }
      return finish(Outcome::unknown, "timeout: no answer within the probe's time");
    }
  }
}

Json answer_json(const Exchange& e) {
  const Answer& a = e.answer;
  Json j;
  if (e.connect_error) {
    j["kind"] = "no_connection";
    j["error"] = e.connect_error->message;
    return j;
  }
  switch (e.outcome) {
    case Outcome::refused:
      if (a.kind == Answer::Kind::alert) {
        j["kind"] = "alert";
        j["alert"] = alert_name(a.alert);
        j["level"] = a.alert_level == 2 ? "fatal" : "warning";
      } else {
        j["kind"] = "closed";
      }
      break;
    case Outcome::unknown:
      j["kind"] = "unknown";
      j["reason"] = e.detail;
      break;
    case Outcome::answered:
      if (a.kind == Answer::Kind::sslv2_server_hello) {
        j["kind"] = "sslv2_server_hello";
        Json ciphers = Json::array();
        for (auto c : a.sslv2_ciphers) ciphers.push_back(c);
        j["ciphers"] = ciphers;
        break;
      }
      j["kind"] = a.kind == Answer::Kind::hello_retry ? "hello_retry_request" : "server_hello";
      j["version"] = version_name(a.version);
      j["suite"] = suite_name(a.suite);
      if (a.key_share_group) j["key_share"] = group_name(*a.key_share_group);
      if (a.kx_group) j["kx_group"] = group_name(*a.kx_group);
      if (a.dh_bits) j["dh_bits"] = *a.dh_bits;
      if (a.kx_sigalg) j["kx_signature"] = sigalg_name(*a.kx_sigalg);
      if (a.alpn) j["alpn"] = *a.alpn;
      {
        Json exts = Json::array();
        for (auto t : a.extensions) exts.push_back(t);
        j["extensions"] = exts;
      }
      break;
  }
  j["ms"] = ms_or_null(e.ms);
  return j;
}

void run_jobs(std::vector<std::function<void()>>& jobs, int workers) {
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < jobs.size(); i = next++) jobs[i]();
  };
  const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(std::max(workers, 1)), jobs.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < n; ++i) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
}

}  // namespace ussl::apps::scan
