//===- Regex.h - PCRE2 patterns for pre-tokenizer splits --------*- C++ -*-===//
//
// Hugging Face `tokenizers` runs Split patterns with Oniguruma (Ruby
// syntax); PCRE2 in UTF + UCP mode reads the same patterns the same way for
// what tokenizer.json files use (\p{..} classes, lookahead, \s, ranges of
// literal characters). Ruby's ^ and $ are line anchors, so patterns compile
// with PCRE2_MULTILINE, and LF is the only newline, as in Oniguruma.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_TOKENIZER_REGEX_H
#define RUNTIME_TOKENIZER_REGEX_H

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace dsv2::tokenizer {

/// A compiled pattern (JIT-compiled when PCRE2 supports it). Copies share
/// the compiled code; matching is thread-safe.
class Regex {
 public:
  /// Compiles `pattern` (a regular expression, or with `literal` a plain
  /// string). Errors name `what` (where the pattern came from), PCRE2's
  /// message and the offset in the pattern.
  static absl::StatusOr<Regex> compile(std::string_view pattern, bool literal,
                                       std::string_view what);

  /// Appends the [begin, end) byte ranges of the successive matches in
  /// `subject` (valid UTF-8), scanning as the `onig` crate's find_iter
  /// does: each search starts where the last match ended, and an empty
  /// match right where the previous match ended is skipped by advancing one
  /// character.
  void findAll(std::string_view subject,
               std::vector<std::pair<size_t, size_t>>& matches) const;

 private:
  struct Code;
  explicit Regex(std::shared_ptr<const Code> code) : code_(std::move(code)) {}

  std::shared_ptr<const Code> code_;
};

}  // namespace dsv2::tokenizer

#endif  // RUNTIME_TOKENIZER_REGEX_H
