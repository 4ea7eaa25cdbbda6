//===- Regex.cpp - PCRE2 patterns for pre-tokenizer splits ----------------===//

#define PCRE2_CODE_UNIT_WIDTH 8
#include "runtime/tokenizer/Regex.h"

#include <pcre2.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dsv2::tokenizer {

struct Regex::Code {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Code() { pcre2_code_free(code); }
};

absl::StatusOr<Regex> Regex::compile(std::string_view pattern, bool literal,
                                     std::string_view what) {
  pcre2_compile_context* context = pcre2_compile_context_create(nullptr);
  pcre2_set_newline(context, PCRE2_NEWLINE_LF);
  uint32_t options = PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE;
  if (literal) options = PCRE2_UTF | PCRE2_LITERAL;
  int errorCode = 0;
  PCRE2_SIZE errorOffset = 0;
  pcre2_code* code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()),
                    pattern.size(), options, &errorCode, &errorOffset, context);
  pcre2_compile_context_free(context);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(errorCode, message, sizeof(message));
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(what), ": the pattern does not compile: ",
        reinterpret_cast<const char*>(message), " at offset ", errorOffset));
  }
  auto compiled = std::make_shared<Code>();
  compiled->code = code;
  compiled->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  return Regex(std::move(compiled));
}

void Regex::findAll(std::string_view subject,
                    std::vector<std::pair<size_t, size_t>>& matches) const {
  // One ovector pair is all we read; the match data is cheap to make.
  pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
  auto subjectPtr = reinterpret_cast<PCRE2_SPTR>(subject.data());
  size_t position = 0;
  bool haveLast = false;
  size_t lastEnd = 0;
  while (position <= subject.size()) {
    // The input was validated once: skip PCRE2's UTF check on every call.
    int rc = code_->jit
                 ? pcre2_jit_match(code_->code, subjectPtr, subject.size(),
                                   position, PCRE2_NO_UTF_CHECK, data, nullptr)
                 : pcre2_match(code_->code, subjectPtr, subject.size(),
                               position, PCRE2_NO_UTF_CHECK, data, nullptr);
    if (rc < 0) break;  // No match (or a resource limit): no more matches.
    PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data);
    size_t begin = ovector[0], end = ovector[1];
    if (begin == end && haveLast && lastEnd == end) {
      // Step over one character (UTF-8 lead byte + continuations).
      if (position >= subject.size()) break;
      ++position;
      while (position < subject.size() &&
             (static_cast<unsigned char>(subject[position]) & 0xC0) == 0x80)
        ++position;
      continue;
    }
    matches.emplace_back(begin, end);
    position = end;
    haveLast = true;
    lastEnd = end;
  }
  pcre2_match_data_free(data);
}

}  // namespace dsv2::tokenizer
