// do_handshake=False on blocking and non-blocking sockets, would-block as
// "no data yet", the direction reported, poll, and partial writes.
#include <poll.h>

#include "support.hpp"

namespace ussl::test {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<SslSocket> wrap_deferred(std::unique_ptr<Transport> t, Options o) {
  o.do_handshake = false;
  return wrap_socket(std::move(t), o);
}

struct NonBlockingPair {
  std::unique_ptr<SslSocket> client;
  std::unique_ptr<SslSocket> server;
  MemoryTransport* client_transport = nullptr;
  MemoryTransport* server_transport = nullptr;
};

NonBlockingPair deferred_nonblocking_pair(Options client = client_options(), Options server = server_options()) {
  auto [ct, st] = make_memory_pipe();
  ct->set_blocking(false);
  st->set_blocking(false);
  NonBlockingPair p;
  p.client_transport = ct.get();
  p.server_transport = st.get();
  p.client = wrap_deferred(std::move(ct), client);
  p.server = wrap_deferred(std::move(st), server);
  return p;
}

TEST(Deferred, WrapDoesNoIo) {
  auto [ct, st] = make_memory_pipe();
  MemoryTransport* raw = ct.get();
  auto client = wrap_deferred(std::move(ct), client_options());
  EXPECT_EQ(raw->bytes_sent(), 0u);
  EXPECT_FALSE(client->handshake().done);
  EXPECT_TRUE(client->handshake().deferred);
  EXPECT_FALSE(client->tls_version());
}

TEST(Deferred, BlockingHandshakeCompletesInsideTheFirstWrite) {
  auto [ct, st] = blocking_pipe();
  auto server = std::async(std::launch::async, [t = std::move(st)]() mutable {
    auto s = wrap_deferred(std::move(t), server_options());
    auto data = s->read(5);
    return std::make_pair(data, s->handshake().trigger);
  });
  auto client = wrap_deferred(std::move(ct), client_options());
  EXPECT_EQ(client->write("hello"), 5u);
  EXPECT_TRUE(client->handshake().done);
  EXPECT_EQ(client->handshake().trigger, "write");
  EXPECT_EQ(client->handshake().want_read + client->handshake().want_write, 0u) << "blocking: no would-block steps";
  const auto [data, trigger] = server.get();
  EXPECT_EQ(data, "hello");
  EXPECT_EQ(trigger, "read");
}

TEST(Deferred, BlockingHandshakeFailureSurfacesFromTheFirstRead) {
  auto [ct, st] = blocking_pipe();
  auto server = std::async(std::launch::async, [t = std::move(st)]() mutable {
    Options o = server_options();
    o.certfile = cert("wronghost-chain.pem");
    o.keyfile = cert("wronghost.key");
    try {
      wrap_socket(std::move(t), o);
    } catch (const Error&) {
    }
  });
  auto client = wrap_deferred(std::move(ct), client_options());
  EXPECT_EQ(kind_of([&] { client->read(1); }), ErrorKind::hostname_mismatch);
  EXPECT_EQ(kind_of([&] { client->write("x"); }), ErrorKind::hostname_mismatch) << "sticky";
  server.get();
}

// Drives both non-blocking ends with the given calls until both handshakes
// are done; returns the number of rounds (bounded).
int pump(NonBlockingPair& p, const std::function<void()>& client_step, const std::function<void()>& server_step) {
  for (int round = 1; round <= 50; ++round) {
    client_step();
    server_step();
    if (p.client->handshake().done && p.server->handshake().done) return round;
  }
  ADD_FAILURE() << "handshake did not complete in 50 rounds";
  return -1;
}

TEST(Deferred, NonBlockingHandshakeAdvancesOneStepPerCallAndReturnsNone) {
  NonBlockingPair p = deferred_nonblocking_pair();
  std::vector<std::optional<std::size_t>> writes;
  std::vector<std::optional<std::string>> reads;
  std::vector<Want> client_wants;
  const int rounds = pump(
      p,
      [&] {
        if (p.client->handshake().done) return;
        writes.push_back(p.client->write("ping"));
        client_wants.push_back(p.client->want());
      },
      [&] {
        if (p.server->handshake().done) return;
        reads.push_back(p.server->read(4));
      });
  ASSERT_GT(rounds, 1);
  // Every call before the end returned None (ussl's "no data yet").
  ASSERT_FALSE(writes.empty());
  for (std::size_t i = 0; i + 1 < writes.size(); ++i) EXPECT_FALSE(writes[i]) << "write " << i;
  EXPECT_EQ(writes.back(), 4u) << "the call that completed the handshake also wrote";
  EXPECT_EQ(client_wants.front(), Want::read) << "after ClientHello the client waits to read";
  EXPECT_EQ(p.client->handshake().trigger, "write");
  EXPECT_EQ(p.server->handshake().trigger, "read");
  EXPECT_GE(p.client->handshake().want_read, 1u);
  EXPECT_GE(p.server->handshake().want_read, 1u);
  // The server's read that finished the handshake may or may not have seen
  // the data; one more read returns it.
  std::string got;
  for (const auto& r : reads) got += r.value_or("");
  if (got.empty()) got = p.server->read(4).value_or("");
  EXPECT_EQ(got, "ping");
}

TEST(Deferred, NonBlockingReadThatMustWriteReportsTheWriteDirection) {
  NonBlockingPair p = deferred_nonblocking_pair();
  p.client_transport->set_send_capacity(1);  // the ClientHello cannot leave at once
  EXPECT_FALSE(p.client->read(10));
  EXPECT_EQ(p.client->want(), Want::write) << "a read during the handshake needs to write";
  EXPECT_EQ(p.client->handshake().want_write, 1u);
  // poll: the caller asks for POLLIN; the socket is asked for POLLOUT, which
  // is not available while the peer holds the byte.
  EXPECT_EQ(p.client->poll(POLLIN, 0ms), 0);
  char sink[64];
  ASSERT_EQ(p.server_transport->recv({reinterpret_cast<std::byte*>(sink), 1}).status, IoResult::Status::ok);
  EXPECT_EQ(p.client->poll(POLLIN, 0ms), POLLIN) << "writable now: the caller's event is reported";
}

TEST(Deferred, NonBlockingWriteThatMustReadReportsTheReadDirection) {
  NonBlockingPair p = deferred_nonblocking_pair();
  EXPECT_FALSE(p.client->write("x"));
  EXPECT_EQ(p.client->want(), Want::read);
  EXPECT_EQ(p.client->poll(POLLOUT, 0ms), 0) << "the socket is asked for POLLIN; nothing to read yet";
  EXPECT_FALSE(p.server->read(1));  // the server answers the ClientHello
  EXPECT_EQ(p.client->poll(POLLOUT, 0ms), POLLOUT);
}

TEST(Deferred, NonBlockingHandshakeFailureSurfacesWithTheEagerKind) {
  Options server = server_options();
  server.certfile = cert("expired-chain.pem");
  server.keyfile = cert("expired.key");
  NonBlockingPair p = deferred_nonblocking_pair(client_options(), server);
  ErrorKind kind = ErrorKind::internal;
  for (int i = 0; i < 20; ++i) {
    try {
      p.client->write("x");
    } catch (const Error& e) {
      kind = e.kind();
      break;
    }
    try {
      p.server->read(1);
    } catch (const Error&) {
    }
  }
  EXPECT_EQ(kind, ErrorKind::cert_expired);
  EXPECT_EQ(p.client->poll(POLLIN | POLLOUT), POLLNVAL);
}

void complete(NonBlockingPair& p) {
  pump(
      p, [&] { p.client->do_handshake(); }, [&] { p.server->do_handshake(); });
}

TEST(NonBlocking, DoHandshakeStepsAreCountedPerDirection) {
  NonBlockingPair p = deferred_nonblocking_pair();
  complete(p);
  EXPECT_EQ(p.client->handshake().trigger, "do_handshake");
  EXPECT_GE(p.client->handshake().want_read, 1u);
  EXPECT_TRUE(p.client->verify_result().verified());
}

TEST(NonBlocking, ReadWithNothingAvailableReturnsNoneNotAnError) {
  NonBlockingPair p = deferred_nonblocking_pair();
  complete(p);
  EXPECT_FALSE(p.client->read(5));
  EXPECT_FALSE(p.client->recv(5));
  EXPECT_FALSE(p.client->readline());
  char buf[4];
  EXPECT_FALSE(p.client->readinto(buf));
  EXPECT_EQ(p.client->want(), Want::read);
  EXPECT_FALSE(p.client->error());
}

TEST(NonBlocking, ReadReturnsPartialDataThenNone) {
  NonBlockingPair p = deferred_nonblocking_pair();
  complete(p);
  p.server->write("abc");
  EXPECT_EQ(p.client->read(10), "abc");
  EXPECT_FALSE(p.client->read(10));
}

TEST(NonBlocking, BufferedDecryptedDataIsVisibleToPoll) {
  NonBlockingPair p = deferred_nonblocking_pair();
  complete(p);
  p.server->write("hello world");
  EXPECT_EQ(p.client->read(5), "hello");
  // The rest sits decrypted inside wolfSSL; the transport has nothing.
  EXPECT_TRUE(p.client->pending());
  EXPECT_EQ(p.client_transport->wait(POLLIN, 0ms), 0);
  EXPECT_EQ(p.client->poll(POLLIN, 0ms), POLLIN);
  EXPECT_EQ(p.client->read(6), " world");
  EXPECT_FALSE(p.client->pending());
  EXPECT_EQ(p.client->poll(POLLIN, 0ms), 0);
}

TEST(NonBlocking, PartialWriteReportsItsCountAndAllBytesArriveInOrder) {
  NonBlockingPair p = deferred_nonblocking_pair();
  complete(p);
  p.client_transport->set_send_capacity(8 * 1024);
  std::string data(300 * 1024, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
  std::size_t sent = 0;
  std::string received;
  int none_count = 0;
  for (int i = 0; i < 10000 && received.size() < data.size(); ++i) {
    if (sent == data.size()) {
      p.client->write("");  // flushes a record accepted but not yet sent
    } else {
      const auto n = p.client->write(std::string_view(data).substr(sent));
      if (n) {
        EXPECT_GT(*n, 0u);
        EXPECT_LT(*n, data.size() - sent + 1);
        sent += *n;
      } else {
        ++none_count;
        EXPECT_EQ(p.client->want(), Want::write);
      }
    }
    while (auto chunk = p.server->read(64 * 1024)) {
      if (chunk->empty()) break;
      received += *chunk;
    }
  }
  EXPECT_GT(none_count, 0) << "the small pipe must have filled at least once";
  EXPECT_EQ(sent, data.size());
  EXPECT_EQ(received.size(), data.size());
  EXPECT_TRUE(received == data) << "bytes arrived out of order or corrupted";
}

TEST(NonBlocking, CleanCloseIsSeenAsEmptyRead) {
  NonBlockingPair p = deferred_nonblocking_pair();
  complete(p);
  p.server->close();
  EXPECT_EQ(p.client->read(10), "");
  EXPECT_EQ(p.client->poll(POLLIN), POLLIN) << "EOF is readable";
}

TEST(NonBlocking, SetblockingSwitchesTheUnderlyingSocket) {
  NonBlockingPair p = deferred_nonblocking_pair();
  EXPECT_FALSE(p.client->blocking());
  p.client->setblocking(true);
  EXPECT_TRUE(p.client->blocking());
  EXPECT_TRUE(p.client_transport->blocking());
}

}  // namespace
}  // namespace ussl::test

namespace ussl::test {
namespace {

TEST(NonBlocking, EagerWrapAgainstASilentPeerTimesOutWithTheTransportTimeout) {
  auto [ct, st] = make_memory_pipe();
  ct->set_blocking(false);
  ct->set_timeout(std::chrono::milliseconds(100));
  const auto start = std::chrono::steady_clock::now();
  Side client = wrap_side(std::move(ct), client_options());
  ASSERT_TRUE(client.error);
  EXPECT_EQ(client.error->kind(), ErrorKind::timeout) << client.error->what();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(NonBlocking, PollAsksForWritabilityWhileARecordWaitsToBeFlushed) {
  NonBlockingPair p = deferred_nonblocking_pair();
  complete(p);
  EXPECT_EQ(p.client->read(1), std::nullopt);  // consume the TLS 1.3 session tickets
  p.client_transport->set_send_capacity(100);
  const std::string data(5000, 'x');
  ASSERT_EQ(p.client->write(data), data.size()) << "one record, accepted whole";
  EXPECT_EQ(p.client->poll(POLLIN, std::chrono::milliseconds(0)), 0) << "pipe full: nothing to do yet";
  EXPECT_EQ(p.server->read(10), std::nullopt) << "record incomplete on the server side";
  EXPECT_EQ(p.client->poll(POLLIN, std::chrono::milliseconds(0)), POLLIN)
      << "writable again: the caller is told to call, which flushes";
  std::string got;
  for (int i = 0; i < 200 && got.size() < data.size(); ++i) {
    p.client->read(1);  // flushes as a side effect; nothing to read
    if (auto r = p.server->read(data.size() - got.size())) got += *r;
  }
  EXPECT_EQ(got.size(), data.size());
}

}  // namespace
}  // namespace ussl::test
