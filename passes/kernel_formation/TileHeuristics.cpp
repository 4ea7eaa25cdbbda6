//===- TileHeuristics.cpp - Tile sizes of the CPU kernels -----------------===//

#include "passes/kernel_formation/TileHeuristics.h"

#include <algorithm>

namespace mlir::dsv2 {

int64_t nextPowerOfTwo(int64_t value) {
  int64_t power = 1;
  while (power < value)
    power <<= 1;
  return power;
}

GemmTiles chooseGemmTiles(int64_t n, int64_t k, bool gpu) {
  if (gpu)
    return {32, std::min<int64_t>(64, nextPowerOfTwo(n)),
            std::min<int64_t>(32, nextPowerOfTwo(k))};
  return {8, std::min<int64_t>(32, nextPowerOfTwo(n)),
          std::min<int64_t>(16, nextPowerOfTwo(k))};
}

GemvTiles chooseGemvTiles(int64_t n, int64_t k, bool gpu) {
  return {std::min<int64_t>(4, nextPowerOfTwo(n)),
          std::min<int64_t>(gpu ? 256 : 16, nextPowerOfTwo(k))};
}

static int64_t largestHeadGroup(int64_t heads, int64_t largest) {
  int64_t group = largest;
  while (group > 1 && heads % group != 0)
    group /= 2;
  return group >= 4 ? group : 1;
}

int64_t chooseAttentionHeadGroup(int64_t heads) {
  return largestHeadGroup(heads, kAttentionHeadGroup);
}

int64_t chooseTensorCoreHeadGroup(int64_t heads) {
  return largestHeadGroup(heads, kTensorCoreHeadGroup);
}

int64_t chooseAttentionSplits(int64_t programs, int64_t maxContext) {
  int64_t splits = std::max<int64_t>(1, 128 / std::max<int64_t>(1, programs));
  splits = std::min<int64_t>(splits, std::max<int64_t>(1, maxContext / 64));
  return std::min<int64_t>(splits, 32);
}

PanelGemmTiles choosePanelGemmTiles(int64_t vectorBits, bool batchedDecode) {
  if (vectorBits >= 512)
    return {batchedDecode ? kPanelDecodeBatchRows : kPanelGemmRowsWide,
            kPanelGemmPanelsWide};
  return {batchedDecode ? kPanelDecodeBatchRows : kPanelGemmRows, 1};
}

int64_t choosePanelGroupedRows(int64_t vectorBits) {
  return vectorBits >= 512 ? kPanelGroupedRowsWide : kPanelGroupedRowsAvx2;
}

int64_t chooseRowBlock(int64_t width) {
  return std::min<int64_t>(4096, nextPowerOfTwo(width));
}

} // namespace mlir::dsv2
