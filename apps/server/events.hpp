// ussl-server's event output: the names of its states as they appear in the
// events, and the batched writer of one loop's report lines. The events
// themselves ("accepted", "handshake", "closed", "stopped", "error") are
// built in events.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

namespace ussl::apps {

// Why a connection closed: the "reason" of its "closed" event.
enum class CloseReason { served, peer_closed, failed, shutdown };
std::string_view close_reason_name(CloseReason reason) noexcept;

// Why the server stopped: the "reason" of its "stopped" event.
enum class StopReason { accept_limit, signal, internal_error };
std::string_view stop_reason_name(StopReason reason) noexcept;

// The server's report lines, written to stdout in whole lines. One Output is
// shared by every loop, so lines leave in the order they were added: a
// connection's "handshake" line is never written after the line of a later
// connection that needed it (a resumption), whichever loop served each. A
// write() per line cost ~4% of the CPU under load, so lines are batched: a
// loop writes them before it blocks, so nothing is held back while the server
// is idle; while more events are ready it serves those first, up to due():
// 16 KiB of lines or lines 20 ms old (Worker::wait_events). Thread-safe.
class Output {
 public:
  static constexpr std::size_t kFlushAt = 64 * 1024;         // written at once from this size
  static constexpr std::size_t kBatchAt = 16 * 1024;         // due() from this size ...
  static constexpr std::chrono::milliseconds kBatchFor{20};  // ... or this age

  void add(std::string_view line);
  bool empty() const;
  // True when the lines should go out now even though the loop is busy.
  bool due() const;
  // Writes every line added so far, in order; batches from different loops
  // never interleave. A closed stdout loses the report; serving goes on.
  void flush();

 private:
  mutable std::mutex mutex_;  // guards buffer_ and first_at_
  std::string buffer_;
  std::chrono::steady_clock::time_point first_at_{};
  std::mutex write_mutex_;  // held while writing_ goes out, so batches leave in the order they were taken
  std::string writing_;
};

// Prints a command line that did not parse as an "error" event (--json).
void print_server_usage_error(const std::string& message);

}  // namespace ussl::apps
