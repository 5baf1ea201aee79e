// --sess-out / --sess-in files (apps/common/session_file.cpp): base64 and the
// PEM-like framing, round trips and the errors for damaged files.
#include "common/session_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>

#include "common/text.hpp"
#include "support.hpp"
#include "ussl/error.hpp"

namespace ussl::apps {
namespace {

// A file in a fresh directory, removed with it.
class SessionFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ussl-session-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const char* name : {"s.pem", "bad.pem"}) std::remove((dir_ + "/" + name).c_str());
    rmdir(dir_.c_str());
  }
  std::string path(const char* name) const { return dir_ + "/" + name; }
  std::string dir_;
};

TEST(Base64, EncodesRfc4648TestVectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("user:pass"), "dXNlcjpwYXNz") << "a proxy's Basic credentials";
}

TEST(Base64, DecodesWhatItEncodesIncludingEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(base64_decode(base64_encode(all), "test"), all);
  EXPECT_EQ(base64_decode("Zm9vYmFy", "test"), "foobar");
}

TEST(Base64, InvalidCharacterIsABadFileErrorNamingWhatWasRead) {
  try {
    base64_decode("Zm9v*mFy", "session.pem");
    FAIL() << "bad base64 was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_file);
    EXPECT_NE(std::string(e.what()).find("session.pem"), std::string::npos) << e.what();
  }
}

TEST_F(SessionFile, WrittenSessionReadsBackByteForByte) {
  std::string session(300, '\0');
  for (std::size_t i = 0; i < session.size(); ++i) session[i] = static_cast<char>(i * 7);
  write_session_file(path("s.pem"), session);
  EXPECT_EQ(read_session_file(path("s.pem")), session);
  std::ifstream in(path("s.pem"));
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, "-----BEGIN USSL SESSION-----");
}

TEST_F(SessionFile, MissingFileIsABadFileError) {
  EXPECT_EQ(kind_of([&] { read_session_file(path("absent.pem")); }), ErrorKind::bad_file);
}

TEST_F(SessionFile, FileWithoutTheFramingIsABadFileError) {
  std::ofstream(path("bad.pem")) << "-----BEGIN CERTIFICATE-----\nZm9v\n-----END CERTIFICATE-----\n";
  EXPECT_EQ(kind_of([&] { read_session_file(path("bad.pem")); }), ErrorKind::bad_file);
}

TEST_F(SessionFile, UnwritableDirectoryIsABadFileError) {
  EXPECT_EQ(kind_of([&] { write_session_file(path("no-such-dir/s.pem"), "x"); }), ErrorKind::bad_file);
}

}  // namespace
}  // namespace ussl::apps
