#include "support.hpp"

namespace ussl::test {
namespace {

TEST(Smoke, ClientAndServerCompleteAVerifiedHandshake) {
  Pair p = handshake(client_options(), server_options());
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  ASSERT_FALSE(p.server.error) << p.server.error->what();
  EXPECT_TRUE(p.client.socket->verify_result().verified());
  std::cerr << *p.client.socket->tls_version() << " " << *p.client.socket->cipher() << "\n";
  std::cerr << p.client.socket->peer_chain().size() << " " << p.client.socket->peer_chain()[0].subject << "\n";
  std::cerr << "sni server saw: " << p.server.socket->sni().value_or("<none>") << "\n";
}

}  // namespace
}  // namespace ussl::test
