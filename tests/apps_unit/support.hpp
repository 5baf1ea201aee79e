// Shared by the apps_unit tests: no network, no wolfSSL session.
#pragma once

#include <functional>

#include "ussl/error.hpp"

namespace ussl::apps {

// The kind of the ussl::Error that f raises; ErrorKind::internal when f
// raises nothing (never a kind these tests expect).
inline ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  return ErrorKind::internal;
}

}  // namespace ussl::apps
