// Small text helpers shared by the flag parsers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ussl::apps {

// Splits text at every character in separators; keeps empty fields, so
// "a,,b" gives {"a", "", "b"} and "" gives {""}.
std::vector<std::string> split(const std::string& text, std::string_view separators);

}  // namespace ussl::apps
