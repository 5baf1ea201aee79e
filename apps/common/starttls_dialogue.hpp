// Internal to starttls*.cpp: a plaintext dialogue that records what it
// sends and receives.
#pragma once

#include <string>
#include <string_view>

#include "common/plain_stream.hpp"
#include "common/starttls.hpp"
#include "common/text.hpp"

namespace ussl::apps::starttls_detail {

inline constexpr std::size_t kTranscriptLines = 64;
inline constexpr std::size_t kShownBytes = 200;

class Dialogue {
 public:
  Dialogue(PlainStream& stream, StarttlsReport& report) : stream_(stream), report_(report) {}

  void step(std::string name) { report_.step = std::move(name); }
  void note(const std::string& line) {
    if (report_.transcript.size() < kTranscriptLines) report_.transcript.push_back(line);
  }
  void send(std::string_view text, std::string_view terminator = "\r\n") {
    note("C: " + clip_network(text, kShownBytes));
    stream_.write(std::string(text) + std::string(terminator));
  }
  void send_binary(std::string_view bytes, const std::string& summary) {
    note("C: " + summary);
    stream_.write(bytes);
  }
  std::string line() {
    std::string text = stream_.read_line();
    note("S: " + clip_network(text, kShownBytes));
    return text;
  }
  void capability(std::string_view text) {
    if (report_.capabilities.size() < kTranscriptLines) report_.capabilities.push_back(clip_network(text, kShownBytes));
  }
  void greeting(std::string_view text) {
    if (!report_.greeting) report_.greeting = clip_network(text, kShownBytes);
  }
  [[noreturn]] void fail(const std::string& result, const std::string& message) {
    report_.result = result;
    stream_.fail(message);
  }
  [[noreturn]] void not_offered() {
    fail("not_offered", "the server does not offer STARTTLS (" + report_.protocol + ")");
  }
  [[noreturn]] void refused(std::string_view answer) {
    fail("refused", "the server refused STARTTLS: '" + clip_network(answer, kShownBytes) + "'");
  }
  [[noreturn]] void unexpected(std::string_view answer) {
    fail("failed", report_.step + ": unexpected answer '" + clip_network(answer, kShownBytes) + "'");
  }

  PlainStream& stream() { return stream_; }
  StarttlsReport& report() { return report_; }

 private:
  PlainStream& stream_;
  StarttlsReport& report_;
};

// Binary protocols (starttls_binary.cpp).
void ldap_upgrade(Dialogue& d);
void postgres_upgrade(Dialogue& d);
void mysql_upgrade(Dialogue& d);

}  // namespace ussl::apps::starttls_detail
