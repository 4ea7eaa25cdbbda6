//===- PreTokenizer.h - Splitting text into words before BPE ----*- C++ -*-===//
//
// The pre_tokenizer steps of a tokenizer.json, flattened from any Sequence:
// Split (regex or string pattern, a delimiter behavior, invert) and Digits,
// applied in order to every piece the previous step produced, as Hugging
// Face `tokenizers` does; then one final ByteLevel step.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_TOKENIZER_PRETOKENIZER_H
#define RUNTIME_TOKENIZER_PRETOKENIZER_H

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/tokenizer/Regex.h"

namespace dsv2::tokenizer {

/// What a Split does with the text its pattern matched (HF's
/// SplitDelimiterBehavior).
enum class SplitBehavior {
  kRemoved,
  kIsolated,
  kMergedWithPrevious,
  kMergedWithNext,
  kContiguous,
};

/// One splitting step. Digits(individual_digits) is a Split on `\p{N}`:
/// Isolated when individual, Contiguous otherwise.
struct SplitStep {
  Regex pattern;
  SplitBehavior behavior;
  bool invert;
};

/// A piece of the text being tokenized: bytes [begin, end).
using Piece = std::pair<size_t, size_t>;

/// Splits each of `pieces` of `text` by `step` into `out` (cleared first),
/// dropping empty pieces. `scratch` is reused between calls.
void applySplit(const SplitStep& step, std::string_view text,
                const std::vector<Piece>& pieces, std::vector<Piece>& out,
                std::vector<std::pair<size_t, size_t>>& scratch);

}  // namespace dsv2::tokenizer

#endif  // RUNTIME_TOKENIZER_PRETOKENIZER_H
