#include "common/proxy.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "common/address.hpp"
#include "common/text.hpp"
#include "ussl/error.hpp"

namespace ussl::apps {
namespace {

[[noreturn]] void bad_url(std::string_view what, const std::string& why) {
  throw Error(ErrorKind::usage, std::string(what) + ": " + why);
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string percent_decode(std::string_view text, std::string_view what) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(text[i + 2])))
      bad_url(what, "bad percent-encoding in the user or password");
    out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
    i += 2;
  }
  return out;
}

std::string http_connect(PlainStream& stream, const ProxySpec& proxy, const std::string& host, std::uint16_t port) {
  const std::string authority = join_host_port(host, port);
  std::string request = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n";
  if (proxy.user)
    request += "Proxy-Authorization: Basic " + base64_encode(*proxy.user + ":" + proxy.password.value_or("")) + "\r\n";
  request += "User-Agent: ussl-client/" USSL_VERSION "\r\n\r\n";
  stream.write(request);
  const std::string status = stream.read_line();
  // "HTTP/1.1 200 Connection established"
  const bool http = status.rfind("HTTP/1.", 0) == 0 && status.size() >= 12 && status[8] == ' ';
  if (!http) stream.fail("the proxy did not answer HTTP: '" + clip_network(status, 80) + "'");
  for (int lines = 0;; ++lines) {
    if (lines >= 100) stream.fail("the proxy sent more than 100 header lines");
    if (stream.read_line().empty()) break;
  }
  if (status[9] != '2') stream.fail("the proxy refused the tunnel: '" + clip_network(status, 120) + "'");
  return status;
}

std::string socks_reply_text(unsigned code) {
  switch (code) {
    case 0:
      return "succeeded";
    case 1:
      return "general SOCKS server failure";
    case 2:
      return "connection not allowed by ruleset";
    case 3:
      return "network unreachable";
    case 4:
      return "host unreachable";
    case 5:
      return "connection refused";
    case 6:
      return "TTL expired";
    case 7:
      return "command not supported";
    case 8:
      return "address type not supported";
    default:
      return "reply " + std::to_string(code);
  }
}

std::string socks5(PlainStream& stream, const ProxySpec& proxy, const std::string& host, std::uint16_t port) {
  const bool auth = proxy.user.has_value();
  stream.write(auth ? std::string("\x05\x02\x00\x02", 4) : std::string("\x05\x01\x00", 3));
  const std::string choice = stream.read_exact(2);
  if (choice[0] != '\x05') stream.fail("the proxy does not speak SOCKS5");
  const auto method = static_cast<unsigned char>(choice[1]);
  if (method == 0xff)
    stream.fail(auth ? "the SOCKS5 proxy accepts neither no authentication nor user/password"
                     : "the SOCKS5 proxy requires authentication (give user:password@ in --proxy)");
  if (method == 2) {
    if (!auth) stream.fail("the SOCKS5 proxy chose user/password authentication, which was not offered");
    const std::string& user = *proxy.user;
    const std::string password = proxy.password.value_or("");
    if (user.size() > 255 || password.size() > 255) stream.fail("SOCKS5 user and password are limited to 255 bytes");
    std::string request = "\x01";
    request += static_cast<char>(user.size());
    request += user;
    request += static_cast<char>(password.size());
    request += password;
    stream.write(request);
    const std::string status = stream.read_exact(2);
    if (status[1] != '\x00') stream.fail("the SOCKS5 proxy rejected the user and password");
  } else if (method != 0) {
    stream.fail("the SOCKS5 proxy chose an authentication method that was not offered (" + std::to_string(method) +
                ")");
  }
  std::string request("\x05\x01\x00", 3);
  unsigned char raw[16];
  if (::inet_pton(AF_INET, host.c_str(), raw) == 1) {
    request += '\x01';
    request.append(reinterpret_cast<const char*>(raw), 4);
  } else if (::inet_pton(AF_INET6, host.c_str(), raw) == 1) {
    request += '\x04';
    request.append(reinterpret_cast<const char*>(raw), 16);
  } else {
    if (host.size() > 255) stream.fail("a SOCKS5 host name is limited to 255 bytes");
    request += '\x03';
    request += static_cast<char>(host.size());
    request += host;  // socks5h: the proxy resolves it
  }
  request += static_cast<char>(port >> 8);
  request += static_cast<char>(port & 0xff);
  stream.write(request);
  const std::string head = stream.read_exact(4);
  if (head[0] != '\x05') stream.fail("the SOCKS5 proxy answered with version " + std::to_string(head[0]));
  const auto reply = static_cast<unsigned char>(head[1]);
  if (reply != 0) stream.fail("the SOCKS5 proxy refused the tunnel: " + socks_reply_text(reply));
  std::size_t skip = 0;
  switch (head[3]) {
    case '\x01':
      skip = 4;
      break;
    case '\x04':
      skip = 16;
      break;
    case '\x03':
      skip = static_cast<unsigned char>(stream.read_exact(1)[0]);
      break;
    default:
      stream.fail("the SOCKS5 proxy answered with address type " + std::to_string(head[3]));
  }
  stream.read_exact(skip + 2);  // bound address and port
  return "SOCKS5 succeeded";
}

}  // namespace

std::string ProxySpec::display_url() const {
  std::string url = scheme == Scheme::http ? "http://" : "socks5h://";
  if (user) url += *user + "@";
  return url + join_host_port(host, port);
}

ProxySpec parse_proxy_url(std::string_view url, std::string_view what) {
  ProxySpec spec;
  std::string_view rest = url;
  const std::size_t scheme_end = rest.find("://");
  if (scheme_end != std::string_view::npos) {
    const std::string scheme = lower(rest.substr(0, scheme_end));
    if (scheme == "http") {
      spec.scheme = ProxySpec::Scheme::http;
    } else if (scheme == "socks5h") {
      spec.scheme = ProxySpec::Scheme::socks5h;
    } else {
      bad_url(what, "unsupported proxy scheme '" + scheme + "' (http:// or socks5h://)");
    }
    rest.remove_prefix(scheme_end + 3);
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) bad_url(what, "a proxy URL has no path");
  const std::size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    const std::size_t colon = userinfo.find(':');
    spec.user = percent_decode(userinfo.substr(0, colon), what);
    if (colon != std::string_view::npos) spec.password = percent_decode(userinfo.substr(colon + 1), what);
    rest.remove_prefix(at + 1);
  }
  const HostPort hp = parse_host_port(rest, what);
  spec.host = hp.host;
  spec.port = hp.port.value_or(1080);
  return spec;
}

bool no_proxy_matches(std::string_view no_proxy, std::string_view host) {
  const std::string name = lower(host);
  for (const auto& raw : split(std::string(no_proxy), ", ")) {
    std::string entry = lower(raw);
    if (entry.empty()) continue;
    if (entry == "*") return true;
    if (entry.size() > 2 && entry.front() == '[' && entry.back() == ']') entry = entry.substr(1, entry.size() - 2);
    if (entry.front() == '.') entry.erase(0, 1);
    if (name == entry) return true;
    if (name.size() > entry.size() && name.ends_with(entry) && name[name.size() - entry.size() - 1] == '.') return true;
  }
  return false;
}

std::optional<ProxySpec> proxy_from_environment(const std::string& host,
                                                const std::function<const char*(const char*)>& getenv) {
  for (const char* name : {"no_proxy", "NO_PROXY"}) {
    const char* value = getenv(name);
    if (value != nullptr && *value != '\0') {
      if (no_proxy_matches(value, host)) return std::nullopt;
      break;
    }
  }
  for (const char* name : {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}) {
    const char* value = getenv(name);
    if (value == nullptr || *value == '\0') continue;
    ProxySpec spec = parse_proxy_url(value, name);
    spec.source = name;
    return spec;
  }
  return std::nullopt;
}

std::string open_tunnel(PlainStream& stream, const ProxySpec& proxy, const std::string& host, std::uint16_t port) {
  return proxy.scheme == ProxySpec::Scheme::http ? http_connect(stream, proxy, host, port)
                                                 : socks5(stream, proxy, host, port);
}

}  // namespace ussl::apps
