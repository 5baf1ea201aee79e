// Beyond ussl, for issue 4: ALPN, session resumption, key logging, features.
#include "support.hpp"

namespace ussl::test {
namespace {

struct Connection {
  Pair pair;
  std::string client_got;
};

// Handshake, then the server sends one byte so the client also processes
// anything that came after the handshake (TLS 1.3 session tickets).
Connection exchange(const std::shared_ptr<const Context>& client, const std::shared_ptr<const Context>& server,
                    const WrapArgs& args) {
  auto [ct, st] = blocking_pipe();
  Connection c;
  auto server_side = std::async(std::launch::async, [&, t = std::move(st)]() mutable {
    Side s;
    try {
      s.socket = server->wrap(std::move(t), WrapArgs{});
      s.socket->write("x");
    } catch (const Error& e) {
      s.error = e;
    }
    return s;
  });
  try {
    c.pair.client.socket = client->wrap(std::move(ct), args);
    c.client_got = c.pair.client.socket->read(1).value_or("");
  } catch (const Error& e) {
    c.pair.client.error = e;
  }
  c.pair.server = server_side.get();
  return c;
}

TEST(Alpn, ServerPicksFromWhatTheClientOffers) {
  Options co = client_options();
  co.alpn = {"h2", "http/1.1"};
  Options so = server_options();
  so.alpn = {"http/1.1"};
  Pair p = handshake(co, so);
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  EXPECT_EQ(p.client.socket->alpn(), "http/1.1");
  EXPECT_EQ(p.server.socket->alpn(), "http/1.1");
}

TEST(Alpn, ClientAcceptsAServerWithoutAlpn) {
  Options co = client_options();
  co.alpn = {"h2"};
  Pair p = handshake(co, server_options());
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  EXPECT_FALSE(p.client.socket->alpn());
}

TEST(Alpn, ServerRefusesAClientThatOffersNoneOfItsProtocols) {
  Options co = client_options();
  co.alpn = {"h2"};
  Options so = server_options();
  so.alpn = {"http/1.1"};
  Pair p = handshake(co, so);
  ASSERT_TRUE(p.client.error);
  EXPECT_EQ(p.client.error->kind(), ErrorKind::alert_received) << p.client.error->what();
  EXPECT_EQ(p.client.error->alert(), 120) << "no_application_protocol";
}

TEST(Alpn, InvalidProtocolNameIsAUsageError) {
  Options co = client_options();
  co.alpn = {"h2,http/1.1"};
  EXPECT_THROW(
      {
        try {
          Context::create(co);
        } catch (const Error& e) {
          EXPECT_EQ(e.kind(), ErrorKind::usage);
          throw;
        }
      },
      Error);
}

void expect_resumption(std::optional<TlsVersion> version) {
  Options co = client_options();
  co.max_version = version;
  co.min_version = version;
  auto client = Context::create(co);
  auto server = Context::create(server_options());
  WrapArgs args;
  args.server_hostname = "localhost";
  Connection first = exchange(client, server, args);
  ASSERT_FALSE(first.pair.client.error) << first.pair.client.error->what();
  EXPECT_EQ(first.client_got, "x");
  EXPECT_FALSE(first.pair.client.socket->session_reused());
  EXPECT_TRUE(first.pair.client.socket->session_ticket_received());
  args.session = first.pair.client.socket->session();
  ASSERT_TRUE(args.session);
  Connection second = exchange(client, server, args);
  ASSERT_FALSE(second.pair.client.error) << second.pair.client.error->what();
  EXPECT_TRUE(second.pair.client.socket->session_reused());
  ASSERT_TRUE(second.pair.server.socket);
  EXPECT_TRUE(second.pair.server.socket->session_reused());
  EXPECT_EQ(second.client_got, "x");
}

TEST(Resumption, Tls13SessionFromATicketIsResumed) { expect_resumption(TlsVersion::tls1_3); }

TEST(Resumption, Tls12SessionIsResumed) { expect_resumption(TlsVersion::tls1_2); }

// wolfSSL's serialized session (wolfSSL_i2d_SSL_SESSION, 5.5 and 5.7 alike)
// starts with side (1 byte), bornOn (4 bytes, big-endian), timeout (4 bytes).
TEST(Resumption, ExpiredSavedSessionIsNotOfferedAndAFullHandshakeRuns) {
  auto client = Context::create(client_options());
  auto server = Context::create(server_options());
  WrapArgs args;
  args.server_hostname = "localhost";
  Connection first = exchange(client, server, args);
  ASSERT_FALSE(first.pair.client.error) << first.pair.client.error->what();
  EXPECT_FALSE(first.pair.client.socket->session_offered()) << "no session was given";
  const auto saved = first.pair.client.socket->session();
  ASSERT_TRUE(saved && saved->size() > 9);

  args.session = saved;
  Connection fresh = exchange(client, server, args);
  ASSERT_FALSE(fresh.pair.client.error) << fresh.pair.client.error->what();
  EXPECT_TRUE(fresh.pair.client.socket->session_offered());
  EXPECT_TRUE(fresh.pair.client.socket->session_reused());

  std::string expired = *saved;
  expired[1] = expired[2] = expired[3] = '\0';
  expired[4] = '\1';  // born one second after 1970
  args.session = expired;
  Connection stale = exchange(client, server, args);
  ASSERT_FALSE(stale.pair.client.error) << stale.pair.client.error->what();
  EXPECT_FALSE(stale.pair.client.socket->session_offered());
  EXPECT_FALSE(stale.pair.client.socket->session_reused());
  EXPECT_EQ(stale.client_got, "x");
}

TEST(Resumption, CorruptSavedSessionIsRejectedClearly) {
  auto client = Context::create(client_options());
  auto [ct, st] = make_memory_pipe();
  WrapArgs args;
  args.session = std::string("not a session");
  args.do_handshake = false;
  try {
    client->wrap(std::move(ct), args);
    FAIL() << "a corrupt session must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_file) << e.what();
  }
}

TEST(KeyLog, IsWrittenOrRefusedByNameDependingOnTheWolfsslBuild) {
  bool secret_callback = false;
  for (const auto& f : wolfssl_features()) {
    if (f.name == "secret_callback") secret_callback = f.enabled;
  }
  std::vector<std::string> lines;
  Options co = client_options();
  co.keylog = [&](std::string_view line) { lines.emplace_back(line); };
  if (!secret_callback) {
    try {
      Context::create(co);
      FAIL() << "keylog without HAVE_SECRET_CALLBACK must be refused";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::usage);
      EXPECT_NE(e.message().find("HAVE_SECRET_CALLBACK"), std::string::npos) << e.what();
    }
    return;
  }
  Pair p = handshake(co, server_options());
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  ASSERT_FALSE(lines.empty());
  bool traffic = false;
  for (const auto& l : lines) traffic |= l.rfind("CLIENT_TRAFFIC_SECRET_0 ", 0) == 0;
  EXPECT_TRUE(traffic) << "TLS 1.3 key log lines expected";
}

TEST(Features, ListNamesTheCapabilitiesOfTheWolfsslInUse) {
  const auto features = wolfssl_features();
  auto has = [&](const std::string& name) {
    for (const auto& f : features) {
      if (f.name == name) return f.enabled;
    }
    return false;
  };
  EXPECT_TRUE(has("tls13"));
  EXPECT_TRUE(has("sni"));
  EXPECT_TRUE(has("alpn"));
  EXPECT_FALSE(wolfssl_version().empty());
}

}  // namespace
}  // namespace ussl::test

namespace ussl::test {
namespace {

TEST(Groups, ClientKeyShareGroupIsConfigurableAndUnknownGroupsAreRefused) {
  Options co = client_options();
  co.groups = "X25519";
  Pair p = handshake(co, server_options());
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  Options bad = client_options();
  bad.groups = "NOT-A-GROUP";
  try {
    Context::create(bad);
    FAIL() << "unknown group accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
  }
}

// A resumed TLS 1.3 connection holds the ticket it resumed with: it counts as
// received only once the server sent a new one (the next resumption needs
// that one; TLS 1.3 tickets are for one use).
TEST(Resumption, ResumedTls13ConnectionCountsATicketOnlyOnceTheServerSentANewOne) {
  Options co = client_options();
  co.min_version = TlsVersion::tls1_3;
  auto client = Context::create(co);
  auto server = Context::create(server_options());
  WrapArgs args;
  args.server_hostname = "localhost";
  Connection first = exchange(client, server, args);
  ASSERT_FALSE(first.pair.client.error) << first.pair.client.error->what();
  args.session = first.pair.client.socket->session();
  ASSERT_TRUE(args.session);

  auto [ct, st] = blocking_pipe();
  auto server_side = std::async(std::launch::async, [&, t = std::move(st)]() mutable {
    auto s = server->wrap(std::move(t), WrapArgs{});
    s->write("x");  // after the new ticket, which the server sends when its handshake completes
    return s;
  });
  auto resumed = client->wrap(std::move(ct), args);
  ASSERT_TRUE(resumed->session_reused());
  EXPECT_FALSE(resumed->session_ticket_received()) << "only the ticket it resumed with so far";
  EXPECT_EQ(resumed->read(1), "x");
  EXPECT_TRUE(resumed->session_ticket_received());
  EXPECT_NE(resumed->session(), args.session);
  server_side.get();
}

}  // namespace
}  // namespace ussl::test
