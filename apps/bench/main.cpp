// ussl-bench: a TLS load generator on the ussl library. Opens connections at
// a given concurrency for a given time or count (full or resumed
// handshakes, optional echo payload) and reports handshakes/s, throughput and
// latency percentiles. One epoll loop per thread, non-blocking sockets and
// deferred handshakes: the ussl semantics exercised at scale.
//
// --hold N keeps N established connections open and idle (to measure a
// server's memory per connection, or its handshake rate while it holds them):
// it prints a "holding" JSON line once all N are up, holds them for
// --hold-seconds (or until stdin reaches EOF with --hold-until-eof), then
// reports how many the server still kept open.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "common/cli.hpp"
#include "common/exit_codes.hpp"
#include "common/net.hpp"
#include "ussl/ussl.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Config {
  std::string host = "127.0.0.1";
  int port = 4433;
  std::optional<std::string> server_hostname;
  ussl::apps::TlsFlags tls;  // --cert-reqs, --ca-certs, --certfile/--keyfile, --tls-version, --ciphers
  int concurrency = 8;
  int threads = 1;
  double duration_s = 5;
  long count = 0;  // 0: run for duration
  bool resume = false;
  std::size_t payload = 0;
  std::optional<std::string> groups;
  std::optional<std::string> key_shares;
  long hold = 0;  // keep this many connections open after their handshake
  double hold_seconds = 10;
  bool hold_until_eof = false;
  std::optional<std::string> latency_file;
  bool json = false;
};

struct Stats {
  long ok = 0;
  long resumed = 0;
  std::map<std::string, long> errors;
  std::vector<double> latency_ms;  // connect start -> handshake (+ echo) done
  std::uint64_t bytes = 0;
  std::optional<std::string> version, cipher;  // as the first successful connection negotiated
};

enum class Stage { connecting, handshaking, ticket, writing, reading };

struct Slot {
  int fd = -1;
  std::unique_ptr<ussl::SslSocket> sock;
  Stage stage = Stage::connecting;
  Clock::time_point start;
  std::size_t sent = 0, received = 0;
};

class Worker {
 public:
  Worker(const Config& cfg, std::shared_ptr<const ussl::Context> ctx, sockaddr_storage addr, socklen_t addr_len,
         int slots, std::atomic<long>& budget, Clock::time_point end)
      : cfg_(cfg), ctx_(std::move(ctx)), addr_(addr), addr_len_(addr_len), slots_(slots), budget_(budget), end_(end) {
    // Ends in a newline: line-based echo servers (gnutls-serv --echo, s_server -rev) answer whole lines.
    payload_.assign(cfg.payload, 'p');
    if (!payload_.empty()) payload_.back() = '\n';
  }

  Stats run() {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    std::vector<Slot> slots(static_cast<std::size_t>(slots_));
    for (auto& s : slots) start(s);
    std::vector<epoll_event> events(64);
    while (active_ > 0) {
      const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 100);
      for (int i = 0; i < n; ++i) step(*static_cast<Slot*>(events[static_cast<std::size_t>(i)].data.ptr));
      // A connection stuck for 10 s is a failure, never a hang.
      const auto now = Clock::now();
      for (auto& s : slots) {
        if (s.fd >= 0 && now - s.start > std::chrono::seconds(10)) finish(s, std::string("timeout"));
      }
    }
    ::close(epoll_);
    return std::move(stats_);
  }

  // After --hold: how many held connections the server still keeps open
  // (a non-blocking read finds no EOF and no error).
  long still_open() {
    long open = 0;
    for (auto& sock : held_) {
      try {
        auto r = sock->read(1);
        if (!r || !r->empty()) ++open;
      } catch (const ussl::Error&) {
      }
    }
    return open;
  }

  void close_held() {
    for (auto& sock : held_) sock->close();
    held_.clear();
  }

 private:
  bool take_budget() {
    if (Clock::now() >= end_) return false;
    if (cfg_.count > 0 && budget_.fetch_sub(1) <= 0) return false;
    return true;
  }

  void start(Slot& s) {
    if (!take_budget()) return;
    s = Slot{};
    s.start = Clock::now();
    s.fd = ::socket(addr_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ++active_;
    if (::connect(s.fd, reinterpret_cast<sockaddr*>(&addr_), addr_len_) != 0 && errno != EINPROGRESS) {
      finish(s, std::string("connect: ") + std::strerror(errno));
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.ptr = &s;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, s.fd, &ev);
  }

  void rearm(Slot& s, ussl::Want want) {
    epoll_event ev{};
    ev.events = want == ussl::Want::write ? EPOLLOUT : EPOLLIN;
    ev.data.ptr = &s;
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, s.fd, &ev);
  }

  void finish(Slot& s, std::optional<std::string> error) {
    if (error) {
      ++stats_.errors[*error];
    } else {
      ++stats_.ok;
      if (s.sock->session_reused()) ++stats_.resumed;
      if (!stats_.version) {
        stats_.version = s.sock->tls_version();
        stats_.cipher = s.sock->cipher();
      }
      stats_.latency_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s.start).count());
      stats_.bytes += s.sent + s.received;
      if (cfg_.resume && !session_) session_ = s.sock->session();
    }
    if (s.sock && !error && cfg_.hold > 0) {
      ::epoll_ctl(epoll_, EPOLL_CTL_DEL, s.fd, nullptr);  // idle from now on
      held_.push_back(std::move(s.sock));
    } else if (s.sock) {
      s.sock->close();  // closes the descriptor too (epoll forgets it)
    } else if (s.fd >= 0) {
      ::close(s.fd);
    }
    s.sock.reset();
    s.fd = -1;
    --active_;
    start(s);
  }

  void step(Slot& s) {
    try {
      if (s.stage == Stage::connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) return finish(s, std::string("connect: ") + std::strerror(err));
        ussl::WrapArgs args;
        args.server_hostname = cfg_.server_hostname;
        args.do_handshake = false;
        if (cfg_.resume) args.session = session_;
        s.sock = ctx_->wrap(std::make_unique<ussl::FdTransport>(s.fd), args);
        s.stage = Stage::handshaking;
      }
      if (s.stage == Stage::handshaking) {
        if (!s.sock->do_handshake()) return rearm(s, s.sock->want());
        // The first connection of a resuming run waits for its TLS 1.3 ticket.
        s.stage = cfg_.resume && !session_ && s.sock->tls_version() == "TLSv1.3" ? Stage::ticket : Stage::writing;
      }
      if (s.stage == Stage::ticket) {
        while (!s.sock->session_ticket_received()) {
          auto r = s.sock->read(1);
          if (!r && s.sock->session_ticket_received()) break;  // the read consumed the ticket
          if (!r) return rearm(s, ussl::Want::read);
          if (r->empty()) return finish(s, std::string("eof before the session ticket"));
        }
        s.stage = Stage::writing;
      }
      if (s.stage == Stage::writing && payload_.empty()) return finish(s, std::nullopt);
      if (s.stage == Stage::writing) {
        while (s.sent < payload_.size()) {
          auto n = s.sock->write(std::string_view(payload_).substr(s.sent));
          if (!n) return rearm(s, s.sock->want());
          s.sent += *n;
        }
        s.stage = Stage::reading;
      }
      while (s.received < payload_.size()) {
        auto r = s.sock->read(payload_.size() - s.received);
        if (!r) return rearm(s, s.sock->want() == ussl::Want::nothing ? ussl::Want::read : s.sock->want());
        if (r->empty()) return finish(s, std::string("eof before the echo completed"));
        s.received += r->size();
      }
      finish(s, std::nullopt);
    } catch (const ussl::Error& e) {
      finish(s, std::string(ussl::error_kind_name(e.kind())));
    }
  }

  const Config& cfg_;
  std::shared_ptr<const ussl::Context> ctx_;
  sockaddr_storage addr_;
  socklen_t addr_len_;
  int slots_;
  std::atomic<long>& budget_;
  Clock::time_point end_;
  std::string payload_;
  int epoll_ = -1;
  int active_ = 0;
  std::optional<std::string> session_;
  std::vector<std::unique_ptr<ussl::SslSocket>> held_;
  Stats stats_;
};

// Sleep up to seconds; with until_eof, return early once stdin is at EOF.
void hold_for(double seconds, bool until_eof) {
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  while (Clock::now() < end) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
    const int ms = static_cast<int>(std::clamp<long long>(left, 1, 200));
    if (!until_eof) {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      continue;
    }
    pollfd pfd{0, POLLIN, 0};
    if (::poll(&pfd, 1, ms) > 0) {
      char buf[256];
      const ssize_t n = ::read(0, buf, sizeof buf);
      if (n <= 0) return;
    }
  }
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

// ussl-bench's own exit codes (docs/cli.md): 0, 2 and 3 mean what they mean
// for ussl-client; a run in which connections failed is not one handshake
// failure, so it has a code of its own instead of ussl-client's 4.
constexpr int kExitBenchFailures = ussl::apps::kExitLoadFailed;

int main(int argc, char** argv) {
  using ussl::apps::kExitConnectFailed;
  using ussl::apps::kExitOk;
  using ussl::apps::kExitUsage;
  Config cfg;
  CLI::App app{"Load-test a TLS server: handshakes/s, throughput and latency percentiles.", "ussl-bench"};
  app.add_option("--host", cfg.host, "Connect to this IPv4/IPv6 address or name.")->capture_default_str();
  app.add_option("--port", cfg.port, "Connect to this TCP port.")->check(CLI::Range(1, 65535))->capture_default_str();
  app.add_option("--server-hostname", cfg.server_hostname, "Send this SNI and verify this name.");
  app.add_option("--cert-reqs", cfg.tls.cert_reqs, "Verify the server: none, optional, required.")
      ->transform(ussl::apps::enum_names(ussl::apps::cert_reqs_names()))
      ->type_name("TEXT")
      ->default_str("none");
  app.add_option("--ca-certs", cfg.tls.ca_certs, "Trust anchors (PEM/DER file or directory).")->type_name("PATH");
  auto* keyfile =
      app.add_option("--keyfile", cfg.tls.keyfile, "Private key of the client certificate.")->type_name("PATH");
  app.add_option("--certfile", cfg.tls.certfile, "Client certificate (chain), PEM or DER.")
      ->type_name("PATH")
      ->needs(keyfile);
  app.add_option("--concurrency,-c", cfg.concurrency, "Keep this many connections in flight.")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--threads", cfg.threads, "Spread the connections over this many event loops.")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--duration", cfg.duration_s, "Run for this many seconds.")->check(CLI::Range(0.1, 3600.0));
  app.add_option("--count", cfg.count, "Stop after this many connections (0: run for --duration).")
      ->check(CLI::Range(0L, 100000000L));
  app.add_flag("--resume", cfg.resume, "Resume the first session in every later connection.");
  app.add_option("--payload", cfg.payload,
                 "Send this many bytes per connection (a line) and read them back (echo server).")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 30));
  app.add_option("--tls-version", cfg.tls.tls_version, "Pin the protocol version: 1.2 or 1.3.")
      ->transform(ussl::apps::enum_names(ussl::apps::EnumNames<ussl::TlsVersion>{{"1.2", ussl::TlsVersion::tls1_2},
                                                                                 {"1.3", ussl::TlsVersion::tls1_3}}))
      ->type_name("TEXT");
  app.add_option("--ciphers", cfg.tls.ciphers,
                 "Allow only these cipher suites, IANA or wolfSSL names (as ussl-client's --ciphers).")
      ->type_name("LIST");
  app.add_option("--groups", cfg.groups, "Key-exchange groups, first preferred (e.g. X25519MLKEM768,X25519:P-256).");
  app.add_option("--key-shares", cfg.key_shares,
                 "Groups with a key share in the first ClientHello (default: X25519MLKEM768 and X25519 where built).");
  app.add_option("--hold", cfg.hold,
                 "Open N connections (at --concurrency), keep each open and idle after its handshake (and "
                 "--payload echo), print a 'holding' JSON line, hold them, then report how many are still open.")
      ->check(CLI::Range(1L, 1000000L));
  app.add_option("--hold-seconds", cfg.hold_seconds, "With --hold: hold the connections this long.")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  app.add_flag("--hold-until-eof", cfg.hold_until_eof, "With --hold: stop holding early when stdin reaches EOF.");
  app.add_option("--latency-file", cfg.latency_file, "Write every connection's latency (ms), one per line.")
      ->type_name("FILE");
  app.add_flag("--json", cfg.json, "Print one JSON object.");
  app.footer(
      "Exit codes:\n  0  every connection succeeded (and, with --hold, every held one stayed open)\n"
      "  2  usage or configuration error\n  3  the host does not resolve\n"
      "  10 some connections failed, none succeeded, or held connections were lost");
  if (auto code = ussl::apps::parse_command_line(app, argc, argv, {})) return *code;
  if (cfg.hold > 0) {
    if (cfg.count > 0 && cfg.count != cfg.hold) {
      std::cerr << "ussl-bench: error: usage: --hold N opens N connections; leave out --count (see --help)\n";
      return kExitUsage;
    }
    cfg.count = cfg.hold;
  }
  ussl::apps::raise_fd_limit();

  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(cfg.host.c_str(), std::to_string(cfg.port).c_str(), &hints, &res) != 0 || res == nullptr) {
    std::cerr << "ussl-bench: error: resolve_failed: cannot resolve '" << cfg.host << "'\n";
    return kExitConnectFailed;
  }
  sockaddr_storage addr{};
  std::memcpy(&addr, res->ai_addr, res->ai_addrlen);
  const socklen_t addr_len = res->ai_addrlen;
  ::freeaddrinfo(res);

  std::shared_ptr<const ussl::Context> ctx;
  try {
    // The same option building as ussl-client (cipher names, version pin).
    ussl::Options o = ussl::apps::options_from(cfg.tls, /*server=*/false);
    o.groups = cfg.groups;
    o.key_shares = cfg.key_shares;
    ctx = ussl::Context::create(o);
  } catch (const ussl::Error& e) {
    std::cerr << "ussl-bench: error: " << e.what() << "\n";
    return kExitUsage;
  }

  const auto begin = Clock::now();
  const auto end =
      cfg.count > 0
          ? begin + std::chrono::hours(24)
          : begin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(cfg.duration_s));
  std::atomic<long> budget{cfg.count};
  const int threads = std::min(cfg.threads, cfg.concurrency);
  std::vector<Stats> results(static_cast<std::size_t>(threads));
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < threads; ++t) {
    const int slots = cfg.concurrency / threads + (t < cfg.concurrency % threads ? 1 : 0);
    workers.push_back(std::make_unique<Worker>(cfg, ctx, addr, addr_len, slots, budget, end));
  }
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] { results[static_cast<std::size_t>(t)] = workers[static_cast<std::size_t>(t)]->run(); });
  }
  for (auto& th : pool) th.join();
  const double wall = std::chrono::duration<double>(Clock::now() - begin).count();

  long held = 0, still_open = 0;
  if (cfg.hold > 0) {
    for (auto& r : results) held += r.ok;
    if (cfg.json) {
      std::cout << nlohmann::json{{"event", "holding"}, {"held", held}, {"wall_s", wall}}.dump() << std::endl;
    } else {
      std::printf("holding      %ld connections (opened in %.2f s)\n", held, wall);
      std::fflush(stdout);
    }
    hold_for(cfg.hold_seconds, cfg.hold_until_eof);
    for (auto& w : workers) still_open += w->still_open();
    for (auto& w : workers) w->close_held();
  }

  Stats total;
  for (auto& r : results) {
    total.ok += r.ok;
    total.resumed += r.resumed;
    total.bytes += r.bytes;
    for (auto& [k, v] : r.errors) total.errors[k] += v;
    total.latency_ms.insert(total.latency_ms.end(), r.latency_ms.begin(), r.latency_ms.end());
    if (!total.version) {
      total.version = r.version;
      total.cipher = r.cipher;
    }
  }
  if (cfg.latency_file) {
    std::ofstream out(*cfg.latency_file);
    for (double ms : total.latency_ms) out << ms << "\n";
    if (!out) {
      std::cerr << "ussl-bench: error: cannot write " << *cfg.latency_file << "\n";
      return kExitUsage;
    }
  }
  long failed = 0;
  for (auto& [k, v] : total.errors) failed += v;
  nlohmann::json report = {
      {"schema", 1},
      {"ok", failed == 0 && total.ok > 0},
      {"connections", {{"ok", total.ok}, {"failed", failed}, {"resumed", total.resumed}}},
      {"errors", total.errors},
      {"wall_s", wall},
      {"handshakes_per_s", static_cast<double>(total.ok) / wall},
      {"throughput_mb_s", static_cast<double>(total.bytes) / wall / 1e6},
      {"latency_ms",
       {{"p50", percentile(total.latency_ms, 50)},
        {"p90", percentile(total.latency_ms, 90)},
        {"p99", percentile(total.latency_ms, 99)}}},
      {"concurrency", cfg.concurrency},
      {"threads", threads},
      {"resume", cfg.resume},
      {"payload", cfg.payload},
      {"negotiated", {{"version", total.version.value_or("")}, {"cipher", total.cipher.value_or("")}}},
      {"wolfssl_version", ussl::wolfssl_version()},
  };
  if (cfg.hold > 0) report["hold"] = {{"held", held}, {"still_open", still_open}, {"seconds", cfg.hold_seconds}};
  const bool hold_ok = cfg.hold == 0 || still_open == held;
  report["ok"] = failed == 0 && total.ok > 0 && hold_ok;
  if (cfg.json) {
    std::cout << report.dump() << "\n";
  } else {
    std::printf("connections  %ld ok, %ld failed, %ld resumed in %.2f s\n", total.ok, failed, total.resumed, wall);
    std::printf("rate         %.1f handshakes/s, %.1f MB/s\n", report["handshakes_per_s"].get<double>(),
                report["throughput_mb_s"].get<double>());
    std::printf("latency      p50 %.2f ms, p90 %.2f ms, p99 %.2f ms\n", report["latency_ms"]["p50"].get<double>(),
                report["latency_ms"]["p90"].get<double>(), report["latency_ms"]["p99"].get<double>());
    for (auto& [k, v] : total.errors) std::printf("error        %s: %ld\n", k.c_str(), v);
    if (cfg.hold > 0) std::printf("held         %ld, still open at the end %ld\n", held, still_open);
  }
  return failed == 0 && total.ok > 0 && hold_ok ? kExitOk : kExitBenchFailures;
}
