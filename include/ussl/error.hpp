// One typed error model: every failure the library reports is a ussl::Error
// (the OSError of the ussl document: there is no separate SSL error type).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace ussl {

// Stable error kinds. Their names (error_kind_name) are part of the JSON
// contract of the programs: never rename one, only add.
enum class ErrorKind {
  resolve_failed = 1,
  connection_refused,
  connect_timeout,
  connection_reset,
  truncated_eof,
  timeout,
  alert_received,
  protocol_error,
  cert_untrusted,
  cert_expired,
  cert_not_yet_valid,
  hostname_mismatch,
  peer_cert_missing,
  bad_file,
  usage,
  closed,
  internal,
  connect_failed,  // connect failed other than refused or timed out (unreachable, ...)
  cert_purpose,    // keyUsage/extendedKeyUsage do not allow the role (RFC 5280 4.2.1.3, 4.2.1.12)
  cert_invalid,    // not a CA, critical extension, malformed, a constraint violated
  cert_weak,       // key or signature hash below the security level
  cert_revoked,    // listed on a CRL of its issuer
  chain_too_long,  // more intermediates than the depth limit
  // Before the TLS handshake, in the programs (the library only gets the connected socket):
  proxy_failed,        // the proxy refused or failed the tunnel
  starttls_failed,     // the server did not offer STARTTLS, refused it, or broke its plaintext protocol
  starttls_injection,  // the server sent plaintext after its STARTTLS go-ahead, before the handshake
};

// TLS AlertDescription values ussl names, with the IANA registry's names
// ("TLS Alerts"): RFC 8446 §6 (TLS 1.3) and the values registered by RFC 6066
// (unrecognized_name, bad_certificate_status_response), RFC 7301
// (no_application_protocol), RFC 7507 (inappropriate_fallback) and RFC 4279
// (unknown_psk_identity). A peer may send any byte: values not listed here
// stay plain ints (Error::alert()) and print as "alert_N".
enum class AlertDescription : std::uint8_t {
  close_notify = 0,
  unexpected_message = 10,
  bad_record_mac = 20,
  record_overflow = 22,
  handshake_failure = 40,
  bad_certificate = 42,
  unsupported_certificate = 43,
  certificate_revoked = 44,
  certificate_expired = 45,
  certificate_unknown = 46,
  illegal_parameter = 47,
  unknown_ca = 48,
  access_denied = 49,
  decode_error = 50,
  decrypt_error = 51,
  protocol_version = 70,
  insufficient_security = 71,
  internal_error = 80,
  inappropriate_fallback = 86,
  user_canceled = 90,
  missing_extension = 109,
  unsupported_extension = 110,
  unrecognized_name = 112,
  bad_certificate_status_response = 113,
  unknown_psk_identity = 115,
  certificate_required = 116,
  no_application_protocol = 120,
};

// The IANA name of a description ("bad_certificate"). Exhaustive switch: a
// value added to the enum without a name fails the build (-Wswitch).
std::string_view alert_description_name(AlertDescription description) noexcept;

// The description a wire value (0..255) stands for, when ussl names it;
// nullopt for an unlisted value or one outside a byte (-1: no alert).
std::optional<AlertDescription> alert_description(int value) noexcept;

// The stable snake_case name of a kind ("cert_expired").
std::string_view error_kind_name(ErrorKind kind) noexcept;

// The errno value an OSError of this kind carries (ECONNRESET, EACCES, ...).
int error_kind_errno(ErrorKind kind) noexcept;

// The std::error_category of ErrorKind values ("ussl").
const std::error_category& error_category() noexcept;
// The std::error_code of a kind in that category (what Error::code() holds).
std::error_code make_error_code(ErrorKind kind) noexcept;

struct ConnectionRecord;  // record.hpp

// The exception every library call throws. code() is the ErrorKind in the
// ussl category; os_errno() is the errno-style number ussl would put in
// OSError.args[0]; wolfssl_code() is wolfSSL's own (negative) code or 0;
// alert() is the TLS alert description received or sent, or -1.
class Error : public std::system_error {
 public:
  Error(ErrorKind kind, std::string message, int wolfssl_code = 0, int alert = -1);

  ErrorKind kind() const noexcept { return kind_; }
  int os_errno() const noexcept { return error_kind_errno(kind_); }
  int wolfssl_code() const noexcept { return wolfssl_code_; }
  int alert() const noexcept { return alert_; }
  // alert() as a named description; nullopt without one or for an unlisted value.
  std::optional<AlertDescription> alert_description() const noexcept { return ussl::alert_description(alert_); }
  // The human message without the "kind: " prefix that what() carries.
  const std::string& message() const noexcept { return message_; }
  // What the connection had recorded when this error was raised by it (a
  // copy taken then: version, chain, verify result, negotiation and steps as
  // far as the handshake got); null for an error not raised by a connection
  // (Context::create, a usage error before wrap).
  const std::shared_ptr<const ConnectionRecord>& record() const noexcept { return record_; }
  // Attaches a connection's record (SslSocket does this for every error it raises).
  void attach_record(std::shared_ptr<const ConnectionRecord> record) noexcept { record_ = std::move(record); }

 private:
  ErrorKind kind_;
  int wolfssl_code_;
  int alert_;
  std::string message_;
  std::shared_ptr<const ConnectionRecord> record_;
};

// The name of a TLS alert description on the wire: alert_description_name
// for a listed value ("bad_certificate"), else "alert_N" ("alert_200").
std::string alert_name(int description);
inline std::string alert_name(AlertDescription description) { return std::string(alert_description_name(description)); }

}  // namespace ussl

namespace std {
template <>
struct is_error_code_enum<ussl::ErrorKind> : true_type {};
}  // namespace std
