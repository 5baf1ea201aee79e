// The small HTTP/1.x subset --mode http needs: split a byte stream into
// requests (skipping bodies) and format a response.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ussl::apps {

struct HttpRequest {
  std::string method;
  std::string target;
  std::string version;
  bool keep_alive = true;
};

class HttpParser {
 public:
  void feed(std::string_view data) { buffer_.append(data); }
  // The next complete request, nullopt when more bytes are needed or the
  // stream is malformed (then error() is set).
  std::optional<HttpRequest> next();
  const std::string& error() const noexcept { return error_; }
  // Gives the buffer's memory back when nothing is pending (an idle
  // keep-alive connection then holds no request buffer).
  void release_if_empty() {
    if (buffer_.empty()) std::string().swap(buffer_);
  }

 private:
  std::string buffer_;
  std::uint64_t body_left_ = 0;
  std::string error_;
};

std::string http_response(int status, std::string_view reason, const std::string& body, bool keep_alive,
                          bool head_only);

}  // namespace ussl::apps
