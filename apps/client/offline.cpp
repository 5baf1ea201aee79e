// ussl-client --chain-file: judge a chain without connecting, with the same
// verdict (ussl::verify_chain), report and exit codes as a live handshake.
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "client/client.hpp"
#include "common/exit_codes.hpp"
#include "common/expect.hpp"
#include "common/report.hpp"

namespace ussl::apps {
namespace {

constexpr const char* kSystemBundle = "/etc/ssl/certs/ca-certificates.crt";

std::string read_chain_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || S_ISDIR(st.st_mode) || !in)
    throw Error(ErrorKind::bad_file, "chain-file '" + path + "': cannot open (a PEM or DER file is expected)");
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.empty()) throw Error(ErrorKind::bad_file, "chain-file '" + path + "': file is empty");
  return data;
}

struct Offline {
  const ClientConfig& c;
  Options options;
  std::optional<std::string> anchors_path;
  std::string anchors_source = "none";
  ConnectionRecord facts;
  std::optional<ErrorInfo> error;

  void run() {
    options = options_from(c.tls, /*server=*/false);
    // Offline, verification is the point: it is enforced (exit 5 on a
    // failed verdict) unless --cert-reqs none is given explicitly.
    const CertReqs mode = c.cert_reqs_given ? options.cert_reqs : CertReqs::required;
    facts.verify.mode = mode;
    facts.verify.enforced = mode != CertReqs::none;
    if (options.ca_certs) {
      anchors_path = options.ca_certs, anchors_source = "flag";
    } else if (const char* env = std::getenv("SSL_CERT_FILE"); env != nullptr && *env != '\0') {
      anchors_path = env, anchors_source = "SSL_CERT_FILE";
    } else if (struct stat st{}; ::stat(kSystemBundle, &st) == 0) {
      anchors_path = kSystemBundle, anchors_source = "system";
    }
    const auto anchors = anchors_path ? TrustStore::load(*anchors_path) : TrustStore::empty();
    for (const auto& w : anchors->warnings()) spdlog::warn("{}", w);
    const auto chain = read_certificates(read_chain_file(c.chain_file), "chain-file '" + c.chain_file + "'");

    VerifyPolicy policy;
    policy.role = c.chain_role;
    if (!c.server_hostname.empty()) policy.hostname = c.server_hostname;
    policy.at = options.verify_at;
    policy.max_depth = options.max_chain_depth;
    policy.security_level = options.security_level;
    if (options.crl) policy.crls = CrlSet::load(*options.crl);
    policy.crl_check = options.crl_check;

    const ChainVerdict verdict = verify_chain(chain, *anchors, policy);
    for (const auto& der : chain) {
      try {
        facts.peer_chain.push_back(describe_certificate(der));
      } catch (const Error& e) {
        spdlog::warn("chain-file '{}': a certificate cannot be shown: {}", c.chain_file, e.message());
      }
    }
    VerifyResult& v = facts.verify;
    v.performed = true;
    v.ok = verdict.ok;
    v.hostname = policy.hostname;
    if (policy.hostname) {
      v.hostname_ok = std::none_of(verdict.problems.begin(), verdict.problems.end(),
                                   [](const CertProblem& p) { return p.kind == ErrorKind::hostname_mismatch; });
      v.cn_fallback = verdict.cn_fallback;
    }
    if (!verdict.problems.empty()) {
      v.failure = verdict.problems.front().kind;
      v.reason = verdict.problems.front().message;
      v.depth = verdict.problems.front().depth;
    }
    v.problems = verdict.problems;
    v.path = verdict.path;
    if (v.enforced && v.failure) error = ErrorInfo{*v.failure, v.reason};
  }
};

}  // namespace

const EnumNames<ChainRole>& chain_role_names() {
  static const EnumNames<ChainRole> names{{"server", ChainRole::server}, {"client", ChainRole::client}};
  return names;
}

int run_offline(const ClientConfig& config) {
  Offline o{config, {}, {}, "none", {}, {}};
  try {
    o.run();
  } catch (const Error& e) {
    o.error = ErrorInfo::from(e);
  }
  int exit_code = o.error ? exit_code_for(o.error->kind, Phase::setup, -1) : kExitOk;
  const bool setup_failed = o.error && !o.facts.verify.performed;
  if (setup_failed) spdlog::error("{}", describe(*o.error));

  Json report;
  report["schema"] = kSchemaVersion;
  add_connection_fields(report, o.facts, o.error, Timing{}, config.show_certs);
  report["exit_code"] = exit_code;
  report["target"] =
      Json{{"host", nullptr},
           {"port", nullptr},
           {"address", nullptr},
           {"server_hostname", config.server_hostname.empty() ? Json(nullptr) : Json(config.server_hostname)},
           {"ca_certs", o.anchors_path ? Json(*o.anchors_path) : Json(nullptr)},
           {"ca_source", o.anchors_source},
           {"chain_file", config.chain_file},
           {"chain_role", std::string(chain_role_name(config.chain_role))}};
  report["peer_closed"] = false;
  report["connections"] = Json::array();
  report["session"] = Json{{"in", nullptr}, {"out", nullptr}, {"saved", false}, {"offered", nullptr}};
  report["expectations"] = Json::array();
  const auto expectations = parse_expectations(config.common.expect);
  std::vector<ExpectationResult> results;
  if (!expectations.empty()) {
    results = evaluate(expectations, report);
    report["expectations"] = expectations_json(results);
    if (exit_code != kExitUsage && exit_code != kExitInternal)
      exit_code = all_hold(results) ? kExitOk : kExitExpectation;
    report["exit_code"] = exit_code;
  }
  if (config.common.json) {
    print_json_line(report);
    return exit_code;
  }
  if (setup_failed && results.empty()) return exit_code;
  auto line = [](const std::string& label, const std::string& text) {
    std::printf("%-12s %s\n", label.c_str(), text.c_str());
  };
  const ConnectionRecord& f = o.facts;
  line("chain-file", config.chain_file + " (" + std::to_string(f.peer_chain.size()) + " certificate(s), role " +
                         std::string(chain_role_name(config.chain_role)) + ", no connection)");
  for (std::size_t i = 0; i < f.peer_chain.size(); ++i) {
    line(i == 0 ? "certificate" : "", "[" + std::to_string(i) + "] " + f.peer_chain[i].subject + " (" +
                                          key_summary(f.peer_chain[i]) + "), valid " + f.peer_chain[i].not_before +
                                          " .. " + f.peer_chain[i].not_after);
  }
  if (!f.verify.path.empty()) line("path", join(f.verify.path, " <- "));
  line("verify", verify_summary(f.verify, false));
  const auto problems = problem_lines(f.verify);
  for (std::size_t i = 1; i < problems.size(); ++i) line("", "also " + problems[i]);
  if (config.show_certs) {
    for (const auto& cert : f.peer_chain) std::printf("%s", cert.pem().c_str());
  }
  for (const auto& r : results) line("expect", describe(r));
  line("result", exit_code == kExitOk ? "ok (exit 0)" : "exit " + std::to_string(exit_code));
  std::fflush(stdout);
  return exit_code;
}

}  // namespace ussl::apps
