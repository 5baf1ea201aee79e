#include "common/keylog.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ussl/socket.hpp"

namespace ussl::apps {

std::optional<KeyLogTarget> keylog_target(const std::string& flag) {
  if (!flag.empty()) return KeyLogTarget{flag, "--keylog"};
  const char* env = std::getenv("SSLKEYLOGFILE");
  if (env != nullptr && *env != '\0') return KeyLogTarget{env, "SSLKEYLOGFILE"};
  return std::nullopt;
}

KeyLogFile::KeyLogFile(const KeyLogTarget& target) : file_(std::fopen(target.path.c_str(), "a")) {
  if (file_ == nullptr)
    throw Error(ErrorKind::bad_file,
                target.source + " '" + target.path + "': cannot open for appending: " + std::strerror(errno));
}

KeyLogFile::~KeyLogFile() {
  if (file_ != nullptr) std::fclose(file_);
}

void KeyLogFile::write(std::string_view line) noexcept {
  // One locked sequence: the server's event loops log from several threads.
  ::flockfile(file_);
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fputc('\n', file_);
  std::fflush(file_);  // a capture tool reads the file while the program runs
  ::funlockfile(file_);
}

std::function<void(std::string_view)> keylog_callback(const KeyLogTarget& target) {
  // Ask the library first (a context without files is cheap), so that a
  // wolfSSL without the secret callback is refused before any file is made.
  Options probe;
  probe.keylog = [](std::string_view) {};
  try {
    Context::create(probe);
  } catch (const Error& e) {
    throw Error(e.kind(), target.source + " '" + target.path + "': " + e.message(), e.wolfssl_code());
  }
  auto file = std::make_shared<KeyLogFile>(target);
  return [file](std::string_view line) { file->write(line); };
}

}  // namespace ussl::apps
