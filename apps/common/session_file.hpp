// --sess-out / --sess-in: a saved TLS session as a small text file,
//
//   -----BEGIN USSL SESSION-----
//   base64 of wolfSSL's serialized session (wolfSSL_i2d_SSL_SESSION), 64 per line
//   -----END USSL SESSION-----
//
// readable only by a ussl built on the same wolfSSL (the bytes are wolfSSL's
// own format, not OpenSSL's "SSL SESSION PARAMETERS").
#pragma once

#include <string>

namespace ussl::apps {

// Writes the session; throws ussl::Error(bad_file) naming the file.
void write_session_file(const std::string& path, const std::string& session);

// Reads and decodes a session file; throws ussl::Error(bad_file) naming the
// file and the problem (missing, not a session file, bad base64).
std::string read_session_file(const std::string& path);

}  // namespace ussl::apps
