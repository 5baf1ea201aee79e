// JSON text written front to back into one string: the connection fields of
// the report (report.cpp) and ussl-server's per-connection events, which
// are written for every handshake and were measured as the largest part of
// the server's own CPU per connection when built as nlohmann::ordered_json
// trees (one allocation per value, then a serialization pass).
//
// The output is byte-identical to nlohmann's dump(-1) with
// error_handler_t::replace, which the other reports use (a unit test checks
// both against each other): strings escape '"', '\\' and the controls below
// 0x20 (\b \f \n \r \t, the rest as \u00xx), keep valid UTF-8 as is and
// replace each invalid byte sequence with U+FFFD; doubles go through
// nlohmann's own Grisu2 formatting.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace ussl::apps {

// Appends `number` in decimal.
void append_json_integer(std::string& out, std::int64_t number);
void append_json_integer(std::string& out, std::uint64_t number);

class JsonWriter {
 public:
  // Objects and arrays nest at most kMaxDepth deep (the reports use 4).
  static constexpr int kMaxDepth = 32;

  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }
  // The next member's name; a value (or begin_*) must follow.
  JsonWriter& key(std::string_view name);

  JsonWriter& null();
  JsonWriter& value(std::string_view text);
  JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(bool b);
  JsonWriter& value(double number);
  template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  JsonWriter& value(T number) {
    separate();
    if constexpr (std::is_signed_v<T>) {
      append_json_integer(out_, static_cast<std::int64_t>(number));
    } else {
      append_json_integer(out_, static_cast<std::uint64_t>(number));
    }
    return *this;
  }
  // The value, or null.
  template <typename T>
  JsonWriter& value(const std::optional<T>& maybe) {
    return maybe ? value(*maybe) : null();
  }
  // A value that is already JSON text (a cached fragment); written as is.
  JsonWriter& raw(std::string_view json);

  // key(name).value(v), for the common case.
  template <typename T>
  JsonWriter& field(std::string_view name, const T& v) {
    key(name);
    return value(v);
  }
  JsonWriter& null_field(std::string_view name) { return key(name).null(); }

  const std::string& str() const noexcept { return out_; }
  std::string take() { return std::move(out_); }
  bool empty() const noexcept { return out_.empty(); }

 private:
  void separate();  // the comma before a value that is not the first of its container
  JsonWriter& open(char bracket);
  JsonWriter& close(char bracket);

  std::string out_;
  std::uint64_t has_member_ = 0;  // bit d: the container at depth d already has an element
  int depth_ = 0;
  bool after_key_ = false;
};

// Appends `text` as a JSON string (quotes included) with the escaping above.
void append_json_string(std::string& out, std::string_view text);
// Appends `number` as nlohmann prints a double (null for NaN and infinities).
void append_json_double(std::string& out, double number);

}  // namespace ussl::apps
