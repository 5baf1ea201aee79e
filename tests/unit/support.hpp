// Shared fixtures for the library tests: certificate paths and a client and
// a server talking over an in-memory pipe (or a socketpair) in one process.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "ussl/testing/memory_transport.hpp"
#include "ussl/ussl.hpp"

namespace ussl::test {

inline std::string cert(const std::string& name) { return std::string(USSL_CERTS_DIR) + "/" + name; }

inline Options server_options(const std::string& leaf = "server") {
  Options o;
  o.server_side = true;
  o.certfile = cert(leaf + "-chain.pem");
  o.keyfile = cert(leaf + ".key");
  return o;
}

inline Options client_options(CertReqs reqs = CertReqs::required, std::optional<std::string> hostname = "localhost") {
  Options o;
  o.cert_reqs = reqs;
  o.ca_certs = cert("root-ca.pem");
  o.server_hostname = std::move(hostname);
  return o;
}

// The outcome of one side: its socket, or the error that wrap raised.
struct Side {
  std::unique_ptr<SslSocket> socket;
  std::optional<Error> error;
  ErrorKind kind() const { return error ? error->kind() : ErrorKind::internal; }
};

inline Side wrap_side(std::unique_ptr<Transport> t, const Options& o) {
  Side side;
  try {
    side.socket = wrap_socket(std::move(t), o);
  } catch (const Error& e) {
    side.error = e;
  }
  return side;
}

// Both ends of a blocking in-memory pipe, each with a 5 s timeout so a test
// that goes wrong fails instead of hanging.
inline auto blocking_pipe() {
  auto [a, b] = make_memory_pipe();
  a->set_timeout(std::chrono::seconds(5));
  b->set_timeout(std::chrono::seconds(5));
  return std::make_pair(std::move(a), std::move(b));
}

// Eager handshake on both sides, each in its own thread.
struct Pair {
  Side client;
  Side server;
};

inline Pair handshake(const Options& client, const Options& server) {
  auto [ct, st] = blocking_pipe();
  auto server_future = std::async(std::launch::async, [&, t = std::move(st)]() mutable {
    Side s = wrap_side(std::move(t), server);
    return s;
  });
  Pair pair;
  pair.client = wrap_side(std::move(ct), client);
  // A failed client closes its transport, so the server cannot hang.
  pair.server = server_future.get();
  return pair;
}

// The kind of the ussl::Error that f raises (a test failure if none).
inline ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no error raised";
  return ErrorKind::internal;
}

// A connected AF_UNIX stream socketpair, as raw descriptors.
inline std::pair<int, int> socket_pair() {
  int fds[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) throw std::runtime_error("socketpair failed");
  return {fds[0], fds[1]};
}

}  // namespace ussl::test
