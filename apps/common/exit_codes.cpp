#include "common/exit_codes.hpp"

#include <array>

namespace ussl::apps {
namespace {

// A forgotten ErrorKind must fail the build, not fall back to an exit code:
// the switch below has no default, and -Wswitch is an error in this file.
#pragma GCC diagnostic error "-Wswitch"

struct KindExit {
  int before_handshake;  // setup, connect, handshake
  int after_handshake;   // data
};

// The one table: every ErrorKind and its exit code before / after the handshake.
constexpr KindExit kind_exit(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::resolve_failed:
    case ErrorKind::connection_refused:
    case ErrorKind::connect_failed:
    case ErrorKind::connect_timeout:
    case ErrorKind::proxy_failed:
      return {kExitConnectFailed, kExitConnectFailed};
    case ErrorKind::connection_reset:
    case ErrorKind::truncated_eof:
    case ErrorKind::alert_received:
    case ErrorKind::protocol_error:
      return {kExitHandshakeFailed, kExitIoError};
    case ErrorKind::timeout:
      return {kExitTimeout, kExitTimeout};
    case ErrorKind::cert_untrusted:
    case ErrorKind::cert_expired:
    case ErrorKind::cert_not_yet_valid:
    case ErrorKind::hostname_mismatch:
    case ErrorKind::peer_cert_missing:
    case ErrorKind::cert_purpose:
    case ErrorKind::cert_invalid:
    case ErrorKind::cert_weak:
    case ErrorKind::cert_revoked:
    case ErrorKind::chain_too_long:
      return {kExitVerifyFailed, kExitVerifyFailed};
    case ErrorKind::bad_file:
    case ErrorKind::usage:
      return {kExitUsage, kExitUsage};
    case ErrorKind::closed:
    case ErrorKind::internal:
      return {kExitInternal, kExitInternal};
    case ErrorKind::starttls_failed:
    case ErrorKind::starttls_injection:
      return {kExitStarttlsFailed, kExitStarttlsFailed};
  }
  // Only a value outside the enum (a cast) gets here.
  return {kExitInternal, kExitInternal};
}

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
  const KindExit entry = kind_exit(kind);
  if (phase != Phase::data) return entry.before_handshake;
  // The peer rejected our certificate after our side of the handshake
  // completed (TLS 1.3): still a handshake failure.
  if (kind == ErrorKind::alert_received && is_handshake_alert(alert)) return kExitHandshakeFailed;
  return entry.after_handshake;
}

int exit_code_for(const Error& error, Phase phase) noexcept {
  return exit_code_for(error.kind(), phase, error.alert());
}

std::span<const ExitCodeInfo> exit_code_table() noexcept { return kExitCodes; }

}  // namespace ussl::apps
