#include "client/client.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>

#include "client/pre_tls.hpp"
#include "common/address.hpp"
#include "common/exit_codes.hpp"
#include "common/expect.hpp"
#include "common/net.hpp"
#include "common/report.hpp"
#include "common/session_file.hpp"
#include "common/text.hpp"
#include "ussl/ussl.hpp"

namespace ussl::apps {
namespace {

using std::chrono::milliseconds;

constexpr std::size_t kReadChunk = 16384;
// Nothing sent, TLS 1.3, and the server asked for a client certificate: wait
// at least this long, and at least kDrainRoundTrips handshake round trips,
// for a late rejection of it.
constexpr milliseconds kDrainWindow{200};
constexpr int kDrainRoundTrips = 2;
constexpr milliseconds kReplyIdleTimeout{1000};  // after sending: wait for the reply
constexpr milliseconds kTicketWait{2000};        // TLS 1.3: wait this long for a session ticket
constexpr const char* kSystemBundle = "/etc/ssl/certs/ca-certificates.crt";
constexpr const char* kSystemDirectory = "/etc/ssl/certs";

bool exists(const char* path, bool directory) {
  struct stat st {};
  return ::stat(path, &st) == 0 && (directory ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
}

void print_line(const std::string& label, const std::string& text) {
  // The values quote the server (names, certificates, alerts): escaped.
  std::printf("%-12s %s\n", label.c_str(), escape_text(text).c_str());
}

// Where the trust anchors come from, for the report.
struct TrustStore {
  std::optional<std::string> path;
  std::string source;  // "flag", "SSL_CERT_FILE", "system", "none"
};

// One TCP + TLS connection: the first, or one of --reconnect's.
struct Conn {
  std::size_t index = 0;
  Phase phase = Phase::setup;
  std::optional<Endpoint> peer;
  PreTls pre;  // proxy and STARTTLS
  UniqueFd fd;
  std::unique_ptr<SslSocket> socket;
  std::optional<Clock::time_point> start;
  std::optional<Clock::time_point> handshake_start;
  ConnectionRecord facts;  // the library's record of this connection (setup_facts_ before wrap)
  Timing timing;
  std::optional<ErrorInfo> error;
  std::uint64_t received = 0;  // application bytes read (and shown)
  bool ticket_received = false;
  bool peer_closed = false;  // close_notify received
  int exit_code = kExitOk;
  std::optional<milliseconds> drain_window;  // the late-alert drain, when one ran
  std::optional<double> drain_waited;        // ms spent in it
};

class ClientRun {
 public:
  explicit ClientRun(const ClientConfig& config) : c_(config), start_(Clock::now()) {
    if (c_.timeout_ms > 0) deadline_ = start_ + milliseconds(c_.timeout_ms);
  }

  int run();

 private:
  void setup();
  void check_session_in();
  void run_connection(Conn& conn);
  void connect(Conn& conn);
  void wrap(Conn& conn);
  void handshake(Conn& conn);
  void send_payload(Conn& conn);
  void read_phase(Conn& conn);
  void read_available(Conn& conn);
  void wait_for_ticket(Conn& conn);
  void wait_ready(Conn& conn, short events, const std::string& doing);
  void wait_writable_reading(Conn& conn);
  bool read_limit_reached(const Conn& conn) const;
  std::optional<milliseconds> read_idle_limit(Conn& conn) const;
  void note_progress(Conn& conn);
  void output(Conn& conn, const std::string& data);
  [[noreturn]] void fail_timeout(const std::string& doing);
  void snapshot(Conn& conn);
  void end_connection(Conn& conn);
  void save_session();
  int finish();
  void print_header(const Conn& conn);
  void print_bytes(const Conn& conn);
  void print_reconnect(const Conn& conn);
  void print_trailer(int outcome);
  std::optional<ErrorInfo> first_error() const;
  Json report_json(int exit_code) const;
  // Why an --expect path cannot be in any report ("" when every one can).
  std::string expectation_path_error() const;
  const Conn* first() const { return conns_.empty() ? nullptr : &conns_.front(); }
  bool session_wanted(const Conn& conn) const;

  const ClientConfig& c_;
  Target target_;
  PreTlsConfig pre_;
  Clock::time_point start_;
  Deadline deadline_;
  Options options_;
  TrustStore trust_;
  std::optional<std::string> server_hostname_;
  std::shared_ptr<const Context> context_;
  std::string payload_;
  std::vector<Expectation> expectations_;
  std::optional<std::string> resume_;    // the session the next connection offers
  bool session_from_run_ = false;        // resume_ holds a session one of this run's connections made
  std::optional<bool> session_offered_;  // --sess-in: offered (false: it had expired); nullopt without
  bool session_saved_ = false;
  ConnectionRecord setup_facts_;          // what is known before any connection
  std::optional<ErrorInfo> setup_error_;  // setup failed: no connection was made
  std::vector<Conn> conns_;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> recv_file_{nullptr, &std::fclose};
  bool header_printed_ = false;
  bool data_needs_newline_ = false;
};

int ClientRun::run() {
  expectations_ = parse_expectations(c_.common.expect);
  // A path no report can have is a usage error like a bad flag: one line, nothing tried.
  if (const std::string error = expectation_path_error(); !error.empty()) {
    spdlog::error("{}", describe(ErrorInfo{ErrorKind::usage, error}));
    if (c_.common.json) print_client_usage_error(error);
    return kExitUsage;
  }
  try {
    setup();
  } catch (const Error& e) {
    setup_error_ = ErrorInfo::from(e);
  } catch (const std::exception& e) {
    setup_error_ = ErrorInfo{ErrorKind::internal, e.what()};
  }
  if (!setup_error_) {
    conns_.reserve(static_cast<std::size_t>(c_.reconnect) + 1);
    for (int i = 0; i <= c_.reconnect; ++i) {
      conns_.emplace_back();
      Conn& conn = conns_.back();
      conn.index = static_cast<std::size_t>(i);
      run_connection(conn);
      if (conn.error) break;  // nothing more to resume, or the server is gone
    }
    save_session();
  }
  return finish();
}

void ClientRun::setup() {
  const auto normalized = [](const std::string& name, const char* flag) {
    try {
      return normalize_server_name(name);
    } catch (const Error& e) {
      throw Error(ErrorKind::usage, std::string(flag) + ": " + e.message());
    }
  };
  const auto ascii = [](const std::string& name) {
    return std::all_of(name.begin(), name.end(), [](unsigned char ch) { return ch < 0x80; });
  };
  const auto default_port =
      c_.port_given || c_.starttls.empty() ? static_cast<std::uint16_t>(c_.port) : starttls_default_port(c_.starttls);
  target_ = target_from(c_.host, c_.port_given ? std::optional<std::uint16_t>(c_.port) : std::nullopt, default_port,
                        c_.connect_to);
  // A U-label host is resolved (or sent to a proxy) as its A-label, what DNS holds.
  if (!ascii(target_.connect_host)) target_.connect_host = normalized(target_.connect_host, "--host");
  if (!c_.proxy.empty()) {
    pre_.proxy = parse_proxy_url(c_.proxy, "--proxy");
  } else if (c_.proxy_env) {
    pre_.proxy = proxy_from_environment(target_.host);
  }
  pre_.tunnel_host = target_.connect_host;
  pre_.tunnel_port = target_.connect_port;
  pre_.starttls = c_.starttls;
  pre_.starttls_name = c_.starttls_name;
  if (!c_.starttls.empty() && c_.starttls_name.empty())
    pre_.starttls_name = c_.starttls.starts_with("xmpp") ? target_.host : "localhost";
  options_ = options_from(c_.tls, /*server=*/false);
  if (options_.ca_certs) {
    trust_ = {options_.ca_certs, "flag"};
  } else if (options_.cert_reqs != CertReqs::none) {
    const char* env = std::getenv("SSL_CERT_FILE");
    if (env != nullptr && *env != '\0') {
      trust_ = {env, "SSL_CERT_FILE"};
    } else if (exists(kSystemBundle, false)) {
      trust_ = {kSystemBundle, "system"};
    } else if (exists(kSystemDirectory, true)) {
      trust_ = {kSystemDirectory, "system"};
    }
    options_.ca_certs = trust_.path;
    if (trust_.path) spdlog::info("trust anchors from {} ({})", *trust_.path, trust_.source);
  }
  if (!trust_.path) trust_.source = "none";

  // The name sent as SNI and checked: --server-hostname, else HOST (an IP
  // literal is checked against iPAddress SANs and not sent), in the form
  // the library puts on the wire (no trailing dot, A-labels).
  const std::string& host = target_.host;
  if (!c_.server_hostname.empty()) {
    server_hostname_ = normalized(c_.server_hostname, "--server-hostname");
  } else if (!c_.no_server_hostname) {
    server_hostname_ = normalized(host, "--host");
  }
  options_.server_hostname = server_hostname_;
  setup_facts_.verify.mode = options_.cert_reqs;
  setup_facts_.verify.enforced = options_.cert_reqs != CertReqs::none;
  setup_facts_.verify.hostname = server_hostname_;
  setup_facts_.handshake.deferred = c_.tls.defer_handshake;
  setup_facts_.nonblocking = c_.tls.nonblocking;

  context_ = Context::create(options_);
  for (const auto& w : context_->warnings()) spdlog::warn("{}", w);

  if (!c_.sess_in.empty()) check_session_in();
  if (!c_.recv_file.empty()) {
    recv_file_.reset(std::fopen(c_.recv_file.c_str(), "wb"));
    if (!recv_file_)
      throw Error(ErrorKind::bad_file,
                  "--recv-file '" + c_.recv_file + "': cannot open for writing: " + std::strerror(errno));
  }

  if (!c_.send_text.empty()) {
    payload_ = c_.send_text;
  } else if (!c_.send_file.empty()) {
    std::ifstream in(c_.send_file, std::ios::binary);
    if (!in) throw Error(ErrorKind::bad_file, "send-file '" + c_.send_file + "': cannot open");
    payload_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) throw Error(ErrorKind::bad_file, "send-file '" + c_.send_file + "': read error");
  } else if (c_.use_stdin) {
    payload_.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
}

// Decodes --sess-in and lets wolfSSL parse it on a socket that never sees
// the network, so a bad file is a configuration error (exit 2) before
// anything is sent.
void ClientRun::check_session_in() {
  std::string session = read_session_file(c_.sess_in);
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    throw Error(ErrorKind::internal, "socketpair() failed");
  const UniqueFd other(pair[1]);
  std::unique_ptr<SslSocket> probe;
  try {
    probe = context_->wrap(std::make_unique<FdTransport>(pair[0]),
                           WrapArgs{server_hostname_, false, session, std::nullopt});
  } catch (const Error& e) {
    throw Error(ErrorKind::bad_file, "--sess-in '" + c_.sess_in + "': " + e.message());
  }
  session_offered_ = probe->session_offered();
  if (!*session_offered_) {
    spdlog::warn("--sess-in '{}': the saved session has expired; not offering it (full handshake)", c_.sess_in);
    return;
  }
  resume_ = std::move(session);
}

void ClientRun::run_connection(Conn& conn) {
  conn.start = Clock::now();
  conn.facts = setup_facts_;
  try {
    connect(conn);
    wrap(conn);
    if (!c_.tls.defer_handshake) handshake(conn);
    if (!payload_.empty()) send_payload(conn);
    read_phase(conn);
    if (session_wanted(conn)) wait_for_ticket(conn);
  } catch (const Error& e) {
    conn.error = ErrorInfo::from(e);
    if (!conn.socket) conn.facts = record_of(nullptr, &e, conn.facts);
    if (conn.phase == Phase::handshake && conn.socket && conn.socket->handshake().done) conn.phase = Phase::data;
  } catch (const std::exception& e) {
    conn.error = ErrorInfo{ErrorKind::internal, e.what()};
  }
  end_connection(conn);
}

void ClientRun::connect(Conn& conn) {
  conn.phase = Phase::connect;
  Deadline limit = Clock::now() + milliseconds(c_.connect_timeout_ms);
  if (deadline_ && *deadline_ < *limit) limit = deadline_;
  const auto begin = Clock::now();
  Connection connection = pre_.proxy ? connect_tcp(pre_.proxy->host, pre_.proxy->port, limit)
                                     : connect_tcp(target_.connect_host, target_.connect_port, limit);
  conn.timing.connect = elapsed_ms(begin);
  conn.peer = connection.peer;
  conn.fd = std::move(connection.fd);
  if (pre_.proxy || !pre_.starttls.empty()) run_pre_tls(conn.fd.get(), pre_, deadline_, conn.pre);
}

void ClientRun::wrap(Conn& conn) {
  conn.phase = Phase::handshake;
  auto transport = std::make_unique<DeadlineTransport>(conn.fd.release(), !c_.tls.nonblocking, deadline_);
  DeadlineTransport* raw = transport.get();
  // Always wrap with do_handshake=False and run an eager handshake right
  // after (handshake()), so every wait is bounded by --timeout; the library
  // records it as eager, triggered by wrap.
  WrapArgs args{server_hostname_, false, resume_, std::nullopt};
  if (!c_.tls.defer_handshake) args.eager_trigger = "wrap";
  conn.socket = context_->wrap(std::move(transport), args);
  SslSocket* socket = conn.socket.get();
  raw->set_nonblocking_when([socket] { return socket->handshake().done; });
}

void ClientRun::handshake(Conn& conn) {
  SslSocket& socket = *conn.socket;
  conn.handshake_start = Clock::now();
  if (socket.blocking()) {
    socket.do_handshake();  // every wait is bounded by the deadline
  } else {
    while (!socket.do_handshake())
      wait_ready(conn, socket.want() == Want::write ? POLLOUT : POLLIN, "during the handshake");
  }
  note_progress(conn);
}

// Sends the payload, reading whatever arrives meanwhile: an echo server
// stops reading once its replies cannot be sent, and a client that only
// wrote would then wait for it forever.
void ClientRun::send_payload(Conn& conn) {
  SslSocket& socket = *conn.socket;
  if (!conn.handshake_start) conn.handshake_start = Clock::now();
  std::string_view rest = payload_;
  while (!rest.empty()) {
    const auto n = socket.write(rest);
    note_progress(conn);
    if (n && *n > 0) {
      rest.remove_prefix(*n);
      continue;
    }
    if (!socket.handshake().done) {
      wait_ready(conn, POLLOUT, "during the handshake");
      continue;
    }
    wait_writable_reading(conn);
    if (conn.peer_closed) {
      spdlog::warn("the server closed the connection with {} byte(s) still to send", rest.size());
      return;
    }
  }
  // The socket accepted every byte; a record may still wait to be sent.
  while (!socket.write(std::string_view{})) {
    wait_writable_reading(conn);
    if (conn.peer_closed) return;
  }
  conn.phase = Phase::data;
}

bool ClientRun::read_limit_reached(const Conn& conn) const {
  return c_.read_bytes != 0 && conn.received >= c_.read_bytes;
}

// Reads what has arrived, without waiting (the handshake is done).
void ClientRun::read_available(Conn& conn) {
  while (!conn.peer_closed && !read_limit_reached(conn)) {
    std::size_t n = kReadChunk;
    if (c_.read_bytes != 0) n = static_cast<std::size_t>(std::min<std::uint64_t>(n, c_.read_bytes - conn.received));
    const auto data = conn.socket->read(n);
    if (!data) return;
    if (data->empty()) {
      spdlog::info("the server closed the connection (close_notify)");
      conn.peer_closed = true;
      return;
    }
    output(conn, *data);
  }
}

void ClientRun::wait_writable_reading(Conn& conn) {
  for (;;) {
    const bool can_read = !conn.peer_closed && !read_limit_reached(conn);
    const auto events = static_cast<short>(POLLOUT | (can_read ? POLLIN : 0));
    const int ms = poll_timeout(deadline_);
    const short ready = ms != 0 ? conn.socket->poll(events, milliseconds(ms)) : 0;
    if (ready == 0) {
      if (expired(deadline_)) fail_timeout("while sending");
      continue;
    }
    if (can_read && (ready & POLLIN)) read_available(conn);
    if ((ready & ~POLLIN) != 0 || conn.peer_closed) return;  // writable, or an error the write will report
  }
}

// How long reading may stay idle once the handshake is done: --read-timeout;
// none with --read-bytes; 1 s for the reply after sending; and with nothing
// sent, the late-alert drain. A TLS 1.3 server judges the client certificate
// after the client's Finished, so its rejection arrives about one round trip
// after the handshake completed here: wait for it only when the server asked
// for a certificate (otherwise nothing can come), at least 200 ms and at
// least two measured round trips.
std::optional<milliseconds> ClientRun::read_idle_limit(Conn& conn) const {
  if (c_.read_timeout_ms >= 0) return milliseconds(c_.read_timeout_ms);
  if (c_.read_bytes != 0) return std::nullopt;
  if (!payload_.empty()) return kReplyIdleTimeout;
  const SslSocket& socket = *conn.socket;
  const HandshakeInfo& hs = socket.handshake();
  if (!hs.certificate_requested || socket.tls_version() != std::optional<std::string>("TLSv1.3"))
    return milliseconds(0);
  milliseconds window = kDrainWindow;
  if (hs.round_trip) window = std::max(window, std::chrono::ceil<milliseconds>(kDrainRoundTrips * *hs.round_trip));
  conn.drain_window = window;
  spdlog::info("the server asked for a client certificate: waiting {} ms for a late rejection", window.count());
  return window;
}

void ClientRun::read_phase(Conn& conn) {
  SslSocket& socket = *conn.socket;
  if (!conn.handshake_start) conn.handshake_start = Clock::now();
  std::optional<milliseconds> idle;
  bool idle_known = false;
  auto last_data = Clock::now();
  std::optional<Clock::time_point> drain_start;
  // Records how long the drain waited, however reading ends.
  struct DrainClock {
    Conn& conn;
    const std::optional<Clock::time_point>& start;
    ~DrainClock() {
      if (conn.drain_window && start) conn.drain_waited = elapsed_ms(*start);
    }
  } drain_clock{conn, drain_start};
  // Decided once, as soon as the handshake is done (before the first read
  // after it, or right after the read that completed a deferred handshake).
  const auto decide_idle = [&] {
    if (idle_known || !socket.handshake().done) return;
    idle = read_idle_limit(conn);
    idle_known = true;
    last_data = Clock::now();
    if (conn.drain_window) drain_start = last_data;
  };
  while (!conn.peer_closed) {
    decide_idle();
    if (read_limit_reached(conn)) return;
    std::size_t n = kReadChunk;
    if (c_.read_bytes != 0) n = static_cast<std::size_t>(std::min<std::uint64_t>(n, c_.read_bytes - conn.received));
    const auto data = socket.read(n);
    note_progress(conn);
    if (data && data->empty()) {
      spdlog::info("the server closed the connection (close_notify)");
      conn.peer_closed = true;
      return;
    }
    if (data) {
      output(conn, *data);
      last_data = Clock::now();
      continue;
    }
    if (!socket.handshake().done) {
      wait_ready(conn, POLLIN, "during the handshake");
      last_data = Clock::now();
      continue;
    }
    conn.phase = Phase::data;
    decide_idle();
    const Deadline idle_end = idle ? Deadline(last_data + *idle) : std::nullopt;
    if (expired(idle_end)) return;
    if (socket.poll(POLLIN, milliseconds(poll_timeout(idle_end, deadline_))) != 0) continue;
    if (expired(idle_end)) return;
    if (expired(deadline_)) {
      if (c_.read_bytes != 0) fail_timeout("waiting for --read-bytes " + std::to_string(c_.read_bytes));
      return;  // --timeout ends optional reading
    }
  }
}

// A session is kept for the next connection (--reconnect) or for --sess-out.
bool ClientRun::session_wanted(const Conn& conn) const {
  return conn.index < static_cast<std::size_t>(c_.reconnect) || !c_.sess_out.empty();
}

// A TLS 1.3 server sends its session ticket after the handshake, in a
// message of its own: keep reading (bounded) until it arrived, else the
// next connection could not resume (the bug of `openssl s_client -reconnect`).
void ClientRun::wait_for_ticket(Conn& conn) {
  SslSocket& socket = *conn.socket;
  if (socket.session_ticket_received() || socket.tls_version() != std::optional<std::string>("TLSv1.3")) return;
  Deadline limit = Clock::now() + kTicketWait;
  if (deadline_ && *deadline_ < *limit) limit = deadline_;
  while (!socket.session_ticket_received() && !conn.peer_closed && !expired(limit)) {
    if (socket.poll(POLLIN, milliseconds(poll_timeout(limit))) == 0) continue;
    const auto data = socket.read(kReadChunk);
    if (data && data->empty()) conn.peer_closed = true;
    if (!data || data->empty() || read_limit_reached(conn)) continue;
    output(conn, data->substr(0, c_.read_bytes == 0 ? data->size() : c_.read_bytes - conn.received));
  }
  if (!socket.session_ticket_received())
    spdlog::warn("no TLS 1.3 session ticket from the server within {} ms: the session cannot be resumed",
                 kTicketWait.count());
}

void ClientRun::wait_ready(Conn& conn, short events, const std::string& doing) {
  for (;;) {
    const int ms = poll_timeout(deadline_);
    if (ms != 0 && conn.socket->poll(events, milliseconds(ms)) != 0) return;
    if (expired(deadline_)) fail_timeout(doing);
  }
}

void ClientRun::fail_timeout(const std::string& doing) {
  throw Error(ErrorKind::timeout, "timed out after " + std::to_string(c_.timeout_ms) + " ms (--timeout) " + doing);
}

void ClientRun::note_progress(Conn& conn) {
  if (conn.timing.handshake || !conn.socket->handshake().done) return;
  const auto& took = conn.socket->handshake().duration;
  conn.timing.handshake = took ? static_cast<double>(took->count()) / 1000.0 : elapsed_ms(*conn.handshake_start);
  spdlog::info("handshake done: {} {}{}", conn.socket->tls_version().value_or("?"), conn.socket->cipher().value_or("?"),
               conn.socket->session_reused() ? ", resumed" : "");
  if (options_.cert_reqs == CertReqs::none && conn.index == 0)
    spdlog::warn(
        "the server certificate was NOT verified (--cert-reqs none); the report shows what verification found");
  conn.phase = Phase::data;
  if (!c_.common.json && conn.index == 0) {
    snapshot(conn);
    print_header(conn);
  }
}

void ClientRun::output(Conn& conn, const std::string& data) {
  conn.received += data.size();
  if (recv_file_ && !data.empty() && std::fwrite(data.data(), 1, data.size(), recv_file_.get()) != data.size())
    throw Error(ErrorKind::bad_file, "--recv-file '" + c_.recv_file + "': write error");
  if (c_.common.json || data.empty()) return;
  std::fwrite(data.data(), 1, data.size(), stdout);
  std::fflush(stdout);
  data_needs_newline_ = data.back() != '\n';
}

void ClientRun::snapshot(Conn& conn) {
  if (!conn.socket) return;
  conn.facts = conn.socket->record();
  conn.ticket_received = conn.socket->session_ticket_received();
}

// A failure after which the server may still be sending, or may not have read
// the alert the client sent: not when the connection is gone or out of time.
bool lingers_after(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::connection_reset:
    case ErrorKind::truncated_eof:
    case ErrorKind::timeout:
    case ErrorKind::closed:
      return false;
    default:
      return true;
  }
}

void ClientRun::end_connection(Conn& conn) {
  snapshot(conn);
  if (conn.socket && !conn.error && conn.facts.handshake.done) {
    // TLS 1.2 resumes from the handshake itself (session ID or ticket);
    // TLS 1.3 only with a ticket.
    if (conn.ticket_received || conn.facts.version == std::optional<std::string>("TLSv1.2")) {
      if (auto session = conn.socket->session()) {
        resume_ = std::move(session);
        session_from_run_ = true;
      }
    }
  }
  if (conn.socket && conn.error && lingers_after(conn.error->kind)) linger_before_close(conn.socket->fileno());
  if (conn.socket) conn.socket->close();
  conn.timing.total = elapsed_ms(*conn.start);
  conn.exit_code = conn.error ? exit_code_for(conn.error->kind, conn.phase, conn.error->alert) : kExitOk;
  if (conn.error) {
    const std::string which = c_.reconnect > 0 ? "connection " + std::to_string(conn.index + 1) + ": " : "";
    spdlog::error("{}{}", which, describe(*conn.error));
  }
  if (c_.common.json || c_.reconnect == 0) return;
  if (conn.index == 0) {
    if (!header_printed_) print_header(conn);
    print_bytes(conn);
  } else {
    print_reconnect(conn);
  }
}

void ClientRun::save_session() {
  if (c_.sess_out.empty()) return;
  if (conns_.back().error) return;  // the run failed: whatever FILE holds stays
  if (!session_from_run_) {
    spdlog::warn("--sess-out '{}' not written: {}", c_.sess_out,
                 conns_.back().facts.version == std::optional<std::string>("TLSv1.3")
                     ? "the server sent no TLS 1.3 session ticket"
                     : "wolfSSL has no session to save");
    return;
  }
  try {
    write_session_file(c_.sess_out, *resume_);
    session_saved_ = true;
    spdlog::info("session saved to {}", c_.sess_out);
  } catch (const Error& e) {
    conns_.back().error = ErrorInfo::from(e);
    conns_.back().exit_code = kExitUsage;
    spdlog::error("{}", describe(*conns_.back().error));
  }
}

int ClientRun::finish() {
  if (recv_file_ && std::fflush(recv_file_.get()) != 0) spdlog::error("--recv-file '{}': write error", c_.recv_file);
  // The run's outcome: setup's error, or the first connection that failed.
  int exit_code = setup_error_ ? exit_code_for(setup_error_->kind, Phase::setup, setup_error_->alert) : kExitOk;
  for (const auto& conn : conns_) {
    if (exit_code != kExitOk) break;
    exit_code = conn.exit_code;
  }
  if (setup_error_) spdlog::error("{}", describe(*setup_error_));
  Json report = report_json(exit_code);
  std::vector<ExpectationResult> results;
  const int outcome = exit_code;
  if (!expectations_.empty()) {
    results = evaluate(expectations_, report);
    report["expectations"] = expectations_json(results);
    // A configuration error (or a bug) is not an outcome the expectations can be about: it stays.
    if (outcome != kExitUsage && outcome != kExitInternal) exit_code = all_hold(results) ? kExitOk : kExitExpectation;
    report["exit_code"] = exit_code;
    for (const auto& r : results) {
      if (!r.ok) spdlog::error("expectation failed: {}", describe(r).substr(8));
    }
    spdlog::info("expectations: {} of {} held (the run's own exit code was {})",
                 std::count_if(results.begin(), results.end(), [](const auto& r) { return r.ok; }), results.size(),
                 outcome);
  }
  if (c_.common.json) {
    print_json_line(report);
  } else if (!setup_error_ || !results.empty()) {  // a setup error: the log line on stderr says it all
    if (!setup_error_ && !header_printed_ && first() != nullptr) print_header(*first());
    print_trailer(outcome);
    for (const auto& r : results) print_line("expect", describe(r));
    if (!results.empty()) {
      const auto held = std::count_if(results.begin(), results.end(), [](const auto& r) { return r.ok; });
      print_line("expectations", std::to_string(held) + " of " + std::to_string(results.size()) + " held: exit " +
                                     std::to_string(exit_code));
    }
  }
  std::fflush(stdout);
  return exit_code;
}

void ClientRun::print_header(const Conn& conn) {
  header_printed_ = true;
  const ConnectionRecord& f = conn.facts;
  std::string target = join_host_port(target_.host, target_.port);
  if (target_.redirected) target += " via --connect-to " + join_host_port(target_.connect_host, target_.connect_port);
  if (pre_.proxy) target += " through the proxy";
  if (conn.peer) {
    print_line("connect", to_string(*conn.peer) + " (" + target + ") in " + format_ms(*conn.timing.connect));
  } else {
    print_line("connect", target + ": not connected");
  }
  print_pre_tls(conn.pre, &print_line);
  if (!conn.socket) return;
  if (f.version)
    print_line("tls", *f.version + ", " + f.cipher.value_or("?") + (tls_json(f)["legacy"] == true ? " (legacy)" : ""));
  print_line("kex", key_exchange_summary(f));
  if (!options_.alpn.empty()) {
    print_line("alpn", f.alpn ? *f.alpn : "none selected (offered " + join(options_.alpn, ",") + ")");
  }
  if (resume_ || session_offered_ || c_.reconnect > 0 || !c_.sess_out.empty()) {
    std::string text = f.resumed ? "resumed" : "new (full handshake)";
    if (session_offered_ == false && &conn == first()) text += "; the --sess-in session had expired";
    if (f.handshake.done) print_line("session", text);
  }
  print_line("sni", f.sni ? *f.sni : "none sent");
  const HandshakeInfo& hs = f.handshake;
  std::string how = hs.deferred ? "deferred" : "eager";
  how += hs.trigger.empty() ? "" : " (trigger " + hs.trigger + ")";
  how += f.nonblocking ? ", non-blocking" : ", blocking";
  if (conn.timing.handshake) how += ", " + format_ms(*conn.timing.handshake);
  how += ", would-block steps: read " + std::to_string(hs.want_read) + ", write " + std::to_string(hs.want_write);
  if (!hs.done) how += ", not completed";
  print_line("handshake", how);
  if (!f.peer_chain.empty()) {
    const CertificateInfo& leaf = f.peer_chain.front();
    print_line("certificate", "subject " + leaf.subject);
    print_line("", "issuer  " + leaf.issuer);
    if (!leaf.san.empty()) print_line("", "san     " + join(leaf.san, ", "));
    print_line("", "valid   " + leaf.not_before + " .. " + leaf.not_after);
    print_line("", "sha256  " + leaf.sha256);
    print_line("", "chain   " + std::to_string(f.peer_chain.size()) + " certificate(s) sent by the server");
    for (std::size_t i = 0; i < f.peer_chain.size(); ++i)
      print_line(
          "", "  [" + std::to_string(i) + "] " + f.peer_chain[i].subject + " (" + key_summary(f.peer_chain[i]) + ")");
  }
  if (f.resumed && !f.verify.performed) {
    // No certificate is exchanged when a session is resumed: nothing was verified in this handshake.
    print_line("verify", "not checked: resumed session, no certificate in this handshake (cert-reqs " +
                             std::string(cert_reqs_name(f.verify.mode)) + ")");
  } else {
    print_line("verify", verify_summary(f.verify, false));
    const auto problems = problem_lines(f.verify);
    for (std::size_t i = 1; i < problems.size(); ++i) print_line("", "also " + problems[i]);
  }
  if (c_.show_certs) {
    for (const auto& cert : f.peer_chain) std::printf("%s", cert.pem().c_str());
  }
  std::fflush(stdout);
}

void ClientRun::print_bytes(const Conn& conn) {
  if (data_needs_newline_) std::printf("\n");
  data_needs_newline_ = false;
  if (!conn.socket) return;
  if (conn.drain_window) {
    const auto& rtt = conn.facts.handshake.round_trip;
    print_line("drain", "waited " + format_ms(conn.drain_waited.value_or(0)) +
                            " for a late alert (the server asked for a client certificate; window " +
                            std::to_string(conn.drain_window->count()) + " ms: at least 200 ms and 2 x round trip " +
                            (rtt ? format_ms(static_cast<double>(rtt->count()) / 1000.0) : std::string("unknown")) +
                            ")");
  }
  std::string bytes =
      "sent " + std::to_string(conn.facts.bytes_sent) + ", received " + std::to_string(conn.facts.bytes_received);
  if (conn.peer_closed) bytes += ", server sent close_notify";
  print_line("bytes", bytes);
}

// "reconnect 1  resumed, TLSv1.3 TLS_AES_128_GCM_SHA256, handshake 1.2 ms, sent 4, received 4"
void ClientRun::print_reconnect(const Conn& conn) {
  if (data_needs_newline_) std::printf("\n");
  data_needs_newline_ = false;
  const ConnectionRecord& f = conn.facts;
  std::string text;
  if (f.handshake.done) {
    text = std::string(f.resumed ? "resumed" : "NOT resumed (full handshake)") + ", " + f.version.value_or("?") + " " +
           f.cipher.value_or("?");
    if (conn.timing.handshake) text += ", handshake " + format_ms(*conn.timing.handshake);
    text += ", sent " + std::to_string(f.bytes_sent) + ", received " + std::to_string(f.bytes_received);
  }
  if (conn.error) {
    text += (text.empty() ? "" : "; ") + std::string("FAILED (exit ") + std::to_string(conn.exit_code) + ") " +
            describe(*conn.error);
  }
  print_line("reconnect " + std::to_string(conn.index), text);
  std::fflush(stdout);
}

void ClientRun::print_trailer(int outcome) {
  const Conn* conn = first();
  if (c_.reconnect == 0 && conn != nullptr) print_bytes(*conn);
  if (session_saved_) print_line("session", "saved to " + c_.sess_out);
  std::string time;
  if (conn != nullptr && conn->timing.connect) time += "connect " + format_ms(*conn->timing.connect) + ", ";
  if (conn != nullptr && conn->timing.handshake) time += "handshake " + format_ms(*conn->timing.handshake) + ", ";
  time += "total " + format_ms(elapsed_ms(start_));
  print_line("time", time);
  const auto error = first_error();
  if (!error) {
    print_line("result", "ok");
    return;
  }
  print_line("result", "FAILED (exit " + std::to_string(outcome) + ") " + describe(*error));
}

// The run's error: setup's, or the first connection's that failed.
std::optional<ErrorInfo> ClientRun::first_error() const {
  if (setup_error_) return setup_error_;
  for (const auto& c : conns_) {
    if (c.error) return c.error;
  }
  return std::nullopt;
}

Json connection_summary(const Conn& conn) {
  const ConnectionRecord& f = conn.facts;
  auto or_null = [](const std::optional<std::string>& v) { return v ? Json(*v) : Json(nullptr); };
  return Json{
      {"ok", !conn.error.has_value()},
      {"error", error_json(conn.error)},
      {"exit_code", conn.exit_code},
      {"tls",
       Json{{"version", or_null(f.version)}, {"cipher", or_null(f.cipher)}, {"group", or_null(f.negotiation.group)}}},
      {"alpn", or_null(f.alpn)},
      {"resumed", f.resumed},
      {"ticket_received", conn.ticket_received},
      {"bytes", Json{{"sent", f.bytes_sent}, {"received", f.bytes_received}}},
      {"timing_ms", Json{{"connect", ms_or_null(conn.timing.connect)},
                         {"handshake", ms_or_null(conn.timing.handshake)},
                         {"total", ms_or_null(conn.timing.total)}}},
      {"peer_closed", conn.peer_closed},
      {"hello_retry_request", f.negotiation.hello_retry_request}};
}

std::string ClientRun::expectation_path_error() const {
  Json shape = report_json(kExitOk);
  add_example_connection_fields(shape);
  Conn example;
  example.error = ErrorInfo{};
  shape["connections"] = Json::array({connection_summary(example)});
  // The objects a proxy or STARTTLS run adds (null in a plain report).
  shape["proxy"] = ProxyReport{}.json();
  shape["starttls"] = StarttlsReport{}.json();
  return check_paths(expectations_, shape);
}

// The late-alert drain of a connection (docs/cli.md, "drain").
Json drain_json(const Conn* conn) {
  if (conn == nullptr || !conn->socket)
    return Json{
        {"certificate_requested", nullptr}, {"round_trip_ms", nullptr}, {"window_ms", nullptr}, {"waited_ms", nullptr}};
  const HandshakeInfo& hs = conn->facts.handshake;
  const std::optional<double> rtt =
      hs.round_trip ? std::optional<double>(static_cast<double>(hs.round_trip->count()) / 1000.0) : std::nullopt;
  return Json{{"certificate_requested", hs.certificate_requested},
              {"round_trip_ms", ms_or_null(rtt)},
              {"window_ms", conn->drain_window ? Json(conn->drain_window->count()) : Json(nullptr)},
              {"waited_ms", ms_or_null(conn->drain_waited)}};
}

Json ClientRun::report_json(int exit_code) const {
  const Conn* conn = first();
  // The connection fields describe the first connection; ok and error say
  // whether the whole run (every connection) worked.
  const std::optional<ErrorInfo> error = first_error();
  Timing timing;
  if (conn != nullptr) timing = conn->timing;
  timing.total = elapsed_ms(start_);
  Json j;
  j["schema"] = kSchemaVersion;
  add_connection_fields(j, conn != nullptr ? conn->facts : setup_facts_, error, timing, c_.show_certs);
  j["exit_code"] = exit_code;
  const bool parsed = target_.port != 0;  // setup may have failed on the address itself
  j["target"] =
      Json{{"host", parsed ? Json(target_.host) : Json(c_.host)},
           {"port", parsed ? Json(target_.port) : Json(nullptr)},
           {"address", conn != nullptr && conn->peer ? Json(conn->peer->address) : Json(nullptr)},
           {"server_hostname", server_hostname_ ? Json(*server_hostname_) : Json(nullptr)},
           {"ca_certs", trust_.path ? Json(*trust_.path) : Json(nullptr)},
           {"ca_source", trust_.source},
           {"connect_to",
            target_.redirected ? Json(join_host_port(target_.connect_host, target_.connect_port)) : Json(nullptr)}};
  j["peer_closed"] = conn != nullptr && conn->peer_closed;
  Json connections = Json::array();
  for (const auto& c : conns_) connections.push_back(connection_summary(c));
  j["connections"] = connections;
  j["session"] = Json{{"in", c_.sess_in.empty() ? Json(nullptr) : Json(c_.sess_in)},
                      {"out", c_.sess_out.empty() ? Json(nullptr) : Json(c_.sess_out)},
                      {"saved", session_saved_},
                      {"offered", session_offered_ ? Json(*session_offered_) : Json(nullptr)}};
  j["drain"] = drain_json(conn);
  j["proxy"] = conn != nullptr && conn->pre.proxy ? conn->pre.proxy->json() : Json(nullptr);
  j["starttls"] = conn != nullptr && conn->pre.starttls ? conn->pre.starttls->json() : Json(nullptr);
  j["expectations"] = Json::array();
  return j;
}

}  // namespace

int run_client(const ClientConfig& config) {
  if (config.scan.enabled) return run_scan(config);
  return ClientRun(config).run();
}

void print_client_usage_error(const std::string& message) {
  Json j;
  j["schema"] = kSchemaVersion;
  ConnectionRecord none;
  add_connection_fields(j, none, ErrorInfo{ErrorKind::usage, message}, Timing{}, false);
  j["verify"]["mode"] = nullptr;
  j["verify"]["enforced"] = nullptr;
  j["handshake"]["deferred"] = nullptr;
  j["handshake"]["nonblocking"] = nullptr;
  j["exit_code"] = kExitUsage;
  j["target"] =
      Json{{"host", nullptr},     {"port", nullptr},      {"address", nullptr},   {"server_hostname", nullptr},
           {"ca_certs", nullptr}, {"ca_source", nullptr}, {"connect_to", nullptr}};
  j["peer_closed"] = false;
  j["connections"] = Json::array();
  j["session"] = Json{{"in", nullptr}, {"out", nullptr}, {"saved", false}, {"offered", nullptr}};
  j["drain"] = drain_json(nullptr);
  j["proxy"] = nullptr;
  j["starttls"] = nullptr;
  j["expectations"] = Json::array();
  print_json_line(j);
}

}  // namespace ussl::apps
