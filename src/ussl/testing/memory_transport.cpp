#include "ussl/testing/memory_transport.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>

namespace ussl {

struct MemoryTransport::Shared {
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::byte> queue[2];  // queue[i]: bytes waiting for side i
  bool closed[2] = {false, false};
  bool reset = false;
  std::size_t capacity[2] = {0, 0};  // max bytes queued for side i (0: unlimited)
  std::size_t sent[2] = {0, 0};
};

std::pair<std::unique_ptr<MemoryTransport>, std::unique_ptr<MemoryTransport>> make_memory_pipe() {
  auto shared = std::make_shared<MemoryTransport::Shared>();
  return {std::make_unique<MemoryTransport>(shared, 0), std::make_unique<MemoryTransport>(shared, 1)};
}

MemoryTransport::MemoryTransport(std::shared_ptr<Shared> shared, int side) : shared_(std::move(shared)), side_(side) {}

MemoryTransport::~MemoryTransport() { close(); }

void MemoryTransport::close() noexcept {
  std::lock_guard lock(shared_->mutex);
  shared_->closed[side_] = true;
  shared_->changed.notify_all();
}

bool MemoryTransport::closed() const noexcept {
  std::lock_guard lock(shared_->mutex);
  return shared_->closed[side_];
}

void MemoryTransport::reset() noexcept {
  std::lock_guard lock(shared_->mutex);
  shared_->reset = true;
  shared_->closed[side_] = true;
  shared_->changed.notify_all();
}

void MemoryTransport::set_send_capacity(std::size_t bytes) {
  std::lock_guard lock(shared_->mutex);
  shared_->capacity[1 - side_] = bytes;
}

std::size_t MemoryTransport::bytes_sent() const noexcept {
  std::lock_guard lock(shared_->mutex);
  return shared_->sent[side_];
}

short MemoryTransport::wait(short events, std::chrono::milliseconds timeout) {
  std::unique_lock lock(shared_->mutex);
  const int peer = 1 - side_;
  auto ready = [&]() -> short {
    if (shared_->closed[side_]) return POLLNVAL;
    if (shared_->reset) return static_cast<short>(events | POLLERR);
    short r = 0;
    if ((events & POLLIN) && (!shared_->queue[side_].empty() || shared_->closed[peer])) r |= POLLIN;
    if ((events & POLLOUT) && (shared_->closed[peer] || shared_->capacity[peer] == 0 ||
                               shared_->queue[peer].size() < shared_->capacity[peer]))
      r |= POLLOUT;
    return r;
  };
  if (timeout.count() < 0) {
    shared_->changed.wait(lock, [&] { return ready() != 0; });
  } else {
    shared_->changed.wait_for(lock, timeout, [&] { return ready() != 0; });
  }
  return ready();
}

IoResult MemoryTransport::recv(std::span<std::byte> buffer) {
  std::unique_lock lock(shared_->mutex);
  auto& queue = shared_->queue[side_];
  const int peer = 1 - side_;
  auto ready = [&] { return shared_->reset || !queue.empty() || shared_->closed[peer] || shared_->closed[side_]; };
  if (!ready()) {
    if (!blocking_) return IoResult::would_block();
    if (timeout_) {
      if (!shared_->changed.wait_for(lock, *timeout_, ready)) return {IoResult::Status::timeout, 0, ETIMEDOUT};
    } else {
      shared_->changed.wait(lock, ready);
    }
  }
  if (shared_->closed[side_]) return {IoResult::Status::error, 0, EBADF};
  if (shared_->reset) return {IoResult::Status::reset, 0, ECONNRESET};
  if (queue.empty()) return IoResult::eof();
  const std::size_t n = std::min(buffer.size(), queue.size());
  std::copy_n(queue.begin(), n, buffer.begin());
  queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
  shared_->changed.notify_all();
  return IoResult::ok(n);
}

IoResult MemoryTransport::send(std::span<const std::byte> data) {
  std::unique_lock lock(shared_->mutex);
  const int peer = 1 - side_;
  auto& queue = shared_->queue[peer];
  auto room = [&]() -> std::size_t {
    const std::size_t cap = shared_->capacity[peer];
    if (cap == 0) return data.size();
    return queue.size() >= cap ? 0 : cap - queue.size();
  };
  auto ready = [&] { return shared_->reset || shared_->closed[peer] || shared_->closed[side_] || room() > 0; };
  if (!ready()) {
    if (!blocking_) return IoResult::would_block();
    if (timeout_) {
      if (!shared_->changed.wait_for(lock, *timeout_, ready)) return {IoResult::Status::timeout, 0, ETIMEDOUT};
    } else {
      shared_->changed.wait(lock, ready);
    }
  }
  if (shared_->closed[side_]) return {IoResult::Status::error, 0, EBADF};
  if (shared_->reset) return {IoResult::Status::reset, 0, EPIPE};
  if (shared_->closed[peer]) return IoResult::ok(data.size());  // like TCP: accepted, then lost
  const std::size_t n = std::min(data.size(), room());
  queue.insert(queue.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
  shared_->sent[side_] += n;
  shared_->changed.notify_all();
  return IoResult::ok(n);
}

}  // namespace ussl
