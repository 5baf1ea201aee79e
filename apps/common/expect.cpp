#include "common/expect.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "common/text.hpp"

namespace ussl::apps {
namespace {

constexpr const char* kMissing = "<missing>";

std::vector<std::string> split_path(const std::string& path) { return split(path, "."); }

bool is_field_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

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

std::optional<double> number_of(const std::string& text) {
  if (text.empty() || is_space(text.front())) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

bool numbers_equal(double actual, double want) {
  return std::fabs(actual - want) <= 1e-9 * std::max(1.0, std::fabs(want));
}

// A number matches a numerically equal VALUE: "1" and "1.0" both match 1.
bool number_matches(const Json& actual, const std::string& expected) {
  if (!actual.is_number()) return false;
  const auto want = number_of(expected);
  return want && numbers_equal(actual.get<double>(), *want);
}

bool equals(const Json& actual, const std::string& expected) {
  return text_of(actual) == expected || number_matches(actual, expected);
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

struct Split {
  std::string field;
  ExpectOp op = ExpectOp::eq;
  std::string value;
  std::string error;
};

Split split_spec(const std::string& spec) {
  Split out;
  std::size_t i = 0;
  while (i < spec.size() && is_field_char(spec[i])) ++i;
  out.field = spec.substr(0, i);
  const std::size_t field_end = i;
  while (i < spec.size() && is_space(spec[i])) ++i;
  const bool spaced = i > field_end;
  const std::string_view rest = std::string_view(spec).substr(i);
  static constexpr std::pair<std::string_view, ExpectOp> kOps[] = {
      {"!=", ExpectOp::ne}, {"<=", ExpectOp::le}, {">=", ExpectOp::ge},   {"=", ExpectOp::eq},
      {"<", ExpectOp::lt},  {">", ExpectOp::gt},  {"~", ExpectOp::match},
  };
  std::size_t op_size = 0;
  for (const auto& [name, op] : kOps) {
    if (rest.substr(0, name.size()) == name) {
      out.op = op;
      op_size = name.size();
      break;
    }
  }
  if (op_size == 0 && spaced && rest.size() > 2 && rest.substr(0, 2) == "in" && is_space(rest[2])) {
    out.op = ExpectOp::in;
    op_size = 2;
  }
  if (out.field.empty()) {
    out.error = "expected FIELD OP VALUE (e.g. tls.version=TLSv1.3, peer_certificate.days_left>=21), got '" + spec +
                "': FIELD must start the spec and hold only letters, digits, '_' and '.'";
    return out;
  }
  if (op_size == 0) {
    out.error = "expected FIELD OP VALUE with OP one of =, !=, <, <=, >, >=, ~, in (e.g. tls.version>=TLSv1.2), got '" +
                spec + "'";
    return out;
  }
  i += op_size;
  while (out.op == ExpectOp::in && i < spec.size() && is_space(spec[i])) ++i;
  if (out.op != ExpectOp::in && spaced) {
    while (i < spec.size() && is_space(spec[i])) ++i;
  }
  out.value = spec.substr(i);
  return out;
}

// Builds the expectation, or says why VALUE does not suit OP.
std::string build(const std::string& spec, Expectation& e) {
  const Split s = split_spec(spec);
  if (!s.error.empty()) return s.error;
  for (const auto& segment : split_path(s.field)) {
    if (segment.empty()) return "FIELD '" + s.field + "' has an empty path segment in '" + spec + "'";
  }
  e.field = s.field;
  e.op = s.op;
  e.expected = s.value;
  const std::string where = " in '" + spec + "'";
  switch (s.op) {
    case ExpectOp::eq:
    case ExpectOp::ne:
      return {};
    case ExpectOp::lt:
    case ExpectOp::le:
    case ExpectOp::gt:
    case ExpectOp::ge:
      e.number = number_of(s.value);
      e.version_rank = tls_version_rank(s.value);
      if (!e.number && !e.version_rank)
        return "'" + std::string(expect_op_name(s.op)) + "' needs a number or a TLS version (SSLv3, TLSv1.0 ... " +
               "TLSv1.3), got '" + s.value + "'" + where;
      return {};
    case ExpectOp::match: {
      RE2::Options options;
      options.set_log_errors(false);
      auto regex = std::make_shared<const re2::RE2>(s.value, options);
      if (!regex->ok()) return "'~' needs a regular expression (RE2 syntax): " + regex->error() + where;
      e.regex = std::move(regex);
      return {};
    }
    case ExpectOp::in:
      e.list = split(s.value, ",");
      if (s.value.empty()) return "'in' needs a comma-separated list of values" + where;
      return {};
  }
  return {};
}

bool element_holds(const Expectation& e, const Json& actual) {
  if (e.op == ExpectOp::match) return RE2::PartialMatch(text_of(actual), *e.regex);
  return std::any_of(e.list.begin(), e.list.end(), [&](const std::string& item) { return equals(actual, item); });
}

bool holds(const Expectation& e, const Json& actual) {
  switch (e.op) {
    case ExpectOp::eq:
      return equals(actual, e.expected);
    case ExpectOp::ne:
      return !equals(actual, e.expected);
    case ExpectOp::match:
    case ExpectOp::in:
      if (actual.is_array())
        return std::all_of(actual.begin(), actual.end(), [&](const Json& item) { return element_holds(e, item); });
      return element_holds(e, actual);
    case ExpectOp::lt:
    case ExpectOp::le:
    case ExpectOp::gt:
    case ExpectOp::ge:
      break;
  }
  // Orderings: numbers with numbers, TLS versions in protocol order.
  double left = 0;
  double right = 0;
  if (e.number && actual.is_number()) {
    left = actual.get<double>();
    right = *e.number;
  } else if (e.version_rank && actual.is_string()) {
    const auto rank = tls_version_rank(actual.get<std::string>());
    if (!rank) return false;
    left = *rank;
    right = *e.version_rank;
  } else {
    return false;
  }
  switch (e.op) {
    case ExpectOp::lt:
      return left < right && !numbers_equal(left, right);
    case ExpectOp::le:
      return left < right || numbers_equal(left, right);
    case ExpectOp::gt:
      return left > right && !numbers_equal(left, right);
    default:
      return left > right || numbers_equal(left, right);
  }
}

std::string keys_of(const Json& object) {
  std::string out;
  for (const auto& item : object.items()) out += (out.empty() ? "" : ", ") + item.key();
  return out;
}

}  // namespace

std::string_view expect_op_name(ExpectOp op) noexcept {
  switch (op) {
    case ExpectOp::eq:
      return "=";
    case ExpectOp::ne:
      return "!=";
    case ExpectOp::lt:
      return "<";
    case ExpectOp::le:
      return "<=";
    case ExpectOp::gt:
      return ">";
    case ExpectOp::ge:
      return ">=";
    case ExpectOp::match:
      return "~";
    case ExpectOp::in:
      return "in";
  }
  return "=";
}

std::optional<int> tls_version_rank(const std::string& name) {
  static const std::pair<std::string_view, int> kVersions[] = {
      {"SSLv3", 0}, {"TLSv1", 1}, {"TLSv1.0", 1}, {"TLSv1.1", 2}, {"TLSv1.2", 3}, {"TLSv1.3", 4},
  };
  for (const auto& [version, rank] : kVersions) {
    if (name == version) return rank;
  }
  return std::nullopt;
}

std::string check_expectation_spec(const std::string& spec) {
  Expectation e;
  return build(spec, e);
}

Expectation parse_expectation(const std::string& spec) {
  Expectation e;
  if (const std::string error = build(spec, e); !error.empty()) throw Error(ErrorKind::usage, "--expect: " + error);
  return e;
}

std::vector<Expectation> parse_expectations(const std::vector<std::string>& specs) {
  std::vector<Expectation> out;
  out.reserve(specs.size());
  for (const auto& spec : specs) out.push_back(parse_expectation(spec));
  return out;
}

std::string check_paths(const std::vector<Expectation>& expectations, const Json& shape) {
  for (const auto& e : expectations) {
    const Json* node = &shape;
    std::string walked;
    for (const auto& segment : split_path(e.field)) {
      const std::string here = walked.empty() ? segment : walked + "." + segment;
      if (node->is_object()) {
        const auto it = node->find(segment);
        if (it == node->end()) {
          return "--expect: unknown field '" + here + "' in '" + e.field +
                 "': " + (walked.empty() ? "the report" : walked) + " has " + keys_of(*node);
        }
        node = &*it;
      } else if (node->is_array()) {
        if (!index_of(segment))
          return "--expect: '" + walked + "' is an array: address its elements by index (" + walked + ".0), not '" +
                 segment + "'";
        if (node->empty()) break;  // elements of any shape
        node = &node->front();
      } else {
        return "--expect: '" + walked + "' is a value, it has no field '" + segment + "' (in '" + e.field + "')";
      }
      walked = here;
    }
  }
  return {};
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
    ExpectationResult r{e.field, e.op, e.expected, kMissing, false};
    if (const Json* node = find(report, e.field)) {
      r.actual = text_of(*node);
      r.ok = holds(e, *node);
    }
    results.push_back(std::move(r));
  }
  return results;
}

bool all_hold(const std::vector<ExpectationResult>& results) {
  return std::all_of(results.begin(), results.end(), [](const auto& r) { return r.ok; });
}

Json expectations_json(const std::vector<ExpectationResult>& results) {
  Json out = Json::array();
  for (const auto& r : results)
    out.push_back(Json{{"field", r.field},
                       {"expected", r.expected},
                       {"actual", r.actual},
                       {"ok", r.ok},
                       {"op", std::string(expect_op_name(r.op))}});
  return out;
}

std::string describe(const ExpectationResult& result) {
  const std::string op(expect_op_name(result.op));
  if (result.ok) return "ok      " + result.field + " " + op + " " + result.expected;
  if (result.op == ExpectOp::eq)
    return "FAILED  " + result.field + ": expected '" + result.expected + "', actual '" + result.actual + "'";
  return "FAILED  " + result.field + ": expected " + op + " " + result.expected + ", actual '" + result.actual + "'";
}

}  // namespace ussl::apps
