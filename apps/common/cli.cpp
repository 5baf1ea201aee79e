#include "common/cli.hpp"

#include <cstring>

#include "common/exit_codes.hpp"
#include "ussl/socket.hpp"

namespace ussl::apps {
namespace {

CertReqs cert_reqs_from(const std::string& name) {
  if (name == "required") return CertReqs::required;
  if (name == "optional") return CertReqs::optional;
  return CertReqs::none;
}

std::optional<TlsVersion> version_from(const std::string& name) {
  if (name == "TLSv1.2") return TlsVersion::tls1_2;
  if (name == "TLSv1.3") return TlsVersion::tls1_3;
  return std::nullopt;
}

std::string exit_code_footer() {
  std::string text = "Exit codes:";
  for (const auto& info : exit_code_table())
    text += "\n  " + std::to_string(info.code) + "  " + std::string(info.meaning);
  return text;
}

}  // namespace

std::string version_text(const std::string& program) {
  return program + " " + USSL_VERSION + " (wolfSSL " + wolfssl_version() + ")";
}

void add_common_flags(CLI::App& app, CommonFlags& flags, const std::string& program) {
  app.set_version_flag("--version", version_text(program), "Print the version and exit.");
  app.add_flag("-v,--verbose", flags.verbosity,
               "Log more on stderr: -v info, -vv debug, -vvv trace (default: warnings).");
  app.add_flag("-q,--quiet", flags.quiet, "Log only errors on stderr.")->excludes("--verbose");
  app.add_flag("--json", flags.json, "Print JSON (schema 1) on stdout instead of the human report.");
  app.footer(exit_code_footer());
}

void add_tls_flags(CLI::App& app, TlsFlags& flags, bool server) {
  app.add_option("--cert-reqs", flags.cert_reqs,
                 server ? "Set whether to ask for a client certificate: none (do not request), optional "
                          "(request, verify if sent), required (reject clients without a valid one)."
                        : "Set how to treat the server certificate: none (verify and report, never fail), "
                          "optional or required (fail the handshake when verification fails).")
      ->check(CLI::IsMember({"none", "optional", "required"}))
      ->capture_default_str();
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
  app.add_option("--min-version", flags.min_version, "Refuse protocol versions below this one (default TLSv1.2).")
      ->check(CLI::IsMember({"TLSv1.2", "TLSv1.3"}));
  app.add_option("--max-version", flags.max_version, "Refuse protocol versions above this one (default TLSv1.3).")
      ->check(CLI::IsMember({"TLSv1.2", "TLSv1.3"}));
  app.add_option("--ciphers", flags.ciphers,
                 "Offer only these cipher suites (wolfSSL list, e.g. TLS13-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-"
                 "SHA256).")
      ->type_name("LIST");
}

Options options_from(const TlsFlags& flags, bool server) {
  Options options;
  options.server_side = server;
  options.cert_reqs = cert_reqs_from(flags.cert_reqs);
  if (!flags.ca_certs.empty()) options.ca_certs = flags.ca_certs;
  if (!flags.certfile.empty()) options.certfile = flags.certfile;
  if (!flags.keyfile.empty()) options.keyfile = flags.keyfile;
  options.do_handshake = !flags.defer_handshake;
  options.min_version = version_from(flags.min_version);
  options.max_version = version_from(flags.max_version);
  if (!flags.ciphers.empty()) options.ciphers = flags.ciphers;
  return options;
}

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv,
                                      const std::function<void(const std::string&)>& on_usage_error) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, version or the error
    if (code == 0) return kExitOk;
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
