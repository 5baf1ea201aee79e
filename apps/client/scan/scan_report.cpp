#include "client/scan/scan_report.hpp"

#include <algorithm>
#include <cstdio>

#include "common/text.hpp"

namespace ussl::apps::scan {
namespace {

const char* version_label(const std::string& key) {
  if (key == "sslv2") return "SSLv2";
  if (key == "sslv2_hello") return "SSLv2 hello";
  if (key == "sslv3") return "SSLv3";
  if (key == "tls1_0") return "TLSv1.0";
  if (key == "tls1_1") return "TLSv1.1";
  if (key == "tls1_2") return "TLSv1.2";
  if (key == "tls1_3") return "TLSv1.3";
  return key.c_str();
}

Json list_json(const ListFinding& f) {
  if (!f.items) return "unknown";
  return Json(*f.items);
}

bool ran(const ScanResult& r, const std::string& section) {
  return std::find(r.sections.begin(), r.sections.end(), section) != r.sections.end();
}

template <typename Map, typename Fn>
Json object_of(const Map& m, Fn value, const std::vector<std::string>& order = {}) {
  Json out = Json::object();
  if (!order.empty()) {
    for (const auto& k : order) {
      const auto it = m.find(k);
      if (it != m.end()) out[k] = value(it->second);
    }
    return out;
  }
  for (const auto& [k, v] : m) out[k] = value(v);
  return out;
}

const std::vector<std::string>& version_order() {
  static const std::vector<std::string> order(std::begin(kVersionKeys), std::end(kVersionKeys));
  return order;
}
const std::vector<std::string> kPair = {"tls1_3", "tls1_2"};

void line(std::string& out, const std::string& label, const std::string& text) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%-12s ", label.c_str());
  out += buf;
  out += text;
  out += '\n';
}

std::string finding_text(const Finding& f) { return f.detail.empty() ? f.value : f.value + " (" + f.detail + ")"; }

std::string list_text(const ListFinding& f) {
  if (!f.items) return "unknown: " + f.detail;
  if (f.items->empty()) return "none";
  return join(*f.items, ", ");
}

}  // namespace

Json scan_json(const ScanResult& r) {
  auto value = [](const Finding& f) { return Json(f.value); };
  auto detail = [](const Finding& f) { return Json(f.detail); };
  Json j;
  j["sections"] = r.sections;
  j["versions"] = object_of(r.versions, value, version_order());
  const bool suites = ran(r, "suites");
  j["suites"] = suites ? object_of(r.suites, list_json, version_order()) : Json(nullptr);
  j["suite_order"] = suites ? object_of(
                                  r.suites, [](const ListFinding& f) { return Json(f.order); }, version_order())
                            : Json(nullptr);
  const bool groups = ran(r, "groups");
  j["groups"] = groups ? object_of(r.groups, list_json, kPair) : Json(nullptr);
  j["preferred_group"] = r.preferred_group ? Json(*r.preferred_group) : Json(nullptr);
  j["group_order"] = groups && r.groups.count("tls1_3") ? Json(r.groups.at("tls1_3").order) : Json(nullptr);
  j["hello_retry_request"] = groups ? Json(r.hello_retry.value) : Json(nullptr);
  j["sigalgs"] = ran(r, "sigalgs") ? object_of(r.sigalgs, list_json, kPair) : Json(nullptr);
  j["resumption"] = ran(r, "resumption") ? object_of(r.resumption, value, kPair) : Json(nullptr);
  j["features"] = ran(r, "features") ? object_of(r.features, value) : Json(nullptr);
  j["alpn"] = ran(r, "features") ? object_of(r.alpn, value) : Json(nullptr);
  j["hello"] = ran(r, "hello") ? object_of(r.hello, value) : Json(nullptr);
  // Why each finding is what it is (the alert, the unknown's reason).
  Json reasons;
  reasons["versions"] = object_of(r.versions, detail, version_order());
  if (suites)
    reasons["suites"] = object_of(
        r.suites, [](const ListFinding& f) { return Json(f.detail); }, version_order());
  if (groups) {
    reasons["groups"] = object_of(
        r.groups, [](const ListFinding& f) { return Json(f.detail); }, kPair);
    reasons["hello_retry_request"] = r.hello_retry.detail;
  }
  if (ran(r, "sigalgs"))
    reasons["sigalgs"] = object_of(
        r.sigalgs, [](const ListFinding& f) { return Json(f.detail); }, kPair);
  if (ran(r, "resumption")) reasons["resumption"] = object_of(r.resumption, detail, kPair);
  if (ran(r, "features")) {
    reasons["features"] = object_of(r.features, detail);
    reasons["alpn"] = object_of(r.alpn, detail);
  }
  if (ran(r, "hello")) reasons["hello"] = object_of(r.hello, detail);
  j["reasons"] = reasons;
  j["connections"] = r.connections;
  j["ms"] = ms_or_null(r.ms);
  j["probes"] = r.probes;
  return j;
}

std::string scan_text(const ScanResult& r) {
  std::string out;
  bool first = true;
  for (const auto& k : version_order()) {
    const auto it = r.versions.find(k);
    if (it == r.versions.end()) continue;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%-12s ", version_label(k));
    line(out, first ? "versions" : "", buf + finding_text(it->second));
    first = false;
  }
  if (ran(r, "suites")) {
    first = true;
    for (const auto& k : version_order()) {
      const auto it = r.suites.find(k);
      if (it == r.suites.end() || (it->second.items && it->second.items->empty())) continue;
      const ListFinding& f = it->second;
      char buf[32];
      std::snprintf(buf, sizeof buf, "%-12s ", version_label(k));
      if (!f.items) {
        line(out, first ? "suites" : "", buf + ("unknown: " + f.detail));
      } else {
        line(out, first ? "suites" : "", buf + (f.order + " order"));
        for (const auto& s : *f.items) line(out, "", "               " + s);
      }
      first = false;
    }
    if (first) line(out, "suites", "none accepted");
  }
  if (ran(r, "groups")) {
    for (const auto& k : kPair) {
      const auto it = r.groups.find(k);
      if (it == r.groups.end()) continue;
      std::string text = list_text(it->second);
      if (k == "tls1_3" && it->second.items && !it->second.items->empty()) {
        text += " (preferred " + r.preferred_group.value_or("?") + ", " + it->second.order +
                " order; HelloRetryRequest on a missing key share: " + r.hello_retry.value + ")";
      }
      char buf[32];
      std::snprintf(buf, sizeof buf, "%-12s ", version_label(k));
      line(out, k == "tls1_3" ? "groups" : "", buf + text);
    }
  }
  if (ran(r, "sigalgs")) {
    for (const auto& k : kPair) {
      const auto it = r.sigalgs.find(k);
      if (it == r.sigalgs.end()) continue;
      char buf[32];
      std::snprintf(buf, sizeof buf, "%-12s ", version_label(k));
      line(out, k == "tls1_3" ? "sigalgs" : "", buf + list_text(it->second));
    }
  }
  if (ran(r, "resumption")) {
    for (const auto& k : kPair) {
      const auto it = r.resumption.find(k);
      if (it == r.resumption.end()) continue;
      char buf[32];
      std::snprintf(buf, sizeof buf, "%-12s ", version_label(k));
      line(out, k == "tls1_3" ? "resumption" : "", buf + finding_text(it->second));
    }
  }
  if (ran(r, "features")) {
    first = true;
    for (const auto& [k, f] : r.features) {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%-23s ", k.c_str());
      line(out, first ? "features" : "", buf + finding_text(f));
      first = false;
    }
    for (const auto& [k, f] : r.alpn) {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%-23s ", ("alpn " + k).c_str());
      line(out, "", buf + finding_text(f));
    }
  }
  if (ran(r, "hello")) {
    first = true;
    for (const auto& [k, f] : r.hello) {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%-23s ", k.c_str());
      line(out, first ? "hello" : "", buf + finding_text(f));
      first = false;
    }
  }
  return out;
}

}  // namespace ussl::apps::scan
