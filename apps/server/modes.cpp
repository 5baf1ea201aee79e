// What each ussl-server connection does with its bytes, once the loop
// (worker.cpp) found it ready: echo (send back what arrives), http (answer
// each request with a page describing the connection), discard (read and
// drop), source (send --source-bytes, then close) and STARTTLS (the
// plaintext dialogue before the handshake, then minimal answers inside TLS;
// the dialogues themselves are in starttls_server*.cpp).
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <string_view>

#include "common/text.hpp"
#include "server/process.hpp"
#include "server/worker.hpp"

namespace ussl::apps {
namespace {

constexpr std::string_view kSourcePattern = "abcdefghijklmnopqrstuvwxyz0123456789\n";
// The pattern repeated to a little over 16 KiB, so any slice of a read chunk
// starting at any phase of the pattern is one contiguous substring.
const std::string kSourceBlock = [] {
  std::string block;
  while (block.size() < 16384 + 2 * kSourcePattern.size()) block += kSourcePattern;
  return block;
}();

}  // namespace

// --starttls before TLS: reads the client's commands, sends the answers;
// returns true once the go-ahead is sent and the socket is wrapped (the
// handshake follows as for every connection).
bool Worker::drive_plain(Conn& conn) {
  StarttlsSession& session = *conn.starttls;
  char buffer[4096];
  for (int i = 0; i < 16 && !session.upgrade() && !session.done(); ++i) {
    const ssize_t n = ::recv(conn.fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      conn.plain_received += static_cast<std::uint64_t>(n);
      touch(conn);
      conn.out += session.feed_plain(std::string_view(buffer, static_cast<std::size_t>(n)));
      continue;
    }
    if (n == 0) {
      throw Error(ErrorKind::starttls_failed, std::string("the client closed the connection before STARTTLS") +
                                                  (session.refused() ? " (refused: --starttls-refuse)" : ""));
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    throw Error(errno == ECONNRESET ? ErrorKind::connection_reset : ErrorKind::internal, errno_text("recv()"));
  }
  while (!conn.out.empty()) {
    const ssize_t n = ::send(conn.fd, conn.out.data(), conn.out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      conn.plain_sent += static_cast<std::uint64_t>(n);
      conn.out.erase(0, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    throw Error(ErrorKind::connection_reset, errno_text("send()"));
  }
  if (session.done())
    throw Error(ErrorKind::starttls_failed, std::string("the client quit before STARTTLS") +
                                                (session.refused() ? " (refused: --starttls-refuse)" : ""));
  if (!session.upgrade()) return false;
  conn.plain = false;  // from here the socket owns the descriptor (wrap closes it when it fails)
  conn.socket = server_.context()->wrap(std::make_unique<FdTransport>(conn.fd), wrap_args());
  return true;
}

void Worker::drive(Conn& conn) {
  if (conn.plain && !drive_plain(conn)) return;
  SslSocket& socket = *conn.socket;
  if (!conn.handshake_done && !c_.tls.defer_handshake) {
    if (!socket.do_handshake()) return;
    check_handshake(conn);
  }
  // With a deferred handshake the first read (or, for source, write) runs it.
  if (mode_ == ServeMode::source) {
    // Read first once the handshake is done: a client that closed early
    // (close_notify) is seen before writing to it fails.
    if (conn.handshake_done) read_in(conn);
    if (conn.peer_eof) conn.source_left = 0;
    fill_source(conn);
    write_out(conn);
    if (conn.handshake_done && !conn.peer_eof) read_in(conn);
  } else {
    read_in(conn);
    if (mode_ == ServeMode::http) handle_http(conn);
    write_out(conn);
  }
  if (!conn.handshake_done || conn.finished()) return;

  const bool sent_all = conn.out.empty() && !conn.flush_needed;
  if (mode_ == ServeMode::source && conn.source_left == 0 && sent_all) {
    close_conn(conn, CloseReason::served, std::nullopt, Phase::data);
  } else if (conn.closing && sent_all) {
    close_conn(conn, CloseReason::served, std::nullopt, Phase::data);
  } else if (conn.peer_eof && sent_all) {
    close_conn(conn, CloseReason::peer_closed, std::nullopt, Phase::data);
  }
}

void Worker::read_in(Conn& conn) {
  conn.read_stalled = false;
  while (!conn.peer_eof && !conn.closing) {
    if (conn.out.size() >= kMaxBuffered) {
      conn.read_stalled = true;
      return;
    }
    const auto data = conn.socket->read(kReadChunk);
    check_handshake(conn);
    if (!data) return;
    if (data->empty()) {
      conn.peer_eof = true;
      return;
    }
    touch(conn);
    if (mode_ == ServeMode::echo) conn.out += *data;
    if (mode_ == ServeMode::http) conn.http.feed(*data);
    if (mode_ == ServeMode::starttls) {
      conn.out += conn.starttls->feed_tls(*data);
      if (conn.starttls->done()) conn.closing = true;
    }
  }
}

void Worker::write_out(Conn& conn) {
  SslSocket& socket = *conn.socket;
  while (!conn.out.empty()) {
    const auto n = socket.write(conn.out);
    check_handshake(conn);
    if (!n || *n == 0) return;
    conn.out.erase(0, *n);
    touch(conn);
  }
  if (conn.handshake_done) conn.flush_needed = !socket.write(std::string_view{}).has_value();
}

void Worker::fill_source(Conn& conn) {
  while (conn.source_left > 0 && conn.out.size() < kMaxBuffered) {
    // Whole slices of the repeated pattern, not a byte at a time (the byte
    // loop cost two thirds of the server's CPU in a bulk download).
    const std::size_t phase = static_cast<std::size_t>(conn.source_offset % kSourcePattern.size());
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>({conn.source_left, kReadChunk, kSourceBlock.size() - phase}));
    conn.out.append(kSourceBlock, phase, n);
    conn.source_offset += n;
    conn.source_left -= n;
  }
}

void Worker::handle_http(Conn& conn) {
  while (!conn.closing) {
    const auto request = conn.http.next();
    if (!request) {
      if (!conn.http.error().empty()) {
        conn.out += http_response(400, "Bad Request", conn.http.error() + "\n", false, false);
        conn.closing = true;
      }
      return;
    }
    spdlog::debug("[{}] {} {} {}", conn.id, request->method, request->target, request->version);
    conn.out += http_response(200, "OK", page(conn, *request), request->keep_alive, request->method == "HEAD");
    if (!request->keep_alive) conn.closing = true;
  }
}

std::string Worker::page(const Conn& conn, const HttpRequest& request) const {
  const ConnectionRecord& f = conn.facts;
  std::string body = "ussl-server: connection " + std::to_string(conn.id) + " from " + to_string(conn.peer) + "\n";
  body += "request: " + escape_text(request.method + " " + request.target + " " + request.version) + "\n";
  body += "tls_version: " + f.version.value_or("none") + "\n";
  body += "cipher: " + f.cipher.value_or("none") + "\n";
  body += "sni: " + escape_text(f.sni.value_or("none")) + "\n";
  body += "alpn: " + f.alpn.value_or("none") + "\n";
  body += std::string("resumed: ") + (f.resumed ? "true" : "false") + "\n";
  if (f.peer_chain.empty()) {
    body += "client_certificate: none\n";
  } else {
    body += "client_certificate: " + escape_text(f.peer_chain.front().subject) + "\n";
    body += "client_certificate_issuer: " + escape_text(f.peer_chain.front().issuer) + "\n";
    body += "client_certificate_sha256: " + f.peer_chain.front().sha256 + "\n";
  }
  body += "verify_mode: " + std::string(cert_reqs_name(f.verify.mode)) + "\n";
  body += "verify_result: " + verify_result_name(f.verify).value_or("none") + "\n";
  body += std::string("verified: ") + (f.verify.verified() ? "true" : "false") + "\n";
  body += "verify: " + escape_text(verify_summary(f.verify, true)) + "\n";
  return body;
}

}  // namespace ussl::apps
