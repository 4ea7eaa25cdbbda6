//===- BpeModel.cpp - Byte-level BPE merges over one word -----------------===//
//
// Symbols form a linked list over the word; candidate merges sit in a heap
// keyed by (rank, position). Entries whose symbols changed since they were
// pushed are recognised on pop and dropped, so each merge costs O(log n).
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/BpeModel.h"

#include <algorithm>
#include <queue>

namespace dsv2::tokenizer {

BpeModel::BpeModel(std::array<int32_t, 256> byteIds,
                   std::array<std::vector<int32_t>, 256> byteFallback,
                   const std::vector<std::array<int32_t, 3>>& merges,
                   absl::flat_hash_map<std::string, int32_t> words,
                   bool ignoreMerges, int32_t unkId, bool fuseUnk)
    : byteIds_(byteIds),
      byteFallback_(std::move(byteFallback)),
      words_(std::move(words)),
      ignoreMerges_(ignoreMerges),
      unkId_(unkId),
      fuseUnk_(fuseUnk) {
  merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& m = merges[rank];
    // A repeated pair keeps its last rank, as HF's HashMap collect does.
    merges_[pairKey(m[0], m[1])] = Merge{static_cast<int32_t>(rank), m[2]};
  }
}

void BpeModel::encodeWord(std::string_view word,
                          std::vector<int32_t>& ids) const {
  if (word.empty()) return;
  if (ignoreMerges_) {
    auto it = words_.find(absl::string_view(word.data(), word.size()));
    if (it != words_.end()) {
      ids.push_back(it->second);
      return;
    }
  }
  struct Symbol {
    int32_t id;
    int32_t prev, next;  // -1 at the ends.
    bool removed;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  bool lastWasUnk = false;
  auto add = [&](int32_t id) {
    int32_t index = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, index - 1, index + 1, false});
  };
  for (unsigned char byte : word) {
    int32_t id = byteIds_[byte];
    if (id >= 0) {
      add(id);
      lastWasUnk = false;
    } else if (!byteFallback_[byte].empty()) {
      for (int32_t fallbackId : byteFallback_[byte]) add(fallbackId);
      lastWasUnk = false;
    } else if (unkId_ >= 0 && !(fuseUnk_ && lastWasUnk)) {
      add(unkId_);
      lastWasUnk = true;
    }
  }
  if (symbols.empty()) return;
  symbols.back().next = -1;

  struct Candidate {
    int32_t rank;
    int32_t position;
    int32_t merged;
    bool operator>(const Candidate& other) const {
      return rank != other.rank ? rank > other.rank : position > other.position;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto push = [&](int32_t position) {
    int32_t next = symbols[position].next;
    if (next < 0) return;
    auto it = merges_.find(pairKey(symbols[position].id, symbols[next].id));
    if (it != merges_.end())
      heap.push({it->second.rank, position, it->second.merged});
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols.size()); ++i)
    push(i);

  while (!heap.empty()) {
    Candidate top = heap.top();
    heap.pop();
    Symbol& left = symbols[top.position];
    if (left.removed || left.next < 0) continue;
    Symbol& right = symbols[left.next];
    // Stale: the pair at this position is no longer the one pushed.
    auto it = merges_.find(pairKey(left.id, right.id));
    if (it == merges_.end() || it->second.merged != top.merged) continue;
    left.id = top.merged;
    right.removed = true;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.position;
    if (left.prev >= 0) push(left.prev);
    push(top.position);
  }
  for (int32_t i = 0; i >= 0; i = symbols[i].next) ids.push_back(symbols[i].id);
}

}  // namespace dsv2::tokenizer
