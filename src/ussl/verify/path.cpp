// Path building: from the leaf towards the trust anchors, through the
// certificates the peer sent in any order, trying every candidate issuer
// (by subject name, key identifiers first) within a budget, and judging each
// complete path (policy.cpp). The best path is the first without problems,
// else the one with the fewest.
#include <algorithm>
#include <chrono>
#include <map>

#include "ussl/names.hpp"
#include "ussl/verify/policy.hpp"

namespace ussl {
namespace {

// Work limits: pathological inputs (a hundred same-subject intermediates,
// cycles) end with a verdict, not a hang. Real chains use a handful.
constexpr int kSignatureBudget = 256;
constexpr int kStepBudget = 4096;
constexpr std::size_t kHardPathLimit = 72;  // certificates on one path, anchor included

struct Candidate {
  CertPtr cert;
  bool anchor;
};

struct Builder {
  Builder(const std::vector<CertPtr>& p, const TrustStore::Impl& s, const VerifyPolicy& pol, std::int64_t t)
      : presented(p), store(s), policy(pol), now(t) {}
  const std::vector<CertPtr>& presented;
  const TrustStore::Impl& store;
  const VerifyPolicy& policy;
  std::int64_t now;

  std::vector<CertPtr> path;
  std::map<std::pair<const x509::Certificate*, const x509::Certificate*>, bool> signatures;
  int signature_budget = kSignatureBudget;
  int step_budget = kStepBudget;
  bool exhausted = false;

  bool done = false;
  bool have_best = false;
  std::vector<CertPtr> best_path;
  std::vector<CertProblem> best_problems;
  unsigned paths = 0;

  // Why the longest dead end ended.
  std::vector<CertPtr> stuck_path;
  std::string stuck_reason;
  ErrorKind stuck_kind = ErrorKind::cert_untrusted;

  bool is_anchor_der(const x509::Certificate& c) const {
    auto [lo, hi] = store.by_subject.equal_range(c.subject.key);
    for (auto it = lo; it != hi; ++it) {
      if (store.anchors[it->second]->der == c.der) return true;
    }
    return false;
  }

  bool signed_by(const x509::Certificate& child, const x509::Certificate& issuer) {
    const auto key = std::make_pair(&child, &issuer);
    if (auto it = signatures.find(key); it != signatures.end()) return it->second;
    if (signature_budget <= 0) {
      exhausted = true;
      return false;
    }
    --signature_budget;
    const bool ok = x509::verify_signature(issuer.spki, child.outer_sig_alg, child.tbs, child.signature);
    signatures.emplace(key, ok);
    return ok;
  }

  std::vector<Candidate> candidates(const x509::Certificate& child) const {
    std::vector<Candidate> out;
    auto [lo, hi] = store.by_subject.equal_range(child.issuer.key);
    for (auto it = lo; it != hi; ++it) out.push_back({store.anchors[it->second], true});
    for (std::size_t i = 1; i < presented.size(); ++i) {
      const auto& c = presented[i];
      if (c->subject.key != child.issuer.key || is_anchor_der(*c)) continue;
      if (std::any_of(out.begin(), out.end(), [&](const Candidate& o) { return o.cert->der == c->der; })) continue;
      out.push_back({c, false});
    }
    // Key identifiers order the candidates (a hint, RFC 5280 4.2.1.1):
    // matching ones first, then those without one, mismatching last.
    auto rank = [&](const Candidate& c) {
      if (!child.aki_key_id || !c.cert->ski) return 1;
      return der::equal(*child.aki_key_id, *c.cert->ski) ? 0 : 2;
    };
    std::stable_sort(out.begin(), out.end(), [&](const Candidate& a, const Candidate& b) {
      if (rank(a) != rank(b)) return rank(a) < rank(b);
      return a.anchor && !b.anchor;
    });
    return out;
  }

  bool on_path(const x509::Certificate& c) const {
    return std::any_of(path.begin(), path.end(), [&](const CertPtr& p) {
      return p->der == c.der || (p->subject.key == c.subject.key && der::equal(p->spki, c.spki));
    });
  }

  void complete(bool anchored) {
    ++paths;
    auto problems = judge_path(path, anchored, policy, now);
    if (!have_best || problems.size() < best_problems.size()) {
      have_best = true;
      best_path = path;
      best_problems = std::move(problems);
    }
    if (best_problems.empty()) done = true;
  }

  void note_stuck(std::string reason, ErrorKind kind = ErrorKind::cert_untrusted) {
    if (path.size() < stuck_path.size()) return;
    stuck_path = path;
    stuck_reason = std::move(reason);
    stuck_kind = kind;
  }

  void extend() {
    if (done || exhausted) return;
    if (--step_budget <= 0) {
      exhausted = true;
      return;
    }
    const x509::Certificate& top = *path.back();
    const auto list = candidates(top);
    const std::string who = "'" + top.subject.text + "' (depth " + std::to_string(path.size() - 1) + ")";
    if (list.empty()) {
      if (top.self_issued && path.size() == 1)
        note_stuck("self-signed certificate " + who + " is not a trusted CA");
      else if (top.self_issued)
        note_stuck("root " + who + " is not a trusted CA");
      else
        note_stuck("issuer '" + top.issuer.text + "' of " + who +
                   " is not a trusted CA and was not sent by the peer (unknown CA or incomplete chain)");
      return;
    }
    bool any = false;
    for (const auto& cand : list) {
      if (done || exhausted) return;
      if (on_path(*cand.cert)) continue;
      if (path.size() >= kHardPathLimit) {
        note_stuck("the path from '" + path.front()->subject.text + "' grows beyond " + std::to_string(kHardPathLimit) +
                       " certificates",
                   ErrorKind::chain_too_long);
        return;
      }
      if (!signed_by(top, *cand.cert)) {
        if (!exhausted)
          note_stuck("the signature of " + who + " does not verify with the key of its issuer candidate '" +
                     cand.cert->subject.text + "'");
        continue;
      }
      any = true;
      path.push_back(cand.cert);
      if (cand.anchor) {
        complete(true);
      } else {
        extend();
      }
      path.pop_back();
    }
    if (!any && stuck_reason.empty()) note_stuck("no issuer of " + who + " could be used (each would close a loop)");
  }
};

}  // namespace

std::string_view chain_role_name(ChainRole role) noexcept { return role == ChainRole::server ? "server" : "client"; }

Error ChainVerdict::error() const {
  if (problems.empty()) return Error(ErrorKind::internal, "verification found no problem");
  return Error(problems.front().kind, problems.front().message);
}

ChainVerdict verify_chain(std::span<const std::vector<std::uint8_t>> presented_der, const TrustStore& anchors,
                          const VerifyPolicy& policy) {
  if (presented_der.empty()) throw Error(ErrorKind::usage, "verify_chain needs at least the leaf certificate");
  const std::int64_t now = policy.at.value_or(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  ChainVerdict verdict;
  std::vector<CertPtr> presented;
  for (std::size_t i = 0; i < presented_der.size(); ++i) {
    std::string why;
    auto cert = x509::parse(presented_der[i], &why);
    if (cert) {
      presented.push_back(std::move(cert));
      continue;
    }
    if (i == 0) {
      verdict.problems.push_back({ErrorKind::cert_invalid, 0, "", "RFC 5280 4.1 certificate",
                                  "the leaf certificate cannot be parsed: " + why});
      return verdict;
    }
    // An intermediate that cannot be parsed is not a candidate issuer.
  }
  if (policy.hostname)
    verdict.cn_fallback = match_server_name(name_view(*presented.front()), *policy.hostname).cn_fallback;
  Builder b(presented, anchors.impl(), policy, now);
  b.path.push_back(presented.front());
  if (b.is_anchor_der(*presented.front())) {
    b.complete(true);  // the leaf is itself a trust anchor (a pinned self-signed certificate)
  } else {
    b.extend();
  }
  verdict.paths_tried = b.paths;
  if (b.have_best) {
    verdict.anchored = true;
    verdict.problems = std::move(b.best_problems);
    for (const auto& c : b.best_path) verdict.path.push_back(c->subject.text);
    verdict.ok = verdict.problems.empty();
    return verdict;
  }
  // No path reached an anchor: say why, then what else is wrong with the
  // longest partial path.
  const auto& partial = b.stuck_path.empty() ? b.path : b.stuck_path;
  std::string reason = b.stuck_reason;
  ErrorKind kind = b.stuck_kind;
  if (b.exhausted) {
    reason = "path building stopped after its budget (" + std::to_string(kSignatureBudget) + " signature checks, " +
             std::to_string(kStepBudget) + " steps) without reaching a trust anchor" +
             (reason.empty() ? "" : "; " + reason);
    kind = ErrorKind::cert_untrusted;
  }
  if (reason.empty()) reason = "no path to a trust anchor";
  verdict.problems.push_back({kind, static_cast<int>(partial.size()) - 1, partial.back()->subject.text,
                              "RFC 5280 6.1 path to a trust anchor", reason});
  auto more = judge_path(partial, false, policy, now);
  verdict.problems.insert(verdict.problems.end(), more.begin(), more.end());
  for (const auto& c : partial) verdict.path.push_back(c->subject.text);
  return verdict;
}

}  // namespace ussl
