// One event loop of ussl-server (internal to the server): its connections,
// their timers and the epoll set that drives them. worker.cpp is the loop
// itself (accept, wait, service, close); modes.cpp is what a connection does
// with its bytes (echo, http, discard, source, STARTTLS); events.cpp builds the
// report lines.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/exit_codes.hpp"
#include "common/expect.hpp"
#include "common/net.hpp"
#include "common/report.hpp"
#include "server/events.hpp"
#include "server/http.hpp"
#include "server/output.hpp"
#include "server/server.hpp"
#include "server/starttls_server.hpp"
#include "server/timers.hpp"
#include "ussl/ussl.hpp"

namespace ussl::apps {

inline constexpr std::size_t kReadChunk = 16384;
inline constexpr int kEventBatch = 256;                  // epoll events taken per wait
inline constexpr std::size_t kMaxBuffered = 256 * 1024;  // stop reading while this much waits to be sent

class Server;

// "call(): strerror(errno)", for the internal errors of the loop's system calls.
std::string errno_text(const char* call);

// Where a connection is in its life; see "Lifetime of a connection" below.
enum class Stage : std::uint8_t {
  open,       // being served
  lingering,  // failed and reported; draining the peer's input before the close (Worker::linger)
  released,   // descriptor closed, waiting on done_ to be freed (Worker::release, Worker::reap)
};

// One accepted connection.
//
// Lifetime of a connection (the rule Worker::accept_ready, release() and
// reap() enforce):
// * The Worker owns it: it lives in Worker::conns_, a std::list, so it never
//   moves, and `self` is its position there. Nothing else owns it.
// * Raw pointers to it are held by epoll (data.ptr, while in_epoll), by
//   ready_ (while queued), by the TimerLists (while timer.list is not none)
//   and by done_ (once released) -- and, during one loop round, by that
//   round's epoll event batch, its ready batch and the timer pass running.
// * release() is the only way out, and runs once: it closes the descriptor
//   (which takes it out of the epoll set, so later epoll_wait calls never
//   name it), takes it off its timer list and queues it on done_. Its stage
//   becomes released.
// * reap() frees the released connections, and runs only where no pointer of
//   the round is left: at the end of a round (after the event batch, the
//   ready batch and the timers) and in observe_server() before the next
//   wait. It removes them from ready_ first.
// * So a connection stays valid memory for the rest of the round in which it
//   was released: code after service(), drain() or close_conn() may look at
//   it, and must check its stage (finished()) before serving it again.
// * The only other ways a Conn dies: accept_ready() erases one whose wrap
//   failed before any pointer to it was stored, and Worker::run() clears
//   every list, then conns_, when the loop itself fails.
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
  // As of the handshake event. Kept only for --mode http (its page shows
  // them on every request); the other modes clear them after the event to
  // keep an idle connection small.
  ConnectionRecord facts;
  std::string out;  // bytes the socket has not accepted yet
  HttpParser http;
  std::unique_ptr<StarttlsSession> starttls;  // --starttls: the dialogue, before and inside TLS
  bool plain = false;                         // --starttls: still plaintext (no socket yet)
  Stage stage = Stage::open;
  std::uint64_t plain_sent = 0;
  std::uint64_t plain_received = 0;
  std::uint64_t source_left = 0;
  std::uint64_t source_offset = 0;
  bool read_stalled = false;       // stopped reading with data possibly buffered
  bool flush_needed = false;       // the socket holds a record it could not send yet
  bool peer_eof = false;           // close_notify received
  bool closing = false;            // close once everything is sent
  std::size_t linger_drained = 0;  // bytes read and discarded while lingering
  // The loop's bookkeeping.
  std::list<Conn>::iterator self;
  std::uint32_t events = 0;  // what epoll watches for
  bool in_epoll = false;
  bool queued = false;  // on the ready list
  TimerHook<Conn> timer;
  bool idle_armed = false;  // moved to the idle timer (or none) after its handshake

  // Closed and reported (lingering or released): never served again.
  bool finished() const { return stage != Stage::open; }
};

// Which phase of the server's stop the loops are in.
enum class StopLevel : std::uint8_t {
  serving,    // accepting and serving
  finishing,  // first signal: no new connections, open ones finish (kShutdownGrace at most)
  closing,    // second signal or an internal error: close every connection now
};

// One event loop: its own epoll set, its connections and their timers.
class Worker {
 public:
  explicit Worker(Server& server);
  void run() noexcept;  // the thread's body
  void wake();          // from any thread: look at the server's state again

 private:
  // The loop (worker.cpp).
  void loop();
  // epoll_wait for up to `timeout` ms (-1: no limit), writing the waiting
  // report lines first unless more events are ready; as epoll_wait returns.
  int wait_events(std::array<epoll_event, kEventBatch>& events, int timeout);
  void observe_server();
  void accept_ready();
  void drop_listener();
  void service(Conn& conn);
  void settle(Conn& conn);
  void check_handshake(Conn& conn);
  void check_timers(Conn& conn);
  void expire_timers();
  Clock::time_point deadline(const Conn& conn, TimerKind list) const;
  void touch(Conn& conn);
  void fail(Conn& conn, const Error& error);
  void close_conn(Conn& conn, CloseReason reason, const std::optional<ErrorInfo>& error, Phase phase);
  void linger(Conn& conn);
  void drain(Conn& conn);
  void release(Conn& conn);
  void begin_shutdown();
  void reap();
  std::uint32_t interest(const Conn& conn) const;
  Deadline next_deadline() const;

  // The per-connection modes (modes.cpp).
  void drive(Conn& conn);
  bool drive_plain(Conn& conn);
  void read_in(Conn& conn);
  void write_out(Conn& conn);
  void fill_source(Conn& conn);
  void handle_http(Conn& conn);
  std::string page(const Conn& conn, const HttpRequest& request) const;

  // The events (events.cpp).
  void emit_accepted(const Conn& conn);
  void emit_handshake(const Conn& conn, const std::optional<ErrorInfo>& error);
  void emit_handshake_text(const Conn& conn, const std::optional<ErrorInfo>& error,
                           const std::vector<ExpectationResult>& results);
  void add_line(const JsonWriter& w);  // one event of --json
  // Every socket is wrapped with do_handshake=False; without --defer-handshake
  // the loop drives do_handshake() at once, which the record reports as eager.
  WrapArgs wrap_args() const {
    WrapArgs args;
    args.do_handshake = false;
    if (!c_.tls.defer_handshake) args.eager_trigger = "do_handshake";
    return args;
  }
  void emit_closed(const Conn& conn, CloseReason reason, const std::optional<ErrorInfo>& error, int code,
                   std::uint64_t sent, std::uint64_t received);
  void human(const Conn& conn, const std::string& text);

  Server& server_;
  const ServerConfig& c_;
  ServeMode mode_;
  UniqueFd epoll_;
  UniqueFd event_;
  Output& out_;  // the server's, shared by the loops
  std::list<Conn> conns_;
  std::vector<Conn*> ready_;  // stopped reading for lack of room, room again: service without an event
  std::vector<Conn*> done_;   // released this round, freed at its end (reap)
  TimerLists<Conn> timers_;
  bool listening_ = false;
  Deadline resume_accept_;  // paused for lack of descriptors until then
  StopLevel stop_seen_ = StopLevel::serving;
  Deadline stop_deadline_;
};

}  // namespace ussl::apps
