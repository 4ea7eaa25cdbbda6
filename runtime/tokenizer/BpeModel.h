//===- BpeModel.h - Byte-level BPE merges over one word ---------*- C++ -*-===//
//
// The BPE model of a tokenizer.json, held in byte form: each vocabulary
// entry of the byte-level alphabet is stored as the bytes it stands for, so
// words are merged without spelling them in the alphabet first. Merges are
// applied lowest rank first, leftmost first among equal ranks, exactly as
// Hugging Face `tokenizers` (Word::merge_all) does.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_TOKENIZER_BPEMODEL_H
#define RUNTIME_TOKENIZER_BPEMODEL_H

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace dsv2::tokenizer {

class BpeModel {
 public:
  /// `byteIds[b]`: the id of the token for byte b, or -1: then the ids in
  /// `byteFallback[b]` (byte_fallback's <0xXX> tokens) when there are some,
  /// else `unkId` when >= 0 (consecutive ones fused with `fuseUnk`), else
  /// nothing, as HF drops unknown characters without an unk_token.
  /// `merges`: (left id, right id, merged id) by rank. `words`: byte
  /// spellings -> id, used by ignore_merges.
  BpeModel(std::array<int32_t, 256> byteIds,
           std::array<std::vector<int32_t>, 256> byteFallback,
           const std::vector<std::array<int32_t, 3>>& merges,
           absl::flat_hash_map<std::string, int32_t> words, bool ignoreMerges,
           int32_t unkId, bool fuseUnk);

  /// Appends the ids of `word` (raw bytes of one pre-token).
  void encodeWord(std::string_view word, std::vector<int32_t>& ids) const;

 private:
  static uint64_t pairKey(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
           static_cast<uint32_t>(right);
  }

  struct Merge {
    int32_t rank;
    int32_t merged;
  };

  std::array<int32_t, 256> byteIds_;
  std::array<std::vector<int32_t>, 256> byteFallback_;
  absl::flat_hash_map<uint64_t, Merge> merges_;
  absl::flat_hash_map<std::string, int32_t> words_;
  bool ignoreMerges_;
  int32_t unkId_;
  bool fuseUnk_;
};

}  // namespace dsv2::tokenizer

#endif  // RUNTIME_TOKENIZER_BPEMODEL_H
