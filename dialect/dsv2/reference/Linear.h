//===- Linear.h - Reference fp32 linear layer -------------------*- C++ -*-===//
//
// Part of dsv2c. The reference interpreter's dense matrix product.
//
//===----------------------------------------------------------------------===//

#ifndef DSV2_DIALECT_DSV2_REFERENCE_LINEAR_H
#define DSV2_DIALECT_DSV2_REFERENCE_LINEAR_H

#include <cstdint>

namespace dsv2::reference {

/// Dot product of two contiguous float vectors of length `n`, accumulated in
/// double (four partial sums, so the loop still pipelines).
double dotProduct(const float *a, const float *b, int64_t n);

/// y = x @ W^T, the nn.Linear convention (no bias).
///
/// `x` is [rows, inDim], `w` is [outDim, inDim] (the checkpoint layout), `y` is
/// [rows, outDim]; all row-major and contiguous. Each output element is a
/// double-accumulated dot product, rounded once to float. `y` must not alias
/// `x` or `w`.
void linear(const float *x, const float *w, int64_t rows, int64_t inDim,
            int64_t outDim, float *y);

} // namespace dsv2::reference

#endif // DSV2_DIALECT_DSV2_REFERENCE_LINEAR_H
