// ussl-client: the run's set-up and connect phases -- the target address,
// the trust store, --sess-in, the payload, then TCP, the proxy and STARTTLS
// before TLS -- and the run of the connections; see client_run.hpp.
#include "client/client.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>

#include "client/client_run.hpp"
#include "common/session_file.hpp"

namespace ussl::apps {
namespace client {
namespace {

constexpr const char* kSystemBundle = "/etc/ssl/certs/ca-certificates.crt";
constexpr const char* kSystemDirectory = "/etc/ssl/certs";

bool exists(const char* path, bool directory) {
  struct stat st {};
  return ::stat(path, &st) == 0 && (directory ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
}

}  // namespace

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

}  // namespace client

int run_client(const ClientConfig& config) {
  if (config.scan.enabled) return run_scan(config);
  return client::ClientRun(config).run();
}

}  // namespace ussl::apps
