//===- AddedTokens.h - Matching added tokens in raw text --------*- C++ -*-===//
//
// The added_tokens of a tokenizer.json (special markers such as
// "<｜begin▁of▁sentence｜>", and non-special ones) are found in the text
// before pre-tokenization and become one id each; BPE never sees them.
// Matching is leftmost-longest, as the Aho-Corasick automaton of HF
// `tokenizers` (MatchKind::LeftmostLongest) finds them.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_TOKENIZER_ADDEDTOKENS_H
#define RUNTIME_TOKENIZER_ADDEDTOKENS_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dsv2::tokenizer {

/// One entry of added_tokens.
struct AddedToken {
  int32_t id = -1;
  std::string content;
  bool special = false;
  bool singleWord = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
};

/// A stretch of the text: an added token (`id` >= 0) or text to
/// pre-tokenize (`id` == -1).
struct Segment {
  size_t begin, end;
  int32_t id;
};

class AddedTokenMatcher {
 public:
  /// Matches the tokens of `tokens` for which `normalized` equals
  /// `normalizedGroup`; HF matches the non-normalized group on the raw text
  /// first, then the normalized group on the (normalized) rest.
  AddedTokenMatcher(const std::vector<AddedToken>& tokens,
                    bool normalizedGroup);

  bool empty() const { return nodes_.size() <= 1; }

  /// Splits the [begin, end) stretch of `text` into segments, appended to
  /// `out`. lstrip/rstrip widen a match over adjacent whitespace;
  /// single_word rejects a match inside a word.
  void split(std::string_view text, size_t begin, size_t end,
             std::vector<Segment>& out) const;

 private:
  struct Node {
    std::vector<std::pair<unsigned char, int32_t>> children;  // Sorted.
    int32_t token = -1;  // Index into tokens_ when a token ends here.
  };
  int32_t child(int32_t node, unsigned char byte) const;

  std::vector<AddedToken> tokens_;
  std::vector<Node> nodes_;
  bool firstByte_[256] = {};
};

}  // namespace dsv2::tokenizer

#endif  // RUNTIME_TOKENIZER_ADDEDTOKENS_H
