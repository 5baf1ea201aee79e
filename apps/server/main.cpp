// ussl-server: parse the command line, serve, exit with the documented code.
#include <csignal>
#include <limits>

#include "common/logging.hpp"
#include "server/server.hpp"
#include "server/starttls_server.hpp"

int main(int argc, char** argv) {
  using namespace ussl::apps;
  ServerConfig c;
  CLI::App app{"Serve TLS with MicroPython ussl.wrap_socket semantics and report every connection.", "ussl-server"};
  app.get_formatter()->column_width(36);
  add_common_flags(app, c.common, "ussl-server", /*server=*/true);
  add_tls_flags(app, c.tls, /*server=*/true);
  app.add_option("--bind", c.bind, "Listen on this address (0.0.0.0 or :: to serve the network).")
      ->type_name("ADDR")
      ->capture_default_str();
  app.add_option("--port", c.port, "Listen on this TCP port (0 picks a free one; the port is printed).")
      ->type_name("PORT")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  auto* mode =
      app.add_option("--mode", c.mode,
                     "Serve each connection: echo (send back what arrives), http (answer each request with a page "
                     "describing the connection), discard (read and drop), source (send --source-bytes, then close).")
          ->transform(enum_names(EnumNames<ServeMode>{{"echo", ServeMode::echo},
                                                      {"http", ServeMode::http},
                                                      {"discard", ServeMode::discard},
                                                      {"source", ServeMode::source}}))
          ->type_name("TEXT")
          ->default_str("echo");
  app.add_option("--source-bytes", c.source_bytes, "Send N bytes per connection in --mode source.")
      ->type_name("N")
      ->capture_default_str();
  app.add_option("--sni", c.sni,
                 "Present CERTFILE/KEYFILE to clients whose SNI is NAME (repeatable); others get --certfile.")
      ->type_name("NAME:CERTFILE:KEYFILE")
      ->check(CLI::Validator(check_sni_spec, ""));
  app.add_option("--accept", c.accept,
                 "Exit after N connections: 0 if all succeeded, else the first failure's exit code.")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()))
      ->type_name("N");
  app.add_option("--handshake-timeout", c.handshake_timeout_ms,
                 "Drop a connection whose handshake has not completed after MS milliseconds (0: never).")
      ->check(CLI::Range(0, std::numeric_limits<int>::max()))
      ->type_name("MS")
      ->capture_default_str();
  app.add_option("--idle-timeout", c.idle_timeout_ms,
                 "Close a connection that moved no data for MS milliseconds after the handshake (0: never).")
      ->check(CLI::Range(0, std::numeric_limits<int>::max()))
      ->type_name("MS")
      ->capture_default_str();

  auto* starttls =
      app.add_option(
             "--starttls", c.starttls,
             "Speak PROTO in plaintext first (smtp, imap, pop3, ftp, postgres, ldap), start TLS on the client's "
             "STARTTLS, then answer its commands minimally inside TLS (instead of --mode).")
          ->type_name("PROTO")
          ->check(CLI::IsMember(server_starttls_protocols()))
          ->excludes(mode);
  app.add_flag("--starttls-refuse", c.starttls_refuse, "Answer the STARTTLS command with an error (test a client).")
      ->needs(starttls);
  app.add_flag("--starttls-inject", c.starttls_inject,
               "Send extra plaintext right after the STARTTLS go-ahead (the command-injection case a client must not "
               "process).")
      ->needs(starttls)
      ->excludes("--starttls-refuse");
  app.add_option("--threads", c.threads,
                 "Run N event loops, each on its own thread (0: one per usable core, from the CPU affinity).")
      ->check(CLI::Range(0, 1024))
      ->type_name("N")
      ->capture_default_str();

  const bool json = argv_has(argc, argv, "--json");
  if (auto code = parse_command_line(app, argc, argv, [json](const std::string& message) {
        if (json) print_server_usage_error(message);
      })) {
    return *code;
  }
  setup_logging("ussl-server", c.common.verbosity, c.common.quiet);
  return run_server(c);
}
