// Signature checks for the verifier, on wolfCrypt's primitives: RSA PKCS#1
// v1.5 and PSS, ECDSA, Ed25519. The key comes from the issuer's
// SubjectPublicKeyInfo, the algorithm from the child's signatureAlgorithm.
// clang-format off
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/ed25519.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/signature.h>
// clang-format on

#include <array>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "ussl/verify/x509.hpp"

namespace ussl::x509 {
namespace {

wc_HashType wc_hash(HashAlg h) {
  switch (h) {
    case HashAlg::md5:
      return WC_HASH_TYPE_MD5;
    case HashAlg::sha1:
      return WC_HASH_TYPE_SHA;
    case HashAlg::sha224:
      return WC_HASH_TYPE_SHA224;
    case HashAlg::sha256:
      return WC_HASH_TYPE_SHA256;
    case HashAlg::sha384:
      return WC_HASH_TYPE_SHA384;
    case HashAlg::sha512:
      return WC_HASH_TYPE_SHA512;
    case HashAlg::none:
      break;
  }
  return WC_HASH_TYPE_NONE;
}

int mgf_for(HashAlg h) {
  switch (h) {
    case HashAlg::sha1:
      return WC_MGF1SHA1;
    case HashAlg::sha256:
      return WC_MGF1SHA256;
    case HashAlg::sha384:
      return WC_MGF1SHA384;
    case HashAlg::sha512:
      return WC_MGF1SHA512;
    default:
      return WC_MGF1NONE;
  }
}

const byte* ptr(Bytes b) { return b.data(); }
word32 len(Bytes b) { return static_cast<word32>(b.size()); }

// Hashes `message` and checks `signature` with wc_SignatureVerifyHash. Not
// wc_SignatureVerify: wolfSSL 5.9 makes that refuse digests below SHA-256
// (WC_SIG_MIN_HASH_TYPE), and which hashes are acceptable is ussl's policy
// (--security-level, policy.cpp), decided after the signature is known to be
// genuine. For RSA PKCS#1 v1.5 the digest is DER-wrapped as DigestInfo
// (RFC 8017 9.2), as wc_SignatureVerify does.
bool verify_hashed(wc_HashType ht, wc_SignatureType type, Bytes message, Bytes signature, void* key, word32 key_len) {
  const int digest_len = wc_HashGetDigestSize(ht);
  if (digest_len <= 0) return false;
  std::vector<byte> digest(static_cast<std::size_t>(digest_len) + 64);  // room for the DigestInfo header
  if (wc_Hash(ht, ptr(message), len(message), digest.data(), static_cast<word32>(digest_len)) != 0) return false;
  word32 used = static_cast<word32>(digest_len);
  if (type == WC_SIGNATURE_TYPE_RSA_W_ENC) {
    const int oid = wc_HashGetOID(ht);
    if (oid < 0) return false;
    used = wc_EncodeSignature(digest.data(), digest.data(), used, oid);
    if (used == 0) return false;
  }
  return wc_SignatureVerifyHash(ht, type, digest.data(), used, ptr(signature), len(signature), key, key_len) == 0;
}

bool verify_rsa(Bytes spki, SigAlg alg, HashAlg hash, Bytes message, Bytes signature) {
  RsaKey key;
  if (wc_InitRsaKey(&key, nullptr) != 0) return false;
  struct Free {
    RsaKey* k;
    ~Free() { wc_FreeRsaKey(k); }
  } guard{&key};
  word32 idx = 0;
  if (wc_RsaPublicKeyDecode(ptr(spki), &idx, &key, len(spki)) != 0) return false;
  const wc_HashType ht = wc_hash(hash);
  if (ht == WC_HASH_TYPE_NONE) return false;
  if (alg == SigAlg::rsa_pkcs1)
    return verify_hashed(ht, WC_SIGNATURE_TYPE_RSA_W_ENC, message, signature, &key, sizeof key);
#ifdef WC_RSA_PSS
  std::vector<byte> digest(static_cast<std::size_t>(wc_HashGetDigestSize(ht)));
  if (wc_Hash(ht, ptr(message), len(message), digest.data(), len(digest)) != 0) return false;
  std::vector<byte> sig(signature.begin(), signature.end());
  byte* out = nullptr;
  const int n = wc_RsaPSS_VerifyInline(sig.data(), len(sig), &out, ht, mgf_for(hash), &key);
  if (n < 0 || out == nullptr) return false;
  return wc_RsaPSS_CheckPadding(digest.data(), len(digest), out, static_cast<word32>(n), ht) == 0;
#else
  (void)mgf_for;
  return false;
#endif
}

bool verify_ecdsa(Bytes spki, HashAlg hash, Bytes message, Bytes signature) {
  ecc_key key;
  if (wc_ecc_init(&key) != 0) return false;
  struct Free {
    ecc_key* k;
    ~Free() { wc_ecc_free(k); }
  } guard{&key};
  word32 idx = 0;
  if (wc_EccPublicKeyDecode(ptr(spki), &idx, &key, len(spki)) != 0) return false;
  const wc_HashType ht = wc_hash(hash);
  if (ht == WC_HASH_TYPE_NONE) return false;
  return verify_hashed(ht, WC_SIGNATURE_TYPE_ECC, message, signature, &key, sizeof key);
}

bool verify_ed25519(Bytes spki, Bytes message, Bytes signature) {
#ifdef HAVE_ED25519
  ed25519_key key;
  if (wc_ed25519_init(&key) != 0) return false;
  struct Free {
    ed25519_key* k;
    ~Free() { wc_ed25519_free(k); }
  } guard{&key};
  word32 idx = 0;
  if (wc_Ed25519PublicKeyDecode(ptr(spki), &idx, &key, len(spki)) != 0) return false;
  int result = 0;
  return wc_ed25519_verify_msg(ptr(signature), len(signature), ptr(message), len(message), &result, &key) == 0 &&
         result == 1;
#else
  (void)spki, (void)message, (void)signature;
  return false;
#endif
}

bool compute_signature(Bytes spki, Bytes sig_alg, Bytes message, Bytes signature) {
  SigAlg alg;
  HashAlg hash;
  std::string name;
  describe_sig_alg(sig_alg, alg, hash, name);
  switch (alg) {
    case SigAlg::rsa_pkcs1:
    case SigAlg::rsa_pss:
      return verify_rsa(spki, alg, hash, message, signature);
    case SigAlg::ecdsa:
      return verify_ecdsa(spki, hash, message, signature);
    case SigAlg::ed25519:
      return verify_ed25519(spki, message, signature);
    default:
      return false;
  }
}

// A signature check is a pure function of its four inputs, and a server sees
// the same client chain again and again (a client, the same server chain):
// the outcome is kept, keyed by SHA-256 over the length-prefixed inputs, so
// the public-key arithmetic runs once per distinct (key, algorithm, message,
// signature). Every verdict still checks every signature; only the
// arithmetic is remembered. Bounded: emptied when full.
class SignatureMemo {
 public:
  using Key = std::array<std::uint8_t, WC_SHA256_DIGEST_SIZE>;
  static constexpr std::size_t kMaxEntries = 4096;

  static bool key_of(Bytes spki, Bytes sig_alg, Bytes message, Bytes signature, Key& key) {
    wc_Sha256 sha;
    if (wc_InitSha256(&sha) != 0) return false;
    bool ok = true;
    for (const Bytes part : {spki, sig_alg, message, signature}) {
      const auto len = static_cast<std::uint32_t>(part.size());
      std::array<std::uint8_t, 4> prefix{static_cast<std::uint8_t>(len >> 24), static_cast<std::uint8_t>(len >> 16),
                                         static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len)};
      ok = ok && wc_Sha256Update(&sha, prefix.data(), static_cast<word32>(prefix.size())) == 0;
      ok = ok && (part.empty() || wc_Sha256Update(&sha, part.data(), static_cast<word32>(part.size())) == 0);
    }
    ok = ok && wc_Sha256Final(&sha, key.data()) == 0;
    wc_Sha256Free(&sha);
    return ok;
  }

  std::optional<bool> find(const Key& key) {
    const std::lock_guard lock(mutex_);
    const auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    return it->second;
  }

  void store(const Key& key, bool valid) {
    const std::lock_guard lock(mutex_);
    if (entries_.size() >= kMaxEntries) entries_.clear();
    entries_.emplace(key, valid);
  }

 private:
  struct Hash {
    std::size_t operator()(const Key& k) const noexcept {
      std::size_t h = 0;
      std::memcpy(&h, k.data(), sizeof h);  // already uniformly distributed
      return h;
    }
  };
  std::mutex mutex_;
  std::unordered_map<Key, bool, Hash> entries_;
};

SignatureMemo& memo() {
  static SignatureMemo instance;
  return instance;
}

}  // namespace

bool verify_signature(Bytes spki, Bytes sig_alg, Bytes message, Bytes signature) {
  SignatureMemo::Key key{};
  if (!SignatureMemo::key_of(spki, sig_alg, message, signature, key))
    return compute_signature(spki, sig_alg, message, signature);
  if (const auto known = memo().find(key)) return *known;
  const bool valid = compute_signature(spki, sig_alg, message, signature);
  memo().store(key, valid);
  return valid;
}

}  // namespace ussl::x509
