// ussl-server's event output: the names of its states as they appear in the
// events, and the batched writer of one loop's report lines. The events
// themselves ("accepted", "handshake", "closed", "stopped", "error") are
// built in events.cpp.
#pragma once

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
// load), and always before the loop waits, so nothing is held back while
// the server is idle.
class Output {
 public:
  static constexpr std::size_t kFlushAt = 64 * 1024;  // a loop's report lines are written at most this late

  void add(std::string_view line) {
    buffer_ += line;
    if (buffer_.size() >= kFlushAt) flush();
  }
  void flush();

 private:
  std::string buffer_;
};

// Prints a command line that did not parse as an "error" event (--json).
void print_server_usage_error(const std::string& message);

}  // namespace ussl::apps
