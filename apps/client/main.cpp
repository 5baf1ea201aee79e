// ussl-client: parse the command line, run, exit with the documented code.
#include <csignal>
#include <iostream>
#include <limits>

#include "client/client.hpp"
#include "common/exit_codes.hpp"
#include "common/logging.hpp"
#include "common/starttls.hpp"

int main(int argc, char** argv) {
  using namespace ussl::apps;
  ClientConfig c;
  CLI::App app{
      "Connect to a TLS server with MicroPython ussl.wrap_socket semantics and report what the handshake "
      "found.",
      "ussl-client"};
  app.get_formatter()->column_width(36);
  add_common_flags(app, c.common, "ussl-client", /*server=*/false);
  auto* host =
      app.add_option("--host", c.host,
                     "Connect to HOST[:PORT]: a DNS name, an IPv4 literal, an IPv6 literal (::1, [::1] or "
                     "[::1]:443); localhost and *.localhost are loopback without the resolver (required unless "
                     "--chain-file).")
          ->type_name("HOST[:PORT]");
  std::string positional;
  app.add_option("target", positional, "The same as --host HOST[:PORT].")->type_name("HOST[:PORT]")->excludes(host);
  app.add_option("--connect-to", c.connect_to,
                 "Connect to HOST[:PORT] instead (port default: the target's), while SNI, the certificate check "
                 "and a proxy's CONNECT still use --host.")
      ->type_name("HOST[:PORT]");
  auto* proxy =
      app.add_option("--proxy", c.proxy,
                     "Connect through this proxy: http://[USER:PASS@]HOST[:PORT] (HTTP CONNECT, Basic auth) or "
                     "socks5h://[USER:PASS@]HOST[:PORT] (SOCKS5, the proxy resolves names); port default 1080.")
          ->type_name("URL");
  app.add_flag("--proxy-env", c.proxy_env,
               "Use the proxy in $https_proxy, $HTTPS_PROXY, $all_proxy or $ALL_PROXY unless $NO_PROXY names the host "
               "(as curl).")
      ->excludes(proxy);
  app.add_option(
         "--starttls", c.starttls,
         "Upgrade a plaintext connection first: smtp, lmtp, imap, pop3, ftp, xmpp, xmpp-server, ldap, postgres, "
         "mysql, nntp, sieve, irc (the port defaults to the protocol's).")
      ->type_name("PROTO")
      ->check(CLI::IsMember(starttls_protocols()));
  app.add_option("--starttls-name", c.starttls_name,
                 "Name to give in the dialogue: the XMPP stream's 'to' (default: HOST), the SMTP EHLO / LMTP LHLO name "
                 "(default: localhost).")
      ->type_name("NAME");
  app.callback([&] {
    if (c.host.empty()) c.host = positional;
    c.port_given = app.count("--port") > 0;
  });
  app.add_option("--port", c.port, "Connect to this TCP port (when HOST has none).")
      ->type_name("PORT")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  auto* name = app.add_option("--server-hostname", c.server_hostname,
                              "Send NAME as SNI and verify the certificate against it, without a trailing dot and "
                              "with U-labels as A-labels (default: HOST; an IP literal is checked against the "
                              "iPAddress SANs and not sent).")
                   ->type_name("NAME");
  app.add_flag("--no-server-hostname", c.no_server_hostname,
               "Send no SNI and check no name, not even an IP-literal HOST (the chain is still verified).")
      ->excludes(name);
  add_tls_flags(app, c.tls, /*server=*/false);
  auto* send = app.add_option("--send", c.send_text, "Send TEXT after the handshake.")->type_name("TEXT");
  auto* send_file =
      app.add_option("--send-file", c.send_file, "Send the contents of PATH after the handshake.")->type_name("PATH");
  auto* use_stdin = app.add_flag("--stdin", c.use_stdin,
                                 "Read stdin to EOF before connecting and send it (stdin is never read otherwise).");
  send->excludes(send_file, use_stdin);
  send_file->excludes(use_stdin);
  app.add_option("--read-bytes", c.read_bytes, "Stop reading after N bytes; wait for them up to --timeout.")
      ->check(CLI::Range(std::uint64_t{1}, std::numeric_limits<std::uint64_t>::max()))
      ->type_name("N");
  app.add_option("--read-timeout", c.read_timeout_ms,
                 "Stop reading after MS milliseconds without data (default: 1000 after sending; none with "
                 "--read-bytes; nothing sent: no wait, or after a TLS 1.3 CertificateRequest at least 200 ms and "
                 "twice the handshake round trip, for a late alert).")
      ->check(CLI::Range(0, std::numeric_limits<int>::max()))
      ->type_name("MS");
  app.add_option("--connect-timeout", c.connect_timeout_ms, "Give up connecting after MS milliseconds.")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()))
      ->type_name("MS")
      ->capture_default_str();
  app.add_option("--timeout", c.timeout_ms, "Bound the whole run to MS milliseconds (0: no limit).")
      ->check(CLI::Range(0, std::numeric_limits<int>::max()))
      ->type_name("MS")
      ->capture_default_str();
  app.add_option("--recv-file", c.recv_file,
                 "Also write the data received to FILE (in JSON mode too), e.g. to compare a download.")
      ->type_name("FILE");
  app.add_flag("--show-certs", c.show_certs, "Show the certificate chain the server sent, as PEM.");
  app.add_option("--reconnect", c.reconnect,
                 "After the first connection, make N more, each resuming the session (waiting up to 2 s for a TLS "
                 "1.3 ticket first); the report says per connection whether it resumed.")
      ->check(CLI::Range(0, 100))
      ->type_name("N");
  app.add_option("--sess-out", c.sess_out,
                 "Save the session to FILE at the end (TLS 1.3: after waiting for the server's ticket).")
      ->type_name("FILE");
  app.add_option("--sess-in", c.sess_in,
                 "Resume the session saved in FILE by --sess-out (a bad file is a configuration error, exit 2).")
      ->type_name("FILE");

  auto* chain_file =
      app.add_option("--chain-file", c.chain_file,
                     "Verify the chain in FILE (PEM/DER: leaf first, then any order) against --ca-certs, "
                     "--server-hostname (DNS name or IP), --crl, --security-level, --max-chain-depth and --at without "
                     "connecting; same report and exit codes (enforced unless --cert-reqs none).")
          ->type_name("FILE")
          ->excludes(host);
  app.add_option("--chain-role", c.chain_role,
                 "With --chain-file, judge the leaf as a server (EKU serverAuth) or client (clientAuth) certificate.")
      ->transform(enum_names(chain_role_names()))
      ->type_name("TEXT")
      ->needs(chain_file)
      ->default_str("server");
  add_scan_flags(app, c);

  const bool json = argv_has(argc, argv, "--json");
  if (auto code = parse_command_line(app, argc, argv, [json](const std::string& message) {
        if (json) print_client_usage_error(message);
      })) {
    return *code;
  }
  if (c.host.empty() && c.chain_file.empty()) {
    const std::string message = "--host is required";
    std::cerr << "ussl-client: error: usage: " << message << " (see --help)" << std::endl;
    if (json) print_client_usage_error(message);
    return kExitUsage;
  }
  c.cert_reqs_given = app.count("--cert-reqs") > 0;
  setup_logging("ussl-client", c.common.verbosity, c.common.quiet);
  if (!c.chain_file.empty()) return run_offline(c);
  std::signal(SIGPIPE, SIG_IGN);
  return run_client(c);
}
