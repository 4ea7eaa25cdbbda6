//===- MmaFragments.cpp - mma.m16n8k16 fragment layouts -------------------===//

#include "runtime/simt/MmaFragments.h"

#include "runtime/io/Bf16.h"

#include <cmath>

namespace dsv2::runtime::simt {

MatrixCoord mmaAElement(int lane, int i) {
  int groupId = lane >> 2, inGroup = lane % 4;
  bool upperRows = !((i >= 0 && i < 2) || (i >= 4 && i < 6));
  return {groupId + (upperRows ? 8 : 0),
          inGroup * 2 + (i & 1) + (i >= 4 ? 8 : 0)};
}

MatrixCoord mmaBElement(int lane, int i) {
  int groupId = lane >> 2, inGroup = lane % 4;
  return {inGroup * 2 + (i & 1) + (i >= 2 ? 8 : 0), groupId};
}

MatrixCoord mmaCElement(int lane, int i) {
  int groupId = lane >> 2, inGroup = lane % 4;
  return {groupId + (i >= 2 ? 8 : 0), inGroup * 2 + (i & 1)};
}

/// Half `i % 2` of register `i / 2` (low half first) as a float.
static float unpackBf16(const uint32_t *registers, int i) {
  uint32_t bits = registers[i / 2] >> (16 * (i % 2));
  return bf16ToFloat32(static_cast<uint16_t>(bits & 0xffffu));
}

void mmaM16N8K16Bf16Warp(const MmaLaneFragments lanes[kWarpSize],
                         float d[kWarpSize][4]) {
  float a[16][16], b[16][8], c[16][8];
  for (int lane = 0; lane < kWarpSize; ++lane) {
    for (int i = 0; i < 8; ++i) {
      MatrixCoord at = mmaAElement(lane, i);
      a[at.row][at.col] = unpackBf16(lanes[lane].a, i);
    }
    for (int i = 0; i < 4; ++i) {
      MatrixCoord at = mmaBElement(lane, i);
      b[at.row][at.col] = unpackBf16(lanes[lane].b, i);
      MatrixCoord cAt = mmaCElement(lane, i);
      c[cAt.row][cAt.col] = lanes[lane].c[i];
    }
  }
  for (int lane = 0; lane < kWarpSize; ++lane) {
    for (int i = 0; i < 4; ++i) {
      MatrixCoord at = mmaCElement(lane, i);
      float sum = c[at.row][at.col];
      for (int k = 0; k < 16; ++k)
        sum = std::fmaf(a[at.row][k], b[k][at.col], sum);
      d[lane][i] = sum;
    }
  }
}

} // namespace dsv2::runtime::simt
