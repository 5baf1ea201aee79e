// Reports: what a connection found, as the JSON contract (schema 1) and as
// human lines. Shared by the client's report and the server's events.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ussl/socket.hpp"

namespace ussl::apps {

// Keys keep the order they are written in, so the output reads top-down.
using Json = nlohmann::ordered_json;
inline constexpr int kSchemaVersion = 1;

struct ErrorInfo {
  ErrorKind kind = ErrorKind::internal;
  std::string message;
  int wolfssl_code = 0;
  int alert = -1;

  static ErrorInfo from(const Error& error);
};

// What a socket knew about its connection at one moment. Without a socket
// (setup or connect failed) only verify.mode/enforced and deferred are set.
struct TlsFacts {
  HandshakeInfo handshake;
  bool nonblocking = false;
  std::optional<std::string> version;
  std::optional<std::string> cipher;
  std::optional<std::string> sni;
  std::optional<std::string> alpn;  // the protocol negotiated
  bool resumed = false;             // the handshake resumed a session
  VerifyResult verify;
  std::vector<CertificateInfo> chain;  // as the peer sent it, leaf first
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
};
TlsFacts facts_of(const SslSocket& socket);

struct Timing {
  std::optional<double> connect;
  std::optional<double> handshake;
  std::optional<double> total;
};

// "ok", "failed", or nullopt when no certificate was checked.
std::optional<std::string> verify_result_name(const VerifyResult& verify);

Json error_json(const std::optional<ErrorInfo>& error);
// Milliseconds rounded to the microsecond (enough for loopback), or null.
Json ms_or_null(const std::optional<double>& ms);
Json certificate_json(const CertificateInfo& cert, bool with_pem);
// {"version","cipher","legacy"}: legacy is true for TLS 1.0/1.1 or a legacy
// suite (RSA key transport, CBC with SHA-1, ...), null before a handshake.
Json tls_json(const TlsFacts& facts);
// Adds, in contract order: ok, error, tls, sni, verify, peer_certificate,
// peer_chain, handshake, bytes, timing_ms, alpn, resumed. Absent values are null.
void add_connection_fields(Json& out, const TlsFacts& facts, const std::optional<ErrorInfo>& error,
                           const Timing& timing, bool with_pem);
// One line of JSON, written and flushed at once.
// One JSON document as a line (with '\n'); invalid UTF-8 is replaced.
std::string json_line(const Json& j);
// Writes json_line(j) to stdout and flushes; safe to call from several threads.
void print_json_line(const Json& j);

// --- human text ---
std::string describe(const ErrorInfo& error);  // "hostname_mismatch: certificate ... (alert bad_certificate)"
// "VERIFIED (cert-reqs required): chain ok, hostname 'localhost' ok", "NOT VERIFIED (cert-reqs none): ..."
// server_side: the peer is a client, whose certificate may not be asked for.
std::string verify_summary(const VerifyResult& verify, bool server_side);
std::string format_ms(double ms);
std::string join(const std::vector<std::string>& parts, const std::string& separator);

}  // namespace ussl::apps
