// The exit-code contract of ussl-client and ussl-server: one table from
// ussl::ErrorKind (plus the phase it happened in) to the documented codes.
#pragma once

#include <span>
#include <string_view>

#include "ussl/error.hpp"

namespace ussl::apps {

enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,
  kExitUsage = 2,            // bad flag, unreadable or invalid cert/key/CA file
  kExitConnectFailed = 3,    // resolve, refused, unreachable, connect timeout
  kExitHandshakeFailed = 4,  // protocol error, alert received, peer rejected our certificate
  kExitVerifyFailed = 5,     // chain, dates, hostname; server: client certificate missing/invalid
  kExitIoError = 6,          // reset or truncated EOF after the handshake
  kExitTimeout = 7,          // timeout after connecting
  kExitExpectation = 8,      // an --expect did not hold
  kExitLoadFailed = 10,      // ussl-bench only: connections failed in a load run
};

// Where an error happened. Transport and protocol failures are handshake
// failures (4) before the handshake completed and I/O errors (6) after it.
enum class Phase { setup, connect, handshake, data };

int exit_code_for(ErrorKind kind, Phase phase, int alert = -1) noexcept;
int exit_code_for(const Error& error, Phase phase) noexcept;

// True for alerts that only a handshake sends (a rejected certificate, a
// failed negotiation). A TLS 1.3 server sends them after the client's
// Finished, so the client sees them after its handshake completed.
bool is_handshake_alert(int alert) noexcept;

struct ExitCodeInfo {
  int code;
  std::string_view meaning;
};
std::span<const ExitCodeInfo> exit_code_table() noexcept;

}  // namespace ussl::apps
