// Command-line pieces both programs share: the common flags, the TLS flags
// that mirror wrap_socket's keyword arguments, and parsing with the
// documented exit codes (CLI11's own codes are not ours).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

#include "ussl/options.hpp"

namespace ussl::apps {

struct CommonFlags {
  int verbosity = 0;
  bool quiet = false;
  bool json = false;
};

struct TlsFlags {
  std::string cert_reqs = "none";
  std::string ca_certs;
  std::string certfile;
  std::string keyfile;
  bool defer_handshake = false;
  bool nonblocking = false;
  std::string min_version;
  std::string max_version;
  std::string ciphers;
};

// "ussl-client 0.1.0 (wolfSSL 5.5.4)"
std::string version_text(const std::string& program);

// -v/--verbose (repeatable), -q/--quiet, --json, --version, and the exit
// codes as the help footer.
void add_common_flags(CLI::App& app, CommonFlags& flags, const std::string& program);

// --cert-reqs, --ca-certs, --certfile, --keyfile, --defer-handshake,
// --nonblocking, --min-version, --max-version, --ciphers.
void add_tls_flags(CLI::App& app, TlsFlags& flags, bool server);

// Options for ussl::Context::create from the TLS flags (files are loaded and
// validated by the library, which names the bad file).
Options options_from(const TlsFlags& flags, bool server);

// Parses argv. Returns nullopt to go on, or the exit code to return now: 0
// after --help/--version, 2 after a usage error. CLI11 prints help and
// errors; on_usage_error, when given, also reports a usage error (--json).
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv,
                                      const std::function<void(const std::string&)>& on_usage_error);

// True when argv holds the flag (for reporting a parse error as JSON).
bool argv_has(int argc, char** argv, const std::string& flag);

}  // namespace ussl::apps
