//===- LinearTest.cpp - Tests of the reference linear layer ---------------===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/Linear.h"

#include <gtest/gtest.h>

#include <vector>

namespace dsv2::reference {
namespace {

TEST(LinearTest, MultipliesByTransposedWeight) {
  // x [2, 3], W [2 out, 3 in] (nn.Linear layout): y = x @ W^T.
  std::vector<float> x = {1, 2, 3, 4, 5, 6};
  std::vector<float> w = {1, 0, -1, 0.5f, 0.25f, 2};
  std::vector<float> y(4);
  linear(x.data(), w.data(), 2, 3, 2, y.data());
  EXPECT_FLOAT_EQ(y[0], 1 - 3);
  EXPECT_FLOAT_EQ(y[1], 0.5f + 0.5f + 6);
  EXPECT_FLOAT_EQ(y[2], 4 - 6);
  EXPECT_FLOAT_EQ(y[3], 2 + 1.25f + 12);
}

TEST(LinearTest, AccumulatesInDouble) {
  // 1e8 + 1 - 1e8 is 0 in a float accumulator, 1 in double.
  std::vector<float> x = {1e8f, 1, -1e8f, 0, 0};
  std::vector<float> w = {1, 1, 1, 1, 1};
  EXPECT_EQ(dotProduct(x.data(), w.data(), 5), 1.0);
  float y = 0;
  linear(x.data(), w.data(), 1, 5, 1, &y);
  EXPECT_EQ(y, 1.0f);
}

} // namespace
} // namespace dsv2::reference
