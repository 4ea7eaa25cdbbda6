//===- Linear.cpp - Reference fp32 linear layer ---------------------------===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/Linear.h"

namespace dsv2::reference {

double dotProduct(const float *a, const float *b, int64_t n) {
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += static_cast<double>(a[i]) * b[i];
    s1 += static_cast<double>(a[i + 1]) * b[i + 1];
    s2 += static_cast<double>(a[i + 2]) * b[i + 2];
    s3 += static_cast<double>(a[i + 3]) * b[i + 3];
  }
  for (; i < n; ++i)
    s0 += static_cast<double>(a[i]) * b[i];
  return (s0 + s1) + (s2 + s3);
}

void linear(const float *x, const float *w, int64_t rows, int64_t inDim,
            int64_t outDim, float *y) {
  // Weight rows outer, activation rows inner: each weight row is read from
  // memory once and reused for every activation row while it is in cache.
  for (int64_t o = 0; o < outDim; ++o) {
    const float *wRow = w + o * inDim;
    for (int64_t r = 0; r < rows; ++r)
      y[r * outDim + o] =
          static_cast<float>(dotProduct(x + r * inDim, wRow, inDim));
  }
}

} // namespace dsv2::reference
