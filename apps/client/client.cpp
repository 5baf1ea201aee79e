#include "client/client.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>

#include "common/exit_codes.hpp"
#include "common/net.hpp"
#include "common/report.hpp"
#include "ussl/ussl.hpp"

namespace ussl::apps {
namespace {

using std::chrono::milliseconds;

constexpr std::size_t kReadChunk = 16384;
constexpr milliseconds kDrainWindow{200};        // nothing sent: catch a late alert
constexpr milliseconds kReplyIdleTimeout{1000};  // after sending: wait for the reply
constexpr const char* kSystemBundle = "/etc/ssl/certs/ca-certificates.crt";
constexpr const char* kSystemDirectory = "/etc/ssl/certs";

bool exists(const char* path, bool directory) {
  struct stat st {};
  return ::stat(path, &st) == 0 && (directory ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
}

void print_line(const std::string& label, const std::string& text) {
  std::printf("%-12s %s\n", label.c_str(), text.c_str());
}

// Where the trust anchors come from, for the report.
struct TrustStore {
  std::optional<std::string> path;
  std::string source;  // "flag", "SSL_CERT_FILE", "system", "none"
};

class ClientRun {
 public:
  explicit ClientRun(const ClientConfig& config) : c_(config), start_(Clock::now()) {
    if (c_.timeout_ms > 0) deadline_ = start_ + milliseconds(c_.timeout_ms);
  }

  int run();

 private:
  void setup();
  void connect();
  void wrap();
  void handshake();
  void send_payload();
  void read_phase();
  void wait_ready(short events, const std::string& doing);
  void note_progress();
  void output(const std::string& data);
  [[noreturn]] void fail_timeout(const std::string& doing);
  void snapshot();
  int finish();
  void print_header();
  void print_trailer(int exit_code);
  Json report_json(int exit_code) const;

  const ClientConfig& c_;
  Clock::time_point start_;
  Deadline deadline_;
  Phase phase_ = Phase::setup;
  Options options_;
  TrustStore trust_;
  std::optional<std::string> server_hostname_;
  std::shared_ptr<const Context> context_;
  std::string payload_;
  std::optional<Endpoint> peer_;
  UniqueFd fd_;
  std::unique_ptr<SslSocket> socket_;
  std::optional<Clock::time_point> handshake_start_;
  TlsFacts facts_;
  Timing timing_;
  std::optional<ErrorInfo> error_;
  bool peer_closed_ = false;  // close_notify received
  bool header_printed_ = false;
  bool data_needs_newline_ = false;
};

int ClientRun::run() {
  try {
    setup();
    connect();
    wrap();
    if (!c_.tls.defer_handshake) handshake();
    if (!payload_.empty()) send_payload();
    read_phase();
  } catch (const Error& e) {
    error_ = ErrorInfo::from(e);
    if (phase_ == Phase::handshake && socket_ && socket_->handshake().done) phase_ = Phase::data;
  } catch (const std::exception& e) {
    error_ = ErrorInfo{ErrorKind::internal, e.what()};
  }
  return finish();
}

void ClientRun::setup() {
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

  const std::string host = unbracket(c_.host);
  if (!c_.server_hostname.empty()) {
    server_hostname_ = c_.server_hostname;
  } else if (!c_.no_server_hostname && !is_ip_literal(host)) {
    server_hostname_ = host;
  }
  options_.server_hostname = server_hostname_;
  facts_.verify.mode = options_.cert_reqs;
  facts_.verify.enforced = options_.cert_reqs != CertReqs::none;
  facts_.verify.hostname = server_hostname_;
  facts_.handshake.deferred = c_.tls.defer_handshake;
  facts_.nonblocking = c_.tls.nonblocking;

  context_ = Context::create(options_);

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

void ClientRun::connect() {
  phase_ = Phase::connect;
  Deadline limit = Clock::now() + milliseconds(c_.connect_timeout_ms);
  if (deadline_ && *deadline_ < *limit) limit = deadline_;
  const auto begin = Clock::now();
  Connection connection = connect_tcp(c_.host, static_cast<std::uint16_t>(c_.port), limit);
  timing_.connect = elapsed_ms(begin);
  peer_ = connection.peer;
  fd_ = std::move(connection.fd);
}

void ClientRun::wrap() {
  phase_ = Phase::handshake;
  auto transport = std::make_unique<DeadlineTransport>(fd_.release(), !c_.tls.nonblocking, deadline_);
  DeadlineTransport* raw = transport.get();
  // Always wrap with do_handshake=False and run an eager handshake right
  // after: when wrap itself fails, the socket (and what verification found)
  // is gone, and the report must still show the certificate it rejected.
  socket_ = context_->wrap(std::move(transport), server_hostname_, /*do_handshake=*/false);
  SslSocket* socket = socket_.get();
  raw->set_nonblocking_when([socket] { return socket->handshake().done; });
}

void ClientRun::handshake() {
  handshake_start_ = Clock::now();
  if (socket_->blocking()) {
    socket_->do_handshake();  // every wait is bounded by the deadline
  } else {
    while (!socket_->do_handshake())
      wait_ready(socket_->want() == Want::write ? POLLOUT : POLLIN, "during the handshake");
  }
  note_progress();
}

void ClientRun::send_payload() {
  if (!handshake_start_) handshake_start_ = Clock::now();
  std::string_view rest = payload_;
  while (!rest.empty()) {
    const auto n = socket_->write(rest);
    note_progress();
    if (n && *n > 0) {
      rest.remove_prefix(*n);
      continue;
    }
    wait_ready(POLLOUT, socket_->handshake().done ? "while sending" : "during the handshake");
  }
  // The socket accepted every byte; a record may still wait to be sent.
  while (!socket_->write(std::string_view{})) wait_ready(POLLOUT, "while sending");
  phase_ = Phase::data;
}

void ClientRun::read_phase() {
  if (!handshake_start_) handshake_start_ = Clock::now();
  std::optional<milliseconds> idle;
  if (c_.read_timeout_ms >= 0) {
    idle = milliseconds(c_.read_timeout_ms);
  } else if (c_.read_bytes == 0) {
    idle = payload_.empty() ? kDrainWindow : kReplyIdleTimeout;
  }
  std::uint64_t received = 0;
  auto last_data = Clock::now();
  for (;;) {
    if (c_.read_bytes != 0 && received >= c_.read_bytes) return;
    std::size_t n = kReadChunk;
    if (c_.read_bytes != 0) n = static_cast<std::size_t>(std::min<std::uint64_t>(n, c_.read_bytes - received));
    const auto data = socket_->read(n);
    note_progress();
    if (data && data->empty()) {
      spdlog::info("the server closed the connection (close_notify)");
      peer_closed_ = true;
      return;
    }
    if (data) {
      received += data->size();
      output(*data);
      last_data = Clock::now();
      continue;
    }
    if (!socket_->handshake().done) {
      wait_ready(POLLIN, "during the handshake");
      last_data = Clock::now();
      continue;
    }
    phase_ = Phase::data;
    const Deadline idle_end = idle ? Deadline(last_data + *idle) : std::nullopt;
    if (expired(idle_end)) return;
    if (socket_->poll(POLLIN, milliseconds(poll_timeout(idle_end, deadline_))) != 0) continue;
    if (expired(idle_end)) return;
    if (expired(deadline_)) {
      if (c_.read_bytes != 0) fail_timeout("waiting for --read-bytes " + std::to_string(c_.read_bytes));
      return;  // --timeout ends optional reading
    }
  }
}

void ClientRun::wait_ready(short events, const std::string& doing) {
  for (;;) {
    const int ms = poll_timeout(deadline_);
    if (ms != 0 && socket_->poll(events, milliseconds(ms)) != 0) return;
    if (expired(deadline_)) fail_timeout(doing);
  }
}

void ClientRun::fail_timeout(const std::string& doing) {
  throw Error(ErrorKind::timeout, "timed out after " + std::to_string(c_.timeout_ms) + " ms (--timeout) " + doing);
}

void ClientRun::note_progress() {
  if (timing_.handshake || !socket_->handshake().done) return;
  timing_.handshake = elapsed_ms(*handshake_start_);
  spdlog::info("handshake done: {} {}", socket_->tls_version().value_or("?"), socket_->cipher().value_or("?"));
  if (options_.cert_reqs == CertReqs::none)
    spdlog::warn(
        "the server certificate was NOT verified (--cert-reqs none); the report shows what verification found");
  phase_ = Phase::data;
  if (!c_.common.json) {
    snapshot();
    print_header();
  }
}

void ClientRun::output(const std::string& data) {
  if (c_.common.json) return;
  std::fwrite(data.data(), 1, data.size(), stdout);
  std::fflush(stdout);
  data_needs_newline_ = data.back() != '\n';
}

void ClientRun::snapshot() {
  if (!socket_) return;
  facts_ = facts_of(*socket_);
  // The client always wraps with do_handshake=False (see wrap()); report
  // the mode asked for: an eager handshake is triggered by wrap.
  facts_.handshake.deferred = c_.tls.defer_handshake;
  if (!c_.tls.defer_handshake && !facts_.handshake.trigger.empty()) facts_.handshake.trigger = "wrap";
  facts_.nonblocking = c_.tls.nonblocking;
  // The library reports the SNI it sent only once the handshake completed;
  // a ClientHello went out as soon as the handshake started.
  if (!facts_.sni && !facts_.handshake.trigger.empty() && server_hostname_ && !is_ip_literal(*server_hostname_))
    facts_.sni = server_hostname_;
}

int ClientRun::finish() {
  snapshot();
  if (socket_) socket_->close();
  timing_.total = elapsed_ms(start_);
  const int exit_code = error_ ? exit_code_for(error_->kind, phase_, error_->alert) : kExitOk;
  if (error_) spdlog::error("{}", describe(*error_));
  if (c_.common.json) {
    print_json_line(report_json(exit_code));
  } else if (!(error_ && phase_ == Phase::setup)) {  // a setup error: the log line on stderr says it all
    if (!header_printed_) print_header();
    print_trailer(exit_code);
  }
  std::fflush(stdout);
  return exit_code;
}

void ClientRun::print_header() {
  header_printed_ = true;
  const std::string target = c_.host + ":" + std::to_string(c_.port);
  if (peer_) {
    print_line("connect", to_string(*peer_) + " (" + target + ") in " + format_ms(*timing_.connect));
  } else {
    print_line("connect", target + ": not connected");
  }
  if (!socket_) return;
  if (facts_.version) print_line("tls", *facts_.version + ", " + facts_.cipher.value_or("?"));
  print_line("sni", facts_.sni ? *facts_.sni : "none sent");
  const HandshakeInfo& hs = facts_.handshake;
  std::string how = hs.deferred ? "deferred" : "eager";
  how += hs.trigger.empty() ? "" : " (trigger " + hs.trigger + ")";
  how += facts_.nonblocking ? ", non-blocking" : ", blocking";
  if (timing_.handshake) how += ", " + format_ms(*timing_.handshake);
  how += ", would-block steps: read " + std::to_string(hs.want_read) + ", write " + std::to_string(hs.want_write);
  if (!hs.done) how += ", not completed";
  print_line("handshake", how);
  if (!facts_.chain.empty()) {
    const CertificateInfo& leaf = facts_.chain.front();
    print_line("certificate", "subject " + leaf.subject);
    print_line("", "issuer  " + leaf.issuer);
    if (!leaf.san.empty()) print_line("", "san     " + join(leaf.san, ", "));
    print_line("", "valid   " + leaf.not_before + " .. " + leaf.not_after);
    print_line("", "sha256  " + leaf.sha256);
    print_line("", "chain   " + std::to_string(facts_.chain.size()) + " certificate(s) sent by the server");
  }
  print_line("verify", verify_summary(facts_.verify, false));
  if (c_.show_certs) {
    for (const auto& cert : facts_.chain) std::printf("%s", cert.pem().c_str());
  }
  std::fflush(stdout);
}

void ClientRun::print_trailer(int exit_code) {
  if (data_needs_newline_) std::printf("\n");
  if (socket_) {
    std::string bytes =
        "sent " + std::to_string(facts_.bytes_sent) + ", received " + std::to_string(facts_.bytes_received);
    if (peer_closed_) bytes += ", server sent close_notify";
    print_line("bytes", bytes);
  }
  std::string time;
  if (timing_.connect) time += "connect " + format_ms(*timing_.connect) + ", ";
  if (timing_.handshake) time += "handshake " + format_ms(*timing_.handshake) + ", ";
  time += "total " + format_ms(*timing_.total);
  print_line("time", time);
  if (!error_) {
    print_line("result", "ok");
    return;
  }
  print_line("result", "FAILED (exit " + std::to_string(exit_code) + ") " + describe(*error_));
}

Json ClientRun::report_json(int exit_code) const {
  Json j;
  j["schema"] = kSchemaVersion;
  add_connection_fields(j, facts_, error_, timing_, c_.show_certs);
  j["exit_code"] = exit_code;
  j["target"] = Json{{"host", c_.host},
                     {"port", c_.port},
                     {"address", peer_ ? Json(peer_->address) : Json(nullptr)},
                     {"server_hostname", server_hostname_ ? Json(*server_hostname_) : Json(nullptr)},
                     {"ca_certs", trust_.path ? Json(*trust_.path) : Json(nullptr)},
                     {"ca_source", trust_.source}};
  j["peer_closed"] = peer_closed_;
  return j;
}

}  // namespace

int run_client(const ClientConfig& config) { return ClientRun(config).run(); }

void print_client_usage_error(const std::string& message) {
  Json j;
  j["schema"] = kSchemaVersion;
  TlsFacts none;
  add_connection_fields(j, none, ErrorInfo{ErrorKind::usage, message}, Timing{}, false);
  j["verify"]["mode"] = nullptr;
  j["verify"]["enforced"] = nullptr;
  j["handshake"]["deferred"] = nullptr;
  j["handshake"]["nonblocking"] = nullptr;
  j["exit_code"] = kExitUsage;
  j["target"] = Json{{"host", nullptr},     {"port", nullptr},     {"address", nullptr}, {"server_hostname", nullptr},
                     {"ca_certs", nullptr}, {"ca_source", nullptr}};
  j["peer_closed"] = false;
  print_json_line(j);
}

}  // namespace ussl::apps
