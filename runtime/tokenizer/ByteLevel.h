//===- ByteLevel.h - GPT-2's byte <-> character alphabet --------*- C++ -*-===//
//
// Byte-level BPE (GPT-2, DeepSeek) writes every byte as one printable
// character, so that vocabulary entries are text: printable Latin-1 bytes
// stand for themselves and the other 68 bytes for U+0100..U+0143, in byte
// order (a space is "Ġ", a newline "Ċ").
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_TOKENIZER_BYTELEVEL_H
#define RUNTIME_TOKENIZER_BYTELEVEL_H

#include <optional>
#include <string>
#include <string_view>

namespace dsv2::tokenizer {

/// The character that stands for `byte`.
char32_t byteLevelChar(unsigned char byte);

/// The bytes a byte-level token stands for, or nullopt when `token` (UTF-8)
/// holds a character outside the alphabet (added tokens such as
/// "<｜begin▁of▁sentence｜>"), or is not valid UTF-8.
std::optional<std::string> byteLevelToBytes(std::string_view token);

/// The byte-level spelling (UTF-8) of `bytes`.
std::string bytesToByteLevel(std::string_view bytes);

}  // namespace dsv2::tokenizer

#endif  // RUNTIME_TOKENIZER_BYTELEVEL_H
