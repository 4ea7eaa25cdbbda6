//===- WeightPanels.h - Linear weights as column panels ---------*- C++ -*-===//
//
// CPU engines hold every weight a linear layer multiplies by (y = x @ W^T,
// W [N, K]) as column panels: panel p is W's rows p*16 .. p*16+15 stored
// K-major, [ceil(N / 16)][K][16], rows past N zero. One K step of a panel is
// 16 contiguous values, the 16 outputs' weights for input k, so the panel
// GEMM (`linear_panel`) adds x[i, k] * panel[k, :] into a [rows, 16]
// accumulator (an outer product, no horizontal sums) and the panel GEMV
// streams each panel front to back (docs/kernels.md).
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_IO_WEIGHTPANELS_H
#define RUNTIME_IO_WEIGHTPANELS_H

#include <cstdint>
#include <vector>

namespace dsv2::runtime {

/// Columns (W rows) per panel: two AVX2 vectors of f32.
constexpr int64_t kWeightPanelColumns = 16;

/// Elements of W [n, k] in panels (n rounded up to whole panels).
inline int64_t panelElements(int64_t n, int64_t k) {
  return (n + kWeightPanelColumns - 1) / kWeightPanelColumns *
         kWeightPanelColumns * k;
}

/// Where W[row, col] of a [n, k] weight lies in its panels.
inline int64_t panelOffset(int64_t row, int64_t col, int64_t k) {
  return (row / kWeightPanelColumns * k + col) * kWeightPanelColumns +
         row % kWeightPanelColumns;
}

/// W [n, k] (row-major) rearranged into panels; the padding rows are zero.
template <typename T>
std::vector<T> toWeightPanels(const T *w, int64_t n, int64_t k) {
  std::vector<T> panels(static_cast<size_t>(panelElements(n, k)), T{});
  for (int64_t row = 0; row < n; ++row)
    for (int64_t col = 0; col < k; ++col)
      panels[panelOffset(row, col, k)] = w[row * k + col];
  return panels;
}

/// Int4 panels (--quantize int4-experts, docs/quantization.md): the same
/// panels with two int4 values per byte and one f32 scale per output and
/// group of `group` inputs (group divides k and is even). Byte row j of a
/// panel holds inputs 2j (low nibble) and 2j + 1 (high nibble): both halves
/// of a byte share their group's scale, and a byte is the (2j, 2j + 1) pair
/// of an int16 activation pair. The scales are [ceil(n / 16)][k / group][16],
/// padding rows zero.
inline int64_t int4PanelBytes(int64_t n, int64_t k) {
  return panelElements(n, k / 2);
}
inline int64_t int4PanelScales(int64_t n, int64_t k, int64_t group) {
  return panelElements(n, k / group);
}

/// The byte of W[row, col] in its int4 panels, and whether it is the high
/// nibble.
inline int64_t int4PanelByte(int64_t row, int64_t col, int64_t k,
                             bool &high) {
  high = col % 2 == 1;
  return panelOffset(row, col / 2, k / 2);
}

/// Where the scale of W[row, group g] lies in the int4 panels' scales.
inline int64_t int4PanelScale(int64_t row, int64_t g, int64_t k,
                              int64_t group) {
  return panelOffset(row, g, k / group);
}

/// Int4 rows (GPU engines): W [N, K] as N rows of K / 2 bytes, byte j of a
/// row holding inputs 2j (low nibble) and 2j + 1 (high), as in the panels;
/// the scales [N][K / group].
inline int64_t int4RowByte(int64_t row, int64_t col, int64_t k, bool &high) {
  high = col % 2 == 1;
  return row * (k / 2) + col / 2;
}
inline int64_t int4RowScale(int64_t row, int64_t g, int64_t k, int64_t group) {
  return row * (k / group) + g;
}

} // namespace dsv2::runtime

#endif // RUNTIME_IO_WEIGHTPANELS_H
