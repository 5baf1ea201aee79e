#include "server/starttls_server.hpp"

#include <algorithm>
#include <cctype>

#include "common/text.hpp"
#include "server/starttls_server_detail.hpp"

namespace ussl::apps {
namespace {

constexpr std::size_t kMaxLine = 4096;
constexpr std::size_t kMaxRecorded = 64;
constexpr std::size_t kMaxPending = 64 * 1024;  // unanswered input: the client is not speaking the protocol

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string word(std::string_view line, std::size_t index) {
  std::size_t i = 0;
  for (std::size_t n = 0;; ++n) {
    while (i < line.size() && line[i] == ' ') ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (n == index || start == line.size()) return std::string(line.substr(start, i - start));
  }
}

// A protocol of CRLF-terminated command lines.
class LineSession : public StarttlsSession {
 protected:
  using StarttlsSession::StarttlsSession;
  virtual void handle(const std::string& line, std::string& out, bool tls) = 0;
  // SMTP DATA: lines are message content until ".".
  bool data_mode_ = false;
  std::size_t data_lines_ = 0;

  // Sends text (one or more CRLF-terminated lines), recording each line.
  void reply(std::string& out, std::string_view text) {
    out += text;
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t end = text.find("\r\n", start);
      if (end == std::string_view::npos) end = text.size();
      record(false, text.substr(start, end - start));
      start = end + 2;
    }
  }

 private:
  bool step(std::string& in, std::string& out, bool tls) override {
    const std::size_t nl = in.find('\n');
    if (nl == std::string::npos) {
      if (in.size() > kMaxLine) {
        reply(out, "500 line too long\r\n");
        finish();
      }
      return false;
    }
    std::string line = in.substr(0, nl);
    in.erase(0, nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (data_mode_) {
      handle(line, out, tls);
      return true;
    }
    record(true, line);
    handle(line, out, tls);
    return true;
  }
};

class Smtp final : public LineSession {
 public:
  explicit Smtp(StarttlsBehaviour b) : LineSession("smtp", b) {}
  std::string greeting() override {
    std::string out;
    reply(out, "220 ussl-server ESMTP ready (STARTTLS test endpoint)\r\n");
    return out;
  }

 private:
  int auth_prompts_ = 0;

  void handle(const std::string& line, std::string& out, bool tls) override {
    if (data_mode_) {
      if (line != ".") {
        ++data_lines_;
        return;
      }
      data_mode_ = false;
      record(true, "(" + std::to_string(data_lines_) + " line(s) of message data) .");
      reply(out, "250 2.0.0 OK: queued (and discarded) by ussl-server\r\n");
      return;
    }
    if (auth_prompts_ > 0) {
      --auth_prompts_;
      reply(out, auth_prompts_ > 0 ? "334 UGFzc3dvcmQ6\r\n" : "235 2.7.0 Authentication successful\r\n");
      return;
    }
    const std::string verb = upper(word(line, 0));
    if (verb == "QUIT") {
      reply(out, "221 2.0.0 Bye\r\n");
      finish();
    } else if (verb == "NOOP" || verb == "RSET") {
      reply(out, "250 2.0.0 OK\r\n");
    } else if (verb == "HELO") {
      reply(out, "250 ussl-server\r\n");
    } else if (verb == "EHLO" || verb == "LHLO") {
      reply(out, tls ? "250-ussl-server\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 AUTH PLAIN LOGIN\r\n"
                     : "250-ussl-server\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 STARTTLS\r\n");
    } else if (!tls && verb == "STARTTLS") {
      if (behaviour().refuse) return refuse(out, "454 4.7.0 TLS not available (--starttls-refuse)\r\n");
      go_ahead(out, "220 2.0.0 Ready to start TLS\r\n", "250 injected plaintext (--starttls-inject)\r\n");
    } else if (!tls) {
      reply(out, "530 5.7.0 Must issue a STARTTLS command first\r\n");
    } else if (verb == "AUTH") {
      const std::string mechanism = upper(word(line, 1));
      const bool initial = !word(line, 2).empty();
      if (mechanism == "PLAIN" && initial) {
        reply(out, "235 2.7.0 Authentication successful\r\n");
      } else if (mechanism == "PLAIN") {
        auth_prompts_ = 1;
        reply(out, "334 \r\n");
      } else if (mechanism == "LOGIN") {
        auth_prompts_ = initial ? 1 : 2;
        reply(out, initial ? "334 UGFzc3dvcmQ6\r\n" : "334 VXNlcm5hbWU6\r\n");
      } else {
        reply(out, "504 5.5.4 Unrecognized authentication type\r\n");
      }
    } else if (verb == "MAIL") {
      reply(out, "250 2.1.0 OK\r\n");
    } else if (verb == "RCPT") {
      reply(out, "250 2.1.5 OK\r\n");
    } else if (verb == "DATA") {
      data_mode_ = true;
      data_lines_ = 0;
      reply(out, "354 End data with <CR><LF>.<CR><LF>\r\n");
    } else if (verb == "VRFY" || verb == "EXPN") {
      reply(out, "252 2.0.0 Cannot VRFY user\r\n");
    } else if (verb == "HELP") {
      reply(out, "214 2.0.0 ussl-server: a STARTTLS test endpoint\r\n");
    } else {
      reply(out, "502 5.5.2 Command not recognized\r\n");
    }
  }
};

class Imap final : public LineSession {
 public:
  explicit Imap(StarttlsBehaviour b) : LineSession("imap", b) {}
  std::string greeting() override {
    std::string out;
    reply(out, "* OK ussl-server IMAP4rev1 ready (STARTTLS test endpoint)\r\n");
    return out;
  }

 private:
  std::string auth_tag_;  // AUTHENTICATE waiting for the client's response line

  void handle(const std::string& line, std::string& out, bool tls) override {
    if (!auth_tag_.empty()) {
      reply(out, auth_tag_ + " OK AUTHENTICATE completed\r\n");
      auth_tag_.clear();
      return;
    }
    const std::string tag = word(line, 0);
    const std::string verb = upper(word(line, 1));
    if (tag.empty() || verb.empty()) return reply(out, "* BAD expected a tag and a command\r\n");
    if (verb == "LOGOUT") {
      reply(out, "* BYE ussl-server logging out\r\n" + tag + " OK LOGOUT completed\r\n");
      finish();
    } else if (verb == "NOOP") {
      reply(out, tag + " OK NOOP completed\r\n");
    } else if (verb == "CAPABILITY") {
      reply(out, std::string("* CAPABILITY IMAP4rev1 ") + (tls ? "AUTH=PLAIN" : "STARTTLS LOGINDISABLED") + "\r\n" +
                     tag + " OK CAPABILITY completed\r\n");
    } else if (verb == "STARTTLS" && !tls) {
      if (behaviour().refuse) return refuse(out, tag + " NO [UNAVAILABLE] TLS not available (--starttls-refuse)\r\n");
      go_ahead(out, tag + " OK Begin TLS negotiation now\r\n", "* OK injected plaintext (--starttls-inject)\r\n");
    } else if (!tls) {
      reply(out, tag + " BAD STARTTLS first (LOGINDISABLED)\r\n");
    } else if (verb == "LOGIN") {
      reply(out, tag + " OK LOGIN completed\r\n");
    } else if (verb == "AUTHENTICATE") {
      if (!word(line, 3).empty()) return reply(out, tag + " OK AUTHENTICATE completed\r\n");  // SASL-IR
      auth_tag_ = tag;
      reply(out, "+ \r\n");
    } else if (verb == "LIST" || verb == "LSUB") {
      reply(out, "* " + verb + " (\\HasNoChildren) \"/\" INBOX\r\n" + tag + " OK " + verb + " completed\r\n");
    } else if (verb == "SELECT" || verb == "EXAMINE") {
      reply(out, "* FLAGS ()\r\n* 0 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1] UIDs valid\r\n" + tag + " OK [" +
                     (verb == "SELECT" ? "READ-WRITE" : "READ-ONLY") + "] " + verb + " completed\r\n");
    } else if (verb == "CHECK" || verb == "CLOSE" || verb == "EXPUNGE" || verb == "ENABLE" || verb == "ID" ||
               verb == "UNSELECT") {
      reply(out, tag + " OK " + verb + " completed\r\n");
    } else {
      reply(out, tag + " BAD unknown command\r\n");
    }
  }
};

class Pop3 final : public LineSession {
 public:
  explicit Pop3(StarttlsBehaviour b) : LineSession("pop3", b) {}
  std::string greeting() override {
    std::string out;
    reply(out, "+OK ussl-server POP3 ready (STARTTLS test endpoint)\r\n");
    return out;
  }

 private:
  void handle(const std::string& line, std::string& out, bool tls) override {
    const std::string verb = upper(word(line, 0));
    if (verb == "QUIT") {
      reply(out, "+OK bye\r\n");
      finish();
    } else if (verb == "NOOP") {
      reply(out, "+OK\r\n");
    } else if (verb == "CAPA") {
      reply(out, tls ? "+OK Capability list follows\r\nUSER\r\nUIDL\r\n.\r\n"
                     : "+OK Capability list follows\r\nSTLS\r\nUSER\r\nUIDL\r\n.\r\n");
    } else if (verb == "STLS" && !tls) {
      if (behaviour().refuse) return refuse(out, "-ERR TLS not available (--starttls-refuse)\r\n");
      go_ahead(out, "+OK Begin TLS negotiation\r\n", "+OK injected plaintext (--starttls-inject)\r\n");
    } else if (!tls) {
      reply(out, "-ERR STLS first\r\n");
    } else if (verb == "USER") {
      reply(out, "+OK send PASS\r\n");
    } else if (verb == "PASS" || verb == "APOP") {
      reply(out, "+OK maildrop has 0 messages\r\n");
    } else if (verb == "STAT") {
      reply(out, "+OK 0 0\r\n");
    } else if (verb == "LIST" || verb == "UIDL") {
      reply(out, word(line, 1).empty() ? "+OK 0 messages\r\n.\r\n" : "-ERR no such message\r\n");
    } else if (verb == "RSET") {
      reply(out, "+OK\r\n");
    } else if (verb == "RETR" || verb == "TOP" || verb == "DELE") {
      reply(out, "-ERR no such message\r\n");
    } else {
      reply(out, "-ERR unknown command\r\n");
    }
  }
};

class Ftp final : public LineSession {
 public:
  explicit Ftp(StarttlsBehaviour b) : LineSession("ftp", b) {}
  std::string greeting() override {
    std::string out;
    reply(out, "220 ussl-server FTP ready (AUTH TLS test endpoint)\r\n");
    return out;
  }

 private:
  void handle(const std::string& line, std::string& out, bool tls) override {
    const std::string verb = upper(word(line, 0));
    if (verb == "QUIT") {
      reply(out, "221 Goodbye.\r\n");
      finish();
    } else if (verb == "NOOP") {
      reply(out, "200 NOOP ok.\r\n");
    } else if (verb == "FEAT") {
      reply(out, "211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n UTF8\r\n211 End\r\n");
    } else if (verb == "AUTH" && !tls) {
      const std::string what = upper(word(line, 1));
      if (what != "TLS" && what != "SSL" && what != "TLS-C") return reply(out, "504 AUTH type not supported\r\n");
      if (behaviour().refuse) return refuse(out, "534 TLS not available (--starttls-refuse)\r\n");
      go_ahead(out, "234 Proceed with negotiation.\r\n", "200 injected plaintext (--starttls-inject)\r\n");
    } else if (!tls) {
      reply(out, "530 Please use AUTH TLS first.\r\n");
    } else if (verb == "USER") {
      reply(out, "331 Please specify the password.\r\n");
    } else if (verb == "PASS") {
      reply(out, "230 Login successful.\r\n");
    } else if (verb == "PBSZ") {
      reply(out, "200 PBSZ=0\r\n");
    } else if (verb == "PROT") {
      reply(out, "200 Protection level set.\r\n");
    } else if (verb == "PWD") {
      reply(out, "257 \"/\" is the current directory\r\n");
    } else if (verb == "CWD") {
      reply(out, "250 Directory successfully changed.\r\n");
    } else if (verb == "TYPE") {
      reply(out, "200 Type set.\r\n");
    } else if (verb == "SYST") {
      reply(out, "215 UNIX Type: L8\r\n");
    } else if (verb == "OPTS") {
      reply(out, "200 OK.\r\n");
    } else if (verb == "SIZE" || verb == "MDTM") {
      reply(out, "550 Could not get file size.\r\n");
    } else if (verb == "PASV" || verb == "EPSV" || verb == "PORT" || verb == "EPRT" || verb == "LIST" ||
               verb == "NLST" || verb == "RETR" || verb == "STOR" || verb == "MLSD") {
      reply(out, "425 ussl-server opens no data connections.\r\n");
    } else {
      reply(out, "502 Command not implemented.\r\n");
    }
  }
};

}  // namespace

const std::vector<std::string>& server_starttls_protocols() {
  static const std::vector<std::string> names{"smtp", "imap", "pop3", "ftp", "postgres", "ldap"};
  return names;
}

std::unique_ptr<StarttlsSession> StarttlsSession::create(const std::string& protocol, StarttlsBehaviour behaviour) {
  if (protocol == "smtp") return std::make_unique<Smtp>(behaviour);
  if (protocol == "imap") return std::make_unique<Imap>(behaviour);
  if (protocol == "pop3") return std::make_unique<Pop3>(behaviour);
  if (protocol == "ftp") return std::make_unique<Ftp>(behaviour);
  if (protocol == "postgres") return starttls_server_detail::make_postgres(behaviour);
  if (protocol == "ldap") return starttls_server_detail::make_ldap(behaviour);
  return nullptr;
}

void StarttlsSession::record(bool client, std::string_view text) {
  auto& lines = in_tls_ ? dialogue_ : plaintext_;
  if (lines.size() < kMaxRecorded) lines.push_back((client ? "C: " : "S: ") + clip_network(text, 200));
}

void StarttlsSession::go_ahead(std::string& out, std::string_view answer, std::string_view injected,
                               std::string_view summary) {
  out += answer;
  std::string shown(summary.empty() ? answer : summary);
  while (!shown.empty() && (shown.back() == '\n' || shown.back() == '\r')) shown.pop_back();
  record(false, shown);
  if (behaviour_.inject) {
    out += injected;
    injected_ = true;
    record(false, "(injected) " + std::string(summary.empty() ? injected : "binary message"));
  }
  upgrade_ = true;
}

void StarttlsSession::refuse(std::string& out, std::string_view answer, std::string_view summary) {
  out += answer;
  std::string shown(summary.empty() ? answer : summary);
  while (!shown.empty() && (shown.back() == '\n' || shown.back() == '\r')) shown.pop_back();
  record(false, shown);
  refused_ = true;
}

std::string StarttlsSession::feed_plain(std::string_view data) { return run(data, false); }
std::string StarttlsSession::feed_tls(std::string_view data) { return run(data, true); }

std::string StarttlsSession::run(std::string_view data, bool tls) {
  std::string out;
  if (done_ || (upgrade_ && !tls)) return out;  // after the go-ahead, plaintext is never processed
  in_tls_ = tls;
  in_.append(data);
  while (!done_ && !(upgrade_ && !tls) && step(in_, out, tls)) {
  }
  if (upgrade_ && !tls) in_.clear();  // pipelined after STARTTLS: dropped
  if (in_.size() > kMaxPending) finish();
  return out;
}

Json StarttlsSession::json() const {
  const char* result = upgrade_ ? "upgraded" : refused_ ? "refused" : "not_upgraded";
  return Json{{"protocol", protocol_}, {"result", result},        {"refused", refused_},
              {"injected", injected_}, {"plaintext", plaintext_}, {"dialogue", dialogue_}};
}

}  // namespace ussl::apps
