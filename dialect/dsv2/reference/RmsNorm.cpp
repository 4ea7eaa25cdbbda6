//===- RmsNorm.cpp - Reference RMSNorm ------------------------------------===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/RmsNorm.h"

#include <cmath>

namespace dsv2::reference {

void rmsNorm(const float *x, const float *weight, int64_t rows, int64_t dim,
             double eps, float *y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float *xRow = x + r * dim;
    float *yRow = y + r * dim;
    double sumOfSquares = 0.0;
    for (int64_t i = 0; i < dim; ++i)
      sumOfSquares += static_cast<double>(xRow[i]) * xRow[i];
    double inverseRms =
        1.0 / std::sqrt(sumOfSquares / static_cast<double>(dim) + eps);
    for (int64_t i = 0; i < dim; ++i) {
      float normalized = static_cast<float>(xRow[i] * inverseRms);
      yRow[i] = normalized * weight[i];
    }
  }
}

} // namespace dsv2::reference
