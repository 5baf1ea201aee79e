// Uses the installed library: loads a server certificate and key through a
// Context (wolfSSL underneath) and names an error kind. Prints one line.
// Usage: ussl_consumer CERTFILE KEYFILE
#include <iostream>
#include <ussl/ussl.hpp>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: ussl_consumer CERTFILE KEYFILE\n";
    return 2;
  }
  ussl::Options options;
  options.server_side = true;
  options.certfile = argv[1];
  options.keyfile = argv[2];
  try {
    auto context = ussl::Context::create(options);
    std::cout << "ussl consumer: context ok, wolfSSL " << ussl::wolfssl_version() << ", "
              << ussl::error_kind_name(ussl::ErrorKind::cert_expired) << "\n";
  } catch (const ussl::Error& e) {
    std::cerr << "ussl consumer: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
