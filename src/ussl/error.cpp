#include "ussl/error.hpp"

#include <cerrno>

// Every switch over ErrorKind and AlertDescription here must name each value.
#pragma GCC diagnostic error "-Wswitch"

namespace ussl {
namespace {

struct KindInfo {
  std::string_view name;
  int os_errno;
  std::string_view description;
};

// All kinds in one table: name, errno, one-line description. An exhaustive
// switch without default: a kind added to ErrorKind without its row fails
// the build (-Wswitch is on in ussl_warnings).
constexpr KindInfo info(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::resolve_failed:
      return {"resolve_failed", EHOSTUNREACH, "host name could not be resolved"};
    case ErrorKind::connection_refused:
      return {"connection_refused", ECONNREFUSED, "connection refused"};
    case ErrorKind::connect_timeout:
      return {"connect_timeout", ETIMEDOUT, "connect timed out"};
    case ErrorKind::connection_reset:
      return {"connection_reset", ECONNRESET, "connection reset by peer"};
    case ErrorKind::truncated_eof:
      return {"truncated_eof", ECONNABORTED, "peer closed the connection without close_notify"};
    case ErrorKind::timeout:
      return {"timeout", ETIMEDOUT, "operation timed out"};
    case ErrorKind::alert_received:
      return {"alert_received", EPROTO, "fatal TLS alert received from peer"};
    case ErrorKind::protocol_error:
      return {"protocol_error", EPROTO, "TLS protocol error"};
    case ErrorKind::cert_untrusted:
      return {"cert_untrusted", EACCES, "certificate chain is not trusted"};
    case ErrorKind::cert_expired:
      return {"cert_expired", EACCES, "certificate has expired"};
    case ErrorKind::cert_not_yet_valid:
      return {"cert_not_yet_valid", EACCES, "certificate is not yet valid"};
    case ErrorKind::hostname_mismatch:
      return {"hostname_mismatch", EACCES, "certificate does not match the server hostname"};
    case ErrorKind::peer_cert_missing:
      return {"peer_cert_missing", EACCES, "peer sent no certificate"};
    case ErrorKind::bad_file:
      return {"bad_file", EINVAL, "bad key, certificate or CA file"};
    case ErrorKind::usage:
      return {"usage", EINVAL, "invalid option or call"};
    case ErrorKind::closed:
      return {"closed", EBADF, "socket is closed"};
    case ErrorKind::internal:
      return {"internal", EIO, "internal error"};
    case ErrorKind::connect_failed:
      return {"connect_failed", EHOSTUNREACH, "connect failed"};
    case ErrorKind::cert_purpose:
      return {"cert_purpose", EACCES, "certificate is not for this purpose"};
    case ErrorKind::cert_invalid:
      return {"cert_invalid", EACCES, "certificate breaks a path validation rule"};
    case ErrorKind::cert_weak:
      return {"cert_weak", EACCES, "certificate key or signature is too weak"};
    case ErrorKind::cert_revoked:
      return {"cert_revoked", EACCES, "certificate is revoked"};
    case ErrorKind::chain_too_long:
      return {"chain_too_long", EACCES, "certificate chain is too long"};
    case ErrorKind::proxy_failed:
      return {"proxy_failed", ECONNREFUSED, "the proxy refused or failed the tunnel"};
    case ErrorKind::starttls_failed:
      return {"starttls_failed", EPROTO, "STARTTLS not offered, refused or failed"};
    case ErrorKind::starttls_injection:
      return {"starttls_injection", EPROTO, "plaintext received after the STARTTLS go-ahead, before the handshake"};
  }
  return {"internal", EIO, "unknown ussl error"};  // a value outside the enum
}

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ussl"; }
  std::string message(int value) const override { return std::string(info(static_cast<ErrorKind>(value)).description); }
};

}  // namespace

std::string_view error_kind_name(ErrorKind kind) noexcept { return info(kind).name; }

int error_kind_errno(ErrorKind kind) noexcept { return info(kind).os_errno; }

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

std::error_code make_error_code(ErrorKind kind) noexcept { return {static_cast<int>(kind), error_category()}; }

Error::Error(ErrorKind kind, std::string message, int wolfssl_code, int alert)
    : std::system_error(make_error_code(kind), std::string(error_kind_name(kind)) + ": " + message),
      kind_(kind),
      wolfssl_code_(wolfssl_code),
      alert_(alert),
      message_(std::move(message)) {}

std::string_view alert_description_name(AlertDescription description) noexcept {
  using enum AlertDescription;
  switch (description) {
    case close_notify:
      return "close_notify";
    case unexpected_message:
      return "unexpected_message";
    case bad_record_mac:
      return "bad_record_mac";
    case record_overflow:
      return "record_overflow";
    case handshake_failure:
      return "handshake_failure";
    case bad_certificate:
      return "bad_certificate";
    case unsupported_certificate:
      return "unsupported_certificate";
    case certificate_revoked:
      return "certificate_revoked";
    case certificate_expired:
      return "certificate_expired";
    case certificate_unknown:
      return "certificate_unknown";
    case illegal_parameter:
      return "illegal_parameter";
    case unknown_ca:
      return "unknown_ca";
    case access_denied:
      return "access_denied";
    case decode_error:
      return "decode_error";
    case decrypt_error:
      return "decrypt_error";
    case protocol_version:
      return "protocol_version";
    case insufficient_security:
      return "insufficient_security";
    case internal_error:
      return "internal_error";
    case inappropriate_fallback:
      return "inappropriate_fallback";
    case user_canceled:
      return "user_canceled";
    case missing_extension:
      return "missing_extension";
    case unsupported_extension:
      return "unsupported_extension";
    case unrecognized_name:
      return "unrecognized_name";
    case bad_certificate_status_response:
      return "bad_certificate_status_response";
    case unknown_psk_identity:
      return "unknown_psk_identity";
    case certificate_required:
      return "certificate_required";
    case no_application_protocol:
      return "no_application_protocol";
  }
  return "";  // a value outside the enum (alert_description asks with any byte)
}

std::optional<AlertDescription> alert_description(int value) noexcept {
  if (value < 0 || value > 255) return std::nullopt;
  const auto description = static_cast<AlertDescription>(value);
  if (alert_description_name(description).empty()) return std::nullopt;
  return description;
}

std::string alert_name(int description) {
  if (const auto known = alert_description(description)) return alert_name(*known);
  return "alert_" + std::to_string(description);
}

}  // namespace ussl
