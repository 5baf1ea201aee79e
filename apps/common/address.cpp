#include "common/address.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "ussl/error.hpp"

namespace ussl::apps {
namespace {

[[noreturn]] void bad(std::string_view what, std::string_view text, const std::string& why) {
  throw Error(ErrorKind::usage, std::string(what) + ": " + why + " in '" + std::string(text) + "'");
}

std::uint16_t parse_port(std::string_view digits, std::string_view what, std::string_view text) {
  unsigned value = 0;
  const auto* end = digits.data() + digits.size();
  const auto [ptr, ec] = std::from_chars(digits.data(), end, value);
  if (digits.empty() || ec != std::errc() || ptr != end || value < 1 || value > 65535)
    bad(what, text, "port '" + std::string(digits) + "' is not a number from 1 to 65535");
  return static_cast<std::uint16_t>(value);
}

}  // namespace

HostPort parse_host_port(std::string_view text, std::string_view what) {
  if (text.empty()) bad(what, text, "empty host");
  if (text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) bad(what, text, "'[' without ']'");
    HostPort out{std::string(text.substr(1, close - 1)), std::nullopt};
    if (out.host.empty()) bad(what, text, "empty host");
    const std::string_view rest = text.substr(close + 1);
    if (rest.empty()) return out;
    if (rest.front() != ':') bad(what, text, "expected ':PORT' after ']'");
    out.port = parse_port(rest.substr(1), what, text);
    return out;
  }
  const std::size_t colons = static_cast<std::size_t>(std::count(text.begin(), text.end(), ':'));
  if (colons >= 2) return {std::string(text), std::nullopt};  // a bare IPv6 literal
  if (colons == 0) return {std::string(text), std::nullopt};
  const std::size_t colon = text.find(':');
  if (colon == 0) bad(what, text, "empty host");
  return {std::string(text.substr(0, colon)), parse_port(text.substr(colon + 1), what, text)};
}

std::string join_host_port(const std::string& host, std::uint16_t port) {
  const std::string p = std::to_string(port);
  return host.find(':') != std::string::npos ? "[" + host + "]:" + p : host + ":" + p;
}

bool is_localhost_name(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  std::string lower(host);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  constexpr std::string_view kName = "localhost";
  constexpr std::string_view kSuffix = ".localhost";
  if (lower == kName) return true;
  // "x.localhost", but not ".localhost" or "a..localhost".
  return lower.size() > kSuffix.size() && lower.ends_with(kSuffix) && lower[lower.size() - kSuffix.size() - 1] != '.';
}

std::vector<std::string> localhost_addresses() { return {"127.0.0.1", "::1"}; }

}  // namespace ussl::apps

namespace ussl::apps {

Target target_from(std::string_view host_text, std::optional<std::uint16_t> port_flag, std::uint16_t default_port,
                   std::string_view connect_to) {
  const HostPort host = parse_host_port(host_text, "--host");
  if (host.port && port_flag && *host.port != *port_flag)
    throw Error(ErrorKind::usage, "--port " + std::to_string(*port_flag) + " contradicts the port in --host '" +
                                      std::string(host_text) + "'");
  Target target;
  target.host = host.host;
  target.port = host.port.value_or(port_flag.value_or(default_port));
  target.connect_host = target.host;
  target.connect_port = target.port;
  if (connect_to.empty()) return target;
  const HostPort other = parse_host_port(connect_to, "--connect-to");
  target.connect_host = other.host;
  target.connect_port = other.port.value_or(target.port);
  target.redirected = true;
  return target;
}

}  // namespace ussl::apps
