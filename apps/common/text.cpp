#include "common/text.hpp"

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
