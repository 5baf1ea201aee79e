// Client STARTTLS: the plaintext dialogue that upgrades a connection to TLS,
// per protocol, recorded for the report. Runs on the connected socket before
// the library wraps it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/plain_stream.hpp"
#include "common/report.hpp"

namespace ussl::apps {

// smtp, lmtp, imap, pop3, ftp, xmpp, xmpp-server, ldap, postgres, mysql, nntp, sieve, irc.
const std::vector<std::string>& starttls_protocols();

// The usual port of a protocol (smtp 25, imap 143, ...), for a --host without one.
std::uint16_t starttls_default_port(std::string_view protocol);

struct StarttlsReport {
  std::string protocol;
  std::string name;  // the EHLO/LHLO name, the XMPP stream's 'to'
  std::optional<std::string> greeting;
  std::vector<std::string> capabilities;
  std::vector<std::string> transcript;  // "S: 220 ...", "C: EHLO ...", escaped and cut
  std::optional<bool> offered;          // the server listed STARTTLS; nullopt when it cannot say
  std::string step = "greeting";        // the step running (where it failed)
  std::string result = "failed";        // "ok", "not_offered", "refused", "failed", "injection"
  std::optional<std::string> injected;  // plaintext after the go-ahead, escaped

  Json json() const;
};

// Runs the dialogue up to the server's go-ahead and checks that nothing
// follows it. Throws ussl::Error: starttls_failed (not offered, refused,
// closed, timed out, not this protocol) or starttls_injection.
void starttls_upgrade(PlainStream& stream, StarttlsReport& report);

}  // namespace ussl::apps
