//===- Softmax.h - Reference softmax ----------------------------*- C++ -*-===//
//
// Part of dsv2c. Max-subtracted softmax over the last axis.
//
//===----------------------------------------------------------------------===//

#ifndef DSV2_DIALECT_DSV2_REFERENCE_SOFTMAX_H
#define DSV2_DIALECT_DSV2_REFERENCE_SOFTMAX_H

#include <cstdint>

namespace dsv2::reference {

/// In-place softmax of `n` doubles (max subtracted first). Entries equal to
/// -infinity (masked) become exactly 0. `n` must be at least 1 and at least
/// one entry must be finite.
void softmaxInPlace(double *values, int64_t n);

/// Row softmax: `y[r] = softmax(x[r])` for `x`, `y` of shape [rows, cols],
/// computed in double and rounded to float. `y` may alias `x`.
void softmaxRows(const float *x, int64_t rows, int64_t cols, float *y);

} // namespace dsv2::reference

#endif // DSV2_DIALECT_DSV2_REFERENCE_SOFTMAX_H
