// spdlog on stderr for both programs: stdout is reserved for the result.
#pragma once

#include <string>

namespace ussl::apps {

// Installs a stderr logger named after the program as spdlog's default.
// Level: warnings by default, -v info, -vv debug, -vvv trace; -q errors only.
void setup_logging(const std::string& program, int verbosity, bool quiet);

}  // namespace ussl::apps
