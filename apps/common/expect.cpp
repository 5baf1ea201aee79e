#include "common/expect.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "common/text.hpp"

namespace ussl::apps {
namespace {

constexpr const char* kMissing = "<missing>";

std::vector<std::string> split_path(const std::string& path) { return split(path, "."); }

std::optional<std::size_t> index_of(const std::string& segment) {
  std::size_t index = 0;
  const char* end = segment.data() + segment.size();
  const auto [ptr, ec] = std::from_chars(segment.data(), end, index);
  if (segment.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return index;
}

std::string text_of(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "null";
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// A number matches a numerically equal VALUE: "1" and "1.0" both match 1.
bool numbers_match(const Json& actual, const std::string& expected) {
  if (!actual.is_number() || expected.empty()) return false;
  char* end = nullptr;
  const double want = std::strtod(expected.c_str(), &end);
  if (end != expected.c_str() + expected.size()) return false;
  return std::fabs(actual.get<double>() - want) <= 1e-9 * std::max(1.0, std::fabs(want));
}

const Json* find(const Json& report, const std::string& path) {
  const Json* node = &report;
  for (const auto& segment : split_path(path)) {
    if (node->is_object()) {
      const auto it = node->find(segment);
      if (it == node->end()) return nullptr;
      node = &*it;
    } else if (node->is_array()) {
      const auto index = index_of(segment);
      if (!index || *index >= node->size()) return nullptr;
      node = &(*node)[*index];
    } else {
      return nullptr;
    }
  }
  return node;
}

}  // namespace

std::string check_expectation_spec(const std::string& spec) {
  const std::size_t eq = spec.find('=');
  if (eq == std::string::npos) return "expected FIELD=VALUE (e.g. tls.version=TLSv1.3), got '" + spec + "'";
  const std::string field = spec.substr(0, eq);
  if (field.empty()) return "FIELD must not be empty in '" + spec + "'";
  for (const auto& segment : split_path(field)) {
    if (segment.empty()) return "FIELD '" + field + "' has an empty path segment";
  }
  return {};
}

Expectation parse_expectation(const std::string& spec) {
  const std::size_t eq = spec.find('=');
  return {spec.substr(0, eq), eq == std::string::npos ? std::string() : spec.substr(eq + 1)};
}

std::vector<Expectation> parse_expectations(const std::vector<std::string>& specs) {
  std::vector<Expectation> out;
  out.reserve(specs.size());
  for (const auto& spec : specs) out.push_back(parse_expectation(spec));
  return out;
}

std::optional<std::string> value_at(const Json& report, const std::string& path) {
  const Json* node = find(report, path);
  if (node == nullptr) return std::nullopt;
  return text_of(*node);
}

std::vector<ExpectationResult> evaluate(const std::vector<Expectation>& expectations, const Json& report) {
  std::vector<ExpectationResult> results;
  results.reserve(expectations.size());
  for (const auto& e : expectations) {
    ExpectationResult r{e.field, e.expected, kMissing, false};
    if (const Json* node = find(report, e.field)) {
      r.actual = text_of(*node);
      r.ok = r.actual == e.expected || numbers_match(*node, e.expected);
    }
    results.push_back(std::move(r));
  }
  return results;
}

bool all_hold(const std::vector<ExpectationResult>& results) {
  for (const auto& r : results) {
    if (!r.ok) return false;
  }
  return true;
}

Json expectations_json(const std::vector<ExpectationResult>& results) {
  Json out = Json::array();
  for (const auto& r : results)
    out.push_back(Json{{"field", r.field}, {"expected", r.expected}, {"actual", r.actual}, {"ok", r.ok}});
  return out;
}

std::string describe(const ExpectationResult& result) {
  if (result.ok) return "ok      " + result.field + " = " + result.expected;
  return "FAILED  " + result.field + ": expected '" + result.expected + "', actual '" + result.actual + "'";
}

}  // namespace ussl::apps
