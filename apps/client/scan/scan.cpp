// The scan's probes: one hand-built ClientHello per question (a version, a
// suite, a group, a signature scheme, a tolerance case, TLS_FALLBACK_SCSV),
// sent by probe.cpp, and what each answer proves (docs/scan.md). The order of
// work is in scanner_run.cpp.
#include "client/scan/scan.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <random>

#include "client/client.hpp"
#include "client/scan/scan_report.hpp"
#include "client/scan/scanner.hpp"
#include "common/exit_codes.hpp"
#include "common/text.hpp"
#include "ussl/ussl.hpp"

namespace ussl::apps {

const std::vector<std::string>& scan_sections() {
  static const std::vector<std::string> sections = {"versions",   "suites",   "groups", "sigalgs",
                                                    "resumption", "features", "hello"};
  return sections;
}

std::string check_scan_section(const std::string& what) {
  for (const auto& part : split(what, ",")) {
    const auto& all = scan_sections();
    if (part != "all" && std::find(all.begin(), all.end(), part) == all.end())
      return "unknown scan section '" + part +
             "' (versions, suites, groups, sigalgs, resumption, features, hello, all)";
  }
  return {};
}

namespace scan {

using std::chrono::milliseconds;

namespace {

std::vector<std::uint16_t> ids_where(auto predicate) {
  std::vector<std::uint16_t> out;
  for (const auto& s : known_suites()) {
    if (predicate(s)) out.push_back(s.id);
  }
  return out;
}

std::vector<std::uint16_t> all_group_ids() {
  std::vector<std::uint16_t> out;
  for (const auto& g : known_groups()) out.push_back(g.id);
  return out;
}

std::vector<std::uint16_t> ec_group_ids() {
  std::vector<std::uint16_t> out;
  for (const auto& g : known_groups()) {
    if (is_ec_group(g.id)) out.push_back(g.id);
  }
  return out;
}

std::vector<std::uint16_t> all_sigalg_ids() {
  std::vector<std::uint16_t> out;
  for (const auto& s : known_sigalgs()) out.push_back(s.id);
  return out;
}

Json names(const std::vector<std::uint16_t>& ids, std::string (*name)(std::uint16_t)) {
  Json out = Json::array();
  for (auto id : ids) out.push_back(name(id));
  return out;
}

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::answered:
      return "answered";
    case Outcome::refused:
      return "refused";
    case Outcome::unknown:
      break;
  }
  return "unknown";
}

}  // namespace

Scanner::Scanner(const ClientConfig& c, ScanResult& result)
    : c_(c),
      r_(result),
      host_(unbracket(c.host)),
      port_(static_cast<std::uint16_t>(c.port)),
      limits_(milliseconds(c.connect_timeout_ms),
              c.timeout_ms > 0 ? Deadline(Clock::now() + milliseconds(c.timeout_ms)) : std::nullopt,
              milliseconds(c.scan.delay_ms)) {
  if (!c.server_hostname.empty()) {
    sni_ = c.server_hostname;
  } else if (!c.no_server_hostname && !is_ip_literal(host_)) {
    sni_ = host_;
  }
  std::random_device rd;
  for (auto& b : random_) b = static_cast<std::uint8_t>(rd());
}

HelloSpec Scanner::base_hello(std::uint16_t version) const {
  HelloSpec s;
  s.random = random_;
  s.sigalgs = all_sigalg_ids();
  s.sni = sni_;
  if (version == kTls13) {
    s.legacy_version = kTls12;
    s.supported_versions = {kTls13};
    s.suites = ids_where([](const SuiteInfo& i) { return i.kx == Kx::tls13; });
    s.groups = all_group_ids();
    s.key_shares = {0x001D};
    return s;
  }
  s.legacy_version = version;
  s.suites = ids_where([](const SuiteInfo& i) { return i.kx != Kx::tls13; });
  s.groups = ec_group_ids();
  if (version == kSsl3) {  // an SSLv3 hello has no extensions
    s.record_version = kSsl3;
    s.sigalgs.clear();
    s.groups.clear();
    s.sni.reset();
    s.extended_master_secret = false;
    s.renegotiation_info = false;
    s.ec_point_formats = false;
  }
  return s;
}

Exchange Scanner::probe(const std::string& name, const HelloSpec& spec, bool want_kx) {
  Json offered;
  offered["version"] =
      version_name(spec.supported_versions.empty() ? spec.legacy_version : spec.supported_versions.front());
  offered["suites"] = names(spec.suites, suite_name);
  if (!spec.groups.empty()) offered["groups"] = names(spec.groups, group_name);
  if (spec.key_share_extension || !spec.key_shares.empty()) offered["key_shares"] = names(spec.key_shares, group_name);
  if (!spec.sigalgs.empty()) offered["sigalgs"] = names(spec.sigalgs, sigalg_name);
  if (spec.pad_to != 0) offered["pad_to"] = spec.pad_to;
  if (spec.split_at != 0) offered["split_at"] = spec.split_at;
  if (!spec.extra.empty()) {
    Json e = Json::array();
    for (const auto& x : spec.extra) e.push_back(x.type);
    offered["extra_extensions"] = e;
  }
  const Bytes hello = encode_client_hello(spec);
  offered["bytes"] = hello.size();
  return probe_bytes(name, hello, std::move(offered), want_kx);
}

Exchange Scanner::probe_bytes(const std::string& name, const Bytes& hello, Json offered, bool want_kx) {
  Exchange e = exchange(host_, port_, limits_, hello, want_kx);
  spdlog::debug("probe {}: {} {}", name, outcome_name(e.outcome), e.detail);
  const std::lock_guard lock(mutex_);
  ++r_.connections;
  r_.probes.push_back(Json{{"name", name},
                           {"offered", std::move(offered)},
                           {"answer", answer_json(e)},
                           {"outcome", outcome_name(e.outcome)},
                           {"detail", e.detail}});
  return e;
}

std::optional<std::uint16_t> Scanner::highest_tls() const {
  for (auto it = std::rbegin(kTlsVersions); it != std::rend(kTlsVersions); ++it) {
    if (accepted(it->key)) return it->version;
  }
  return std::nullopt;
}

// A version is accepted when the server answers with exactly that version.
void Scanner::probe_version(const VersionSpec& v) {
  const Exchange e = probe(std::string("versions.") + v.key, base_hello(v.version), false);
  Finding& f = r_.versions.at(v.key);
  if (e.outcome == Outcome::unknown) {
    f = unknown(e.detail);
  } else if (e.outcome == Outcome::refused) {
    f = {"refused", e.detail};
  } else if (e.answer.kind == Answer::Kind::sslv2_server_hello) {
    f = unknown("answered in SSLv2");
  } else if (e.answer.version == v.version) {
    f = {"accepted", e.answer.kind == Answer::Kind::hello_retry ? "HelloRetryRequest" : ""};
  } else {
    f = {"refused", "answered with " + version_name(e.answer.version)};
  }
  // The TLS 1.2 (else highest pre-1.3) ServerHello says whether the server
  // does secure renegotiation and the extended master secret.
  if (e.outcome == Outcome::answered && e.answer.version == v.version && v.version != kTls13) {
    const std::lock_guard lock(mutex_);
    pre13_hellos_[v.version] = e.answer;
  }
}

// SSLv2 itself: an SSLv2 CLIENT-HELLO with SSLv2's cipher kinds; a
// SERVER-HELLO proves it, and lists the ciphers the server shares.
void Scanner::probe_sslv2() {
  std::vector<std::uint32_t> specs;
  Json offered_ciphers = Json::array();
  for (const auto& [id, name] : sslv2_ciphers()) {
    specs.push_back(id);
    offered_ciphers.push_back(name);
  }
  Json offered{{"version", "SSLv2"}, {"ciphers", offered_ciphers}};
  const Exchange e = probe_bytes("versions.sslv2", encode_sslv2_hello(kSsl2, specs), offered, false);
  Finding& f = r_.versions.at("sslv2");
  if (e.outcome == Outcome::unknown) {
    f = unknown(e.detail);
    r_.suites.at("sslv2") = ListFinding{std::nullopt, e.detail, "unknown"};
    return;
  }
  if (e.outcome == Outcome::refused || e.answer.kind != Answer::Kind::sslv2_server_hello) {
    f = {"refused", e.outcome == Outcome::refused ? e.detail : "answered with " + version_name(e.answer.version)};
    return;
  }
  f = {"accepted", ""};
  std::vector<std::string> shared;
  for (auto c : e.answer.sslv2_ciphers) {
    for (const auto& [id, name] : sslv2_ciphers()) {
      if (id == c) shared.emplace_back(name);
    }
  }
  r_.suites.at("sslv2") = ListFinding{shared, "", shared.size() > 1 ? "server" : shared.empty() ? "none" : "single"};
}

// An SSLv2-compatible (v2 record) hello asking for TLS 1.0 and up; any TLS
// ServerHello proves the server takes it.
void Scanner::probe_sslv2_hello() {
  std::vector<std::uint32_t> specs;
  for (const auto& s : known_suites()) {
    if (s.kx != Kx::tls13) specs.push_back(s.id);
  }
  Json offered{{"version", "TLSv1.2"}, {"record", "SSLv2"}, {"suites", specs.size()}};
  const Exchange e = probe_bytes("versions.sslv2_hello", encode_sslv2_hello(kTls12, specs), offered, false);
  Finding& f = r_.versions.at("sslv2_hello");
  if (e.outcome == Outcome::unknown) {
    f = unknown(e.detail);
  } else if (e.outcome == Outcome::refused) {
    f = {"refused", e.detail};
  } else {
    f = {"accepted", "answered with " + version_name(e.answer.version)};
  }
}

// Offer every suite; take the one the server picks out of the offer; repeat
// until it refuses. Then offer the accepted ones reversed: a server that
// still picks its first enforces its own order.
void Scanner::enumerate_suites(const VersionSpec& v) {
  HelloSpec spec = base_hello(v.version);
  std::vector<std::uint16_t> remaining = spec.suites;
  std::vector<std::uint16_t> picked;
  ListFinding out;
  const std::string name = std::string("suites.") + v.key;
  for (std::size_t round = 0; round <= spec.suites.size() && !remaining.empty(); ++round) {
    spec.suites = remaining;
    const Exchange e = probe(name + "." + std::to_string(round), spec, false);
    if (e.outcome == Outcome::refused) break;
    if (e.outcome == Outcome::unknown) {
      out.detail = e.detail;
      r_.suites.at(v.key) = ListFinding{std::nullopt, out.detail, "unknown"};
      return;
    }
    const auto it = std::find(remaining.begin(), remaining.end(), e.answer.suite);
    if (e.answer.version != v.version || it == remaining.end()) {
      r_.suites.at(v.key) = ListFinding{std::nullopt,
                                        "the server answered " + version_name(e.answer.version) + " " +
                                            suite_name(e.answer.suite) + ", which was not offered",
                                        "unknown"};
      return;
    }
    picked.push_back(e.answer.suite);
    remaining.erase(it);
  }
  out.items.emplace();
  for (auto id : picked) out.items->push_back(suite_name(id));
  if (picked.size() < 2) {
    out.order = picked.empty() ? "none" : "single";
  } else {
    spec.suites.assign(picked.rbegin(), picked.rend());
    const Exchange e = probe(name + ".order", spec, false);
    if (e.outcome != Outcome::answered) {
      out.order = "unknown";
    } else {
      out.order = e.answer.suite == spec.suites.front() ? "client" : "server";
    }
  }
  r_.suites.at(v.key) = std::move(out);
}

// TLS 1.3: only this group, no key share: a HelloRetryRequest naming it (or
// a ServerHello with its share) proves it.
void Scanner::probe_group13(std::uint16_t group, Finding& out) {
  HelloSpec spec = base_hello(kTls13);
  spec.groups = {group};
  spec.key_shares.clear();
  spec.key_share_extension = true;
  const Exchange e = probe("groups.tls1_3." + group_name(group), spec, false);
  if (e.outcome == Outcome::unknown) {
    out = unknown(e.detail);
  } else if (e.outcome == Outcome::refused) {
    out = {"refused", e.detail};
  } else if (e.answer.key_share_group == group) {
    out = {"accepted", ""};
  } else {
    out = unknown("answered without naming the group");
  }
}

// TLS 1.2: only ECDHE suites and this curve; the ServerKeyExchange names it.
void Scanner::probe_group12(std::uint16_t group, Finding& out) {
  HelloSpec spec = base_hello(kTls12);
  spec.suites = ids_where([](const SuiteInfo& i) { return i.kx == Kx::ecdhe; });
  spec.groups = {group};
  const Exchange e = probe("groups.tls1_2." + group_name(group), spec, true);
  if (e.outcome == Outcome::unknown) {
    out = unknown(e.detail);
  } else if (e.outcome == Outcome::refused) {
    out = {"refused", e.detail};
  } else if (e.answer.kx_group == group) {
    out = {"accepted", ""};
  } else if (e.answer.kx_group) {
    out = {"refused", "the server used " + group_name(*e.answer.kx_group)};
  } else {
    out = unknown("no ECDHE ServerKeyExchange in the answer");
  }
}

// Every group, no key share, in our order and reversed: the group the
// HelloRetryRequest names is the server's choice; the same choice both ways
// means the server's order wins.
void Scanner::probe_group_preference() {
  HelloSpec spec = base_hello(kTls13);
  spec.key_shares.clear();
  spec.key_share_extension = true;
  const Exchange first = probe("groups.tls1_3.preferred", spec, false);
  if (first.outcome == Outcome::unknown) {
    r_.hello_retry = unknown(first.detail);
    r_.groups.at("tls1_3").order = "unknown";
    return;
  }
  if (first.outcome == Outcome::refused) {
    r_.hello_retry = {"no", first.detail};
    r_.groups.at("tls1_3").order = "unknown";
    return;
  }
  r_.hello_retry = {first.answer.kind == Answer::Kind::hello_retry ? "yes" : "no", ""};
  if (!first.answer.key_share_group) return;
  r_.preferred_group = group_name(*first.answer.key_share_group);
  std::reverse(spec.groups.begin(), spec.groups.end());
  const Exchange second = probe("groups.tls1_3.order", spec, false);
  if (second.outcome != Outcome::answered || !second.answer.key_share_group) {
    r_.groups.at("tls1_3").order = "unknown";
  } else {
    r_.groups.at("tls1_3").order =
        *second.answer.key_share_group == *first.answer.key_share_group ? "server" : "client";
  }
}

// TLS 1.2: offer one signature scheme with (EC)DHE suites; the scheme of the
// ServerKeyExchange signature proves it.
void Scanner::probe_sigalg12(std::uint16_t sigalg, Finding& out) {
  HelloSpec spec = base_hello(kTls12);
  spec.suites = ids_where([](const SuiteInfo& i) { return i.kx == Kx::ecdhe || i.kx == Kx::dhe; });
  spec.sigalgs = {sigalg};
  const Exchange e = probe("sigalgs.tls1_2." + sigalg_name(sigalg), spec, true);
  if (e.outcome == Outcome::unknown) {
    out = unknown(e.detail);
  } else if (e.outcome == Outcome::refused) {
    out = {"refused", e.detail};
  } else if (e.answer.kx_sigalg == sigalg) {
    out = {"accepted", ""};
  } else if (e.answer.kx_sigalg) {
    out = {"refused", "the server signed with " + sigalg_name(*e.answer.kx_sigalg)};
  } else {
    out = unknown("no signed ServerKeyExchange in the answer");
  }
}

// ClientHello tolerance, on the highest version the server accepts.
void Scanner::probe_tolerance(const std::string& key, std::uint16_t version) {
  HelloSpec spec = base_hello(version);
  if (version != kTls13) {
    spec.suites = ids_where([](const SuiteInfo& i) {
      return i.kx == Kx::ecdhe || (i.kx == Kx::rsa && std::string_view(i.name).find("AES") != std::string_view::npos);
    });
  }
  const std::size_t base = encode_client_hello_message(spec).size();
  if (key == "size_256_511") {
    if (base > 400) {
      r_.hello.at(key) = unknown("the smallest useful hello is " + std::to_string(base) + " bytes");
      return;
    }
    spec.pad_to = 400;
  } else if (key == "size_over_1500") {
    spec.pad_to = 1600;
  } else if (key == "split_records") {
    spec.split_at = base / 2;
  } else if (key == "unknown_extensions") {
    spec.extra.push_back({0xff42, {0xde, 0xad}});
    spec.extra.push_back({0x7777, {}});
  } else if (key == "grease") {
    spec.suites.insert(spec.suites.begin(), 0x0a0a);
    spec.groups.insert(spec.groups.begin(), 0x1a1a);
    spec.sigalgs.insert(spec.sigalgs.begin(), 0x2a2a);
    if (!spec.supported_versions.empty()) spec.supported_versions.insert(spec.supported_versions.begin(), 0x3a3a);
    spec.extra.push_back({0x4a4a, {}});
    spec.extra.push_back({0x5a5a, {0}});
  }
  const Exchange e = probe("hello." + key, spec, false);
  if (e.outcome == Outcome::unknown) {
    r_.hello.at(key) = unknown(e.detail);
  } else if (e.outcome == Outcome::refused) {
    r_.hello.at(key) = {"refused", e.detail};
  } else if (e.answer.version != version) {
    r_.hello.at(key) = {"refused", "answered with " + version_name(e.answer.version)};
  } else {
    r_.hello.at(key) = {"accepted", ""};
  }
}

// TLS_FALLBACK_SCSV on the second-highest version: inappropriate_fallback
// proves the server honours it.
void Scanner::probe_fallback() {
  std::optional<std::uint16_t> high;
  std::optional<std::uint16_t> lower;
  for (auto it = std::rbegin(kTlsVersions); it != std::rend(kTlsVersions); ++it) {
    if (!accepted(it->key)) continue;
    if (!high) {
      high = it->version;
    } else if (!lower) {
      lower = it->version;
    }
  }
  Finding& f = r_.features.at("fallback_scsv");
  if (!high) {
    f = unknown("no TLS version accepted");
    return;
  }
  if (!lower) {
    f = {"not_applicable", "the server accepts only " + version_name(*high)};
    return;
  }
  HelloSpec spec = base_hello(*lower);
  spec.suites.push_back(kFallbackScsv);
  const Exchange e = probe("features.fallback_scsv", spec, false);
  if (e.outcome == Outcome::refused && e.answer.kind == Answer::Kind::alert && e.answer.alert == 86) {
    f = {"supported", e.detail};
  } else if (e.outcome == Outcome::answered) {
    f = {"not_supported", "answered " + version_name(e.answer.version) + " despite TLS_FALLBACK_SCSV"};
  } else {
    f = unknown(e.detail.empty() ? "no answer" : e.detail);
  }
}

}  // namespace scan
}  // namespace ussl::apps
