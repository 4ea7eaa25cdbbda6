//===- RmsNormTest.cpp - Tests of the reference RMSNorm -------------------===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/RmsNorm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace dsv2::reference {
namespace {

TEST(RmsNormTest, NormalizesEachRowThenAppliesWeight) {
  // Row 0: mean(9, 16) = 12.5; row 1: mean(1, 1) = 1.
  std::vector<float> x = {3, 4, 1, -1};
  std::vector<float> weight = {2, 0.5f};
  std::vector<float> y(4);
  rmsNorm(x.data(), weight.data(), 2, 2, 0.0, y.data());
  double inverseRms = 1 / std::sqrt(12.5);
  EXPECT_FLOAT_EQ(y[0], static_cast<float>(3 * inverseRms * 2));
  EXPECT_FLOAT_EQ(y[1], static_cast<float>(4 * inverseRms * 0.5));
  EXPECT_FLOAT_EQ(y[2], 2);
  EXPECT_FLOAT_EQ(y[3], -0.5f);
}

TEST(RmsNormTest, EpsilonEntersUnderTheRoot) {
  std::vector<float> x = {1, 1};
  std::vector<float> weight = {1, 1};
  std::vector<float> y(2);
  rmsNorm(x.data(), weight.data(), 1, 2, 3.0, y.data());
  EXPECT_FLOAT_EQ(y[0], 0.5f); // 1 / sqrt(1 + 3)
}

TEST(RmsNormTest, WorksInPlace) {
  std::vector<float> x = {3, 4};
  std::vector<float> weight = {1, 1};
  rmsNorm(x.data(), weight.data(), 1, 2, 0.0, x.data());
  EXPECT_FLOAT_EQ(x[0], static_cast<float>(3 / std::sqrt(12.5)));
  EXPECT_FLOAT_EQ(x[1], static_cast<float>(4 / std::sqrt(12.5)));
}

} // namespace
} // namespace dsv2::reference
