//===- Tokenizer.h - DeepSeek's byte-level BPE tokenizer --------*- C++ -*-===//
//
// Encodes text to token ids and back as Hugging Face `tokenizers` does with
// a DeepSeek-V2/V3 tokenizer.json: added tokens are cut out of the raw text
// first, the rest goes through the pre_tokenizer's Split/Digits steps, the
// ByteLevel alphabet and BPE merges; decoding maps ids to bytes and repairs
// invalid UTF-8 with U+FFFD. Plain C++17 + abseil + PCRE2, so that the
// runtime (dsv2-run) can link it.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_TOKENIZER_TOKENIZER_H
#define RUNTIME_TOKENIZER_TOKENIZER_H

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace dsv2::tokenizer {

struct TokenizerConfig;

class Tokenizer {
 public:
  /// Parses a tokenizer.json; `source` names it in errors. Unsupported
  /// parts (normalizers that change text, non-BPE models, other
  /// pre-tokenizers or decoders) are InvalidArgument errors naming them.
  static absl::StatusOr<Tokenizer> fromJson(std::string_view json,
                                            std::string_view source = "tokenizer.json");
  /// Reads and parses the file at `path` (NotFound when it is missing).
  static absl::StatusOr<Tokenizer> fromFile(const std::string& path);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  /// The ids of `text`. With `addBos`, the post_processor's template is
  /// applied (DeepSeek's puts bos first), or, when the file has no
  /// TemplateProcessing, bos is prepended. Text that is not valid UTF-8 is
  /// first repaired: each maximal ill-formed subpart becomes U+FFFD, as
  /// Python's bytes.decode("utf-8", "replace") would before HF sees it.
  /// Thread-safe.
  std::vector<int32_t> encode(std::string_view text, bool addBos = false) const;

  /// The text of `ids`: their bytes concatenated, then each maximal
  /// ill-formed UTF-8 subpart replaced by U+FFFD (HF's from_utf8_lossy).
  /// Special added tokens are left out when `skipSpecialTokens` (HF's
  /// default); ids of no token contribute nothing, as in HF.
  std::string decode(absl::Span<const int32_t> ids,
                     bool skipSpecialTokens = true) const;

  /// Appends the bytes `id` decodes to (nothing for an unknown id, or a
  /// special token when `skipSpecialTokens`).
  void appendTokenBytes(int32_t id, bool skipSpecialTokens,
                        std::string& bytes) const;

  /// One past the largest id of the vocabulary and the added tokens.
  int32_t vocabSize() const;
  /// Whether `id` names a token (model vocabulary or added token).
  bool isKnownId(int32_t id) const;
  /// Whether `id` is an added token marked special.
  bool isSpecialId(int32_t id) const;
  /// <｜begin▁of▁sentence｜> / <｜end▁of▁sentence｜>, or -1 when absent.
  int32_t bosId() const;
  int32_t eosId() const;

 private:
  struct State;
  explicit Tokenizer(std::unique_ptr<State> state);

  void encodeText(std::string_view text, size_t begin, size_t end,
                  std::vector<int32_t>& ids) const;
  void encodeWord(std::string_view word, std::vector<int32_t>& ids) const;

  std::unique_ptr<State> state_;
};

/// Turns ids into text one at a time, for streaming generation: each call
/// returns only complete UTF-8 characters, holding back the bytes of a
/// character whose remaining bytes may still come. The concatenation of
/// every add() and the final flush() equals Tokenizer::decode of all ids.
class StreamingDecoder {
 public:
  /// `tokenizer` must outlive the decoder.
  explicit StreamingDecoder(const Tokenizer& tokenizer,
                            bool skipSpecialTokens = true)
      : tokenizer_(&tokenizer), skipSpecialTokens_(skipSpecialTokens) {}

  /// The text that `id` completes (possibly empty).
  std::string add(int32_t id);
  /// The held-back bytes, as U+FFFD (an incomplete character at the end).
  std::string flush();

 private:
  const Tokenizer* tokenizer_;
  bool skipSpecialTokens_;
  std::string pending_;
};

}  // namespace dsv2::tokenizer

#endif  // RUNTIME_TOKENIZER_TOKENIZER_H
