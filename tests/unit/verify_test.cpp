// cert_reqs on both sides, hostname rules, SNI, and the recorded verify result.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "support.hpp"

namespace ussl::test {
namespace {

Options server_with(const std::string& leaf, bool chain = true) {
  Options o;
  o.server_side = true;
  o.certfile = cert(leaf + (chain ? "-chain.pem" : ".pem"));
  o.keyfile = cert(leaf + ".key");
  return o;
}

// Runs a handshake the client should reject; returns the client's error kind
// and checks the server saw the rejection too.
ErrorKind client_rejection(const Options& client, const Options& server) {
  Pair p = handshake(client, server);
  EXPECT_TRUE(p.client.error.has_value()) << "client accepted the certificate";
  EXPECT_TRUE(p.server.error.has_value()) << "server did not see the rejection";
  if (p.server.error) {
    EXPECT_EQ(p.server.error->kind(), ErrorKind::alert_received) << p.server.error->what();
  }
  return p.client.kind();
}

// --- client side ---------------------------------------------------------

TEST(ClientVerify, RequiredAcceptsAValidChainAndHostname) {
  Pair p = handshake(client_options(CertReqs::required, "localhost"), server_options());
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  const VerifyResult& v = p.client.socket->verify_result();
  EXPECT_TRUE(v.verified());
  EXPECT_TRUE(v.ok);
  EXPECT_TRUE(v.performed);
  EXPECT_EQ(v.hostname_ok, true);
  EXPECT_FALSE(v.failure);
}

TEST(ClientVerify, RequiredRejectsAWrongHostname) {
  EXPECT_EQ(client_rejection(client_options(), server_with("wronghost")), ErrorKind::hostname_mismatch);
}

TEST(ClientVerify, RequiredRejectsAnExpiredCertificate) {
  EXPECT_EQ(client_rejection(client_options(), server_with("expired")), ErrorKind::cert_expired);
}

TEST(ClientVerify, RequiredRejectsANotYetValidCertificate) {
  EXPECT_EQ(client_rejection(client_options(), server_with("notyetvalid")), ErrorKind::cert_not_yet_valid);
}

TEST(ClientVerify, RequiredRejectsASelfSignedCertificate) {
  Pair p = handshake(client_options(), server_with("selfsigned", false));
  ASSERT_TRUE(p.client.error);
  EXPECT_EQ(p.client.error->kind(), ErrorKind::cert_untrusted);
  EXPECT_NE(p.client.error->message().find("self-signed"), std::string::npos) << p.client.error->what();
}

TEST(ClientVerify, RequiredRejectsACertificateFromAnUnknownCa) {
  EXPECT_EQ(client_rejection(client_options(), server_with("untrusted-server", false)), ErrorKind::cert_untrusted);
}

TEST(ClientVerify, RequiredRejectsAnIncompleteChain) {
  Pair p = handshake(client_options(), server_with("server", false));  // leaf without its intermediate
  ASSERT_TRUE(p.client.error);
  EXPECT_EQ(p.client.error->kind(), ErrorKind::cert_untrusted);
  EXPECT_NE(p.client.error->message().find("incomplete chain"), std::string::npos) << p.client.error->what();
}

TEST(ClientVerify, OptionalBehavesAsRequired) {
  EXPECT_EQ(client_rejection(client_options(CertReqs::optional), server_with("wronghost")),
            ErrorKind::hostname_mismatch);
  EXPECT_EQ(client_rejection(client_options(CertReqs::optional), server_with("expired")), ErrorKind::cert_expired);
  Pair ok = handshake(client_options(CertReqs::optional), server_options());
  ASSERT_FALSE(ok.client.error) << ok.client.error->what();
  EXPECT_TRUE(ok.client.socket->verify_result().verified());
}

TEST(ClientVerify, NoneAcceptsAWrongHostButRecordsTheMismatch) {
  Pair p = handshake(client_options(CertReqs::none), server_with("wronghost"));
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  const VerifyResult& v = p.client.socket->verify_result();
  EXPECT_FALSE(v.verified());
  EXPECT_FALSE(v.enforced);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.failure, ErrorKind::hostname_mismatch);
  EXPECT_EQ(v.hostname_ok, false);
  EXPECT_NE(v.reason.find("wrong.example"), std::string::npos) << v.reason;
}

TEST(ClientVerify, NoneAcceptsAnExpiredCertificateButRecordsIt) {
  Pair p = handshake(client_options(CertReqs::none), server_with("expired"));
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  EXPECT_EQ(p.client.socket->verify_result().failure, ErrorKind::cert_expired);
  EXPECT_FALSE(p.client.socket->verify_result().verified());
}

TEST(ClientVerify, NoneWithoutCaCertsRecordsThatTheChainIsUntrusted) {
  Options client = client_options(CertReqs::none);
  client.ca_certs.reset();
  Pair p = handshake(client, server_options());
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  EXPECT_EQ(p.client.socket->verify_result().failure, ErrorKind::cert_untrusted);
  EXPECT_FALSE(p.client.socket->verify_result().verified());
}

TEST(ClientVerify, NoneWithAGoodCertificateFindsItValidButNotVerified) {
  Pair p = handshake(client_options(CertReqs::none), server_options());
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  EXPECT_TRUE(p.client.socket->verify_result().ok);
  EXPECT_FALSE(p.client.socket->verify_result().verified()) << "CERT_NONE never claims verified";
}

TEST(ClientVerify, RequiredWithoutServerHostnameChecksTheChainOnly) {
  Pair p = handshake(client_options(CertReqs::required, std::nullopt), server_with("wronghost"));
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  EXPECT_TRUE(p.client.socket->verify_result().verified());
  EXPECT_FALSE(p.client.socket->verify_result().hostname_ok.has_value());
}

TEST(ClientVerify, Ipv4LiteralIsCheckedAgainstIpSans) {
  Pair p = handshake(client_options(CertReqs::required, "127.0.0.1"), server_options());
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  EXPECT_EQ(p.client.socket->verify_result().hostname_ok, true);
}

TEST(ClientVerify, Ipv6LiteralIsCheckedAgainstIpSans) {
  Pair p = handshake(client_options(CertReqs::required, "::1"), server_options());
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  EXPECT_EQ(p.client.socket->verify_result().hostname_ok, true);
}

TEST(ClientVerify, IpLiteralMissingFromIpSansIsAMismatch) {
  EXPECT_EQ(client_rejection(client_options(CertReqs::required, "127.0.0.2"), server_options()),
            ErrorKind::hostname_mismatch);
  EXPECT_EQ(client_rejection(client_options(CertReqs::required, "127.0.0.1"), server_with("wronghost")),
            ErrorKind::hostname_mismatch);
}

TEST(ClientVerify, WildcardMatchesExactlyOneLabel) {
  Pair p = handshake(client_options(CertReqs::required, "a.wild.ussl.test"), server_with("wildcard"));
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  EXPECT_TRUE(p.client.socket->verify_result().verified());
}

TEST(ClientVerify, WildcardDoesNotMatchTwoLabels) {
  EXPECT_EQ(client_rejection(client_options(CertReqs::required, "a.b.wild.ussl.test"), server_with("wildcard")),
            ErrorKind::hostname_mismatch);
}

TEST(ClientVerify, WildcardDoesNotMatchTheBareDomain) {
  EXPECT_EQ(client_rejection(client_options(CertReqs::required, "wild.ussl.test"), server_with("wildcard")),
            ErrorKind::hostname_mismatch);
}

TEST(ClientVerify, HostnameComparisonIsCaseInsensitive) {
  Pair p = handshake(client_options(CertReqs::required, "LocalHost"), server_options());
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  Pair w = handshake(client_options(CertReqs::required, "A.WILD.Ussl.Test"), server_with("wildcard"));
  ASSERT_FALSE(w.client.error) << w.client.error->what();
}

TEST(ClientVerify, CommonNameIsUsedWhenThereIsNoSan) {
  Pair p = handshake(client_options(CertReqs::required, "cnonly.ussl.test"), server_with("cnonly"));
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  EXPECT_TRUE(p.client.socket->verify_result().verified());
  EXPECT_EQ(client_rejection(client_options(CertReqs::required, "other.ussl.test"), server_with("cnonly")),
            ErrorKind::hostname_mismatch);
}

TEST(HostnameRules, CommonNameIsIgnoredWhenSanIsPresent) {
  CertificateInfo info;
  info.common_name = "cn.example";
  info.dns_names = {"san.example"};
  EXPECT_FALSE(hostname_matches(info, "cn.example"));
  EXPECT_TRUE(hostname_matches(info, "san.example"));
}

TEST(HostnameRules, WildcardNeedsTwoLabelsAfterIt) {
  CertificateInfo info;
  info.dns_names = {"*.com"};
  EXPECT_FALSE(hostname_matches(info, "example.com"));
  info.dns_names = {"f*.example.com"};
  EXPECT_FALSE(hostname_matches(info, "foo.example.com")) << "only a whole-label wildcard counts";
}

TEST(HostnameRules, IpLiteralNeverMatchesDnsNamesOrCommonName) {
  CertificateInfo info;
  info.common_name = "127.0.0.1";
  info.dns_names = {"127.0.0.1"};
  EXPECT_FALSE(hostname_matches(info, "127.0.0.1"));
  info.ip_addresses = {"127.0.0.1"};
  EXPECT_TRUE(hostname_matches(info, "127.0.0.1"));
}

// --- SNI -------------------------------------------------------------------

TEST(Sni, DnsServerHostnameIsSentAndSeenByTheServer) {
  Pair p = handshake(client_options(CertReqs::required, "server.ussl.test"), server_options());
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  ASSERT_FALSE(p.server.error) << p.server.error->what();
  EXPECT_EQ(p.client.socket->sni(), "server.ussl.test");
  EXPECT_EQ(p.server.socket->sni(), "server.ussl.test");
}

TEST(Sni, IpLiteralSendsNoSni) {
  Pair p = handshake(client_options(CertReqs::required, "127.0.0.1"), server_options());
  ASSERT_FALSE(p.server.error) << p.server.error->what();
  EXPECT_FALSE(p.server.socket->sni().has_value());
  EXPECT_FALSE(p.client.socket->sni().has_value());
}

TEST(Sni, NoServerHostnameSendsNoSni) {
  Pair p = handshake(client_options(CertReqs::none, std::nullopt), server_options());
  ASSERT_FALSE(p.server.error) << p.server.error->what();
  EXPECT_FALSE(p.server.socket->sni().has_value());
}

TEST(Sni, ServerPresentsTheCertificateChosenByTheSniReceived) {
  Options server = server_options();
  server.sni_certificates.push_back({"a.wild.ussl.test", cert("wildcard-chain.pem"), cert("wildcard.key")});
  Pair p = handshake(client_options(CertReqs::required, "a.wild.ussl.test"), server);
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  EXPECT_EQ(p.client.socket->peer_chain().at(0).common_name, "*.wild.ussl.test");
  Pair d = handshake(client_options(CertReqs::required, "localhost"), server);
  ASSERT_FALSE(d.client.error) << d.client.error->what();
  EXPECT_EQ(d.client.socket->peer_chain().at(0).common_name, "localhost") << "default certificate otherwise";
}

// --- peer certificate details ----------------------------------------------

std::string openssl_fingerprint(const std::string& pem) {
  const std::string cmd = "openssl x509 -noout -fingerprint -sha256 -in '" + pem + "' 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return {};
  char buf[256] = {};
  std::string out = std::fgets(buf, sizeof buf, p) ? buf : "";
  ::pclose(p);
  std::string hex;
  for (char c : out.substr(out.find('=') + 1)) {
    if (std::isxdigit(static_cast<unsigned char>(c))) hex.push_back(static_cast<char>(std::tolower(c)));
  }
  return hex;
}

TEST(PeerCertificate, ChainIsReportedLeafFirstWithParsedFields) {
  Pair p = handshake(client_options(), server_options());
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  const auto& chain = p.client.socket->peer_chain();
  ASSERT_EQ(chain.size(), 2u);
  const CertificateInfo& leaf = chain[0];
  EXPECT_EQ(leaf.subject, "CN=localhost");
  EXPECT_NE(chain[1].subject.find("ussl Test Intermediate CA"), std::string::npos) << chain[1].subject;
  EXPECT_EQ(leaf.issuer, chain[1].subject);
  EXPECT_EQ(leaf.san, (std::vector<std::string>{"DNS:localhost", "DNS:server.ussl.test", "IP:127.0.0.1", "IP:::1"}));
  EXPECT_LT(leaf.not_before_epoch, leaf.not_after_epoch);
  EXPECT_EQ(leaf.not_before.size(), 20u) << leaf.not_before;
  EXPECT_EQ(leaf.sha256, openssl_fingerprint(cert("server.pem")));
  EXPECT_NE(leaf.pem().find("-----BEGIN CERTIFICATE-----"), std::string::npos);
}

TEST(PeerCertificate, DescribesEverySubjectAttributeTheSerialAndTheSansInCertificateOrder) {
  // Made here with openssl: EV-style attributes wolfSSL's own X509 layer
  // leaves out (organizationIdentifier) or names differently, a serial whose
  // DER carries a 0x00 sign byte, and SANs of four kinds in a given order.
  char dir[] = "/tmp/ussl-describe-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string der_path = std::string(dir) + "/c.der";
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout '" + std::string(dir) +
      "/k.pem' -days 9000 -set_serial 0x80AB01 -outform DER -out '" + der_path +
      "' -subj '/C=ES/O=FNMT/organizationIdentifier=VATES-Q2826004J/jurisdictionC=US/businessCategory=Private "
      "Organization/street=1 Main St/CN=x.example' -addext "
      "'subjectAltName=email:a@x.example,DNS:x.example,IP:127.0.0.1,URI:https://x.example/' >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(der_path, std::ios::binary);
  const std::vector<std::uint8_t> der((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(der_path.c_str());
  std::remove((std::string(dir) + "/k.pem").c_str());
  ::rmdir(dir);
  const CertificateInfo c = describe_certificate(der);
  EXPECT_EQ(c.subject,
            "C=ES, O=FNMT, organizationIdentifier=VATES-Q2826004J, jurisdictionC=US, businessCategory=Private "
            "Organization, street=1 Main St, CN=x.example");
  EXPECT_EQ(c.issuer, c.subject);
  EXPECT_TRUE(c.self_issued);
  EXPECT_EQ(c.common_name, "x.example");
  EXPECT_EQ(c.serial, "80ab01") << "no DER sign byte";
  EXPECT_EQ(c.san,
            (std::vector<std::string>{"email:a@x.example", "DNS:x.example", "IP:127.0.0.1", "URI:https://x.example/"}));
  EXPECT_EQ(c.key_type, "EC");
  EXPECT_EQ(c.key_curve, "P-256");
  EXPECT_EQ(c.signature_algorithm, "ecdsa-with-SHA256");
  EXPECT_EQ(c.sha256.size(), 64u);
}

TEST(PeerCertificate, ChainIsRecordedEvenWhenVerificationFails) {
  Pair p = handshake(client_options(), server_with("expired"));
  ASSERT_TRUE(p.client.error);
  // The failed socket is gone with wrap; the CERT_NONE run shows the dates.
  Pair n = handshake(client_options(CertReqs::none), server_with("expired"));
  ASSERT_FALSE(n.client.error);
  EXPECT_EQ(n.client.socket->peer_chain().at(0).not_after, "2021-01-01T00:00:00Z");
}

TEST(Negotiation, VersionAndCipherAreReported) {
  Pair p = handshake(client_options(), server_options());
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  EXPECT_EQ(p.client.socket->tls_version(), "TLSv1.3");
  EXPECT_EQ(p.client.socket->cipher()->rfind("TLS_", 0), 0u) << *p.client.socket->cipher();
  Options tls12 = client_options();
  tls12.max_version = TlsVersion::tls1_2;
  Pair q = handshake(tls12, server_options());
  ASSERT_FALSE(q.client.error) << q.client.error->what();
  EXPECT_EQ(q.client.socket->tls_version(), "TLSv1.2");
  EXPECT_EQ(q.server.socket->tls_version(), "TLSv1.2");
}

TEST(Negotiation, RsaServerCertificateWorks) {
  Pair p = handshake(client_options(), server_with("server-rsa"));
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  EXPECT_TRUE(p.client.socket->verify_result().verified());
}

// --- server side -----------------------------------------------------------

Options with_client_cert(Options o, const std::string& leaf, bool chain = true) {
  o.certfile = cert(leaf + (chain ? "-chain.pem" : ".pem"));
  o.keyfile = cert(leaf + ".key");
  return o;
}

Options server_reqs(CertReqs reqs) {
  Options o = server_options();
  o.cert_reqs = reqs;
  if (reqs != CertReqs::none) o.ca_certs = cert("root-ca.pem");
  return o;
}

TEST(ServerVerify, NoneDoesNotRequestAClientCertificate) {
  Pair p = handshake(with_client_cert(client_options(), "client"), server_reqs(CertReqs::none));
  ASSERT_FALSE(p.server.error) << p.server.error->what();
  EXPECT_FALSE(p.server.socket->verify_result().performed);
  EXPECT_TRUE(p.server.socket->peer_chain().empty()) << "no certificate was requested, none was sent";
}

TEST(ServerVerify, OptionalAcceptsAnAbsentClientCertificate) {
  Pair p = handshake(client_options(), server_reqs(CertReqs::optional));
  ASSERT_FALSE(p.server.error) << p.server.error->what();
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  EXPECT_FALSE(p.server.socket->verify_result().performed);
  EXPECT_FALSE(p.server.socket->verify_result().verified());
}

TEST(ServerVerify, OptionalVerifiesAClientCertificateThatIsSent) {
  Pair p = handshake(with_client_cert(client_options(), "client"), server_reqs(CertReqs::optional));
  ASSERT_FALSE(p.server.error) << p.server.error->what();
  EXPECT_TRUE(p.server.socket->verify_result().verified());
  EXPECT_EQ(p.server.socket->peer_chain().at(0).common_name, "ussl test client");
}

TEST(ServerVerify, OptionalRejectsAnUntrustedClientCertificate) {
  Pair p = handshake(with_client_cert(client_options(), "untrusted-client", false), server_reqs(CertReqs::optional));
  ASSERT_TRUE(p.server.error);
  EXPECT_EQ(p.server.error->kind(), ErrorKind::cert_untrusted) << p.server.error->what();
}

TEST(ServerVerify, RequiredAcceptsAValidClientCertificate) {
  Pair p = handshake(with_client_cert(client_options(), "client-rsa"), server_reqs(CertReqs::required));
  ASSERT_FALSE(p.server.error) << p.server.error->what();
  EXPECT_TRUE(p.server.socket->verify_result().verified());
}

TEST(ServerVerify, RequiredRejectsAnExpiredClientCertificate) {
  Pair p = handshake(with_client_cert(client_options(), "client-expired"), server_reqs(CertReqs::required));
  ASSERT_TRUE(p.server.error);
  EXPECT_EQ(p.server.error->kind(), ErrorKind::cert_expired) << p.server.error->what();
}

TEST(ServerVerify, RequiredRejectsAMissingClientCertificateAndTheTls13ClientSeesTheAlert) {
  Pair p = handshake(client_options(), server_reqs(CertReqs::required));
  ASSERT_TRUE(p.server.error);
  EXPECT_EQ(p.server.error->kind(), ErrorKind::peer_cert_missing) << p.server.error->what();
  // TLS 1.3: the client finished its handshake before the server's verdict;
  // the alert arrives with the first read.
  ASSERT_FALSE(p.client.error) << p.client.error->what();
  try {
    p.client.socket->read(1);
    FAIL() << "read after a rejected client certificate must fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::alert_received) << e.what();
    EXPECT_EQ(e.alert(), 116) << "certificate_required";
  }
}

TEST(ServerVerify, RequiredRejectsAMissingClientCertificateDuringATls12Handshake) {
  Options client = client_options();
  client.max_version = TlsVersion::tls1_2;
  Pair p = handshake(client, server_reqs(CertReqs::required));
  ASSERT_TRUE(p.server.error);
  EXPECT_EQ(p.server.error->kind(), ErrorKind::peer_cert_missing) << p.server.error->what();
  ASSERT_TRUE(p.client.error);
  EXPECT_EQ(p.client.error->kind(), ErrorKind::alert_received) << p.client.error->what();
}

}  // namespace
}  // namespace ussl::test

namespace ussl::test {
namespace {

Options sni_only_server() {
  Options o;
  o.server_side = true;
  o.sni_certificates.push_back({"a.wild.ussl.test", cert("wildcard-chain.pem"), cert("wildcard.key")});
  return o;
}

TEST(Sni, ServerWithOnlySniCertificatesRefusesAClientWithoutSniWithAnAlert) {
  Pair p = handshake(client_options(CertReqs::none, "127.0.0.1"), sni_only_server());
  ASSERT_TRUE(p.server.error);
  EXPECT_EQ(p.server.error->kind(), ErrorKind::protocol_error);
  EXPECT_NE(p.server.error->message().find("no SNI"), std::string::npos) << p.server.error->what();
  ASSERT_TRUE(p.client.error);
  EXPECT_EQ(p.client.error->kind(), ErrorKind::alert_received) << p.client.error->what();
}

TEST(Sni, ServerWithOnlySniCertificatesRefusesAnUnknownNameWithUnrecognizedName) {
  Pair p = handshake(client_options(CertReqs::none, "other.example"), sni_only_server());
  ASSERT_TRUE(p.server.error);
  EXPECT_NE(p.server.error->message().find("other.example"), std::string::npos) << p.server.error->what();
  ASSERT_TRUE(p.client.error);
  EXPECT_EQ(p.client.error->kind(), ErrorKind::alert_received) << p.client.error->what();
  EXPECT_EQ(p.client.error->alert(), 112) << "unrecognized_name";
}

TEST(Sni, ClientReportsTheSniItSentEvenWhenTheHandshakeFails) {
  auto [ct, st] = make_memory_pipe();
  Options o = client_options(CertReqs::required, "server.ussl.test");
  o.do_handshake = false;
  auto client = wrap_socket(std::move(ct), o);
  EXPECT_EQ(client->sni(), "server.ussl.test");
}

TEST(ServerVerify, MissingTls13ClientCertificateIsRecordedInTheVerifyResult) {
  Options server = server_options();
  server.cert_reqs = CertReqs::required;
  server.ca_certs = cert("root-ca.pem");
  auto [ct, st] = blocking_pipe();
  auto server_side = std::async(std::launch::async, [&, t = std::move(st)]() mutable {
    Options so = server;
    so.do_handshake = false;
    auto s = wrap_socket(std::move(t), so);
    try {
      s->do_handshake();
    } catch (const Error&) {
    }
    return s->verify_result();
  });
  Side client = wrap_side(std::move(ct), client_options());
  const VerifyResult v = server_side.get();
  EXPECT_EQ(v.failure, ErrorKind::peer_cert_missing);
  EXPECT_FALSE(v.verified());
}

}  // namespace
}  // namespace ussl::test
