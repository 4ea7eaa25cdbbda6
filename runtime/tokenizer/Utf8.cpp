//===- Utf8.cpp - UTF-8 validation with U+FFFD replacement ----------------===//
//
// The well-formed byte sequences of Unicode table 3-7; a subpart ends at the
// first byte that cannot continue a well-formed sequence.
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/Utf8.h"

#include <cstdint>

namespace dsv2::tokenizer {

size_t decodeUtf8Sequence(std::string_view bytes, size_t* subpart,
                          bool* truncated) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(bytes[i]); };
  uint8_t lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length;
  // The allowed range of the second byte depends on the lead (no overlong
  // forms, no surrogates, nothing above U+10FFFF); later bytes are 80..BF.
  uint8_t low = 0x80, high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    *subpart = 1;
    *truncated = false;
    return 0;
  }
  for (size_t i = 1; i < length; ++i) {
    if (i >= bytes.size()) {
      *subpart = i;
      *truncated = true;
      return 0;
    }
    uint8_t b = byte(i);
    bool ok = i == 1 ? (b >= low && b <= high) : (b >= 0x80 && b <= 0xBF);
    if (!ok) {
      *subpart = i;
      *truncated = false;
      return 0;
    }
  }
  return length;
}

bool isValidUtf8(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    // ASCII runs are the common case.
    if (static_cast<uint8_t>(bytes[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t subpart;
    bool truncated;
    size_t length = decodeUtf8Sequence(bytes.substr(i), &subpart, &truncated);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string toValidUtf8Lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    size_t subpart;
    bool truncated;
    size_t length = decodeUtf8Sequence(bytes.substr(i), &subpart, &truncated);
    if (length > 0) {
      out.append(bytes.data() + i, length);
      i += length;
    } else {
      out.append(kReplacementCharacter);
      i += subpart;
    }
  }
  return out;
}

size_t settledUtf8Prefix(std::string_view bytes) {
  // Only the last three bytes can hold an incomplete sequence; find the
  // start of the last sequence and see whether it is a cut-off valid prefix.
  size_t start = bytes.size() > 3 ? bytes.size() - 3 : 0;
  for (size_t i = bytes.size(); i > start; --i) {
    uint8_t b = static_cast<uint8_t>(bytes[i - 1]);
    if ((b & 0xC0) == 0x80) continue;  // A continuation byte.
    if (b < 0xC0) return bytes.size();   // ASCII: nothing pending.
    size_t subpart;
    bool truncated;
    size_t length =
        decodeUtf8Sequence(bytes.substr(i - 1), &subpart, &truncated);
    if (length == 0 && truncated && i - 1 + subpart == bytes.size())
      return i - 1;
    return bytes.size();
  }
  return bytes.size();
}

void appendUtf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

}  // namespace dsv2::tokenizer
