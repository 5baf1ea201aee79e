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

void Scanner::run() {
  const auto start = Clock::now();
  // Every key exists before the workers start: they only assign (.at), so
  // no map is restructured concurrently.
  for (const char* k : kVersionKeys) {
    r_.versions[k];
    r_.suites[k];
  }
  for (const char* k : {"tls1_3", "tls1_2"}) {
    r_.groups[k];
    r_.sigalgs[k];
    r_.resumption[k];
  }
  for (const char* k : {"secure_renegotiation", "extended_master_secret", "fallback_scsv"}) r_.features[k];
  for (const char* k : {"size_256_511", "size_over_1500", "split_records", "unknown_extensions", "grease"}) r_.hello[k];
  std::vector<std::function<void()>> jobs;
  auto guarded = [](std::function<void()> job, std::function<void(const std::string&)> on_error) {
    return [job = std::move(job), on_error = std::move(on_error)] {
      try {
        job();
      } catch (const std::exception& e) {
        on_error(e.what());
      }
    };
  };
  // Stage 1: versions (every later probe builds on them).
  for (const auto& v : kTlsVersions) {
    jobs.push_back(guarded([this, v] { probe_version(v); },
                           [this, v](const std::string& w) { r_.versions.at(v.key) = unknown(w); }));
  }
  jobs.push_back(
      guarded([this] { probe_sslv2(); }, [this](const std::string& w) { r_.versions.at("sslv2") = unknown(w); }));
  jobs.push_back(guarded([this] { probe_sslv2_hello(); },
                         [this](const std::string& w) { r_.versions.at("sslv2_hello") = unknown(w); }));
  run_jobs(jobs, c_.scan.concurrency);
  jobs.clear();

  // Stage 2: everything else, in parallel.
  const bool tls13 = accepted("tls1_3");
  const bool tls12 = accepted("tls1_2");
  if (wants("suites")) {
    for (const auto& v : kTlsVersions) {
      if (!accepted(v.key)) continue;
      jobs.push_back(guarded([this, v] { enumerate_suites(v); },
                             [this, v](const std::string& w) {
                               r_.suites.at(v.key) = {std::nullopt, w, "unknown"};
                             }));
    }
  }
  std::map<std::uint16_t, Finding> g13, g12, s12;
  for (const auto& g : known_groups()) {
    g13[g.id];
    if (is_ec_group(g.id)) g12[g.id];
  }
  for (const auto& s : known_sigalgs()) s12[s.id];
  // The TLS 1.3 schemes wolfSSL can offer one at a time (its spelling).
  static const std::pair<std::uint16_t, const char*> kSigalgs13[] = {
      {0x0403, "ECDSA+SHA256"},   {0x0503, "ECDSA+SHA384"},   {0x0603, "ECDSA+SHA512"},   {0x0807, "ED25519"},
      {0x0808, "ED448"},          {0x0804, "RSA-PSS+SHA256"}, {0x0805, "RSA-PSS+SHA384"}, {0x0806, "RSA-PSS+SHA512"},
      {0x0809, "RSA-PSS+SHA256"}, {0x080A, "RSA-PSS+SHA384"}, {0x080B, "RSA-PSS+SHA512"}};
  std::map<std::uint16_t, Finding> s13;
  for (const auto& [id, name] : kSigalgs13) s13[id];
  if (wants("groups") && tls13) {
    for (auto& entry : g13) {
      const std::uint16_t id = entry.first;
      Finding& f = entry.second;
      jobs.push_back(guarded([this, id, &f] { probe_group13(id, f); }, [&f](const std::string& w) { f = unknown(w); }));
    }
    jobs.push_back(
        guarded([this] { probe_group_preference(); }, [this](const std::string& w) { r_.hello_retry = unknown(w); }));
  }
  if (wants("groups") && tls12) {
    for (auto& entry : g12) {
      const std::uint16_t id = entry.first;
      Finding& f = entry.second;
      jobs.push_back(guarded([this, id, &f] { probe_group12(id, f); }, [&f](const std::string& w) { f = unknown(w); }));
    }
  }
  if (wants("sigalgs") && tls12) {
    for (auto& entry : s12) {
      const std::uint16_t id = entry.first;
      Finding& f = entry.second;
      jobs.push_back(
          guarded([this, id, &f] { probe_sigalg12(id, f); }, [&f](const std::string& w) { f = unknown(w); }));
    }
  }
  if (wants("sigalgs") && tls13) {
    for (const auto& [id, wname] : kSigalgs13) {
      Finding& f = s13.at(id);
      jobs.push_back(guarded([this, id = id, wname = wname, &f] { probe_sigalg13(id, wname, f); },
                             [&f](const std::string& w) { f = unknown(w); }));
    }
  }
  if (wants("resumption")) {
    if (tls12)
      jobs.push_back(guarded([this] { probe_resumption(TlsVersion::tls1_2, "tls1_2"); },
                             [this](const std::string& w) { r_.resumption.at("tls1_2") = unknown(w); }));
    if (tls13)
      jobs.push_back(guarded([this] { probe_resumption(TlsVersion::tls1_3, "tls1_3"); },
                             [this](const std::string& w) { r_.resumption.at("tls1_3") = unknown(w); }));
  }
  const std::vector<std::string> alpn =
      c_.tls.alpn.empty() ? std::vector<std::string>{"h2", "http/1.1"} : split_alpn(c_.tls.alpn);
  for (const auto& p : alpn) r_.alpn[p];
  if (wants("features")) {
    jobs.push_back(guarded([this] { probe_fallback(); },
                           [this](const std::string& w) { r_.features.at("fallback_scsv") = unknown(w); }));
    for (const auto& p : alpn)
      jobs.push_back(
          guarded([this, p] { probe_alpn(p); }, [this, p](const std::string& w) { r_.alpn.at(p) = unknown(w); }));
  }
  const auto high = highest_tls();
  if (wants("hello") && high) {
    for (const char* key : {"size_256_511", "size_over_1500", "split_records", "unknown_extensions", "grease"}) {
      const std::string k = key;
      const std::uint16_t v = *high;
      jobs.push_back(guarded([this, k, v] { probe_tolerance(k, v); },
                             [this, k](const std::string& w) { r_.hello.at(k) = unknown(w); }));
    }
  }
  run_jobs(jobs, c_.scan.concurrency);

  auto in_table_order = [](const std::map<std::uint16_t, Finding>& m, std::span<const NamedCode> table) {
    std::vector<std::pair<std::uint16_t, Finding>> out;
    for (const auto& e : table) {
      const auto it = m.find(e.id);
      if (it != m.end()) out.emplace_back(e.id, it->second);
    }
    return out;
  };
  auto collect_ordered = [&](const std::map<std::uint16_t, Finding>& m, std::span<const NamedCode> table,
                             std::string (*name)(std::uint16_t), ListFinding& out) {
    std::vector<std::string> items;
    std::vector<std::string> unknowns;
    for (const auto& [id, f] : in_table_order(m, table)) {
      if (f.value == "accepted") items.push_back(name(id));
      if (f.value == "unknown") unknowns.push_back(name(id) + ": " + f.detail);
    }
    if (!unknowns.empty()) {
      out.items.reset();
      out.detail = join(unknowns, "; ");
      return;
    }
    out.items = std::move(items);
  };
  if (wants("groups")) {
    if (tls13) {
      collect_ordered(g13, known_groups(), group_name, r_.groups.at("tls1_3"));
    } else {
      r_.groups.at("tls1_3") = {std::vector<std::string>{}, "", "none"};
    }
    if (tls12) {
      collect_ordered(g12, known_groups(), group_name, r_.groups.at("tls1_2"));
      r_.groups.at("tls1_2").order = "";
    } else {
      r_.groups.at("tls1_2") = {std::vector<std::string>{}, "", "none"};
    }
  }
  if (wants("sigalgs")) {
    if (tls12) {
      collect_ordered(s12, known_sigalgs(), sigalg_name, r_.sigalgs["tls1_2"]);
    } else {
      r_.sigalgs["tls1_2"] = {std::vector<std::string>{}, "", ""};
    }
    if (tls13) {
      // Only the schemes this wolfSSL can offer count: one it cannot is
      // named in the reason, not made "unknown" for the whole list.
      std::map<std::uint16_t, Finding> probed;
      std::vector<std::string> skipped;
      for (const auto& [id, f] : s13) {
        if (f.value == "unknown" && f.detail.starts_with("this wolfSSL cannot")) {
          skipped.push_back(sigalg_name(id));
        } else {
          probed[id] = f;
        }
      }
      collect_ordered(probed, known_sigalgs(), sigalg_name, r_.sigalgs["tls1_3"]);
      if (r_.sigalgs["tls1_3"].items && !skipped.empty())
        r_.sigalgs["tls1_3"].detail = "not probed (this wolfSSL cannot offer them alone): " + join(skipped, ", ");
    } else {
      r_.sigalgs["tls1_3"] = ListFinding{std::vector<std::string>{}, "", ""};
    }
  }
  if (wants("features")) {
    const Answer* hello = nullptr;
    for (auto v : {kTls12, kTls11, kTls10, kSsl3}) {
      const auto it = pre13_hellos_.find(v);
      if (it != pre13_hellos_.end()) {
        hello = &it->second;
        break;
      }
    }
    if (hello == nullptr) {
      const std::string why = high ? "TLS 1.3 only" : "no version accepted";
      r_.features.at("secure_renegotiation") = {high ? "not_applicable" : "unknown", why};
      r_.features.at("extended_master_secret") = {high ? "not_applicable" : "unknown", why};
    } else {
      const std::string from = "ServerHello of " + version_name(hello->version);
      r_.features.at("secure_renegotiation") = {hello->has_extension(0xff01) ? "supported" : "not_supported", from};
      r_.features.at("extended_master_secret") = {hello->has_extension(23) ? "supported" : "not_supported", from};
    }
  }
  // What was not probed because its version is refused (or undecidable).
  auto version_of = [this](const std::string& key) { return r_.versions.at(key).value; };
  for (const char* k : kVersionKeys) {
    const std::string v = version_of(k);
    ListFinding& suites = r_.suites.at(k);
    if (v == "refused" || std::string(k) == "sslv2_hello") suites = {std::vector<std::string>{}, "", "none"};
    if (v == "unknown") suites = {std::nullopt, "the version probe was undecidable", "unknown"};
  }
  for (const char* k : {"tls1_3", "tls1_2"}) {
    const std::string v = version_of(k);
    if (v == "accepted") continue;
    const ListFinding none = v == "refused" ? ListFinding{std::vector<std::string>{}, "", "none"}
                                            : ListFinding{std::nullopt, "the version probe was undecidable", "unknown"};
    r_.groups.at(k) = none;
    r_.sigalgs.at(k) = none;
    r_.resumption.at(k) =
        v == "refused"
            ? Finding{"not_applicable", version_name(std::string(k) == "tls1_3" ? kTls13 : kTls12) + " refused"}
            : unknown("the version probe was undecidable");
  }
  if (version_of("tls1_3") == "refused") r_.hello_retry = {"not_applicable", "TLSv1.3 refused"};
  if (!high) {
    for (auto& [k, f] : r_.hello) f = unknown("no TLS version accepted");
  }
  r_.ms = elapsed_ms(start);
}

int run_scan_with(const ClientConfig& c, ScanResult& result, DefaultHandshake& dh) {
  result.sections = c.scan.what;
  Scanner scanner(c, result);
  scanner.default_handshake(dh);
  if (dh.error && dh.phase == Phase::connect) return exit_code_for(dh.error->kind, Phase::connect, dh.error->alert);
  scanner.run();
  return kExitOk;
}

}  // namespace scan
}  // namespace ussl::apps
