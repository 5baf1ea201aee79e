// The server side of a handshake fed arbitrary client bytes.
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ussl;
  static const auto contexts = [] {
    std::vector<std::shared_ptr<const Context>> out;
    for (CertReqs reqs : {CertReqs::none, CertReqs::optional, CertReqs::required}) {
      Options o;
      o.server_side = true;
      o.certfile = fuzz::certs_dir() + "/server-chain.pem";
      o.keyfile = fuzz::certs_dir() + "/server.key";
      o.cert_reqs = reqs;
      if (reqs != CertReqs::none) o.ca_certs = fuzz::certs_dir() + "/root-ca.pem";
      o.sni_certificates.push_back(
          {"a.wild.ussl.test", fuzz::certs_dir() + "/wildcard-chain.pem", fuzz::certs_dir() + "/wildcard.key"});
      out.push_back(Context::create(o));
    }
    return out;
  }();
  // The first byte picks the server's cert_reqs; the rest is the client.
  if (size == 0) return 0;
  fuzz::drive(contexts[data[0] % contexts.size()], std::nullopt, data + 1, size - 1);
  return 0;
}
