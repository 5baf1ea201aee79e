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

// Per-connection arguments of Context::wrap.
struct WrapArgs {
  std::optional<std::string> server_hostname;
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
  // Validates the options and loads every file once. Throws Error(bad_file)
  // naming the file and the problem, or Error(usage) for contradictory options.
  static std::shared_ptr<const Context> create(const Options& options);

  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Wraps a connected stream socket; the SslSocket owns it from now on (and
  // closes it even when wrap throws). With do_handshake the handshake runs
  // here (on a non-blocking socket it is driven with poll until complete).
  // A client's server_hostname is sent as SNI and checked in the form of
  // normalize_server_name (names.hpp: no trailing dot, A-labels; an IP
  // literal is not sent); one that cannot be put in that form throws
  // Error(usage).
  std::unique_ptr<SslSocket> wrap(std::unique_ptr<Transport> transport, std::optional<std::string> server_hostname,
                                  bool do_handshake) const;
  std::unique_ptr<SslSocket> wrap(int fd, std::optional<std::string> server_hostname, bool do_handshake) const;
  std::unique_ptr<SslSocket> wrap(std::unique_ptr<Transport> transport, const WrapArgs& args) const;

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

// ussl.wrap_socket: build a context from the options and wrap sock with it.
std::unique_ptr<SslSocket> wrap_socket(std::unique_ptr<Transport> sock, const Options& options);
std::unique_ptr<SslSocket> wrap_socket(int fd, const Options& options);

class SslSocket {
 public:
  ~SslSocket();
  SslSocket(const SslSocket&) = delete;
  SslSocket& operator=(const SslSocket&) = delete;

  // --- ussl's stream interface. nullopt means "no data yet" (ussl's None):
  // only on a non-blocking socket. An empty string is EOF (close_notify). ---

  // Blocking: until n bytes or EOF (n absent: to EOF). Non-blocking: what is
  // available now, up to n.
  std::optional<std::string> read(std::optional<std::size_t> n = std::nullopt);
  // Like read(buffer.size()), into buffer; returns the count.
  std::optional<std::size_t> readinto(std::span<char> buffer);
  // Up to and including '\n', at most max bytes; EOF gives what was collected.
  std::optional<std::string> readline(std::size_t max = SIZE_MAX);
  // Blocking: all of data, returns its size. Non-blocking: the count accepted
  // before the socket would block, nullopt if none. Bytes counted are
  // committed: a record wolfSSL encrypted but could not send yet goes out
  // with the next read/write/close (write("") just flushes it); until then
  // want() is Want::write and poll() waits for the socket to be writable.
  std::optional<std::size_t> write(std::string_view data);
  // One underlying read of up to n bytes ("" at EOF).
  std::optional<std::string> recv(std::size_t n);
  // One record's worth at most; returns the count accepted.
  std::optional<std::size_t> send(std::string_view data);
  // Sends close_notify when the connection is healthy (best effort, never
  // waits on a non-blocking socket) and closes the underlying socket.
  // Idempotent; never throws.
  void close() noexcept;
  // Closes the underlying socket without close_notify (the peer sees a
  // truncated EOF). Idempotent; never throws.
  void abort() noexcept;
  void setblocking(bool blocking);
  bool blocking() const noexcept;
  // Limit every blocking wait on the underlying socket (beyond ussl).
  void settimeout(std::optional<std::chrono::milliseconds> timeout);

  // Beyond ussl (CPython has it): advance the handshake explicitly. Blocking:
  // completes it. Non-blocking: one step; true once it is complete, false
  // on would-block (want() says which way). Trigger "do_handshake".
  bool do_handshake();

  // --- polling ---
  int fileno() const noexcept;    // descriptor of the underlying socket, -1 if none
  Want want() const noexcept;     // direction the last would-block call waits for
  bool pending() const noexcept;  // decrypted bytes are buffered (readable without I/O)
  // ussl's poll: POLLNVAL when closed or failed; POLLIN at once when data is
  // buffered; during a handshake the needed direction is asked of the socket
  // and reported as the caller's events. Waits up to timeout (0: no wait).
  short poll(short events, std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  // --- beyond ussl: what the handshake negotiated and found ---
  // The connection record (record.hpp), brought up to date: what wrap set,
  // what the handshake has seen so far (also after it failed), and the
  // negotiated parameters once it completed. The reference stays valid for
  // the socket's life; later calls update it.
  const ConnectionRecord& record() const;
  bool closed() const noexcept;
  bool server_side() const noexcept;
  const HandshakeInfo& handshake() const noexcept;
  std::optional<std::string> tls_version() const;  // "TLSv1.3"
  std::optional<std::string> cipher() const;       // IANA name
  std::optional<std::string> sni() const;          // sent (client) or received (server)
  std::optional<std::string> alpn() const;         // protocol negotiated, if any
  bool session_reused() const noexcept;            // this handshake resumed a session
  bool session_offered() const noexcept;           // client: WrapArgs::session was offered (not expired)
  // Client: the session to resume later, serialized (nullopt before the
  // handshake). Under TLS 1.3 it can resume only once a ticket arrived.
  std::optional<std::string> session() const;
  bool session_ticket_received() const noexcept;                    // client: a ticket arrived
  const std::vector<CertificateInfo>& peer_chain() const noexcept;  // leaf first
  // Group, signature schemes, HelloRetryRequest, key shares and ClientHellos
  // of this connection's handshake, as far as it got.
  Negotiation negotiation() const;
  const VerifyResult& verify_result() const noexcept;
  // The sticky error, if a fatal one happened.
  const std::optional<Error>& error() const noexcept;
  std::uint64_t bytes_read() const noexcept;
  std::uint64_t bytes_written() const noexcept;
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
