#include "common/text.hpp"

#include <algorithm>

namespace ussl::apps {

std::vector<std::string> split(const std::string& text, std::string_view separators) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t sep = text.find_first_of(separators, start);
    out.push_back(text.substr(start, sep == std::string::npos ? std::string::npos : sep - start));
    if (sep == std::string::npos) return out;
    start = sep + 1;
  }
}

}  // namespace ussl::apps

namespace ussl::apps {

std::string escape_network(std::string_view text, std::size_t max) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::size_t shown = std::min(text.size(), max);
  std::string out;
  out.reserve(shown);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  if (shown < text.size()) out += "...(+" + std::to_string(text.size() - shown) + " bytes)";
  return out;
}

}  // namespace ussl::apps
