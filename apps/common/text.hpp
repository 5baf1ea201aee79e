// Small text helpers shared by the flag parsers and the reports.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ussl::apps {

// Splits text at every character in separators; keeps empty fields, so
// "a,,b" gives {"a", "", "b"} and "" gives {""}.
std::vector<std::string> split(const std::string& text, std::string_view separators);

// Makes text safe for a terminal and a log line: every string that came from
// the network (SNI, certificate names, error texts quoting them) goes through
// here before it reaches the human report or the log. Printable ASCII and
// valid UTF-8 letters stay as they are; a backslash becomes "\\"; tab, LF and
// CR become "\t", "\n", "\r"; other C0 controls, DEL and bytes that are not
// valid UTF-8 become "\xNN"; C1 controls and the invisible direction and
// line-separator marks (U+200E/F, U+2028/9, U+202A-E, U+2066-9, U+FEFF)
// become "\u{XXXX}". So "\x1b]0;pwned\x07" is printed as the 14 characters
// \x1b]0;pwned\x07, and no input can move the cursor or retitle a terminal.
std::string escape_text(std::string_view text);

}  // namespace ussl::apps

namespace ussl::apps {

// Text that came from the network, cut after max bytes with "...(+N
// bytes)" for a report. It is kept as received: every output escapes it
// once, the human report and logs with escape_text above, JSON by its own
// string escaping (so a terminal escape sequence never reaches a terminal).
std::string clip_network(std::string_view text, std::size_t max = 256);

// RFC 4648 base64 with padding (session files, proxy Basic auth).
std::string base64_encode(std::string_view bytes);
// Decodes base64, skipping whitespace; throws ussl::Error(bad_file) with
// `what` in the message on any other character or data after padding.
std::string base64_decode(const std::string& text, const std::string& what);

}  // namespace ussl::apps
