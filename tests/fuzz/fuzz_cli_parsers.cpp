// The programs' own parsers fed arbitrary text: --expect expressions (and
// their evaluation against a real report), --sni specs, host/ADDR strings,
// cipher lists (IANA or wolfSSL names) and saved-session armour. Each line of
// the input goes to every parser; errors must be exceptions, never crashes.
#include <sstream>
#include <string>

#include "common/ciphers.hpp"
#include "common/expect.hpp"
#include "common/net.hpp"
#include "common/text.hpp"
#include "server/server.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ussl::apps;
  static const Json report = Json::parse(R"({"schema":1,"ok":false,"error":{"kind":"cert_expired","alert":null},
    "tls":{"version":"TLSv1.3"},"connections":[{"resumed":false},{"resumed":true}],"bytes":{"sent":1.0}})");
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::istringstream lines(text);
  std::string line;
  for (int i = 0; i < 32 && std::getline(lines, line); ++i) {
    try {
      if (check_expectation_spec(line).empty()) {
        const std::vector<Expectation> expectations{parse_expectation(line)};
        (void)check_paths(expectations, report);
        const auto results = evaluate(expectations, report);
        (void)all_hold(results);
      }
    } catch (const std::exception&) {
    }
    try {
      (void)value_at(report, line);
    } catch (const std::exception&) {
    }
    (void)check_sni_spec(line);
    (void)unbracket(line);
    try {
      (void)to_wolfssl_cipher_list(line);
    } catch (const std::exception&) {
    }
    try {
      (void)base64_decode(line, "fuzz");
    } catch (const std::exception&) {
    }
  }
  return 0;
}
