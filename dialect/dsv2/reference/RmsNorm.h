//===- RmsNorm.h - Reference RMSNorm ----------------------------*- C++ -*-===//
//
// Part of dsv2c. DeepseekV2RMSNorm in fp32 with double accumulation.
//
//===----------------------------------------------------------------------===//

#ifndef DSV2_DIALECT_DSV2_REFERENCE_RMSNORM_H
#define DSV2_DIALECT_DSV2_REFERENCE_RMSNORM_H

#include <cstdint>

namespace dsv2::reference {

/// y = x * rsqrt(mean(x^2) + eps) * weight, row by row.
///
/// `x` and `y` are [rows, dim], `weight` is [dim]. The mean of squares is
/// accumulated in double; the normalized value is rounded to float before the
/// weight multiply, as the reference casts back to the activation dtype before
/// applying the weight. `y` may alias `x` (in place).
void rmsNorm(const float *x, const float *weight, int64_t rows, int64_t dim,
             double eps, float *y);

} // namespace dsv2::reference

#endif // DSV2_DIALECT_DSV2_REFERENCE_RMSNORM_H
