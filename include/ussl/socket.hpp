// Context (built once from Options, immutable, shareable) and SslSocket (one
// TLS connection over a Transport, with ussl's stream interface).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ussl/certificate.hpp"
#include "ussl/error.hpp"
#include "ussl/hello.hpp"
#include "ussl/options.hpp"
#include "ussl/record.hpp"
#include "ussl/transport.hpp"

namespace ussl {

class SslSocket;

// What a would-block call waits for: the handshake may need to write during a
// read, or to read during a write.
enum class Want { nothing, read, write };

// Per-connection arguments of Context::wrap (the seed's server_hostname and
// do_handshake, plus resumption).
struct WrapArgs {
  // Client: the name sent as SNI and checked against the certificate
  // (ignored by servers).
  std::optional<std::string> server_hostname;
  // The seed's do_handshake: true runs the handshake in wrap; false leaves it
  // to the first read, write or do_handshake().
  bool do_handshake = true;
  // A session saved from an earlier connection (SslSocket::session()) to
  // resume; ignored by servers. One that cannot be decoded is refused
  // (bad_file); one whose lifetime has passed is not offered, so the
  // connection runs a full handshake (session_offered() is then false).
  std::optional<std::string> session;
  // Only with do_handshake=false, for a caller that runs an eager handshake
  // itself right after wrap (its own do_handshake() loop, bounded by its own
  // deadline): the record says handshake.deferred=false, and
  // handshake.trigger is this name ("wrap" for ussl-client, whose loop
  // stands for wrap's handshake) instead of the call that ran it.
  std::optional<std::string> eager_trigger;
};

class Context : public std::enable_shared_from_this<Context> {
 public:
  // Validates the options and loads every file once (STYLE rule 1): the
  // seed's wrap_socket arguments plus versions, ciphers, groups, SNI
  // certificates. Returns an immutable context any number of sockets (and
  // threads) share. Throws Error(bad_file) naming the file and the problem
  // (unreadable, empty, wrong format, key and certificate that do not pair),
  // or Error(usage) for contradictory options (a server without a
  // certificate, CERT_REQUIRED without ca_certs, an inverted version range,
  // an unknown cipher list or group).
  static std::shared_ptr<const Context> create(const Options& options);

  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Wraps a connected stream socket; the SslSocket owns it from now on (and
  // closes it even when wrap throws). With do_handshake the handshake runs
  // here (on a non-blocking socket it is driven with poll until complete,
  // each wait bounded by the transport's timeout); without it wrap does no
  // I/O and the first read or write runs it (the seed's do_handshake=False).
  // A client's server_hostname is sent as SNI (RFC 6066 §3) and checked
  // (RFC 6125) in the form of normalize_server_name (names.hpp: no trailing
  // dot, A-labels; an IP literal is checked but not sent). Throws
  // Error(usage) for a missing transport, an empty or unconvertible
  // server_hostname, or an ALPN list wolfSSL refuses; Error(bad_file) for a
  // WrapArgs::session that cannot be decoded; and, with do_handshake, every
  // handshake error (alert_received, cert_*, hostname_mismatch,
  // truncated_eof, timeout, ...) with the connection record attached
  // (Error::record()).
  std::unique_ptr<SslSocket> wrap(std::unique_ptr<Transport> transport, const WrapArgs& args) const;
  // wrap(transport, {server_hostname, do_handshake}).
  std::unique_ptr<SslSocket> wrap(std::unique_ptr<Transport> transport, std::optional<std::string> server_hostname,
                                  bool do_handshake) const;
  // wrap over an FdTransport of fd (a connected stream socket descriptor,
  // blocking or O_NONBLOCK), which the socket owns from the call on.
  std::unique_ptr<SslSocket> wrap(int fd, std::optional<std::string> server_hostname, bool do_handshake) const;

  // The options the context was built from, as given.
  const Options& options() const noexcept;
  // Non-fatal findings while loading (a CA certificate skipped, ...), each
  // naming the file and the certificate.
  const std::vector<std::string>& warnings() const noexcept;

  struct Impl;

 private:
  explicit Context(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend class SslSocket;
};

// The seed's ussl.wrap_socket(sock, server_side, keyfile, certfile,
// cert_reqs, ca_certs, server_hostname, do_handshake): builds a context from
// the options (Context::create) and wraps sock with it
// (options.server_hostname, options.do_handshake). Throws what both throw.
std::unique_ptr<SslSocket> wrap_socket(std::unique_ptr<Transport> sock, const Options& options);
// The same over an FdTransport of the descriptor fd, owned from the call on.
std::unique_ptr<SslSocket> wrap_socket(int fd, const Options& options);

// One TLS connection (the seed's SSL socket): one WOLFSSL over one
// Transport, with the seed's stream interface. Not thread-safe: one thread
// uses a socket at a time. Every call that does I/O may run the handshake
// first (do_handshake=False) and throws a ussl::Error on a fatal failure;
// that error is sticky: every later I/O call throws it again, with the same
// attached record. A call after close() throws Error(closed).
class SslSocket {
 public:
  // Closes the connection (close()) if still open.
  ~SslSocket();
  SslSocket(const SslSocket&) = delete;
  SslSocket& operator=(const SslSocket&) = delete;

  // --- the seed's stream interface. nullopt means "no data yet" (the seed's
  // None): only on a non-blocking socket. An empty string is EOF
  // (close_notify received). Sizes are bytes. EOF without close_notify throws
  // Error(truncated_eof), a reset Error(connection_reset). ---

  // Blocking: until n bytes or EOF (n absent: to EOF). Non-blocking: what is
  // available now, up to n.
  std::optional<std::string> read(std::optional<std::size_t> n = std::nullopt);
  // Like read(buffer.size()), into buffer; returns the count (0 at EOF).
  std::optional<std::size_t> readinto(std::span<char> buffer);
  // Up to and including '\n', at most max bytes; EOF gives what was collected.
  std::optional<std::string> readline(std::size_t max = SIZE_MAX);
  // Blocking: all of data, returns its size. Non-blocking: the count accepted
  // before the socket would block, nullopt if none. Bytes counted are
  // committed: a record wolfSSL encrypted but could not send yet goes out
  // with the next read/write/close (write("") just flushes it); until then
  // want() is Want::write and poll() waits for the socket to be writable.
  std::optional<std::size_t> write(std::string_view data);
  // One underlying read of up to n bytes (at most one record, 16,384); ""
  // at EOF.
  std::optional<std::string> recv(std::size_t n);
  // One record's worth at most (16,384 bytes); returns the count accepted.
  std::optional<std::size_t> send(std::string_view data);
  // Sends close_notify when the connection is healthy (best effort, never
  // waits on a non-blocking socket) and closes the underlying socket.
  // Idempotent; never throws.
  void close() noexcept;
  // Closes the underlying socket without close_notify (the peer sees a
  // truncated EOF). Idempotent; never throws.
  void abort() noexcept;
  // Switches the underlying socket's mode. Throws Error(closed) after close().
  void setblocking(bool blocking);
  // The underlying socket's mode, as the transport reports it.
  bool blocking() const noexcept;
  // Limits every blocking wait on the underlying socket (beyond the seed);
  // nullopt: wait forever. A wait that runs out throws Error(timeout).
  void settimeout(std::optional<std::chrono::milliseconds> timeout);

  // Beyond the seed (CPython has it): advance the handshake explicitly.
  // Blocking: completes it, returns true. Non-blocking: one step; true once
  // it is complete, false on would-block (want() says which way). Trigger
  // "do_handshake" (or WrapArgs::eager_trigger). Throws the handshake's error.
  bool do_handshake();

  // --- polling ---
  int fileno() const noexcept;    // descriptor of the underlying socket, -1 if none or closed
  Want want() const noexcept;     // direction the last would-block call waits for
  bool pending() const noexcept;  // decrypted bytes are buffered (readable without I/O)
  // The seed's poll rules: POLLNVAL when closed or failed; POLLIN at once
  // when data is buffered; during a handshake the needed direction is asked
  // of the socket and reported as the caller's events. events and the
  // result are poll(2) bits; waits up to timeout (0: no wait). Never throws
  // for the connection's own failure (that is POLLNVAL).
  short poll(short events, std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  // --- beyond the seed: what the handshake negotiated and found. Each reads
  // the connection record and stays valid after close(). ---

  // The connection record (record.hpp), brought up to date: what wrap set,
  // what the handshake has seen so far (also after it failed), and the
  // negotiated parameters once it completed. The reference stays valid for
  // the socket's life; later calls update it.
  const ConnectionRecord& record() const;
  bool closed() const noexcept;                     // close() or abort() was called
  bool server_side() const noexcept;                // the context's server_side
  const HandshakeInfo& handshake() const noexcept;  // record().handshake
  std::optional<std::string> tls_version() const;   // "TLSv1.3"; nullopt until the handshake completed
  std::optional<std::string> cipher() const;        // IANA name; nullopt until completed
  std::optional<std::string> sni() const;           // sent (client, from wrap) or received (server)
  std::optional<std::string> alpn() const;          // protocol negotiated (RFC 7301), if any
  bool session_reused() const noexcept;             // this handshake resumed a session
  bool session_offered() const noexcept;            // client: WrapArgs::session was offered (not expired)
  // Client: the session to resume later, serialized (wolfSSL's DER form;
  // nullopt before the handshake and on a server). Under TLS 1.3 it can
  // resume only once a ticket arrived (RFC 8446 4.6.1), so it is nullopt
  // until then.
  std::optional<std::string> session() const;
  bool session_ticket_received() const noexcept;                    // client: a ticket arrived
  const std::vector<CertificateInfo>& peer_chain() const noexcept;  // as the peer sent it, leaf first
  // Group, signature schemes, HelloRetryRequest, key shares and ClientHellos
  // of this connection's handshake, as far as it got: record().negotiation.
  Negotiation negotiation() const;
  // What verification found, in every cert_reqs mode: record().verify.
  const VerifyResult& verify_result() const noexcept;
  // The sticky error, if a fatal one happened.
  const std::optional<Error>& error() const noexcept;
  std::uint64_t bytes_read() const noexcept;     // application bytes returned by the reads
  std::uint64_t bytes_written() const noexcept;  // application bytes accepted by write/send
  // The underlying transport (owned by the socket).
  Transport& transport() noexcept;

  struct Impl;

 private:
  explicit SslSocket(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend class Context;
};

// Version of the wolfSSL library in use ("5.5.4").
std::string wolfssl_version();

}  // namespace ussl
