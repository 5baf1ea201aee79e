// Reports: what a connection found, as the JSON contract (schema 1) and as
// human lines. Shared by the client's report and the server's events.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/json_writer.hpp"
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

// The connection a report describes is the library's ConnectionRecord
// (ussl/record.hpp), read from the socket (SslSocket::record()) or from the
// error that ended it (Error::record()). Before a socket exists (setup or
// connect failed, or a STARTTLS dialogue that never reached TLS) the program
// fills a default record with what it knows: verify.mode/enforced/hostname,
// handshake.deferred, nonblocking.

// The record to report: the socket's when there is one, else the one the
// error carries, else before_wrap.
ConnectionRecord record_of(const SslSocket* socket, const Error* error, const ConnectionRecord& before_wrap);

struct Timing {
  std::optional<double> connect;
  std::optional<double> handshake;
  std::optional<double> total;
};

// "ok", "failed", or nullopt when no certificate was checked.
std::optional<std::string> verify_result_name(const VerifyResult& verify);

// Each object of the report has one definition: a write_* function that
// writes its JSON text (the server's events use them directly); the *_json
// functions return the same text parsed, for reports that go on to add to
// it or check expectations against it.

// {"kind","message","wolfssl_code","alert","alert_code"}, or null.
void write_error(JsonWriter& w, const std::optional<ErrorInfo>& error);
Json error_json(const std::optional<ErrorInfo>& error);
// Milliseconds rounded to the microsecond (enough for loopback), or null;
// write_ms writes it as the member `name`.
Json ms_or_null(const std::optional<double>& ms);
void write_ms(JsonWriter& w, std::string_view name, const std::optional<double>& ms);
// subject, issuer, san, not_before, not_after, sha256, serial, pem (or null),
// days_left, lifetime_days.
// `now`: seconds since the epoch, for days_left.
void write_certificate(JsonWriter& w, const CertificateInfo& cert, bool with_pem, double now);
Json certificate_json(const CertificateInfo& cert, bool with_pem);
// The instant the report is about, in seconds since the epoch: now.
double report_now();
// Days from now (seconds since the epoch) to notAfter, fractional (to 1e-5
// day), negative once expired; RFC 5280 4.1.2.5: the certificate is valid
// through notAfter.
double days_left(const CertificateInfo& cert, double now);
// notAfter - notBefore in days, fractional.
double lifetime_days(const CertificateInfo& cert);
// The smallest days_left over the chain the peer sent (the verified path is
// not known here; every certificate sent is counted); null without a chain.
Json chain_min_days_left(const std::vector<CertificateInfo>& chain, double now);
// {"version","cipher","group","signature_scheme","own_signature_scheme","legacy"}:
// legacy is true for TLS 1.0/1.1 or a legacy
// suite (RSA key transport, CBC with SHA-1, ...), null before a handshake.
void write_tls(JsonWriter& w, const ConnectionRecord& record);
Json tls_json(const ConnectionRecord& record);
// Adds, in contract order: ok, error, tls, sni, verify, peer_certificate,
// peer_chain, handshake, bytes, timing_ms, alpn, resumed, chain_min_days_left.
// Absent values are null. The writer form writes the members into the object
// the writer has open.
void write_connection_fields(JsonWriter& w, const ConnectionRecord& record, const std::optional<ErrorInfo>& error,
                             const Timing& timing, bool with_pem);
void add_connection_fields(Json& out, const ConnectionRecord& record, const std::optional<ErrorInfo>& error,
                           const Timing& timing, bool with_pem);
// The server's client_hello object: versions, cipher_suites, groups,
// key_shares, signature_schemes (IANA names, GREASE as "GREASE"), alpn, sni,
// extensions (names, in the order sent), ja4, bytes; null without one.
void write_client_hello(JsonWriter& w, const std::optional<ClientHello>& hello);
Json client_hello_json(const std::optional<ClientHello>& hello);
// "kex          X25519MLKEM768, no HelloRetryRequest (key shares offered: ...)": the human key-exchange line.
std::string key_exchange_summary(const ConnectionRecord& record);
// The same keys with every object filled and one element in every array: the
// shape --expect paths are checked against before a connection is made.
void add_example_connection_fields(Json& out);
// One JSON document as text, without a newline; invalid UTF-8 is replaced.
std::string json_text(const Json& j);
// The same as a line (with '\n').
std::string json_line(const Json& j);
// Writes json_line(j) to stdout and flushes; safe to call from several threads.
void print_json_line(const Json& j);

// --- human text ---
std::string describe(const ErrorInfo& error);  // "hostname_mismatch: certificate ... (alert bad_certificate)"
// "VERIFIED (cert-reqs required): chain ok, hostname 'localhost' ok", "NOT VERIFIED (cert-reqs none): ..."
// server_side: the peer is a client, whose certificate may not be asked for.
std::string verify_summary(const VerifyResult& verify, bool server_side);
// One line per problem of verify.problems: "kind: message [rule]".
std::vector<std::string> problem_lines(const VerifyResult& verify);
// "EC P-256, signed ecdsa-with-SHA256", "RSA-2048, signed sha256WithRSAEncryption".
std::string key_summary(const CertificateInfo& cert);
std::string format_ms(double ms);
std::string join(const std::vector<std::string>& parts, const std::string& separator);

}  // namespace ussl::apps
