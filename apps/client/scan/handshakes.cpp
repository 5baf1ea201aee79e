// The probes that need a finished handshake, through the library (wolfSSL):
// the certificate verdict, resumption, ALPN, TLS 1.3 signature schemes.
#include <poll.h>

#include <algorithm>
#include <cstdlib>

#include "client/scan/scanner.hpp"
#include "common/net.hpp"
#include "common/text.hpp"

namespace ussl::apps::scan {
namespace {

using std::chrono::milliseconds;

constexpr const char* kSystemBundle = "/etc/ssl/certs/ca-certificates.crt";
constexpr milliseconds kTicketWait{1000};

}  // namespace

Options Scanner::options() const {
  Options o = options_from(c_.tls, /*server=*/false);
  if (!o.ca_certs && o.cert_reqs != CertReqs::none) {
    const char* env = std::getenv("SSL_CERT_FILE");
    o.ca_certs = env != nullptr && *env != '\0' ? std::string(env) : std::string(kSystemBundle);
  }
  o.server_hostname = sni_;
  return o;
}

// TLS 1.3 signs inside the encrypted handshake: a wolfSSL handshake offering
// only this scheme either completes (the server signed with it) or fails.
// wolfSSL offers RSA-PSS as a pair (rsa_pss_rsae and rsa_pss_pss of one
// hash); the leaf's key type says which one the server used.
void Scanner::probe_sigalg13(std::uint16_t sigalg, const char* wolfssl_name, Finding& out) {
  Options o = options();
  o.min_version = TlsVersion::tls1_3;
  o.max_version = TlsVersion::tls1_3;
  o.sigalgs = wolfssl_name;
  std::shared_ptr<const Context> context;
  try {
    context = Context::create(o);
  } catch (const Error& e) {
    out = unknown("this wolfSSL cannot offer " + sigalg_name(sigalg) + " alone: " + e.message());
    return;
  }
  Handshake h = handshake(context, std::nullopt);
  const std::string name = "sigalgs.tls1_3." + sigalg_name(sigalg);
  if (h.error) {
    out = h.error->alert >= 0 ? Finding{"refused", describe(*h.error)} : unknown(describe(*h.error));
    log_handshake(name, wolfssl_name, out);
    return;
  }
  out = {"accepted", ""};
  const bool pss = (sigalg >= 0x0804 && sigalg <= 0x0806) || (sigalg >= 0x0809 && sigalg <= 0x080B);
  if (pss) {
    // rsaEncryption (1.2.840.113549.1.1.1) in the leaf: an RSAE key.
    static const std::uint8_t kRsaEncryption[] = {0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01};
    const auto chain = h.socket->peer_chain();
    const bool rsae =
        !chain.empty() && std::search(chain.front().der.begin(), chain.front().der.end(), std::begin(kRsaEncryption),
                                      std::end(kRsaEncryption)) != chain.front().der.end();
    const bool asked_rsae = sigalg <= 0x0806;
    if (rsae != asked_rsae)
      out = {"refused", "the server's key is " + std::string(rsae ? "rsaEncryption" : "RSASSA-PSS")};
  }
  log_handshake(name, wolfssl_name, out);
  h.socket->close();
}

void Scanner::log_handshake(const std::string& name, const std::string& offered, const Finding& f) {
  const std::lock_guard lock(mutex_);
  r_.probes.push_back(Json{{"name", name},
                           {"offered", Json{{"version", "TLSv1.3"}, {"wolfssl_sigalgs", offered}}},
                           {"answer", Json{{"kind", "wolfssl_handshake"}}},
                           {"outcome", f.value},
                           {"detail", f.detail}});
}

Scanner::Handshake Scanner::handshake(const std::shared_ptr<const Context>& context,
                                      const std::optional<std::string>& session) {
  Handshake h;
  if (limits_.run_expired()) {
    h.error = ErrorInfo{ErrorKind::timeout, "--timeout reached before this probe"};
    return h;
  }
  limits_.pace();
  const Deadline deadline = limits_.probe_deadline();
  const auto start = Clock::now();
  try {
    Connection conn = connect_tcp(host_, port_, deadline);
    h.timing.connect = elapsed_ms(start);
    {
      const std::lock_guard lock(mutex_);
      ++r_.connections;
    }
    auto transport = std::make_unique<DeadlineTransport>(conn.fd.release(), true, deadline);
    DeadlineTransport* raw = transport.get();
    h.socket = context->wrap(std::move(transport), WrapArgs{sni_, false, session, std::nullopt});
    SslSocket* socket = h.socket.get();
    raw->set_nonblocking_when([socket] { return socket->handshake().done; });
    const auto hs_start = Clock::now();
    h.socket->do_handshake();
    h.timing.handshake = elapsed_ms(hs_start);
  } catch (const Error& e) {
    (h.socket ? h.error : h.connect_error) = ErrorInfo::from(e);
    if (!h.socket) h.error = h.connect_error;
  }
  h.timing.total = elapsed_ms(start);
  return h;
}

// Two wolfSSL handshakes at one version: the second offers the first's
// session (a TLS 1.3 ticket, or a TLS 1.2 ticket or session ID).
void Scanner::probe_resumption(TlsVersion version, const std::string& key) {
  Finding& f = r_.resumption.at(key);
  Options o = options();
  o.min_version = version;
  o.max_version = version;
  std::shared_ptr<const Context> context;
  try {
    context = Context::create(o);
  } catch (const Error& e) {
    f = unknown("this wolfSSL cannot: " + e.message());
    return;
  }
  Handshake first = handshake(context, std::nullopt);
  if (first.error) {
    f = unknown("the first handshake failed: " + describe(*first.error));
    return;
  }
  SslSocket& s = *first.socket;
  if (version == TlsVersion::tls1_3) {
    const Deadline limit = Clock::now() + kTicketWait;
    try {
      while (!s.session_ticket_received() && !expired(limit)) {
        if (s.poll(POLLIN, milliseconds(poll_timeout(limit))) == 0) continue;
        const auto data = s.read(16384);
        if (data && data->empty()) break;
      }
    } catch (const Error&) {
    }
  }
  const bool ticket = s.session_ticket_received();
  const auto session = s.session();
  s.close();
  if (!session) {
    f = {"no", "no session to resume (no ticket within " + std::to_string(kTicketWait.count()) + " ms)"};
    return;
  }
  Handshake second = handshake(context, session);
  if (second.error) {
    f = unknown("the resuming handshake failed: " + describe(*second.error));
    return;
  }
  const bool resumed = second.socket->session_reused();
  second.socket->close();
  f = {resumed ? "yes" : "no", resumed ? (ticket ? "ticket" : "session ID") : "full handshake"};
}

void Scanner::probe_alpn(const std::string& protocol) {
  Finding& f = r_.alpn.at(protocol);
  Options o = options();
  o.alpn = {protocol};
  std::shared_ptr<const Context> context;
  try {
    context = Context::create(o);
  } catch (const Error& e) {
    f = unknown("this wolfSSL cannot: " + e.message());
    return;
  }
  Handshake h = handshake(context, std::nullopt);
  if (h.error && h.error->alert == 120) {
    f = {"refused", "alert no_application_protocol"};
  } else if (h.error) {
    f = unknown(describe(*h.error));
  } else {
    const auto chosen = h.socket->alpn();
    f = chosen == protocol ? Finding{"accepted", ""} : Finding{"refused", "no protocol selected"};
    h.socket->close();
  }
}

void Scanner::default_handshake(DefaultHandshake& out) {
  const auto context = Context::create(options());
  out.facts.verify.mode = context->options().cert_reqs;
  Handshake h = handshake(context, std::nullopt);
  out.timing = h.timing;
  if (h.socket) out.facts = h.socket->record();
  out.error = h.error;
  out.phase = h.connect_error ? Phase::connect : Phase::handshake;
  if (h.socket) h.socket->close();
}

}  // namespace ussl::apps::scan
