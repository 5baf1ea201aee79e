#include "common/report.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <mutex>

namespace ussl::apps {

ErrorInfo ErrorInfo::from(const Error& error) {
  return {error.kind(), error.message(), error.wolfssl_code(), error.alert()};
}

TlsFacts facts_of(const SslSocket& socket) {
  TlsFacts facts;
  facts.handshake = socket.handshake();
  facts.nonblocking = !socket.blocking();
  facts.version = socket.tls_version();
  facts.cipher = socket.cipher();
  facts.sni = socket.sni();
  facts.alpn = socket.alpn();
  facts.resumed = socket.session_reused();
  facts.verify = socket.verify_result();
  facts.chain = socket.peer_chain();
  facts.bytes_sent = socket.bytes_written();
  facts.bytes_received = socket.bytes_read();
  return facts;
}

std::optional<std::string> verify_result_name(const VerifyResult& verify) {
  if (verify.failure) return "failed";
  if (verify.performed) return "ok";
  return std::nullopt;
}

namespace {

template <typename T>
Json or_null(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json verify_json(const VerifyResult& verify) {
  Json j;
  j["mode"] = std::string(cert_reqs_name(verify.mode));
  j["enforced"] = verify.enforced;
  j["verified"] = verify.verified();
  j["result"] = or_null(verify_result_name(verify));
  j["reason"] = verify.failure ? Json(verify.reason) : Json(nullptr);
  j["failure"] = verify.failure ? Json(std::string(error_kind_name(*verify.failure))) : Json(nullptr);
  j["depth"] = verify.failure && verify.depth >= 0 ? Json(verify.depth) : Json(nullptr);
  j["hostname"] = or_null(verify.hostname);
  j["hostname_ok"] = or_null(verify.hostname_ok);
  return j;
}

Json peer_certificate_json(const std::vector<CertificateInfo>& chain) {
  if (chain.empty()) return nullptr;
  Json j = certificate_json(chain.front(), false);
  j.erase("pem");
  j["chain_length"] = chain.size();
  return j;
}

}  // namespace

Json ms_or_null(const std::optional<double>& ms) {
  return ms ? Json(std::round(*ms * 1000.0) / 1000.0) : Json(nullptr);
}

Json error_json(const std::optional<ErrorInfo>& error) {
  if (!error) return nullptr;
  Json j;
  j["kind"] = std::string(error_kind_name(error->kind));
  j["message"] = error->message;
  j["wolfssl_code"] = error->wolfssl_code != 0 ? Json(error->wolfssl_code) : Json(nullptr);
  j["alert"] = error->alert >= 0 ? Json(alert_name(error->alert)) : Json(nullptr);
  j["alert_code"] = error->alert >= 0 ? Json(error->alert) : Json(nullptr);
  return j;
}

Json certificate_json(const CertificateInfo& cert, bool with_pem) {
  Json j;
  j["subject"] = cert.subject;
  j["issuer"] = cert.issuer;
  j["san"] = cert.san;
  j["not_before"] = cert.not_before;
  j["not_after"] = cert.not_after;
  j["sha256"] = cert.sha256;
  j["serial"] = cert.serial;
  j["pem"] = with_pem ? Json(cert.pem()) : Json(nullptr);
  return j;
}

Json tls_json(const TlsFacts& facts) {
  Json legacy = nullptr;
  if (facts.version) legacy = is_legacy_version(*facts.version) || (facts.cipher && is_legacy_suite(*facts.cipher));
  return Json{{"version", or_null(facts.version)}, {"cipher", or_null(facts.cipher)}, {"legacy", legacy}};
}

void add_connection_fields(Json& out, const TlsFacts& facts, const std::optional<ErrorInfo>& error,
                           const Timing& timing, bool with_pem) {
  out["ok"] = !error.has_value();
  out["error"] = error_json(error);
  out["tls"] = tls_json(facts);
  out["sni"] = or_null(facts.sni);
  out["verify"] = verify_json(facts.verify);
  out["peer_certificate"] = peer_certificate_json(facts.chain);
  Json chain = Json::array();
  for (const auto& cert : facts.chain) chain.push_back(certificate_json(cert, with_pem));
  out["peer_chain"] = chain;
  const HandshakeInfo& hs = facts.handshake;
  out["handshake"] = Json{{"done", hs.done},
                          {"deferred", hs.deferred},
                          {"nonblocking", facts.nonblocking},
                          {"trigger", hs.trigger.empty() ? Json(nullptr) : Json(hs.trigger)},
                          {"steps", Json{{"read", hs.want_read}, {"write", hs.want_write}}}};
  out["bytes"] = Json{{"sent", facts.bytes_sent}, {"received", facts.bytes_received}};
  out["timing_ms"] = Json{{"connect", ms_or_null(timing.connect)},
                          {"handshake", ms_or_null(timing.handshake)},
                          {"total", ms_or_null(timing.total)}};
  out["alpn"] = or_null(facts.alpn);
  out["resumed"] = facts.resumed;
}

std::string json_line(const Json& j) {
  // Invalid UTF-8 (a peer's odd certificate field) must not abort the report.
  std::string line = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  line += '\n';
  return line;
}

void print_json_line(const Json& j) {
  const std::string line = json_line(j);
  static std::mutex mutex;
  const std::lock_guard lock(mutex);
  std::cout << line << std::flush;
}

std::string describe(const ErrorInfo& error) {
  std::string text = std::string(error_kind_name(error.kind)) + ": " + error.message;
  if (error.alert >= 0 && error.message.find(alert_name(error.alert)) == std::string::npos)
    text += " (alert " + alert_name(error.alert) + ")";
  return text;
}

std::string verify_summary(const VerifyResult& verify, bool server_side) {
  const std::string mode = "(cert-reqs " + std::string(cert_reqs_name(verify.mode)) + ")";
  std::string found;
  if (verify.failure) {
    found = std::string(error_kind_name(*verify.failure)) + ": " + verify.reason;
  } else if (verify.performed) {
    found = "chain ok";
    if (verify.hostname) {
      found += ", hostname '" + *verify.hostname + "' ok";
    } else {
      found += ", no hostname checked";
    }
  }
  if (server_side && !verify.performed && !verify.failure) {
    if (verify.mode == CertReqs::none) return "no client certificate requested " + mode;
    return "no client certificate received " + mode;
  }
  if (!verify.enforced) {
    if (!verify.performed) return "NOT VERIFIED " + mode + ": no certificate was checked";
    return "NOT VERIFIED " + mode + "; verification found: " + (verify.failure ? "failed: " : "ok: ") + found;
  }
  if (verify.failure) return "FAILED " + mode + ": " + found;
  if (!verify.performed) return "no certificate checked " + mode;
  return (verify.verified() ? "VERIFIED " : "checked, handshake incomplete ") + mode + ": " + found;
}

std::string format_ms(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", ms);
  return buf;
}

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

}  // namespace ussl::apps
