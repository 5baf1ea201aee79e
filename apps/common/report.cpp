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

namespace {
constexpr double kSecondsPerDay = 86400.0;
// Days to 1e-5 (under a second): enough for "21 more days", stable to print.
double round_days(double days) { return std::round(days * 1e5) / 1e5; }
}  // namespace

std::optional<std::string> verify_result_name(const VerifyResult& verify) {
  if (verify.failure) return "failed";
  if (verify.performed) return "ok";
  return std::nullopt;
}

namespace {

void write_verify(JsonWriter& w, const VerifyResult& verify) {
  w.begin_object();
  w.field("mode", cert_reqs_name(verify.mode));
  w.field("enforced", verify.enforced);
  w.field("verified", verify.verified());
  w.field("result", verify_result_name(verify));
  if (verify.failure) {
    w.field("reason", verify.reason);
    w.field("failure", error_kind_name(*verify.failure));
  } else {
    w.null_field("reason").null_field("failure");
  }
  if (verify.failure && verify.depth >= 0) {
    w.field("depth", verify.depth);
  } else {
    w.null_field("depth");
  }
  w.field("hostname", verify.hostname);
  w.field("hostname_ok", verify.hostname_ok);
  if (verify.hostname_ok) {
    w.field("cn_fallback", verify.cn_fallback);
  } else {
    w.null_field("cn_fallback");
  }
  w.key("problems").begin_array();
  for (const auto& p : verify.problems) {
    w.begin_object().field("kind", error_kind_name(p.kind));
    if (p.depth >= 0) {
      w.field("depth", p.depth);
    } else {
      w.null_field("depth");
    }
    w.field("subject", p.subject).field("rule", p.rule).field("message", p.message).end_object();
  }
  w.end_array();
  w.key("path").begin_array();
  for (const auto& subject : verify.path) w.value(subject);
  w.end_array();
  if (verify.wolfssl_error.empty()) {
    w.null_field("wolfssl_error");
  } else {
    w.field("wolfssl_error", verify.wolfssl_error);
  }
  w.end_object();
}

// The certificate's members, without the surrounding braces. pem: true for the
// PEM text, false for null, nullopt to leave the member out.
void write_certificate_members(JsonWriter& w, const CertificateInfo& cert, std::optional<bool> pem) {
  w.field("subject", cert.subject).field("issuer", cert.issuer);
  w.key("san").begin_array();
  for (const auto& name : cert.san) w.value(name);
  w.end_array();
  w.field("not_before", cert.not_before).field("not_after", cert.not_after);
  w.field("sha256", cert.sha256).field("serial", cert.serial);
  w.key("key").begin_object();
  if (cert.key_type.empty()) {
    w.null_field("type");
  } else {
    w.field("type", cert.key_type);
  }
  if (cert.key_bits > 0) {
    w.field("bits", cert.key_bits);
  } else {
    w.null_field("bits");
  }
  if (cert.key_curve.empty()) {
    w.null_field("curve");
  } else {
    w.field("curve", cert.key_curve);
  }
  w.end_object();
  if (cert.signature_algorithm.empty()) {
    w.null_field("signature_algorithm");
  } else {
    w.field("signature_algorithm", cert.signature_algorithm);
  }
  if (pem) {
    if (*pem) {
      w.field("pem", cert.pem());
    } else {
      w.null_field("pem");
    }
  }
}

void write_peer_certificate(JsonWriter& w, const std::vector<CertificateInfo>& chain, double now) {
  if (chain.empty()) {
    w.null();
    return;
  }
  w.begin_object();
  write_certificate_members(w, chain.front(), std::nullopt);
  w.field("chain_length", chain.size());
  w.field("days_left", days_left(chain.front(), now));
  w.field("lifetime_days", lifetime_days(chain.front()));
  w.end_object();
}

void write_chain_min_days_left(JsonWriter& w, const std::vector<CertificateInfo>& chain, double now) {
  if (chain.empty()) {
    w.null();
    return;
  }
  std::int64_t soonest = chain.front().not_after_epoch;
  for (const auto& cert : chain) soonest = std::min(soonest, cert.not_after_epoch);
  w.value(round_days((static_cast<double>(soonest) - now) / kSecondsPerDay));
}

// The Json form of what a writer function writes: its text, parsed. The
// writer is the one definition of each object's keys and their order.
template <typename Write>
Json parsed(Write&& write) {
  JsonWriter w;
  write(w);
  return Json::parse(w.str());
}

}  // namespace

void write_ms(JsonWriter& w, std::string_view name, const std::optional<double>& ms) {
  if (ms) {
    w.field(name, std::round(*ms * 1000.0) / 1000.0);
  } else {
    w.null_field(name);
  }
}

Json ms_or_null(const std::optional<double>& ms) {
  return ms ? Json(std::round(*ms * 1000.0) / 1000.0) : Json(nullptr);
}

void write_error(JsonWriter& w, const std::optional<ErrorInfo>& error) {
  if (!error) {
    w.null();
    return;
  }
  w.begin_object();
  w.field("kind", error_kind_name(error->kind));
  w.field("message", error->message);
  if (error->wolfssl_code != 0) {
    w.field("wolfssl_code", error->wolfssl_code);
  } else {
    w.null_field("wolfssl_code");
  }
  if (error->alert >= 0) {
    w.field("alert", alert_name(error->alert)).field("alert_code", error->alert);
  } else {
    w.null_field("alert").null_field("alert_code");
  }
  w.end_object();
}

Json error_json(const std::optional<ErrorInfo>& error) {
  return parsed([&](JsonWriter& w) { write_error(w, error); });
}

void write_certificate(JsonWriter& w, const CertificateInfo& cert, bool with_pem, double now) {
  w.begin_object();
  write_certificate_members(w, cert, with_pem);
  w.field("days_left", days_left(cert, now));
  w.field("lifetime_days", lifetime_days(cert));
  w.end_object();
}

Json certificate_json(const CertificateInfo& cert, bool with_pem) {
  return parsed([&](JsonWriter& w) { write_certificate(w, cert, with_pem, report_now()); });
}

double report_now() { return static_cast<double>(std::time(nullptr)); }

double days_left(const CertificateInfo& cert, double now) {
  return round_days((static_cast<double>(cert.not_after_epoch) - now) / kSecondsPerDay);
}

double lifetime_days(const CertificateInfo& cert) {
  return round_days(static_cast<double>(cert.not_after_epoch - cert.not_before_epoch) / kSecondsPerDay);
}

Json chain_min_days_left(const std::vector<CertificateInfo>& chain, double now) {
  return parsed([&](JsonWriter& w) { write_chain_min_days_left(w, chain, now); });
}

void write_tls(JsonWriter& w, const ConnectionRecord& record) {
  const Negotiation& n = record.negotiation;
  w.begin_object();
  w.field("version", record.version).field("cipher", record.cipher).field("group", n.group);
  w.field("signature_scheme", n.signature_scheme).field("own_signature_scheme", n.own_signature_scheme);
  if (record.version) {
    w.field("legacy", is_legacy_version(*record.version) || (record.cipher && is_legacy_suite(*record.cipher)));
  } else {
    w.null_field("legacy");
  }
  w.end_object();
}

Json tls_json(const ConnectionRecord& record) {
  return parsed([&](JsonWriter& w) { write_tls(w, record); });
}

void write_connection_fields(JsonWriter& w, const ConnectionRecord& record, const std::optional<ErrorInfo>& error,
                             const Timing& timing, bool with_pem) {
  const double now = report_now();
  w.field("ok", !error.has_value());
  w.key("error");
  write_error(w, error);
  const Negotiation& n = record.negotiation;
  w.key("tls");
  write_tls(w, record);
  w.field("sni", record.sni);
  w.key("verify");
  write_verify(w, record.verify);
  w.key("peer_certificate");
  write_peer_certificate(w, record.peer_chain, now);
  w.key("peer_chain").begin_array();
  for (const auto& cert : record.peer_chain) write_certificate(w, cert, with_pem, now);
  w.end_array();
  const HandshakeInfo& hs = record.handshake;
  w.key("handshake").begin_object();
  w.field("done", hs.done).field("deferred", hs.deferred).field("nonblocking", record.nonblocking);
  if (hs.trigger.empty()) {
    w.null_field("trigger");
  } else {
    w.field("trigger", hs.trigger);
  }
  w.key("steps").begin_object().field("read", hs.want_read).field("write", hs.want_write).end_object();
  w.field("hello_retry_request", n.hello_retry_request);
  w.key("key_shares_offered").begin_array();
  for (const auto& group : n.key_shares_offered) w.value(group);
  w.end_array();
  w.key("client_hello_bytes").begin_array();
  for (const auto bytes : n.client_hello_bytes) w.value(bytes);
  w.end_array();
  w.end_object();
  w.key("bytes").begin_object().field("sent", record.bytes_sent).field("received", record.bytes_received).end_object();
  w.key("timing_ms").begin_object();
  write_ms(w, "connect", timing.connect);
  write_ms(w, "handshake", timing.handshake);
  write_ms(w, "total", timing.total);
  w.end_object();
  w.field("alpn", record.alpn);
  w.field("resumed", record.resumed);
  w.key("chain_min_days_left");
  write_chain_min_days_left(w, record.peer_chain, now);
}

void add_connection_fields(Json& out, const ConnectionRecord& record, const std::optional<ErrorInfo>& error,
                           const Timing& timing, bool with_pem) {
  const Json fields = parsed([&](JsonWriter& w) {
    w.begin_object();
    write_connection_fields(w, record, error, timing, with_pem);
    w.end_object();
  });
  for (const auto& item : fields.items()) out[item.key()] = item.value();
}

void add_example_connection_fields(Json& out) {
  ConnectionRecord record;
  record.peer_chain.emplace_back();
  record.negotiation.key_shares_offered.emplace_back();
  record.negotiation.client_hello_bytes.push_back(0);
  add_connection_fields(out, record, ErrorInfo{}, Timing{}, false);
}

void write_client_hello(JsonWriter& w, const std::optional<ClientHello>& hello) {
  if (!hello) {
    w.null();
    return;
  }
  // A client under test (or ussl-bench) sends the same ClientHello on every
  // connection: each thread keeps the last one's JSON text (names, JA4) and
  // reuses it for an equal ClientHello.
  thread_local std::optional<ClientHello> last;
  thread_local std::string last_text;
  if (!last || !(*last == *hello)) {
    const auto names = [](JsonWriter& out, std::string_view key, const std::vector<std::uint16_t>& ids,
                          std::string (*name)(std::uint16_t)) {
      out.key(key).begin_array();
      for (const auto id : ids) out.value(name(id));
      out.end_array();
    };
    JsonWriter j;
    j.begin_object();
    names(j, "versions", hello->versions, version_name);
    names(j, "cipher_suites", hello->cipher_suites, [](std::uint16_t id) { return cipher_suite_name(id); });
    names(j, "groups", hello->groups, group_name);
    names(j, "key_shares", hello->key_shares, group_name);
    names(j, "signature_schemes", hello->signature_schemes, signature_scheme_name);
    j.key("alpn").begin_array();
    for (const auto& protocol : hello->alpn) j.value(protocol);
    j.end_array();
    j.field("sni", hello->sni);
    names(j, "extensions", hello->extensions, extension_name);
    j.field("ja4", ja4(*hello));
    j.field("bytes", hello->size);
    j.end_object();
    last = *hello;
    last_text = j.take();
  }
  w.raw(last_text);
}

Json client_hello_json(const std::optional<ClientHello>& hello) {
  return parsed([&](JsonWriter& w) { write_client_hello(w, hello); });
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

std::string json_text(const Json& j) {
  // Invalid UTF-8 (a peer's odd certificate field) must not abort the report.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string json_line(const Json& j) {
  std::string line = json_text(j);
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
