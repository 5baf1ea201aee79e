// Addresses as people type them: "host", "host:port", "[v6]:port", a bare
// IPv6 literal, and the names RFC 6761 reserves for loopback.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ussl::apps {

struct HostPort {
  std::string host;                   // without brackets: "example.com", "127.0.0.1", "::1"
  std::optional<std::uint16_t> port;  // when the text had one
};

// Splits what the user typed into a host and an optional port:
//   "example.com", "example.com:443", "127.0.0.1:443", "[::1]", "[::1]:443",
//   "::1" and "fe80::1%eth0" (two or more colons without brackets: a bare
//   IPv6 literal, never a port).
// Throws ussl::Error(usage) naming `what` (e.g. "--host") for an empty host,
// a port that is not 1-65535, or an unclosed bracket.
HostPort parse_host_port(std::string_view text, std::string_view what);

// "example.com:443", "[::1]:443": how to print a host and port.
std::string join_host_port(const std::string& host, std::uint16_t port);

// RFC 6761 §6.3: "localhost" and every name under ".localhost" (any case, a
// trailing dot allowed) are loopback; they are never sent to the resolver.
bool is_localhost_name(std::string_view host);

// The loopback addresses tried for such a name, in order: "127.0.0.1", "::1".
std::vector<std::string> localhost_addresses();

}  // namespace ussl::apps

namespace ussl::apps {

// Where a client goes: the name it talks to (SNI, the certificate check, the
// proxy's CONNECT) and where its TCP connection goes (--connect-to).
struct Target {
  std::string host;  // unbracketed
  std::uint16_t port = 0;
  std::string connect_host;  // == host unless --connect-to
  std::uint16_t connect_port = 0;
  bool redirected = false;  // --connect-to was given
};

// host_text is --host (or the positional HOST[:PORT]); port_flag is --port
// when it was given; default_port applies when neither names a port;
// connect_to is --connect-to HOST[:PORT] or empty (its port defaults to the
// target's). Throws ussl::Error(usage) for a malformed value or a --port
// that contradicts the port in the host.
Target target_from(std::string_view host_text, std::optional<std::uint16_t> port_flag, std::uint16_t default_port,
                   std::string_view connect_to);

}  // namespace ussl::apps
