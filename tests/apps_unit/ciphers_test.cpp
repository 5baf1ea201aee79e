// --ciphers names (apps/common/ciphers.cpp): IANA to wolfSSL spelling, list
// splitting, and refusal of a name this wolfSSL does not know.
#include "common/ciphers.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "support.hpp"
#include "ussl/error.hpp"

namespace ussl::apps {
namespace {

TEST(CipherNames, IanaNamesMapToWolfsslNamesWhateverTheirCase) {
  EXPECT_EQ(wolfssl_cipher_name("TLS_AES_128_GCM_SHA256"), "TLS13-AES128-GCM-SHA256");
  EXPECT_EQ(wolfssl_cipher_name("tls_ecdhe_ecdsa_with_aes_128_gcm_sha256"), "ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_EQ(wolfssl_cipher_name("TLS_CHACHA20_POLY1305_SHA256"), "TLS13-CHACHA20-POLY1305-SHA256");
}

TEST(CipherNames, WolfsslAndUnknownNamesAreNotInTheIanaTable) {
  EXPECT_FALSE(wolfssl_cipher_name("ECDHE-ECDSA-AES128-GCM-SHA256").has_value());
  EXPECT_FALSE(wolfssl_cipher_name("TLS_NO_SUCH_SUITE").has_value());
  EXPECT_FALSE(wolfssl_cipher_name("").has_value());
}

TEST(CipherNames, ListsSplitOnColonsOrCommasAndKeepWolfsslNames) {
  EXPECT_EQ(to_wolfssl_cipher_list("TLS_AES_256_GCM_SHA384,ECDHE-RSA-AES128-GCM-SHA256"),
            "TLS13-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256");
  EXPECT_EQ(to_wolfssl_cipher_list("TLS_AES_128_GCM_SHA256:TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
            "TLS13-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384");
}

TEST(CipherNames, EmptyListOrEmptyEntryIsAUsageError) {
  EXPECT_EQ(kind_of([] { to_wolfssl_cipher_list(""); }), ErrorKind::usage);
  EXPECT_EQ(kind_of([] { to_wolfssl_cipher_list("TLS_AES_128_GCM_SHA256::TLS_AES_256_GCM_SHA384"); }),
            ErrorKind::usage);
  EXPECT_EQ(kind_of([] { to_wolfssl_cipher_list("TLS_AES_128_GCM_SHA256,"); }), ErrorKind::usage);
}

TEST(CipherNames, UnknownSuiteIsRefusedNamingItAsTheUserWroteIt) {
  try {
    check_cipher_list("TLS13-AES128-GCM-SHA256:NO-SUCH-SUITE", "TLS_AES_128_GCM_SHA256,NO-SUCH-SUITE");
    FAIL() << "an unknown suite was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_NE(std::string(e.what()).find("'NO-SUCH-SUITE'"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(check_cipher_list("TLS13-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256"));
}

}  // namespace
}  // namespace ussl::apps
