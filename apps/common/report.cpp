#include "common/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <mutex>

namespace ussl::apps {

ErrorInfo ErrorInfo::from(const Error& error) {
  return {error.kind(), error.message(), error.wolfssl_code(), error.alert()};
}

ConnectionRecord record_of(const SslSocket* socket, const Error* error, const ConnectionRecord& before_wrap) {
  if (socket != nullptr) return socket->record();
  if (error != nullptr && error->record()) return *error->record();
  return before_wrap;
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
  j["cn_fallback"] = verify.hostname_ok ? Json(verify.cn_fallback) : Json(nullptr);
  Json problems = Json::array();
  for (const auto& p : verify.problems) {
    problems.push_back(Json{{"kind", std::string(error_kind_name(p.kind))},
                            {"depth", p.depth >= 0 ? Json(p.depth) : Json(nullptr)},
                            {"subject", p.subject},
                            {"rule", p.rule},
                            {"message", p.message}});
  }
  j["problems"] = problems;
  j["path"] = verify.path;
  j["wolfssl_error"] = verify.wolfssl_error.empty() ? Json(nullptr) : Json(verify.wolfssl_error);
  return j;
}

Json peer_certificate_json(const std::vector<CertificateInfo>& chain) {
  if (chain.empty()) return nullptr;
  Json j = certificate_json(chain.front(), false);
  j.erase("pem");
  j.erase("days_left");
  j.erase("lifetime_days");
  j["chain_length"] = chain.size();
  j["days_left"] = days_left(chain.front(), report_now());
  j["lifetime_days"] = lifetime_days(chain.front());
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
  j["key"] = Json{{"type", cert.key_type.empty() ? Json(nullptr) : Json(cert.key_type)},
                  {"bits", cert.key_bits > 0 ? Json(cert.key_bits) : Json(nullptr)},
                  {"curve", cert.key_curve.empty() ? Json(nullptr) : Json(cert.key_curve)}};
  j["signature_algorithm"] = cert.signature_algorithm.empty() ? Json(nullptr) : Json(cert.signature_algorithm);
  j["pem"] = with_pem ? Json(cert.pem()) : Json(nullptr);
  j["days_left"] = days_left(cert, report_now());
  j["lifetime_days"] = lifetime_days(cert);
  return j;
}

double report_now() { return static_cast<double>(std::time(nullptr)); }

namespace {
constexpr double kSecondsPerDay = 86400.0;
// Days to 1e-5 (under a second): enough for "21 more days", stable to print.
double round_days(double days) { return std::round(days * 1e5) / 1e5; }
}  // namespace

double days_left(const CertificateInfo& cert, double now) {
  return round_days((static_cast<double>(cert.not_after_epoch) - now) / kSecondsPerDay);
}

double lifetime_days(const CertificateInfo& cert) {
  return round_days(static_cast<double>(cert.not_after_epoch - cert.not_before_epoch) / kSecondsPerDay);
}

Json chain_min_days_left(const std::vector<CertificateInfo>& chain, double now) {
  if (chain.empty()) return nullptr;
  std::int64_t soonest = chain.front().not_after_epoch;
  for (const auto& cert : chain) soonest = std::min(soonest, cert.not_after_epoch);
  return round_days((static_cast<double>(soonest) - now) / kSecondsPerDay);
}

Json tls_json(const ConnectionRecord& record) {
  const Negotiation& n = record.negotiation;
  Json legacy = nullptr;
  if (record.version) legacy = is_legacy_version(*record.version) || (record.cipher && is_legacy_suite(*record.cipher));
  return Json{{"version", or_null(record.version)},
              {"cipher", or_null(record.cipher)},
              {"group", or_null(n.group)},
              {"signature_scheme", or_null(n.signature_scheme)},
              {"own_signature_scheme", or_null(n.own_signature_scheme)},
              {"legacy", legacy}};
}

void add_connection_fields(Json& out, const ConnectionRecord& record, const std::optional<ErrorInfo>& error,
                           const Timing& timing, bool with_pem) {
  out["ok"] = !error.has_value();
  out["error"] = error_json(error);
  const Negotiation& n = record.negotiation;
  out["tls"] = tls_json(record);
  out["sni"] = or_null(record.sni);
  out["verify"] = verify_json(record.verify);
  out["peer_certificate"] = peer_certificate_json(record.peer_chain);
  Json chain = Json::array();
  for (const auto& cert : record.peer_chain) chain.push_back(certificate_json(cert, with_pem));
  out["peer_chain"] = chain;
  const HandshakeInfo& hs = record.handshake;
  out["handshake"] = Json{{"done", hs.done},
                          {"deferred", hs.deferred},
                          {"nonblocking", record.nonblocking},
                          {"trigger", hs.trigger.empty() ? Json(nullptr) : Json(hs.trigger)},
                          {"steps", Json{{"read", hs.want_read}, {"write", hs.want_write}}},
                          {"hello_retry_request", n.hello_retry_request},
                          {"key_shares_offered", n.key_shares_offered},
                          {"client_hello_bytes", n.client_hello_bytes}};
  out["bytes"] = Json{{"sent", record.bytes_sent}, {"received", record.bytes_received}};
  out["timing_ms"] = Json{{"connect", ms_or_null(timing.connect)},
                          {"handshake", ms_or_null(timing.handshake)},
                          {"total", ms_or_null(timing.total)}};
  out["alpn"] = or_null(record.alpn);
  out["resumed"] = record.resumed;
  out["chain_min_days_left"] = chain_min_days_left(record.peer_chain, report_now());
}

void add_example_connection_fields(Json& out) {
  ConnectionRecord record;
  record.peer_chain.emplace_back();
  record.negotiation.key_shares_offered.emplace_back();
  record.negotiation.client_hello_bytes.push_back(0);
  add_connection_fields(out, record, ErrorInfo{}, Timing{}, false);
}

Json client_hello_json(const std::optional<ClientHello>& hello) {
  if (!hello) return nullptr;
  // A client under test (or ussl-bench) sends the same ClientHello on every
  // connection: each thread keeps the last one's JSON (names, JA4) and reuses
  // it for an equal ClientHello, which halves the cost of a handshake event.
  thread_local std::optional<ClientHello> last;
  thread_local Json last_json;
  if (last && *last == *hello) return last_json;
  const auto names = [](const std::vector<std::uint16_t>& ids, std::string (*name)(std::uint16_t)) {
    Json out = Json::array();
    for (const auto id : ids) out.push_back(name(id));
    return out;
  };
  const auto cipher = [](std::uint16_t id) { return cipher_suite_name(id); };
  Json ciphers = Json::array();
  for (const auto id : hello->cipher_suites) ciphers.push_back(cipher(id));
  Json j;
  j["versions"] = names(hello->versions, version_name);
  j["cipher_suites"] = ciphers;
  j["groups"] = names(hello->groups, group_name);
  j["key_shares"] = names(hello->key_shares, group_name);
  j["signature_schemes"] = names(hello->signature_schemes, signature_scheme_name);
  j["alpn"] = hello->alpn;
  j["sni"] = hello->sni ? Json(*hello->sni) : Json(nullptr);
  j["extensions"] = names(hello->extensions, extension_name);
  j["ja4"] = ja4(*hello);
  j["bytes"] = hello->size;
  last = *hello;
  last_json = j;
  return j;
}

std::string key_exchange_summary(const ConnectionRecord& record) {
  const Negotiation& n = record.negotiation;
  std::string text = n.group.value_or("no group");
  text += n.hello_retry_request ? ", after a HelloRetryRequest" : ", no HelloRetryRequest";
  if (!n.key_shares_offered.empty()) text += " (key shares offered: " + join(n.key_shares_offered, ", ") + ")";
  if (!n.client_hello_bytes.empty()) {
    std::vector<std::string> sizes;
    for (const auto b : n.client_hello_bytes) sizes.push_back(std::to_string(b));
    text += "; ClientHello " + join(sizes, " + ") + " bytes";
  }
  if (n.signature_scheme) text += "; peer signed with " + *n.signature_scheme;
  return text;
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
      if (verify.cn_fallback) found += " (legacy: matched the subject CN, the certificate has no SAN)";
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

std::vector<std::string> problem_lines(const VerifyResult& verify) {
  std::vector<std::string> out;
  for (const auto& p : verify.problems)
    out.push_back(std::string(error_kind_name(p.kind)) + ": " + p.message + " [" + p.rule + "]");
  return out;
}

std::string key_summary(const CertificateInfo& cert) {
  std::string text = cert.key_type.empty() ? "key ?" : cert.key_type;
  if (!cert.key_curve.empty()) {
    text += " " + cert.key_curve;
  } else if (cert.key_bits > 0) {
    text += "-" + std::to_string(cert.key_bits);
  }
  if (!cert.signature_algorithm.empty()) text += ", signed " + cert.signature_algorithm;
  return text;
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
