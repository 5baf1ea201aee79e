// One scan probe on the wire: connect, send a hand-built hello, read the
// answer; plus the pacing and the worker pool every probe runs under.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "client/scan/wire.hpp"
#include "common/net.hpp"
#include "common/report.hpp"

namespace ussl::apps::scan {

// What a probe concluded: the server answered the hello (ServerHello or
// HelloRetryRequest), refused it (alert, or closed without a word), or the
// outcome cannot be decided (timeout, reset, garbage, no connection).
enum class Outcome { answered, refused, unknown };

struct Exchange {
  Outcome outcome = Outcome::unknown;
  Answer answer;
  std::string detail;                      // "alert handshake_failure", "closed without an answer", "timeout"
  std::optional<ErrorInfo> connect_error;  // the TCP connection failed
  double ms = 0;
};

// Limits shared by every probe of a run.
class Limits {
 public:
  Limits(std::chrono::milliseconds connect_timeout, Deadline run_deadline, std::chrono::milliseconds delay)
      : connect_timeout_(connect_timeout), run_deadline_(run_deadline), delay_(delay) {}
  // Waits until --scan-delay after the previous connection started.
  void pace();
  // The deadline of one probe: --connect-timeout from now, never past --timeout.
  Deadline probe_deadline() const;
  bool run_expired() const { return expired(run_deadline_); }
  Deadline run_deadline() const { return run_deadline_; }

 private:
  std::chrono::milliseconds connect_timeout_;
  Deadline run_deadline_;
  std::chrono::milliseconds delay_;
  std::mutex mutex_;
  std::optional<Clock::time_point> next_start_;
};

// Connects to host:port, sends the bytes and reads until parse_answer has an
// answer, the server closes, or the probe's deadline passes.
Exchange exchange(const std::string& host, std::uint16_t port, Limits& limits, const Bytes& hello,
                  bool want_key_exchange);

// The answer as JSON: {"kind":"server_hello","version":...,"suite":...} or
// {"kind":"alert","alert":"handshake_failure"}, {"kind":"closed"}, ...
Json answer_json(const Exchange& e);

// Runs every job on up to `workers` threads; returns when all are done.
void run_jobs(std::vector<std::function<void()>>& jobs, int workers);

}  // namespace ussl::apps::scan
