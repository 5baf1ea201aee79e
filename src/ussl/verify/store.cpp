// Trust anchors and CRL files: loading, PEM/DER splitting.
// clang-format off
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/coding.h>
// clang-format on

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "ussl/verify/internal.hpp"

namespace ussl {

std::string read_whole_file(std::string_view role, const std::string& path) {
  const std::string where = std::string(role) + " '" + path + "'";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw Error(ErrorKind::bad_file, where + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw Error(ErrorKind::bad_file, where + ": is a directory, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::bad_file, where + ": cannot open: " + std::strerror(errno));
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(ErrorKind::bad_file, where + ": read error");
  if (data.empty()) throw Error(ErrorKind::bad_file, where + ": file is empty");
  return data;
}

std::vector<std::vector<std::uint8_t>> pem_blocks(const std::string& data, std::string_view label) {
  const std::string begin = "-----BEGIN " + std::string(label) + "-----";
  const std::string end = "-----END " + std::string(label) + "-----";
  std::vector<std::vector<std::uint8_t>> out;
  std::size_t pos = 0;
  for (;;) {
    const auto b = data.find(begin, pos);
    if (b == std::string::npos) break;
    const auto e = data.find(end, b);
    if (e == std::string::npos) break;
    std::string b64;
    for (std::size_t i = b + begin.size(); i < e; ++i) {
      const char c = data[i];
      if (!std::isspace(static_cast<unsigned char>(c))) b64.push_back(c);
    }
    std::vector<std::uint8_t> der(b64.size());
    word32 len = static_cast<word32>(der.size());
    if (!b64.empty() && Base64_Decode(reinterpret_cast<const byte*>(b64.data()), static_cast<word32>(b64.size()),
                                      der.data(), &len) == 0) {
      der.resize(len);
      out.push_back(std::move(der));
    } else {
      out.emplace_back();  // undecodable: an empty entry, reported by the caller
    }
    pos = e + end.size();
  }
  return out;
}

std::vector<std::vector<std::uint8_t>> read_certificates(const std::string& data, const std::string& what) {
  if (data.find("-----BEGIN ") != std::string::npos) {
    auto blocks = pem_blocks(data, "CERTIFICATE");
    if (blocks.empty()) throw Error(ErrorKind::bad_file, what + ": no PEM certificate found");
    return blocks;
  }
  if (data.empty() || static_cast<unsigned char>(data[0]) != 0x30)
    throw Error(ErrorKind::bad_file, what + ": neither PEM nor DER");
  // DER: one or more concatenated certificates.
  std::vector<std::vector<std::uint8_t>> out;
  const auto* p = reinterpret_cast<const std::uint8_t*>(data.data());
  der::Reader r({p, data.size()});
  while (!r.empty()) {
    der::Element e;
    if (!r.expect(der::kSequence, e)) throw Error(ErrorKind::bad_file, what + ": malformed DER");
    out.emplace_back(e.whole.begin(), e.whole.end());
  }
  return out;
}

std::vector<std::vector<std::uint8_t>> read_crls(const std::string& data, const std::string& what) {
  std::vector<std::vector<std::uint8_t>> ders;
  if (data.find("-----BEGIN ") != std::string::npos) {
    ders = pem_blocks(data, "X509 CRL");
  } else if (!data.empty() && static_cast<unsigned char>(data[0]) == 0x30) {
    ders.emplace_back(data.begin(), data.end());
  }
  if (ders.empty()) throw Error(ErrorKind::bad_file, what + ": no CRL found (PEM X509 CRL or DER expected)");
  return ders;
}

// ---------------------------------------------------------------------------
// TrustStore

TrustStore::TrustStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TrustStore::~TrustStore() = default;
const std::vector<std::string>& TrustStore::warnings() const noexcept { return impl_->warnings; }
std::size_t TrustStore::size() const noexcept { return impl_->anchors.size(); }

namespace {

void add_certificates(TrustStore::Impl& impl, const std::vector<std::vector<std::uint8_t>>& certs,
                      const std::string& where) {
  int index = 0;
  for (const auto& der : certs) {
    ++index;
    std::string why = "undecodable PEM";
    auto cert = der.empty() ? nullptr : x509::parse(der, &why);
    if (!cert) {
      impl.warnings.push_back(where + ": certificate #" + std::to_string(index) + " skipped (" + why + ")");
      continue;
    }
    impl.add(std::move(cert));
  }
}

void load_file(TrustStore::Impl& impl, const std::string& path) {
  const std::string data = read_whole_file("ca_certs", path);
  add_certificates(impl, read_certificates(data, "ca_certs '" + path + "'"), "ca_certs '" + path + "'");
}

}  // namespace

std::shared_ptr<const TrustStore> TrustStore::load(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    load_file(*impl, path);
  } else {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
      if (entry.is_regular_file(ec)) files.push_back(entry.path());
    }
    if (ec) throw Error(ErrorKind::bad_file, "ca_certs '" + path + "': cannot list directory: " + ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      try {
        load_file(*impl, file.string());
      } catch (const Error&) {
        continue;  // a README, a CRL: not certificates
      }
    }
  }
  if (impl->anchors.empty()) {
    std::string why;
    if (!impl->warnings.empty()) {
      const std::string& w = impl->warnings.front();
      const auto at = w.find(": certificate #");
      why = at == std::string::npos ? "" : " (" + w.substr(at + 2) + ")";
    }
    throw Error(ErrorKind::bad_file, "ca_certs '" + path + "': no usable certificate found" + why);
  }
  return std::shared_ptr<const TrustStore>(new TrustStore(std::move(impl)));
}

std::shared_ptr<const TrustStore> TrustStore::from_der(const std::vector<std::vector<std::uint8_t>>& certs) {
  auto impl = std::make_unique<Impl>();
  add_certificates(*impl, certs, "trust anchors");
  return std::shared_ptr<const TrustStore>(new TrustStore(std::move(impl)));
}

std::shared_ptr<const TrustStore> TrustStore::empty() {
  return std::shared_ptr<const TrustStore>(new TrustStore(std::make_unique<Impl>()));
}

// ---------------------------------------------------------------------------
// CrlSet

CrlSet::CrlSet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CrlSet::~CrlSet() = default;
std::size_t CrlSet::size() const noexcept { return impl_->crls.size(); }

namespace {
void add_crls(CrlSet::Impl& impl, const std::string& data, const std::string& where) {
  const auto ders = read_crls(data, where);
  int index = 0;
  for (const auto& der : ders) {
    ++index;
    std::string why = "undecodable PEM";
    auto crl = der.empty() ? nullptr : parse_crl(der, &why);
    if (!crl)
      throw Error(ErrorKind::bad_file, where + ": CRL #" + std::to_string(index) + " is malformed (" + why + ")");
    impl.crls.push_back(std::move(crl));
  }
}
}  // namespace

std::shared_ptr<const CrlSet> CrlSet::load(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    add_crls(*impl, read_whole_file("crl", path), "crl '" + path + "'");
  } else {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
      if (entry.is_regular_file(ec)) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      try {
        add_crls(*impl, read_whole_file("crl", file.string()), "crl '" + file.string() + "'");
      } catch (const Error&) {
        continue;
      }
    }
  }
  if (impl->crls.empty()) throw Error(ErrorKind::bad_file, "crl '" + path + "': no CRL found");
  return std::shared_ptr<const CrlSet>(new CrlSet(std::move(impl)));
}

std::shared_ptr<const CrlSet> CrlSet::from_der(const std::vector<std::vector<std::uint8_t>>& crls) {
  auto impl = std::make_unique<Impl>();
  for (const auto& der : crls) {
    std::string why;
    auto crl = parse_crl(der, &why);
    if (!crl) throw Error(ErrorKind::bad_file, "CRL is malformed (" + why + ")");
    impl->crls.push_back(std::move(crl));
  }
  return std::shared_ptr<const CrlSet>(new CrlSet(std::move(impl)));
}

}  // namespace ussl
