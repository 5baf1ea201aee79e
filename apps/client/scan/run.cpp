// ussl-client --scan: run the scan, print the report, apply --expect and
// --policy, return the exit code.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "client/client.hpp"
#include "client/scan/policy.hpp"
#include "client/scan/scan.hpp"
#include "client/scan/scan_report.hpp"
#include "common/exit_codes.hpp"
#include "common/net.hpp"
#include "common/text.hpp"

namespace ussl::apps {
namespace {

void print_line(const std::string& label, const std::string& text) {
  std::printf("%-12s %s\n", label.c_str(), text.c_str());
}

std::string describe_policy(const scan::PolicyResult& p, const std::string& file) {
  const std::string where = file + ":" + std::to_string(p.line) + ": ";
  if (p.result.ok) return "ok      " + where + p.result.field + " = " + p.result.expected;
  if (!p.unknown_reason.empty())
    return "FAILED  " + where + p.result.field + ": expected '" + p.result.expected + "', " + p.unknown_reason;
  return "FAILED  " + where + describe(p.result).substr(8);
}

}  // namespace

int run_scan(const ClientConfig& c) {
  const auto start = Clock::now();
  scan::ScanResult result;
  scan::DefaultHandshake dh;
  ClientConfig config = c;
  if (config.scan.what.empty() ||
      std::find(config.scan.what.begin(), config.scan.what.end(), "all") != config.scan.what.end()) {
    config.scan.what = scan_sections();
  } else {
    std::vector<std::string> parts;
    for (const auto& w : config.scan.what) {
      for (const auto& p : split(w, ",")) {
        if (std::find(parts.begin(), parts.end(), p) == parts.end()) parts.push_back(p);
      }
    }
    config.scan.what = parts;
  }
  std::vector<scan::PolicyLine> policy;
  int exit_code = kExitOk;
  std::optional<ErrorInfo> setup_error;
  try {
    if (!c.scan.policy.empty()) policy = scan::read_policy(c.scan.policy);
    exit_code = scan::run_scan_with(config, result, dh);
  } catch (const Error& e) {
    setup_error = ErrorInfo::from(e);
    exit_code = exit_code_for(e, Phase::setup);
  } catch (const std::exception& e) {
    setup_error = ErrorInfo{ErrorKind::internal, e.what()};
    exit_code = kExitInternal;
  }
  const bool scanned = !setup_error && exit_code == kExitOk;
  const std::optional<ErrorInfo> error = setup_error ? setup_error : dh.error;
  if (setup_error) spdlog::error("{}", describe(*setup_error));
  if (dh.error && !scanned) spdlog::error("cannot scan: {}", describe(*dh.error));

  Json report;
  report["schema"] = kSchemaVersion;
  Timing timing = dh.timing;
  timing.total = elapsed_ms(start);
  add_connection_fields(report, dh.facts, error, timing, false);
  report["exit_code"] = exit_code;
  report["target"] = Json{{"host", c.host}, {"port", c.port}};
  report["scan"] = scanned ? scan::scan_json(result) : Json(nullptr);
  report["expectations"] = Json::array();
  report["policy"] = nullptr;

  const auto expectations = evaluate(parse_expectations(c.common.expect), report);
  const auto policy_results = scan::evaluate_policy(policy, report);
  const bool held = all_hold(expectations) && std::all_of(policy_results.begin(), policy_results.end(),
                                                          [](const auto& p) { return p.result.ok; });
  if (scanned && !held) exit_code = kExitExpectation;
  report["exit_code"] = exit_code;
  report["expectations"] = expectations_json(expectations);
  if (!c.scan.policy.empty() && !setup_error) {
    Json lines = Json::array();
    for (const auto& p : policy_results) {
      Json one = expectations_json({p.result}).front();
      one["line"] = p.line;
      one["unknown"] = !p.unknown_reason.empty();
      lines.push_back(one);
    }
    report["policy"] = Json{{"file", c.scan.policy}, {"results", lines}};
  }
  for (const auto& p : policy_results) {
    if (!p.result.ok) spdlog::error("policy {}", describe_policy(p, c.scan.policy).substr(8));
  }
  for (const auto& r : expectations) {
    if (!r.ok) spdlog::error("expectation failed: {}", describe(r).substr(8));
  }

  if (c.common.json) {
    print_json_line(report);
    return exit_code;
  }
  if (setup_error) return exit_code;  // the log line on stderr says it all
  const std::string target = c.host + ":" + std::to_string(c.port);
  if (!scanned) {
    print_line("scan", target + ": not connected");
    print_line("result", "FAILED (exit " + std::to_string(exit_code) + ") " + describe(*dh.error));
    return exit_code;
  }
  print_line("scan", target + ": " + std::to_string(result.connections) + " connections in " + format_ms(result.ms) +
                         " (concurrency " + std::to_string(c.scan.concurrency) + ")");
  std::printf("%s", scan::scan_text(result).c_str());
  if (dh.error) {
    print_line("default", "handshake FAILED: " + describe(*dh.error));
  } else {
    print_line("default", dh.facts.version.value_or("?") + ", " + dh.facts.cipher.value_or("?"));
  }
  print_line("verify", verify_summary(dh.facts.verify, false));
  for (const auto& r : expectations) print_line("expect", describe(r));
  for (const auto& p : policy_results) print_line("policy", describe_policy(p, c.scan.policy));
  print_line("result", exit_code == kExitOk ? "ok" : "FAILED (exit " + std::to_string(exit_code) + ")");
  std::fflush(stdout);
  return exit_code;
}

}  // namespace ussl::apps

namespace ussl::apps {

void add_scan_flags(CLI::App& app, ClientConfig& c) {
  auto* scan = app.add_option_function<std::vector<std::string>>(
                      "--scan",
                      [&c](const std::vector<std::string>& what) {
                        c.scan.enabled = true;
                        c.scan.what = what;
                      },
                      "Probe what the server accepts and refuses instead of one connection: WHAT is a comma-separated "
                      "list of versions, suites, groups, sigalgs, resumption, features, hello (default: all).")
                   ->expected(0, 1)
                   ->type_name("[WHAT]")
                   ->check(CLI::Validator(check_scan_section, "WHAT"));
  // A bare --scan: CLI11 calls the function with no value only when told to.
  scan->default_str("all");
  scan->trigger_on_parse();
  app.add_option("--scan-concurrency", c.scan.concurrency, "Run up to N scan probes at once.")
      ->check(CLI::Range(1, 64))
      ->type_name("N")
      ->capture_default_str()
      ->needs(scan);
  app.add_option("--scan-delay", c.scan.delay_ms, "Start scan connections at least MS milliseconds apart.")
      ->check(CLI::Range(0, 60000))
      ->type_name("MS")
      ->capture_default_str()
      ->needs(scan);
  app.add_option("--policy", c.scan.policy,
                 "Check the scan against FILE: one FIELD=VALUE expectation a line, '#' comments; a failing or "
                 "unknown line exits 8.")
      ->type_name("FILE")
      ->check(CLI::ExistingFile)
      ->needs(scan);
}

}  // namespace ussl::apps
