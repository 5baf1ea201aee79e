#include "client/pre_tls.hpp"

#include <spdlog/spdlog.h>

#include "common/text.hpp"

namespace ussl::apps {

Json ProxyReport::json() const {
  return Json{{"url", spec.display_url()},
              {"scheme", spec.scheme == ProxySpec::Scheme::http ? "http" : "socks5h"},
              {"source", spec.source},
              {"ok", ok},
              {"answer", answer ? Json(*answer) : Json(nullptr)}};
}

void run_pre_tls(int fd, const PreTlsConfig& config, Deadline deadline, PreTls& out) {
  PlainStream stream(fd, deadline, kPlainStepTimeout, ErrorKind::proxy_failed, "proxy");
  if (config.proxy) {
    out.proxy = ProxyReport{*config.proxy, std::nullopt, false};
    try {
      const std::string answer = open_tunnel(stream, *config.proxy, config.tunnel_host, config.tunnel_port);
      out.proxy->answer = clip_network(answer, 200);
    } catch (const Error& e) {
      out.proxy->answer = e.message();
      throw;
    }
    out.proxy->ok = true;
    spdlog::info("proxy {}: {}", config.proxy->display_url(), *out.proxy->answer);
  }
  if (config.starttls.empty()) {
    if (stream.buffered() > 0)
      stream.fail("the proxy sent " + std::to_string(stream.buffered()) + " byte(s) after its answer, before TLS");
    return;
  }
  stream.set_failure(ErrorKind::starttls_failed, "server");
  out.starttls = StarttlsReport{};
  out.starttls->protocol = config.starttls;
  out.starttls->name = config.starttls_name;
  starttls_upgrade(stream, *out.starttls);
  spdlog::info("starttls {}: the server agreed; starting TLS", config.starttls);
}

void print_pre_tls(const PreTls& pre, void (*print_line)(const std::string&, const std::string&)) {
  if (pre.proxy) {
    print_line("proxy", pre.proxy->spec.display_url() + " (" + pre.proxy->spec.source +
                            "): " + (pre.proxy->ok ? "" : "FAILED: ") + pre.proxy->answer.value_or("no answer"));
  }
  if (!pre.starttls) return;
  const StarttlsReport& s = *pre.starttls;
  std::string text = s.protocol + " " + s.result;
  if (s.result != "ok") text += " at " + s.step;
  if (s.offered) text += *s.offered ? ", STARTTLS offered" : ", STARTTLS not offered";
  print_line("starttls", text);
  for (const auto& line : s.transcript) print_line("", line);
  if (s.injected) print_line("", "S! " + *s.injected + " (plaintext after the go-ahead)");
}

}  // namespace ussl::apps
