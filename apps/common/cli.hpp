// Command-line pieces both programs share: the common flags, the TLS flags
// that mirror wrap_socket's keyword arguments, and parsing with the
// documented exit codes (CLI11's own codes are not ours).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ussl/options.hpp"

namespace ussl::apps {

struct CommonFlags {
  int verbosity = 0;
  bool quiet = false;
  bool json = false;
  std::vector<std::string> expect;  // FIELD=VALUE
};

// The names of an enum's values on the command line, in --help order.
template <class E>
using EnumNames = std::vector<std::pair<std::string, E>>;

// Binds an option straight to an enum (`app.add_option("--mode", mode)
// ->transform(enum_names(kNames))`): the value must be one of the names
// (the set is shown in --help as "{echo,http,...}"; another value is a usage
// error, "--mode: bogus not in {echo,http,discard,source}", as CLI11's
// IsMember says it) and is stored as the matching enum value. Give the
// option its default with ->default_str(name).
template <class E>
CLI::Validator enum_names(const EnumNames<E>& names) {
  std::vector<std::string> keys;
  for (const auto& entry : names) keys.push_back(entry.first);
  const CLI::Validator member = CLI::IsMember(keys);
  return CLI::Validator(
      [member, names](std::string& value) {
        std::string error = member(value);
        if (!error.empty()) return error;
        for (const auto& [name, e] : names) {
          if (name != value) continue;
          // CLI11 converts an enum from its underlying integer.
          value = std::to_string(static_cast<std::underlying_type_t<E>>(e));
          break;
        }
        return std::string{};
      },
      member.get_description());
}

// --cert-reqs: none, optional, required.
const EnumNames<CertReqs>& cert_reqs_names();
// --crl-check: leaf, chain.
const EnumNames<CrlCheck>& crl_check_names();

// --tls-version, --min-version, --max-version: "1.0" ... "1.3", also
// "TLSv1.0" ... "TLSv1.3" in any case and "TLSv1", stored as the TlsVersion.
// Another value is a usage error ("expected 1.0, 1.1, 1.2 or 1.3 ...").
CLI::Validator tls_version_names();

// --sni NAME:CERTFILE:KEYFILE: checks one value (returns an error message or
// ""), and splits a checked one.
std::string check_sni_spec(const std::string& spec);
SniCertificate parse_sni(const std::string& spec);

struct TlsFlags {
  CertReqs cert_reqs = CertReqs::none;
  std::string ca_certs;
  std::string certfile;
  std::string keyfile;
  bool defer_handshake = false;
  bool nonblocking = false;
  std::optional<TlsVersion> tls_version;  // pin: min = max
  std::optional<TlsVersion> min_version;
  std::optional<TlsVersion> max_version;
  std::string ciphers;  // as given: IANA or wolfSSL names
  std::string alpn;     // comma-separated protocols
  std::string keylog;   // file; else $SSLKEYLOGFILE
  bool no_middlebox_compat = false;
  // ussl's certificate verdict
  int security_level = 2;
  int max_chain_depth = kDefaultMaxChainDepth;
  std::string crl;  // file or directory
  CrlCheck crl_check = CrlCheck::leaf;
  std::string at;            // RFC 3339 instant or +30d-style offset
  std::string groups;        // key-exchange groups, IANA names, comma or colon separated
  std::string key_shares;    // client: groups with a key share in the first ClientHello
  bool hello_retry = false;  // server: force a HelloRetryRequest
};

// --at: an RFC 3339 instant ("2030-01-01T00:00:00Z", "...+02:00"; a
// fraction of a second is dropped) or an offset from now ("+30d", "-12h",
// "+90m", "+45s", "+2w"). Seconds since the epoch; throws Error(usage).
std::int64_t parse_at(const std::string& text, std::int64_t now);

// "ussl-client 0.1.0 (wolfSSL 5.5.4)" and a line listing wolfSSL's features.
std::string version_text(const std::string& program);
// {"schema":1,"version":"0.1.0","wolfssl":{"version":"5.5.4","features":{"tls13":true,...}}}
std::string version_json();

// -v/--verbose (repeatable), -q/--quiet, --json, --expect, --version, and
// the exit codes as the help footer.
void add_common_flags(CLI::App& app, CommonFlags& flags, const std::string& program, bool server);

// --cert-reqs, --ca-certs, --certfile, --keyfile, --defer-handshake,
// --nonblocking, --tls-version, --min-version, --max-version, --ciphers,
// --alpn, --keylog, --security-level, --max-chain-depth, --crl, --crl-check, --at, --groups,
// --no-middlebox-compat; client --key-shares; server --hello-retry.
void add_tls_flags(CLI::App& app, TlsFlags& flags, bool server);

// Options for ussl::Context::create from the TLS flags (files are loaded and
// validated by the library, which names the bad file). Throws ussl::Error:
// usage for an unknown cipher suite or a key log this wolfSSL cannot write,
// bad_file for a key log file that cannot be opened.
Options options_from(const TlsFlags& flags, bool server);

// "h2,http/1.1" -> {"h2", "http/1.1"}.
std::vector<std::string> split_alpn(const std::string& list);

// Parses argv. Returns nullopt to go on, or the exit code to return now: 0
// after --help/--version (--version --json prints version_json()), 2 after a
// usage error. CLI11 prints help and errors; on_usage_error, when given, also
// reports a usage error (--json).
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv,
                                      const std::function<void(const std::string&)>& on_usage_error);

// True when argv holds the flag (for reporting a parse error as JSON).
bool argv_has(int argc, char** argv, const std::string& flag);

}  // namespace ussl::apps
