// Addresses as people type them (apps/common/address.cpp): no network.
#include "common/address.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "support.hpp"
#include "ussl/error.hpp"

namespace ussl::apps {
namespace {

TEST(HostPort, ANameWithoutPortHasNoPort) {
  const HostPort hp = parse_host_port("example.com", "--host");
  EXPECT_EQ(hp.host, "example.com");
  EXPECT_FALSE(hp.port.has_value());
}

TEST(HostPort, ANameWithPortIsSplitAtTheColon) {
  const HostPort hp = parse_host_port("localhost:4433", "--host");
  EXPECT_EQ(hp.host, "localhost");
  EXPECT_EQ(hp.port, 4433);
}

TEST(HostPort, AnIpv4LiteralWithPortIsSplit) {
  const HostPort hp = parse_host_port("127.0.0.1:443", "--host");
  EXPECT_EQ(hp.host, "127.0.0.1");
  EXPECT_EQ(hp.port, 443);
}

TEST(HostPort, ABracketedIpv6LiteralWithPortIsUnbracketed) {
  const HostPort hp = parse_host_port("[::1]:8443", "--host");
  EXPECT_EQ(hp.host, "::1");
  EXPECT_EQ(hp.port, 8443);
}

TEST(HostPort, ABracketedIpv6LiteralWithoutPortHasNoPort) {
  const HostPort hp = parse_host_port("[2001:db8::1]", "--host");
  EXPECT_EQ(hp.host, "2001:db8::1");
  EXPECT_FALSE(hp.port.has_value());
}

TEST(HostPort, ABareIpv6LiteralIsNeverSplitIntoAPort) {
  const HostPort hp = parse_host_port("2001:db8::443", "--host");
  EXPECT_EQ(hp.host, "2001:db8::443");
  EXPECT_FALSE(hp.port.has_value());
}

TEST(HostPort, APortOutOfRangeIsAUsageErrorNamingTheFlag) {
  try {
    parse_host_port("localhost:70000", "--host");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_EQ(e.message(), "--host: port '70000' is not a number from 1 to 65535 in 'localhost:70000'");
  }
}

TEST(HostPort, MalformedValuesAreUsageErrors) {
  for (const char* text :
       {"", ":443", "localhost:", "localhost:0", "localhost:x1", "[::1", "[::1]x", "[]:443", "[::1]:"}) {
    EXPECT_EQ(kind_of([&] { parse_host_port(text, "--host"); }), ErrorKind::usage) << text;
  }
}

TEST(HostPort, JoinBracketsIpv6Only) {
  EXPECT_EQ(join_host_port("::1", 443), "[::1]:443");
  EXPECT_EQ(join_host_port("example.com", 443), "example.com:443");
}

TEST(Localhost, LocalhostAndNamesUnderItAreLoopbackInAnyCase) {
  for (const char* name : {"localhost", "LOCALHOST", "localhost.", "a.localhost", "x.y.LocalHost."})
    EXPECT_TRUE(is_localhost_name(name)) << name;
}

TEST(Localhost, OtherNamesAreNotLoopback) {
  for (const char* name :
       {"localhost.example", "notlocalhost", ".localhost", "a..localhost", "localhostx", "", "127.0.0.1"})
    EXPECT_FALSE(is_localhost_name(name)) << name;
}

TEST(Localhost, LoopbackAddressesAreIpv4ThenIpv6) {
  EXPECT_EQ(localhost_addresses(), (std::vector<std::string>{"127.0.0.1", "::1"}));
}

TEST(Target, APortInTheHostIsUsedWhenNoPortFlagIsGiven) {
  const Target t = target_from("localhost:4433", std::nullopt, 443, "");
  EXPECT_EQ(t.host, "localhost");
  EXPECT_EQ(t.port, 4433);
  EXPECT_EQ(t.connect_host, "localhost");
  EXPECT_EQ(t.connect_port, 4433);
  EXPECT_FALSE(t.redirected);
}

TEST(Target, TheDefaultPortAppliesWhenNeitherNamesOne) {
  EXPECT_EQ(target_from("example.com", std::nullopt, 443, "").port, 443);
  EXPECT_EQ(target_from("example.com", 8443, 443, "").port, 8443);
}

TEST(Target, AnAgreeingPortFlagIsAccepted) { EXPECT_EQ(target_from("[::1]:4433", 4433, 443, "").port, 4433); }

TEST(Target, AContradictingPortFlagIsAUsageError) {
  try {
    target_from("localhost:4433", 5555, 443, "");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_EQ(e.message(), "--port 5555 contradicts the port in --host 'localhost:4433'");
  }
}

TEST(Target, ConnectToChangesOnlyWhereTheConnectionGoes) {
  const Target t = target_from("example.com", std::nullopt, 443, "127.0.0.1:8443");
  EXPECT_EQ(t.host, "example.com");
  EXPECT_EQ(t.port, 443);
  EXPECT_EQ(t.connect_host, "127.0.0.1");
  EXPECT_EQ(t.connect_port, 8443);
  EXPECT_TRUE(t.redirected);
}

TEST(Target, ConnectToWithoutPortKeepsTheTargetPort) {
  const Target t = target_from("example.com:993", std::nullopt, 443, "[::1]");
  EXPECT_EQ(t.connect_host, "::1");
  EXPECT_EQ(t.connect_port, 993);
}

TEST(Target, AMalformedConnectToIsAUsageErrorNamingTheFlag) {
  try {
    target_from("example.com", std::nullopt, 443, "127.0.0.1:99999");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_EQ(e.message().rfind("--connect-to: ", 0), 0U) << e.message();
  }
}

}  // namespace
}  // namespace ussl::apps
