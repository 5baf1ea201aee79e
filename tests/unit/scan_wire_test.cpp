// The scan's hand-built ClientHellos and its parser of the server's answer:
// byte-exact encodings and every answer kind, without a network.
#include <gtest/gtest.h>

#include <initializer_list>

#include "client/scan/wire.hpp"

namespace ussl::apps::scan {
namespace {

Bytes u16(unsigned v) { return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}; }

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes record(std::uint8_t type, const Bytes& payload, unsigned version = 0x0303) {
  return cat({{type}, u16(version), u16(static_cast<unsigned>(payload.size())), payload});
}

Bytes handshake(std::uint8_t type, const Bytes& body) {
  return cat({{type, 0, static_cast<std::uint8_t>(body.size() >> 8), static_cast<std::uint8_t>(body.size())}, body});
}

Bytes extension(unsigned type, const Bytes& data) {
  return cat({u16(type), u16(static_cast<unsigned>(data.size())), data});
}

Bytes server_hello_body(unsigned version, unsigned suite, const Bytes& extensions, bool hrr = false) {
  Bytes random(32, 0x11);
  if (hrr) {
    random = {0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
              0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};
  }
  return cat({u16(version), random, {0}, u16(suite), {0}, u16(static_cast<unsigned>(extensions.size())), extensions});
}

// The extensions of an encoded ClientHello message, type -> data.
std::vector<std::pair<unsigned, Bytes>> extensions_of(const Bytes& msg) {
  std::size_t pos = 4 + 2 + 32;
  pos += 1 + msg[pos];
  pos += 2 + ((msg[pos] << 8) | msg[pos + 1]);
  pos += 1 + msg[pos];
  const std::size_t end = pos + 2 + ((msg[pos] << 8) | msg[pos + 1]);
  pos += 2;
  std::vector<std::pair<unsigned, Bytes>> out;
  while (pos < end) {
    const unsigned type = (msg[pos] << 8) | msg[pos + 1];
    const std::size_t len = (msg[pos + 2] << 8) | msg[pos + 3];
    out.emplace_back(type, Bytes(msg.begin() + static_cast<std::ptrdiff_t>(pos + 4),
                                 msg.begin() + static_cast<std::ptrdiff_t>(pos + 4 + len)));
    pos += 4 + len;
  }
  EXPECT_EQ(pos, end);
  EXPECT_EQ(end, msg.size());
  return out;
}

const Bytes* find_extension(const std::vector<std::pair<unsigned, Bytes>>& exts, unsigned type) {
  for (const auto& [t, d] : exts) {
    if (t == type) return &d;
  }
  return nullptr;
}

TEST(ScanWire, Tls12HelloCarriesTheOfferedSuitesGroupsSignatureSchemesAndSni) {
  HelloSpec spec;
  spec.suites = {0xC02F, 0x009C};
  spec.groups = {0x001D, 0x0017};
  spec.sigalgs = {0x0804};
  spec.sni = "example.com";
  spec.session_id_length = 0;
  const Bytes msg = encode_client_hello_message(spec);
  ASSERT_EQ(msg[0], 1);
  EXPECT_EQ(static_cast<std::size_t>((msg[1] << 16) | (msg[2] << 8) | msg[3]), msg.size() - 4);
  EXPECT_EQ(msg[4], 0x03);
  EXPECT_EQ(msg[5], 0x03);
  EXPECT_EQ(msg[38], 0);  // session id length
  EXPECT_EQ(Bytes(msg.begin() + 39, msg.begin() + 45), (Bytes{0, 4, 0xC0, 0x2F, 0x00, 0x9C}));
  const auto exts = extensions_of(msg);
  ASSERT_NE(find_extension(exts, 0), nullptr);
  EXPECT_EQ(*find_extension(exts, 0),
            cat({u16(14), {0}, u16(11), Bytes{'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm'}}));
  EXPECT_EQ(*find_extension(exts, 10), (Bytes{0, 4, 0x00, 0x1D, 0x00, 0x17}));
  EXPECT_EQ(*find_extension(exts, 13), (Bytes{0, 2, 0x08, 0x04}));
  EXPECT_NE(find_extension(exts, 23), nullptr);      // extended_master_secret
  EXPECT_NE(find_extension(exts, 0xff01), nullptr);  // renegotiation_info
  EXPECT_EQ(find_extension(exts, 43), nullptr);      // no supported_versions below TLS 1.3
}

TEST(ScanWire, Tls13HelloSendsSupportedVersionsAndAValidX25519Share) {
  HelloSpec spec;
  spec.suites = {0x1301};
  spec.supported_versions = {kTls13};
  spec.groups = {0x001D};
  spec.key_shares = {0x001D};
  const Bytes msg = encode_client_hello_message(spec);
  const auto exts = extensions_of(msg);
  EXPECT_EQ(*find_extension(exts, 43), (Bytes{2, 0x03, 0x04}));
  const Bytes* share = find_extension(exts, 51);
  ASSERT_NE(share, nullptr);
  ASSERT_EQ(share->size(), 2u + 2 + 2 + 32);
  EXPECT_EQ(Bytes(share->begin(), share->begin() + 6), (Bytes{0, 36, 0x00, 0x1D, 0, 32}));
  EXPECT_EQ((*share)[6], 9);  // the base point u = 9
}

TEST(ScanWire, EmptyKeyShareListIsSentWhenAskedFor) {
  HelloSpec spec;
  spec.suites = {0x1301};
  spec.supported_versions = {kTls13};
  spec.key_share_extension = true;
  const auto exts = extensions_of(encode_client_hello_message(spec));
  EXPECT_EQ(*find_extension(exts, 51), (Bytes{0, 0}));
}

TEST(ScanWire, PaddingBringsTheHelloToExactlyTheRequestedSize) {
  HelloSpec spec;
  spec.suites = {0xC02F};
  spec.pad_to = 400;
  EXPECT_EQ(encode_client_hello_message(spec).size(), 400u);
  spec.pad_to = 1600;
  const Bytes msg = encode_client_hello_message(spec);
  EXPECT_EQ(msg.size(), 1600u);
  EXPECT_NE(find_extension(extensions_of(msg), 21), nullptr);
}

TEST(ScanWire, SplitHelloIsTwoHandshakeRecordsThatConcatenateToTheMessage) {
  HelloSpec spec;
  spec.suites = {0xC02F, 0xC030};
  spec.split_at = 50;
  const Bytes msg = encode_client_hello_message(spec);
  const Bytes wire = encode_client_hello(spec);
  ASSERT_EQ(wire.size(), msg.size() + 10);
  EXPECT_EQ(Bytes(wire.begin(), wire.begin() + 5), (Bytes{22, 0x03, 0x01, 0, 50}));
  EXPECT_EQ(Bytes(wire.begin() + 55, wire.begin() + 60),
            cat({{22, 0x03, 0x01}, u16(static_cast<unsigned>(msg.size() - 50))}));
  Bytes joined(wire.begin() + 5, wire.begin() + 55);
  joined.insert(joined.end(), wire.begin() + 60, wire.end());
  EXPECT_EQ(joined, msg);
}

TEST(ScanWire, Sslv2HelloUsesTheTwoByteHeaderAndThreeByteCipherSpecs) {
  const Bytes wire = encode_sslv2_hello(kSsl2, {0x010080, 0x0700C0});
  ASSERT_EQ(wire.size(), 2u + 9 + 6 + 16);
  EXPECT_EQ(wire[0], 0x80);
  EXPECT_EQ(wire[1], 9 + 6 + 16);
  EXPECT_EQ(Bytes(wire.begin() + 2, wire.begin() + 17),
            (Bytes{1, 0x00, 0x02, 0, 6, 0, 0, 0, 16, 0x01, 0x00, 0x80, 0x07, 0x00, 0xC0}));
}

TEST(ScanWire, ParsesATls13ServerHelloWithItsVersionSuiteAndKeyShare) {
  const Bytes exts = cat({extension(43, u16(0x0304)), extension(51, cat({u16(0x001D), u16(32), Bytes(32, 7)}))});
  const Bytes wire = record(22, handshake(2, server_hello_body(0x0303, 0x1302, exts)));
  const Answer a = parse_answer(wire, false);
  EXPECT_EQ(a.kind, Answer::Kind::server_hello);
  EXPECT_EQ(a.legacy_version, kTls12);
  EXPECT_EQ(a.version, kTls13);
  EXPECT_EQ(a.suite, 0x1302);
  EXPECT_EQ(a.key_share_group, 0x001D);
  EXPECT_EQ(a.extensions, (std::vector<std::uint16_t>{43, 51}));
}

TEST(ScanWire, RecognisesAHelloRetryRequestAndTheGroupItAsksFor) {
  const Bytes exts = cat({extension(43, u16(0x0304)), extension(51, u16(0x11EC))});
  const Answer a = parse_answer(record(22, handshake(2, server_hello_body(0x0303, 0x1301, exts, true))), false);
  EXPECT_EQ(a.kind, Answer::Kind::hello_retry);
  EXPECT_EQ(a.version, kTls13);
  EXPECT_EQ(a.key_share_group, 0x11EC);
  EXPECT_EQ(group_name(*a.key_share_group), "X25519MLKEM768");
}

TEST(ScanWire, AnAlertBeforeTheServerHelloIsTheAnswer) {
  const Answer a = parse_answer(record(21, {2, 40}), false);
  EXPECT_EQ(a.kind, Answer::Kind::alert);
  EXPECT_EQ(a.alert_level, 2);
  EXPECT_EQ(a.alert, 40);
  EXPECT_EQ(alert_name(a.alert), "handshake_failure");
}

TEST(ScanWire, ReadsTheCurveAndSignatureSchemeOfAServerKeyExchangeSplitAcrossRecords) {
  const Bytes hello = handshake(2, server_hello_body(0x0303, 0xC02F, extension(0xff01, {0})));
  const Bytes cert = handshake(11, Bytes(20, 0));
  const Bytes ske = handshake(12, cat({{3}, u16(0x0017), {65}, Bytes(65, 4), u16(0x0804), u16(4), Bytes(4, 9)}));
  const Bytes flight = cat({hello, cert, ske, handshake(14, {})});
  const Bytes wire = cat(
      {record(22, Bytes(flight.begin(), flight.begin() + 60)), record(22, Bytes(flight.begin() + 60, flight.end()))});
  EXPECT_EQ(parse_answer(Bytes(wire.begin(), wire.begin() + 70), true).kind, Answer::Kind::incomplete);
  const Answer a = parse_answer(wire, true);
  EXPECT_EQ(a.kind, Answer::Kind::server_hello);
  EXPECT_EQ(a.suite, 0xC02F);
  EXPECT_TRUE(a.has_extension(0xff01));
  EXPECT_TRUE(a.key_exchange_seen);
  EXPECT_EQ(a.kx_group, 0x0017);
  EXPECT_EQ(a.kx_sigalg, 0x0804);
}

TEST(ScanWire, ReadsTheDhPrimeSizeOfADheServerKeyExchange) {
  const Bytes hello = handshake(2, server_hello_body(0x0303, 0x009E, {}));
  const Bytes ske = handshake(
      12, cat({u16(256), Bytes(256, 0xff), u16(1), {2}, u16(256), Bytes(256, 3), u16(0x0401), u16(2), {1, 2}}));
  const Answer a = parse_answer(record(22, cat({hello, ske})), true);
  EXPECT_EQ(a.dh_bits, 2048u);
  EXPECT_EQ(a.kx_sigalg, 0x0401);
}

TEST(ScanWire, AnIncompleteServerHelloAsksForMoreBytes) {
  const Bytes wire = record(22, handshake(2, server_hello_body(0x0303, 0xC02F, {})));
  EXPECT_EQ(parse_answer(Bytes(wire.begin(), wire.begin() + 20), false).kind, Answer::Kind::incomplete);
  EXPECT_EQ(parse_answer({}, false).kind, Answer::Kind::incomplete);
}

TEST(ScanWire, BytesThatAreNotTlsAreGarbageNotARefusal) {
  const Bytes http = {'H', 'T', 'T', 'P', '/', '1', '.', '1', ' ', '4', '0', '0'};
  const Answer a = parse_answer(http, false);
  EXPECT_EQ(a.kind, Answer::Kind::garbage);
  EXPECT_EQ(a.garbage_reason, "not a TLS record");
}

TEST(ScanWire, ParsesAnSslv2ServerHelloAndItsCipherSpecs) {
  const Bytes body = cat(
      {{4, 0, 1}, u16(0x0002), u16(3), u16(6), u16(16), {1, 2, 3}, {0x01, 0x00, 0x80, 0x07, 0x00, 0xC0}, Bytes(16, 0)});
  const Bytes wire = cat({u16(0x8000 | static_cast<unsigned>(body.size())), body});
  const Answer a = parse_answer(wire, false);
  EXPECT_EQ(a.kind, Answer::Kind::sslv2_server_hello);
  EXPECT_EQ(a.version, kSsl2);
  EXPECT_EQ(a.sslv2_ciphers, (std::vector<std::uint32_t>{0x010080, 0x0700C0}));
}

TEST(ScanWire, NamesAreIanas) {
  EXPECT_EQ(suite_name(0xC02F), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
  EXPECT_EQ(suite_name(0x1303), "TLS_CHACHA20_POLY1305_SHA256");
  EXPECT_EQ(suite_name(0xFFFF), "0xFFFF");
  EXPECT_EQ(group_name(0x001D), "x25519");
  EXPECT_EQ(sigalg_name(0x0804), "rsa_pss_rsae_sha256");
  EXPECT_EQ(version_name(kTls10), "TLSv1.0");
  for (const auto& s : known_suites()) EXPECT_EQ(suite_info(s.id), &s) << s.name << " appears twice";
}

}  // namespace
}  // namespace ussl::apps::scan
