// --keylog FILE and SSLKEYLOGFILE: NSS key log lines (the format Wireshark
// reads), appended to a file, for the wolfSSL builds that can produce them.
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ussl::apps {

struct KeyLogTarget {
  std::string path;
  std::string source;  // "--keylog" or "SSLKEYLOGFILE"
};

// --keylog when given, else $SSLKEYLOGFILE when set and not empty.
std::optional<KeyLogTarget> keylog_target(const std::string& flag);

// The file the lines go to, opened for appending; shared by every
// connection of the program. Throws ussl::Error(bad_file) naming the file.
class KeyLogFile {
 public:
  explicit KeyLogFile(const KeyLogTarget& target);
  ~KeyLogFile();
  KeyLogFile(const KeyLogFile&) = delete;
  KeyLogFile& operator=(const KeyLogFile&) = delete;
  void write(std::string_view line) noexcept;

 private:
  std::FILE* file_ = nullptr;
};

// A callback for Options::keylog that appends to the target. Throws
// ussl::Error(usage) with the library's message (naming the missing
// HAVE_SECRET_CALLBACK) when this wolfSSL cannot log keys: never silently.
std::function<void(std::string_view)> keylog_callback(const KeyLogTarget& target);

}  // namespace ussl::apps
