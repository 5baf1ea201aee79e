#include "common/starttls.hpp"

#include <algorithm>
#include <cctype>

#include "common/starttls_dialogue.hpp"
#include "ussl/error.hpp"

namespace ussl::apps {

using starttls_detail::Dialogue;

namespace {

constexpr int kMaxReplyLines = 100;

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// Whitespace-separated words, upper-cased.
std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) out.push_back(upper(text.substr(start, i - start)));
  }
  return out;
}

// An SMTP/LMTP/FTP reply: "250-first", ..., "250 last". Returns the code;
// lines holds the text after the code of every line.
int numeric_reply(Dialogue& d, std::vector<std::string>* lines = nullptr, std::string* first = nullptr) {
  for (int n = 0; n < kMaxReplyLines; ++n) {
    const std::string line = d.line();
    if (first != nullptr && n == 0) *first = line;
    const bool numeric = line.size() >= 3 && std::isdigit(static_cast<unsigned char>(line[0])) &&
                         std::isdigit(static_cast<unsigned char>(line[1])) &&
                         std::isdigit(static_cast<unsigned char>(line[2]));
    if (!numeric) {
      if (n == 0) d.unexpected(line);
      continue;  // FTP: a multi-line reply's middle lines need not carry the code
    }
    if (lines != nullptr) lines->push_back(line.size() > 4 ? line.substr(4) : "");
    if (line.size() == 3 || line[3] == ' ') return std::stoi(line.substr(0, 3));
  }
  d.fail("failed", d.report().step + ": a reply of more than " + std::to_string(kMaxReplyLines) + " lines");
}

void smtp(Dialogue& d, bool lmtp) {
  std::string first;
  if (numeric_reply(d, nullptr, &first) != 220) d.unexpected(first);
  d.greeting(first);
  d.step(lmtp ? "lhlo" : "ehlo");
  d.send((lmtp ? "LHLO " : "EHLO ") + d.report().name);
  std::vector<std::string> lines;
  if (numeric_reply(d, &lines, &first) != 250) d.unexpected(first);
  bool offered = false;
  for (std::size_t i = 1; i < lines.size(); ++i) {  // the first line is the server's name
    d.capability(lines[i]);
    if (upper(lines[i]) == "STARTTLS") offered = true;
  }
  d.report().offered = offered;
  if (!offered) d.not_offered();
  d.step("starttls");
  d.send("STARTTLS");
  if (numeric_reply(d, nullptr, &first) != 220) d.refused(first);
}

void ftp(Dialogue& d) {
  std::string first;
  if (numeric_reply(d, nullptr, &first) != 220) d.unexpected(first);
  d.greeting(first);
  d.step("auth_tls");
  d.send("AUTH TLS");
  const int code = numeric_reply(d, nullptr, &first);
  if (code == 500 || code == 502 || code == 504) d.not_offered();
  if (code != 234) d.refused(first);
  d.report().offered = true;
}

// IMAP: untagged lines until the tagged one; returns it.
std::string imap_command(Dialogue& d, const std::string& tag, const std::string& command,
                         std::vector<std::string>* untagged) {
  d.send(tag + " " + command);
  for (int n = 0; n < kMaxReplyLines; ++n) {
    const std::string line = d.line();
    if (starts_with(line, tag + " ")) return line.substr(tag.size() + 1);
    if (untagged != nullptr) untagged->push_back(line);
  }
  d.fail("failed", d.report().step + ": no tagged answer within " + std::to_string(kMaxReplyLines) + " lines");
}

void imap(Dialogue& d) {
  const std::string greeting = d.line();
  if (!starts_with(upper(greeting), "* OK")) d.unexpected(greeting);
  d.greeting(greeting);
  d.step("capability");
  std::vector<std::string> untagged;
  const std::string done = imap_command(d, "u1", "CAPABILITY", &untagged);
  if (!starts_with(upper(done), "OK")) d.unexpected(done);
  bool offered = false;
  for (const auto& line : untagged) {
    if (!starts_with(upper(line), "* CAPABILITY ")) continue;
    for (const auto& word : words(line.substr(13))) {
      d.capability(word);
      if (word == "STARTTLS") offered = true;
    }
  }
  d.report().offered = offered;
  if (!offered) d.not_offered();
  d.step("starttls");
  const std::string answer = imap_command(d, "u2", "STARTTLS", nullptr);
  if (!starts_with(upper(answer), "OK")) d.refused(answer);
}

// POP3/NNTP: a multi-line answer ends with ".".
void dot_lines(Dialogue& d, std::vector<std::string>& out) {
  for (int n = 0; n < kMaxReplyLines; ++n) {
    const std::string line = d.line();
    if (line == ".") return;
    out.push_back(line);
  }
  d.fail("failed", d.report().step + ": a list of more than " + std::to_string(kMaxReplyLines) + " lines");
}

void pop3(Dialogue& d) {
  const std::string greeting = d.line();
  if (!starts_with(greeting, "+OK")) d.unexpected(greeting);
  d.greeting(greeting);
  d.step("capa");
  d.send("CAPA");
  const std::string answer = d.line();
  if (starts_with(answer, "+OK")) {
    std::vector<std::string> lines;
    dot_lines(d, lines);
    bool offered = false;
    for (const auto& line : lines) {
      d.capability(line);
      if (upper(line) == "STLS") offered = true;
    }
    d.report().offered = offered;
    if (!offered) d.not_offered();
  }  // -ERR: no CAPA (RFC 2449 is optional): try STLS anyway
  d.step("stls");
  d.send("STLS");
  const std::string go = d.line();
  if (!starts_with(go, "+OK")) d.refused(go);
}

void nntp(Dialogue& d) {
  std::string greeting = d.line();
  if (!starts_with(greeting, "200") && !starts_with(greeting, "201")) d.unexpected(greeting);
  d.greeting(greeting);
  d.step("capabilities");
  d.send("CAPABILITIES");
  const std::string answer = d.line();
  if (starts_with(answer, "101")) {
    std::vector<std::string> lines;
    dot_lines(d, lines);
    bool offered = false;
    for (const auto& line : lines) {
      d.capability(line);
      if (upper(line) == "STARTTLS") offered = true;
    }
    d.report().offered = offered;
    if (!offered) d.not_offered();
  }
  d.step("starttls");
  d.send("STARTTLS");
  const std::string go = d.line();
  if (starts_with(go, "580") || starts_with(go, "500") || starts_with(go, "502")) d.refused(go);
  if (!starts_with(go, "382")) d.unexpected(go);
}

// ManageSieve (RFC 5804): the greeting is the capability list, ending in OK.
void sieve(Dialogue& d) {
  bool offered = false;
  for (int n = 0;; ++n) {
    if (n >= kMaxReplyLines) d.fail("failed", "greeting: more than " + std::to_string(kMaxReplyLines) + " lines");
    const std::string line = d.line();
    const std::string up = upper(line);
    if (starts_with(up, "OK")) {
      d.greeting(line);
      break;
    }
    if (starts_with(up, "NO") || starts_with(up, "BYE")) d.unexpected(line);
    d.capability(line);
    if (starts_with(up, "\"STARTTLS\"")) offered = true;
  }
  d.report().offered = offered;
  if (!offered) d.not_offered();
  d.step("starttls");
  d.send("STARTTLS");
  for (int n = 0; n < kMaxReplyLines; ++n) {
    const std::string line = d.line();
    const std::string up = upper(line);
    if (starts_with(up, "OK")) return;
    if (starts_with(up, "NO") || starts_with(up, "BYE")) d.refused(line);
  }
  d.fail("failed", "starttls: no OK within " + std::to_string(kMaxReplyLines) + " lines");
}

// IRC (IRCv3 tls extension): STARTTLS is answered with 670 (go ahead) or
// 691 (failed); 421 means the server does not know the command.
void irc(Dialogue& d) {
  d.step("starttls");
  d.send("STARTTLS");
  for (int n = 0; n < kMaxReplyLines; ++n) {
    const std::string line = d.line();
    const auto w = words(line);
    std::size_t i = !w.empty() && starts_with(w[0], ":") ? 1 : 0;  // the prefix
    if (i >= w.size()) continue;
    if (w[i] == "NOTICE" || w[i] == "PING") {
      if (!d.report().greeting) d.greeting(line);
      continue;
    }
    if (w[i] == "670") {
      d.report().offered = true;
      return;
    }
    d.report().offered = false;
    if (w[i] == "421") d.not_offered();
    if (w[i] == "691" || w[i] == "ERROR") d.refused(line);
  }
  d.fail("failed", "starttls: no 670 within " + std::to_string(kMaxReplyLines) + " lines");
}

std::string xml_attribute(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void xmpp(Dialogue& d, bool server) {
  d.step("stream");
  d.send(std::string("<?xml version='1.0'?><stream:stream xmlns='") + (server ? "jabber:server" : "jabber:client") +
             "' xmlns:stream='http://etherx.jabber.org/streams' to='" + xml_attribute(d.report().name) +
             "' version='1.0'>",
         "");
  d.step("features");
  const std::string stream = d.stream().read_until("</stream:features>", 16384);
  d.note("S: " + clip_network(stream, starttls_detail::kShownBytes));
  const std::size_t open = stream.find("<stream:stream");
  if (open == std::string::npos) d.unexpected(stream);
  d.greeting(stream.substr(open, stream.find('>', open) - open + 1));
  const std::size_t features = stream.find("<stream:features");
  if (features != std::string::npos) d.capability(stream.substr(features));
  const bool offered = stream.find("<starttls", features == std::string::npos ? 0 : features) != std::string::npos;
  d.report().offered = offered;
  if (!offered) d.not_offered();
  d.step("starttls");
  d.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", "");
  std::string answer = d.stream().read_until(">", 4096);
  if (answer.find("<proceed") != std::string::npos && answer.find("/>") == std::string::npos)
    answer += d.stream().read_until("</proceed>", 4096);
  d.note("S: " + clip_network(answer, starttls_detail::kShownBytes));
  if (answer.find("<proceed") == std::string::npos) d.refused(answer);
}

struct Entry {
  const char* name;
  std::uint16_t port;
};
constexpr Entry kProtocols[] = {
    {"smtp", 25},   {"lmtp", 24},          {"imap", 143}, {"pop3", 110},      {"ftp", 21},
    {"xmpp", 5222}, {"xmpp-server", 5269}, {"ldap", 389}, {"postgres", 5432}, {"mysql", 3306},
    {"nntp", 119},  {"sieve", 4190},       {"irc", 6667},
};

}  // namespace

const std::vector<std::string>& starttls_protocols() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& e : kProtocols) out.emplace_back(e.name);
    return out;
  }();
  return names;
}

std::uint16_t starttls_default_port(std::string_view protocol) {
  for (const auto& e : kProtocols) {
    if (protocol == e.name) return e.port;
  }
  return 443;
}

Json StarttlsReport::json() const {
  auto or_null = [](const std::optional<std::string>& v) { return v ? Json(*v) : Json(nullptr); };
  return Json{{"protocol", protocol},
              {"name", name.empty() ? Json(nullptr) : Json(name)},
              {"result", result},
              {"failed_at", result != "ok" ? Json(step) : Json(nullptr)},
              {"offered", offered ? Json(*offered) : Json(nullptr)},
              {"greeting", or_null(greeting)},
              {"capabilities", capabilities},
              {"transcript", transcript},
              {"injected", or_null(injected)}};
}

void starttls_upgrade(PlainStream& stream, StarttlsReport& report) {
  Dialogue d(stream, report);
  const std::string& p = report.protocol;
  report.step = "greeting";
  if (p == "smtp" || p == "lmtp") {
    smtp(d, p == "lmtp");
  } else if (p == "imap") {
    imap(d);
  } else if (p == "pop3") {
    pop3(d);
  } else if (p == "ftp") {
    ftp(d);
  } else if (p == "nntp") {
    nntp(d);
  } else if (p == "sieve") {
    sieve(d);
  } else if (p == "irc") {
    irc(d);
  } else if (p == "xmpp" || p == "xmpp-server") {
    xmpp(d, p == "xmpp-server");
  } else if (p == "ldap") {
    starttls_detail::ldap_upgrade(d);
  } else if (p == "postgres") {
    starttls_detail::postgres_upgrade(d);
  } else if (p == "mysql") {
    starttls_detail::mysql_upgrade(d);
  } else {
    throw Error(ErrorKind::usage, "--starttls: unknown protocol '" + p + "'");
  }
  // The go-ahead must be the last plaintext: anything after it would be
  // taken, by a vulnerable client, as part of the protected session.
  report.step = "after_go_ahead";
  if (stream.more_pending()) {
    // Read ahead with the go-ahead, or waiting in the socket: take what there is.
    std::string extra = stream.read_exact(std::max<std::size_t>(stream.buffered(), 1));
    if (stream.buffered() > 0) extra += stream.read_exact(stream.buffered());
    report.injected = clip_network(extra, starttls_detail::kShownBytes);
    report.result = "injection";
    throw Error(ErrorKind::starttls_injection,
                "the server sent " + std::to_string(extra.size()) +
                    " byte(s) of plaintext after its STARTTLS go-ahead, before the TLS handshake: '" +
                    *report.injected + "'");
  }
  report.result = "ok";
}

}  // namespace ussl::apps
