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

namespace ussl::apps {

// Text that came from the network, made safe to print on a terminal and in
// a report: printable ASCII stays, a backslash becomes "\\", every other
// byte "\xNN" (so "\r\n" and escape sequences show as "\x0d\x0a", "\x1b");
// cut after max input bytes with "...(+N bytes)".
std::string escape_network(std::string_view text, std::size_t max = 256);

}  // namespace ussl::apps
