// The typed command-line edges (apps/common/cli.cpp) and the error-kind ->
// exit-code table (apps/common/exit_codes.cpp): no network, no files.
#include "common/cli.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/exit_codes.hpp"

namespace ussl::apps {
namespace {

// Parses `args` (after the program name) into flags of the shared TLS set;
// returns CLI11's error message, or "" when the line parsed.
std::string parse_tls(TlsFlags& flags, std::vector<std::string> args, bool server = false) {
  CLI::App app{"test", "ussl-test"};
  add_tls_flags(app, flags, server);
  std::vector<std::string> argv_text{"ussl-test"};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_text) argv.push_back(arg.data());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return {};
}

TEST(TypedFlags, CertReqsDefaultsToNone) {
  TlsFlags flags;
  EXPECT_EQ(parse_tls(flags, {}), "");
  EXPECT_EQ(flags.cert_reqs, CertReqs::none);
}

TEST(TypedFlags, CertReqsNamesBindToTheEnum) {
  for (const auto& [name, value] : cert_reqs_names()) {
    TlsFlags flags;
    EXPECT_EQ(parse_tls(flags, {"--cert-reqs", name}), "") << name;
    EXPECT_EQ(flags.cert_reqs, value) << name;
  }
}

TEST(TypedFlags, AnUnknownCertReqsIsRejectedWithTheAllowedValues) {
  TlsFlags flags;
  EXPECT_EQ(parse_tls(flags, {"--cert-reqs", "maybe"}), "--cert-reqs: maybe not in {none,optional,required}");
}

TEST(TypedFlags, CertReqsDoesNotTakeTheEnumsNumbers) {
  TlsFlags flags;
  EXPECT_EQ(parse_tls(flags, {"--cert-reqs", "2"}), "--cert-reqs: 2 not in {none,optional,required}");
}

TEST(TypedFlags, CrlCheckNamesBindToTheEnum) {
  TlsFlags flags;
  EXPECT_EQ(parse_tls(flags, {"--crl-check", "chain"}), "");
  EXPECT_EQ(flags.crl_check, CrlCheck::chain);
  EXPECT_EQ(parse_tls(flags, {"--crl-check", "all"}), "--crl-check: all not in {leaf,chain}");
}

TEST(TypedFlags, VersionsAreAcceptedInEverySpelling) {
  const std::vector<std::pair<std::string, TlsVersion>> spellings{
      {"1.0", TlsVersion::tls1_0},     {"TLSv1", TlsVersion::tls1_0},   {"tlsv1.1", TlsVersion::tls1_1},
      {"1.2", TlsVersion::tls1_2},     {"TLSv1.2", TlsVersion::tls1_2}, {"1.3", TlsVersion::tls1_3},
      {"TLSV1.3", TlsVersion::tls1_3},
  };
  for (const auto& [text, version] : spellings) {
    TlsFlags flags;
    EXPECT_EQ(parse_tls(flags, {"--min-version", text}), "") << text;
    EXPECT_EQ(flags.min_version, version) << text;
  }
}

TEST(TypedFlags, AVersionPinSetsOnlyThePin) {
  TlsFlags flags;
  EXPECT_EQ(parse_tls(flags, {"--tls-version", "1.3"}), "");
  EXPECT_EQ(flags.tls_version, TlsVersion::tls1_3);
  EXPECT_FALSE(flags.min_version.has_value());
  EXPECT_FALSE(flags.max_version.has_value());
}

TEST(TypedFlags, AnUnknownVersionIsRejectedWithTheAcceptedSpellings) {
  TlsFlags flags;
  EXPECT_EQ(parse_tls(flags, {"--max-version", "1.4"}),
            "--max-version: expected 1.0, 1.1, 1.2 or 1.3 (also TLSv1.0 ... TLSv1.3), got '1.4'");
}

TEST(TypedFlags, HelpShowsTheAllowedValues) {
  TlsFlags flags;
  CLI::App app{"test", "ussl-test"};
  add_tls_flags(app, flags, /*server=*/true);
  const std::string help = app.help();
  EXPECT_NE(help.find("--cert-reqs TEXT:{none,optional,required}=none"), std::string::npos) << help;
  EXPECT_NE(help.find("--crl-check TEXT:{leaf,chain}=leaf"), std::string::npos) << help;
  EXPECT_NE(help.find("--min-version VERSION:{1.0,1.1,1.2,1.3}"), std::string::npos) << help;
}

TEST(SniSpec, AWellFormedSpecSplitsIntoNameCertificateAndKey) {
  EXPECT_EQ(check_sni_spec("a.example:a.pem:a.key"), "");
  const SniCertificate sni = parse_sni("a.example:dir/a.pem:a.key");
  EXPECT_EQ(sni.name, "a.example");
  EXPECT_EQ(sni.certfile, "dir/a.pem");
  EXPECT_EQ(sni.keyfile, "a.key");
}

TEST(SniSpec, ASpecWithoutTwoColonsIsRejected) {
  EXPECT_EQ(check_sni_spec("nocolons"), "expected NAME:CERTFILE:KEYFILE, got 'nocolons'");
  EXPECT_EQ(check_sni_spec("a::b"), "NAME, CERTFILE and KEYFILE must not be empty in 'a::b'");
}

TEST(ExitCodes, EveryKindHasItsDocumentedCode) {
  EXPECT_EQ(exit_code_for(ErrorKind::connection_refused, Phase::connect), kExitConnectFailed);
  EXPECT_EQ(exit_code_for(ErrorKind::proxy_failed, Phase::connect), kExitConnectFailed);
  EXPECT_EQ(exit_code_for(ErrorKind::cert_expired, Phase::handshake), kExitVerifyFailed);
  EXPECT_EQ(exit_code_for(ErrorKind::bad_file, Phase::setup), kExitUsage);
  EXPECT_EQ(exit_code_for(ErrorKind::closed, Phase::data), kExitInternal);
  EXPECT_EQ(exit_code_for(ErrorKind::timeout, Phase::data), kExitTimeout);
  EXPECT_EQ(exit_code_for(ErrorKind::starttls_injection, Phase::setup), kExitStarttlsFailed);
}

TEST(ExitCodes, AResetIsAHandshakeFailureBeforeAndAnIoErrorAfterTheHandshake) {
  EXPECT_EQ(exit_code_for(ErrorKind::connection_reset, Phase::handshake), kExitHandshakeFailed);
  EXPECT_EQ(exit_code_for(ErrorKind::connection_reset, Phase::data), kExitIoError);
}

TEST(ExitCodes, AHandshakeAlertAfterTheHandshakeIsStillAHandshakeFailure) {
  EXPECT_EQ(exit_code_for(ErrorKind::alert_received, Phase::data, 116), kExitHandshakeFailed);  // certificate_required
  EXPECT_EQ(exit_code_for(ErrorKind::alert_received, Phase::data, 0), kExitIoError);            // close_notify
}

}  // namespace
}  // namespace ussl::apps
