//===- SoftmaxTest.cpp - Tests of the reference softmax -------------------===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/Softmax.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace dsv2::reference {
namespace {

TEST(SoftmaxTest, RowsSumToOneWithExpectedRatios) {
  std::vector<float> x = {0, std::log(3.0f), 5, 5};
  std::vector<float> y(4);
  softmaxRows(x.data(), 2, 2, y.data());
  EXPECT_FLOAT_EQ(y[0], 0.25f);
  EXPECT_FLOAT_EQ(y[1], 0.75f);
  EXPECT_FLOAT_EQ(y[2], 0.5f);
  EXPECT_FLOAT_EQ(y[3], 0.5f);
}

TEST(SoftmaxTest, SubtractsTheMaxSoLargeLogitsDoNotOverflow) {
  std::vector<float> x = {1000, 1000 + std::log(3.0f)};
  softmaxRows(x.data(), 1, 2, x.data()); // In place.
  EXPECT_NEAR(x[0], 0.25f, 1e-4);
  EXPECT_NEAR(x[1], 0.75f, 1e-4);
}

TEST(SoftmaxTest, MaskedEntriesGetZero) {
  double values[3] = {1, -std::numeric_limits<double>::infinity(), 1};
  softmaxInPlace(values, 3);
  EXPECT_EQ(values[1], 0.0);
  EXPECT_DOUBLE_EQ(values[0], 0.5);
  EXPECT_DOUBLE_EQ(values[2], 0.5);
}

} // namespace
} // namespace dsv2::reference
