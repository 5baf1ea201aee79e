// Private to the library: one connection's state (SslSocket::Impl) and what
// the files that implement it share. Each concern has its own file:
//   stream.cpp        the stream API (read/write/close/poll) and its read/flush helpers
//   handshake.cpp     the handshake driver (advance, finish, signature schemes, HRR)
//   failure.cpp       the failure record and the error a failure maps to
//   wolfssl_io.cpp    wolfSSL's I/O callbacks over the Transport
//   peer_verify.cpp   the verify callback and ussl's verdict on the peer's chain
//   callbacks.cpp     context callbacks: SNI and certificate selection (server),
//                     CertificateRequest seen (client), key log
//   session.cpp       session resumption: tickets, saved sessions
//   socket.cpp        what the connection negotiated (the accessors)
//   context.cpp       Context::wrap, which builds an Impl
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "internal.hpp"
#include "ussl/client_hello.hpp"
#include "wire.hpp"

namespace ussl {

inline constexpr std::size_t kRecordSize = 16384;
// The most certificates of the peer's chain this wolfSSL collects.
#ifdef MAX_CHAIN_DEPTH
inline constexpr int kCollected = MAX_CHAIN_DEPTH;
#else
inline constexpr int kCollected = 9;  // wolfSSL's default (Debian's build)
#endif

// Why a connection failed: one record per connection. Each layer notes what
// it saw when it happened, and each slot keeps its first entry (later ones
// are consequences of it). When a wolfSSL call fails, map_error
// (failure.cpp) decides the one Error it raises, by this precedence:
//   1. setup: the server could not choose a certificate (callbacks.cpp), during the handshake;
//   2. the verify record (ConnectionRecord::verify.failure) when the mode enforces it, during the handshake;
//   3. a fatal alert the peer sent (wolfSSL's alert history);
//   4. transport: the first fatal transport result, EOF, reset, timeout, error (wolfssl_io.cpp);
//   5. wolfSSL's own code (close_notify mid-handshake, MAX_CHAIN_ERROR, no peer certificate, else protocol_error).
// That Error becomes sticky: every later call on the socket throws it again.
struct FailureRecord {
  std::optional<Error> setup;
  std::optional<IoResult> transport;
  std::optional<Error> sticky;

  void note_setup(Error error) {
    if (!setup) setup = std::move(error);
  }
  void note_transport(const IoResult& result) {
    if (!transport) transport = result;
  }
};

struct SslSocket::Impl {
  std::shared_ptr<const Context> context;
  const Context::Impl* ctx = nullptr;
  std::unique_ptr<Transport> transport;
  SslPtr ssl;
  bool server = false;
  std::optional<std::string> hostname;  // client: name to verify
  // The connection record (record.hpp). Kept current as things happen,
  // except negotiation and peer_chain, which refresh_record() derives from
  // the tap and raw_chain when the record is read or attached to an error.
  ConnectionRecord rec;
  std::optional<std::string> eager_trigger;          // WrapArgs::eager_trigger
  std::vector<std::vector<std::uint8_t>> raw_chain;  // as sent by the peer, leaf first
  FailureRecord failure;
  Want want = Want::nothing;
  bool closed = false;
  bool eof = false;                               // close_notify received
  bool ticket = false;                            // client: a session ticket arrived
  bool sni_certificate = false;                   // server: a certificate was chosen by SNI
  std::unique_ptr<detail::HandshakeTap> sni_tap;  // server, until the handshake ends: the ClientHello's bytes
  std::string alpn_list;                          // comma-separated, kept alive for wolfSSL
  std::string stalled;                            // a record wolfSSL must finish sending
  std::optional<std::chrono::steady_clock::time_point> first_sent;  // client: ClientHello handed to the transport
  std::string resumed_ticket;             // client: the ticket this connection resumed with (a new one replaces it)
  HandshakeTap tap;                       // the plaintext handshake messages, both ways
  bool own_key_pss = false;               // our certificate's key is RSASSA-PSS (the one in use)
  bool hrr_forced = false;                // server: the groups were narrowed for a HelloRetryRequest
  std::optional<std::uint16_t> peer_sig;  // TLS 1.3: signature schemes, at the end of the handshake
  std::optional<std::uint16_t> own_sig;

  void tap_bytes(bool received, std::span<const std::uint8_t> bytes);
  void force_hello_retry();
  void record_signature_schemes();
  void record_parameters();
  std::chrono::steady_clock::time_point started;  // the first handshake step

  // --- wolfSSL plumbing ---
  int call(const std::function<int()>& op, bool handshake);
  Error map_error(int err, bool handshake);
  // Makes error the sticky one, attaches a copy of the refreshed record and throws it.
  [[noreturn]] void raise(Error error);
  // Brings rec.negotiation and rec.peer_chain up to date (handshake tap, raw chain).
  void refresh_record();
  void check_usable() const;
  bool advance_handshake(const char* trigger);
  void complete_handshake_blocking(const char* trigger);
  void handshake_finished();
  void wait_for(Want direction);
  bool flush_stalled();
  int on_verify(int preverify, WOLFSSL_X509_STORE_CTX* store);
  void run_verdict();
  bool verdict_done = false;
  void record_failure(ErrorKind kind, std::string reason, int depth, int code);
  int read_some(char* buf, std::size_t n, const char* trigger);  // >0, 0 EOF, -1 would block
};

// wolfSSL's I/O callbacks (wolfssl_io.cpp); their context is the Impl.
int io_recv(WOLFSSL* ssl, char* buf, int sz, void* ctx);
int io_send(WOLFSSL* ssl, char* buf, int sz, void* ctx);

// Session resumption (session.cpp).
struct SessionFree {
  void operator()(WOLFSSL_SESSION* s) const noexcept { wolfSSL_SESSION_free(s); }
};
// Marks that a (TLS 1.2) session ticket arrived; ctx is the Impl.
int ticket_callback(WOLFSSL* ssl, const unsigned char* ticket, int size, void* ctx);
// The session ticket a client holds now ("" when none).
std::string current_ticket(WOLFSSL* ssl);

}  // namespace ussl
