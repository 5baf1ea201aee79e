// Certificate, key and CA loading from arbitrary bytes (PEM or DER).
#include <unistd.h>

#include <cstdio>

#include "fuzz_support.hpp"

namespace {

std::string write_temp(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/ussl-fuzz-" + std::to_string(::getpid()) + ".bin";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return path;
  if (size > 0) std::fwrite(data, 1, size, f);
  std::fclose(f);
  return path;
}

void attempt(const ussl::Options& o) {
  try {
    ussl::Context::create(o);
  } catch (const ussl::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ussl;
  const std::string path = write_temp(data, size);
  const std::string dir = fuzz::certs_dir();
  Options as_ca;
  as_ca.cert_reqs = CertReqs::required;
  as_ca.ca_certs = path;
  attempt(as_ca);
  Options as_cert;
  as_cert.server_side = true;
  as_cert.certfile = path;
  as_cert.keyfile = dir + "/server.key";
  attempt(as_cert);
  Options as_key = as_cert;
  as_key.certfile = dir + "/server-chain.pem";
  as_key.keyfile = path;
  attempt(as_key);
  // And the parsed view of a certificate, as the report would build it.
  try {
    (void)parse_certificate({data, size});
  } catch (const Error&) {
  }
  return 0;
}
