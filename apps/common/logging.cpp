#include "common/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "common/text.hpp"

namespace ussl::apps {

namespace {

// stderr, colored on a terminal, with every message passed through
// escape_text: log lines quote what clients and servers sent (names,
// certificates, alerts), and none of it may reach the terminal raw.
class EscapingStderrSink final : public spdlog::sinks::stderr_color_sink_mt {
 public:
  void log(const spdlog::details::log_msg& msg) override {
    const std::string escaped = escape_text(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(escaped.data(), escaped.size());
    spdlog::sinks::stderr_color_sink_mt::log(copy);
  }
};

}  // namespace

void setup_logging(const std::string& program, int verbosity, bool quiet) {
  auto logger = spdlog::get(program);
  if (!logger) {
    logger = std::make_shared<spdlog::logger>(program, std::make_shared<EscapingStderrSink>());
    spdlog::register_logger(logger);
  }
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
