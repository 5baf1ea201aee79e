// The scan's probes as one object (internal to apps/client/scan): scan.cpp
// has the probes decided from hand-built hellos and the run, handshakes.cpp
// those that need a wolfSSL handshake.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "client/client.hpp"
#include "client/scan/findings.hpp"
#include "client/scan/probe.hpp"
#include "ussl/ussl.hpp"

namespace ussl::apps::scan {

struct VersionSpec {
  const char* key;
  std::uint16_t version;
};
constexpr VersionSpec kTlsVersions[] = {
    {"sslv3", kSsl3}, {"tls1_0", kTls10}, {"tls1_1", kTls11}, {"tls1_2", kTls12}, {"tls1_3", kTls13}};

inline Finding unknown(std::string reason) { return Finding{"unknown", std::move(reason)}; }

class Scanner {
 public:
  Scanner(const ClientConfig& c, ScanResult& result);

  // The default handshake (the certificate verdict); throws on setup errors.
  void default_handshake(DefaultHandshake& out);
  void run();

 private:
  bool wants(const std::string& section) const {
    return std::find(r_.sections.begin(), r_.sections.end(), section) != r_.sections.end();
  }
  HelloSpec base_hello(std::uint16_t version) const;
  Exchange probe(const std::string& name, const HelloSpec& spec, bool want_kx);
  Exchange probe_bytes(const std::string& name, const Bytes& hello, Json offered, bool want_kx);
  bool accepted(const char* key) const {
    const auto it = r_.versions.find(key);
    return it != r_.versions.end() && it->second.value == "accepted";
  }
  std::optional<std::uint16_t> highest_tls() const;

  void probe_version(const VersionSpec& v);
  void probe_sslv2();
  void probe_sslv2_hello();
  void enumerate_suites(const VersionSpec& v);
  void probe_group13(std::uint16_t group, Finding& out);
  void probe_group12(std::uint16_t group, Finding& out);
  void probe_group_preference();
  void probe_sigalg12(std::uint16_t sigalg, Finding& out);
  void probe_sigalg13(std::uint16_t sigalg, const char* wolfssl_name, Finding& out);
  void probe_tolerance(const std::string& key, std::uint16_t version);
  void log_handshake(const std::string& name, const std::string& offered, const Finding& f);
  void probe_fallback();
  void probe_resumption(TlsVersion version, const std::string& key);
  void probe_alpn(const std::string& protocol);

  struct Handshake {
    std::unique_ptr<SslSocket> socket;
    std::optional<ErrorInfo> error;
    std::optional<ErrorInfo> connect_error;
    Timing timing;
  };
  Handshake handshake(const std::shared_ptr<const Context>& context, const std::optional<std::string>& session);
  Options options() const;

  const ClientConfig& c_;
  ScanResult& r_;
  std::string host_;
  std::uint16_t port_;
  Limits limits_;
  std::optional<std::string> sni_;
  std::array<std::uint8_t, 32> random_{};
  std::mutex mutex_;                              // r_.probes, r_.connections, pre13_hellos_
  std::map<std::uint16_t, Answer> pre13_hellos_;  // ServerHello per accepted version below TLS 1.3
};

}  // namespace ussl::apps::scan
