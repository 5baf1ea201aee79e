// The connection record (record.hpp): filled as the handshake proceeds, kept
// after close, and attached to the error that ends a failed handshake with
// what was known up to the failure.
#include <algorithm>
#include <ctime>
#include <future>

#include "support.hpp"

namespace ussl::test {
namespace {

Options expired_server() { return server_options("expired"); }

TEST(Record, IsFilledOnBothSidesOfASuccessfulEagerHandshake) {
  Pair p = handshake(client_options(), server_options());
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  ASSERT_FALSE(p.server.error) << p.server.error->what();

  const ConnectionRecord& c = p.client.socket->record();
  EXPECT_FALSE(c.server_side);
  EXPECT_TRUE(c.handshake.done);
  EXPECT_FALSE(c.handshake.deferred);
  EXPECT_EQ(c.handshake.trigger, "wrap");
  EXPECT_TRUE(c.handshake.duration.has_value());
  EXPECT_TRUE(c.handshake.round_trip.has_value());
  EXPECT_EQ(c.version, "TLSv1.3");
  EXPECT_TRUE(c.cipher.has_value());
  EXPECT_EQ(c.sni, "localhost");
  EXPECT_FALSE(c.resumed);
  EXPECT_TRUE(c.verify.verified());
  ASSERT_FALSE(c.peer_chain.empty());
  EXPECT_EQ(c.peer_chain.size(), p.client.socket->peer_chain().size());
  EXPECT_TRUE(c.negotiation.group.has_value());
  EXPECT_FALSE(c.negotiation.key_shares_offered.empty());
  EXPECT_EQ(c.negotiation.client_hello_bytes.size(), 1u);
  EXPECT_FALSE(c.negotiation.client_hello) << "only a server keeps the ClientHello";

  const ConnectionRecord& s = p.server.socket->record();
  EXPECT_TRUE(s.server_side);
  EXPECT_TRUE(s.handshake.done);
  EXPECT_EQ(s.version, c.version);
  EXPECT_EQ(s.cipher, c.cipher);
  EXPECT_EQ(s.sni, "localhost");
  EXPECT_EQ(s.negotiation.group, c.negotiation.group);
  // What the server signed with is what the client saw (both empty on a
  // wolfSSL without the signature NIDs, Debian 12's 5.5.4).
  EXPECT_EQ(s.negotiation.own_signature_scheme, c.negotiation.signature_scheme);
  ASSERT_TRUE(s.negotiation.client_hello.has_value());
  EXPECT_EQ(s.negotiation.client_hello->sni, "localhost");
  EXPECT_TRUE(s.peer_chain.empty()) << "the client sent no certificate";
}

TEST(Record, CountsTheApplicationBytesEachWay) {
  Pair p = handshake(client_options(), server_options());
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  EXPECT_EQ(p.client.socket->write("ping"), 4u);
  EXPECT_EQ(p.server.socket->read(4), "ping");
  EXPECT_EQ(p.client.socket->record().bytes_sent, 4u);
  EXPECT_EQ(p.server.socket->record().bytes_received, 4u);
  EXPECT_EQ(p.server.socket->record().bytes_sent, 0u);
}

TEST(Record, KeepsTheNegotiatedParametersAfterClose) {
  Pair p = handshake(client_options(), server_options());
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  p.client.socket->close();
  const ConnectionRecord& c = p.client.socket->record();
  EXPECT_EQ(c.version, "TLSv1.3");
  EXPECT_TRUE(c.cipher.has_value());
  EXPECT_FALSE(c.peer_chain.empty());
}

TEST(Record, IsAttachedToTheErrorWhenTheServerCertificateHasExpired) {
  Pair p = handshake(client_options(), expired_server());
  ASSERT_TRUE(p.client.error);
  EXPECT_EQ(p.client.error->kind(), ErrorKind::cert_expired);
  ASSERT_TRUE(p.client.error->record()) << "the eager wrap failed: the record travels with the error";
  const ConnectionRecord& c = *p.client.error->record();
  EXPECT_FALSE(c.server_side);
  EXPECT_FALSE(c.handshake.done);
  EXPECT_EQ(c.handshake.trigger, "wrap");
  EXPECT_FALSE(c.handshake.duration.has_value());
  EXPECT_EQ(c.sni, "localhost");
  EXPECT_FALSE(c.version.has_value()) << "the version is reported once the handshake completed";
  EXPECT_EQ(c.verify.failure, ErrorKind::cert_expired);
  EXPECT_TRUE(c.verify.performed);
  EXPECT_FALSE(c.verify.verified());
  ASSERT_FALSE(c.peer_chain.empty()) << "the rejected certificate is known";
  EXPECT_LT(c.peer_chain.front().not_after_epoch, static_cast<std::int64_t>(std::time(nullptr)));
  EXPECT_TRUE(c.negotiation.group.has_value()) << "the ServerHello came before the certificate";
  EXPECT_FALSE(c.negotiation.key_shares_offered.empty());
}

TEST(Record, AnExpiredCertificateProblemCarriesTheTimeAndNotAfterItsMessageIsFormattedFrom) {
  Pair p = handshake(client_options(), expired_server());
  ASSERT_TRUE(p.client.error && p.client.error->record());
  const ConnectionRecord& c = *p.client.error->record();
  ASSERT_FALSE(c.verify.problems.empty());
  const CertProblem& problem = c.verify.problems.front();
  EXPECT_EQ(problem.kind, ErrorKind::cert_expired);
  ASSERT_TRUE(problem.not_after && problem.time);
  EXPECT_EQ(*problem.not_after, c.peer_chain.front().not_after_epoch);
  EXPECT_GT(*problem.time, *problem.not_after);
  EXPECT_EQ(validity_text(problem).rfind("expired on ", 0), 0u) << validity_text(problem);
  EXPECT_TRUE(problem.message.ends_with(validity_text(problem))) << problem.message;
  EXPECT_EQ(c.verify.reason, problem.message);
}

TEST(Record, AHostnameMismatchCarriesTheExpectedAndPresentedNames) {
  Pair p = handshake(client_options(CertReqs::required, "example.com"), server_options());
  ASSERT_TRUE(p.client.error && p.client.error->record());
  EXPECT_EQ(p.client.error->kind(), ErrorKind::hostname_mismatch);
  const auto& problems = p.client.error->record()->verify.problems;
  const auto it = std::find_if(problems.begin(), problems.end(),
                               [](const CertProblem& q) { return q.kind == ErrorKind::hostname_mismatch; });
  ASSERT_NE(it, problems.end());
  EXPECT_EQ(it->expected_name, "example.com");
  EXPECT_NE(std::find(it->presented_names.begin(), it->presented_names.end(), "localhost"), it->presented_names.end());
}

TEST(Record, IsAttachedToTheErrorWhenThePeerSendsAFatalAlert) {
  Pair p = handshake(client_options(), expired_server());
  ASSERT_TRUE(p.server.error);
  EXPECT_EQ(p.server.error->kind(), ErrorKind::alert_received);
  ASSERT_TRUE(p.server.error->record());
  const ConnectionRecord& s = *p.server.error->record();
  EXPECT_TRUE(s.server_side);
  EXPECT_FALSE(s.handshake.done);
  EXPECT_EQ(s.handshake.trigger, "wrap");
  EXPECT_EQ(s.sni, "localhost");
  ASSERT_TRUE(s.negotiation.client_hello.has_value());
  EXPECT_EQ(s.negotiation.client_hello->sni, "localhost");
  EXPECT_FALSE(s.verify.performed) << "the client sent no certificate";
}

TEST(Record, TheStickyErrorCarriesTheSameRecordOnEveryLaterCall) {
  auto [ct, st] = blocking_pipe();
  auto server = std::async(std::launch::async,
                           [t = std::move(st)]() mutable { return wrap_side(std::move(t), expired_server()); });
  Options client = client_options();
  client.do_handshake = false;
  auto socket = wrap_socket(std::move(ct), client);
  std::shared_ptr<const ConnectionRecord> first;
  try {
    socket->read(1);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::cert_expired);
    first = e.record();
  }
  server.get();
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->handshake.deferred);
  EXPECT_EQ(first->handshake.trigger, "read");
  try {
    socket->write("x");
    ADD_FAILURE() << "no error raised";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::cert_expired);
    EXPECT_EQ(e.record(), first);
  }
}

TEST(Record, AHandshakeTheCallerRunsRightAfterWrapIsRecordedAsEagerUnderTheTriggerItNames) {
  auto [ct, st] = blocking_pipe();
  auto server = std::async(std::launch::async,
                           [t = std::move(st)]() mutable { return wrap_side(std::move(t), server_options()); });
  WrapArgs args;
  args.server_hostname = "localhost";
  args.do_handshake = false;
  args.eager_trigger = "wrap";
  auto socket = Context::create(client_options())->wrap(std::move(ct), args);
  EXPECT_FALSE(socket->record().handshake.deferred);
  EXPECT_EQ(socket->record().handshake.trigger, "") << "wrap did no I/O";
  EXPECT_TRUE(socket->do_handshake());
  server.get();
  EXPECT_EQ(socket->record().handshake.trigger, "wrap");
  EXPECT_TRUE(socket->record().handshake.done);
}

TEST(Record, ErrorsRaisedOutsideAConnectionCarryNoRecord) {
  Options o;
  o.server_side = true;  // a server without a certificate
  try {
    Context::create(o);
    ADD_FAILURE() << "no error raised";
  } catch (const Error& e) {
    EXPECT_FALSE(e.record());
  }
}

}  // namespace
}  // namespace ussl::test
