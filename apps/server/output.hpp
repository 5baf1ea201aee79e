// The batched, thread-safe writer of ussl-server's report lines.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

namespace ussl::apps {

// The server's report lines, written to stdout in whole lines. One Output is
// shared by every loop, so lines leave in the order they were added, whichever
// loop served each connection (lines of different connections can still
// cross: a TLS 1.3 ticket leaves inside wolfSSL_accept, before the loop adds
// the "handshake" line, so a resumption on another loop may be added first). A
// write() per line cost ~4% of the CPU under load, so lines are batched: a
// loop writes them before it blocks, so nothing is held back while the server
// is idle; while more events are ready it serves those first, up to due():
// 16 KiB of lines or lines 20 ms old (Worker::wait_events). Thread-safe.
class Output {
 public:
  // Writes to `fd` (stdout unless a test gives another); the fd is not owned.
  explicit Output(int fd = 1) : fd_(fd) {}

  static constexpr std::size_t kFlushAt = 64 * 1024;         // written at once from this size
  static constexpr std::size_t kBatchAt = 16 * 1024;         // due() from this size ...
  static constexpr std::chrono::milliseconds kBatchFor{20};  // ... or this age

  // Adds one line (without its newline: added here, under the same lock as
  // the line, so lines of different loops never run into each other).
  void add_line(std::string_view line);
  bool empty() const;
  // True when lines wait that should go out now even though the loop is busy.
  bool due() const;
  // Writes every line added so far, in order; batches from different loops
  // never interleave. A closed stdout loses the report; serving goes on.
  void flush();

 private:
  const int fd_;
  mutable std::mutex mutex_;  // guards buffer_ and first_at_
  std::string buffer_;
  std::chrono::steady_clock::time_point first_at_{};
  std::mutex write_mutex_;  // held while writing_ goes out, so batches leave in the order they were taken
  std::string writing_;
};

}  // namespace ussl::apps
