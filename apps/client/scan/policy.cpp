#include "client/scan/policy.hpp"

#include <fstream>

#include "ussl/error.hpp"

namespace ussl::apps::scan {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::vector<PolicyLine> read_policy(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::bad_file, "--policy '" + path + "': cannot open");
  std::vector<PolicyLine> out;
  std::string text;
  for (std::size_t n = 1; std::getline(in, text); ++n) {
    const std::string spec = trim(text);
    if (spec.empty() || spec.front() == '#') continue;
    if (const std::string problem = check_expectation_spec(spec); !problem.empty())
      throw Error(ErrorKind::usage, "--policy '" + path + "' line " + std::to_string(n) + ": " + problem);
    Expectation e = parse_expectation(spec);
    e.field = trim(e.field);
    e.expected = trim(e.expected);
    out.push_back({n, std::move(e)});
  }
  if (in.bad()) throw Error(ErrorKind::bad_file, "--policy '" + path + "': read error");
  return out;
}

std::vector<PolicyResult> evaluate_policy(const std::vector<PolicyLine>& policy, const Json& report) {
  std::vector<PolicyResult> out;
  for (const auto& p : policy) {
    PolicyResult r;
    r.line = p.line;
    r.result = evaluate({p.expectation}, report).front();
    // An undecidable finding fails every line that names it.
    if (r.result.actual == "unknown" || r.result.actual.find("\"unknown\"") != std::string::npos) {
      r.result.ok = false;
      r.unknown_reason = "unknown";
      const auto dot = p.expectation.field.find("scan.");
      if (dot == 0) {
        const std::string path = "scan.reasons." + p.expectation.field.substr(5);
        if (const auto why = value_at(report, path); why && !why->empty()) r.unknown_reason = "unknown: " + *why;
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace ussl::apps::scan
