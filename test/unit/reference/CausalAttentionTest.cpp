//===- CausalAttentionTest.cpp - Tests of reference causal attention ------===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/CausalAttention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace dsv2::reference {
namespace {

TEST(CausalAttentionTest, HandCaseWithCausalMaskAndScale) {
  // One head, two positions, 1-wide keys/values. Query 0 sees key 0 only;
  // query 1 sees both: softmax(0.5 * (2*1, 2*3)) = softmax(1, 3).
  std::vector<float> q = {1, 2};
  std::vector<float> keys = {1, 3};
  std::vector<float> values = {10, 20};
  std::vector<float> out(2);
  CausalAttentionShape shape{2, 2, 1, 1, 1, 1, 0, 0.5};
  attendCausal(q.data(), keys.data(), values.data(), shape, out.data());
  EXPECT_FLOAT_EQ(out[0], 10);
  double p1 = 1 / (1 + std::exp(-2.0)); // Weight of key 1.
  EXPECT_FLOAT_EQ(out[1], static_cast<float>(10 * (1 - p1) + 20 * p1));
}

TEST(CausalAttentionTest, DecodeQuerySeesTheWholeCache) {
  // A single query at position 2 attends to keys 0..2 with equal scores.
  std::vector<float> q = {0};
  std::vector<float> keys = {1, 2, 3};
  std::vector<float> values = {3, 6, 9};
  float out = 0;
  CausalAttentionShape shape{1, 3, 1, 1, 1, 1, 2, 1.0};
  attendCausal(q.data(), keys.data(), values.data(), shape, &out);
  EXPECT_FLOAT_EQ(out, 6);
}

TEST(CausalAttentionTest, SharedKeyHeadServesAllQueryHeads) {
  // Two query heads, one shared key/value head (MQA).
  std::vector<float> q = {0, 0, 100, 0};  // head 0 flat; head 1 picks key 1.
  std::vector<float> keys = {0, 0, 1, 0}; // [L=2, 1, 2]
  std::vector<float> values = {1, 5};     // [L=2, 1, 1]
  std::vector<float> out(2);
  CausalAttentionShape shape{1, 2, 2, 1, 2, 1, 1, 1.0};
  attendCausal(q.data(), keys.data(), values.data(), shape, out.data());
  EXPECT_FLOAT_EQ(out[0], 3);
  EXPECT_NEAR(out[1], 5, 1e-6);
}

} // namespace
} // namespace dsv2::reference
