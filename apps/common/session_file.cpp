#include "common/session_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "ussl/error.hpp"

namespace ussl::apps {
namespace {

constexpr const char* kBegin = "-----BEGIN USSL SESSION-----";
constexpr const char* kEnd = "-----END USSL SESSION-----";
constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::string base64_encode(const std::string& bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string base64_decode(const std::string& text, const std::string& what) {
  std::string out;
  unsigned v = 0;
  int bits = 0;
  bool padding = false;
  for (const char c : text) {
    if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    const std::size_t d = kAlphabet.find(c);
    if (d == std::string_view::npos || padding) throw Error(ErrorKind::bad_file, what + ": invalid base64");
    v = (v << 6) | static_cast<unsigned>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((v >> bits) & 0xff);
    }
  }
  return out;
}

void write_session_file(const std::string& path, const std::string& session) {
  const std::string what = "--sess-out '" + path + "'";
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) throw Error(ErrorKind::bad_file, what + ": cannot open for writing: " + std::strerror(errno));
  file << kBegin << '\n';
  const std::string encoded = base64_encode(session);
  for (std::size_t i = 0; i < encoded.size(); i += 64) file << encoded.substr(i, 64) << '\n';
  file << kEnd << '\n';
  file.flush();
  if (!file) throw Error(ErrorKind::bad_file, what + ": write error");
}

std::string read_session_file(const std::string& path) {
  const std::string what = "--sess-in '" + path + "'";
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(ErrorKind::bad_file, what + ": cannot open: " + std::strerror(errno));
  const std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  const std::size_t begin = text.find(kBegin);
  const std::size_t end = text.find(kEnd);
  if (begin == std::string::npos || end == std::string::npos || end < begin)
    throw Error(ErrorKind::bad_file,
                what + ": not a session file (no '" + kBegin + "' block; write one with --sess-out)");
  const std::size_t body = begin + std::strlen(kBegin);
  std::string session = base64_decode(text.substr(body, end - body), what);
  if (session.empty()) throw Error(ErrorKind::bad_file, what + ": the session block is empty");
  return session;
}

}  // namespace ussl::apps
