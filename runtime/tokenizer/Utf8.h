//===- Utf8.h - UTF-8 validation with U+FFFD replacement --------*- C++ -*-===//
//
// Hugging Face `tokenizers` works on Rust strings, so its inputs are valid
// UTF-8 and its decoder turns byte sequences back into text with
// String::from_utf8_lossy. Both directions here replace every maximal
// ill-formed subpart (Unicode 15, section 3.9, "U+FFFD substitution of
// maximal subparts") with one U+FFFD, which is also what Python's
// bytes.decode("utf-8", "replace") does.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_TOKENIZER_UTF8_H
#define RUNTIME_TOKENIZER_UTF8_H

#include <cstddef>
#include <string>
#include <string_view>

namespace dsv2::tokenizer {

/// The replacement character U+FFFD in UTF-8.
inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

/// At `bytes[0]`: the length of a complete, valid UTF-8 sequence (1-4), or 0
/// when the bytes there do not start one. `*subpart` receives the length of
/// the maximal ill-formed subpart (>= 1) when 0 is returned, and `*truncated`
/// whether that subpart is a valid prefix cut off by the end of `bytes`.
size_t decodeUtf8Sequence(std::string_view bytes, size_t* subpart,
                          bool* truncated);

/// True when `bytes` is valid UTF-8.
bool isValidUtf8(std::string_view bytes);

/// `bytes` with each maximal ill-formed subpart replaced by U+FFFD.
std::string toValidUtf8Lossy(std::string_view bytes);

/// The length of the longest prefix of `bytes` whose lossy conversion can
/// not change when more bytes are appended: everything but a trailing,
/// still valid, incomplete sequence (at most 3 bytes).
size_t settledUtf8Prefix(std::string_view bytes);

/// Appends the UTF-8 encoding of `codePoint`.
void appendUtf8(char32_t codePoint, std::string& out);

}  // namespace dsv2::tokenizer

#endif  // RUNTIME_TOKENIZER_UTF8_H
