// --expect FIELD=VALUE: one-line assertions on the JSON report, so a CI test
// is one command plus its exit status instead of a grep over the output.
#pragma once

#include <string>
#include <vector>

#include "common/report.hpp"

namespace ussl::apps {

struct Expectation {
  std::string field;     // dotted path into the report: "verify.result", "connections.1.resumed"
  std::string expected;  // compared with the value as text
};

struct ExpectationResult {
  std::string field;
  std::string expected;
  std::string actual;  // "<missing>" when the path does not exist
  bool ok = false;
};

// Checks one --expect value; returns an error message or "" (a CLI11 validator).
std::string check_expectation_spec(const std::string& spec);
// "FIELD=VALUE" split at the first '=' (VALUE may contain '=': "peer_certificate.subject=CN=localhost").
Expectation parse_expectation(const std::string& spec);
std::vector<Expectation> parse_expectations(const std::vector<std::string>& specs);

// The value at a dotted path as the text an expectation is compared with:
// strings as they are, null/true/false, numbers in decimal, objects and
// arrays as compact JSON; nullopt when the path does not exist. Array
// elements are addressed by index ("peer_chain.0.subject").
std::optional<std::string> value_at(const Json& report, const std::string& path);

// Evaluates every expectation against the report. A number also matches a
// numerically equal VALUE ("1" matches 1.0).
std::vector<ExpectationResult> evaluate(const std::vector<Expectation>& expectations, const Json& report);
bool all_hold(const std::vector<ExpectationResult>& results);

// [{"field":...,"expected":...,"actual":...,"ok":...}, ...]
Json expectations_json(const std::vector<ExpectationResult>& results);
// "ok      tls.version = TLSv1.3" / "FAILED  error.kind: expected 'cert_expired', actual 'hostname_mismatch'"
std::string describe(const ExpectationResult& result);

}  // namespace ussl::apps
