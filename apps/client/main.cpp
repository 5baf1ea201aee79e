// ussl-client: parse the command line, run, exit with the documented code.
#include <csignal>
#include <limits>

#include "client/client.hpp"
#include "common/logging.hpp"

int main(int argc, char** argv) {
  using namespace ussl::apps;
  ClientConfig c;
  CLI::App app{
      "Connect to a TLS server with MicroPython ussl.wrap_socket semantics and report what the handshake "
      "found.",
      "ussl-client"};
  app.get_formatter()->column_width(36);
  add_common_flags(app, c.common, "ussl-client", /*server=*/false);
  app.add_option("--host", c.host, "Connect to HOST: a DNS name, an IPv4 or an IPv6 literal.")->required();
  app.add_option("--port", c.port, "Connect to this TCP port.")
      ->type_name("PORT")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  auto* name = app.add_option("--server-hostname", c.server_hostname,
                              "Send NAME as SNI and verify the certificate against it (default: HOST when it is "
                              "a DNS name, none for an IP literal).")
                   ->type_name("NAME");
  app.add_flag("--no-server-hostname", c.no_server_hostname,
               "Send no SNI and check no name (the chain is still verified).")
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
                 "Stop reading after MS milliseconds without data (default: 200 when nothing was sent, 1000 after "
                 "sending, none with --read-bytes).")
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

  add_scan_flags(app, c);

  const bool json = argv_has(argc, argv, "--json");
  if (auto code = parse_command_line(app, argc, argv, [json](const std::string& message) {
        if (json) print_client_usage_error(message);
      })) {
    return *code;
  }
  setup_logging("ussl-client", c.common.verbosity, c.common.quiet);
  std::signal(SIGPIPE, SIG_IGN);
  return run_client(c);
}
