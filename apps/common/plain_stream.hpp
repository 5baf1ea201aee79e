// Plaintext before TLS (a proxy's answer, a STARTTLS dialogue) on a
// connected non-blocking socket: every read and write is bounded by a step
// timeout and the run's deadline, and every read by a size limit.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "common/net.hpp"
#include "ussl/error.hpp"

namespace ussl::apps {

class PlainStream {
 public:
  // failure: the kind thrown when the peer closes, stalls or sends too much
  // (proxy_failed, starttls_failed); `who` names the peer in messages.
  PlainStream(int fd, Deadline deadline, std::chrono::milliseconds step_timeout, ErrorKind failure, std::string who);

  void set_failure(ErrorKind failure, std::string who);

  void write(std::string_view data);
  // One line without its "\r\n" or "\n"; a line longer than max_line fails.
  std::string read_line(std::size_t max_line = 4096);
  // Exactly n bytes.
  std::string read_exact(std::size_t n);
  // Everything up to and including the first occurrence of marker.
  std::string read_until(std::string_view marker, std::size_t max);

  // Bytes the peer sent that were read but not consumed.
  std::size_t buffered() const noexcept { return buffer_.size(); }
  // True when the peer sent bytes not consumed yet (read ahead, or waiting
  // in the socket now); never blocks.
  bool more_pending();
  // Everything sent and received so far (for the size limit of a dialogue).
  std::size_t total_received() const noexcept { return total_; }

  [[noreturn]] void fail(const std::string& message) const;

 private:
  void fill(std::size_t max_total);
  int fd_;
  Deadline deadline_;
  std::chrono::milliseconds step_timeout_;
  ErrorKind failure_;
  std::string who_;
  std::string buffer_;
  std::size_t total_ = 0;
};

// At most this many bytes in one plaintext dialogue.
inline constexpr std::size_t kPlainDialogueLimit = 64 * 1024;

}  // namespace ussl::apps
