// Records real handshakes (both directions, several configurations) as seed
// corpora for the handshake fuzzers: record_seeds OUT_DIR.
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>

#include "fuzz_support.hpp"

namespace {

using namespace ussl;

// Forwards to another transport and keeps a copy of every byte sent.
class RecordingTransport final : public Transport {
 public:
  RecordingTransport(std::unique_ptr<Transport> inner, std::string* sent) : inner_(std::move(inner)), sent_(sent) {}
  IoResult recv(std::span<std::byte> b) override { return inner_->recv(b); }
  IoResult send(std::span<const std::byte> d) override {
    IoResult r = inner_->send(d);
    if (r.status == IoResult::Status::ok) sent_->append(reinterpret_cast<const char*>(d.data()), r.n);
    return r;
  }
  void close() noexcept override { inner_->close(); }
  bool closed() const noexcept override { return inner_->closed(); }
  void set_blocking(bool b) override { inner_->set_blocking(b); }
  bool blocking() const noexcept override { return inner_->blocking(); }
  short wait(short e, std::chrono::milliseconds t) override { return inner_->wait(e, t); }
  void set_timeout(std::optional<std::chrono::milliseconds> t) override { inner_->set_timeout(t); }
  std::optional<std::chrono::milliseconds> timeout() const noexcept override { return inner_->timeout(); }

 private:
  std::unique_ptr<Transport> inner_;
  std::string* sent_;
};

struct Flights {
  std::string client;
  std::string server;
};

Flights record(Options client, Options server, const std::optional<std::string>& hostname) {
  Flights f;
  auto [ct, st] = make_memory_pipe();
  ct->set_timeout(std::chrono::seconds(5));
  st->set_timeout(std::chrono::seconds(5));
  auto cr = std::make_unique<RecordingTransport>(std::move(ct), &f.client);
  auto sr = std::make_unique<RecordingTransport>(std::move(st), &f.server);
  client.server_hostname = hostname;
  auto server_done = std::async(std::launch::async, [&, t = std::move(sr)]() mutable {
    try {
      auto s = wrap_socket(std::move(t), server);
      s->write("hello from the server");
      s->close();
    } catch (const Error&) {
    }
  });
  try {
    auto c = wrap_socket(std::move(cr), client);
    c->write("hello from the client");
    c->read();
    c->close();
  } catch (const Error&) {
  }
  server_done.get();
  return f;
}

void save(const std::filesystem::path& dir, const std::string& name, char mode, const std::string& bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << mode << bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: record_seeds OUT_DIR\n";
    return 2;
  }
  const std::filesystem::path out = argv[1];
  const std::string dir = fuzz::certs_dir();
  int n = 0;
  for (int version = 0; version < 2; ++version) {
    for (CertReqs server_reqs : {CertReqs::none, CertReqs::required}) {
      for (const char* leaf : {"server", "server-rsa"}) {
        Options server;
        server.server_side = true;
        server.certfile = dir + "/" + leaf + "-chain.pem";
        server.keyfile = dir + "/" + leaf + ".key";
        server.cert_reqs = server_reqs;
        if (server_reqs != CertReqs::none) server.ca_certs = dir + "/root-ca.pem";
        Options client;
        client.cert_reqs = CertReqs::required;
        client.ca_certs = dir + "/root-ca.pem";
        client.certfile = dir + "/client-chain.pem";
        client.keyfile = dir + "/client.key";
        if (version == 0) client.max_version = TlsVersion::tls1_2;
        const Flights f = record(client, server, "localhost");
        const std::string tag = std::to_string(n++);
        // Mode bytes match the targets: server 0/2 = none/required; client 3 =
        // required + "localhost".
        save(out / "fuzz_server_handshake", "seed-" + tag, server_reqs == CertReqs::none ? 0 : 2, f.client);
        save(out / "fuzz_client_handshake", "seed-" + tag, 3, f.server);
      }
    }
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const auto ext = entry.path().extension();
    if (ext != ".pem" && ext != ".der" && ext != ".key") continue;
    std::filesystem::create_directories(out / "fuzz_load_files");
    std::filesystem::copy_file(entry.path(), out / "fuzz_load_files" / entry.path().filename(),
                               std::filesystem::copy_options::overwrite_existing);
  }
  std::cout << "recorded " << n << " handshakes into " << out << "\n";
  return 0;
}
