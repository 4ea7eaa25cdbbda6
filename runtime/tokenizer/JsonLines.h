//===- JsonLines.h - The JSONL contract of tokenize/detokenize --*- C++ -*-===//
//
// One JSON object per line. Texts to encode: {"text": "..."}, or
// {"text_base64": "..."} for byte strings that are not valid UTF-8 (which
// JSON strings cannot hold). Ids: {"ids": [1, 2, 3]}. Outputs are written
// compactly ({"ids":[1,2,3]}, {"text":"..."}), non-ASCII text unescaped, as
// Python's json.dumps(..., ensure_ascii=False, separators=(",", ":")).
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_TOKENIZER_JSONLINES_H
#define RUNTIME_TOKENIZER_JSONLINES_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace dsv2::tokenizer {

/// The text (raw bytes) of a {"text": ...} or {"text_base64": ...} line.
/// Errors (InvalidArgument) say what is wrong, without the line number.
absl::StatusOr<std::string> parseTextLine(std::string_view line);

/// The ids of an {"ids": [...]} line, as given (range checks are the
/// caller's, who knows the vocabulary).
absl::StatusOr<std::vector<int64_t>> parseIdsLine(std::string_view line);

/// {"ids":[...]} and {"text":"..."} (`text` must be valid UTF-8).
std::string formatIdsLine(absl::Span<const int32_t> ids);
std::string formatTextLine(std::string_view text);

}  // namespace dsv2::tokenizer

#endif  // RUNTIME_TOKENIZER_JSONLINES_H
