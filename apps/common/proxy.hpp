// Client proxies, before TLS: HTTP CONNECT (Basic auth) and SOCKS5 with
// names resolved by the proxy (RFC 1928, user/password RFC 1929); the proxy
// from the environment as curl reads it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/plain_stream.hpp"

namespace ussl::apps {

struct ProxySpec {
  enum class Scheme { http, socks5h };
  Scheme scheme = Scheme::http;
  std::string host;  // unbracketed
  std::uint16_t port = 1080;
  std::optional<std::string> user;      // percent-decoded
  std::optional<std::string> password;  // percent-decoded
  std::string source = "flag";          // "flag" or the environment variable it came from

  // "http://user@127.0.0.1:3128": never the password.
  std::string display_url() const;
};

// Parses http://[user[:password]@]host[:port][/] or socks5h://...; a URL
// without a scheme is http (as curl). The port defaults to 1080. Throws
// ussl::Error(usage) naming `what` for anything else.
ProxySpec parse_proxy_url(std::string_view url, std::string_view what);

// curl's rules: https_proxy, then HTTPS_PROXY, then all_proxy, ALL_PROXY;
// none when NO_PROXY (or no_proxy) matches host: "*", the host itself, or a
// domain it is under ("example.com" and ".example.com" both match
// "www.example.com"). getenv is injectable for the tests.
std::optional<ProxySpec> proxy_from_environment(
    const std::string& host,
    const std::function<const char*(const char*)>& getenv = [](const char* name) { return std::getenv(name); });

// True when a NO_PROXY list names host.
bool no_proxy_matches(std::string_view no_proxy, std::string_view host);

// Asks the proxy, over the connected stream, for a tunnel to host:port.
// Returns the proxy's answer ("HTTP/1.1 200 Connection established",
// "SOCKS5 succeeded"); throws ussl::Error(proxy_failed) when it refuses or
// breaks the protocol.
std::string open_tunnel(PlainStream& stream, const ProxySpec& proxy, const std::string& host, std::uint16_t port);

}  // namespace ussl::apps
