#include "ussl/error.hpp"

#include <array>
#include <cerrno>

namespace ussl {
namespace {

struct KindInfo {
  ErrorKind kind;
  std::string_view name;
  int os_errno;
  std::string_view description;
};

// All kinds in one table: name, errno, one-line description.
constexpr std::array kKinds = {
    KindInfo{ErrorKind::resolve_failed, "resolve_failed", EHOSTUNREACH, "host name could not be resolved"},
    KindInfo{ErrorKind::connection_refused, "connection_refused", ECONNREFUSED, "connection refused"},
    KindInfo{ErrorKind::connect_timeout, "connect_timeout", ETIMEDOUT, "connect timed out"},
    KindInfo{ErrorKind::connection_reset, "connection_reset", ECONNRESET, "connection reset by peer"},
    KindInfo{ErrorKind::truncated_eof, "truncated_eof", ECONNABORTED,
             "peer closed the connection without close_notify"},
    KindInfo{ErrorKind::timeout, "timeout", ETIMEDOUT, "operation timed out"},
    KindInfo{ErrorKind::alert_received, "alert_received", EPROTO, "fatal TLS alert received from peer"},
    KindInfo{ErrorKind::protocol_error, "protocol_error", EPROTO, "TLS protocol error"},
    KindInfo{ErrorKind::cert_untrusted, "cert_untrusted", EACCES, "certificate chain is not trusted"},
    KindInfo{ErrorKind::cert_expired, "cert_expired", EACCES, "certificate has expired"},
    KindInfo{ErrorKind::cert_not_yet_valid, "cert_not_yet_valid", EACCES, "certificate is not yet valid"},
    KindInfo{ErrorKind::hostname_mismatch, "hostname_mismatch", EACCES,
             "certificate does not match the server hostname"},
    KindInfo{ErrorKind::peer_cert_missing, "peer_cert_missing", EACCES, "peer sent no certificate"},
    KindInfo{ErrorKind::bad_file, "bad_file", EINVAL, "bad key, certificate or CA file"},
    KindInfo{ErrorKind::usage, "usage", EINVAL, "invalid option or call"},
    KindInfo{ErrorKind::closed, "closed", EBADF, "socket is closed"},
    KindInfo{ErrorKind::internal, "internal", EIO, "internal error"},
    KindInfo{ErrorKind::connect_failed, "connect_failed", EHOSTUNREACH, "connect failed"},
    KindInfo{ErrorKind::cert_purpose, "cert_purpose", EACCES, "certificate is not for this purpose"},
    KindInfo{ErrorKind::cert_invalid, "cert_invalid", EACCES, "certificate breaks a path validation rule"},
    KindInfo{ErrorKind::cert_weak, "cert_weak", EACCES, "certificate key or signature is too weak"},
    KindInfo{ErrorKind::cert_revoked, "cert_revoked", EACCES, "certificate is revoked"},
    KindInfo{ErrorKind::chain_too_long, "chain_too_long", EACCES, "certificate chain is too long"},
};

const KindInfo* find(ErrorKind kind) noexcept {
  for (const auto& info : kKinds) {
    if (info.kind == kind) return &info;
  }
  return nullptr;
}

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ussl"; }
  std::string message(int value) const override {
    const KindInfo* info = find(static_cast<ErrorKind>(value));
    return info ? std::string(info->description) : "unknown ussl error";
  }
};

}  // namespace

std::string_view error_kind_name(ErrorKind kind) noexcept {
  const KindInfo* info = find(kind);
  return info ? info->name : "internal";
}

int error_kind_errno(ErrorKind kind) noexcept {
  const KindInfo* info = find(kind);
  return info ? info->os_errno : EIO;
}

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

std::string alert_name(int description) {
  switch (description) {
    case 0:
      return "close_notify";
    case 10:
      return "unexpected_message";
    case 20:
      return "bad_record_mac";
    case 22:
      return "record_overflow";
    case 40:
      return "handshake_failure";
    case 42:
      return "bad_certificate";
    case 43:
      return "unsupported_certificate";
    case 44:
      return "certificate_revoked";
    case 45:
      return "certificate_expired";
    case 46:
      return "certificate_unknown";
    case 47:
      return "illegal_parameter";
    case 48:
      return "unknown_ca";
    case 49:
      return "access_denied";
    case 50:
      return "decode_error";
    case 51:
      return "decrypt_error";
    case 70:
      return "protocol_version";
    case 71:
      return "insufficient_security";
    case 80:
      return "internal_error";
    case 86:
      return "inappropriate_fallback";
    case 90:
      return "user_canceled";
    case 109:
      return "missing_extension";
    case 110:
      return "unsupported_extension";
    case 112:
      return "unrecognized_name";
    case 113:
      return "bad_certificate_status_response";
    case 115:
      return "unknown_psk_identity";
    case 116:
      return "certificate_required";
    case 120:
      return "no_application_protocol";
    default:
      return "alert_" + std::to_string(description);
  }
}

}  // namespace ussl
