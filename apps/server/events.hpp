// ussl-server's event output: the names of its states as they appear in the
// events, and the batched writer of one loop's report lines. The events
// themselves ("accepted", "handshake", "closed", "stopped", "error") are
// built in events.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace ussl::apps {

// Why a connection closed: the "reason" of its "closed" event.
enum class CloseReason { served, peer_closed, failed, shutdown };
std::string_view close_reason_name(CloseReason reason) noexcept;

// Why the server stopped: the "reason" of its "stopped" event.
enum class StopReason { accept_limit, signal, internal_error };
std::string_view stop_reason_name(StopReason reason) noexcept;

// Report lines of one loop, written to stdout in whole lines with one
// write() per batch of events (a flush per line cost ~4% of the CPU under
// load). The loop writes them before it blocks, so nothing is held back while
// the server is idle; while more events are ready it serves those first, up
// to due(): 16 KiB of lines or lines 20 ms old (Worker::wait_events).
class Output {
 public:
  static constexpr std::size_t kFlushAt = 64 * 1024;         // written at once from this size
  static constexpr std::size_t kBatchAt = 16 * 1024;         // due() from this size ...
  static constexpr std::chrono::milliseconds kBatchFor{20};  // ... or this age

  void add(std::string_view line) {
    if (buffer_.empty()) first_at_ = std::chrono::steady_clock::now();
    buffer_ += line;
    if (buffer_.size() >= kFlushAt) flush();
  }
  bool empty() const noexcept { return buffer_.empty(); }
  // True when the lines should go out now even though the loop is busy.
  bool due() const { return buffer_.size() >= kBatchAt || std::chrono::steady_clock::now() - first_at_ >= kBatchFor; }
  void flush();

 private:
  std::string buffer_;
  std::chrono::steady_clock::time_point first_at_{};
};

// Prints a command line that did not parse as an "error" event (--json).
void print_server_usage_error(const std::string& message);

}  // namespace ussl::apps
