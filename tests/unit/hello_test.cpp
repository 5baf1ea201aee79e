// The ClientHello parser, JA4 (with FoxIO's published example as a known
// answer), group and signature-scheme names, and --groups parsing.
#include "ussl/hello.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "ussl/error.hpp"

namespace ussl {
namespace {

using Bytes = std::vector<std::uint8_t>;

void put(Bytes& b, std::uint32_t v, int n) {
  for (int i = n - 1; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put_vec(Bytes& b, const Bytes& body, int len_bytes) {
  put(b, static_cast<std::uint32_t>(body.size()), len_bytes);
  b.insert(b.end(), body.begin(), body.end());
}
Bytes u16s(const std::vector<std::uint16_t>& values) {
  Bytes b;
  for (auto v : values) put(b, v, 2);
  return b;
}

struct Ext {
  std::uint16_t type;
  Bytes body;
};

Bytes client_hello(const std::vector<std::uint16_t>& ciphers, const std::vector<Ext>& exts) {
  Bytes body;
  put(body, 0x0303, 2);
  body.insert(body.end(), 32, 0x11);  // random
  put_vec(body, Bytes(32, 0x22), 1);  // session id
  put_vec(body, u16s(ciphers), 2);
  put_vec(body, {0}, 1);  // compression: null
  Bytes ext_bytes;
  for (const auto& e : exts) {
    put(ext_bytes, e.type, 2);
    put_vec(ext_bytes, e.body, 2);
  }
  put_vec(body, ext_bytes, 2);
  Bytes msg{1};
  put_vec(msg, body, 3);
  return msg;
}

Ext sni(const std::string& name) {
  Bytes entry{0};
  put_vec(entry, Bytes(name.begin(), name.end()), 2);
  Bytes list;
  put_vec(list, entry, 2);
  return {0, list};
}
Ext alpn(const std::vector<std::string>& protos) {
  Bytes list;
  for (const auto& p : protos) put_vec(list, Bytes(p.begin(), p.end()), 1);
  Bytes body;
  put_vec(body, list, 2);
  return {16, body};
}
Ext list16(std::uint16_t type, const std::vector<std::uint16_t>& values) {
  Bytes body;
  put_vec(body, u16s(values), 2);
  return {type, body};
}
Ext versions(const std::vector<std::uint16_t>& values) {
  Bytes body;
  put_vec(body, u16s(values), 1);
  return {43, body};
}
Ext key_shares(const std::vector<std::pair<std::uint16_t, std::size_t>>& shares) {
  Bytes list;
  for (const auto& [group, size] : shares) {
    put(list, group, 2);
    put_vec(list, Bytes(size, 0x33), 2);
  }
  Bytes body;
  put_vec(body, list, 2);
  return {51, body};
}

// JA4's README example: Chrome's ClientHello lists, with GREASE added where
// a browser puts it (GREASE must not count).
Bytes example_hello() {
  const std::vector<std::uint16_t> ciphers = {0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
                                              0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
  const std::vector<std::uint16_t> sigs = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601};
  return client_hello(ciphers, {
                                   {0x1a1a, {}},
                                   sni("example.com"),
                                   {0x0017, {}},
                                   {0xff01, {0}},
                                   list16(0x000a, {0x2a2a, 0x11ec, 0x001d, 0x0017, 0x0018}),
                                   {0x000b, {1, 0}},
                                   {0x0023, {}},
                                   alpn({"h2", "http/1.1"}),
                                   {0x0005, {1, 0, 0, 0, 0}},
                                   list16(0x000d, sigs),
                                   {0x0012, {}},
                                   key_shares({{0x2a2a, 1}, {0x11ec, 1216}, {0x001d, 32}}),
                                   {0x002d, {1, 1}},
                                   versions({0x3a3a, 0x0304, 0x0303}),
                                   {0x001b, {2, 0, 2}},
                                   {0x4469, {0, 3, 2, 'h', '2'}},
                                   {0x0015, Bytes(100, 0)},
                                   {0x4a4a, {0}},
                               });
}

TEST(ClientHelloParser, ReadsEveryOfferedListInTheClientsOrder) {
  const auto bytes = example_hello();
  const auto hello = parse_client_hello(bytes);
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->size, bytes.size());
  EXPECT_EQ(hello->legacy_version, 0x0303);
  EXPECT_EQ(hello->versions, (std::vector<std::uint16_t>{0x3a3a, 0x0304, 0x0303}));
  EXPECT_EQ(hello->cipher_suites.size(), 16u);
  EXPECT_EQ(hello->cipher_suites.front(), 0x0a0a);
  EXPECT_EQ(hello->groups, (std::vector<std::uint16_t>{0x2a2a, 0x11ec, 0x001d, 0x0017, 0x0018}));
  EXPECT_EQ(hello->key_shares, (std::vector<std::uint16_t>{0x2a2a, 0x11ec, 0x001d}));
  EXPECT_EQ(hello->signature_schemes.front(), 0x0403);
  EXPECT_EQ(hello->alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_EQ(hello->sni, "example.com");
  EXPECT_EQ(hello->extensions.size(), 18u);
  EXPECT_EQ(hello->extensions[1], 0x0000);
  EXPECT_EQ(hello->extensions.back(), 0x4a4a);
}

TEST(ClientHelloParser, RejectsTruncatedAndInconsistentMessages) {
  auto bytes = example_hello();
  for (std::size_t cut : {std::size_t{3}, std::size_t{40}, bytes.size() / 2, bytes.size() - 1}) {
    const Bytes part(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    EXPECT_FALSE(parse_client_hello(part)) << cut;
  }
  Bytes longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(parse_client_hello(longer));
  Bytes server_hello = bytes;
  server_hello[0] = 2;
  EXPECT_FALSE(parse_client_hello(server_hello));
  Bytes bad_ext = client_hello({0x1301}, {{0x000a, {0, 9, 0, 0x1d}}});  // list longer than the extension
  EXPECT_FALSE(parse_client_hello(bad_ext));
}

TEST(Ja4, MatchesFoxIosPublishedExample) {
  const auto hello = parse_client_hello(example_hello());
  ASSERT_TRUE(hello);
  EXPECT_EQ(ja4_ciphers_text(*hello), "002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9");
  EXPECT_EQ(ja4_extensions_text(*hello),
            "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,"
            "0806,0601");
  EXPECT_EQ(ja4(*hello), "t13d1516h2_8daaf6152771_e5627efa2ab1");
}

TEST(Ja4, SaysIpWithoutSniAndZerosWithoutAlpnOrCiphers) {
  const auto plain = parse_client_hello(client_hello({0x1301}, {versions({0x0304})}));
  ASSERT_TRUE(plain);
  EXPECT_EQ(ja4(*plain).substr(0, 10), "t13i010100");
  const auto tls12 = parse_client_hello(client_hello({}, {}));
  ASSERT_TRUE(tls12);
  EXPECT_EQ(ja4(*tls12), "t12i000000_000000000000_000000000000");
  const auto odd_alpn = parse_client_hello(client_hello({0x1301}, {alpn({"\x01x\xff"})}));
  ASSERT_TRUE(odd_alpn);
  EXPECT_EQ(ja4(*odd_alpn).substr(8, 2), "0f");  // hex of the first and last byte: 01...ff
}

TEST(TlsNames, NameGroupsAndSchemesAsIanaDoesAndGreaseAsSuch) {
  EXPECT_EQ(group_name(0x11ec), "X25519MLKEM768");
  EXPECT_EQ(group_name(0x11eb), "SecP256r1MLKEM768");
  EXPECT_EQ(group_name(0x11ed), "SecP384r1MLKEM1024");
  EXPECT_EQ(group_name(29), "x25519");
  EXPECT_EQ(group_name(23), "secp256r1");
  EXPECT_EQ(group_name(0x2a2a), "GREASE");
  EXPECT_EQ(group_name(0x1234), "0x1234");
  EXPECT_EQ(signature_scheme_name(0x0403), "ecdsa_secp256r1_sha256");
  EXPECT_EQ(signature_scheme_name(0x0804), "rsa_pss_rsae_sha256");
  EXPECT_EQ(signature_scheme_name(0x0809), "rsa_pss_pss_sha256");
  EXPECT_EQ(version_name(0x0304), "TLSv1.3");
  EXPECT_EQ(extension_name(51), "key_share");
  EXPECT_EQ(cipher_suite_name(0x1301), "TLS_AES_128_GCM_SHA256");
  EXPECT_TRUE(is_grease(0xfafa));
  EXPECT_FALSE(is_grease(0x0a1a));
}

TEST(GroupsOption, AcceptsIanaNamesAndAliasesInAnyCaseCommaOrColon) {
  EXPECT_EQ(parse_groups("X25519:P-256,secp384r1", "--groups"), (std::vector<std::uint16_t>{29, 23, 24}));
  EXPECT_EQ(parse_groups("x25519, prime256v1", "--groups"), (std::vector<std::uint16_t>{29, 23}));
}

TEST(GroupsOption, RejectsAnUnknownNameNamingIt) {
  try {
    parse_groups("X25519,brainpool", "--groups");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_NE(e.message().find("--groups: unknown key-exchange group 'brainpool' (known: X25519MLKEM768"),
              std::string::npos)
        << e.message();
  }
}

TEST(GroupsOption, RejectsAHybridThisWolfsslCannotUseByNameOrAcceptsItWhenBuilt) {
  const bool built = known_groups().front().built;
  if (built) {
    EXPECT_EQ(parse_groups("X25519MLKEM768,SecP256r1MLKEM768", "--groups"),
              (std::vector<std::uint16_t>{0x11ec, 0x11eb}));
    return;
  }
  try {
    parse_groups("X25519MLKEM768", "--groups");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_NE(e.message().find("--groups: group 'X25519MLKEM768' is not available in this wolfSSL"), std::string::npos)
        << e.message();
  }
}

}  // namespace
}  // namespace ussl

#include <algorithm>

#include "support.hpp"

namespace ussl {
namespace {

using test::client_options;
using test::handshake;
using test::server_options;

std::string default_group() { return known_groups().front().built ? "X25519MLKEM768" : "x25519"; }

TEST(Negotiation, BothSidesReportTheGroupTheSchemesAndTheClientHelloTheServerParsed) {
  const auto pair = handshake(client_options(), server_options());
  ASSERT_TRUE(pair.client.socket && pair.server.socket);
  const Negotiation c = pair.client.socket->negotiation();
  const Negotiation s = pair.server.socket->negotiation();
  EXPECT_EQ(c.group, default_group());
  EXPECT_EQ(s.group, default_group());
  EXPECT_FALSE(c.hello_retry_request);
  // TLS 1.3: needs wolfSSL's signature NID accessors (not in Debian 12's 5.5.4).
  const auto features = wolfssl_features();
  const bool nids = std::any_of(features.begin(), features.end(),
                                [](const Feature& f) { return f.name == "signature_schemes" && f.enabled; });
  const std::optional<std::string> scheme = nids ? std::optional<std::string>("ecdsa_secp256r1_sha256") : std::nullopt;
  EXPECT_EQ(c.signature_scheme, scheme);
  EXPECT_EQ(s.own_signature_scheme, scheme);
  EXPECT_FALSE(s.signature_scheme);  // the client sent no certificate
  EXPECT_EQ(c.key_shares_offered, s.key_shares_offered);
  ASSERT_EQ(c.client_hello_bytes.size(), 1u);
  EXPECT_EQ(c.client_hello_bytes, s.client_hello_bytes);
  EXPECT_FALSE(c.client_hello);  // only a server keeps it
  ASSERT_TRUE(s.client_hello);
  EXPECT_EQ(s.client_hello->sni, "localhost");
  EXPECT_EQ(s.client_hello->size + 5, s.client_hello_bytes.front());
}

TEST(Negotiation, DefaultKeySharesAreTheHybridAndX25519WhereBuilt) {
  const auto pair = handshake(client_options(), server_options());
  ASSERT_TRUE(pair.client.socket);
  const auto expected = known_groups().front().built ? std::vector<std::string>{"X25519MLKEM768", "x25519"}
                                                     : std::vector<std::string>{"x25519"};
  EXPECT_EQ(pair.client.socket->negotiation().key_shares_offered, expected);
}

TEST(Negotiation, ServerHelloRetryRequestDeclinesTheClientsKeyShares) {
  Options server = server_options();
  server.hello_retry_request = true;
  Options client = client_options();
  client.groups = "X25519,P-256";
  const auto pair = handshake(client, server);
  ASSERT_TRUE(pair.client.socket && pair.server.socket);
  const Negotiation c = pair.client.socket->negotiation();
  EXPECT_TRUE(c.hello_retry_request);
  EXPECT_TRUE(pair.server.socket->negotiation().hello_retry_request);
  EXPECT_EQ(c.key_shares_offered, std::vector<std::string>{"x25519"});
  EXPECT_EQ(c.group, "secp256r1");
  EXPECT_EQ(c.client_hello_bytes.size(), 2u);
}

TEST(Negotiation, KeySharesOutsideTheGroupsAreAUsageError) {
  Options client = client_options();
  client.groups = "X25519";
  client.key_shares = "P-256";
  EXPECT_EQ(test::kind_of([&] { Context::create(client); }), ErrorKind::usage);
}

TEST(Negotiation, Tls12ReportsTheCurveAndTheServersSchemeFromTheWire) {
  Options client = client_options();
  client.max_version = TlsVersion::tls1_2;
  client.groups = "P-384";
  const auto pair = handshake(client, server_options());
  ASSERT_TRUE(pair.client.socket && pair.server.socket);
  const Negotiation c = pair.client.socket->negotiation();
  EXPECT_EQ(c.group, "secp384r1");
  EXPECT_EQ(c.signature_scheme, "ecdsa_secp256r1_sha256");
  EXPECT_EQ(pair.server.socket->negotiation().own_signature_scheme, "ecdsa_secp256r1_sha256");
  EXPECT_TRUE(c.key_shares_offered.empty());
}

}  // namespace
}  // namespace ussl
