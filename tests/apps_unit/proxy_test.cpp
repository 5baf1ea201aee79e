// Proxy URLs, curl's environment rules, and the escaping of network text
// (apps/common/proxy.cpp, text.cpp): no network.
#include "common/proxy.hpp"

#include <gtest/gtest.h>

#include <map>

#include "common/text.hpp"
#include "ussl/error.hpp"

namespace ussl::apps {
namespace {

TEST(ProxyUrl, AnHttpUrlWithCredentialsIsSplitAndDecoded) {
  const ProxySpec p = parse_proxy_url("http://al%40ice:s3cr%3At@127.0.0.1:3128/", "--proxy");
  EXPECT_EQ(p.scheme, ProxySpec::Scheme::http);
  EXPECT_EQ(p.host, "127.0.0.1");
  EXPECT_EQ(p.port, 3128);
  EXPECT_EQ(p.user, "al@ice");
  EXPECT_EQ(p.password, "s3cr:t");
}

TEST(ProxyUrl, TheDisplayedUrlNeverHoldsThePassword) {
  EXPECT_EQ(parse_proxy_url("socks5h://bob:pw@[::1]:1080", "--proxy").display_url(), "socks5h://bob@[::1]:1080");
}

TEST(ProxyUrl, WithoutSchemeItIsHttpAndThePortDefaultsTo1080) {
  const ProxySpec p = parse_proxy_url("proxy.example", "--proxy");
  EXPECT_EQ(p.scheme, ProxySpec::Scheme::http);
  EXPECT_EQ(p.port, 1080);
  EXPECT_FALSE(p.user.has_value());
}

TEST(ProxyUrl, AnUnsupportedSchemeIsAUsageErrorNamingIt) {
  try {
    parse_proxy_url("ftp://x:1", "--proxy");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_EQ(e.message(), "--proxy: unsupported proxy scheme 'ftp' (http:// or socks5h://)");
  }
}

TEST(ProxyUrl, APathOrABadPortIsAUsageError) {
  for (const char* url : {"http://h:1/path", "http://h:0", "http://h:x", "http://", "socks5h://u:p@"}) {
    EXPECT_THROW(parse_proxy_url(url, "--proxy"), Error) << url;
  }
}

TEST(NoProxy, MatchesTheHostItsDomainsAndTheWildcard) {
  EXPECT_TRUE(no_proxy_matches("example.com", "www.example.com"));
  EXPECT_TRUE(no_proxy_matches(".example.com", "www.example.com"));
  EXPECT_TRUE(no_proxy_matches("other, EXAMPLE.com", "example.com"));
  EXPECT_TRUE(no_proxy_matches("*", "anything"));
  EXPECT_TRUE(no_proxy_matches("127.0.0.1", "127.0.0.1"));
  EXPECT_TRUE(no_proxy_matches("[::1]", "::1"));
}

TEST(NoProxy, DoesNotMatchOtherHostsOrMereSuffixes) {
  EXPECT_FALSE(no_proxy_matches("example.com", "badexample.com"));
  EXPECT_FALSE(no_proxy_matches("www.example.com", "example.com"));
  EXPECT_FALSE(no_proxy_matches("", "example.com"));
  EXPECT_FALSE(no_proxy_matches("127.0.0.1", "127.0.0.10"));
}

class FakeEnvironment {
 public:
  explicit FakeEnvironment(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}
  std::function<const char*(const char*)> getenv() const {
    return [this](const char* name) -> const char* {
      const auto it = vars_.find(name);
      return it == vars_.end() ? nullptr : it->second.c_str();
    };
  }

 private:
  std::map<std::string, std::string> vars_;
};

TEST(ProxyEnvironment, LowercaseHttpsProxyWinsOverUppercaseAndAllProxy) {
  const FakeEnvironment env(
      {{"https_proxy", "http://a:1"}, {"HTTPS_PROXY", "http://b:2"}, {"ALL_PROXY", "http://c:3"}});
  const auto p = proxy_from_environment("example.com", env.getenv());
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->host, "a");
  EXPECT_EQ(p->source, "https_proxy");
}

TEST(ProxyEnvironment, AllProxyIsUsedWhenNoHttpsProxyIsSet) {
  const FakeEnvironment env(std::map<std::string, std::string>{{"ALL_PROXY", "socks5h://c:3"}});
  const auto p = proxy_from_environment("example.com", env.getenv());
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->scheme, ProxySpec::Scheme::socks5h);
  EXPECT_EQ(p->source, "ALL_PROXY");
}

TEST(ProxyEnvironment, NoProxyNamingTheHostMeansNoProxy) {
  const FakeEnvironment env({{"HTTPS_PROXY", "http://b:2"}, {"NO_PROXY", "localhost,.example.com"}});
  EXPECT_FALSE(proxy_from_environment("www.example.com", env.getenv()).has_value());
  EXPECT_TRUE(proxy_from_environment("example.org", env.getenv()).has_value());
}

TEST(ProxyEnvironment, NothingSetMeansNoProxy) {
  const FakeEnvironment env(std::map<std::string, std::string>{});
  EXPECT_FALSE(proxy_from_environment("example.com", env.getenv()).has_value());
}

TEST(ClipNetwork, TextIsKeptAsReceivedForTheOutputToEscapeOnce) {
  EXPECT_EQ(clip_network("220 ok\r\n"), "220 ok\r\n");
  EXPECT_EQ(clip_network(std::string("a\0b\xff", 4)), std::string("a\0b\xff", 4));
  // One escaping, at output: escape_text (human report, logs).
  EXPECT_EQ(escape_text(clip_network("\x1b[31mred")), "\\x1b[31mred");
}

TEST(ClipNetwork, LongTextIsCutAndSaysHowMuchWasLeftOut) {
  EXPECT_EQ(clip_network(std::string(10, 'x'), 4), "xxxx...(+6 bytes)");
}

}  // namespace
}  // namespace ussl::apps
