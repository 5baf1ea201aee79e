// The stream interface: read/readinto/readline/recv/write/send, EOF rules,
// sticky errors, close, and a real socketpair.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "support.hpp"

namespace ussl::test {
namespace {

using namespace std::chrono_literals;

// A handshaken client/server pair over a blocking in-memory pipe; the raw
// transports stay reachable for fault injection.
struct Connected {
  std::unique_ptr<SslSocket> client;
  std::unique_ptr<SslSocket> server;
  MemoryTransport* client_transport = nullptr;
  MemoryTransport* server_transport = nullptr;
};

Connected connect_pair(std::optional<TlsVersion> max = std::nullopt) {
  auto [ct, st] = blocking_pipe();
  Connected c;
  c.client_transport = ct.get();
  c.server_transport = st.get();
  auto server_ctx = Context::create(server_options());
  Options co = client_options();
  co.max_version = max;
  auto client_ctx = Context::create(co);
  auto server = std::async(std::launch::async, [&, t = std::move(st)]() mutable {
    return server_ctx->wrap(std::move(t), std::nullopt, true);
  });
  c.client = client_ctx->wrap(std::move(ct), std::string("localhost"), true);
  c.server = server.get();
  return c;
}

TEST(Stream, ReadNWaitsForNBytesAcrossRecords) {
  Connected c = connect_pair();
  auto writer = std::async(std::launch::async, [&] {
    c.server->write("abc");
    std::this_thread::sleep_for(50ms);
    c.server->write("def");
  });
  EXPECT_EQ(c.client->read(6), "abcdef");
  writer.get();
}

TEST(Stream, ReadNReturnsTheShortRemainderAtEof) {
  Connected c = connect_pair();
  c.server->write("xyz");
  c.server->close();
  EXPECT_EQ(c.client->read(10), "xyz");
  EXPECT_EQ(c.client->read(10), "");
}

TEST(Stream, ReadWithoutSizeReadsToEof) {
  Connected c = connect_pair();
  const std::string big(100000, 'q');
  auto writer = std::async(std::launch::async, [&] {
    c.server->write(big);
    c.server->write("end");
    c.server->close();
  });
  EXPECT_EQ(c.client->read(), big + "end");
  writer.get();
}

TEST(Stream, ReadintoFillsTheBuffer) {
  Connected c = connect_pair();
  c.server->write("0123456789");
  char buf[4] = {};
  EXPECT_EQ(c.client->readinto(buf), 4u);
  EXPECT_EQ(std::string(buf, 4), "0123");
}

TEST(Stream, ReadlineStopsAfterTheNewline) {
  Connected c = connect_pair();
  c.server->write("first line\nsecond");
  c.server->close();
  EXPECT_EQ(c.client->readline(), "first line\n");
  EXPECT_EQ(c.client->readline(), "second");
  EXPECT_EQ(c.client->readline(), "");
}

TEST(Stream, ReadlineHonoursItsLimit) {
  Connected c = connect_pair();
  c.server->write("abcdef\n");
  EXPECT_EQ(c.client->readline(3), "abc");
  EXPECT_EQ(c.client->readline(), "def\n");
}

TEST(Stream, RecvReturnsWhatOneReadDelivers) {
  Connected c = connect_pair();
  c.server->write("hello");
  EXPECT_EQ(c.client->recv(100), "hello");
}

TEST(Stream, SendReturnsTheCountItAccepted) {
  Connected c = connect_pair();
  const std::string big(40000, 'z');
  const auto n = c.client->send(big);
  ASSERT_TRUE(n);
  EXPECT_GT(*n, 0u);
  EXPECT_LE(*n, big.size());
  EXPECT_EQ(c.server->read(*n), big.substr(0, *n));
}

TEST(Stream, WriteSendsEverythingAndReturnsItsLength) {
  Connected c = connect_pair();
  const std::string big(3 * 1024 * 1024 + 7, 'w');
  auto reader = std::async(std::launch::async, [&] { return c.server->read(big.size()); });
  EXPECT_EQ(c.client->write(big), big.size());
  EXPECT_EQ(reader.get(), big);
  EXPECT_EQ(c.client->bytes_written(), big.size());
  EXPECT_EQ(c.server->bytes_read(), big.size());
}

TEST(Eof, CloseNotifyIsACleanEofNotAnError) {
  Connected c = connect_pair();
  c.server->close();
  EXPECT_EQ(c.client->read(), "");
  EXPECT_EQ(c.client->read(1), "");
  EXPECT_FALSE(c.client->error());
}

TEST(Eof, TcpCloseWithoutCloseNotifyIsATruncatedEof) {
  Connected c = connect_pair();
  c.server->write("partial");
  c.server->abort();
  EXPECT_EQ(c.client->read(7), "partial");
  EXPECT_EQ(kind_of([&] { c.client->read(1); }), ErrorKind::truncated_eof);
}

TEST(Eof, ConnectionResetIsReported) {
  Connected c = connect_pair();
  c.server_transport->reset();
  EXPECT_EQ(kind_of([&] { c.client->read(1); }), ErrorKind::connection_reset);
}

TEST(Eof, PeerClosingDuringTheHandshakeIsATruncatedEof) {
  auto [ct, st] = blocking_pipe();
  st->close();
  Side client = wrap_side(std::move(ct), client_options());
  ASSERT_TRUE(client.error);
  EXPECT_EQ(client.error->kind(), ErrorKind::truncated_eof) << client.error->what();
}

TEST(Errors, AFatalErrorIsSticky) {
  Connected c = connect_pair();
  c.server->abort();
  EXPECT_EQ(kind_of([&] { c.client->read(1); }), ErrorKind::truncated_eof);
  EXPECT_EQ(kind_of([&] { c.client->read(1); }), ErrorKind::truncated_eof);
  EXPECT_EQ(kind_of([&] { c.client->write("x"); }), ErrorKind::truncated_eof);
  EXPECT_EQ(kind_of([&] { c.client->recv(1); }), ErrorKind::truncated_eof);
  ASSERT_TRUE(c.client->error());
  EXPECT_EQ(c.client->error()->kind(), ErrorKind::truncated_eof);
  EXPECT_EQ(c.client->poll(POLLIN), POLLNVAL);
}

TEST(Errors, ATimeoutIsReportedAndSticky) {
  Connected c = connect_pair();
  c.client->settimeout(100ms);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(kind_of([&] { c.client->read(1); }), ErrorKind::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(kind_of([&] { c.client->read(1); }), ErrorKind::timeout);
}

TEST(Errors, GarbageFromThePeerIsAProtocolError) {
  auto [ct, st] = blocking_pipe();
  const std::string junk = "HTTP/1.1 400 Bad Request\r\n\r\n";
  st->send({reinterpret_cast<const std::byte*>(junk.data()), junk.size()});
  Side client = wrap_side(std::move(ct), client_options());
  ASSERT_TRUE(client.error);
  EXPECT_EQ(client.error->kind(), ErrorKind::protocol_error) << client.error->what();
  EXPECT_NE(client.error->wolfssl_code(), 0);
}

TEST(Errors, ErrorCarriesAnErrnoStyleCodeAndCategory) {
  const Error e(ErrorKind::connection_reset, "boom", -308);
  EXPECT_EQ(e.os_errno(), ECONNRESET);
  EXPECT_EQ(e.code(), make_error_code(ErrorKind::connection_reset));
  EXPECT_STREQ(e.code().category().name(), "ussl");
  EXPECT_EQ(e.wolfssl_code(), -308);
  EXPECT_EQ(error_kind_name(ErrorKind::hostname_mismatch), "hostname_mismatch");
  EXPECT_EQ(Error(ErrorKind::alert_received, "x", -313, 42).alert(), 42);
}

TEST(Close, CloseTwiceIsHarmless) {
  Connected c = connect_pair();
  c.client->close();
  c.client->close();
  EXPECT_TRUE(c.client->closed());
}

TEST(Close, UseAfterCloseRaisesClosed) {
  Connected c = connect_pair();
  c.client->close();
  EXPECT_EQ(kind_of([&] { c.client->read(1); }), ErrorKind::closed);
  EXPECT_EQ(kind_of([&] { c.client->write("x"); }), ErrorKind::closed);
  EXPECT_EQ(kind_of([&] { c.client->recv(1); }), ErrorKind::closed);
  EXPECT_EQ(kind_of([&] { c.client->send("x"); }), ErrorKind::closed);
  EXPECT_EQ(kind_of([&] { c.client->readline(); }), ErrorKind::closed);
  EXPECT_EQ(c.client->poll(POLLIN | POLLOUT), POLLNVAL);
  EXPECT_EQ(c.client->fileno(), -1);
}

TEST(RealSocket, SocketpairCarriesAHandshakeAndDataAndCloseClosesTheDescriptor) {
  auto [a, b] = socket_pair();
  auto server_ctx = Context::create(server_options());
  auto server = std::async(std::launch::async, [&, fd = b] {
    auto s = server_ctx->wrap(fd, std::nullopt, true);
    const auto line = s->readline();
    s->write("echo: " + line.value_or(""));
    return s->read();  // until the client's close_notify
  });
  auto client = Context::create(client_options())->wrap(a, std::string("localhost"), true);
  EXPECT_GE(client->fileno(), 0);
  client->write("ping\n");
  EXPECT_EQ(client->read(11), "echo: ping\n");
  client->close();
  EXPECT_EQ(server.get(), "") << "the server saw a clean EOF";
  EXPECT_EQ(::fcntl(a, F_GETFD), -1) << "close() closed the underlying descriptor";
}

TEST(RealSocket, SetblockingChangesTheDescriptorAndONonblockingSetBehindItsBackIsAdopted) {
  auto [a, b] = socket_pair();
  auto server_ctx = Context::create(server_options());
  auto server = std::async(std::launch::async, [&, fd = b] { return server_ctx->wrap(fd, std::nullopt, true); });
  auto client = Context::create(client_options())->wrap(a, std::string("localhost"), true);
  auto s = server.get();
  EXPECT_TRUE(client->blocking());
  client->setblocking(false);
  EXPECT_NE(::fcntl(a, F_GETFL) & O_NONBLOCK, 0) << "setblocking(false) set O_NONBLOCK on the descriptor";
  client->setblocking(true);
  EXPECT_EQ(::fcntl(a, F_GETFL) & O_NONBLOCK, 0);
  // Behind the socket's back: the first read that would block sees it and
  // reports "no data yet" instead of a timeout or a hang.
  ::fcntl(a, F_SETFL, ::fcntl(a, F_GETFL) | O_NONBLOCK);
  EXPECT_EQ(client->read(10), std::nullopt);
  EXPECT_FALSE(client->blocking());
  s->write("late");
  std::optional<std::string> got;
  for (int i = 0; i < 100 && !got; ++i) {  // bounded: at most ~1 s
    if (!(got = client->read(10))) ::poll(nullptr, 0, 10);
  }
  EXPECT_EQ(got, "late");
}

TEST(RealSocket, EagerWrapOnANonBlockingSocketCompletesTheHandshake) {
  auto [a, b] = socket_pair();
  ::fcntl(a, F_SETFL, ::fcntl(a, F_GETFL) | O_NONBLOCK);
  ::fcntl(b, F_SETFL, ::fcntl(b, F_GETFL) | O_NONBLOCK);
  auto server_ctx = Context::create(server_options());
  auto server = std::async(std::launch::async, [&, fd = b] { return server_ctx->wrap(fd, std::nullopt, true); });
  auto client = Context::create(client_options())->wrap(a, std::string("localhost"), true);
  auto s = server.get();
  EXPECT_TRUE(client->handshake().done);
  EXPECT_FALSE(client->blocking());
  EXPECT_EQ(client->handshake().trigger, "wrap");
}

}  // namespace
}  // namespace ussl::test
