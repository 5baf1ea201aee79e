// ussl-client --scan: what a server accepts and refuses (versions, suites,
// groups, signature schemes, resumption, ClientHello tolerance), decided
// from hand-built ClientHellos (wire.hpp) and, where a full handshake is
// needed, from wolfSSL handshakes through the library.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace ussl::apps {

struct ClientConfig;

struct ScanFlags {
  bool enabled = false;
  std::vector<std::string> what;  // versions, suites, groups, sigalgs, resumption, hello; empty: all
  int concurrency = 4;
  int delay_ms = 0;
  std::string policy;  // file of expectations, one a line
};

// The sections --scan knows, in report order.
const std::vector<std::string>& scan_sections();
// A CLI11 validator for one WHAT: "" or a message.
std::string check_scan_section(const std::string& what);

// --scan [WHAT], --scan-concurrency, --scan-delay, --policy.
void add_scan_flags(CLI::App& app, ClientConfig& config);

// Runs the scan and prints the report; returns the exit code.
int run_scan(const ClientConfig& config);

}  // namespace ussl::apps
