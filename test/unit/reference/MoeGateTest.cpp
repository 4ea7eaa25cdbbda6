//===- MoeGateTest.cpp - Tests of the reference MoE router ----------------===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/MoeGate.h"

#include <cstddef>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace dsv2::reference {
namespace {

/// Gate weights equal to the identity, so each token's x IS its logits.
std::vector<float> identityGate(int64_t experts) {
  std::vector<float> gate(static_cast<size_t>(experts * experts), 0.0f);
  for (int64_t e = 0; e < experts; ++e)
    gate[e * experts + e] = 1.0f;
  return gate;
}

std::vector<double> softmaxOf(const std::vector<float> &logits) {
  double maxLogit = logits[0];
  for (float v : logits)
    maxLogit = std::max<double>(maxLogit, v);
  std::vector<double> scores;
  double sum = 0;
  for (float v : logits) {
    scores.push_back(std::exp(v - maxLogit));
    sum += scores.back();
  }
  for (double &s : scores)
    s /= sum;
  return scores;
}

struct Routed {
  std::vector<float> weights;
  std::vector<int32_t> indices;
};

Routed route(const std::vector<float> &logits, const MoeGateParams &params) {
  std::vector<float> gate = identityGate(params.experts);
  Routed routed{std::vector<float>(params.topK),
                std::vector<int32_t>(params.topK)};
  moeGate(logits.data(), gate.data(), 1, params.experts, params,
          routed.weights.data(), routed.indices.data());
  return routed;
}

MoeGateParams greedy(int64_t experts, int64_t topK) {
  return {experts, topK, 1, 1, TopkMethod::Greedy, 1.0, false};
}

TEST(MoeGateTest, GreedyPicksTopScoresInDescendingOrder) {
  std::vector<float> logits = {0.1f, 2.0f, -1.0f, 3.0f, 1.0f, 2.5f};
  MoeGateParams params = greedy(6, 3);
  params.routedScalingFactor = 16.0;
  Routed routed = route(logits, params);
  EXPECT_EQ(routed.indices, (std::vector<int32_t>{3, 5, 1}));
  std::vector<double> scores = softmaxOf(logits);
  // norm_topk_prob false: the softmax scores times routed_scaling_factor.
  EXPECT_FLOAT_EQ(routed.weights[0], static_cast<float>(scores[3] * 16));
  EXPECT_FLOAT_EQ(routed.weights[1], static_cast<float>(scores[5] * 16));
  EXPECT_FLOAT_EQ(routed.weights[2], static_cast<float>(scores[1] * 16));
}

TEST(MoeGateTest, TiesGoToTheLowerIndex) {
  std::vector<float> logits = {1, 2, 2, 0, 2};
  Routed routed = route(logits, greedy(5, 2));
  EXPECT_EQ(routed.indices, (std::vector<int32_t>{1, 2}));
}

TEST(MoeGateTest, NormTopkProbRenormalizesWithoutScaling) {
  std::vector<float> logits = {0.1f, 2.0f, -1.0f, 3.0f};
  MoeGateParams params = greedy(4, 2);
  params.normTopkProb = true;
  params.routedScalingFactor = 16.0; // Must not be applied.
  Routed routed = route(logits, params);
  std::vector<double> scores = softmaxOf(logits);
  double sum = scores[3] + scores[1];
  EXPECT_FLOAT_EQ(routed.weights[0], static_cast<float>(scores[3] / sum));
  EXPECT_FLOAT_EQ(routed.weights[1], static_cast<float>(scores[1] / sum));
  EXPECT_NEAR(routed.weights[0] + routed.weights[1], 1.0f, 1e-6);
}

TEST(MoeGateTest, NormTopkProbWithSingleExpertScalesInstead) {
  // The reference renormalizes only when top_k > 1; otherwise it scales.
  std::vector<float> logits = {0.1f, 2.0f, -1.0f, 3.0f};
  MoeGateParams params = greedy(4, 1);
  params.normTopkProb = true;
  params.routedScalingFactor = 2.0;
  Routed routed = route(logits, params);
  EXPECT_EQ(routed.indices[0], 3);
  EXPECT_FLOAT_EQ(routed.weights[0],
                  static_cast<float>(softmaxOf(logits)[3] * 2));
}

TEST(MoeGateTest, GroupScoreIsTheMaxNotTheSumOfTopTwo) {
  // 4 groups of 2. Group 0 has the single best expert (max 5) but a weak
  // second; group 1 has two strong ones (sum of top-2 9 > 5 - 10). V2's max
  // rule keeps group 0; V3's sum-of-top-2 rule would keep group 1.
  std::vector<float> logits = {5.0f,  -10.0f, 4.5f,  4.5f,
                               -3.0f, -3.0f,  -4.0f, -4.0f};
  MoeGateParams params{8, 2, 4, 1, TopkMethod::GroupLimitedGreedy, 1.0, false};
  Routed routed = route(logits, params);
  EXPECT_EQ(routed.indices, (std::vector<int32_t>{0, 1}));
  std::vector<double> scores = softmaxOf(logits);
  // Weights are the softmax over ALL experts, not over the kept group.
  EXPECT_FLOAT_EQ(routed.weights[0], static_cast<float>(scores[0]));
  EXPECT_FLOAT_EQ(routed.weights[1], static_cast<float>(scores[1]));
}

TEST(MoeGateTest, DroppedGroupsAreMaskedEvenForStrongExperts) {
  // Group maxima: g0 5, g1 4.9, g2 4.95, g3 -5: topk_group 2 keeps g0, g2.
  // Expert 2 (4.9, group 1) beats experts 1 and 5 but is masked out.
  std::vector<float> logits = {5.0f,  0.0f,  4.9f,  4.8f,
                               4.95f, -1.0f, -5.0f, -5.0f};
  MoeGateParams params{8, 3, 4, 2, TopkMethod::GroupLimitedGreedy, 16.0, false};
  Routed routed = route(logits, params);
  EXPECT_EQ(routed.indices, (std::vector<int32_t>{0, 4, 1}));
  std::vector<double> scores = softmaxOf(logits);
  EXPECT_FLOAT_EQ(routed.weights[2], static_cast<float>(scores[1] * 16));

  Routed greedyRouted = route(logits, greedy(8, 3));
  EXPECT_EQ(greedyRouted.indices, (std::vector<int32_t>{0, 4, 2}));
}

TEST(MoeGateTest, RoutesEveryTokenIndependently) {
  std::vector<float> logits = {1, 0, 0, 0, 0, 1};
  std::vector<float> gate = identityGate(3);
  std::vector<float> weights(2);
  std::vector<int32_t> indices(2);
  moeGate(logits.data(), gate.data(), 2, 3, greedy(3, 1), weights.data(),
          indices.data());
  EXPECT_EQ(indices, (std::vector<int32_t>{0, 2}));
}

TEST(MoeGateTest, RoutingMarginIsTheGapToTheBestUnchosen) {
  std::vector<float> logits = {0.0f, 2.0f, 1.0f, 3.0f};
  std::vector<float> gate = identityGate(4);
  std::vector<double> scores = softmaxOf(logits);
  EXPECT_NEAR(routingMargin(logits.data(), gate.data(), 1, 4, greedy(4, 2)),
              scores[1] - scores[2], 1e-12);
  EXPECT_TRUE(std::isinf(
      routingMargin(logits.data(), gate.data(), 1, 4, greedy(4, 4))));

  // Group-limited: the group gap (max g1 - max g0) is the tighter one here.
  MoeGateParams grouped{4, 1, 2, 1, TopkMethod::GroupLimitedGreedy, 1.0, false};
  EXPECT_NEAR(routingMargin(logits.data(), gate.data(), 1, 4, grouped),
              std::min(scores[3] - scores[1], scores[3] - scores[2]), 1e-12);
}

} // namespace
} // namespace dsv2::reference
