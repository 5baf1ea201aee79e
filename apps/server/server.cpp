// The ussl-server process: starts the event loops (worker.cpp), handles
// SIGINT/SIGTERM on the main thread, keeps the tallies and decides the exit
// code. The loops start with the signals blocked, so the handler runs here.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <thread>

#include "common/exit_codes.hpp"
#include "server/process.hpp"

namespace ussl::apps {
namespace {

// Written by the signal handler (which runs on the main thread only: the
// loops block SIGINT and SIGTERM), read by the main thread.
volatile std::sig_atomic_t g_signals = 0;
int g_wake_fd = -1;

extern "C" void on_signal(int) {
  g_signals = g_signals + 1;
  if (g_wake_fd >= 0) {
    const char byte = 1;
    [[maybe_unused]] const ssize_t n = ::write(g_wake_fd, &byte, 1);
  }
}

}  // namespace

Server::~Server() { g_wake_fd = -1; }

void Server::start() {
  // An --expect path no handshake event can have is a usage error, before listening.
  Json shape{{"event", "handshake"}, {"schema", kSchemaVersion}, {"conn", 1}};
  add_example_connection_fields(shape);
  shape.update(Json{{"exit_code", 0},
                    {"peer", Json{{"address", ""}, {"port", 0}}},
                    {"client_hello", client_hello_json(ClientHello{})},
                    {"expectations", Json::array()}});
  for (const char* list :
       {"versions", "cipher_suites", "groups", "key_shares", "signature_schemes", "alpn", "extensions"})
    shape["client_hello"][list] = Json::array({""});
  if (const std::string error = check_paths(expectations_, shape); !error.empty()) throw Error(ErrorKind::usage, error);
  Options options = options_from(c_.tls, /*server=*/true);
  for (const auto& spec : c_.sni) options.sni_certificates.push_back(parse_sni(spec));
  context_ = Context::create(options);
  for (const auto& w : context_->warnings()) spdlog::warn("{}", w);
  raise_fd_limit();
  Listener listener = listen_tcp(c_.bind, static_cast<std::uint16_t>(c_.port));
  listener_ = std::move(listener.fd);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0) throw Error(ErrorKind::internal, errno_text("pipe2()"));
  wake_read_.reset(pipe_fds[0]);
  wake_write_.reset(pipe_fds[1]);
  g_wake_fd = wake_write_.get();
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  // Every descriptor the server keeps exists before "listening" is printed.
  done_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!done_) throw Error(ErrorKind::internal, errno_text("eventfd()"));
  const int loops = c_.threads > 0 ? c_.threads : usable_cores();
  for (int i = 0; i < loops; ++i) workers_.push_back(std::make_unique<Worker>(*this));

  if (options.cert_reqs == CertReqs::none) spdlog::info("not requesting client certificates (--cert-reqs none)");
  if (mode_ == ServeMode::http && std::find(options.alpn.begin(), options.alpn.end(), "h2") != options.alpn.end())
    spdlog::warn("--mode http speaks HTTP/1.x only: a client that selects h2 (--alpn) gets no answer");
  spdlog::debug("{} event loop(s)", loops);
  emit_listening(listener.local, loops);
}

int Server::run() {
  try {
    start();
  } catch (const Error& e) {
    spdlog::error("{}", describe(ErrorInfo::from(e)));
    const int code = exit_code_for(e, Phase::setup);
    emit_start_error(e, code);
    return code;
  }

  // Signals go to this thread only: the loops start with them blocked.
  sigset_t block, previous;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &block, &previous);
  std::vector<std::thread> threads;
  try {
    for (auto& worker : workers_) {
      Worker* w = worker.get();
      const int done_fd = done_.get();
      threads.emplace_back([w, done_fd] {
        w->run();
        const std::uint64_t one = 1;
        [[maybe_unused]] const ssize_t n = ::write(done_fd, &one, sizeof one);
      });
    }
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    wait_for_loops(threads.size(), done_.get());
  } catch (const std::exception& e) {  // a thread that could not start (process limit), poll() failing
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    spdlog::critical("internal error: {}", e.what());
    loop_failed();
    stop_level_ = StopLevel::closing;
    stop_accepting();
    wake_all();
  }
  for (auto& thread : threads) thread.join();
  listener_.reset();
  emit_stopped();
  return exit_code();
}

void Server::wait_for_loops(std::size_t loops, int done_fd) {
  std::size_t running = loops;
  while (running > 0) {
    if (g_signals != signals_seen_) {
      signals_seen_ = g_signals;
      on_signals();
    }
    pollfd fds[2] = {{wake_read_.get(), POLLIN, 0}, {done_fd, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) throw Error(ErrorKind::internal, errno_text("poll()"));
    if (fds[0].revents != 0) {
      char buf[64];
      while (::read(wake_read_.get(), buf, sizeof buf) > 0) {
      }
    }
    std::uint64_t finished = 0;
    if (fds[1].revents != 0 && ::read(done_fd, &finished, sizeof finished) == sizeof finished) {
      running -= std::min<std::uint64_t>(finished, running);
      bool internal = false;
      {
        const std::lock_guard lock(mutex_);
        internal = internal_failure_;
      }
      if (internal && stop_level() < StopLevel::closing) {  // one loop broke: stop the others now
        stop_level_ = StopLevel::closing;
        stop_accepting();
        wake_all();
      }
    }
  }
}

void Server::on_signals() {
  if (stop_level() == StopLevel::serving) {
    spdlog::info("signal received: no longer accepting; finishing open connections");
    {
      const std::lock_guard lock(mutex_);
      stop_reason_ = StopReason::signal;
    }
    stop_level_ = StopLevel::finishing;
    stop_accepting();
  } else {
    spdlog::info("second signal: closing every connection now");
    stop_level_ = StopLevel::closing;
  }
  wake_all();
}

void Server::wake_all() {
  for (auto& worker : workers_) worker->wake();
}

void Server::stop_accepting() {
  bool expected = true;
  if (!accepting_.compare_exchange_strong(expected, false)) return;
  // Pending and later connections are refused from here on; the descriptor
  // stays open (the loops may still hold it in their epoll sets) until the
  // loops are gone.
  ::shutdown(listener_.get(), SHUT_RD);
  wake_all();
}

bool Server::reserve_accept() {
  const std::lock_guard lock(mutex_);
  if (!accepting()) return false;
  if (c_.accept > 0 && reserved_ >= static_cast<std::uint64_t>(c_.accept)) return false;
  ++reserved_;
  return true;
}

void Server::release_accept() {
  const std::lock_guard lock(mutex_);
  --reserved_;
}

std::uint64_t Server::commit_accept() {
  std::uint64_t id = 0;
  bool last = false;
  {
    const std::lock_guard lock(mutex_);
    id = ++accepted_;
    last = c_.accept > 0 && accepted_ >= static_cast<std::uint64_t>(c_.accept);
  }
  if (last) stop_accepting();
  return id;
}

void Server::count_wrap_failure() {
  const std::lock_guard lock(mutex_);
  ++failed_;
  if (exit_code_ == kExitOk) exit_code_ = kExitInternal;
}

void Server::count_close(const std::optional<ErrorInfo>& error, int code, bool dropped) {
  const std::lock_guard lock(mutex_);
  if (error) {
    ++failed_;
    if (exit_code_ == kExitOk) exit_code_ = code;
  } else if (dropped) {
    ++dropped_;
  } else {
    ++succeeded_;
  }
}

void Server::count_expectations(bool held) {
  if (held) return;
  const std::lock_guard lock(mutex_);
  ++expectations_failed_;
}

void Server::loop_failed() {
  const std::lock_guard lock(mutex_);
  internal_failure_ = true;
  stop_reason_ = StopReason::internal_error;
}

// With --expect the expectations alone decide (also after a signal);
// otherwise the first failed connection's code with --accept, else 0.
int Server::exit_code() const {
  if (internal_failure_) return kExitInternal;
  if (!expectations_.empty()) return expectations_failed_ > 0 ? kExitExpectation : kExitOk;
  return stop_reason_ == StopReason::signal ? kExitOk : exit_code_;
}

int usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
}

int run_server(const ServerConfig& config) {
  try {
    return Server(config).run();
  } catch (const std::exception& e) {
    spdlog::critical("internal error: {}", e.what());
    return kExitInternal;
  }
}

}  // namespace ussl::apps
