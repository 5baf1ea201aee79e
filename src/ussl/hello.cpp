// ClientHello parsing, JA4, and the IANA names of TLS code points.
#include "ussl/hello.hpp"

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iterator>

#include "internal.hpp"

namespace ussl {
namespace {

// Four lower-case hex digits (JA4 writes cipher and extension ids so).
void append_hex4(std::string& out, std::uint16_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kDigits[(value >> shift) & 0xf]);
}

std::string hex4(std::uint16_t value) {
  std::string out;
  append_hex4(out, value);
  return out;
}

std::string unnamed(std::uint16_t value) { return "0x" + hex4(value); }

template <std::size_t N>
std::string lookup(const std::pair<std::uint16_t, std::string_view> (&table)[N], std::uint16_t value) {
  if (is_grease(value)) return "GREASE";
  for (const auto& [id, name] : table) {
    if (id == value) return std::string(name);
  }
  return unnamed(value);
}

// A bounds-checked reader over one message: every read fails (ok = false)
// once past the end, so a malformed message never reads out of bounds.
struct Reader {
  std::span<const std::uint8_t> data;
  std::size_t pos = 0;
  bool ok = true;

  std::size_t left() const { return ok ? data.size() - pos : 0; }
  std::uint32_t uint(std::size_t bytes) {
    if (left() < bytes) {
      ok = false;
      return 0;
    }
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < bytes; ++i) v = (v << 8) | data[pos++];
    return v;
  }
  Reader sub(std::size_t length_bytes) {
    const std::size_t n = uint(length_bytes);
    if (left() < n) {
      ok = false;
      return Reader{{}, 0, false};
    }
    Reader r{data.subspan(pos, n)};
    pos += n;
    return r;
  }
  void skip(std::size_t n) {
    if (left() < n) {
      ok = false;
      return;
    }
    pos += n;
  }
};

std::vector<std::uint16_t> u16_list(Reader r) {
  std::vector<std::uint16_t> out;
  while (r.ok && r.left() >= 2) out.push_back(static_cast<std::uint16_t>(r.uint(2)));
  return out;
}

std::string sha256_12(const std::string& text) {
  unsigned char digest[WC_SHA256_DIGEST_SIZE];
  if (wc_Sha256Hash(reinterpret_cast<const unsigned char*>(text.data()), static_cast<word32>(text.size()), digest) != 0)
    return "000000000000";
  std::string out;
  for (int i = 0; i < 6; ++i) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
    out += buf;
  }
  return out;
}

std::string joined_hex(const std::vector<std::uint16_t>& values) {
  std::string out;
  out.reserve(values.size() * 5);
  for (const auto v : values) {
    if (!out.empty()) out.push_back(',');
    append_hex4(out, v);
  }
  return out;
}

std::vector<std::uint16_t> without_grease(const std::vector<std::uint16_t>& values) {
  std::vector<std::uint16_t> out;
  std::copy_if(values.begin(), values.end(), std::back_inserter(out), [](auto v) { return !is_grease(v); });
  return out;
}

}  // namespace

bool is_grease(std::uint16_t value) noexcept { return (value & 0x0f0f) == 0x0a0a && (value >> 8) == (value & 0xff); }

std::optional<ClientHello> parse_client_hello(std::span<const std::uint8_t> message) {
  Reader msg{message};
  if (msg.uint(1) != 1) return std::nullopt;
  Reader body = msg.sub(3);
  if (!msg.ok || msg.left() != 0) return std::nullopt;
  ClientHello hello;
  hello.size = message.size();
  hello.legacy_version = static_cast<std::uint16_t>(body.uint(2));
  body.skip(32);  // random
  body.sub(1);    // legacy_session_id
  hello.cipher_suites = u16_list(body.sub(2));
  body.sub(1);  // legacy_compression_methods
  if (!body.ok) return std::nullopt;
  if (body.left() == 0) return hello;  // no extensions (TLS 1.2 and older may omit them)
  Reader exts = body.sub(2);
  if (!body.ok || body.left() != 0) return std::nullopt;
  while (exts.ok && exts.left() > 0) {
    const auto type = static_cast<std::uint16_t>(exts.uint(2));
    Reader ext = exts.sub(2);
    if (!exts.ok) return std::nullopt;
    hello.extensions.push_back(type);
    switch (type) {
      case 0: {  // server_name: list of (type, name)
        Reader list = ext.sub(2);
        while (list.ok && list.left() > 0) {
          const auto name_type = list.uint(1);
          Reader name = list.sub(2);
          if (list.ok && name_type == 0 && !hello.sni) hello.sni = std::string(name.data.begin(), name.data.end());
        }
        if (!list.ok) return std::nullopt;
        break;
      }
      case 10:
        hello.groups = u16_list(ext.sub(2));
        break;
      case 13:
        hello.signature_schemes = u16_list(ext.sub(2));
        break;
      case 16: {
        Reader list = ext.sub(2);
        while (list.ok && list.left() > 0) {
          Reader proto = list.sub(1);
          if (list.ok) hello.alpn.emplace_back(proto.data.begin(), proto.data.end());
        }
        if (!list.ok) return std::nullopt;
        break;
      }
      case 43: {
        Reader list = ext.sub(1);
        hello.versions = u16_list(list);
        break;
      }
      case 51: {
        Reader list = ext.sub(2);
        while (list.ok && list.left() > 0) {
          const auto group = static_cast<std::uint16_t>(list.uint(2));
          list.sub(2);
          if (list.ok) hello.key_shares.push_back(group);
        }
        if (!list.ok) return std::nullopt;
        break;
      }
      default:
        break;
    }
    if (!ext.ok) return std::nullopt;
  }
  if (!exts.ok) return std::nullopt;
  return hello;
}

std::string ja4_ciphers_text(const ClientHello& hello) {
  auto ciphers = without_grease(hello.cipher_suites);
  std::sort(ciphers.begin(), ciphers.end());
  return joined_hex(ciphers);
}

std::string ja4_extensions_text(const ClientHello& hello) {
  std::vector<std::uint16_t> exts;
  for (const auto e : without_grease(hello.extensions)) {
    if (e != 0 && e != 16) exts.push_back(e);
  }
  std::sort(exts.begin(), exts.end());
  std::string text = joined_hex(exts);
  const auto schemes = without_grease(hello.signature_schemes);
  if (!schemes.empty()) text += "_" + joined_hex(schemes);
  return text;
}

std::string ja4(const ClientHello& hello) {
  std::uint16_t version = hello.legacy_version;
  const auto versions = without_grease(hello.versions);
  if (!versions.empty()) version = *std::max_element(versions.begin(), versions.end());
  std::string v = "00";
  switch (version) {
    case 0x0304:
      v = "13";
      break;
    case 0x0303:
      v = "12";
      break;
    case 0x0302:
      v = "11";
      break;
    case 0x0301:
      v = "10";
      break;
    case 0x0300:
      v = "s3";
      break;
    default:
      break;
  }
  const auto two = [](std::size_t n) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%02zu", std::min<std::size_t>(n, 99));
    return std::string(buf);
  };
  std::string alpn = "00";
  if (!hello.alpn.empty() && !hello.alpn.front().empty()) {
    const std::string& first = hello.alpn.front();
    const auto f = static_cast<unsigned char>(first.front());
    const auto l = static_cast<unsigned char>(first.back());
    if (std::isalnum(f) && std::isalnum(l)) {
      alpn = {static_cast<char>(f), static_cast<char>(l)};
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "%02x%02x", f, l);
      alpn = {buf[0], buf[3]};  // first hex digit of the first byte, last of the last
    }
  }
  const std::string a = "t" + v + (hello.sni ? "d" : "i") + two(without_grease(hello.cipher_suites).size()) +
                        two(without_grease(hello.extensions).size()) + alpn;
  const std::string ciphers = ja4_ciphers_text(hello);
  const std::string exts = ja4_extensions_text(hello);
  return a + "_" + (ciphers.empty() ? "000000000000" : sha256_12(ciphers)) + "_" +
         (exts.empty() ? "000000000000" : sha256_12(exts));
}

std::string group_name(std::uint16_t group) {
  static constexpr std::pair<std::uint16_t, std::string_view> kNames[] = {
      {21, "secp224r1"},
      {22, "secp256k1"},
      {23, "secp256r1"},
      {24, "secp384r1"},
      {25, "secp521r1"},
      {26, "brainpoolP256r1"},
      {27, "brainpoolP384r1"},
      {28, "brainpoolP512r1"},
      {29, "x25519"},
      {30, "x448"},
      {31, "brainpoolP256r1tls13"},
      {32, "brainpoolP384r1tls13"},
      {33, "brainpoolP512r1tls13"},
      {256, "ffdhe2048"},
      {257, "ffdhe3072"},
      {258, "ffdhe4096"},
      {259, "ffdhe6144"},
      {260, "ffdhe8192"},
      {512, "MLKEM512"},
      {513, "MLKEM768"},
      {514, "MLKEM1024"},
      {4587, "SecP256r1MLKEM768"},
      {4588, "X25519MLKEM768"},
      {4589, "SecP384r1MLKEM1024"},
      {25497, "X25519Kyber768Draft00"},
  };
  return lookup(kNames, group);
}

std::string signature_scheme_name(std::uint16_t scheme) {
  static constexpr std::pair<std::uint16_t, std::string_view> kNames[] = {
      {0x0201, "rsa_pkcs1_sha1"},
      {0x0203, "ecdsa_sha1"},
      {0x0401, "rsa_pkcs1_sha256"},
      {0x0403, "ecdsa_secp256r1_sha256"},
      {0x0501, "rsa_pkcs1_sha384"},
      {0x0503, "ecdsa_secp384r1_sha384"},
      {0x0601, "rsa_pkcs1_sha512"},
      {0x0603, "ecdsa_secp521r1_sha512"},
      {0x0804, "rsa_pss_rsae_sha256"},
      {0x0805, "rsa_pss_rsae_sha384"},
      {0x0806, "rsa_pss_rsae_sha512"},
      {0x0807, "ed25519"},
      {0x0808, "ed448"},
      {0x0809, "rsa_pss_pss_sha256"},
      {0x080a, "rsa_pss_pss_sha384"},
      {0x080b, "rsa_pss_pss_sha512"},
      {0x081a, "ecdsa_brainpoolP256r1tls13_sha256"},
      {0x081b, "ecdsa_brainpoolP384r1tls13_sha384"},
      {0x081c, "ecdsa_brainpoolP512r1tls13_sha512"},
      {0x0904, "mldsa44"},
      {0x0905, "mldsa65"},
      {0x0906, "mldsa87"},
  };
  return lookup(kNames, scheme);
}

std::string cipher_suite_name(std::uint16_t suite) {
  if (is_grease(suite)) return "GREASE";
  const char* name = wolfSSL_get_cipher_name_iana_from_suite(static_cast<unsigned char>(suite >> 8),
                                                             static_cast<unsigned char>(suite & 0xff));
  if (name == nullptr || *name == '\0' || std::string_view(name) == "None") return unnamed(suite);
  return name;
}

std::string version_name(std::uint16_t version) {
  static constexpr std::pair<std::uint16_t, std::string_view> kNames[] = {
      {0x0300, "SSLv3"}, {0x0301, "TLSv1.0"}, {0x0302, "TLSv1.1"}, {0x0303, "TLSv1.2"}, {0x0304, "TLSv1.3"},
  };
  return lookup(kNames, version);
}

std::string extension_name(std::uint16_t type) {
  static constexpr std::pair<std::uint16_t, std::string_view> kNames[] = {
      {0, "server_name"},
      {1, "max_fragment_length"},
      {5, "status_request"},
      {10, "supported_groups"},
      {11, "ec_point_formats"},
      {13, "signature_algorithms"},
      {14, "use_srtp"},
      {15, "heartbeat"},
      {16, "application_layer_protocol_negotiation"},
      {17, "status_request_v2"},
      {18, "signed_certificate_timestamp"},
      {19, "client_certificate_type"},
      {20, "server_certificate_type"},
      {21, "padding"},
      {22, "encrypt_then_mac"},
      {23, "extended_master_secret"},
      {27, "compress_certificate"},
      {28, "record_size_limit"},
      {34, "delegated_credential"},
      {35, "session_ticket"},
      {41, "pre_shared_key"},
      {42, "early_data"},
      {43, "supported_versions"},
      {44, "cookie"},
      {45, "psk_key_exchange_modes"},
      {47, "certificate_authorities"},
      {48, "oid_filters"},
      {49, "post_handshake_auth"},
      {50, "signature_algorithms_cert"},
      {51, "key_share"},
      {57, "quic_transport_parameters"},
      {0x4469, "application_settings_old"},
      {0x44cd, "application_settings"},
      {0xfe0d, "encrypted_client_hello"},
      {0xff01, "renegotiation_info"},
  };
  return lookup(kNames, type);
}

std::span<const GroupInfo> known_groups() {
#if defined(WOLFSSL_HAVE_MLKEM) && defined(WOLFSSL_PQC_HYBRIDS)
  constexpr bool kHybrids = true;
#else
  constexpr bool kHybrids = false;
#endif
#ifdef HAVE_CURVE25519
  constexpr bool kX25519 = true;
#else
  constexpr bool kX25519 = false;
#endif
#ifdef HAVE_CURVE448
  constexpr bool kX448 = true;
#else
  constexpr bool kX448 = false;
#endif
#if defined(HAVE_ECC) && (!defined(NO_ECC256) || defined(HAVE_ALL_CURVES))
  constexpr bool kP256 = true;
#else
  constexpr bool kP256 = false;
#endif
#if defined(HAVE_ECC) && (defined(HAVE_ECC384) || defined(HAVE_ALL_CURVES))
  constexpr bool kP384 = true;
#else
  constexpr bool kP384 = false;
#endif
#if defined(HAVE_ECC) && (defined(HAVE_ECC521) || defined(HAVE_ALL_CURVES))
  constexpr bool kP521 = true;
#else
  constexpr bool kP521 = false;
#endif
#if !defined(NO_DH) && defined(HAVE_FFDHE_2048)
  constexpr bool kFf2048 = true;
#else
  constexpr bool kFf2048 = false;
#endif
#if !defined(NO_DH) && defined(HAVE_FFDHE_3072)
  constexpr bool kFf3072 = true;
#else
  constexpr bool kFf3072 = false;
#endif
#if !defined(NO_DH) && defined(HAVE_FFDHE_4096)
  constexpr bool kFf4096 = true;
#else
  constexpr bool kFf4096 = false;
#endif
#if defined(WOLFSSL_NO_ML_KEM_1024)
  constexpr bool kMlKem1024 = false;
#else
  constexpr bool kMlKem1024 = true;
#endif
  static const GroupInfo kGroups[] = {
      {"X25519MLKEM768", 4588, kHybrids && kX25519},
      {"SecP256r1MLKEM768", 4587, kHybrids && kP256},
      {"SecP384r1MLKEM1024", 4589, kHybrids && kP384 && kMlKem1024},
      {"x25519", 29, kX25519},
      {"secp256r1", 23, kP256},
      {"secp384r1", 24, kP384},
      {"secp521r1", 25, kP521},
      {"x448", 30, kX448},
      {"ffdhe2048", 256, kFf2048},
      {"ffdhe3072", 257, kFf3072},
      {"ffdhe4096", 258, kFf4096},
  };
  return kGroups;
}

std::vector<std::uint16_t> parse_groups(std::string_view list, std::string_view what) {
  static const std::pair<std::string_view, std::string_view> kAliases[] = {
      {"p-256", "secp256r1"},
      {"prime256v1", "secp256r1"},
      {"p-384", "secp384r1"},
      {"p-521", "secp521r1"},
  };
  std::vector<std::uint16_t> ids;
  std::string name;
  const auto flush = [&] {
    std::string lower;
    for (char c : name) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    for (const auto& [alias, real] : kAliases) {
      if (lower == alias) lower = real;
    }
    const auto groups = known_groups();
    const auto found = std::find_if(groups.begin(), groups.end(), [&](const GroupInfo& g) {
      std::string known;
      for (char c : g.name) known.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      return known == lower;
    });
    if (name.empty())
      throw Error(ErrorKind::usage, std::string(what) + ": empty group name in '" + std::string(list) + "'");
    if (found == groups.end()) {
      std::string known;
      for (const auto& g : groups) known += (known.empty() ? "" : ", ") + std::string(g.name);
      throw Error(ErrorKind::usage, std::string(what) + ": unknown key-exchange group '" + name + "' (known: " + known +
                                        "; also P-256, P-384, P-521)");
    }
    if (!found->built)
      throw Error(ErrorKind::usage, std::string(what) + ": group '" + name + "' is not available in this wolfSSL (" +
                                        wolfssl_version() + ")");
    if (std::find(ids.begin(), ids.end(), found->id) == ids.end()) ids.push_back(found->id);
    name.clear();
  };
  for (const char c : list) {
    if (c == ',' || c == ':') {
      flush();
    } else if (c != ' ') {
      name.push_back(c);
    }
  }
  flush();
  return ids;
}

}  // namespace ussl
