// STARTTLS for the binary protocols: LDAP's StartTLS extended operation
// (RFC 4511 §4.14, hand-encoded BER), PostgreSQL's SSLRequest, MySQL's SSL
// request packet.
#include <cstdint>
#include <string>

#include "common/starttls_dialogue.hpp"

namespace ussl::apps::starttls_detail {
namespace {

std::string hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

// A BER element read from the stream: tag, then the definite length.
struct Tlv {
  unsigned char tag = 0;
  std::string value;
};

std::size_t ber_length(Dialogue& d, std::string_view bytes, std::size_t& at) {
  if (at >= bytes.size()) d.fail("failed", d.report().step + ": truncated BER length");
  const auto first = static_cast<unsigned char>(bytes[at++]);
  if (first < 0x80) return first;
  const unsigned n = first & 0x7f;
  if (n == 0 || n > 3 || at + n > bytes.size()) d.fail("failed", d.report().step + ": unsupported BER length");
  std::size_t length = 0;
  for (unsigned i = 0; i < n; ++i) length = (length << 8) | static_cast<unsigned char>(bytes[at++]);
  return length;
}

// The next element inside an already read value.
Tlv ber_next(Dialogue& d, std::string_view bytes, std::size_t& at) {
  if (at >= bytes.size()) d.fail("failed", d.report().step + ": truncated BER element");
  Tlv out;
  out.tag = static_cast<unsigned char>(bytes[at++]);
  const std::size_t length = ber_length(d, bytes, at);
  if (at + length > bytes.size()) d.fail("failed", d.report().step + ": truncated BER element");
  out.value = std::string(bytes.substr(at, length));
  at += length;
  return out;
}

// One LDAPMessage from the stream (at most 64 KiB).
std::string ldap_message(Dialogue& d) {
  std::string head = d.stream().read_exact(2);
  if (static_cast<unsigned char>(head[0]) != 0x30) d.unexpected(hex(head));
  std::size_t length = static_cast<unsigned char>(head[1]);
  if (length >= 0x80) {
    const unsigned n = length & 0x7f;
    if (n == 0 || n > 3) d.unexpected(hex(head));
    const std::string more = d.stream().read_exact(n);
    length = 0;
    for (const char c : more) length = (length << 8) | static_cast<unsigned char>(c);
  }
  if (length > kPlainDialogueLimit)
    d.fail("failed", d.report().step + ": an LDAP message of " + std::to_string(length) + " bytes");
  return d.stream().read_exact(length);
}

const char* ldap_result_name(int code) {
  switch (code) {
    case 0:
      return "success";
    case 1:
      return "operationsError";
    case 2:
      return "protocolError";
    case 12:
      return "unavailableCriticalExtension";
    case 52:
      return "unavailable";
    case 53:
      return "unwillingToPerform";
    case 80:
      return "other";
    default:
      return "";
  }
}

}  // namespace

void ldap_upgrade(Dialogue& d) {
  // LDAPMessage { messageID 1, extendedReq [APPLICATION 23] { requestName [0] "1.3.6.1.4.1.1466.20037" } }
  static constexpr std::string_view kOid = "1.3.6.1.4.1.1466.20037";
  std::string request = "\x30\x1d\x02\x01\x01\x77\x18\x80\x16";
  request += kOid;
  d.step("starttls");
  d.send_binary(request, "ExtendedRequest StartTLS (" + std::string(kOid) + ")");
  const std::string message = ldap_message(d);
  std::size_t at = 0;
  const Tlv id = ber_next(d, message, at);
  const Tlv op = ber_next(d, message, at);
  if (id.tag != 0x02 || op.tag != 0x78) d.unexpected(hex(message.substr(0, 32)));
  std::size_t in = 0;
  const Tlv code = ber_next(d, op.value, in);
  const Tlv matched = ber_next(d, op.value, in);
  const Tlv diagnostic = ber_next(d, op.value, in);
  if (code.tag != 0x0a || code.value.size() != 1 || matched.tag != 0x04 || diagnostic.tag != 0x04)
    d.unexpected(hex(op.value.substr(0, 32)));
  const int result = static_cast<unsigned char>(code.value[0]);
  std::string text = "ExtendedResponse resultCode " + std::to_string(result);
  if (*ldap_result_name(result) != '\0') text += std::string(" (") + ldap_result_name(result) + ")";
  if (!diagnostic.value.empty()) text += " '" + clip_network(diagnostic.value, kShownBytes) + "'";
  d.note("S: " + text);
  // messageID 0 is a Notice of Disconnection, not our answer.
  const bool ours = id.value == std::string("\x01", 1);
  d.report().offered = result != 2 && result != 12;
  if (!ours) d.refused(text);
  if (result == 2 || result == 12) d.not_offered();
  if (result != 0) d.refused(text);
}

void postgres_upgrade(Dialogue& d) {
  d.step("sslrequest");
  d.send_binary(std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8), "SSLRequest (80877103)");
  const std::string answer = d.stream().read_exact(1);
  d.note("S: " + clip_network(answer));
  if (answer == "S") {
    d.report().offered = true;
    return;
  }
  if (answer == "N") {
    d.report().offered = false;
    d.not_offered();
  }
  d.unexpected(answer);
}

void mysql_upgrade(Dialogue& d) {
  constexpr std::uint32_t kClientLongPassword = 0x1, kClientProtocol41 = 0x200, kClientSsl = 0x800,
                          kClientSecureConnection = 0x8000;
  const std::string head = d.stream().read_exact(4);
  const std::size_t length = static_cast<unsigned char>(head[0]) | (static_cast<unsigned char>(head[1]) << 8) |
                             (static_cast<std::size_t>(static_cast<unsigned char>(head[2])) << 16);
  if (length < 1 || length > 16384) d.unexpected(hex(head));
  const std::string payload = d.stream().read_exact(length);
  if (static_cast<unsigned char>(payload[0]) == 0xff) {  // ERR packet: the server refuses us
    const std::string text = payload.size() > 3 ? payload.substr(3) : "";
    d.note("S: ERR " + clip_network(text, kShownBytes));
    d.refused(text);
  }
  if (payload[0] != '\x0a') d.unexpected(hex(payload.substr(0, 16)));
  const std::size_t nul = payload.find('\0', 1);
  // protocol, version NUL, connection id (4), auth data (8), filler (1), capabilities (2)
  if (nul == std::string::npos || nul + 1 + 4 + 8 + 1 + 2 > payload.size()) d.unexpected(hex(payload.substr(0, 16)));
  const std::string version = payload.substr(1, nul - 1);
  const std::size_t caps_at = nul + 1 + 4 + 8 + 1;
  const unsigned caps =
      static_cast<unsigned char>(payload[caps_at]) | (static_cast<unsigned char>(payload[caps_at + 1]) << 8);
  const std::string greeting =
      "protocol 10, server " + clip_network(version, 80) + ", capabilities 0x" + hex(payload.substr(caps_at, 2));
  d.greeting(greeting);
  d.note("S: " + greeting);
  d.report().offered = (caps & kClientSsl) != 0;
  if ((caps & kClientSsl) == 0) d.not_offered();
  d.step("ssl_request");
  const std::uint32_t flags = kClientLongPassword | kClientProtocol41 | kClientSsl | kClientSecureConnection;
  std::string packet("\x20\x00\x00\x01", 4);  // length 32, sequence 1
  for (int i = 0; i < 4; ++i) packet += static_cast<char>((flags >> (8 * i)) & 0xff);
  packet += std::string("\x00\x00\x00\x01", 4);  // max packet 16 MiB
  packet += '\x21';                              // utf8_general_ci
  packet += std::string(23, '\0');
  d.send_binary(packet, "SSL request packet (CLIENT_SSL)");
}

}  // namespace ussl::apps::starttls_detail
