// ussl-server: one epoll event loop per thread (--threads, default one per
// usable core) over non-blocking sockets, so a slow, silent or hostile client
// never stalls the others. The loops share the listener, the Context and the
// tallies; each connection lives on one loop from accept to close.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/cli.hpp"

namespace ussl::apps {

// What the server does with each connection's bytes (--mode); STARTTLS is
// chosen by --starttls instead.
enum class ServeMode { echo, http, discard, source, starttls };

struct ServerConfig {
  CommonFlags common;
  TlsFlags tls;
  std::string bind = "127.0.0.1";
  int port = 4433;
  ServeMode mode = ServeMode::echo;  // --mode: echo, http, discard, source
  std::uint64_t source_bytes = 65536;
  std::vector<std::string> sni;  // NAME:CERTFILE:KEYFILE
  int accept = 0;                // 0: until SIGINT/SIGTERM
  int handshake_timeout_ms = 10000;
  int idle_timeout_ms = 0;  // 0: none
  int threads = 0;          // 0: one per usable core
  std::string starttls;     // --starttls PROTO: plaintext dialogue first (replaces --mode)
  bool starttls_refuse = false;
  bool starttls_inject = false;
};

// Serves until --accept connections finished or a signal; returns the exit code.
int run_server(const ServerConfig& config);

// The number of cores this process may run on (its CPU affinity), at least 1.
int usable_cores();

// Prints a command line that did not parse as an "error" event (--json).
void print_server_usage_error(const std::string& message);

}  // namespace ussl::apps
