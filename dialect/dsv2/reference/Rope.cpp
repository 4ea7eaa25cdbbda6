//===- Rope.cpp - Reference rotary embedding (YaRN) -----------------------===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/Rope.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace dsv2::reference {
namespace {

constexpr double kPi = 3.14159265358979323846;

/// yarn_find_correction_dim: the (fractional) dimension index whose
/// wavelength completes `rotations` turns over the original context.
double yarnCorrectionDim(double rotations, const RopeParams &params) {
  return static_cast<double>(params.dim) *
         std::log(static_cast<double>(params.originalMaxPosition) /
                  (rotations * 2.0 * kPi)) /
         (2.0 * std::log(params.theta));
}

} // namespace

YarnCorrectionRange yarnCorrectionRange(const RopeParams &params) {
  double low = std::floor(yarnCorrectionDim(params.betaFast, params));
  double high = std::ceil(yarnCorrectionDim(params.betaSlow, params));
  return {std::max(low, 0.0),
          std::min(high, static_cast<double>(params.dim - 1))};
}

double yarnMscale(double scale, double mscale) {
  if (scale <= 1.0)
    return 1.0;
  return 0.1 * mscale * std::log(scale) + 1.0;
}

std::vector<double> ropeInverseFrequencies(const RopeParams &params) {
  int64_t half = params.dim / 2;
  std::vector<double> invFreq(static_cast<size_t>(half));
  for (int64_t j = 0; j < half; ++j)
    invFreq[j] =
        1.0 / std::pow(params.theta, static_cast<double>(2 * j) /
                                         static_cast<double>(params.dim));
  if (!params.yarn)
    return invFreq;

  YarnCorrectionRange range = yarnCorrectionRange(params);
  double low = range.low;
  double high = range.high;
  if (low == high)
    high += 0.001; // Avoid a division by zero, as yarn_linear_ramp_mask.
  for (int64_t j = 0; j < half; ++j) {
    double ramp = (static_cast<double>(j) - low) / (high - low);
    ramp = std::clamp(ramp, 0.0, 1.0);
    double extrapolated = invFreq[j];
    double interpolated = extrapolated / params.factor;
    invFreq[j] = interpolated * ramp + extrapolated * (1.0 - ramp);
  }
  return invFreq;
}

double ropeCosSinScale(const RopeParams &params) {
  if (!params.yarn)
    return 1.0;
  return yarnMscale(params.factor, params.mscale) /
         yarnMscale(params.factor, params.mscaleAllDim);
}

void applyRopeAdjacentPairsStrided(float *x, int64_t tokens,
                                   int64_t tokenStride, int64_t heads,
                                   int64_t headStride, const int64_t *positions,
                                   const RopeParams &params) {
  std::vector<double> invFreq = ropeInverseFrequencies(params);
  double scale = ropeCosSinScale(params);
  int64_t half = params.dim / 2;
  std::vector<double> cosines(static_cast<size_t>(half));
  std::vector<double> sines(static_cast<size_t>(half));
  for (int64_t t = 0; t < tokens; ++t) {
    double position = static_cast<double>(positions[t]);
    for (int64_t j = 0; j < half; ++j) {
      double angle = position * invFreq[j];
      cosines[j] = std::cos(angle) * scale;
      sines[j] = std::sin(angle) * scale;
    }
    for (int64_t h = 0; h < heads; ++h) {
      float *head = x + t * tokenStride + h * headStride;
      for (int64_t j = 0; j < half; ++j) {
        double a = head[2 * j];
        double b = head[2 * j + 1];
        head[2 * j] = static_cast<float>(a * cosines[j] - b * sines[j]);
        head[2 * j + 1] = static_cast<float>(b * cosines[j] + a * sines[j]);
      }
    }
  }
}

void applyRopeAdjacentPairs(float *x, int64_t tokens, int64_t heads,
                            int64_t dim, const int64_t *positions,
                            const RopeParams &params) {
  // `dim` is the layout width of one head; it equals params.dim for a tensor
  // holding only the rotated part.
  applyRopeAdjacentPairsStrided(x, tokens, heads * dim, heads, dim, positions,
                                params);
}

} // namespace dsv2::reference
