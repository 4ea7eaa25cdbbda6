//===- StreamingDecoder.cpp - Incremental decoding of ids -----------------===//
//
// Bytes accumulate until they end on a character boundary; invalid bytes
// are settled (and replaced) as soon as no later byte can change them.
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/Tokenizer.h"
#include "runtime/tokenizer/Utf8.h"

namespace dsv2::tokenizer {

std::string StreamingDecoder::add(int32_t id) {
  tokenizer_->appendTokenBytes(id, skipSpecialTokens_, pending_);
  size_t settled = settledUtf8Prefix(pending_);
  std::string text = toValidUtf8Lossy(std::string_view(pending_).substr(0, settled));
  pending_.erase(0, settled);
  return text;
}

std::string StreamingDecoder::flush() {
  std::string text = toValidUtf8Lossy(pending_);
  pending_.clear();
  return text;
}

}  // namespace dsv2::tokenizer
