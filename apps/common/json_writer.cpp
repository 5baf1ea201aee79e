#include "common/json_writer.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace ussl::apps {

namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// The number of continuation bytes a UTF-8 lead byte announces, and the range
// its first continuation byte must lie in (Unicode 15, table 3-7: no overlong
// forms, no surrogates, nothing above U+10FFFF); 0 continuations for a byte
// that cannot start a sequence.
struct Lead {
  int continuations;
  unsigned char low;
  unsigned char high;
};

Lead lead_of(unsigned char b) {
  if (b >= 0xC2 && b <= 0xDF) return {1, 0x80, 0xBF};
  if (b == 0xE0) return {2, 0xA0, 0xBF};
  if (b == 0xED) return {2, 0x80, 0x9F};
  if (b >= 0xE1 && b <= 0xEF) return {2, 0x80, 0xBF};
  if (b == 0xF0) return {3, 0x90, 0xBF};
  if (b >= 0xF1 && b <= 0xF3) return {3, 0x80, 0xBF};
  if (b == 0xF4) return {3, 0x80, 0x8F};
  return {0, 0, 0};
}

template <typename Integer>
void append_integer(std::string& out, Integer number) {
  std::array<char, 24> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), number);
  out.append(buf.data(), res.ptr);
}

void append_escaped_control(std::string& out, unsigned char c) {
  switch (c) {
    case '\b':
      out += "\\b";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\r':
      out += "\\r";
      return;
    default:
      break;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\u00";
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    // A run of plain ASCII goes out in one append.
    std::size_t run = i;
    while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\') ++run;
    if (run > i) {
      out.append(text.data() + i, run - i);
      i = run;
      continue;
    }
    const unsigned char b = p[i];
    if (b == '"' || b == '\\') {
      out += '\\';
      out += static_cast<char>(b);
      ++i;
      continue;
    }
    if (b < 0x20) {
      append_escaped_control(out, b);
      ++i;
      continue;
    }
    const Lead lead = lead_of(b);
    if (lead.continuations == 0) {  // not a lead byte: one replacement, next byte
      out += kReplacement;
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    bool ok = true;
    for (int k = 0; k < lead.continuations; ++k, ++j) {
      const unsigned char low = k == 0 ? lead.low : 0x80;
      const unsigned char high = k == 0 ? lead.high : 0xBF;
      if (j >= n || p[j] < low || p[j] > high) {
        ok = false;
        break;
      }
    }
    if (ok) {
      out.append(text.data() + i, j - i);
    } else {
      out += kReplacement;  // the sequence so far; the offending byte is read again
    }
    i = j;
  }
  out += '"';
}

void append_json_integer(std::string& out, std::int64_t number) { append_integer(out, number); }
void append_json_integer(std::string& out, std::uint64_t number) { append_integer(out, number); }

void append_json_double(std::string& out, double number) {
  if (!std::isfinite(number)) {
    out += "null";
    return;
  }
  // nlohmann's own Grisu2 (what dump() calls): the same digits as the other
  // reports, which are not always the shortest.
  std::array<char, 64> buf{};
  const char* end = nlohmann::detail::to_chars(buf.data(), buf.data() + buf.size(), number);
  out.append(buf.data(), static_cast<std::size_t>(end - buf.data()));
}

void JsonWriter::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (depth_ == 0) return;
  const std::uint64_t bit = std::uint64_t{1} << depth_;
  if (has_member_ & bit) out_ += ',';
  has_member_ |= bit;
}

JsonWriter& JsonWriter::open(char bracket) {
  separate();
  if (depth_ + 1 >= kMaxDepth) throw std::logic_error("JsonWriter: nested too deep");
  out_ += bracket;
  ++depth_;
  has_member_ &= ~(std::uint64_t{1} << depth_);
  return *this;
}

JsonWriter& JsonWriter::close(char bracket) {
  if (depth_ == 0) throw std::logic_error("JsonWriter: close without open");
  out_ += bracket;
  --depth_;
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  separate();
  append_json_string(out_, name);
  out_ += ':';
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::null() {
  separate();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
  separate();
  append_json_string(out_, text);
  return *this;
}

JsonWriter& JsonWriter::value(bool b) {
  separate();
  out_ += b ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::value(double number) {
  separate();
  append_json_double(out_, number);
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
  separate();
  out_ += json;
  return *this;
}

}  // namespace ussl::apps
