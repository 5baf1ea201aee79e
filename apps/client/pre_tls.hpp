// ussl-client before TLS: the proxy tunnel and the STARTTLS dialogue, on the
// connected socket, recorded for the report.
#pragma once

#include <optional>
#include <string>

#include "common/proxy.hpp"
#include "common/report.hpp"
#include "common/starttls.hpp"

namespace ussl::apps {

struct ProxyReport {
  ProxySpec spec;
  std::optional<std::string> answer;  // the proxy's answer, escaped
  bool ok = false;

  Json json() const;
};

struct PreTlsConfig {
  std::optional<ProxySpec> proxy;
  std::string tunnel_host;  // where the proxy connects
  std::uint16_t tunnel_port = 0;
  std::string starttls;  // protocol, or empty
  std::string starttls_name;
};

struct PreTls {
  std::optional<ProxyReport> proxy;
  std::optional<StarttlsReport> starttls;
};

// Each plaintext step (a proxy answer, a STARTTLS reply) waits at most this long.
inline constexpr std::chrono::milliseconds kPlainStepTimeout{10000};

// Runs the proxy's CONNECT (or SOCKS5 request) and the STARTTLS dialogue on
// fd, filling out as it goes (so a failure still shows what was seen).
// Throws ussl::Error: proxy_failed, starttls_failed, starttls_injection.
void run_pre_tls(int fd, const PreTlsConfig& config, Deadline deadline, PreTls& out);

// The human lines: "proxy", "starttls" and the dialogue, indented.
void print_pre_tls(const PreTls& pre, void (*print_line)(const std::string&, const std::string&));

}  // namespace ussl::apps
