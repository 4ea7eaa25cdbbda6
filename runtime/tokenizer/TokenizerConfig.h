//===- TokenizerConfig.h - A validated tokenizer.json -----------*- C++ -*-===//
//
// Reads the parts of a Hugging Face tokenizer.json that byte-level BPE
// tokenizers (DeepSeek-V2, DeepSeek-V3) use, and rejects everything else
// with an error naming the JSON path and the unsupported kind, so that a
// file we would tokenize differently from HF `tokenizers` never loads.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_TOKENIZER_TOKENIZERCONFIG_H
#define RUNTIME_TOKENIZER_TOKENIZERCONFIG_H

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/tokenizer/AddedTokens.h"
#include "runtime/tokenizer/BpeModel.h"
#include "runtime/tokenizer/PreTokenizer.h"

namespace dsv2::tokenizer {

/// The final ByteLevel pre-tokenizer step.
struct ByteLevelStep {
  bool addPrefixSpace = true;
  /// With use_regex: GPT-2's word pattern, Isolated, after the prefix space.
  std::unique_ptr<Regex> wordPattern;
};

/// Everything the tokenizer needs, validated.
struct TokenizerConfig {
  std::vector<AddedToken> addedTokens;
  std::vector<SplitStep> splits;
  ByteLevelStep byteLevel;
  std::unique_ptr<BpeModel> model;
  /// The bytes each id decodes to (byte-level tokens: the bytes they stand
  /// for; others, like added tokens: their UTF-8 text, as HF's ByteLevel
  /// decoder falls back to). `known[id]` is false for ids in no vocabulary.
  std::vector<std::string> idBytes;
  std::vector<bool> known;
  std::vector<bool> special;
  /// The post_processor's single-sequence template around the ids (empty
  /// without a TemplateProcessing), and whether there was one.
  std::vector<int32_t> templatePrefix, templateSuffix;
  bool hasTemplate = false;
  int32_t bosId = -1, eosId = -1;
};

/// Parses and validates `json`; errors are InvalidArgument, one line,
/// starting with `source` (the file name) and the JSON path.
absl::StatusOr<TokenizerConfig> parseTokenizerJson(std::string_view json,
                                                   std::string_view source);

/// DeepSeek's markers.
inline constexpr std::string_view kBosContent = "<｜begin▁of▁sentence｜>";
inline constexpr std::string_view kEosContent = "<｜end▁of▁sentence｜>";

}  // namespace dsv2::tokenizer

#endif  // RUNTIME_TOKENIZER_TOKENIZERCONFIG_H
