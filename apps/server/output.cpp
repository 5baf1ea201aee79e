#include "server/output.hpp"

#include <unistd.h>

#include <cerrno>

namespace ussl::apps {

void Output::add_line(std::string_view line) {
  {
    const std::lock_guard lock(mutex_);
    if (buffer_.empty()) first_at_ = std::chrono::steady_clock::now();
    buffer_ += line;
    buffer_ += '\n';
    if (buffer_.size() < kFlushAt) return;
  }
  flush();
}

bool Output::empty() const {
  const std::lock_guard lock(mutex_);
  return buffer_.empty();
}

bool Output::due() const {
  const std::lock_guard lock(mutex_);
  return !buffer_.empty() && (buffer_.size() >= kBatchAt || std::chrono::steady_clock::now() - first_at_ >= kBatchFor);
}

void Output::flush() {
  const std::lock_guard writing(write_mutex_);
  {
    const std::lock_guard lock(mutex_);
    if (buffer_.empty()) return;
    writing_.swap(buffer_);
  }
  std::size_t done = 0;
  while (done < writing_.size()) {
    const ssize_t n = ::write(fd_, writing_.data() + done, writing_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // stdout closed: the report is lost, the serving goes on
    done += static_cast<std::size_t>(n);
  }
  writing_.clear();
  if (writing_.capacity() > kFlushAt) std::string().swap(writing_);
}

}  // namespace ussl::apps
