// --expect FIELD OP VALUE: one-line assertions on the JSON report, so a CI
// test is one command plus its exit status instead of a jq pipeline.
//
// Grammar (docs/cli.md#expectations---expect):
//   spec  = FIELD [spaces] OP [spaces] VALUE
//   FIELD = segment *("." segment); segment = 1*(ALPHA / DIGIT / "_")
//   OP    = "=" / "!=" / "<" / "<=" / ">" / ">=" / "~" / "in" (the word: spaces before it)
// VALUE is the rest of the spec after the operator and the spaces that follow
// it ("peer_certificate.subject=CN=localhost" compares with "CN=localhost").
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/report.hpp"

namespace re2 {
class RE2;
}

namespace ussl::apps {

enum class ExpectOp { eq, ne, lt, le, gt, ge, match, in };

// "=", "!=", "<", "<=", ">", ">=", "~", "in".
std::string_view expect_op_name(ExpectOp op) noexcept;

struct Expectation {
  std::string field;  // dotted path into the report: "verify.result", "connections.1.resumed"
  ExpectOp op = ExpectOp::eq;
  std::string expected;  // VALUE as given
  // Parsed VALUE: the list of `in`, the number or TLS version rank of an
  // ordering, the compiled expression of `~`.
  std::vector<std::string> list;
  std::optional<double> number;
  std::optional<int> version_rank;
  std::shared_ptr<const re2::RE2> regex;
};

struct ExpectationResult {
  std::string field;
  ExpectOp op = ExpectOp::eq;
  std::string expected;
  std::string actual;  // "<missing>" when the path does not exist
  bool ok = false;
};

// Checks one --expect value; returns an error message or "" (a CLI11
// validator): the field's syntax, a known operator, a VALUE the operator can
// use (a number or TLS version for an ordering, a valid RE2 expression, a
// non-empty list).
std::string check_expectation_spec(const std::string& spec);
// Parses one spec. Throws Error(usage) with check_expectation_spec's message.
Expectation parse_expectation(const std::string& spec);
std::vector<Expectation> parse_expectations(const std::vector<std::string>& specs);

// Checks every FIELD against the shape of the report (an example report with
// every object filled and one element in each array): "" when every path can
// exist, else a message naming the first unknown field and the keys known
// there ("unknown field 'tls.grup': tls has version, cipher, group, ...").
std::string check_paths(const std::vector<Expectation>& expectations, const Json& shape);

// The value at a dotted path as the text an expectation is compared with:
// strings as they are, null/true/false, numbers in decimal, objects and
// arrays as compact JSON; nullopt when the path does not exist. Array
// elements are addressed by index ("peer_chain.0.subject").
std::optional<std::string> value_at(const Json& report, const std::string& path);

// TLS versions in protocol order: SSLv3 0, TLSv1 and TLSv1.0 1, TLSv1.1 2,
// TLSv1.2 3, TLSv1.3 4; nullopt for anything else.
std::optional<int> tls_version_rank(const std::string& name);

// Evaluates every expectation against the report. A path that does not exist
// never holds (whatever the operator). "=" and "in" also match a numerically
// equal number ("1" matches 1.0); "<" ... ">=" compare numbers, or TLS
// versions in protocol order when VALUE is one; "~" is an RE2 search
// (unanchored); on an array, "~" and "in" hold when every element does.
std::vector<ExpectationResult> evaluate(const std::vector<Expectation>& expectations, const Json& report);
bool all_hold(const std::vector<ExpectationResult>& results);

// [{"field":...,"op":...,"expected":...,"actual":...,"ok":...}, ...]
Json expectations_json(const std::vector<ExpectationResult>& results);
// "ok      tls.version = TLSv1.3" / "FAILED  error.kind: expected 'cert_expired', actual 'hostname_mismatch'"
// / "FAILED  peer_certificate.days_left: expected >= 21, actual '12.5'"
std::string describe(const ExpectationResult& result);

}  // namespace ussl::apps
