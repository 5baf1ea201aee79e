// ussl-client's report: the run's outcome and --expect, the human report
// on stdout (header, bytes, reconnections, trailer) and the JSON report,
// including the one for a command line that did not parse.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "client/client_run.hpp"
#include "common/text.hpp"

namespace ussl::apps {
namespace client {
namespace {

void print_line(const std::string& label, const std::string& text) {
  // The values quote the server (names, certificates, alerts): escaped.
  std::printf("%-12s %s\n", label.c_str(), escape_text(text).c_str());
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

}  // namespace

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

}  // namespace client

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
  j["drain"] = client::drain_json(nullptr);
  j["proxy"] = nullptr;
  j["starttls"] = nullptr;
  j["expectations"] = Json::array();
  print_json_line(j);
}

}  // namespace ussl::apps
