//===- Softmax.cpp - Reference softmax ------------------------------------===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/Softmax.h"

#include <cmath>
#include <cstddef>
#include <vector>

namespace dsv2::reference {

void softmaxInPlace(double *values, int64_t n) {
  double maxValue = values[0];
  for (int64_t i = 1; i < n; ++i)
    maxValue = values[i] > maxValue ? values[i] : maxValue;
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    values[i] = std::exp(values[i] - maxValue);
    sum += values[i];
  }
  for (int64_t i = 0; i < n; ++i)
    values[i] /= sum;
}

void softmaxRows(const float *x, int64_t rows, int64_t cols, float *y) {
  std::vector<double> row(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c)
      row[c] = x[r * cols + c];
    softmaxInPlace(row.data(), cols);
    for (int64_t c = 0; c < cols; ++c)
      y[r * cols + c] = static_cast<float>(row[c]);
  }
}

} // namespace dsv2::reference
