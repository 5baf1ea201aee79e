// ussl-server's events, as JSON lines (--json) or the human report: the
// server's "listening", "error" and "stopped", and each connection's
// "accepted", "handshake" and "closed". The fields shared with the client's
// report come from common/report.cpp.
#include "server/events.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "common/exit_codes.hpp"
#include "common/expect.hpp"
#include "common/report.hpp"
#include "common/text.hpp"
#include "server/process.hpp"
#include "server/worker.hpp"

namespace ussl::apps {

std::string_view close_reason_name(CloseReason reason) noexcept {
  switch (reason) {
    case CloseReason::served:
      return "served";
    case CloseReason::peer_closed:
      return "peer_closed";
    case CloseReason::failed:
      return "failed";
    case CloseReason::shutdown:
      return "shutdown";
  }
  return "failed";
}

std::string_view stop_reason_name(StopReason reason) noexcept {
  switch (reason) {
    case StopReason::accept_limit:
      return "accept_limit";
    case StopReason::signal:
      return "signal";
    case StopReason::internal_error:
      return "internal_error";
  }
  return "internal_error";
}

void print_server_usage_error(const std::string& message) {
  print_json_line(Json{{"event", "error"},
                       {"schema", kSchemaVersion},
                       {"error", error_json(ErrorInfo{ErrorKind::usage, message})},
                       {"exit_code", kExitUsage}});
}

// ---------------------------------------------------------------- the server's

void Server::emit_listening(const Endpoint& local, int loops) const {
  if (c_.common.json) {
    print_json_line(Json{{"event", "listening"},
                         {"schema", kSchemaVersion},
                         {"address", local.address},
                         {"port", local.port},
                         {"threads", loops}});
    return;
  }
  std::printf("listening on %s\n", to_string(local).c_str());
  std::fflush(stdout);
}

void Server::emit_start_error(const Error& error, int code) const {
  if (!c_.common.json) return;  // the log line says it
  print_json_line(Json{{"event", "error"},
                       {"schema", kSchemaVersion},
                       {"error", error_json(ErrorInfo::from(error))},
                       {"exit_code", code}});
}

void Server::emit_stopped() {
  const int code = exit_code();
  if (c_.common.json) {
    Json j{
        {"event", "stopped"},
        {"schema", kSchemaVersion},
        {"reason", std::string(stop_reason_name(stop_reason_))},
        {"connections", Json{{"accepted", accepted_}, {"ok", succeeded_}, {"failed", failed_}, {"dropped", dropped_}}},
        {"exit_code", code}};
    j["expectations_failed"] = expectations_.empty() ? Json(nullptr) : Json(expectations_failed_);
    print_json_line(j);
    return;
  }
  std::string expect;
  if (!expectations_.empty())
    expect = "; " + std::to_string(expectations_failed_) + " connection(s) failed an expectation";
  std::printf("stopped (%s): %llu connection(s), %llu ok, %llu failed, %llu dropped%s; exit %d\n",
              std::string(stop_reason_name(stop_reason_)).c_str(), static_cast<unsigned long long>(accepted_),
              static_cast<unsigned long long>(succeeded_), static_cast<unsigned long long>(failed_),
              static_cast<unsigned long long>(dropped_), expect.c_str(), code);
  std::fflush(stdout);
}

// ---------------------------------------------------------------- a connection's

void Worker::emit_accepted(const Conn& conn) {
  if (c_.common.json) {
    JsonWriter w;
    w.begin_object().field("event", "accepted").field("schema", kSchemaVersion).field("conn", conn.id);
    w.key("peer").begin_object().field("address", conn.peer.address).field("port", conn.peer.port).end_object();
    w.end_object();
    add_line(w);
    return;
  }
  human(conn, "accepted from " + to_string(conn.peer));
}

void Worker::emit_handshake(const Conn& conn, const std::optional<ErrorInfo>& error) {
  const auto& expectations = server_.expectations();
  if (!c_.common.json && expectations.empty()) {  // human lines only: no JSON text to build
    emit_handshake_text(conn, error, {});
    return;
  }
  const ConnectionRecord& f = conn.facts;
  const Phase phase = f.handshake.done ? Phase::data : Phase::handshake;
  const int code = error ? exit_code_for(error->kind, phase, error->alert) : kExitOk;
  Timing timing;
  timing.handshake = conn.handshake_ms;
  timing.total = elapsed_ms(conn.accepted);
  // Written as text (json_writer.hpp): this event goes out for every
  // handshake. Expectations are checked on the text parsed, only when given;
  // the human report also needs it only then.
  JsonWriter w;
  w.begin_object().field("event", "handshake").field("schema", kSchemaVersion).field("conn", conn.id);
  write_connection_fields(w, f, error, timing, false);
  w.field("exit_code", code);
  w.key("peer").begin_object().field("address", conn.peer.address).field("port", conn.peer.port).end_object();
  w.key("client_hello");
  write_client_hello(w, f.negotiation.client_hello);
  std::vector<ExpectationResult> results;
  if (!expectations.empty()) {
    results = evaluate(expectations, Json::parse(w.str() + "}"));
    const bool held = all_hold(results);
    server_.count_expectations(held);
    if (!held) {
      for (const auto& r : results) {
        if (!r.ok) spdlog::error("[{}] expectation failed: {}", conn.id, describe(r).substr(8));
      }
    }
  }
  if (!c_.common.json) {
    emit_handshake_text(conn, error, results);
    return;
  }
  w.key("expectations").raw(json_text(expectations_json(results)));
  if (conn.starttls) w.key("starttls").raw(json_text(conn.starttls->json()));
  w.end_object();
  add_line(w);
}

void Worker::emit_handshake_text(const Conn& conn, const std::optional<ErrorInfo>& error,
                                 const std::vector<ExpectationResult>& results) {
  const ConnectionRecord& f = conn.facts;
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

void Worker::emit_closed(const Conn& conn, CloseReason reason, const std::optional<ErrorInfo>& error, int code,
                         std::uint64_t sent, std::uint64_t received) {
  const double total = elapsed_ms(conn.accepted);
  if (c_.common.json) {
    JsonWriter w;
    w.begin_object().field("event", "closed").field("schema", kSchemaVersion).field("conn", conn.id);
    w.field("ok", !error.has_value());
    w.key("error");
    write_error(w, error);
    w.field("reason", close_reason_name(reason)).field("exit_code", code);
    w.key("bytes").begin_object().field("sent", sent).field("received", received).end_object();
    w.key("timing_ms").begin_object();
    write_ms(w, "total", total);
    w.end_object();
    if (conn.starttls) w.key("starttls").raw(json_text(conn.starttls->json()));
    w.end_object();
    add_line(w);
    return;
  }
  std::string text = "closed (" + std::string(close_reason_name(reason)) + "): received " + std::to_string(received) +
                     ", sent " + std::to_string(sent) + " bytes, " + format_ms(total);
  if (error) text += "; FAILED (exit " + std::to_string(code) + ") " + describe(*error);
  human(conn, text);
  if (conn.starttls) {
    const Json s = conn.starttls->json();
    for (const auto& line : s["dialogue"]) human(conn, "tls " + line.get<std::string>());
  }
}

void Worker::add_line(const JsonWriter& w) { out_.add_line(w.str()); }

void Worker::human(const Conn& conn, const std::string& text) {
  if (c_.common.json) return;
  // The text quotes the client (SNI, certificate names, error texts): escaped.
  out_.add_line("[" + std::to_string(conn.id) + "] " + escape_text(text));
}

}  // namespace ussl::apps
