// ussl-server: one thread, one poll() loop over non-blocking sockets, so a
// slow, silent or hostile client never stalls the others.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/cli.hpp"

namespace ussl::apps {

struct ServerConfig {
  CommonFlags common;
  TlsFlags tls;
  std::string bind = "127.0.0.1";
  int port = 4433;
  std::string mode = "echo";  // echo, http, discard, source
  std::uint64_t source_bytes = 65536;
  std::vector<std::string> sni;  // NAME:CERTFILE:KEYFILE
  int accept = 0;                // 0: until SIGINT/SIGTERM
  int handshake_timeout_ms = 10000;
  int idle_timeout_ms = 0;  // 0: none
};

// Serves until --accept connections finished or a signal; returns the exit code.
int run_server(const ServerConfig& config);

// Checks one --sni value; returns an error message or "".
std::string check_sni_spec(const std::string& spec);

// Prints a command line that did not parse as an "error" event (--json).
void print_server_usage_error(const std::string& message);

}  // namespace ussl::apps
