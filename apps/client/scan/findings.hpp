// What the scan found: one value per finding ("accepted", "refused",
// "unknown", or a list), the reason of every unknown, and the probes' log.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/exit_codes.hpp"
#include "common/report.hpp"

namespace ussl::apps::scan {

struct Finding {
  std::string value = "unknown";  // accepted, refused, unknown; yes/no; supported/not_supported/not_applicable
  std::string detail;             // why (the alert, "closed without an answer", the unknown's reason)
};

// A list that may be undecidable: suites of one version, groups, schemes.
struct ListFinding {
  std::optional<std::vector<std::string>> items;  // nullopt: unknown
  std::string detail;                             // reason when unknown
  std::string order;                              // suites/groups: server, client, single, none, unknown
};

inline constexpr const char* kVersionKeys[] = {"sslv2", "sslv2_hello", "sslv3", "tls1_0", "tls1_1", "tls1_2", "tls1_3"};

struct ScanResult {
  std::map<std::string, Finding> versions;     // kVersionKeys
  std::map<std::string, ListFinding> suites;   // per accepted version key
  std::map<std::string, ListFinding> groups;   // tls1_3, tls1_2
  std::optional<std::string> preferred_group;  // TLS 1.3
  Finding hello_retry;                         // yes / no: HRR on a missing key share
  std::map<std::string, ListFinding> sigalgs;  // tls1_3, tls1_2
  std::map<std::string, Finding> resumption;   // tls1_2, tls1_3: yes / no
  std::map<std::string, Finding> features;     // secure_renegotiation, extended_master_secret, fallback_scsv
  std::map<std::string, Finding> alpn;         // protocol -> accepted / refused
  std::map<std::string, Finding> hello;        // tolerance probes
  std::vector<std::string> sections;           // what ran
  Json probes = Json::array();                 // per probe: name, offered, answer, outcome
  int connections = 0;
  double ms = 0;
};

// The default handshake (wolfSSL, the user's TLS flags): the certificate
// verdict, and whether the server can be reached at all.
struct DefaultHandshake {
  ConnectionRecord facts;
  std::optional<ErrorInfo> error;
  Phase phase = Phase::setup;
  Timing timing;
  std::optional<std::string> address;
};

}  // namespace ussl::apps::scan
