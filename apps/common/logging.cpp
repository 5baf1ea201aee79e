#include "common/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace ussl::apps {

void setup_logging(const std::string& program, int verbosity, bool quiet) {
  auto logger = spdlog::get(program);
  if (!logger) logger = spdlog::stderr_color_mt(program);
  logger->set_pattern(verbosity > 0 ? "%n: [%H:%M:%S.%e] %^%l%$: %v" : "%n: %^%l%$: %v");
  spdlog::level::level_enum level = spdlog::level::warn;
  if (quiet) {
    level = spdlog::level::err;
  } else if (verbosity == 1) {
    level = spdlog::level::info;
  } else if (verbosity == 2) {
    level = spdlog::level::debug;
  } else if (verbosity >= 3) {
    level = spdlog::level::trace;
  }
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

}  // namespace ussl::apps
