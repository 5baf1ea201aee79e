// ussl-server --starttls postgres|ldap: PostgreSQL's SSLRequest and LDAP's
// StartTLS extended operation (RFC 4511 §4.14, hand-encoded BER).
#include <cstdint>
#include <string>

#include "server/starttls_server_detail.hpp"

namespace ussl::apps::starttls_server_detail {
namespace {

constexpr std::uint32_t kSslRequest = 80877103;
constexpr std::uint32_t kGssEncRequest = 80877104;
constexpr std::uint32_t kProtocol3 = 196608;
constexpr std::size_t kMaxMessage = 16384;

std::uint32_t be32(const std::string& bytes, std::size_t at) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at])) << 24) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 8) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 3]));
}

void put32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

// A PostgreSQL ErrorResponse ('E'): severity, SQLSTATE, message.
std::string pg_error(const std::string& code, const std::string& message) {
  std::string fields = "SFATAL";
  fields += '\0';
  fields += "VFATAL";
  fields += '\0';
  fields += "C" + code;
  fields += '\0';
  fields += "M" + message;
  fields += '\0';
  fields += '\0';
  std::string out = "E";
  put32(out, static_cast<std::uint32_t>(fields.size() + 4));
  return out + fields;
}

class Postgres final : public StarttlsSession {
 public:
  explicit Postgres(StarttlsBehaviour b) : StarttlsSession("postgres", b) {}
  std::string greeting() override { return {}; }

 private:
  bool step(std::string& in, std::string& out, bool tls) override {
    if (in.size() < 8) return false;
    const std::uint32_t length = be32(in, 0);
    const std::uint32_t code = be32(in, 4);
    if (length < 8 || length > kMaxMessage) {
      record(true, "(not a PostgreSQL startup packet)");
      finish();
      return false;
    }
    if (in.size() < length) return false;
    const std::string message = in.substr(0, length);
    in.erase(0, length);
    if (!tls && code == kSslRequest) {
      record(true, "SSLRequest");
      if (behaviour().refuse) {
        refuse(out, "N");
        return true;
      }
      go_ahead(out, "S", pg_error("08P01", "injected plaintext (--starttls-inject)"), "S");
      return true;
    }
    if (code == kGssEncRequest) {
      record(true, "GSSENCRequest");
      out += 'N';
      record(false, "N");
      return true;
    }
    if (code != kProtocol3) {
      record(true, "(unknown request code " + std::to_string(code) + ")");
      finish();
      return false;
    }
    // StartupMessage: parameter name/value pairs.
    std::string params;
    for (std::size_t at = 8; at < message.size() && message[at] != '\0';) {
      const std::size_t name_end = message.find('\0', at);
      if (name_end == std::string::npos) break;
      const std::size_t value_end = message.find('\0', name_end + 1);
      if (value_end == std::string::npos) break;
      params += (params.empty() ? "" : " ") + message.substr(at, name_end - at) + "=" +
                message.substr(name_end + 1, value_end - name_end - 1);
      at = value_end + 1;
    }
    record(true, "StartupMessage " + params);
    const std::string text = tls ? "ussl-server: TLS works; there is no database here (STARTTLS test endpoint)"
                                 : "ussl-server: SSL required (send SSLRequest first)";
    out += pg_error("28000", text);
    record(false, "ErrorResponse FATAL 28000 " + text);
    finish();
    return false;
  }
};

// ---- LDAP

std::string ber_length(std::size_t n) {
  if (n < 0x80) return std::string(1, static_cast<char>(n));
  if (n < 0x100) return std::string("\x81") + static_cast<char>(n);
  return std::string("\x82") + static_cast<char>(n >> 8) + static_cast<char>(n & 0xff);
}

std::string tlv(unsigned char tag, const std::string& value) {
  return std::string(1, static_cast<char>(tag)) + ber_length(value.size()) + value;
}

constexpr std::string_view kStartTlsOid = "1.3.6.1.4.1.1466.20037";

// LDAPResult in [APPLICATION op]: resultCode, matchedDN "", diagnosticMessage; extra appended.
std::string ldap_result(const std::string& id, unsigned char op, int code, const std::string& diagnostic,
                        const std::string& extra = {}) {
  const std::string result =
      tlv(0x0a, std::string(1, static_cast<char>(code))) + tlv(0x04, "") + tlv(0x04, diagnostic) + extra;
  return tlv(0x30, tlv(0x02, id) + tlv(op, result));
}

// Reads a definite BER length at `at`; false when more bytes are needed, sets bad on garbage.
bool read_length(const std::string& in, std::size_t& at, std::size_t& length, bool& bad) {
  if (at >= in.size()) return false;
  const auto first = static_cast<unsigned char>(in[at++]);
  if (first < 0x80) {
    length = first;
    return true;
  }
  const unsigned n = first & 0x7f;
  if (n == 0 || n > 3) {
    bad = true;
    return false;
  }
  if (at + n > in.size()) return false;
  length = 0;
  for (unsigned i = 0; i < n; ++i) length = (length << 8) | static_cast<unsigned char>(in[at++]);
  return true;
}

class Ldap final : public StarttlsSession {
 public:
  explicit Ldap(StarttlsBehaviour b) : StarttlsSession("ldap", b) {}
  std::string greeting() override { return {}; }

 private:
  bool step(std::string& in, std::string& out, bool tls) override {
    if (in.empty()) return false;
    bool bad = static_cast<unsigned char>(in[0]) != 0x30;
    std::size_t at = 1;
    std::size_t length = 0;
    if (!bad && !read_length(in, at, length, bad) && !bad) return false;
    if (bad || length > kMaxMessage) {
      record(true, "(not an LDAP message)");
      finish();
      return false;
    }
    if (in.size() < at + length) return false;
    const std::string message = in.substr(at, length);
    in.erase(0, at + length);
    // messageID INTEGER, then the protocolOp.
    std::size_t p = 0;
    std::size_t id_length = 0;
    if (message.size() < 2 || message[0] != '\x02') return malformed();
    p = 1;
    if (!read_length(message, p, id_length, bad) || p + id_length > message.size()) return malformed();
    const std::string id = message.substr(p, id_length);
    p += id_length;
    if (p >= message.size()) return malformed();
    const auto op = static_cast<unsigned char>(message[p++]);
    std::size_t op_length = 0;
    if (!read_length(message, p, op_length, bad) || p + op_length > message.size()) return malformed();
    const std::string body = message.substr(p, op_length);
    switch (op) {
      case 0x42:  // UnbindRequest
        record(true, "UnbindRequest");
        finish();
        return false;
      case 0x77: {  // ExtendedRequest
        const bool starttls = body.size() >= 2 && body[0] == '\x80' && body.substr(2) == kStartTlsOid;
        record(true, std::string("ExtendedRequest ") + (starttls ? "StartTLS" : "(other)"));
        if (starttls && !tls) {
          if (behaviour().refuse) {
            refuse(out, ldap_result(id, 0x78, 52, "StartTLS not available (--starttls-refuse)"),
                   "ExtendedResponse resultCode 52 (unavailable)");
            return true;
          }
          const std::string name = tlv(0x8a, std::string(kStartTlsOid));
          go_ahead(out, ldap_result(id, 0x78, 0, "", name),
                   ldap_result(std::string(1, '\0'), 0x78, 52, "injected plaintext (--starttls-inject)"),
                   "ExtendedResponse resultCode 0 (success)");
          return true;
        }
        out += ldap_result(id, 0x78, starttls ? 1 : 2, starttls ? "TLS already active" : "unsupported operation");
        record(false, "ExtendedResponse resultCode " + std::string(starttls ? "1" : "2"));
        return true;
      }
      case 0x60:  // BindRequest
        record(true, "BindRequest");
        if (!tls) {
          out += ldap_result(id, 0x61, 13, "StartTLS first (confidentialityRequired)");
          record(false, "BindResponse resultCode 13 (confidentialityRequired)");
          return true;
        }
        out += ldap_result(id, 0x61, 0, "");
        record(false, "BindResponse resultCode 0 (success)");
        return true;
      case 0x63:  // SearchRequest
        record(true, "SearchRequest");
        out += ldap_result(id, 0x65, tls ? 0 : 13, tls ? "" : "StartTLS first (confidentialityRequired)");
        record(false, std::string("SearchResultDone resultCode ") + (tls ? "0 (success, no entries)" : "13"));
        return true;
      case 0x50:  // AbandonRequest: no answer
        record(true, "AbandonRequest");
        return true;
      default:
        record(true, "(operation " + std::to_string(op) + ")");
        return true;
    }
  }

  bool malformed() {
    record(true, "(malformed LDAP message)");
    finish();
    return false;
  }
};

}  // namespace

std::unique_ptr<StarttlsSession> make_postgres(StarttlsBehaviour behaviour) {
  return std::make_unique<Postgres>(behaviour);
}

std::unique_ptr<StarttlsSession> make_ldap(StarttlsBehaviour behaviour) { return std::make_unique<Ldap>(behaviour); }

}  // namespace ussl::apps::starttls_server_detail
