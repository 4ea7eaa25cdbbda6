//===- RopeTest.cpp - Tests of the reference rotary embedding -------------===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/Rope.h"
#include "dialect/dsv2/reference/MlaLayer.h"

#include <cstddef>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace dsv2::reference {
namespace {

/// DeepSeek-V2's (and V2-Lite's) rotary configuration.
RopeParams deepseekV2Rope() {
  RopeParams params;
  params.dim = 64;
  params.theta = 10000;
  params.yarn = true;
  params.factor = 40;
  params.originalMaxPosition = 4096;
  params.betaFast = 32;
  params.betaSlow = 1;
  params.mscale = 0.707;
  params.mscaleAllDim = 0.707;
  return params;
}

double plainInverseFrequency(int64_t j, int64_t dim, double theta) {
  return std::pow(theta,
                  -2.0 * static_cast<double>(j) / static_cast<double>(dim));
}

TEST(RopeTest, YarnCorrectionRangeOfDeepseekV2) {
  // corr(32) = 64 ln(4096 / 64 pi) / (2 ln 1e4) = 10.47 -> floor 10;
  // corr(1) = 64 ln(4096 / 2 pi) / (2 ln 1e4) = 22.51 -> ceil 23.
  YarnCorrectionRange range = yarnCorrectionRange(deepseekV2Rope());
  EXPECT_EQ(range.low, 10.0);
  EXPECT_EQ(range.high, 23.0);
}

TEST(RopeTest, YarnInverseFrequenciesOfDeepseekV2) {
  RopeParams params = deepseekV2Rope();
  std::vector<double> invFreq = ropeInverseFrequencies(params);
  ASSERT_EQ(invFreq.size(), 32u);
  for (int64_t j = 0; j < 32; ++j) {
    double extrapolated = plainInverseFrequency(j, 64, 10000);
    double interpolated = extrapolated / 40;
    if (j <= 10) { // Below the correction range: pure extrapolation.
      EXPECT_DOUBLE_EQ(invFreq[j], extrapolated) << "j=" << j;
    } else if (j >= 23) { // Above it: pure interpolation (extra / factor).
      EXPECT_DOUBLE_EQ(invFreq[j], interpolated) << "j=" << j;
    } else { // Linear ramp between low = 10 and high = 23.
      double ramp = (static_cast<double>(j) - 10.0) / 13.0;
      EXPECT_DOUBLE_EQ(invFreq[j],
                       interpolated * ramp + extrapolated * (1 - ramp))
          << "j=" << j;
    }
  }
  EXPECT_DOUBLE_EQ(invFreq[0], 1.0);
}

TEST(RopeTest, PlainInverseFrequenciesWithoutYarn) {
  RopeParams params = deepseekV2Rope();
  params.yarn = false;
  std::vector<double> invFreq = ropeInverseFrequencies(params);
  for (int64_t j = 0; j < 32; ++j)
    EXPECT_DOUBLE_EQ(invFreq[j], plainInverseFrequency(j, 64, 10000));
}

TEST(RopeTest, EqualCorrectionBoundsGetNudged) {
  // dim 2 clamps high to dim - 1 = 1, and low = floor(corr(32)) = 1 too:
  // the ramp uses high = 1.001, so j = 0 is still pure extrapolation.
  RopeParams params = deepseekV2Rope();
  params.dim = 2;
  params.betaFast = 0.01;
  params.betaSlow = 0.001;
  YarnCorrectionRange range = yarnCorrectionRange(params);
  ASSERT_EQ(range.low, range.high);
  std::vector<double> invFreq = ropeInverseFrequencies(params);
  EXPECT_DOUBLE_EQ(invFreq[0], 1.0);
}

TEST(RopeTest, MscaleAndCosSinScale) {
  EXPECT_EQ(yarnMscale(1.0, 0.707), 1.0);
  EXPECT_NEAR(yarnMscale(40, 0.707), 1.2608038, 1e-7);
  RopeParams params = deepseekV2Rope();
  // mscale == mscale_all_dim: the ratio is exactly 1 (not 1.26).
  EXPECT_EQ(ropeCosSinScale(params), 1.0);
  params.mscale = 1.0;
  params.mscaleAllDim = 0.0;
  EXPECT_NEAR(ropeCosSinScale(params), 0.1 * std::log(40.0) + 1, 1e-12);
  EXPECT_NE(ropeCosSinScale(params), 1.0);
  params.yarn = false;
  EXPECT_EQ(ropeCosSinScale(params), 1.0);
}

TEST(RopeTest, SoftmaxScaleIncludesMscaleSquared) {
  EXPECT_NEAR(mlaSoftmaxScale(192, deepseekV2Rope()), 0.1147214, 1e-7);
  RopeParams plain;
  EXPECT_DOUBLE_EQ(mlaSoftmaxScale(192, plain), 1 / std::sqrt(192.0));
}

TEST(RopeTest, PositionZeroIsIdentity) {
  RopeParams params = deepseekV2Rope();
  std::vector<float> x(2 * 64);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = 0.25f * static_cast<float>(i) - 3;
  std::vector<float> rotated = x;
  int64_t position = 0;
  applyRopeAdjacentPairs(rotated.data(), 1, 2, 64, &position, params);
  EXPECT_EQ(rotated, x);
}

TEST(RopeTest, RotatesAdjacentPairsNotHalves) {
  // Plain RoPE, dim 4: pair (0, 1) turns at 1 rad per position, pair (2, 3)
  // at 0.01 rad. A NeoX-style rotation would pair (0, 2) and (1, 3) instead.
  RopeParams params;
  params.dim = 4;
  std::vector<float> x = {1, 2, 3, 4};
  int64_t position = 3;
  applyRopeAdjacentPairs(x.data(), 1, 1, 4, &position, params);
  double c0 = std::cos(3.0), s0 = std::sin(3.0);
  double c1 = std::cos(0.03), s1 = std::sin(0.03);
  EXPECT_FLOAT_EQ(x[0], static_cast<float>(1 * c0 - 2 * s0));
  EXPECT_FLOAT_EQ(x[1], static_cast<float>(2 * c0 + 1 * s0));
  EXPECT_FLOAT_EQ(x[2], static_cast<float>(3 * c1 - 4 * s1));
  EXPECT_FLOAT_EQ(x[3], static_cast<float>(4 * c1 + 3 * s1));
}

TEST(RopeTest, UnitVectorTracesTheRotationPerToken) {
  RopeParams params = deepseekV2Rope();
  params.dim = 8;
  std::vector<double> invFreq = ropeInverseFrequencies(params);
  std::vector<int64_t> positions = {5, 700};
  std::vector<float> x(2 * 8, 0.0f);
  for (int t = 0; t < 2; ++t)
    for (int j = 0; j < 4; ++j)
      x[t * 8 + 2 * j] = 1.0f; // (1, 0) in every pair.
  applyRopeAdjacentPairs(x.data(), 2, 1, 8, positions.data(), params);
  for (int t = 0; t < 2; ++t) {
    for (int j = 0; j < 4; ++j) {
      double angle = static_cast<double>(positions[t]) * invFreq[j];
      EXPECT_NEAR(x[t * 8 + 2 * j], std::cos(angle), 1e-6);
      EXPECT_NEAR(x[t * 8 + 2 * j + 1], std::sin(angle), 1e-6);
    }
  }
}

TEST(RopeTest, CosSinScaleMultipliesTheRotation) {
  RopeParams params = deepseekV2Rope();
  params.dim = 2;
  params.mscale = 1.0;
  params.mscaleAllDim = 0.0;
  double scale = ropeCosSinScale(params);
  std::vector<float> x = {3, 4};
  int64_t position = 0;
  applyRopeAdjacentPairs(x.data(), 1, 1, 2, &position, params);
  EXPECT_FLOAT_EQ(x[0], static_cast<float>(3 * scale));
  EXPECT_FLOAT_EQ(x[1], static_cast<float>(4 * scale));
}

TEST(RopeTest, DotProductsDependOnlyOnRelativePosition) {
  RopeParams params = deepseekV2Rope();
  std::vector<float> q(64), k(64);
  for (int i = 0; i < 64; ++i) {
    q[i] = static_cast<float>(std::sin(0.37 * i));
    k[i] = static_cast<float>(std::cos(0.11 * i + 1));
  }
  auto rotatedDot = [&](int64_t qPos, int64_t kPos) {
    std::vector<float> qr = q, kr = k;
    applyRopeAdjacentPairs(qr.data(), 1, 1, 64, &qPos, params);
    applyRopeAdjacentPairs(kr.data(), 1, 1, 64, &kPos, params);
    double dot = 0;
    for (int i = 0; i < 64; ++i)
      dot += static_cast<double>(qr[i]) * kr[i];
    return dot;
  };
  EXPECT_NEAR(rotatedDot(7, 3), rotatedDot(107, 103), 1e-4);
}

TEST(RopeTest, StridedViewRotatesOnlyTheRopeSlice) {
  // Two heads of [nope (2) | rope (2)]; only the rope slices turn.
  RopeParams params;
  params.dim = 2;
  std::vector<float> x = {9, 9, 1, 0, 8, 8, 0, 1};
  int64_t position = 1;
  applyRopeAdjacentPairsStrided(x.data() + 2, 1, 8, 2, 4, &position, params);
  EXPECT_EQ(x[0], 9);
  EXPECT_EQ(x[5], 8);
  EXPECT_FLOAT_EQ(x[2], static_cast<float>(std::cos(1.0)));
  EXPECT_FLOAT_EQ(x[3], static_cast<float>(std::sin(1.0)));
  EXPECT_FLOAT_EQ(x[6], static_cast<float>(-std::sin(1.0)));
  EXPECT_FLOAT_EQ(x[7], static_cast<float>(std::cos(1.0)));
}

} // namespace
} // namespace dsv2::reference
