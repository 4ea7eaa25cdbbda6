//===- PreTokenizer.cpp - Splitting text into words before BPE ------------===//
//
// Mirrors NormalizedString::split of HF `tokenizers`: the matches and the
// gaps between them tile the piece; the behavior then decides which tiles
// are removed or merged with a neighbour.
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/PreTokenizer.h"

namespace dsv2::tokenizer {
namespace {

struct Tile {
  size_t begin, end;
  bool isMatch;
};

}  // namespace

void applySplit(const SplitStep& step, std::string_view text,
                const std::vector<Piece>& pieces, std::vector<Piece>& out,
                std::vector<std::pair<size_t, size_t>>& scratch) {
  out.clear();
  std::vector<Tile> tiles;
  for (const Piece& piece : pieces) {
    if (piece.first == piece.second) continue;
    std::string_view subject = text.substr(piece.first, piece.second - piece.first);
    scratch.clear();
    step.pattern.findAll(subject, scratch);
    // Tile the piece with gaps (not matched) and matches.
    tiles.clear();
    size_t previous = 0;
    for (auto [begin, end] : scratch) {
      if (previous != begin) tiles.push_back({previous, begin, false});
      tiles.push_back({begin, end, true});
      previous = end;
    }
    if (previous != subject.size())
      tiles.push_back({previous, subject.size(), false});
    if (step.invert)
      for (Tile& tile : tiles) tile.isMatch = !tile.isMatch;

    // Each result: [begin, end) relative to the piece, and whether removed.
    size_t base = piece.first;
    auto emit = [&](size_t begin, size_t end) {
      if (begin != end) out.emplace_back(base + begin, base + end);
    };
    switch (step.behavior) {
      case SplitBehavior::kIsolated:
        for (const Tile& tile : tiles) emit(tile.begin, tile.end);
        break;
      case SplitBehavior::kRemoved:
        for (const Tile& tile : tiles)
          if (!tile.isMatch) emit(tile.begin, tile.end);
        break;
      case SplitBehavior::kContiguous:
      case SplitBehavior::kMergedWithPrevious: {
        // Contiguous: a tile of the same kind as the previous one extends
        // it. MergedWithPrevious: a match after a non-match extends it.
        std::vector<Piece> merged;
        bool previousMatch = false;
        for (const Tile& tile : tiles) {
          bool extend = step.behavior == SplitBehavior::kContiguous
                            ? tile.isMatch == previousMatch
                            : tile.isMatch && !previousMatch;
          if (extend && !merged.empty())
            merged.back().second = tile.end;
          else
            merged.emplace_back(tile.begin, tile.end);
          previousMatch = tile.isMatch;
        }
        for (const Piece& p : merged) emit(p.first, p.second);
        break;
      }
      case SplitBehavior::kMergedWithNext: {
        // The mirror image: walk backwards, a match before a non-match
        // extends the following piece.
        std::vector<Piece> merged;
        bool previousMatch = false;
        for (auto it = tiles.rbegin(); it != tiles.rend(); ++it) {
          if (it->isMatch && !previousMatch && !merged.empty())
            merged.back().first = it->begin;
          else
            merged.emplace_back(it->begin, it->end);
          previousMatch = it->isMatch;
        }
        for (auto it = merged.rbegin(); it != merged.rend(); ++it)
          emit(it->first, it->second);
        break;
      }
    }
  }
}

}  // namespace dsv2::tokenizer
