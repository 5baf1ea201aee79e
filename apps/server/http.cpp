#include "server/http.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace ussl::apps {
namespace {

constexpr std::size_t kMaxHeaderBytes = 16384;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<HttpRequest> HttpParser::next() {
  if (!error_.empty()) return std::nullopt;
  const std::size_t skip = std::min<std::uint64_t>(body_left_, buffer_.size());
  buffer_.erase(0, skip);
  body_left_ -= skip;
  if (body_left_ > 0) return std::nullopt;

  std::size_t end = buffer_.find("\r\n\r\n");
  std::size_t terminator = 4;
  if (const std::size_t lf = buffer_.find("\n\n"); lf != std::string::npos && (end == std::string::npos || lf < end)) {
    end = lf;
    terminator = 2;
  }
  if (end == std::string::npos) {
    if (buffer_.size() > kMaxHeaderBytes) error_ = "request header too large";
    return std::nullopt;
  }
  const std::string head = buffer_.substr(0, end);
  buffer_.erase(0, end + terminator);

  HttpRequest request;
  std::size_t line_end = head.find('\n');
  const std::string_view request_line = trim(std::string_view(head).substr(0, line_end));
  const std::size_t sp1 = request_line.find(' ');
  const std::size_t sp2 = request_line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) {
    error_ = "malformed request line";
    return std::nullopt;
  }
  request.method = std::string(request_line.substr(0, sp1));
  request.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
  request.version = std::string(request_line.substr(sp2 + 1));
  if (request.version.rfind("HTTP/1.", 0) != 0) {
    error_ = "not an HTTP/1.x request";
    return std::nullopt;
  }
  request.keep_alive = request.version != "HTTP/1.0";

  while (line_end != std::string::npos) {
    const std::size_t start = line_end + 1;
    line_end = head.find('\n', start);
    const std::string_view line = std::string_view(head).substr(start, line_end - start);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string name = lower(trim(line.substr(0, colon)));
    const std::string value = lower(trim(line.substr(colon + 1)));
    if (name == "connection") {
      if (value.find("close") != std::string::npos) request.keep_alive = false;
      if (value.find("keep-alive") != std::string::npos) request.keep_alive = true;
    } else if (name == "content-length") {
      std::uint64_t length = 0;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (ec != std::errc() || ptr != value.data() + value.size()) {
        error_ = "bad Content-Length";
        return std::nullopt;
      }
      body_left_ = length;
    }
  }
  return request;
}

std::string http_response(int status, std::string_view reason, const std::string& body, bool keep_alive,
                          bool head_only) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  out += "Server: ussl-server\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  out += "\r\n";
  if (!head_only) out += body;
  return out;
}

}  // namespace ussl::apps
