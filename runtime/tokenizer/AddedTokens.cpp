//===- AddedTokens.cpp - Matching added tokens in raw text ----------------===//
//
// A byte trie; the first position with a match wins, and there the longest
// token. lstrip/rstrip use Rust's char::is_whitespace (White_Space).
// single_word approximates HF's word test: ASCII alphanumerics, '_' and
// every non-ASCII character count as word characters (DeepSeek's files do
// not use single_word).
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/AddedTokens.h"

#include <algorithm>

#include "runtime/tokenizer/Utf8.h"

namespace dsv2::tokenizer {
namespace {

/// Rust's char::is_whitespace (the White_Space property) for the code point
/// starting at text[i]; `*length` receives its byte length.
bool whitespaceAt(std::string_view text, size_t i, size_t* length) {
  size_t subpart;
  bool truncated;
  size_t n = decodeUtf8Sequence(text.substr(i), &subpart, &truncated);
  *length = n == 0 ? subpart : n;
  auto b = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  if (n == 1) return (b(0) >= 0x09 && b(0) <= 0x0D) || b(0) == 0x20;
  if (n == 2) return (b(0) == 0xC2 && (b(1) == 0x85 || b(1) == 0xA0));
  if (n == 3) {
    char32_t c = ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    return c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
           c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
  }
  return false;
}

bool isWordByte(unsigned char b) {
  return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') ||
         (b >= 'A' && b <= 'Z') || b == '_' || b >= 0x80;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(const std::vector<AddedToken>& tokens,
                                     bool normalizedGroup) {
  nodes_.emplace_back();
  for (const AddedToken& token : tokens) {
    if (token.normalized != normalizedGroup || token.content.empty()) continue;
    int32_t node = 0;
    for (unsigned char byte : token.content) {
      int32_t next = child(node, byte);
      if (next < 0) {
        next = static_cast<int32_t>(nodes_.size());
        nodes_.emplace_back();
        auto& children = nodes_[node].children;
        children.insert(
            std::lower_bound(children.begin(), children.end(),
                             std::make_pair(byte, int32_t{-1})),
            {byte, next});
      }
      node = next;
    }
    // A repeated content keeps its first entry, as HF's map does.
    if (nodes_[node].token < 0) {
      nodes_[node].token = static_cast<int32_t>(tokens_.size());
      tokens_.push_back(token);
    }
    firstByte_[static_cast<unsigned char>(token.content[0])] = true;
  }
}

int32_t AddedTokenMatcher::child(int32_t node, unsigned char byte) const {
  const auto& children = nodes_[node].children;
  auto it = std::lower_bound(children.begin(), children.end(),
                             std::make_pair(byte, int32_t{-1}));
  if (it == children.end() || it->first != byte) return -1;
  return it->second;
}

void AddedTokenMatcher::split(std::string_view text, size_t begin, size_t end,
                              std::vector<Segment>& out) const {
  size_t textStart = begin;  // Start of the pending text segment.
  size_t i = begin;
  while (i < end) {
    if (!firstByte_[static_cast<unsigned char>(text[i])]) {
      ++i;
      continue;
    }
    // The longest token starting at i.
    int32_t node = 0, found = -1;
    size_t foundEnd = 0;
    for (size_t j = i; j < end; ++j) {
      node = child(node, static_cast<unsigned char>(text[j]));
      if (node < 0) break;
      if (nodes_[node].token >= 0) {
        found = nodes_[node].token;
        foundEnd = j + 1;
      }
    }
    if (found < 0) {
      ++i;
      continue;
    }
    const AddedToken& token = tokens_[found];
    size_t matchBegin = i, matchEnd = foundEnd;
    if (token.singleWord) {
      bool wordBefore =
          matchBegin > begin && isWordByte(static_cast<unsigned char>(text[matchBegin - 1]));
      bool wordAfter =
          matchEnd < end && isWordByte(static_cast<unsigned char>(text[matchEnd]));
      if (wordBefore || wordAfter) {
        // HF drops this match and continues after it.
        i = foundEnd;
        continue;
      }
    }
    if (token.lstrip) {
      // Back over whitespace, but not into what an earlier match took.
      size_t k = matchBegin;
      while (k > textStart) {
        size_t p = k - 1;
        while (p > textStart &&
               (static_cast<unsigned char>(text[p]) & 0xC0) == 0x80)
          --p;
        size_t length;
        if (!whitespaceAt(text, p, &length)) break;
        k = p;
      }
      matchBegin = k;
    }
    if (token.rstrip) {
      size_t length;
      while (matchEnd < end && whitespaceAt(text.substr(0, end), matchEnd, &length))
        matchEnd += length;
    }
    if (textStart < matchBegin) out.push_back({textStart, matchBegin, -1});
    out.push_back({matchBegin, matchEnd, token.id});
    textStart = matchEnd;
    i = matchEnd;
  }
  if (textStart < end) out.push_back({textStart, end, -1});
}

}  // namespace dsv2::tokenizer
