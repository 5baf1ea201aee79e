// Server names (names.hpp), the facts a client learns about its handshake
// (CertificateRequest, round trip), and the alerts of an SNI-only server.
#include "support.hpp"

namespace ussl::test {
namespace {

CertificateInfo with_dns(std::vector<std::string> dns, std::string cn = "") {
  CertificateInfo info;
  info.subject = "CN=" + (cn.empty() ? std::string("test") : cn);
  info.common_name = std::move(cn);
  info.dns_names = dns;
  for (const auto& d : dns) info.san.push_back("DNS:" + d);
  return info;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// --- normalize_server_name ---------------------------------------------------

TEST(Names, TrailingDotIsStrippedAndIpLiteralsAndAsciiNamesAreKeptAsGiven) {
  EXPECT_EQ(normalize_server_name("wrong.example."), "wrong.example");
  EXPECT_EQ(normalize_server_name("Server.USSL.test"), "Server.USSL.test");
  EXPECT_EQ(normalize_server_name("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(normalize_server_name("::1"), "::1");
}

TEST(Names, ULabelsAreConvertedToALabels) {
  EXPECT_EQ(normalize_server_name("bücher.example"), "xn--bcher-kva.example");
  EXPECT_EQ(normalize_server_name("Bücher.Example."), "xn--bcher-kva.example");
  EXPECT_EQ(normalize_server_name("straße.de"), "xn--strae-oqa.de") << "IDNA 2008: no transitional mapping to ss";
}

TEST(Names, NameThatCannotBeConvertedOrHasAnEmptyLabelIsAUsageError) {
  EXPECT_EQ(kind_of([] { normalize_server_name("☃.example"); }), ErrorKind::usage);
  EXPECT_EQ(kind_of([] { normalize_server_name("bücher..example"); }), ErrorKind::usage);
  EXPECT_EQ(kind_of([] { normalize_server_name("name.."); }), ErrorKind::usage);
  EXPECT_EQ(kind_of([] { normalize_server_name("."); }), ErrorKind::usage);
  EXPECT_EQ(kind_of([] { normalize_server_name(""); }), ErrorKind::usage);
  try {
    normalize_server_name("☃.example");
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.message(), "'☃.example' cannot be converted to an A-label (IDNA 2008)")) << e.what();
  }
}

// --- match_server_name -------------------------------------------------------

TEST(Names, ULabelMatchesItsALabelSan) {
  const auto cert = with_dns({"xn--bcher-kva.example"});
  EXPECT_TRUE(match_server_name(cert, "bücher.example").ok);
  EXPECT_TRUE(match_server_name(cert, "xn--bcher-kva.example.").ok);
  EXPECT_TRUE(hostname_matches(cert, "BÜCHER.example"));
}

TEST(Names, IpAddressNeverMatchesACommonNameOrADnsNameAndTheReasonSaysItNeedsAnIpAddressSan) {
  const auto cn_only = with_dns({}, "127.0.0.1");
  const NameMatch m = match_server_name(cn_only, "127.0.0.1");
  EXPECT_FALSE(m.ok);
  EXPECT_FALSE(m.cn_fallback);
  EXPECT_EQ(m.reason,
            "certificate 'CN=127.0.0.1' is for CN=127.0.0.1, not for '127.0.0.1': an IP address matches only an "
            "iPAddress SAN, never the CN or a dNSName");
  EXPECT_FALSE(match_server_name(with_dns({"127.0.0.1"}), "127.0.0.1").ok);
  CertificateInfo ip = with_dns({});
  ip.ip_addresses = {"::1"};
  EXPECT_TRUE(match_server_name(ip, "0:0:0:0:0:0:0:1").ok) << "addresses compare as bytes";
  EXPECT_FALSE(match_server_name(ip, "127.0.0.1").ok);
}

TEST(Names, WildcardMayNotSpanAPublicSuffixOfEitherSection) {
  EXPECT_TRUE(is_public_suffix("co.uk"));
  EXPECT_TRUE(is_public_suffix("s3.amazonaws.com")) << "private section";
  EXPECT_FALSE(is_public_suffix("example.co.uk"));
  EXPECT_FALSE(is_public_suffix("ussl.test")) << "no implicit '*' rule for unknown TLDs";

  const NameMatch icann = match_server_name(with_dns({"*.co.uk"}), "shop.co.uk");
  EXPECT_FALSE(icann.ok);
  EXPECT_TRUE(contains(icann.reason, "the wildcard '*.co.uk' spans the public suffix 'co.uk'")) << icann.reason;
  const NameMatch priv = match_server_name(with_dns({"*.s3.amazonaws.com"}), "bucket.s3.amazonaws.com");
  EXPECT_FALSE(priv.ok);
  EXPECT_TRUE(contains(priv.reason, "public suffix 's3.amazonaws.com'")) << priv.reason;
  EXPECT_FALSE(match_server_name(with_dns({}, "*.co.uk"), "shop.co.uk").ok) << "in the CN too";

  EXPECT_TRUE(match_server_name(with_dns({"*.example.co.uk"}), "www.example.co.uk").ok);
  EXPECT_TRUE(match_server_name(with_dns({"*.wild.ussl.test"}), "a.wild.ussl.test").ok);
}

TEST(Names, MatchThroughTheSubjectCommonNameIsReportedAsCnFallback) {
  const NameMatch cn = match_server_name(with_dns({}, "cnonly.ussl.test"), "cnonly.ussl.test");
  EXPECT_TRUE(cn.ok);
  EXPECT_TRUE(cn.cn_fallback);
  const NameMatch san = match_server_name(with_dns({"san.example"}, "san.example"), "san.example");
  EXPECT_TRUE(san.ok);
  EXPECT_FALSE(san.cn_fallback);
  const NameMatch ignored = match_server_name(with_dns({"san.example"}, "cn.example"), "cn.example");
  EXPECT_FALSE(ignored.ok);
  EXPECT_TRUE(contains(ignored.reason, "its CN=cn.example is not used: the certificate has SANs")) << ignored.reason;
}

// --- over a handshake ----------------------------------------------------------

TEST(Names, TrailingDotIsStrippedFromTheSniSentAndTheNameChecked) {
  Pair p = handshake(client_options(CertReqs::required, "server.ussl.test."), server_options());
  ASSERT_TRUE(p.client.socket) << p.client.error->what();
  ASSERT_TRUE(p.server.socket) << p.server.error->what();
  EXPECT_EQ(p.client.socket->sni(), "server.ussl.test");
  EXPECT_EQ(p.server.socket->sni(), "server.ussl.test");
  EXPECT_EQ(p.client.socket->verify_result().hostname, "server.ussl.test");
  EXPECT_TRUE(p.client.socket->verify_result().verified());
}

TEST(Names, ULabelServerHostnameIsSentAsItsALabelAndPicksTheSniCertificateOfItsULabelName) {
  Options server = server_options();
  server.sni_certificates.push_back({"Bücher.example.", cert("wronghost-chain.pem"), cert("wronghost.key")});
  Pair p = handshake(client_options(CertReqs::none, "bücher.example"), server);
  ASSERT_TRUE(p.client.socket) << p.client.error->what();
  ASSERT_TRUE(p.server.socket) << p.server.error->what();
  EXPECT_EQ(p.client.socket->sni(), "xn--bcher-kva.example");
  EXPECT_EQ(p.server.socket->sni(), "xn--bcher-kva.example");
  ASSERT_FALSE(p.client.socket->peer_chain().empty());
  EXPECT_EQ(p.client.socket->peer_chain().front().subject, "CN=wrong.example");
}

TEST(Names, UnconvertibleServerHostnameIsAUsageErrorAtWrap) {
  Options o = client_options(CertReqs::none, "☃.example");
  o.do_handshake = false;
  auto context = Context::create(o);
  EXPECT_EQ(kind_of([&] { context->wrap(make_memory_pipe().first, o.server_hostname, false); }), ErrorKind::usage);
  Options server = server_options();
  server.sni_certificates.push_back({"☃.example", cert("wronghost-chain.pem"), cert("wronghost.key")});
  EXPECT_EQ(kind_of([&] { Context::create(server); }), ErrorKind::usage);
}

TEST(Names, CommonNameOnlyCertificateIsVerifiedAndReportedAsCnFallback) {
  Pair p = handshake(client_options(CertReqs::required, "cnonly.ussl.test"), server_options("cnonly"));
  ASSERT_TRUE(p.client.socket) << p.client.error->what();
  EXPECT_TRUE(p.client.socket->verify_result().verified());
  EXPECT_TRUE(p.client.socket->verify_result().cn_fallback);
  Pair q = handshake(client_options(CertReqs::required, "localhost"), server_options());
  ASSERT_TRUE(q.client.socket) << q.client.error->what();
  EXPECT_FALSE(q.client.socket->verify_result().cn_fallback);
}

TEST(Names, IpServerHostnameAgainstACertificateForAnotherHostIsAHostnameMismatch) {
  Pair p = handshake(client_options(CertReqs::required, "127.0.0.1"), server_options("wronghost"));
  ASSERT_TRUE(p.client.error);
  EXPECT_EQ(p.client.error->kind(), ErrorKind::hostname_mismatch);
  EXPECT_TRUE(contains(p.client.error->message(), "an IP address matches only an iPAddress SAN"))
      << p.client.error->what();
}

// --- handshake facts: CertificateRequest and round trip --------------------------

struct Facts {
  bool requested;
  bool has_round_trip;
};

Facts client_facts(CertReqs server_reqs, TlsVersion version, bool client_certificate) {
  Options server = server_options();
  server.cert_reqs = server_reqs;
  if (server_reqs != CertReqs::none) server.ca_certs = cert("root-ca.pem");
  server.max_version = version;
  Options client = client_options(CertReqs::required, "localhost");
  if (client_certificate) {
    client.certfile = cert("client-chain.pem");
    client.keyfile = cert("client.key");
  }
  Pair p = handshake(client, server);
  EXPECT_TRUE(p.client.socket) << p.client.error->what();
  EXPECT_TRUE(p.server.socket) << p.server.error->what();
  if (!p.client.socket) return {false, false};
  const HandshakeInfo& hs = p.client.socket->handshake();
  return {hs.certificate_requested, hs.round_trip.has_value()};
}

TEST(HandshakeFacts, ClientNotesTheServersCertificateRequestUnderBothVersionsWithOrWithoutACertificate) {
  for (const auto version : {TlsVersion::tls1_2, TlsVersion::tls1_3}) {
    for (const bool with_cert : {false, true}) {
      SCOPED_TRACE(std::string(tls_version_name(version)) + (with_cert ? ", client certificate" : ", none"));
      const Facts asked = client_facts(CertReqs::optional, version, with_cert);
      EXPECT_TRUE(asked.requested);
      EXPECT_TRUE(asked.has_round_trip);
      const Facts not_asked = client_facts(CertReqs::none, version, with_cert);
      EXPECT_FALSE(not_asked.requested);
      EXPECT_TRUE(not_asked.has_round_trip);
    }
  }
}

// --- SNI-only servers -------------------------------------------------------------

Options sni_only_server(TlsVersion version) {
  Options o;
  o.server_side = true;
  o.max_version = version;
  o.sni_certificates.push_back({"a.wild.ussl.test", cert("wildcard-chain.pem"), cert("wildcard.key")});
  return o;
}

TEST(Sni, SniOnlyServerAnswersATls13ClientWithoutSniWithMissingExtension) {
  Pair p = handshake(client_options(CertReqs::none, std::nullopt), sni_only_server(TlsVersion::tls1_3));
  ASSERT_TRUE(p.server.error);
  EXPECT_EQ(p.server.error->kind(), ErrorKind::protocol_error);
  EXPECT_TRUE(contains(p.server.error->message(), "no SNI")) << p.server.error->what();
  ASSERT_TRUE(p.client.error);
  EXPECT_EQ(p.client.error->kind(), ErrorKind::alert_received) << p.client.error->what();
  EXPECT_EQ(p.client.error->alert(), 109) << "missing_extension";
}

TEST(Sni, SniOnlyServerAnswersATls12ClientWithoutSniWithUnrecognizedName) {
  Pair p = handshake(client_options(CertReqs::none, std::nullopt), sni_only_server(TlsVersion::tls1_2));
  ASSERT_TRUE(p.server.error);
  ASSERT_TRUE(p.client.error);
  EXPECT_EQ(p.client.error->kind(), ErrorKind::alert_received) << p.client.error->what();
  EXPECT_EQ(p.client.error->alert(), 112) << "unrecognized_name";
}

}  // namespace
}  // namespace ussl::test
