//===- MmaFragments.h - mma.m16n8k16 fragment layouts -----------*- C++ -*-===//
//
// Which matrix element each lane holds in the registers of
//   mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// and the warp-wide product computed from the 32 lanes' registers. Kept apart
// from the scheduler so the layout can be tested on its own.
//
// Source: PTX ISA, section 9.7.14.5.8 "Matrix Fragments for mma.m16n8k16 with
// floating point type" (Figures 79, 81 and 83;
// https://docs.nvidia.com/cuda/parallel-thread-execution/#warp-level-matrix-fragment-mma-16816-float):
//   groupID = %laneid >> 2, threadID_in_group = %laneid % 4
//   A (.bf16, a0..a7, two per .b32 register, low half first):
//     row = groupID for 0 <= i < 2 || 4 <= i < 6, groupID + 8 otherwise
//     col = threadID_in_group * 2 + (i & 1), + 8 for i >= 4
//   B (.bf16, b0..b3, two per register):
//     row = threadID_in_group * 2 + (i & 1), + 8 for i >= 2;  col = groupID
//   C/D (.f32, c0..c3):
//     row = groupID for i < 2, groupID + 8 for i >= 2
//     col = threadID_in_group * 2 + (i & 1)
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_SIMT_MMAFRAGMENTS_H
#define RUNTIME_SIMT_MMAFRAGMENTS_H

#include <cstdint>

namespace dsv2::runtime::simt {

inline constexpr int kWarpSize = 32;

struct MatrixCoord {
  int row;
  int col;
};

/// Element i (0..7) of `lane`'s A fragment: register i / 2, half i % 2.
MatrixCoord mmaAElement(int lane, int i);
/// Element i (0..3) of `lane`'s B fragment: register i / 2, half i % 2.
MatrixCoord mmaBElement(int lane, int i);
/// Element i (0..3) of `lane`'s C or D fragment.
MatrixCoord mmaCElement(int lane, int i);

/// One lane's registers as handed to the instruction.
struct MmaLaneFragments {
  uint32_t a[4];
  uint32_t b[2];
  float c[4];
};

/// D = A * B + C over the whole warp, in float32 with fmaf over k = 0..15 in
/// order; d[lane][i] is element i of that lane's D fragment.
void mmaM16N8K16Bf16Warp(const MmaLaneFragments lanes[kWarpSize],
                         float d[kWarpSize][4]);

} // namespace dsv2::runtime::simt

#endif // RUNTIME_SIMT_MMAFRAGMENTS_H
