#include "common/cli.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <string_view>

#include "common/ciphers.hpp"
#include "common/completion.hpp"
#include "common/exit_codes.hpp"
#include "common/expect.hpp"
#include "common/keylog.hpp"
#include "common/report.hpp"
#include "common/text.hpp"
#include "ussl/names.hpp"
#include "ussl/socket.hpp"

namespace ussl::apps {
namespace {

// A list with suites of one protocol version only implies that version
// (a peer would otherwise pick the other one and find no common suite);
// a version range that excludes every suite listed is a usage error.
void limit_versions_to_suites(Options& options, const std::string& wolfssl_list) {
  const bool tls13 = wolfssl_list.find("TLS13-") != std::string::npos;
  bool tls12 = false;
  for (std::size_t start = 0; start <= wolfssl_list.size();) {
    const std::size_t end = std::min(wolfssl_list.find(':', start), wolfssl_list.size());
    if (wolfssl_list.compare(start, 6, "TLS13-") != 0) tls12 = true;
    start = end + 1;
  }
  const TlsVersion min = options.min_version.value_or(TlsVersion::tls1_2);
  const TlsVersion max = options.max_version.value_or(TlsVersion::tls1_3);
  if (!tls13 && min == TlsVersion::tls1_3)
    throw Error(ErrorKind::usage, "--ciphers lists no TLS 1.3 suite, but only TLS 1.3 is allowed");
  if (!tls12 && max <= TlsVersion::tls1_2)
    throw Error(ErrorKind::usage, "--ciphers lists only TLS 1.3 suites, but TLS 1.3 is not allowed");
  if (!tls13 && !options.max_version) options.max_version = TlsVersion::tls1_2;
  if (!tls12 && !options.min_version) options.min_version = TlsVersion::tls1_3;
}

std::string exit_code_footer() {
  std::string text = "Exit codes:";
  for (const auto& info : exit_code_table())
    text += "\n  " + std::to_string(info.code) + "  " + std::string(info.meaning);
  return text;
}

}  // namespace

const EnumNames<CertReqs>& cert_reqs_names() {
  static const EnumNames<CertReqs> names{
      {"none", CertReqs::none}, {"optional", CertReqs::optional}, {"required", CertReqs::required}};
  return names;
}

const EnumNames<CrlCheck>& crl_check_names() {
  static const EnumNames<CrlCheck> names{{"leaf", CrlCheck::leaf}, {"chain", CrlCheck::chain}};
  return names;
}

CLI::Validator tls_version_names() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        std::string lower = value;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        std::optional<TlsVersion> version;
        if (lower == "1.0" || lower == "tlsv1.0" || lower == "tlsv1") version = TlsVersion::tls1_0;
        if (lower == "1.1" || lower == "tlsv1.1") version = TlsVersion::tls1_1;
        if (lower == "1.2" || lower == "tlsv1.2") version = TlsVersion::tls1_2;
        if (lower == "1.3" || lower == "tlsv1.3") version = TlsVersion::tls1_3;
        if (!version) return "expected 1.0, 1.1, 1.2 or 1.3 (also TLSv1.0 ... TLSv1.3), got '" + value + "'";
        // CLI11 converts an enum from its underlying integer.
        value = std::to_string(static_cast<std::underlying_type_t<TlsVersion>>(*version));
        return {};
      },
      "{1.0,1.1,1.2,1.3}");
}

std::string check_sni_spec(const std::string& spec) {
  const std::size_t first = spec.find(':');
  const std::size_t last = spec.rfind(':');
  if (first == std::string::npos || first == last) return "expected NAME:CERTFILE:KEYFILE, got '" + spec + "'";
  if (first == 0 || last == first + 1 || last + 1 == spec.size())
    return "NAME, CERTFILE and KEYFILE must not be empty in '" + spec + "'";
  try {
    normalize_server_name(spec.substr(0, first));  // a U-label must have an A-label
  } catch (const Error& e) {
    return e.message();
  }
  return {};
}

SniCertificate parse_sni(const std::string& spec) {
  const std::size_t first = spec.find(':');
  const std::size_t last = spec.rfind(':');
  return {spec.substr(0, first), spec.substr(first + 1, last - first - 1), spec.substr(last + 1)};
}

std::string version_text(const std::string& program) {
  std::string text = program + " " + USSL_VERSION + " (wolfSSL " + wolfssl_version() + ")\nwolfSSL features:";
  for (const auto& feature : wolfssl_features()) text += (feature.enabled ? " +" : " -") + feature.name;
  return text;
}

std::string version_json() {
  Json features = Json::object();
  for (const auto& feature : wolfssl_features()) features[feature.name] = feature.enabled;
  const Json j{{"schema", kSchemaVersion},
               {"version", USSL_VERSION},
               {"wolfssl", Json{{"version", wolfssl_version()}, {"features", features}}}};
  return j.dump();
}

void add_common_flags(CLI::App& app, CommonFlags& flags, const std::string& program, bool server) {
  app.set_version_flag("--version", version_text(program),
                       "Print the version and wolfSSL's compiled-in features and exit (with --json: as JSON).");
  app.add_flag("-v,--verbose", flags.verbosity,
               "Log more on stderr: -v info, -vv debug, -vvv trace (default: warnings).");
  app.add_flag("-q,--quiet", flags.quiet, "Log only errors on stderr.")->excludes("--verbose");
  app.add_flag("--json", flags.json, "Print JSON (schema 1) on stdout instead of the human report.");
  app.add_option("--expect", flags.expect,
                 server ? "Check FIELD (a dotted path into each handshake event's JSON) against VALUE with OP: = != "
                          "< <= > >= (numbers, TLS versions) ~ (RE2) in (comma list); repeatable. The exit status "
                          "is then 0 if every expectation held for every connection, else 8."
                        : "Check FIELD (a dotted path into the JSON report, e.g. peer_certificate.days_left) against "
                          "VALUE with OP: = != < <= > >= (numbers, TLS versions) ~ (RE2) in (comma list); "
                          "repeatable. Exit 0 if all hold, even for a failed handshake, else 8.")
      ->type_name("'FIELD OP VALUE'")
      ->check(CLI::Validator(check_expectation_spec, ""));
  app.footer(exit_code_footer());
}

void add_tls_flags(CLI::App& app, TlsFlags& flags, bool server) {
  app.add_option("--cert-reqs", flags.cert_reqs,
                 server ? "Set whether to ask for a client certificate: none (do not request), optional "
                          "(request, verify if sent), required (reject clients without a valid one)."
                        : "Set how to treat the server certificate: none (verify and report, never fail), "
                          "optional or required (fail the handshake when verification fails).")
      ->transform(enum_names(cert_reqs_names()))
      ->type_name("TEXT")
      ->default_str("none");
  app.add_option("--ca-certs", flags.ca_certs,
                 server ? "Load the trust anchors for client certificates from PATH (PEM/DER file or directory)."
                        : "Load the trust anchors from PATH (PEM/DER file or directory). Default when "
                          "--cert-reqs is not none: $SSL_CERT_FILE, else the system trust store.")
      ->type_name("PATH");
  auto* certfile =
      app.add_option("--certfile", flags.certfile,
                     server ? "Present the certificate (chain) in PATH, PEM or DER (the default certificate)."
                            : "Present the client certificate (chain) in PATH, PEM or DER.")
          ->type_name("PATH");
  auto* keyfile =
      app.add_option("--keyfile", flags.keyfile, "Sign with the private key in PATH, PEM or DER.")->type_name("PATH");
  certfile->needs(keyfile);
  keyfile->needs(certfile);
  app.add_flag("--defer-handshake", flags.defer_handshake,
               "Wrap with do_handshake=False: the first read or write runs the handshake.");
  app.add_flag("--nonblocking", flags.nonblocking,
               server ? "Accepted for symmetry: the server always wraps non-blocking sockets and drives them "
                        "with poll."
                      : "Wrap a non-blocking socket and drive it with poll; the report counts would-block steps.");
  auto* pin = app.add_option("--tls-version", flags.tls_version,
                             "Speak only this protocol version: 1.2 or 1.3 (also TLSv1.2, TLSv1.3); 1.0 and 1.1 are "
                             "legacy, with legacy suites, on a wolfSSL built with them.")
                  ->type_name("VERSION")
                  ->transform(tls_version_names());
  app.add_option("--min-version", flags.min_version,
                 "Refuse protocol versions below this one: 1.0, 1.1, 1.2 or 1.3 (default 1.2).")
      ->type_name("VERSION")
      ->transform(tls_version_names())
      ->excludes(pin);
  app.add_option("--max-version", flags.max_version,
                 "Refuse protocol versions above this one: 1.0, 1.1, 1.2 or 1.3 (default 1.3).")
      ->type_name("VERSION")
      ->transform(tls_version_names())
      ->excludes(pin);
  app.add_option("--ciphers", flags.ciphers,
                 "Allow only these cipher suites, ':' or ',' separated, as IANA or wolfSSL names "
                 "(TLS_AES_128_GCM_SHA256:TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 or TLS13-AES128-GCM-SHA256:ECDHE-"
                 "ECDSA-AES128-GCM-SHA256); an unknown name is an error.")
      ->type_name("LIST");
  app.add_option("--alpn", flags.alpn,
                 server ? "Accept these ALPN protocols (comma-separated; the first of the client's list that is here "
                          "wins); refuse a client offering only others (alert no_application_protocol)."
                        : "Offer these ALPN protocols (comma-separated, e.g. h2,http/1.1); the report shows the one "
                          "selected (none is not an error).")
      ->type_name("LIST");
  app.add_option("--security-level", flags.security_level,
                 "Fail certificates whose keys or signature hashes are weaker than OpenSSL's security level N: 0 "
                 "off, 1 (RSA 1024, EC 160, no SHA-1), 2 (RSA 2048, EC 224), 3 (RSA 3072, EC 256). Keys and "
                 "hashes only, not protocol versions or suites.")
      ->type_name("N")
      ->check(CLI::Range(0, 3))
      ->capture_default_str();
  app.add_option("--max-chain-depth", flags.max_chain_depth,
                 "Fail a path with more than N intermediates (self-issued ones not counted).")
      ->type_name("N")
      ->check(CLI::Range(0, kDefaultMaxChainDepth))
      ->capture_default_str();
  app.add_option("--crl", flags.crl,
                 std::string("Check revocation against the CRLs in PATH (PEM/DER file or directory) for the ") +
                     (server ? "client's" : "server's") +
                     " certificates; a certificate without a CRL from its "
                     "issuer fails.")
      ->type_name("PATH");
  app.add_option("--crl-check", flags.crl_check,
                 "With --crl, check the leaf only (leaf) or every certificate below the trust anchor (chain).")
      ->transform(enum_names(crl_check_names()))
      ->type_name("TEXT")
      ->default_str("leaf");
  app.add_option("--at", flags.at,
                 "Verify certificates as of TIME instead of now: RFC 3339 (2030-01-01T00:00:00Z) or an offset "
                 "from now (+30d, -12h, +90m, +45s, +2w).")
      ->type_name("TIME");
  app.add_option("--groups", flags.groups,
                 "Allow only these key-exchange groups, first preferred, comma or colon separated IANA names "
                 "(X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024, X25519, P-256, P-384, P-521, X448, "
                 "ffdhe2048 ...); an unknown or unavailable name is an error (default: wolfSSL's list).")
      ->type_name("LIST");
  if (!server) {
    app.add_option("--key-shares", flags.key_shares,
                   "Send key shares for these groups in the first ClientHello (default: X25519MLKEM768 and X25519 "
                   "where available, so no server needs a HelloRetryRequest; X25519 alone without ML-KEM).")
        ->type_name("LIST");
  } else {
    app.add_flag("--hello-retry", flags.hello_retry,
                 "Answer every first ClientHello with a HelloRetryRequest, by declining each group the client sent "
                 "a key share for (for testing clients).");
  }
  app.add_option("--keylog", flags.keylog,
                 "Append the TLS secrets in NSS key log format to FILE (default: $SSLKEYLOGFILE); fails (exit 2) on a "
                 "wolfSSL built without HAVE_SECRET_CALLBACK.")
      ->type_name("FILE");
  app.add_flag("--no-middlebox-compat", flags.no_middlebox_compat,
               server ? "Turn off TLS 1.3 middlebox compatibility (RFC 8446 D.4): send no change_cipher_spec even to a "
                        "client that sent a session id (default: on); needs the tuned wolfSSL (exit 2 elsewhere)."
                      : "Turn off TLS 1.3 middlebox compatibility (RFC 8446 D.4): send an empty session id and no "
                        "change_cipher_spec (default: on, as OpenSSL); needs the tuned wolfSSL (exit 2 elsewhere).");
}

std::vector<std::string> split_alpn(const std::string& list) { return split(list, ","); }

std::int64_t parse_at(const std::string& text, std::int64_t now) {
  const auto bad = [&] {
    return Error(ErrorKind::usage,
                 "--at: expected an RFC 3339 time (2030-01-01T00:00:00Z) or an offset such as "
                 "+30d, -12h, +90m, +45s, +2w; got '" +
                     text + "'");
  };
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    std::size_t used = 0;
    long long n = 0;
    try {
      n = std::stoll(text.substr(1), &used);
    } catch (const std::exception&) {
      throw bad();
    }
    if (used == 0 || used + 2 != text.size() || n < 0 || n > 100LL * 366 * 86400) throw bad();
    long long unit = 0;
    switch (text.back()) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      case 'w':
        unit = 7 * 86400;
        break;
      default:
        throw bad();
    }
    return now + (text[0] == '+' ? 1 : -1) * n * unit;
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &consumed) != 6 ||
      mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
    throw bad();
  std::size_t pos = static_cast<std::size_t>(consumed);
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    if (pos >= text.size() || !std::isdigit(static_cast<unsigned char>(text[pos]))) throw bad();
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
  }
  long long offset = 0;
  const std::string zone = text.substr(pos);
  if (zone == "Z" || zone == "z") {
    offset = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':' &&
             std::isdigit(static_cast<unsigned char>(zone[1])) && std::isdigit(static_cast<unsigned char>(zone[2])) &&
             std::isdigit(static_cast<unsigned char>(zone[4])) && std::isdigit(static_cast<unsigned char>(zone[5]))) {
    offset = (std::stoi(zone.substr(1, 2)) * 3600 + std::stoi(zone.substr(4, 2)) * 60) * (zone[0] == '+' ? 1 : -1);
  } else {
    throw bad();
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<std::int64_t>(timegm(&tm)) - offset;
}

Options options_from(const TlsFlags& flags, bool server) {
  Options options;
  options.server_side = server;
  options.cert_reqs = flags.cert_reqs;
  if (!flags.ca_certs.empty()) options.ca_certs = flags.ca_certs;
  if (!flags.certfile.empty()) options.certfile = flags.certfile;
  if (!flags.keyfile.empty()) options.keyfile = flags.keyfile;
  options.do_handshake = !flags.defer_handshake;
  options.min_version = flags.tls_version ? flags.tls_version : flags.min_version;
  options.max_version = flags.tls_version ? flags.tls_version : flags.max_version;
  if (!flags.ciphers.empty()) {
    const std::string list = to_wolfssl_cipher_list(flags.ciphers);
    check_cipher_list(list, flags.ciphers);
    options.ciphers = list;
    limit_versions_to_suites(options, list);
  }
  if (!flags.alpn.empty()) options.alpn = split_alpn(flags.alpn);
  if (!flags.groups.empty()) options.groups = flags.groups;
  if (!flags.key_shares.empty()) options.key_shares = flags.key_shares;
  options.hello_retry_request = flags.hello_retry;
  if (const auto target = keylog_target(flags.keylog)) options.keylog = keylog_callback(*target);
  options.middlebox_compat = !flags.no_middlebox_compat;
  options.security_level = flags.security_level;
  options.max_chain_depth = flags.max_chain_depth;
  if (!flags.crl.empty()) options.crl = flags.crl;
  options.crl_check = flags.crl_check;
  if (!flags.at.empty()) options.verify_at = parse_at(flags.at, static_cast<std::int64_t>(std::time(nullptr)));
  return options;
}

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv,
                                      const std::function<void(const std::string&)>& on_usage_error) {
  // Not a CLI11 flag, so it stays out of --help: the packaging step runs it.
  if (argc == 2 && std::string_view(argv[1]) == "--bash-completion") {
    std::cout << bash_completion(app);
    return kExitOk;
  }
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::CallForVersion& e) {
    if (!argv_has(argc, argv, "--json")) return app.exit(e);
    std::cout << version_json() << std::endl;
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    // One line, like every other configuration error (docs/errors.md).
    std::string program = app.get_name();
    if (program.empty()) program = std::filesystem::path(argv[0]).filename().string();
    std::cerr << program << ": error: usage: " << e.what() << " (see --help)" << std::endl;
    if (on_usage_error) on_usage_error(e.what());
    return kExitUsage;
  }
}

bool argv_has(int argc, char** argv, const std::string& flag) {
  for (int i = 1; i < argc; ++i) {
    if (flag == argv[i]) return true;
  }
  return false;
}

}  // namespace ussl::apps
