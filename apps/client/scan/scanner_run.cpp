// The scan's order of work (Scanner::run): which probes run for each section
// of --scan, concurrently up to --scan-concurrency, and how their answers
// become findings; and run_scan_with, the entry point after the default
// handshake. The probes themselves are in scan.cpp, their bytes in wire.cpp.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>

#include "client/client.hpp"
#include "client/scan/scan.hpp"
#include "client/scan/scan_report.hpp"
#include "client/scan/scanner.hpp"
#include "common/exit_codes.hpp"
#include "common/text.hpp"
#include "ussl/ussl.hpp"

namespace ussl::apps::scan {

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

}  // namespace ussl::apps::scan
