#include "server/server.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>

#include "common/exit_codes.hpp"
#include "common/expect.hpp"
#include "common/net.hpp"
#include "common/report.hpp"
#include "server/http.hpp"
#include "ussl/ussl.hpp"

namespace ussl::apps {
namespace {

using std::chrono::milliseconds;

constexpr std::size_t kReadChunk = 16384;
constexpr std::size_t kMaxBuffered = 256 * 1024;  // stop reading while this much waits to be sent
constexpr milliseconds kShutdownGrace{2000};
constexpr std::string_view kSourcePattern = "abcdefghijklmnopqrstuvwxyz0123456789\n";
// The pattern repeated to a little over 16 KiB, so any slice of a read chunk
// starting at any phase of the pattern is one contiguous substring.
const std::string kSourceBlock = [] {
  std::string block;
  while (block.size() < 16384 + 2 * kSourcePattern.size()) block += kSourcePattern;
  return block;
}();

// Written by the signal handler, read by the loop.
volatile std::sig_atomic_t g_signals = 0;
int g_wake_fd = -1;

extern "C" void on_signal(int) {
  g_signals = g_signals + 1;
  if (g_wake_fd >= 0) {
    const char byte = 1;
    [[maybe_unused]] const ssize_t n = ::write(g_wake_fd, &byte, 1);
  }
}

enum class Mode { echo, http, discard, source };

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

struct Conn {
  std::uint64_t id = 0;
  std::unique_ptr<SslSocket> socket;
  Endpoint peer;
  Clock::time_point accepted;
  Clock::time_point last_activity;
  std::optional<double> handshake_ms;
  bool handshake_reported = false;
  TlsFacts facts;   // as of the handshake event
  std::string out;  // bytes the socket has not accepted yet
  HttpParser http;
  std::uint64_t source_left = 0;
  std::uint64_t source_offset = 0;
  bool read_stalled = false;  // stopped reading with data possibly buffered
  bool flush_needed = false;  // the socket holds a record it could not send yet
  bool peer_eof = false;      // close_notify received
  bool closing = false;       // close once everything is sent
  bool finished = false;
};

class Server {
 public:
  explicit Server(const ServerConfig& config)
      : c_(config), mode_(mode_from(config.mode)), expectations_(parse_expectations(config.common.expect)) {}
  ~Server();
  int run();

 private:
  void start();
  void accept_ready();
  void service(Conn& conn);
  void drive(Conn& conn);
  void read_in(Conn& conn);
  void write_out(Conn& conn);
  void fill_source(Conn& conn);
  void handle_http(Conn& conn);
  void check_handshake(Conn& conn);
  void check_timers(Conn& conn);
  void fail(Conn& conn, const Error& error);
  void close_conn(Conn& conn, const std::string& reason, const std::optional<ErrorInfo>& error, Phase phase);
  void begin_shutdown();
  short interest(const Conn& conn) const;
  Deadline next_timer(const Conn& conn) const;
  std::string page(const Conn& conn, const HttpRequest& request) const;
  void emit_handshake(const Conn& conn, const std::optional<ErrorInfo>& error);
  void emit_stopped();
  void human(const Conn& conn, const std::string& text) const;

  int exit_code() const;

  const ServerConfig& c_;
  Mode mode_;
  std::vector<Expectation> expectations_;
  std::uint64_t expectations_failed_ = 0;  // handshake events with an expectation that did not hold
  int expectation_exit_code_ = kExitOk;    // with --expect: 8 once one did not hold
  std::shared_ptr<const Context> context_;
  UniqueFd listener_;
  UniqueFd wake_read_;
  UniqueFd wake_write_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::uint64_t accepted_ = 0;
  std::uint64_t succeeded_ = 0;
  std::uint64_t failed_ = 0;
  std::uint64_t dropped_ = 0;  // closed by a signal before their handshake completed
  int exit_code_ = kExitOk;    // the first failure's
  bool stopping_ = false;
  int signals_seen_ = 0;
  Deadline shutdown_deadline_;
  std::string stop_reason_ = "accept_limit";
};

Server::~Server() { g_wake_fd = -1; }

void Server::start() {
  Options options = options_from(c_.tls, /*server=*/true);
  for (const auto& spec : c_.sni) options.sni_certificates.push_back(parse_sni(spec));
  context_ = Context::create(options);
  Listener listener = listen_tcp(c_.bind, static_cast<std::uint16_t>(c_.port));
  listener_ = std::move(listener.fd);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0)
    throw Error(ErrorKind::internal, std::string("pipe2(): ") + std::strerror(errno));
  wake_read_.reset(pipe_fds[0]);
  wake_write_.reset(pipe_fds[1]);
  g_wake_fd = wake_write_.get();
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  if (options.cert_reqs == CertReqs::none) spdlog::info("not requesting client certificates (--cert-reqs none)");
  if (mode_ == Mode::http && std::find(options.alpn.begin(), options.alpn.end(), "h2") != options.alpn.end())
    spdlog::warn("--mode http speaks HTTP/1.x only: a client that selects h2 (--alpn) gets no answer");
  if (c_.common.json) {
    print_json_line(Json{{"event", "listening"},
                         {"schema", kSchemaVersion},
                         {"address", listener.local.address},
                         {"port", listener.local.port}});
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

  std::vector<pollfd> fds;
  std::vector<Conn*> polled;
  while (listener_ || !conns_.empty()) {
    if (g_signals != signals_seen_) {
      signals_seen_ = g_signals;
      begin_shutdown();
    }
    fds.clear();
    polled.clear();
    fds.push_back({wake_read_.get(), POLLIN, 0});
    const bool listening = static_cast<bool>(listener_);
    if (listening) fds.push_back({listener_.get(), POLLIN, 0});
    Deadline wake = shutdown_deadline_;
    bool ready_now = false;
    for (const auto& conn : conns_) {
      fds.push_back({conn->socket->fileno(), interest(*conn), 0});
      polled.push_back(conn.get());
      if (conn->read_stalled && conn->out.size() < kMaxBuffered) ready_now = true;
      const Deadline timer = next_timer(*conn);
      if (timer && (!wake || *timer < *wake)) wake = timer;
    }
    const int rc = ::poll(fds.data(), fds.size(), ready_now ? 0 : poll_timeout(wake));
    if (rc < 0 && errno != EINTR) throw Error(ErrorKind::internal, std::string("poll(): ") + std::strerror(errno));
    if (rc < 0) continue;
    if (fds[0].revents != 0) {
      char buf[64];
      while (::read(wake_read_.get(), buf, sizeof buf) > 0) {
      }
    }
    if (listening && fds[1].revents != 0) accept_ready();
    const std::size_t first = listening ? 2 : 1;
    for (std::size_t i = 0; i < polled.size(); ++i) {
      Conn& conn = *polled[i];
      if (conn.finished) continue;
      const bool due = expired(next_timer(conn));
      if (fds[first + i].revents != 0 || due || conn.read_stalled) service(conn);
    }
    if (stopping_ && expired(shutdown_deadline_)) {
      for (auto& conn : conns_) {
        if (!conn->finished) close_conn(*conn, "shutdown", std::nullopt, Phase::data);
      }
    }
    std::erase_if(conns_, [](const auto& conn) { return conn->finished; });
    if (c_.accept > 0 && accepted_ >= static_cast<std::uint64_t>(c_.accept)) listener_.reset();
  }
  emit_stopped();
  return exit_code();
}

// With --expect the expectations alone decide (also after a signal);
// otherwise the first failed connection's code with --accept, else 0.
int Server::exit_code() const {
  if (!expectations_.empty()) return expectation_exit_code_;
  return stopping_ ? kExitOk : exit_code_;
}

void Server::accept_ready() {
  for (;;) {
    if (c_.accept > 0 && accepted_ >= static_cast<std::uint64_t>(c_.accept)) return;
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    const int fd = ::accept4(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) spdlog::warn("accept(): {}", std::strerror(errno));
      return;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // small records go out at once
    auto conn = std::make_unique<Conn>();
    conn->id = ++accepted_;
    conn->peer = endpoint_of(reinterpret_cast<const sockaddr*>(&addr));
    conn->accepted = conn->last_activity = Clock::now();
    if (mode_ == Mode::source) conn->source_left = c_.source_bytes;
    if (c_.common.json) {
      print_json_line(Json{{"event", "accepted"},
                           {"schema", kSchemaVersion},
                           {"conn", conn->id},
                           {"peer", Json{{"address", conn->peer.address}, {"port", conn->peer.port}}}});
    } else {
      human(*conn, "accepted from " + to_string(conn->peer));
    }
    try {
      conn->socket = context_->wrap(fd, std::nullopt, /*do_handshake=*/false);
    } catch (const Error& e) {
      spdlog::error("[{}] cannot wrap the accepted socket: {}", conn->id, describe(ErrorInfo::from(e)));
      ++failed_;
      if (exit_code_ == kExitOk) exit_code_ = kExitInternal;
      continue;
    }
    Conn& ref = *conn;
    conns_.push_back(std::move(conn));
    service(ref);
  }
}

void Server::service(Conn& conn) {
  try {
    drive(conn);
    if (!conn.finished) check_timers(conn);
  } catch (const Error& e) {
    // After the client's close_notify, a reset while we still send is the
    // client going away as announced, not a failure.
    const bool gone = e.kind() == ErrorKind::connection_reset || e.kind() == ErrorKind::truncated_eof;
    if (conn.peer_eof && gone) {
      close_conn(conn, "peer_closed", std::nullopt, Phase::data);
      return;
    }
    fail(conn, e);
  }
}

void Server::drive(Conn& conn) {
  SslSocket& socket = *conn.socket;
  if (!socket.handshake().done && !c_.tls.defer_handshake) {
    if (!socket.do_handshake()) return;
    check_handshake(conn);
  }
  // With a deferred handshake the first read (or, for source, write) runs it.
  if (mode_ == Mode::source) {
    // Read first once the handshake is done: a client that closed early
    // (close_notify) is seen before writing to it fails.
    if (socket.handshake().done) read_in(conn);
    if (conn.peer_eof) conn.source_left = 0;
    fill_source(conn);
    write_out(conn);
    if (socket.handshake().done && !conn.peer_eof) read_in(conn);
  } else {
    read_in(conn);
    if (mode_ == Mode::http) handle_http(conn);
    write_out(conn);
  }
  if (!socket.handshake().done || conn.finished) return;

  const bool sent_all = conn.out.empty() && !conn.flush_needed;
  if (mode_ == Mode::source && conn.source_left == 0 && sent_all) {
    close_conn(conn, "served", std::nullopt, Phase::data);
  } else if (conn.closing && sent_all) {
    close_conn(conn, "served", std::nullopt, Phase::data);
  } else if (conn.peer_eof && sent_all) {
    close_conn(conn, "peer_closed", std::nullopt, Phase::data);
  }
}

void Server::read_in(Conn& conn) {
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
    conn.last_activity = Clock::now();
    if (mode_ == Mode::echo) conn.out += *data;
    if (mode_ == Mode::http) conn.http.feed(*data);
  }
}

void Server::write_out(Conn& conn) {
  SslSocket& socket = *conn.socket;
  while (!conn.out.empty()) {
    const auto n = socket.write(conn.out);
    check_handshake(conn);
    if (!n || *n == 0) return;
    conn.out.erase(0, *n);
    conn.last_activity = Clock::now();
  }
  if (socket.handshake().done) conn.flush_needed = !socket.write(std::string_view{}).has_value();
}

void Server::fill_source(Conn& conn) {
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

void Server::handle_http(Conn& conn) {
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

std::string Server::page(const Conn& conn, const HttpRequest& request) const {
  const TlsFacts& f = conn.facts;
  std::string body = "ussl-server: connection " + std::to_string(conn.id) + " from " + to_string(conn.peer) + "\n";
  body += "request: " + request.method + " " + request.target + " " + request.version + "\n";
  body += "tls_version: " + f.version.value_or("none") + "\n";
  body += "cipher: " + f.cipher.value_or("none") + "\n";
  body += "sni: " + f.sni.value_or("none") + "\n";
  body += "alpn: " + f.alpn.value_or("none") + "\n";
  body += std::string("resumed: ") + (f.resumed ? "true" : "false") + "\n";
  if (f.chain.empty()) {
    body += "client_certificate: none\n";
  } else {
    body += "client_certificate: " + f.chain.front().subject + "\n";
    body += "client_certificate_issuer: " + f.chain.front().issuer + "\n";
    body += "client_certificate_sha256: " + f.chain.front().sha256 + "\n";
  }
  body += "verify_mode: " + std::string(cert_reqs_name(f.verify.mode)) + "\n";
  body += "verify_result: " + verify_result_name(f.verify).value_or("none") + "\n";
  body += std::string("verified: ") + (f.verify.verified() ? "true" : "false") + "\n";
  body += "verify: " + verify_summary(f.verify, true) + "\n";
  return body;
}

void Server::check_handshake(Conn& conn) {
  if (conn.handshake_reported || !conn.socket->handshake().done) return;
  conn.handshake_ms = elapsed_ms(conn.accepted);
  conn.last_activity = Clock::now();
  conn.facts = facts_of(*conn.socket);
  conn.facts.handshake.deferred = c_.tls.defer_handshake;  // every socket is wrapped with do_handshake=False
  conn.handshake_reported = true;
  emit_handshake(conn, std::nullopt);
}

void Server::check_timers(Conn& conn) {
  const auto now = Clock::now();
  if (!conn.socket->handshake().done) {
    if (c_.handshake_timeout_ms > 0 && now >= conn.accepted + milliseconds(c_.handshake_timeout_ms))
      fail(conn, Error(ErrorKind::timeout, "no TLS handshake within " + std::to_string(c_.handshake_timeout_ms) +
                                               " ms (--handshake-timeout)"));
    return;
  }
  if (c_.idle_timeout_ms > 0 && now >= conn.last_activity + milliseconds(c_.idle_timeout_ms))
    fail(conn, Error(ErrorKind::timeout, "no data for " + std::to_string(c_.idle_timeout_ms) + " ms (--idle-timeout)"));
}

Deadline Server::next_timer(const Conn& conn) const {
  if (!conn.socket->handshake().done) {
    if (c_.handshake_timeout_ms == 0) return std::nullopt;
    return conn.accepted + milliseconds(c_.handshake_timeout_ms);
  }
  if (c_.idle_timeout_ms == 0) return std::nullopt;
  return conn.last_activity + milliseconds(c_.idle_timeout_ms);
}

short Server::interest(const Conn& conn) const {
  const SslSocket& socket = *conn.socket;
  if (!socket.handshake().done) {
    if (socket.want() == Want::write) return POLLOUT;
    // A deferred source handshake starts with a write; before that, wait to read.
    return POLLIN;
  }
  short events = 0;
  if (!conn.peer_eof && !conn.closing && conn.out.size() < kMaxBuffered) events |= POLLIN;
  // Source mode refills its buffer only when it may write: ask for POLLOUT while bytes remain to be sent.
  if (!conn.out.empty() || conn.source_left > 0 || conn.flush_needed || socket.want() == Want::write) events |= POLLOUT;
  return events;
}

void Server::fail(Conn& conn, const Error& error) {
  const Phase phase = conn.socket->handshake().done ? Phase::data : Phase::handshake;
  const ErrorInfo info = ErrorInfo::from(error);
  if (!conn.handshake_reported) {
    conn.facts = facts_of(*conn.socket);
    conn.facts.handshake.deferred = c_.tls.defer_handshake;
    conn.handshake_ms = elapsed_ms(conn.accepted);
    conn.handshake_reported = true;
    emit_handshake(conn, info);
  }
  close_conn(conn, "failed", info, phase);
}

void Server::close_conn(Conn& conn, const std::string& reason, const std::optional<ErrorInfo>& error, Phase phase) {
  const std::uint64_t sent = conn.socket->bytes_written();
  const std::uint64_t received = conn.socket->bytes_read();
  conn.socket->close();
  conn.finished = true;
  const int code = error ? exit_code_for(error->kind, phase, error->alert) : kExitOk;
  if (error) {
    ++failed_;
    if (exit_code_ == kExitOk) exit_code_ = code;
  } else if (reason == "shutdown" && phase == Phase::handshake) {
    ++dropped_;
  } else {
    ++succeeded_;
  }
  const double total = elapsed_ms(conn.accepted);
  if (c_.common.json) {
    Json j{{"event", "closed"}, {"schema", kSchemaVersion}, {"conn", conn.id}};
    j["ok"] = !error.has_value();
    j["error"] = error_json(error);
    j["reason"] = reason;
    j["exit_code"] = code;
    j["bytes"] = Json{{"sent", sent}, {"received", received}};
    j["timing_ms"] = Json{{"total", ms_or_null(total)}};
    print_json_line(j);
  } else {
    std::string text = "closed (" + reason + "): received " + std::to_string(received) + ", sent " +
                       std::to_string(sent) + " bytes, " + format_ms(total);
    if (error) text += "; FAILED (exit " + std::to_string(code) + ") " + describe(*error);
    human(conn, text);
  }
  if (error) spdlog::warn("[{}] {}", conn.id, describe(*error));
}

void Server::emit_handshake(const Conn& conn, const std::optional<ErrorInfo>& error) {
  const TlsFacts& f = conn.facts;
  const Phase phase = f.handshake.done ? Phase::data : Phase::handshake;
  const int code = error ? exit_code_for(error->kind, phase, error->alert) : kExitOk;
  Json j{{"event", "handshake"}, {"schema", kSchemaVersion}, {"conn", conn.id}};
  Timing timing;
  timing.handshake = conn.handshake_ms;
  timing.total = elapsed_ms(conn.accepted);
  add_connection_fields(j, f, error, timing, false);
  j["exit_code"] = code;
  j["peer"] = Json{{"address", conn.peer.address}, {"port", conn.peer.port}};
  std::vector<ExpectationResult> results;
  if (!expectations_.empty()) {
    results = evaluate(expectations_, j);
    if (!all_hold(results)) {
      ++expectations_failed_;
      expectation_exit_code_ = kExitExpectation;
      for (const auto& r : results) {
        if (!r.ok) spdlog::error("[{}] expectation failed: {}", conn.id, describe(r).substr(8));
      }
    }
  }
  j["expectations"] = expectations_json(results);
  if (c_.common.json) {
    print_json_line(j);
    return;
  }
  if (error) {
    human(conn, "handshake FAILED (exit " + std::to_string(exit_code_for(error->kind, Phase::handshake, error->alert)) +
                    ") " + describe(*error));
  } else {
    std::string text = "handshake ok: " + f.version.value_or("?") + " " + f.cipher.value_or("?");
    text += ", sni " + f.sni.value_or("none");
    if (!c_.tls.alpn.empty()) text += ", alpn " + f.alpn.value_or("none");
    text += f.resumed ? ", resumed" : ", new session";
    text += ", trigger " + f.handshake.trigger + ", " + format_ms(conn.handshake_ms.value_or(0));
    text += ", would-block steps: read " + std::to_string(f.handshake.want_read) + ", write " +
            std::to_string(f.handshake.want_write);
    human(conn, text);
  }
  if (!f.chain.empty()) {
    human(conn, "client certificate: " + f.chain.front().subject + " (issuer " + f.chain.front().issuer + ", sha256 " +
                    f.chain.front().sha256 + ")");
  } else {
    human(conn, "client certificate: none");
  }
  human(conn, "verify: " + verify_summary(f.verify, true));
  for (const auto& r : results) human(conn, "expect " + describe(r));
}

void Server::begin_shutdown() {
  if (!stopping_) {
    spdlog::info("signal received: no longer accepting; finishing open connections");
    stopping_ = true;
    stop_reason_ = "signal";
    listener_.reset();
    shutdown_deadline_ = Clock::now() + kShutdownGrace;
    for (auto& conn : conns_) {
      if (conn->finished) continue;
      if (!conn->socket->handshake().done) {
        close_conn(*conn, "shutdown", std::nullopt, Phase::handshake);
      } else {
        conn->closing = true;
        conn->source_left = 0;
        service(*conn);
      }
    }
    return;
  }
  spdlog::info("second signal: closing every connection now");
  shutdown_deadline_ = Clock::now();
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

void Server::human(const Conn& conn, const std::string& text) const {
  if (c_.common.json) return;
  std::printf("[%llu] %s\n", static_cast<unsigned long long>(conn.id), text.c_str());
  std::fflush(stdout);
}

}  // namespace

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
  return {};
}

void print_server_usage_error(const std::string& message) {
  print_json_line(Json{{"event", "error"},
                       {"schema", kSchemaVersion},
                       {"error", error_json(ErrorInfo{ErrorKind::usage, message})},
                       {"exit_code", kExitUsage}});
}

}  // namespace ussl::apps
