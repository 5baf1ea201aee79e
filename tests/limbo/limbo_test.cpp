// Runs the x509-limbo conformance cases (C2SP/x509-limbo, read from
// limbo.json) through ussl::verify_chain, the verdict every handshake and
// `ussl-client --chain-file` use, and
//   - fails loudly when limbo.json is missing;
//   - fails when a case listed in passing.txt no longer agrees;
//   - rewrites this build flavour's section of docs/x509-conformance.md
//     (agreement, false accepts/rejects, every disagreement with its reason).
//
// Usage: ussl_limbo_test LIMBO_JSON PASSING_TXT REASONS_TXT REPORT_MD FLAVOUR
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "ussl/socket.hpp"
#include "ussl/verify.hpp"

namespace {

using Der = std::vector<std::uint8_t>;

std::vector<Der> certs_of(const nlohmann::json& pems) {
  std::vector<Der> out;
  for (const auto& pem : pems) {
    for (auto& der : ussl::read_certificates(pem.get<std::string>(), "limbo PEM")) out.push_back(std::move(der));
  }
  return out;
}

// RFC 3339 "2024-03-01T00:00:00.999Z" / "+00:00": seconds, fraction floored.
std::int64_t parse_rfc3339(const std::string& s) {
  std::tm tm{};
  int y, mo, d, h, mi, sec;
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &sec) != 6)
    throw std::runtime_error("bad validation_time " + s);
  tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d, tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = sec;
  std::int64_t t = timegm(&tm);
  const auto tz = s.find_first_of("+-", 19);
  if (tz != std::string::npos) {
    int oh = 0, om = 0;
    std::sscanf(s.c_str() + tz + 1, "%d:%d", &oh, &om);
    t -= (s[tz] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
  }
  return t;
}

std::set<std::string> read_lines(const std::string& path) {
  std::set<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#') out.insert(line);
  }
  return out;
}

std::map<std::string, std::string> read_reasons(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto sep = line.find(' ');
    if (sep != std::string::npos) out[line.substr(0, sep)] = line.substr(sep + 1);
  }
  return out;
}

struct Outcome {
  std::string id;
  std::string kind;  // SERVER/CLIENT
  bool expected_ok;
  bool ok;
  std::string why;  // first problem
};

std::string escape(std::string s) {
  for (auto& c : s) {
    if (c == '|' || c == '\n') c = c == '|' ? '/' : ' ';
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: ussl_limbo_test LIMBO_JSON PASSING_TXT REASONS_TXT REPORT_MD FLAVOUR\n";
    return 2;
  }
  const std::string json_path = argv[1], passing_path = argv[2], reasons_path = argv[3], report_path = argv[4],
                    flavour = argv[5];
  std::ifstream in(json_path);
  if (!in) {
    std::cerr << "FAIL: x509-limbo data not found at '" << json_path
              << "' (set USSL_LIMBO_JSON when configuring; see tests/limbo/README.md)\n";
    return 1;
  }
  const auto doc = nlohmann::json::parse(in);
  std::vector<Outcome> outcomes;
  for (const auto& tc : doc.at("testcases")) {
    Outcome o;
    o.id = tc.at("id");
    o.kind = tc.at("validation_kind");
    o.expected_ok = tc.at("expected_result") == "SUCCESS";
    try {
      std::vector<Der> chain = certs_of(nlohmann::json::array({tc.at("peer_certificate")}));
      for (auto& d : certs_of(tc.at("untrusted_intermediates"))) chain.push_back(std::move(d));
      const auto anchors = ussl::TrustStore::from_der(certs_of(tc.at("trusted_certs")));
      ussl::VerifyPolicy policy;
      policy.role = o.kind == "CLIENT" ? ussl::ChainRole::client : ussl::ChainRole::server;
      if (!tc.at("validation_time").is_null()) policy.at = parse_rfc3339(tc.at("validation_time"));
      if (!tc.at("max_chain_depth").is_null()) policy.max_depth = tc.at("max_chain_depth");
      const auto& name = tc.at("expected_peer_name");
      if (!name.is_null() && (name.at("kind") == "DNS" || name.at("kind") == "IP"))
        policy.hostname = name.at("value").get<std::string>();
      if (!tc.at("crls").empty()) {
        std::vector<Der> crls;
        for (const auto& pem : tc.at("crls")) {
          for (auto& d : ussl::read_crls(pem.get<std::string>(), "limbo CRL")) crls.push_back(std::move(d));
        }
        policy.crls = ussl::CrlSet::from_der(crls);
        policy.crl_check = ussl::CrlCheck::leaf;
      }
      const auto verdict = ussl::verify_chain(chain, *anchors, policy);
      o.ok = verdict.ok;
      if (!verdict.ok)
        o.why =
            std::string(ussl::error_kind_name(verdict.problems.front().kind)) + ": " + verdict.problems.front().message;
    } catch (const std::exception& e) {
      o.ok = false;
      o.why = std::string("exception: ") + e.what();
    }
    outcomes.push_back(std::move(o));
  }

  // --- tally ---
  const auto passing = read_lines(passing_path);
  const auto reasons = read_reasons(reasons_path);
  int server_total = 0, server_agree = 0, false_accepts = 0, false_rejects = 0, client_total = 0, client_agree = 0;
  int online_false_rejects = 0;
  std::vector<std::string> regressions;
  std::ostringstream table;
  std::set<std::string> now_passing;
  for (const auto& o : outcomes) {
    const bool agree = o.ok == o.expected_ok;
    if (agree) now_passing.insert(o.id);
    if (o.kind == "SERVER") {
      ++server_total;
      server_agree += agree;
      false_accepts += !agree && o.ok;
      false_rejects += !agree && !o.ok;
      online_false_rejects += !agree && !o.ok && o.id.rfind("online::", 0) == 0;
    } else {
      ++client_total;
      client_agree += agree;
    }
    if (!agree && passing.count(o.id)) regressions.push_back(o.id);
    if (!agree) {
      const auto r = reasons.find(o.id);
      table << "| `" << o.id << "` | " << (o.expected_ok ? "SUCCESS" : "FAILURE") << " | "
            << (o.ok ? "accepted" : "rejected: " + escape(o.why)) << " | "
            << (r == reasons.end() ? "not yet explained" : escape(r->second)) << " |\n";
    }
  }

  std::ostringstream section;
  section << "<!-- limbo:" << flavour << ":begin -->\n";
  section << "### " << flavour << " build (wolfSSL " << ussl::wolfssl_version() << ")\n\n";
  section << "| cases | agree | false accepts | false rejects |\n| --- | --- | --- | --- |\n";
  section << "| SERVER (" << server_total << ") | " << server_agree << " | " << false_accepts << " | " << false_rejects
          << " |\n";
  section << "| CLIENT (" << client_total << ") | " << client_agree << " | " << (client_total - client_agree)
          << " (either way) | |\n\n";
  section << "Disagreements (case, limbo expects, ussl's verdict, why):\n\n";
  section << "| case | expected | ussl | why |\n| --- | --- | --- | --- |\n" << table.str();
  section << "<!-- limbo:" << flavour << ":end -->";

  // Replace this flavour's section of the report (or append it).
  std::string report;
  {
    std::ifstream r(report_path);
    std::stringstream ss;
    ss << r.rdbuf();
    report = ss.str();
  }
  const std::string begin = "<!-- limbo:" + flavour + ":begin -->", end = "<!-- limbo:" + flavour + ":end -->";
  const auto b = report.find(begin);
  const auto e = report.find(end);
  if (b != std::string::npos && e != std::string::npos && e > b) {
    report.replace(b, e + end.size() - b, section.str());
  } else {
    report += "\n" + section.str() + "\n";
  }
  std::ofstream(report_path) << report;

  std::cout << "x509-limbo (" << flavour << "): SERVER " << server_agree << "/" << server_total << " agree, "
            << false_accepts << " false accepts, " << false_rejects << " false rejects (" << online_false_rejects
            << " online); CLIENT " << client_agree << "/" << client_total << "\n";
  if (const char* update = std::getenv("USSL_LIMBO_UPDATE_PASSING"); update && *update == '1') {
    std::ofstream out(passing_path);
    out << "# x509-limbo cases ussl agrees with; the limbo test fails when one stops agreeing.\n";
    out << "# Regenerate with USSL_LIMBO_UPDATE_PASSING=1 (only after checking the change).\n";
    for (const auto& id : now_passing) out << id << "\n";
  }
  for (const auto& id : regressions) std::cout << "REGRESSION: " << id << " no longer agrees\n";
  if (!regressions.empty()) return 1;
  if (online_false_rejects > 0) {
    std::cout << "FAIL: a real-world (online::) chain is rejected\n";
    return 1;
  }
  return 0;
}
