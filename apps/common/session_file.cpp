#include "common/session_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "common/text.hpp"
#include "ussl/error.hpp"

namespace ussl::apps {
namespace {

constexpr const char* kBegin = "-----BEGIN USSL SESSION-----";
constexpr const char* kEnd = "-----END USSL SESSION-----";

}  // namespace

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
