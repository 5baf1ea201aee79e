// The scan's report: the "scan" JSON object and the human tables.
#pragma once

#include <string>
#include <vector>

#include "client/scan/findings.hpp"
#include "common/report.hpp"

namespace ussl::apps {
struct ClientConfig;
}

namespace ussl::apps::scan {

// Runs the default handshake and, when it connected, every probe. Returns
// the exit code of a scan that could not connect, else 0.
int run_scan_with(const ClientConfig& c, ScanResult& result, DefaultHandshake& dh);

// The "scan" object: one key per finding, "unknown" for undecidable ones,
// "reasons" for them, and "probes" (what each sent and what came back).
Json scan_json(const ScanResult& r);
// The human tables, one per section.
std::string scan_text(const ScanResult& r);

}  // namespace ussl::apps::scan
