// ussl-server --starttls PROTO: the server's side of the plaintext dialogue
// up to the upgrade, then a minimal answer, inside TLS, to what real clients
// send next (so curl, Python's clients, psql and ldapsearch finish cleanly).
// Pure byte-in/bytes-out state machines: the event loop does the I/O.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/report.hpp"

namespace ussl::apps {

// smtp, imap, pop3, ftp, postgres, ldap.
const std::vector<std::string>& server_starttls_protocols();

struct StarttlsBehaviour {
  bool refuse = false;  // answer the STARTTLS command with an error
  bool inject = false;  // send extra plaintext right after the go-ahead
};

class StarttlsSession {
 public:
  virtual ~StarttlsSession() = default;
  static std::unique_ptr<StarttlsSession> create(const std::string& protocol, StarttlsBehaviour behaviour);

  // Bytes to send when the connection is accepted (empty: the client speaks first).
  virtual std::string greeting() = 0;
  // Plaintext from the client; returns the answer. A complete STARTTLS
  // command sets upgrade(): send the answer, then start TLS. Bytes the client
  // sent after its STARTTLS command are dropped, never processed (RFC 3207 §4.2).
  std::string feed_plain(std::string_view data);
  // Application data inside TLS; returns the answer.
  std::string feed_tls(std::string_view data);

  bool upgrade() const noexcept { return upgrade_; }
  bool done() const noexcept { return done_; }  // close once the answer is sent

  // {"protocol", "result" (upgraded, refused, not_upgraded), "refused", "injected", "plaintext", "dialogue"}
  Json json() const;
  const std::string& protocol() const noexcept { return protocol_; }
  bool refused() const noexcept { return refused_; }

 protected:
  explicit StarttlsSession(std::string protocol, StarttlsBehaviour behaviour)
      : protocol_(std::move(protocol)), behaviour_(behaviour) {}
  // One step with what has arrived: consume from in, append answers to out.
  // Returns false when more bytes are needed.
  virtual bool step(std::string& in, std::string& out, bool tls) = 0;

  void record(bool client, std::string_view text);
  // Queues the go-ahead (and, with --starttls-inject, plaintext after it); summary replaces a binary answer in
  // the record.
  void go_ahead(std::string& out, std::string_view answer, std::string_view injected, std::string_view summary = {});
  void refuse(std::string& out, std::string_view answer, std::string_view summary = {});
  void finish() { done_ = true; }
  const StarttlsBehaviour& behaviour() const noexcept { return behaviour_; }
  bool in_tls() const noexcept { return in_tls_; }

 private:
  std::string run(std::string_view data, bool tls);
  std::string protocol_;
  StarttlsBehaviour behaviour_;
  std::string in_;
  bool upgrade_ = false;
  bool in_tls_ = false;
  bool done_ = false;
  bool refused_ = false;
  bool injected_ = false;
  std::vector<std::string> plaintext_;  // "C: ..." / "S: ..." before TLS
  std::vector<std::string> dialogue_;   // inside TLS
};

}  // namespace ussl::apps
