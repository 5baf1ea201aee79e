// ussl-server's event output: the names of its states as they appear in the
// events. The events themselves ("accepted", "handshake", "closed",
// "stopped", "error") are built in events.cpp and written through Output
// (output.hpp).
#pragma once

#include <string>
#include <string_view>

namespace ussl::apps {

// Why a connection closed: the "reason" of its "closed" event.
enum class CloseReason { served, peer_closed, failed, shutdown };
std::string_view close_reason_name(CloseReason reason) noexcept;

// Why the server stopped: the "reason" of its "stopped" event.
enum class StopReason { accept_limit, signal, internal_error };
std::string_view stop_reason_name(StopReason reason) noexcept;

// Prints a command line that did not parse as an "error" event (--json).
void print_server_usage_error(const std::string& message);

}  // namespace ussl::apps
