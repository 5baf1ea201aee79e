// Algorithm identifiers and public keys for the verifier (RFC 5280 §4.1.1.2,
// §4.1.2.7; RFC 3279, RFC 4055, RFC 5480, RFC 8410): which signature
// algorithm and hash an AlgorithmIdentifier names, and the type, size or
// curve of a SubjectPublicKeyInfo. Split from x509.cpp, which walks the
// certificate itself.
#include "ussl/verify/x509.hpp"

namespace ussl::x509 {

using der::Element;
using der::Reader;

bool parse_public_key(Bytes spki, PublicKey& key) {
  Reader r(spki);
  Element seq;
  if (!r.expect(der::kSequence, seq)) return false;
  Reader body(seq.value);
  Element alg, bits;
  if (!body.expect(der::kSequence, alg) || !body.expect(der::kBitString, bits) || !body.empty()) return false;
  Reader a(alg.value);
  Element oid;
  if (!a.expect(der::kOid, oid)) return false;
  const std::string id = der::oid_text(oid.value);
  if (bits.value.empty() || bits.value[0] != 0) return false;
  const Bytes key_bits = bits.value.subspan(1);
  if (id == "1.2.840.113549.1.1.1") {
    key.type = KeyType::rsa;
    key.algorithm = "RSA";
    Reader k(key_bits);
    Element rsa, n;
    if (!k.expect(der::kSequence, rsa)) return false;
    Reader kr(rsa.value);
    if (!kr.expect(der::kInteger, n) || n.value.empty() || (n.value[0] & 0x80)) return false;
    Bytes mod = n.value;
    while (!mod.empty() && mod[0] == 0) mod = mod.subspan(1);
    if (mod.empty()) return false;
    int top = 0;
    for (std::uint8_t b = mod[0]; b; b >>= 1) ++top;
    key.bits = static_cast<int>((mod.size() - 1) * 8) + top;
    return true;
  }
  if (id == "1.2.840.10045.2.1") {
    key.type = KeyType::ec;
    key.algorithm = "EC";
    Element params;
    if (a.expect(der::kOid, params)) {
      const std::string curve = der::oid_text(params.value);
      if (curve == "1.2.840.10045.3.1.7")
        key.curve = "P-256", key.bits = 256;
      else if (curve == "1.3.132.0.34")
        key.curve = "P-384", key.bits = 384;
      else if (curve == "1.3.132.0.35")
        key.curve = "P-521", key.bits = 521;
      else if (curve == "1.2.840.10045.3.1.1")
        key.curve = "P-192", key.bits = 192;
      else if (curve == "1.3.132.0.33")
        key.curve = "P-224", key.bits = 224;
      else if (curve == "1.3.132.0.10")
        key.curve = "secp256k1", key.bits = 256;
      else
        key.curve = curve;
      return true;
    }
    key.explicit_curve = true;
    // Field size from the public point: 0x04 || X || Y.
    if (key_bits.size() > 1 && key_bits[0] == 4) key.bits = static_cast<int>((key_bits.size() - 1) / 2 * 8);
    return true;
  }
  if (id == "1.3.101.112") {
    key.type = KeyType::ed25519, key.algorithm = "Ed25519", key.bits = 256;
    return key_bits.size() == 32;
  }
  if (id == "1.3.101.113") {
    key.type = KeyType::ed448, key.algorithm = "Ed448", key.bits = 456;
    return key_bits.size() == 57;
  }
  if (id == "1.2.840.10040.4.1") {
    key.type = KeyType::dsa, key.algorithm = "DSA";
    Element params, p;
    if (a.expect(der::kSequence, params)) {
      Reader pr(params.value);
      if (pr.expect(der::kInteger, p)) {
        Bytes v = p.value;
        while (!v.empty() && v[0] == 0) v = v.subspan(1);
        key.bits = static_cast<int>(v.size() * 8);
      }
    }
    return true;
  }
  key.type = KeyType::other;
  key.algorithm = id;
  return true;
}

std::string hash_name(HashAlg hash) {
  switch (hash) {
    case HashAlg::md5:
      return "MD5";
    case HashAlg::sha1:
      return "SHA-1";
    case HashAlg::sha224:
      return "SHA-224";
    case HashAlg::sha256:
      return "SHA-256";
    case HashAlg::sha384:
      return "SHA-384";
    case HashAlg::sha512:
      return "SHA-512";
    case HashAlg::none:
      break;
  }
  return "";
}

void describe_sig_alg(Bytes sig_alg, SigAlg& alg, HashAlg& hash, std::string& name) {
  alg = SigAlg::unknown;
  hash = HashAlg::none;
  Reader r(sig_alg);
  Element seq, oid;
  if (!r.expect(der::kSequence, seq)) return;
  Reader s(seq.value);
  if (!s.expect(der::kOid, oid)) return;
  const std::string id = der::oid_text(oid.value);
  static const struct {
    const char* oid;
    SigAlg alg;
    HashAlg hash;
    const char* name;
  } kAlgs[] = {
      {"1.2.840.113549.1.1.4", SigAlg::rsa_pkcs1, HashAlg::md5, "md5WithRSAEncryption"},
      {"1.2.840.113549.1.1.5", SigAlg::rsa_pkcs1, HashAlg::sha1, "sha1WithRSAEncryption"},
      {"1.2.840.113549.1.1.14", SigAlg::rsa_pkcs1, HashAlg::sha224, "sha224WithRSAEncryption"},
      {"1.2.840.113549.1.1.11", SigAlg::rsa_pkcs1, HashAlg::sha256, "sha256WithRSAEncryption"},
      {"1.2.840.113549.1.1.12", SigAlg::rsa_pkcs1, HashAlg::sha384, "sha384WithRSAEncryption"},
      {"1.2.840.113549.1.1.13", SigAlg::rsa_pkcs1, HashAlg::sha512, "sha512WithRSAEncryption"},
      {"1.2.840.113549.1.1.10", SigAlg::rsa_pss, HashAlg::none, "rsassaPss"},
      {"1.2.840.10045.4.1", SigAlg::ecdsa, HashAlg::sha1, "ecdsa-with-SHA1"},
      {"1.2.840.10045.4.3.1", SigAlg::ecdsa, HashAlg::sha224, "ecdsa-with-SHA224"},
      {"1.2.840.10045.4.3.2", SigAlg::ecdsa, HashAlg::sha256, "ecdsa-with-SHA256"},
      {"1.2.840.10045.4.3.3", SigAlg::ecdsa, HashAlg::sha384, "ecdsa-with-SHA384"},
      {"1.2.840.10045.4.3.4", SigAlg::ecdsa, HashAlg::sha512, "ecdsa-with-SHA512"},
      {"1.3.101.112", SigAlg::ed25519, HashAlg::none, "Ed25519"},
      {"1.3.101.113", SigAlg::ed448, HashAlg::none, "Ed448"},
      {"1.2.840.10040.4.3", SigAlg::dsa, HashAlg::sha1, "dsa-with-SHA1"},
      {"2.16.840.1.101.3.4.3.2", SigAlg::dsa, HashAlg::sha256, "dsa-with-SHA256"},
  };
  name = id;
  for (const auto& a : kAlgs) {
    if (id != a.oid) continue;
    alg = a.alg;
    hash = a.hash;
    name = a.name;
  }
  if (alg == SigAlg::rsa_pss) {
    // RSASSA-PSS-params: [0] hashAlgorithm (default SHA-1).
    hash = HashAlg::sha1;
    Element params, h, hseq, hoid;
    if (s.expect(der::kSequence, params)) {
      Reader p(params.value);
      if (p.expect(der::kContext | der::kConstructed | 0, h)) {
        Reader hr(h.value);
        if (hr.expect(der::kSequence, hseq)) {
          Reader ho(hseq.value);
          if (ho.expect(der::kOid, hoid)) {
            const std::string hid = der::oid_text(hoid.value);
            hash = hid == "2.16.840.1.101.3.4.2.1"   ? HashAlg::sha256
                   : hid == "2.16.840.1.101.3.4.2.2" ? HashAlg::sha384
                   : hid == "2.16.840.1.101.3.4.2.3" ? HashAlg::sha512
                   : hid == "1.3.14.3.2.26"          ? HashAlg::sha1
                                                     : HashAlg::none;
          }
        }
      }
    }
    name = "rsassaPss-" + hash_name(hash);
  }
}

}  // namespace ussl::x509
