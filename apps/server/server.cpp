#include "server/server.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

#include "common/exit_codes.hpp"
#include "common/expect.hpp"
#include "common/net.hpp"
#include "common/report.hpp"
#include "common/text.hpp"
#include "server/http.hpp"
#include "server/starttls_server.hpp"
#include "ussl/ussl.hpp"

namespace ussl::apps {
namespace {

using std::chrono::milliseconds;

constexpr std::size_t kReadChunk = 16384;
constexpr std::size_t kMaxBuffered = 256 * 1024;  // stop reading while this much waits to be sent
constexpr std::size_t kOutputFlush = 64 * 1024;   // a loop's report lines are written at most this late
constexpr int kAcceptBatch = 32;                  // accepts per wake-up, so the other loops get their share
constexpr int kEventBatch = 256;
constexpr milliseconds kShutdownGrace{2000};
constexpr milliseconds kAcceptPause{100};  // out of descriptors: stop accepting this long
constexpr std::string_view kSourcePattern = "abcdefghijklmnopqrstuvwxyz0123456789\n";
// The pattern repeated to a little over 16 KiB, so any slice of a read chunk
// starting at any phase of the pattern is one contiguous substring.
const std::string kSourceBlock = [] {
  std::string block;
  while (block.size() < 16384 + 2 * kSourcePattern.size()) block += kSourcePattern;
  return block;
}();

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

std::string errno_text(const char* call) { return std::string(call) + ": " + std::strerror(errno); }

enum class Mode { echo, http, discard, source, starttls };

Mode mode_from(const std::string& name) {
  if (name == "http") return Mode::http;
  if (name == "discard") return Mode::discard;
  if (name == "source") return Mode::source;
  return Mode::echo;
}

SniCertificate parse_sni(const std::string& spec) {
  const std::size_t first = spec.find(':');
  const std::size_t last = spec.rfind(':');
  return {spec.substr(0, first), spec.substr(first + 1, last - first - 1), spec.substr(last + 1)};
}

// Report lines of one loop, written to stdout in whole lines with one
// write() per batch of events (a flush per line cost ~4% of the CPU under
// load), and always before the loop waits, so nothing is held back while
// the server is idle.
class Output {
 public:
  void add(std::string_view line) {
    buffer_ += line;
    if (buffer_.size() >= kOutputFlush) flush();
  }
  void flush() {
    if (buffer_.empty()) return;
    static std::mutex mutex;  // whole batches: lines of different loops never interleave
    {
      const std::lock_guard lock(mutex);
      std::size_t done = 0;
      while (done < buffer_.size()) {
        const ssize_t n = ::write(STDOUT_FILENO, buffer_.data() + done, buffer_.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // stdout closed: the report is lost, the serving goes on
        done += static_cast<std::size_t>(n);
      }
    }
    buffer_.clear();
    if (buffer_.capacity() > kOutputFlush) std::string().swap(buffer_);
  }

 private:
  std::string buffer_;
};

enum class TimerList : std::uint8_t { none, handshake, idle, linger };

struct Conn {
  std::uint64_t id = 0;
  int fd = -1;  // the socket's descriptor, cached (SslSocket::fileno() showed up in profiles)
  std::unique_ptr<SslSocket> socket;
  Endpoint peer;
  Clock::time_point accepted;
  Clock::time_point last_activity;
  std::optional<double> handshake_ms;
  bool handshake_done = false;  // cached socket->handshake().done
  bool handshake_reported = false;
  ConnectionRecord facts;  // as of the handshake event; kept only for --mode http
  std::string out;         // bytes the socket has not accepted yet
  HttpParser http;
  std::unique_ptr<StarttlsSession> starttls;  // --starttls: the dialogue, before and inside TLS
  bool plain = false;                         // --starttls: still plaintext (no socket yet)
  bool released = false;                      // descriptor closed, queued for reaping (release)
  std::uint64_t plain_sent = 0;
  std::uint64_t plain_received = 0;
  std::uint64_t source_left = 0;
  std::uint64_t source_offset = 0;
  bool read_stalled = false;  // stopped reading with data possibly buffered
  bool flush_needed = false;  // the socket holds a record it could not send yet
  bool peer_eof = false;      // close_notify received
  bool closing = false;       // close once everything is sent
  bool finished = false;
  bool lingering = false;          // failed and reported; draining the peer's input before the close
  std::size_t linger_drained = 0;  // bytes read and discarded while lingering
  // The loop's bookkeeping.
  std::list<Conn>::iterator self;
  std::uint32_t events = 0;  // what epoll watches for
  bool in_epoll = false;
  bool queued = false;  // on the ready list
  TimerList timer = TimerList::none;
  std::list<Conn*>::iterator timer_pos;
  bool idle_armed = false;  // moved to the idle timer (or none) after its handshake
};

class Worker;

// What the loops share: the configuration, the Context, the listener and the
// tallies. Serves on the loops; the main thread only waits for signals.
class Server {
 public:
  explicit Server(const ServerConfig& config)
      : c_(config),
        mode_(config.starttls.empty() ? mode_from(config.mode) : Mode::starttls),
        expectations_(parse_expectations(config.common.expect)) {}
  ~Server();
  int run();

  const ServerConfig& config() const { return c_; }
  Mode mode() const { return mode_; }
  const std::vector<Expectation>& expectations() const { return expectations_; }
  const std::shared_ptr<const Context>& context() const { return context_; }
  int listener() const { return listener_.get(); }
  bool accepting() const { return accepting_.load(std::memory_order_acquire); }
  int stop_level() const { return stop_level_.load(std::memory_order_acquire); }

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

 private:
  void start();
  void wait_for_loops(std::size_t loops, int done_fd);
  void on_signals();
  void wake_all();
  void emit_stopped();
  int exit_code() const;

  const ServerConfig& c_;
  Mode mode_;
  std::vector<Expectation> expectations_;
  std::shared_ptr<const Context> context_;
  UniqueFd listener_;
  UniqueFd wake_read_;
  UniqueFd wake_write_;
  UniqueFd done_;  // each loop adds 1 when it ends
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> accepting_{true};
  std::atomic<int> stop_level_{0};  // 0 serving, 1 finishing open connections, 2 closing them now
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
  std::string stop_reason_ = "accept_limit";
};

// One event loop: its own epoll set, its connections and their timers.
class Worker {
 public:
  explicit Worker(Server& server);
  void run() noexcept;  // the thread's body
  void wake();          // from any thread: look at the server's state again

 private:
  void loop();
  void observe_server();
  void accept_ready();
  void drop_listener();
  void service(Conn& conn);
  void settle(Conn& conn);
  void drive(Conn& conn);
  bool drive_plain(Conn& conn);
  void read_in(Conn& conn);
  void write_out(Conn& conn);
  void fill_source(Conn& conn);
  void handle_http(Conn& conn);
  void check_handshake(Conn& conn);
  void check_timers(Conn& conn);
  void expire_timers();
  void expire(std::list<Conn*>& timers, TimerList list, Clock::time_point now);
  Clock::time_point deadline(const Conn& conn, TimerList list) const;
  void touch(Conn& conn);
  void set_timer(Conn& conn, TimerList list);
  void fail(Conn& conn, const Error& error);
  void close_conn(Conn& conn, const std::string& reason, const std::optional<ErrorInfo>& error, Phase phase);
  void linger(Conn& conn);
  void drain(Conn& conn);
  void release(Conn& conn);
  void begin_shutdown();
  void reap();
  std::uint32_t interest(const Conn& conn) const;
  Deadline next_deadline() const;
  std::string page(const Conn& conn, const HttpRequest& request) const;
  void emit_handshake(const Conn& conn, const std::optional<ErrorInfo>& error);
  // Every socket is wrapped with do_handshake=False; without --defer-handshake
  // the loop drives do_handshake() at once, which the record reports as eager.
  WrapArgs wrap_args() const {
    WrapArgs args;
    args.do_handshake = false;
    if (!c_.tls.defer_handshake) args.eager_trigger = "do_handshake";
    return args;
  }
  void human(const Conn& conn, const std::string& text);

  Server& server_;
  const ServerConfig& c_;
  Mode mode_;
  UniqueFd epoll_;
  UniqueFd event_;
  Output out_;
  std::list<Conn> conns_;
  std::vector<Conn*> ready_;           // stopped reading for lack of room, room again: service without an event
  std::vector<Conn*> done_;            // finished this round, freed at its end
  std::list<Conn*> handshake_timers_;  // in accept order, so in deadline order
  std::list<Conn*> idle_timers_;       // least recently active first
  std::list<Conn*> linger_timers_;     // in the order they started lingering, so in deadline order
  bool listening_ = false;
  Deadline resume_accept_;  // paused for lack of descriptors until then
  int stop_seen_ = 0;
  Deadline stop_deadline_;
};

// epoll_event.data.ptr of the two descriptors that are not connections.
char g_listener_tag;
char g_wake_tag;

// ---------------------------------------------------------------- Server

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
  if (mode_ == Mode::http && std::find(options.alpn.begin(), options.alpn.end(), "h2") != options.alpn.end())
    spdlog::warn("--mode http speaks HTTP/1.x only: a client that selects h2 (--alpn) gets no answer");
  spdlog::debug("{} event loop(s)", loops);
  if (c_.common.json) {
    print_json_line(Json{{"event", "listening"},
                         {"schema", kSchemaVersion},
                         {"address", listener.local.address},
                         {"port", listener.local.port},
                         {"threads", loops}});
  } else {
    std::printf("listening on %s\n", to_string(listener.local).c_str());
    std::fflush(stdout);
  }
}

int Server::run() {
  try {
    start();
  } catch (const Error& e) {
    spdlog::error("{}", describe(ErrorInfo::from(e)));
    const int code = exit_code_for(e, Phase::setup);
    if (c_.common.json)
      print_json_line(Json{{"event", "error"},
                           {"schema", kSchemaVersion},
                           {"error", error_json(ErrorInfo::from(e))},
                           {"exit_code", code}});
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
    stop_level_ = 2;
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
      if (internal && stop_level() < 2) {  // one loop broke: stop the others now
        stop_level_ = 2;
        stop_accepting();
        wake_all();
      }
    }
  }
}

void Server::on_signals() {
  if (stop_level() == 0) {
    spdlog::info("signal received: no longer accepting; finishing open connections");
    {
      const std::lock_guard lock(mutex_);
      stop_reason_ = "signal";
    }
    stop_level_ = 1;
    stop_accepting();
  } else {
    spdlog::info("second signal: closing every connection now");
    stop_level_ = 2;
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
  stop_reason_ = "internal_error";
}

// With --expect the expectations alone decide (also after a signal);
// otherwise the first failed connection's code with --accept, else 0.
int Server::exit_code() const {
  if (internal_failure_) return kExitInternal;
  if (!expectations_.empty()) return expectations_failed_ > 0 ? kExitExpectation : kExitOk;
  return stop_reason_ == "signal" ? kExitOk : exit_code_;
}

void Server::emit_stopped() {
  const int code = exit_code();
  if (c_.common.json) {
    Json j{
        {"event", "stopped"},
        {"schema", kSchemaVersion},
        {"reason", stop_reason_},
        {"connections", Json{{"accepted", accepted_}, {"ok", succeeded_}, {"failed", failed_}, {"dropped", dropped_}}},
        {"exit_code", code}};
    j["expectations_failed"] = expectations_.empty() ? Json(nullptr) : Json(expectations_failed_);
    print_json_line(j);
    return;
  }
  std::string expect;
  if (!expectations_.empty())
    expect = "; " + std::to_string(expectations_failed_) + " connection(s) failed an expectation";
  std::printf("stopped (%s): %llu connection(s), %llu ok, %llu failed, %llu dropped%s; exit %d\n", stop_reason_.c_str(),
              static_cast<unsigned long long>(accepted_), static_cast<unsigned long long>(succeeded_),
              static_cast<unsigned long long>(failed_), static_cast<unsigned long long>(dropped_), expect.c_str(),
              code);
  std::fflush(stdout);
}

// ---------------------------------------------------------------- Worker

Worker::Worker(Server& server) : server_(server), c_(server.config()), mode_(server.mode()) {
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) throw Error(ErrorKind::internal, errno_text("epoll_create1()"));
  event_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!event_) throw Error(ErrorKind::internal, errno_text("eventfd()"));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &g_wake_tag;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, event_.get(), &ev) != 0)
    throw Error(ErrorKind::internal, errno_text("epoll_ctl()"));
  // EPOLLEXCLUSIVE: a new connection wakes one loop, not all of them.
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  ev.data.ptr = &g_listener_tag;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, server.listener(), &ev) != 0)
    throw Error(ErrorKind::internal, errno_text("epoll_ctl()"));
  listening_ = true;
}

void Worker::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(event_.get(), &one, sizeof one);
}

void Worker::run() noexcept {
  try {
    loop();
  } catch (const std::exception& e) {
    spdlog::critical("internal error in an event loop: {}", e.what());
    server_.loop_failed();
    // The connections are dropped without reports: their sockets close with the loop.
    ready_.clear();
    done_.clear();
    handshake_timers_.clear();
    idle_timers_.clear();
    linger_timers_.clear();
    conns_.clear();
  }
  out_.flush();
}

void Worker::loop() {
  std::array<epoll_event, kEventBatch> events{};
  for (;;) {
    observe_server();
    if (!listening_ && !resume_accept_ && conns_.empty()) return;
    const int timeout = ready_.empty() ? poll_timeout(next_deadline()) : 0;
    if (timeout != 0) out_.flush();
    const int n = ::epoll_wait(epoll_.get(), events.data(), kEventBatch, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorKind::internal, errno_text("epoll_wait()"));
    }
    for (int i = 0; i < n; ++i) {
      void* tag = events[static_cast<std::size_t>(i)].data.ptr;
      if (tag == &g_wake_tag) {
        std::uint64_t count = 0;
        [[maybe_unused]] const ssize_t r = ::read(event_.get(), &count, sizeof count);
      } else if (tag == &g_listener_tag) {
        accept_ready();
      } else {
        Conn& conn = *static_cast<Conn*>(tag);
        if (conn.lingering) {
          drain(conn);
        } else if (!conn.finished) {
          service(conn);
        }
      }
    }
    if (!ready_.empty()) {
      std::vector<Conn*> batch;
      batch.swap(ready_);
      for (Conn* conn : batch) {
        conn->queued = false;
        if (!conn->finished) service(*conn);
      }
    }
    expire_timers();
    if (resume_accept_ && expired(resume_accept_)) {
      resume_accept_.reset();
      if (server_.accepting()) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLEXCLUSIVE;
        ev.data.ptr = &g_listener_tag;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, server_.listener(), &ev) == 0) listening_ = true;
      }
    }
    if (stop_deadline_ && expired(stop_deadline_)) {
      for (auto& conn : conns_) {
        if (conn.lingering) release(conn);
        if (!conn.finished) close_conn(conn, "shutdown", std::nullopt, Phase::data);
      }
    }
    reap();
  }
}

// Acts on what the main thread or another loop changed: the accept limit
// reached, a signal.
void Worker::observe_server() {
  if ((listening_ || resume_accept_) && !server_.accepting()) drop_listener();
  const int level = server_.stop_level();
  if (level == stop_seen_) return;
  if (stop_seen_ == 0) begin_shutdown();
  if (level >= 2) stop_deadline_ = Clock::now();
  stop_seen_ = level;
  reap();
}

void Worker::drop_listener() {
  if (listening_) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, server_.listener(), nullptr);
  listening_ = false;
  resume_accept_.reset();
}

void Worker::accept_ready() {
  for (int i = 0; i < kAcceptBatch; ++i) {
    if (!server_.reserve_accept()) {
      drop_listener();
      return;
    }
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    const int fd =
        ::accept4(server_.listener(), reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      server_.release_accept();
      if (err == EINTR || err == ECONNABORTED) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      if (err == EINVAL) {  // the listener was shut down (accept limit or signal)
        drop_listener();
        return;
      }
      if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
        // Level-triggered: retrying at once would spin. Pause this loop's accepting.
        spdlog::warn("accept(): {}; not accepting for {} ms", std::strerror(err), kAcceptPause.count());
        drop_listener();
        resume_accept_ = Clock::now() + kAcceptPause;
        return;
      }
      spdlog::warn("accept(): {}", std::strerror(err));
      return;
    }
    const std::uint64_t id = server_.commit_accept();
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // small records go out at once
    Conn& conn = conns_.emplace_back();
    conn.self = std::prev(conns_.end());
    conn.id = id;
    conn.fd = fd;
    conn.peer = endpoint_of(reinterpret_cast<const sockaddr*>(&addr));
    conn.accepted = conn.last_activity = Clock::now();
    if (mode_ == Mode::source) conn.source_left = c_.source_bytes;
    if (c_.common.json) {
      out_.add(json_line(Json{{"event", "accepted"},
                              {"schema", kSchemaVersion},
                              {"conn", conn.id},
                              {"peer", Json{{"address", conn.peer.address}, {"port", conn.peer.port}}}}));
    } else {
      human(conn, "accepted from " + to_string(conn.peer));
    }
    if (mode_ == Mode::starttls) {
      // Plaintext first: the socket is wrapped once the dialogue reaches its go-ahead.
      conn.starttls = StarttlsSession::create(c_.starttls, {c_.starttls_refuse, c_.starttls_inject});
      conn.plain = true;
      conn.out = conn.starttls->greeting();
      if (c_.handshake_timeout_ms > 0) set_timer(conn, TimerList::handshake);
      service(conn);
      continue;
    }
    try {
      conn.socket = server_.context()->wrap(std::make_unique<FdTransport>(fd), wrap_args());
    } catch (const Error& e) {
      // wrap() owns the descriptor from the call on and has closed it.
      spdlog::error("[{}] cannot wrap the accepted socket: {}", conn.id, describe(ErrorInfo::from(e)));
      server_.count_wrap_failure();
      conns_.erase(conn.self);
      continue;
    }
    if (c_.handshake_timeout_ms > 0) set_timer(conn, TimerList::handshake);
    service(conn);
  }
}

void Worker::service(Conn& conn) {
  try {
    drive(conn);
    if (!conn.finished) check_timers(conn);
  } catch (const Error& e) {
    // After the client's close_notify, a reset while we still send is the
    // client going away as announced, not a failure.
    const bool gone = e.kind() == ErrorKind::connection_reset || e.kind() == ErrorKind::truncated_eof;
    if (conn.peer_eof && gone) {
      close_conn(conn, "peer_closed", std::nullopt, Phase::data);
    } else {
      fail(conn, e);
    }
  }
  if (!conn.finished) settle(conn);
}

// After a connection ran: what to wait for, which timer, which buffers to give back.
void Worker::settle(Conn& conn) {
  if (conn.handshake_done && !conn.idle_armed) {  // also with --handshake-timeout 0
    conn.idle_armed = true;
    set_timer(conn, c_.idle_timeout_ms > 0 ? TimerList::idle : TimerList::none);
  }
  const std::uint32_t events = interest(conn);
  if (!conn.in_epoll || events != conn.events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = &conn;
    if (::epoll_ctl(epoll_.get(), conn.in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, conn.fd, &ev) != 0) {
      // ENOSPC (max_user_watches) or ENOMEM: this connection cannot be served, the others can.
      fail(conn, Error(ErrorKind::internal, errno_text("epoll_ctl()")));
      return;
    }
    conn.in_epoll = true;
    conn.events = events;
  }
  if (conn.read_stalled && conn.out.size() < kMaxBuffered && !conn.queued) {
    conn.queued = true;
    ready_.push_back(&conn);
  }
  // Waiting on the peer alone: an idle connection keeps no buffers of ours.
  if (events == EPOLLIN && conn.out.empty()) {
    if (conn.out.capacity() > 0) std::string().swap(conn.out);
    conn.http.release_if_empty();
  }
}

// --starttls before TLS: reads the client's commands, sends the answers;
// returns true once the go-ahead is sent and the socket is wrapped (the
// handshake follows as for every connection).
bool Worker::drive_plain(Conn& conn) {
  StarttlsSession& session = *conn.starttls;
  char buffer[4096];
  for (int i = 0; i < 16 && !session.upgrade() && !session.done(); ++i) {
    const ssize_t n = ::recv(conn.fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      conn.plain_received += static_cast<std::uint64_t>(n);
      touch(conn);
      conn.out += session.feed_plain(std::string_view(buffer, static_cast<std::size_t>(n)));
      continue;
    }
    if (n == 0) {
      throw Error(ErrorKind::starttls_failed, std::string("the client closed the connection before STARTTLS") +
                                                  (session.refused() ? " (refused: --starttls-refuse)" : ""));
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    throw Error(errno == ECONNRESET ? ErrorKind::connection_reset : ErrorKind::internal, errno_text("recv()"));
  }
  while (!conn.out.empty()) {
    const ssize_t n = ::send(conn.fd, conn.out.data(), conn.out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      conn.plain_sent += static_cast<std::uint64_t>(n);
      conn.out.erase(0, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    throw Error(ErrorKind::connection_reset, errno_text("send()"));
  }
  if (session.done())
    throw Error(ErrorKind::starttls_failed, std::string("the client quit before STARTTLS") +
                                                (session.refused() ? " (refused: --starttls-refuse)" : ""));
  if (!session.upgrade()) return false;
  conn.plain = false;  // from here the socket owns the descriptor (wrap closes it when it fails)
  conn.socket = server_.context()->wrap(std::make_unique<FdTransport>(conn.fd), wrap_args());
  return true;
}

void Worker::drive(Conn& conn) {
  if (conn.plain && !drive_plain(conn)) return;
  SslSocket& socket = *conn.socket;
  if (!conn.handshake_done && !c_.tls.defer_handshake) {
    if (!socket.do_handshake()) return;
    check_handshake(conn);
  }
  // With a deferred handshake the first read (or, for source, write) runs it.
  if (mode_ == Mode::source) {
    // Read first once the handshake is done: a client that closed early
    // (close_notify) is seen before writing to it fails.
    if (conn.handshake_done) read_in(conn);
    if (conn.peer_eof) conn.source_left = 0;
    fill_source(conn);
    write_out(conn);
    if (conn.handshake_done && !conn.peer_eof) read_in(conn);
  } else {
    read_in(conn);
    if (mode_ == Mode::http) handle_http(conn);
    write_out(conn);
  }
  if (!conn.handshake_done || conn.finished) return;

  const bool sent_all = conn.out.empty() && !conn.flush_needed;
  if (mode_ == Mode::source && conn.source_left == 0 && sent_all) {
    close_conn(conn, "served", std::nullopt, Phase::data);
  } else if (conn.closing && sent_all) {
    close_conn(conn, "served", std::nullopt, Phase::data);
  } else if (conn.peer_eof && sent_all) {
    close_conn(conn, "peer_closed", std::nullopt, Phase::data);
  }
}

void Worker::read_in(Conn& conn) {
  conn.read_stalled = false;
  while (!conn.peer_eof && !conn.closing) {
    if (conn.out.size() >= kMaxBuffered) {
      conn.read_stalled = true;
      return;
    }
    const auto data = conn.socket->read(kReadChunk);
    check_handshake(conn);
    if (!data) return;
    if (data->empty()) {
      conn.peer_eof = true;
      return;
    }
    touch(conn);
    if (mode_ == Mode::echo) conn.out += *data;
    if (mode_ == Mode::http) conn.http.feed(*data);
    if (mode_ == Mode::starttls) {
      conn.out += conn.starttls->feed_tls(*data);
      if (conn.starttls->done()) conn.closing = true;
    }
  }
}

void Worker::write_out(Conn& conn) {
  SslSocket& socket = *conn.socket;
  while (!conn.out.empty()) {
    const auto n = socket.write(conn.out);
    check_handshake(conn);
    if (!n || *n == 0) return;
    conn.out.erase(0, *n);
    touch(conn);
  }
  if (conn.handshake_done) conn.flush_needed = !socket.write(std::string_view{}).has_value();
}

void Worker::fill_source(Conn& conn) {
  while (conn.source_left > 0 && conn.out.size() < kMaxBuffered) {
    // Whole slices of the repeated pattern, not a byte at a time (the byte
    // loop cost two thirds of the server's CPU in a bulk download).
    const std::size_t phase = static_cast<std::size_t>(conn.source_offset % kSourcePattern.size());
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>({conn.source_left, kReadChunk, kSourceBlock.size() - phase}));
    conn.out.append(kSourceBlock, phase, n);
    conn.source_offset += n;
    conn.source_left -= n;
  }
}

void Worker::handle_http(Conn& conn) {
  while (!conn.closing) {
    const auto request = conn.http.next();
    if (!request) {
      if (!conn.http.error().empty()) {
        conn.out += http_response(400, "Bad Request", conn.http.error() + "\n", false, false);
        conn.closing = true;
      }
      return;
    }
    spdlog::debug("[{}] {} {} {}", conn.id, request->method, request->target, request->version);
    conn.out += http_response(200, "OK", page(conn, *request), request->keep_alive, request->method == "HEAD");
    if (!request->keep_alive) conn.closing = true;
  }
}

std::string Worker::page(const Conn& conn, const HttpRequest& request) const {
  const ConnectionRecord& f = conn.facts;
  std::string body = "ussl-server: connection " + std::to_string(conn.id) + " from " + to_string(conn.peer) + "\n";
  body += "request: " + escape_text(request.method + " " + request.target + " " + request.version) + "\n";
  body += "tls_version: " + f.version.value_or("none") + "\n";
  body += "cipher: " + f.cipher.value_or("none") + "\n";
  body += "sni: " + escape_text(f.sni.value_or("none")) + "\n";
  body += "alpn: " + f.alpn.value_or("none") + "\n";
  body += std::string("resumed: ") + (f.resumed ? "true" : "false") + "\n";
  if (f.peer_chain.empty()) {
    body += "client_certificate: none\n";
  } else {
    body += "client_certificate: " + escape_text(f.peer_chain.front().subject) + "\n";
    body += "client_certificate_issuer: " + escape_text(f.peer_chain.front().issuer) + "\n";
    body += "client_certificate_sha256: " + f.peer_chain.front().sha256 + "\n";
  }
  body += "verify_mode: " + std::string(cert_reqs_name(f.verify.mode)) + "\n";
  body += "verify_result: " + verify_result_name(f.verify).value_or("none") + "\n";
  body += std::string("verified: ") + (f.verify.verified() ? "true" : "false") + "\n";
  body += "verify: " + escape_text(verify_summary(f.verify, true)) + "\n";
  return body;
}

void Worker::check_handshake(Conn& conn) {
  if (conn.handshake_reported) return;
  if (!conn.socket->handshake().done) return;
  conn.handshake_done = true;
  conn.handshake_ms = elapsed_ms(conn.accepted);
  conn.last_activity = Clock::now();
  conn.facts = conn.socket->record();
  conn.handshake_reported = true;
  emit_handshake(conn, std::nullopt);
  if (mode_ != Mode::http) conn.facts = ConnectionRecord{};  // only the http page shows them later
}

void Worker::check_timers(Conn& conn) {
  const auto now = Clock::now();
  if (!conn.handshake_done) {
    if (c_.handshake_timeout_ms > 0 && now >= deadline(conn, TimerList::handshake))
      fail(conn, Error(ErrorKind::timeout, "no TLS handshake within " + std::to_string(c_.handshake_timeout_ms) +
                                               " ms (--handshake-timeout)"));
    return;
  }
  if (c_.idle_timeout_ms > 0 && now >= deadline(conn, TimerList::idle))
    fail(conn, Error(ErrorKind::timeout, "no data for " + std::to_string(c_.idle_timeout_ms) + " ms (--idle-timeout)"));
}

// The timer lists stay sorted by deadline without a heap: every connection
// has the same timeout, so accept order is handshake-deadline order, and an
// active connection moves to the back of the idle list.
void Worker::set_timer(Conn& conn, TimerList list) {
  if (conn.timer == TimerList::handshake) handshake_timers_.erase(conn.timer_pos);
  if (conn.timer == TimerList::idle) idle_timers_.erase(conn.timer_pos);
  if (conn.timer == TimerList::linger) linger_timers_.erase(conn.timer_pos);
  conn.timer = list;
  if (list == TimerList::handshake) conn.timer_pos = handshake_timers_.insert(handshake_timers_.end(), &conn);
  if (list == TimerList::idle) conn.timer_pos = idle_timers_.insert(idle_timers_.end(), &conn);
  if (list == TimerList::linger) conn.timer_pos = linger_timers_.insert(linger_timers_.end(), &conn);
}

void Worker::touch(Conn& conn) {
  conn.last_activity = Clock::now();
  if (conn.timer == TimerList::idle) idle_timers_.splice(idle_timers_.end(), idle_timers_, conn.timer_pos);
}

// When the connection's timer on that list fires.
Clock::time_point Worker::deadline(const Conn& conn, TimerList list) const {
  if (list == TimerList::linger) return conn.last_activity + kLinger;  // set when the lingering began
  return list == TimerList::handshake ? conn.accepted + milliseconds(c_.handshake_timeout_ms)
                                      : conn.last_activity + milliseconds(c_.idle_timeout_ms);
}

void Worker::expire_timers() {
  if (handshake_timers_.empty() && idle_timers_.empty() && linger_timers_.empty()) return;
  const auto now = Clock::now();
  expire(handshake_timers_, TimerList::handshake, now);
  expire(idle_timers_, TimerList::idle, now);
  expire(linger_timers_, TimerList::linger, now);
}

// Services the connections whose deadline on this list passed. Each pass
// ends the front connection's timer: check_timers() fails it, or it moved
// data and went to the back (idle) or to the idle list (handshake done).
void Worker::expire(std::list<Conn*>& timers, TimerList list, Clock::time_point now) {
  for (std::size_t guard = conns_.size() + 1; guard > 0 && !timers.empty(); --guard) {
    Conn& conn = *timers.front();
    if (deadline(conn, list) > now) break;
    if (conn.lingering) {
      drain(conn);
    } else {
      service(conn);
    }
    // Still first and still expired (never expected): stop watching it rather than loop.
    if (!timers.empty() && timers.front() == &conn && deadline(conn, list) <= now) set_timer(conn, TimerList::none);
  }
}

Deadline Worker::next_deadline() const {
  Deadline wake = stop_deadline_;
  const auto earlier = [&wake](Clock::time_point t) {
    if (!wake || t < *wake) wake = t;
  };
  if (!handshake_timers_.empty()) earlier(deadline(*handshake_timers_.front(), TimerList::handshake));
  if (!idle_timers_.empty()) earlier(deadline(*idle_timers_.front(), TimerList::idle));
  if (!linger_timers_.empty()) earlier(deadline(*linger_timers_.front(), TimerList::linger));
  if (resume_accept_) earlier(*resume_accept_);
  return wake;
}

std::uint32_t Worker::interest(const Conn& conn) const {
  if (conn.plain) return EPOLLIN | (conn.out.empty() ? 0U : static_cast<std::uint32_t>(EPOLLOUT));
  if (!conn.socket) return EPOLLIN;  // wrapping failed: the connection is being closed
  const SslSocket& socket = *conn.socket;
  if (!conn.handshake_done) {
    if (socket.want() == Want::write) return EPOLLOUT;
    // A deferred source handshake starts with a write; before that, wait to read.
    return EPOLLIN;
  }
  std::uint32_t events = 0;
  if (!conn.peer_eof && !conn.closing && conn.out.size() < kMaxBuffered) events |= EPOLLIN;
  // Source mode refills its buffer only when it may write: ask for EPOLLOUT while bytes remain to be sent.
  if (!conn.out.empty() || conn.source_left > 0 || conn.flush_needed || socket.want() == Want::write)
    events |= EPOLLOUT;
  return events;
}

void Worker::fail(Conn& conn, const Error& error) {
  // From the socket: a deferred handshake can complete inside a read that then fails.
  const Phase phase = conn.socket && conn.socket->handshake().done ? Phase::data : Phase::handshake;
  const ErrorInfo info = ErrorInfo::from(error);
  if (!conn.handshake_reported) {
    ConnectionRecord before_wrap;  // a STARTTLS connection that never reached TLS
    before_wrap.handshake.deferred = c_.tls.defer_handshake;
    conn.facts = record_of(conn.socket.get(), &error, before_wrap);
    conn.handshake_ms = elapsed_ms(conn.accepted);
    conn.handshake_reported = true;
    emit_handshake(conn, info);
  }
  close_conn(conn, "failed", info, phase);
}

void Worker::close_conn(Conn& conn, const std::string& reason, const std::optional<ErrorInfo>& error, Phase phase) {
  const std::uint64_t sent = conn.socket ? conn.socket->bytes_written() : conn.plain_sent;
  const std::uint64_t received = conn.socket ? conn.socket->bytes_read() : conn.plain_received;
  conn.finished = true;
  // A failure may have sent an alert the client has not read yet: linger,
  // unless the client is gone already, the failure is our timeout (closed
  // with close_notify, no alert) or the second signal closes everything.
  const bool no_alert = error && (error->kind == ErrorKind::connection_reset ||
                                  error->kind == ErrorKind::truncated_eof || error->kind == ErrorKind::timeout);
  if (conn.socket && error && !no_alert && stop_seen_ < 2) {
    linger(conn);
  } else {
    release(conn);
  }
  const int code = error ? exit_code_for(error->kind, phase, error->alert) : kExitOk;
  server_.count_close(error, code, !error && reason == "shutdown" && phase == Phase::handshake);
  const double total = elapsed_ms(conn.accepted);
  if (c_.common.json) {
    Json j{{"event", "closed"}, {"schema", kSchemaVersion}, {"conn", conn.id}};
    j["ok"] = !error.has_value();
    j["error"] = error_json(error);
    j["reason"] = reason;
    j["exit_code"] = code;
    j["bytes"] = Json{{"sent", sent}, {"received", received}};
    j["timing_ms"] = Json{{"total", ms_or_null(total)}};
    if (conn.starttls) j["starttls"] = conn.starttls->json();
    out_.add(json_line(j));
  } else {
    std::string text = "closed (" + reason + "): received " + std::to_string(received) + ", sent " +
                       std::to_string(sent) + " bytes, " + format_ms(total);
    if (error) text += "; FAILED (exit " + std::to_string(code) + ") " + describe(*error);
    human(conn, text);
    if (conn.starttls) {
      const Json s = conn.starttls->json();
      for (const auto& line : s["dialogue"]) human(conn, "tls " + line.get<std::string>());
    }
  }
  if (error) spdlog::warn("[{}] {}", conn.id, describe(*error));
}

// Lingering close (see kLinger in common/net.hpp): the write side is shut
// (the alert, then FIN) and the client's input is read and discarded until it
// closes, kLingerBytes were read or kLinger passed; then the socket closes.
// tlsfuzzer's certificate_required cases lost the alert to a reset without it.
// The loop never blocks on it: the connection waits in epoll with its own timer.
void Worker::linger(Conn& conn) {
  ::shutdown(conn.fd, SHUT_WR);
  conn.lingering = true;
  conn.last_activity = Clock::now();
  set_timer(conn, TimerList::linger);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.ptr = &conn;
  if (::epoll_ctl(epoll_.get(), conn.in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, conn.fd, &ev) != 0) {
    release(conn);
    return;
  }
  conn.in_epoll = true;
  conn.events = ev.events;
  drain(conn);
}

void Worker::drain(Conn& conn) {
  std::array<char, kReadChunk> sink{};
  for (;;) {
    if (conn.linger_drained >= kLingerBytes || Clock::now() >= deadline(conn, TimerList::linger)) break;
    const ssize_t n = ::recv(conn.fd, sink.data(), sink.size(), 0);
    if (n > 0) {
      conn.linger_drained += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // wait for more, or the timer
    break;                                                           // EOF or an error: the client is done
  }
  release(conn);
}

// Closes the socket (which takes its descriptor out of the epoll set) and
// frees the connection at the end of this round.
// Closes the connection's descriptor (the socket's close also takes it out
// of the epoll set) and queues it for reaping, once: a lingering connection
// comes here again from its timer or its drain.
void Worker::release(Conn& conn) {
  if (conn.released) return;
  conn.released = true;
  if (conn.socket) {
    conn.socket->close();
  } else if (conn.plain) {
    ::close(conn.fd);  // --starttls before the upgrade: no socket owns it yet
  }
  conn.lingering = false;
  set_timer(conn, TimerList::none);
  done_.push_back(&conn);
}

void Worker::reap() {
  for (Conn* conn : done_) {
    if (conn->queued) std::erase(ready_, conn);
    conns_.erase(conn->self);
  }
  done_.clear();
}

void Worker::emit_handshake(const Conn& conn, const std::optional<ErrorInfo>& error) {
  const ConnectionRecord& f = conn.facts;
  const Phase phase = f.handshake.done ? Phase::data : Phase::handshake;
  const int code = error ? exit_code_for(error->kind, phase, error->alert) : kExitOk;
  Json j{{"event", "handshake"}, {"schema", kSchemaVersion}, {"conn", conn.id}};
  Timing timing;
  timing.handshake = conn.handshake_ms;
  timing.total = elapsed_ms(conn.accepted);
  add_connection_fields(j, f, error, timing, false);
  j["exit_code"] = code;
  j["peer"] = Json{{"address", conn.peer.address}, {"port", conn.peer.port}};
  j["client_hello"] = client_hello_json(f.negotiation.client_hello);
  std::vector<ExpectationResult> results;
  const auto& expectations = server_.expectations();
  if (!expectations.empty()) {
    results = evaluate(expectations, j);
    const bool held = all_hold(results);
    server_.count_expectations(held);
    if (!held) {
      for (const auto& r : results) {
        if (!r.ok) spdlog::error("[{}] expectation failed: {}", conn.id, describe(r).substr(8));
      }
    }
  }
  j["expectations"] = expectations_json(results);
  if (conn.starttls) j["starttls"] = conn.starttls->json();
  if (c_.common.json) {
    out_.add(json_line(j));
    return;
  }
  if (conn.starttls) {
    const Json s = conn.starttls->json();
    human(conn, "starttls " + conn.starttls->protocol() + ": " + s["result"].get<std::string>() +
                    (s["injected"].get<bool>() ? ", plaintext injected after the go-ahead (--starttls-inject)" : ""));
    for (const auto& line : s["plaintext"]) human(conn, "plain " + line.get<std::string>());
  }
  if (error) {
    human(conn, "handshake FAILED (exit " + std::to_string(exit_code_for(error->kind, Phase::handshake, error->alert)) +
                    ") " + describe(*error));
  } else {
    std::string text = "handshake ok: " + f.version.value_or("?") + " " + f.cipher.value_or("?");
    text += ", sni " + f.sni.value_or("none");
    if (!c_.tls.alpn.empty()) text += ", alpn " + f.alpn.value_or("none");
    text += f.resumed ? ", resumed" : ", new session";
    text += ", " + f.negotiation.group.value_or("no group");
    if (f.negotiation.hello_retry_request) text += " after HelloRetryRequest";
    text += ", trigger " + f.handshake.trigger + ", " + format_ms(conn.handshake_ms.value_or(0));
    text += ", would-block steps: read " + std::to_string(f.handshake.want_read) + ", write " +
            std::to_string(f.handshake.want_write);
    human(conn, text);
  }
  if (!f.peer_chain.empty()) {
    human(conn, "client certificate: " + f.peer_chain.front().subject + " (issuer " + f.peer_chain.front().issuer +
                    ", sha256 " + f.peer_chain.front().sha256 + ")");
  } else {
    human(conn, "client certificate: none");
  }
  human(conn, "verify: " + verify_summary(f.verify, true));
  if (const auto& hello = f.negotiation.client_hello) {
    std::vector<std::string> shares;
    for (const auto g : hello->key_shares) shares.push_back(group_name(g));
    human(conn, "client hello: " + std::to_string(hello->size) + " bytes, sni " + hello->sni.value_or("none") +
                    ", key shares " + (shares.empty() ? std::string("none") : join(shares, ",")) + ", ja4 " +
                    ja4(*hello));
  }
  for (const auto& r : results) human(conn, "expect " + describe(r));
}

void Worker::begin_shutdown() {
  drop_listener();
  stop_deadline_ = Clock::now() + kShutdownGrace;
  for (auto& conn : conns_) {
    if (conn.finished) continue;
    if (!conn.handshake_done) {
      close_conn(conn, "shutdown", std::nullopt, Phase::handshake);
    } else {
      conn.closing = true;
      conn.source_left = 0;
      service(conn);
    }
  }
}

void Worker::human(const Conn& conn, const std::string& text) {
  if (c_.common.json) return;
  // The text quotes the client (SNI, certificate names, error texts): escaped.
  out_.add("[" + std::to_string(conn.id) + "] " + escape_text(text) + "\n");
}

}  // namespace

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

std::string check_sni_spec(const std::string& spec) {
  const std::size_t first = spec.find(':');
  const std::size_t last = spec.rfind(':');
  if (first == std::string::npos || first == last) return "expected NAME:CERTFILE:KEYFILE, got '" + spec + "'";
  if (first == 0 || last == first + 1 || last + 1 == spec.size())
    return "NAME, CERTFILE and KEYFILE must not be empty in '" + spec + "'";
  try {
    normalize_server_name(spec.substr(0, first));  // a U-label must have an A-label
  } catch (const Error& e) {
    return e.message();
  }
  return {};
}

void print_server_usage_error(const std::string& message) {
  print_json_line(Json{{"event", "error"},
                       {"schema", kSchemaVersion},
                       {"error", error_json(ErrorInfo{ErrorKind::usage, message})},
                       {"exit_code", kExitUsage}});
}

}  // namespace ussl::apps
