// The scan's report (the "scan" JSON object and the human tables) and
// policy files (one --expect a line).
#pragma once

#include <string>
#include <vector>

#include "client/scan/findings.hpp"
#include "common/expect.hpp"

namespace ussl::apps {
struct ClientConfig;
}

namespace ussl::apps::scan {

// Runs the default handshake and, when it connected, every probe. Returns
// the exit code of a scan that could not connect, else 0.
int run_scan_with(const ClientConfig& c, ScanResult& result, DefaultHandshake& dh);

// The "scan" object: one key per finding, "unknown" for undecidable ones,
// "reasons" for them, and "probes" (what each sent and what came back).
Json scan_json(const ScanResult& r);
// The human tables, one per section.
std::string scan_text(const ScanResult& r);

struct PolicyLine {
  std::size_t line = 0;  // 1-based
  Expectation expectation;
};
// Reads a policy file: one FIELD=VALUE a line, '#' comments, blank lines.
// Throws ussl::Error(usage) naming the file and line of a bad one, bad_file
// when it cannot be read.
std::vector<PolicyLine> read_policy(const std::string& path);

struct PolicyResult {
  std::size_t line = 0;
  ExpectationResult result;
  std::string unknown_reason;  // non-empty: the field is unknown, which fails the line
};
std::vector<PolicyResult> evaluate_policy(const std::vector<PolicyLine>& policy, const Json& report);

}  // namespace ussl::apps::scan
