//===- ByteLevel.cpp - GPT-2's byte <-> character alphabet ----------------===//

#include "runtime/tokenizer/ByteLevel.h"

#include <array>

#include "runtime/tokenizer/Utf8.h"

namespace dsv2::tokenizer {
namespace {

struct Alphabet {
  std::array<char32_t, 256> charOf;
  // Inverse for U+0000..U+0143 (the alphabet's range); -1 when unused.
  std::array<int, 0x144> byteOf;

  Alphabet() {
    byteOf.fill(-1);
    char32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) ||
                       (b >= 0xAE && b <= 0xFF);
      charOf[b] = printable ? static_cast<char32_t>(b) : next++;
      byteOf[charOf[b]] = b;
    }
  }
};

const Alphabet& alphabet() {
  static const Alphabet kAlphabet;
  return kAlphabet;
}

}  // namespace

char32_t byteLevelChar(unsigned char byte) { return alphabet().charOf[byte]; }

std::optional<std::string> byteLevelToBytes(std::string_view token) {
  const Alphabet& a = alphabet();
  std::string bytes;
  bytes.reserve(token.size());
  size_t i = 0;
  while (i < token.size()) {
    size_t subpart;
    bool truncated;
    size_t length = decodeUtf8Sequence(token.substr(i), &subpart, &truncated);
    // The alphabet lies in U+0021..U+0143: one or two UTF-8 bytes.
    char32_t c;
    if (length == 1) {
      c = static_cast<unsigned char>(token[i]);
    } else if (length == 2) {
      c = ((static_cast<unsigned char>(token[i]) & 0x1F) << 6) |
          (static_cast<unsigned char>(token[i + 1]) & 0x3F);
    } else {
      return std::nullopt;
    }
    if (c >= a.byteOf.size() || a.byteOf[c] < 0) return std::nullopt;
    bytes.push_back(static_cast<char>(a.byteOf[c]));
    i += length;
  }
  return bytes;
}

std::string bytesToByteLevel(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) appendUtf8(byteLevelChar(b), out);
  return out;
}

}  // namespace dsv2::tokenizer
