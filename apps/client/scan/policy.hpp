// --policy FILE: a team's TLS policy as a list of --expect lines, checked
// against the scan's report; an undecidable ("unknown") finding fails every
// line that names it.
#pragma once

#include <string>
#include <vector>

#include "common/expect.hpp"

namespace ussl::apps::scan {

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
