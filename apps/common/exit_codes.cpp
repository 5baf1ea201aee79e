#include "common/exit_codes.hpp"

#include <array>

namespace ussl::apps {
namespace {

struct KindExit {
  ErrorKind kind;
  int before_handshake;  // setup, connect, handshake
  int after_handshake;   // data
};

// The one table: every ErrorKind and its exit code before / after the handshake.
constexpr std::array kKindExits = {
    KindExit{ErrorKind::resolve_failed, kExitConnectFailed, kExitConnectFailed},
    KindExit{ErrorKind::connection_refused, kExitConnectFailed, kExitConnectFailed},
    KindExit{ErrorKind::connect_failed, kExitConnectFailed, kExitConnectFailed},
    KindExit{ErrorKind::connect_timeout, kExitConnectFailed, kExitConnectFailed},
    KindExit{ErrorKind::connection_reset, kExitHandshakeFailed, kExitIoError},
    KindExit{ErrorKind::truncated_eof, kExitHandshakeFailed, kExitIoError},
    KindExit{ErrorKind::timeout, kExitTimeout, kExitTimeout},
    KindExit{ErrorKind::alert_received, kExitHandshakeFailed, kExitIoError},
    KindExit{ErrorKind::protocol_error, kExitHandshakeFailed, kExitIoError},
    KindExit{ErrorKind::cert_untrusted, kExitVerifyFailed, kExitVerifyFailed},
    KindExit{ErrorKind::cert_expired, kExitVerifyFailed, kExitVerifyFailed},
    KindExit{ErrorKind::cert_not_yet_valid, kExitVerifyFailed, kExitVerifyFailed},
    KindExit{ErrorKind::hostname_mismatch, kExitVerifyFailed, kExitVerifyFailed},
    KindExit{ErrorKind::peer_cert_missing, kExitVerifyFailed, kExitVerifyFailed},
    KindExit{ErrorKind::cert_purpose, kExitVerifyFailed, kExitVerifyFailed},
    KindExit{ErrorKind::cert_invalid, kExitVerifyFailed, kExitVerifyFailed},
    KindExit{ErrorKind::cert_weak, kExitVerifyFailed, kExitVerifyFailed},
    KindExit{ErrorKind::cert_revoked, kExitVerifyFailed, kExitVerifyFailed},
    KindExit{ErrorKind::chain_too_long, kExitVerifyFailed, kExitVerifyFailed},
    KindExit{ErrorKind::bad_file, kExitUsage, kExitUsage},
    KindExit{ErrorKind::usage, kExitUsage, kExitUsage},
    KindExit{ErrorKind::closed, kExitInternal, kExitInternal},
    KindExit{ErrorKind::internal, kExitInternal, kExitInternal},
    KindExit{ErrorKind::proxy_failed, kExitConnectFailed, kExitConnectFailed},
    KindExit{ErrorKind::starttls_failed, kExitStarttlsFailed, kExitStarttlsFailed},
    KindExit{ErrorKind::starttls_injection, kExitStarttlsFailed, kExitStarttlsFailed},
};

constexpr std::array kExitCodes = {
    ExitCodeInfo{kExitOk, "success"},
    ExitCodeInfo{kExitInternal, "internal error"},
    ExitCodeInfo{kExitUsage, "usage or configuration error (bad flag, unreadable or invalid cert/key/CA file)"},
    ExitCodeInfo{kExitConnectFailed, "connection failed (resolve, refused, unreachable, connect timeout, proxy)"},
    ExitCodeInfo{kExitHandshakeFailed, "TLS handshake failed (protocol error, alert received, certificate rejected)"},
    ExitCodeInfo{kExitVerifyFailed,
                 "certificate verification failed (chain, dates, hostname, purpose, rules, strength, revocation, "
                 "depth, missing)"},
    ExitCodeInfo{kExitIoError, "I/O error after the handshake (reset, truncated EOF)"},
    ExitCodeInfo{kExitTimeout, "timeout after connecting"},
    ExitCodeInfo{kExitExpectation, "an --expect did not hold (with --expect, 0 means every expectation held)"},
    ExitCodeInfo{kExitStarttlsFailed, "STARTTLS failed (not offered, refused, plaintext injected after the go-ahead)"},
};

}  // namespace

bool is_handshake_alert(int alert) noexcept {
  const auto description = alert_description(alert);
  if (!description) return false;
  switch (*description) {
    case AlertDescription::handshake_failure:
    case AlertDescription::bad_certificate:
    case AlertDescription::unsupported_certificate:
    case AlertDescription::certificate_revoked:
    case AlertDescription::certificate_expired:
    case AlertDescription::certificate_unknown:
    case AlertDescription::unknown_ca:
    case AlertDescription::access_denied:
    case AlertDescription::decrypt_error:  // CertificateVerify
    case AlertDescription::certificate_required:
      return true;
    default:
      return false;
  }
}

int exit_code_for(ErrorKind kind, Phase phase, int alert) noexcept {
  for (const auto& entry : kKindExits) {
    if (entry.kind != kind) continue;
    if (phase != Phase::data) return entry.before_handshake;
    // The peer rejected our certificate after our side of the handshake
    // completed (TLS 1.3): still a handshake failure.
    if (kind == ErrorKind::alert_received && is_handshake_alert(alert)) return kExitHandshakeFailed;
    return entry.after_handshake;
  }
  return kExitInternal;
}

int exit_code_for(const Error& error, Phase phase) noexcept {
  return exit_code_for(error.kind(), phase, error.alert());
}

std::span<const ExitCodeInfo> exit_code_table() noexcept { return kExitCodes; }

}  // namespace ussl::apps
