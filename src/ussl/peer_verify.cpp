// Verification glue: wolfSSL's verify callback collects the peer's chain and
// records wolfSSL's own complaints; ussl's verdict (verify_chain) judges the
// chain and decides, per cert_reqs, whether the handshake fails.
#include <algorithm>

#include "socket_impl.hpp"

namespace ussl {

// ---------------------------------------------------------------------------
// Verification

int verify_callback(int preverify, WOLFSSL_X509_STORE_CTX* store) {
  auto* s = static_cast<SslSocket::Impl*>(store ? store->userCtx : nullptr);
  if (s == nullptr) return preverify;
  return s->on_verify(preverify, store);
}

void SslSocket::Impl::record_failure(ErrorKind kind, std::string reason, int depth, int code) {
  if (rec.verify.failure) return;
  rec.verify.failure = kind;
  rec.verify.reason = std::move(reason);
  rec.verify.depth = depth;
  rec.verify.wolfssl_code = code;
}

// wolfSSL calls this for the leaf (depth 0), last, and before it for any
// intermediate that failed wolfSSL's own check (WOLFSSL_ALWAYS_VERIFY_CB,
// docs/wolfssl-build.md). wolfSSL's own complaints are recorded, never
// decisive: intermediates always pass here, and at the leaf, with the whole
// chain known (store->certs), ussl's verdict (verify_chain) decides.
// CERT_NONE records it and lets the handshake go on.
int SslSocket::Impl::on_verify(int preverify, WOLFSSL_X509_STORE_CTX* store) {
  if (store->totalCerts == 0) {
    // The peer sent no certificate. A server under CERT_REQUIRED fails here,
    // so that wolfSSL sends an alert (it sends none for its own
    // FAIL_IF_NO_PEER_CERT check under TLS 1.2).
    if (server && rec.verify.mode == CertReqs::required) {
      record_failure(ErrorKind::peer_cert_missing, "the client sent no certificate (cert_reqs=CERT_REQUIRED)", 0,
                     NO_PEER_CERT);
      return 0;
    }
    return 1;
  }
  rec.verify.performed = true;
  if (raw_chain.empty() && store->certs != nullptr) {
    for (int i = 0; i < store->totalCerts; ++i) {
      const auto& b = store->certs[i];
      raw_chain.emplace_back(b.buffer, b.buffer + b.length);
    }
  }
  if (!preverify && rec.verify.wolfssl_error.empty()) {
    rec.verify.wolfssl_code = store->error;
    rec.verify.wolfssl_error = "depth " + std::to_string(store->error_depth) + ": " + wolfssl_error_text(store->error);
  }
  if (store->error_depth != 0) return 1;
  run_verdict();
  if (!rec.verify.enforced) return 1;  // CERT_NONE: record, never fail
  return rec.verify.ok ? 1 : 0;
}

void SslSocket::Impl::run_verdict() {
  if (verdict_done || raw_chain.empty()) return;
  verdict_done = true;
  const Options& o = ctx->options;
  VerifyPolicy policy;
  policy.role = server ? ChainRole::client : ChainRole::server;
  if (!server) policy.hostname = hostname;
  policy.at = o.verify_at;
  policy.max_depth = o.max_chain_depth;
  policy.security_level = o.security_level;
  policy.crls = ctx->crls;
  policy.crl_check = o.crl_check;
  ChainVerdict verdict;
  try {
    verdict = verify_chain(raw_chain, *ctx->anchors, policy);
  } catch (const Error& e) {
    verdict.problems.push_back({e.kind(), -1, "", "verification", e.message()});
  }
  rec.verify.ok = verdict.ok;
  rec.verify.path = std::move(verdict.path);
  if (hostname && !server) {
    rec.verify.hostname_ok = std::none_of(verdict.problems.begin(), verdict.problems.end(),
                                          [](const CertProblem& p) { return p.kind == ErrorKind::hostname_mismatch; });
    rec.verify.cn_fallback = verdict.cn_fallback;  // the match leaned on the legacy CN
  }
  if (!verdict.ok && raw_chain.size() >= static_cast<std::size_t>(kCollected)) {
    // wolfSSL stopped collecting: the verdict saw a truncated chain.
    verdict.problems.insert(verdict.problems.begin(),
                            CertProblem{ErrorKind::chain_too_long, -1, "", "wolfSSL MAX_CHAIN_DEPTH",
                                        "the peer sent at least " + std::to_string(raw_chain.size()) +
                                            " certificates, as many as this wolfSSL collects (MAX_CHAIN_DEPTH " +
                                            std::to_string(kCollected) + "): the rest were not seen"});
  }
  if (!verdict.problems.empty()) {
    const auto& first = verdict.problems.front();
    record_failure(first.kind, first.message, first.depth, rec.verify.wolfssl_code);
  }
  rec.verify.problems = std::move(verdict.problems);
}

}  // namespace ussl
