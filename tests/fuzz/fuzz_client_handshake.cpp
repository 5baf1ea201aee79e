// The client side of a handshake fed arbitrary server bytes.
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ussl;
  static const auto contexts = [] {
    std::vector<std::shared_ptr<const Context>> out;
    for (CertReqs reqs : {CertReqs::none, CertReqs::required}) {
      Options o;
      o.cert_reqs = reqs;
      o.ca_certs = fuzz::certs_dir() + "/root-ca.pem";
      out.push_back(Context::create(o));
    }
    return out;
  }();
  static const std::optional<std::string> names[] = {std::nullopt, "localhost", "127.0.0.1", "a.wild.ussl.test"};
  if (size == 0) return 0;
  // First byte: cert_reqs and the server_hostname; the rest is the server.
  fuzz::drive(contexts[data[0] % 2], names[(data[0] >> 1) % 4], data + 1, size - 1);
  return 0;
}
