// ussl-client: connect, wrap, handshake, send, read, report.
#pragma once

#include <cstdint>
#include <string>

#include "client/scan/scan.hpp"
#include "common/cli.hpp"

namespace ussl::apps {

struct ClientConfig {
  CommonFlags common;
  TlsFlags tls;
  std::string host;  // --host, or the positional HOST[:PORT]
  int port = 443;
  bool port_given = false;      // --port was on the command line
  std::string connect_to;       // --connect-to HOST[:PORT]: connect here, talk to host
  std::string proxy;            // --proxy URL
  bool proxy_env = false;       // --proxy-env: HTTPS_PROXY, ALL_PROXY, NO_PROXY as curl
  std::string starttls;         // --starttls PROTO
  std::string starttls_name;    // --starttls-name NAME (EHLO/LHLO name, XMPP 'to')
  std::string server_hostname;  // empty: derived from host
  bool no_server_hostname = false;
  std::string send_text;
  std::string send_file;
  bool use_stdin = false;
  std::uint64_t read_bytes = 0;  // 0: not limited
  int read_timeout_ms = -1;      // -1: the default for the situation
  int connect_timeout_ms = 10000;
  int timeout_ms = 30000;  // 0: no limit
  bool show_certs = false;
  int reconnect = 0;      // more connections after the first, each resuming the session
  std::string sess_out;   // write the session here at the end
  std::string sess_in;    // resume this session on the first connection
  std::string recv_file;  // also write the data received here
  // Offline verification (--chain-file): no connection.
  std::string chain_file;
  ChainRole chain_role = ChainRole::server;  // --chain-role
  bool cert_reqs_given = false;              // --cert-reqs was on the command line
  ScanFlags scan;                            // --scan and its settings
};

// --chain-role: server, client.
const EnumNames<ChainRole>& chain_role_names();

// Runs the client connection(s) and prints the report; returns the exit code.
int run_client(const ClientConfig& config);

// --chain-file: verifies the chain in the file without connecting and
// prints the same report; returns the exit code.
int run_offline(const ClientConfig& config);

// Prints the report of a command line that did not parse (JSON mode only:
// exactly one object on stdout, error kind "usage").
void print_client_usage_error(const std::string& message);

}  // namespace ussl::apps
