// A strict DER reader: definite, minimal lengths; one-byte tags only (every
// tag X.509 uses). Private to the verifier.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ussl::der {

using Bytes = std::span<const std::uint8_t>;

// ASN.1 universal tags and the class bits of a one-byte tag.
inline constexpr std::uint8_t kBoolean = 0x01;
inline constexpr std::uint8_t kInteger = 0x02;
inline constexpr std::uint8_t kBitString = 0x03;
inline constexpr std::uint8_t kOctetString = 0x04;
inline constexpr std::uint8_t kNull = 0x05;
inline constexpr std::uint8_t kOid = 0x06;
inline constexpr std::uint8_t kUtf8String = 0x0c;
inline constexpr std::uint8_t kPrintableString = 0x13;
inline constexpr std::uint8_t kIa5String = 0x16;
inline constexpr std::uint8_t kUtcTime = 0x17;
inline constexpr std::uint8_t kGeneralizedTime = 0x18;
inline constexpr std::uint8_t kSequence = 0x30;
inline constexpr std::uint8_t kSet = 0x31;
inline constexpr std::uint8_t kContext = 0x80;      // [n] primitive: kContext | n
inline constexpr std::uint8_t kConstructed = 0x20;  // [n] constructed: kContext | kConstructed | n

// One TLV read from a Reader: its tag, its contents and the whole encoding.
struct Element {
  std::uint8_t tag = 0;
  Bytes value;
  Bytes whole;
};

class Reader {
 public:
  explicit Reader(Bytes data) : data_(data) {}

  bool empty() const noexcept { return pos_ >= data_.size(); }
  bool peek(std::uint8_t tag) const noexcept { return !empty() && data_[pos_] == tag; }

  // Reads the next element. False (and the reader stays put) when the
  // encoding is not valid DER or runs past the end.
  bool next(Element& out) {
    std::size_t p = pos_;
    if (p + 2 > data_.size()) return false;
    const std::uint8_t tag = data_[p++];
    if ((tag & 0x1f) == 0x1f) return false;  // multi-byte tag numbers: unused in X.509
    std::size_t len = data_[p++];
    if (len & 0x80) {
      const std::size_t count = len & 0x7f;
      if (count == 0 || count > 4 || p + count > data_.size()) return false;
      if (data_[p] == 0) return false;  // not minimal
      len = 0;
      for (std::size_t i = 0; i < count; ++i) len = (len << 8) | data_[p++];
      if (len < 0x80) return false;  // long form for a short length: not DER
    }
    if (len > data_.size() - p) return false;
    out.tag = tag;
    out.value = data_.subspan(p, len);
    out.whole = data_.subspan(pos_, p + len - pos_);
    pos_ = p + len;
    return true;
  }

  // Reads the next element only if it has this tag.
  bool expect(std::uint8_t tag, Element& out) { return peek(tag) && next(out); }
  bool expect(std::uint8_t tag, Bytes& value) {
    Element e;
    if (!expect(tag, e)) return false;
    value = e.value;
    return true;
  }

 private:
  Bytes data_;
  std::size_t pos_ = 0;
};

// Dotted text of an OID's contents ("2.5.29.19"), for messages.
std::string oid_text(Bytes oid);

// True when the contents equal the OID given in dotted form's DER bytes.
inline bool equal(Bytes a, Bytes b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); }

}  // namespace ussl::der
