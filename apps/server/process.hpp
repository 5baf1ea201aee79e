// The ussl-server process (internal to the server): what the event loops
// share -- the configuration, the Context, the listener and the tallies --
// and the main thread, which starts the loops, handles the signals and
// decides the exit code. server.cpp implements it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "common/expect.hpp"
#include "common/net.hpp"
#include "common/report.hpp"
#include "server/events.hpp"
#include "server/output.hpp"
#include "server/server.hpp"
#include "server/worker.hpp"
#include "ussl/ussl.hpp"

namespace ussl::apps {

// Serves on the loops; the main thread only waits for signals.
class Server {
 public:
  explicit Server(const ServerConfig& config)
      : c_(config),
        mode_(config.starttls.empty() ? config.mode : ServeMode::starttls),
        expectations_(parse_expectations(config.common.expect)) {}
  ~Server();
  int run();

  const ServerConfig& config() const { return c_; }
  ServeMode mode() const { return mode_; }
  const std::vector<Expectation>& expectations() const { return expectations_; }
  const std::shared_ptr<const Context>& context() const { return context_; }
  int listener() const { return listener_.get(); }
  bool accepting() const { return accepting_.load(std::memory_order_acquire); }
  StopLevel stop_level() const { return stop_level_.load(std::memory_order_acquire); }

  // A loop holds a reservation while it calls accept(), so --accept N never
  // admits more than N connections however many loops race for them.
  bool reserve_accept();
  void release_accept();
  std::uint64_t commit_accept();  // the new connection's id
  void count_wrap_failure();
  void count_close(const std::optional<ErrorInfo>& error, int code, bool dropped);
  void count_expectations(bool held);
  void loop_failed();  // a loop hit an internal error and stopped
  void stop_accepting();
  Output& output() { return output_; }

 private:
  void start();
  void wait_for_loops(std::size_t loops, int done_fd);
  void on_signals();
  void wake_all();
  int exit_code() const;
  // The events (events.cpp).
  void emit_listening(const Endpoint& local, int loops) const;
  void emit_start_error(const Error& error, int code) const;
  void emit_stopped();

  const ServerConfig& c_;
  ServeMode mode_;
  std::vector<Expectation> expectations_;
  std::shared_ptr<const Context> context_;
  UniqueFd listener_;
  UniqueFd wake_read_;
  UniqueFd wake_write_;
  UniqueFd done_;  // each loop adds 1 when it ends
  Output output_;  // before workers_: the loops write to it until they are destroyed
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> accepting_{true};
  std::atomic<StopLevel> stop_level_{StopLevel::serving};
  int signals_seen_ = 0;

  std::mutex mutex_;  // guards what follows
  std::uint64_t reserved_ = 0;
  std::uint64_t accepted_ = 0;
  std::uint64_t succeeded_ = 0;
  std::uint64_t failed_ = 0;
  std::uint64_t dropped_ = 0;              // closed by a signal before their handshake completed
  std::uint64_t expectations_failed_ = 0;  // handshake events with an expectation that did not hold
  int exit_code_ = kExitOk;                // the first failure's
  bool internal_failure_ = false;
  StopReason stop_reason_ = StopReason::accept_limit;
};

}  // namespace ussl::apps
