// One typed error model: every failure the library reports is a ussl::Error
// (the OSError of the ussl document: there is no separate SSL error type).
#pragma once

#include <memory>
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

// The stable snake_case name of a kind ("cert_expired").
std::string_view error_kind_name(ErrorKind kind) noexcept;

// The errno value an OSError of this kind carries (ECONNRESET, EACCES, ...).
int error_kind_errno(ErrorKind kind) noexcept;

// The std::error_category of ErrorKind values ("ussl").
const std::error_category& error_category() noexcept;
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

// The name of a TLS alert description ("bad_certificate"), or "alert_N".
std::string alert_name(int description);

}  // namespace ussl

namespace std {
template <>
struct is_error_code_enum<ussl::ErrorKind> : true_type {};
}  // namespace std
