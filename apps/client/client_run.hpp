// ussl-client's run (internal to the client): one ClientRun per invocation
// makes the connection(s) -- the first, then --reconnect's -- and prints one
// report. client.cpp sets up and connects (the address, trust store, session
// file, payload, proxy and STARTTLS before TLS); connection.cpp runs each
// connection's TLS (wrap, handshake, send, read, session ticket, close);
// client_report.cpp prints the human report and builds the JSON one.
#pragma once

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/client.hpp"
#include "client/pre_tls.hpp"
#include "common/address.hpp"
#include "common/exit_codes.hpp"
#include "common/expect.hpp"
#include "common/net.hpp"
#include "common/report.hpp"
#include "ussl/ussl.hpp"

namespace ussl::apps::client {

using std::chrono::milliseconds;

inline constexpr std::size_t kReadChunk = 16384;
// Nothing sent, TLS 1.3, and the server asked for a client certificate: wait
// at least this long, and at least kDrainRoundTrips handshake round trips,
// for a late rejection of it.
inline constexpr milliseconds kDrainWindow{200};
inline constexpr int kDrainRoundTrips = 2;
inline constexpr milliseconds kReplyIdleTimeout{1000};  // after sending: wait for the reply
inline constexpr milliseconds kTicketWait{2000};        // TLS 1.3: wait this long for a session ticket

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

// The late-alert drain of a connection (docs/cli.md, "drain"), for the report.
Json drain_json(const Conn* conn);

}  // namespace ussl::apps::client
