// The server reads the SNI byte for byte from the ClientHello (wolfSSL keeps
// it as a C string): the record tap and the parser, with no network.
#include "ussl/client_hello.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using Bytes = std::vector<std::uint8_t>;
using ussl::detail::client_hello_host_name;
using ussl::detail::HandshakeTap;
using ussl::detail::valid_host_name;

void put16(Bytes& out, std::size_t n) {
  out.push_back(static_cast<std::uint8_t>(n >> 8));
  out.push_back(static_cast<std::uint8_t>(n));
}

// A minimal ClientHello handshake message with one server_name entry.
Bytes client_hello(const std::string& name) {
  Bytes ext;
  Bytes entry{0};  // host_name
  put16(entry, name.size());
  entry.insert(entry.end(), name.begin(), name.end());
  put16(ext, 0);  // server_name
  put16(ext, entry.size() + 2);
  put16(ext, entry.size());
  ext.insert(ext.end(), entry.begin(), entry.end());
  Bytes body{3, 3};
  body.insert(body.end(), 32, 0xAB);  // random
  body.push_back(0);                  // session id
  put16(body, 2);
  put16(body, 0x1301);
  body.push_back(1);
  body.push_back(0);  // compression
  put16(body, ext.size());
  body.insert(body.end(), ext.begin(), ext.end());
  Bytes msg{1, 0};
  put16(msg, body.size());
  msg.insert(msg.end(), body.begin(), body.end());
  return msg;
}

Bytes records(const Bytes& payload, std::size_t fragment, std::uint8_t type = 22) {
  Bytes out;
  for (std::size_t i = 0; i < payload.size(); i += fragment) {
    const std::size_t n = std::min(fragment, payload.size() - i);
    out.insert(out.end(), {type, 3, 1});
    put16(out, n);
    out.insert(out.end(), payload.begin() + static_cast<std::ptrdiff_t>(i),
               payload.begin() + static_cast<std::ptrdiff_t>(i + n));
  }
  return out;
}

TEST(ClientHelloTest, HostNameWithAnEmbeddedNulIsReadWhole) {
  const std::string name("localhost\0.evil.example", 23);
  EXPECT_EQ(client_hello_host_name(client_hello(name)), name);
}

TEST(ClientHelloTest, TapReassemblesAClientHelloSplitIntoOneByteRecordsFedOneByteAtATime) {
  const Bytes wire = records(client_hello("split.example"), 1);
  HandshakeTap tap;
  for (std::uint8_t b : wire) tap.feed({&b, 1});
  EXPECT_EQ(client_hello_host_name(tap.stream()), "split.example");
}

TEST(ClientHelloTest, TapSkipsChangeCipherSpecAndReadsTheSecondClientHello) {
  Bytes wire = records(client_hello("first.example"), 16384);
  const Bytes ccs = records(Bytes{1}, 1, 20);
  wire.insert(wire.end(), ccs.begin(), ccs.end());
  const Bytes second = records(client_hello("second.example"), 100);
  wire.insert(wire.end(), second.begin(), second.end());
  HandshakeTap tap;
  tap.feed(wire);
  EXPECT_EQ(client_hello_host_name(tap.stream()), "second.example");
}

TEST(ClientHelloTest, TapStopsAtTheFirstRecordThatIsNotPlaintextHandshake) {
  Bytes wire = records(Bytes{1, 2, 3}, 16384, 23);  // application data
  const Bytes hello = records(client_hello("late.example"), 16384);
  wire.insert(wire.end(), hello.begin(), hello.end());
  HandshakeTap tap;
  tap.feed(wire);
  EXPECT_TRUE(tap.stream().empty());
}

TEST(ClientHelloTest, IncompleteOrTruncatedClientHelloGivesNoName) {
  Bytes hello = client_hello("cut.example");
  hello.resize(hello.size() - 3);
  EXPECT_EQ(client_hello_host_name(hello), std::nullopt);
  EXPECT_EQ(client_hello_host_name(Bytes{}), std::nullopt);
}

TEST(ClientHelloTest, HostNamesOfLettersDigitsHyphensDotsAndUnderscoresAreValidAndNothingElse) {
  EXPECT_TRUE(valid_host_name("my_host-01.Example.COM"));
  EXPECT_FALSE(valid_host_name(""));
  EXPECT_FALSE(valid_host_name(std::string("a\0b", 3)));
  EXPECT_FALSE(valid_host_name("\x1b]0;pwned\x07"));
  EXPECT_FALSE(valid_host_name("a b"));
  EXPECT_FALSE(
      valid_host_name("b\xc3\xbc"
                      "cher.example"));
  EXPECT_FALSE(valid_host_name("a/b"));
}

}  // namespace
