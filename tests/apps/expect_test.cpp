// --expect: the grammar, each operator, path checking, and the new date fields.
#include "common/expect.hpp"

#include <gtest/gtest.h>

namespace ussl::apps {
namespace {

const Json& report() {
  static const Json j = Json::parse(R"({
    "ok": true, "error": null, "exit_code": 0,
    "tls": {"version": "TLSv1.2", "cipher": "TLS_AES_128_GCM_SHA256", "group": "X25519MLKEM768"},
    "peer_certificate": {"subject": "CN=localhost", "days_left": 20.5, "san": ["DNS:localhost", "DNS:a.ussl.test"]},
    "peer_chain": [{"subject": "CN=localhost"}, {"subject": "CN=ussl Test Intermediate CA"}],
    "bytes": {"sent": 4, "received": 4.0},
    "alpn": null, "resumed": false, "connections": []})");
  return j;
}

ExpectationResult check(const std::string& spec) { return evaluate({parse_expectation(spec)}, report()).front(); }

TEST(ExpectParser, SplitsFieldOperatorAndValueAtTheFirstOperator) {
  const auto e = parse_expectation("peer_certificate.subject=CN=localhost");
  EXPECT_EQ(e.field, "peer_certificate.subject");
  EXPECT_EQ(e.op, ExpectOp::eq);
  EXPECT_EQ(e.expected, "CN=localhost");
}

TEST(ExpectParser, ReadsEveryOperatorWithOrWithoutSpaces) {
  const std::pair<std::string, ExpectOp> cases[] = {
      {"bytes.sent!=3", ExpectOp::ne},         {"bytes.sent<5", ExpectOp::lt},
      {"bytes.sent<=4", ExpectOp::le},         {"bytes.sent>3", ExpectOp::gt},
      {"bytes.sent>=4", ExpectOp::ge},         {"tls.cipher~AES", ExpectOp::match},
      {"bytes.sent in 3,4", ExpectOp::in},     {"bytes.sent >= 4", ExpectOp::ge},
      {"tls.version = TLSv1.2", ExpectOp::eq}, {"tls.group ~ MLKEM", ExpectOp::match},
      {"bytes.sent\tin\t4", ExpectOp::in},
  };
  for (const auto& [spec, op] : cases) {
    const auto e = parse_expectation(spec);
    EXPECT_EQ(e.op, op) << spec;
    EXPECT_TRUE(check(spec).ok) << spec;
  }
  EXPECT_EQ(parse_expectation("bytes.sent >= 4").expected, "4");
  EXPECT_EQ(parse_expectation("tls.version in TLSv1.2,TLSv1.3").list, (std::vector<std::string>{"TLSv1.2", "TLSv1.3"}));
}

TEST(ExpectParser, RejectsASpecWithoutAnOperatorNamingTheOperators) {
  EXPECT_NE(check_expectation_spec("tls.version").find("OP one of =, !=, <, <=, >, >=, ~, in"), std::string::npos);
  EXPECT_NE(check_expectation_spec("tls.version TLSv1.3").find("OP one of"), std::string::npos);
  EXPECT_NE(check_expectation_spec("=TLSv1.3").find("FIELD must start the spec"), std::string::npos);
  EXPECT_NE(check_expectation_spec("tls..version=x").find("empty path segment"), std::string::npos);
  EXPECT_THROW(parse_expectation("tls.version"), Error);
}

TEST(ExpectParser, RejectsAnOrderingWhoseValueIsNeitherNumberNorTlsVersion) {
  EXPECT_EQ(check_expectation_spec("peer_certificate.days_left>=abc"),
            "'>=' needs a number or a TLS version (SSLv3, TLSv1.0 ... TLSv1.3), got 'abc' in "
            "'peer_certificate.days_left>=abc'");
  EXPECT_NE(check_expectation_spec("tls.version<TLSv1.4").find("got 'TLSv1.4'"), std::string::npos);
  EXPECT_EQ(check_expectation_spec("tls.version>=TLSv1.2"), "");
  EXPECT_EQ(check_expectation_spec("bytes.sent>-1.5e3"), "");
}

TEST(ExpectParser, RejectsAnInvalidRegularExpressionWithRe2sReason) {
  EXPECT_EQ(check_expectation_spec("tls.cipher~(AES"),
            "'~' needs a regular expression (RE2 syntax): missing ): (AES in 'tls.cipher~(AES'");
}

TEST(ExpectParser, RejectsAnEmptyInList) {
  EXPECT_EQ(check_expectation_spec("tls.version in "),
            "'in' needs a comma-separated list of values in 'tls.version in '");
}

TEST(ExpectEvaluation, EqualityComparesTextAndNumbersAsBefore) {
  EXPECT_TRUE(check("bytes.received=4").ok);
  EXPECT_TRUE(check("bytes.sent=4.0").ok);
  EXPECT_TRUE(check("alpn=null").ok);
  EXPECT_TRUE(check("resumed=false").ok);
  EXPECT_FALSE(check("tls.version=tlsv1.2").ok);
  EXPECT_TRUE(check("alpn!=h2").ok);
  EXPECT_FALSE(check("tls.version!=TLSv1.2").ok);
}

TEST(ExpectEvaluation, OrderingsCompareNumbers) {
  EXPECT_TRUE(check("peer_certificate.days_left>=20.5").ok);
  EXPECT_TRUE(check("peer_certificate.days_left>20").ok);
  EXPECT_FALSE(check("peer_certificate.days_left>=21").ok);
  EXPECT_TRUE(check("peer_certificate.days_left<21").ok);
  EXPECT_FALSE(check("peer_certificate.days_left<20.5").ok);
  EXPECT_TRUE(check("peer_certificate.days_left<=20.5").ok);
}

TEST(ExpectEvaluation, OrderingsCompareTlsVersionsInProtocolOrder) {
  EXPECT_TRUE(check("tls.version>=TLSv1.2").ok);
  EXPECT_FALSE(check("tls.version>=TLSv1.3").ok);
  EXPECT_TRUE(check("tls.version>TLSv1.1").ok);
  EXPECT_TRUE(check("tls.version<TLSv1.3").ok);
  EXPECT_FALSE(check("tls.cipher>=TLSv1.2").ok);  // not a version: never holds
  EXPECT_FALSE(check("alpn<5").ok);               // null is not a number
}

TEST(ExpectEvaluation, MatchIsAnUnanchoredRe2Search) {
  EXPECT_TRUE(check("tls.group~MLKEM").ok);
  EXPECT_TRUE(check("tls.group~^X25519").ok);
  EXPECT_FALSE(check("tls.group~^MLKEM").ok);
  EXPECT_TRUE(check("tls.cipher~^TLS_AES_(128|256)_GCM_SHA(256|384)$").ok);
}

TEST(ExpectEvaluation, MatchAndInOnAnArrayHoldWhenEveryElementMatches) {
  EXPECT_TRUE(check("peer_certificate.san~^DNS:").ok);
  EXPECT_FALSE(check("peer_certificate.san~localhost").ok);
  EXPECT_TRUE(check("peer_certificate.san in DNS:localhost,DNS:a.ussl.test,DNS:b.ussl.test").ok);
  EXPECT_FALSE(check("peer_certificate.san in DNS:localhost").ok);
  EXPECT_TRUE(check("connections~x").ok);  // no element fails
}

TEST(ExpectEvaluation, InHoldsForAnyListedValueAndEqualNumbers) {
  EXPECT_TRUE(check("tls.version in TLSv1.2,TLSv1.3").ok);
  EXPECT_FALSE(check("tls.version in TLSv1.3").ok);
  EXPECT_TRUE(check("bytes.received in 3,4").ok);
}

TEST(ExpectEvaluation, AMissingPathNeverHoldsWhateverTheOperator) {
  for (const std::string spec : {"tls.nothing=x", "tls.nothing!=x", "peer_chain.5.subject~.", "tls.nothing>=1"}) {
    const auto r = check(spec);
    EXPECT_FALSE(r.ok) << spec;
    EXPECT_EQ(r.actual, "<missing>") << spec;
  }
}

TEST(ExpectEvaluation, DescribesEqualityAsBeforeAndOtherOperatorsWithTheirSign) {
  EXPECT_EQ(describe(check("tls.version=TLSv1.3")), "FAILED  tls.version: expected 'TLSv1.3', actual 'TLSv1.2'");
  EXPECT_EQ(describe(check("tls.version=TLSv1.2")), "ok      tls.version = TLSv1.2");
  EXPECT_EQ(describe(check("peer_certificate.days_left >= 21")),
            "FAILED  peer_certificate.days_left: expected >= 21, actual '20.5'");
  EXPECT_EQ(describe(check("tls.version in TLSv1.2,TLSv1.3")), "ok      tls.version in TLSv1.2,TLSv1.3");
  const Json j = expectations_json({check("bytes.sent<5")});
  EXPECT_EQ(j.dump(), R"([{"field":"bytes.sent","expected":"5","actual":"4","ok":true,"op":"<"}])");
}

TEST(ExpectPaths, AnUnknownFieldIsNamedWithTheKeysKnownThere) {
  EXPECT_EQ(check_paths({parse_expectation("tls.grop=X25519")}, report()),
            "--expect: unknown field 'tls.grop' in 'tls.grop': tls has version, cipher, group");
  EXPECT_EQ(check_paths({parse_expectation("nope=1")}, report()),
            "--expect: unknown field 'nope' in 'nope': the report has ok, error, exit_code, tls, peer_certificate, "
            "peer_chain, bytes, alpn, resumed, connections");
}

TEST(ExpectPaths, ArraysTakeAnyIndexAndCheckTheElementShape) {
  EXPECT_EQ(check_paths({parse_expectation("peer_chain.7.subject=x")}, report()), "");
  EXPECT_EQ(check_paths({parse_expectation("peer_chain.0.subjekt=x")}, report()),
            "--expect: unknown field 'peer_chain.0.subjekt' in 'peer_chain.0.subjekt': peer_chain.0 has subject");
  EXPECT_EQ(check_paths({parse_expectation("peer_chain.first=x")}, report()),
            "--expect: 'peer_chain' is an array: address its elements by index (peer_chain.0), not 'first'");
  EXPECT_EQ(check_paths({parse_expectation("connections.3.resumed=true")}, report()), "");
}

TEST(ExpectPaths, AValueHasNoFields) {
  EXPECT_EQ(check_paths({parse_expectation("tls.version.major=3")}, report()),
            "--expect: 'tls.version' is a value, it has no field 'major' (in 'tls.version.major')");
}

TEST(ExpectVersions, RanksTlsVersionsInProtocolOrder) {
  EXPECT_LT(*tls_version_rank("SSLv3"), *tls_version_rank("TLSv1"));
  EXPECT_EQ(*tls_version_rank("TLSv1"), *tls_version_rank("TLSv1.0"));
  EXPECT_LT(*tls_version_rank("TLSv1.2"), *tls_version_rank("TLSv1.3"));
  EXPECT_FALSE(tls_version_rank("TLSv1.4"));
  EXPECT_FALSE(tls_version_rank("1.3"));
}

TEST(ReportDates, DaysLeftIsFractionalAndNegativeOnceExpired) {
  CertificateInfo cert;
  cert.not_before_epoch = 1'000'000;
  cert.not_after_epoch = 1'000'000 + 90 * 86400;
  EXPECT_DOUBLE_EQ(lifetime_days(cert), 90.0);
  EXPECT_DOUBLE_EQ(days_left(cert, 1'000'000 + 43200), 89.5);
  EXPECT_DOUBLE_EQ(days_left(cert, 1'000'000 + 91 * 86400), -1.0);
  CertificateInfo intermediate = cert;
  intermediate.not_after_epoch = 1'000'000 + 30 * 86400;
  EXPECT_EQ(chain_min_days_left({cert, intermediate}, 1'000'000).get<double>(), 30.0);
  EXPECT_TRUE(chain_min_days_left({}, 1'000'000).is_null());
}

}  // namespace
}  // namespace ussl::apps
