//===- MoeDispatchTest.cpp - Tests of the reference fused MoE -------------===//
//
// Part of dsv2c. The dispatch plan's invariants, and moeFused() against the
// unfused moeGate() + moeExperts() pair.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/MoeDispatch.h"

#include "dialect/dsv2/reference/MoeExperts.h"
#include "dialect/dsv2/reference/MoeGate.h"
#include "test/unit/reference/RandomBuffers.h"

#include <cstddef>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <utility>
#include <vector>

namespace dsv2::reference {
namespace {

using test::randomBuffer;

/// Random routing: each token picks `topK` distinct experts with random
/// positive weights (the shape moeGate() produces).
struct Routing {
  std::vector<float> weights;
  std::vector<int32_t> indices;
};

Routing randomRouting(int64_t tokens, int64_t topK, int64_t experts,
                      uint32_t seed) {
  std::mt19937 generator(seed);
  std::uniform_real_distribution<float> weight(0.05f, 1.0f);
  Routing routing;
  std::vector<int32_t> all(static_cast<size_t>(experts));
  for (int64_t e = 0; e < experts; ++e)
    all[static_cast<size_t>(e)] = static_cast<int32_t>(e);
  for (int64_t t = 0; t < tokens; ++t) {
    std::shuffle(all.begin(), all.end(), generator);
    for (int64_t k = 0; k < topK; ++k) {
      routing.indices.push_back(all[static_cast<size_t>(k)]);
      routing.weights.push_back(weight(generator));
    }
  }
  return routing;
}

void checkPlan(const MoeDispatchPlan &plan, const Routing &routing,
               int64_t tokens, int64_t topK, int64_t experts,
               int64_t blockSize) {
  SCOPED_TRACE(::testing::Message() << "T=" << tokens << " K=" << topK << " E="
                                    << experts << " block=" << blockSize);
  ASSERT_EQ(plan.blockSize, blockSize);
  ASSERT_EQ(plan.expertOffsets.size(), static_cast<size_t>(experts + 1));
  ASSERT_EQ(plan.expertRows.size(), static_cast<size_t>(experts));
  ASSERT_EQ(plan.rowToken.size(), static_cast<size_t>(plan.paddedRows));
  ASSERT_EQ(plan.rowWeight.size(), static_cast<size_t>(plan.paddedRows));
  EXPECT_EQ(plan.expertOffsets.front(), 0);
  EXPECT_EQ(plan.expertOffsets.back(), plan.paddedRows);
  EXPECT_LE(plan.paddedRows, tokens * topK + experts * (blockSize - 1));

  // Offsets: multiples of the block, each expert's span its rows rounded up.
  int64_t realRows = 0;
  for (int64_t e = 0; e < experts; ++e) {
    int64_t begin = plan.expertOffsets[e], end = plan.expertOffsets[e + 1];
    int64_t rows = plan.expertRows[e];
    EXPECT_EQ(begin % blockSize, 0) << "expert " << e;
    EXPECT_GE(end - begin, rows) << "expert " << e;
    EXPECT_LT(end - begin, rows + blockSize) << "expert " << e;
    EXPECT_EQ((end - begin) % blockSize, 0) << "expert " << e;
    realRows += rows;
    // Real rows first, in token order; then padding.
    for (int64_t r = begin; r < end; ++r) {
      if (r < begin + rows) {
        EXPECT_GE(plan.rowToken[r], 0) << "row " << r;
        if (r > begin) {
          EXPECT_LE(plan.rowToken[r - 1], plan.rowToken[r]) << "row " << r;
        }
      } else {
        EXPECT_EQ(plan.rowToken[r], -1) << "row " << r;
        EXPECT_EQ(plan.rowWeight[r], 0.0f) << "row " << r;
      }
    }
  }
  EXPECT_EQ(realRows, tokens * topK);
  int64_t padding = std::count(plan.rowToken.begin(), plan.rowToken.end(), -1);
  EXPECT_EQ(padding, plan.paddedRows - tokens * topK);

  // Every (token, k) pair appears exactly once, in its expert's span, with
  // its weight.
  std::map<std::pair<int32_t, int32_t>, int> seen; // (token, expert) -> rows
  for (int64_t e = 0; e < experts; ++e)
    for (int64_t r = plan.expertOffsets[e];
         r < plan.expertOffsets[e] + plan.expertRows[e]; ++r)
      ++seen[{plan.rowToken[r], static_cast<int32_t>(e)}];
  for (int64_t t = 0; t < tokens; ++t) {
    for (int64_t k = 0; k < topK; ++k) {
      int32_t expert = routing.indices[t * topK + k];
      auto key = std::make_pair(static_cast<int32_t>(t), expert);
      EXPECT_EQ(seen[key], 1) << "token " << t << " expert " << expert;
      int64_t begin = plan.expertOffsets[expert];
      int64_t end = begin + plan.expertRows[expert];
      auto row = std::find(plan.rowToken.begin() + begin,
                           plan.rowToken.begin() + end, t);
      ASSERT_NE(row, plan.rowToken.begin() + end);
      EXPECT_EQ(plan.rowWeight[row - plan.rowToken.begin()],
                routing.weights[t * topK + k]);
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(tokens * topK));
}

TEST(MoeDispatchTest, PlanInvariants) {
  const int64_t experts = 8, topK = 3;
  uint32_t seed = 1;
  for (int64_t tokens : {0, 1, 5, 33, 100})
    for (int64_t blockSize : {1, 4, 16, 64}) {
      Routing routing = randomRouting(tokens, topK, experts, seed++);
      MoeDispatchPlan plan =
          planMoeDispatch(routing.weights.data(), routing.indices.data(),
                          tokens, topK, experts, blockSize);
      checkPlan(plan, routing, tokens, topK, experts, blockSize);
    }
}

TEST(MoeDispatchTest, PlanOfAKnownRouting) {
  // Three tokens, top-2 over 4 experts, block 4: expert 0 gets tokens 0 and 2,
  // expert 1 nothing, expert 2 tokens 0 and 1, expert 3 token 1 and 2.
  std::vector<int32_t> indices = {2, 0, 3, 2, 0, 3};
  std::vector<float> weights = {0.6f, 0.4f, 0.7f, 0.3f, 0.9f, 0.1f};
  MoeDispatchPlan plan =
      planMoeDispatch(weights.data(), indices.data(), 3, 2, 4, 4);
  EXPECT_EQ(plan.expertOffsets, (std::vector<int64_t>{0, 4, 4, 8, 12}));
  EXPECT_EQ(plan.expertRows, (std::vector<int64_t>{2, 0, 2, 2}));
  EXPECT_EQ(plan.paddedRows, 12);
  EXPECT_EQ(plan.rowToken,
            (std::vector<int32_t>{0, 2, -1, -1, 0, 1, -1, -1, 1, 2, -1, -1}));
  EXPECT_EQ(plan.rowWeight, (std::vector<float>{0.4f, 0.9f, 0, 0, 0.6f, 0.3f, 0,
                                                0, 0.7f, 0.1f, 0, 0}));

  // Block 1: no padding at all.
  MoeDispatchPlan dense =
      planMoeDispatch(weights.data(), indices.data(), 3, 2, 4, 1);
  EXPECT_EQ(dense.expertOffsets, (std::vector<int64_t>{0, 2, 2, 4, 6}));
  EXPECT_EQ(dense.paddedRows, 6);
}

TEST(MoeDispatchTest, PlanWorstCasePaddingIsTheBound) {
  // One token per expert (T*K = E) and a block of 16: every expert pads 15
  // rows, exactly the T*K + E*(block-1) bound.
  const int64_t experts = 6, topK = 2, tokens = 3, blockSize = 16;
  std::vector<int32_t> indices = {0, 1, 2, 3, 4, 5};
  std::vector<float> weights(6, 0.5f);
  MoeDispatchPlan plan = planMoeDispatch(weights.data(), indices.data(), tokens,
                                         topK, experts, blockSize);
  EXPECT_EQ(plan.paddedRows, tokens * topK + experts * (blockSize - 1));
}

/// Expert and router weights for one MoE layer.
struct MoeLayer {
  int64_t hidden, inter, experts, sharedInter;
  std::vector<float> gateWeight, gateProj, upProj, downProj;
  std::vector<float> sharedGate, sharedUp, sharedDown;

  MoeLayer(int64_t hidden, int64_t inter, int64_t experts, int64_t sharedInter,
           uint32_t seed)
      : hidden(hidden), inter(inter), experts(experts),
        sharedInter(sharedInter),
        gateWeight(randomBuffer(experts * hidden, seed, 0.5)),
        gateProj(randomBuffer(experts * inter * hidden, seed + 1, 0.3)),
        upProj(randomBuffer(experts * inter * hidden, seed + 2, 0.3)),
        downProj(randomBuffer(experts * hidden * inter, seed + 3, 0.3)),
        sharedGate(randomBuffer(sharedInter * hidden, seed + 4, 0.3)),
        sharedUp(randomBuffer(sharedInter * hidden, seed + 5, 0.3)),
        sharedDown(randomBuffer(hidden * sharedInter, seed + 6, 0.3)) {}

  std::vector<ExpertWeights> routed() const {
    std::vector<ExpertWeights> weights;
    for (int64_t e = 0; e < experts; ++e)
      weights.push_back({gateProj.data() + e * inter * hidden,
                         upProj.data() + e * inter * hidden,
                         downProj.data() + e * hidden * inter});
    return weights;
  }
  ExpertWeights shared() const {
    return {sharedGate.data(), sharedUp.data(), sharedDown.data()};
  }
};

void expectFusedMatchesUnfused(const MoeLayer &layer,
                               const MoeGateParams &params, int64_t tokens,
                               bool withShared, int64_t blockSize,
                               uint32_t seed) {
  SCOPED_TRACE(::testing::Message()
               << "T=" << tokens << " block=" << blockSize
               << " shared=" << withShared << " method="
               << (params.method == TopkMethod::Greedy ? "greedy" : "group"));
  const int64_t hidden = layer.hidden;
  std::vector<float> x = randomBuffer(tokens * hidden, seed);
  ExpertWeights shared = layer.shared();
  const ExpertWeights *sharedPtr = withShared ? &shared : nullptr;
  int64_t sharedInter = withShared ? layer.sharedInter : 0;

  std::vector<float> topWeights(static_cast<size_t>(tokens * params.topK));
  std::vector<int32_t> topIndices(static_cast<size_t>(tokens * params.topK));
  moeGate(x.data(), layer.gateWeight.data(), tokens, hidden, params,
          topWeights.data(), topIndices.data());
  std::vector<float> expected(static_cast<size_t>(tokens * hidden));
  moeExperts(x.data(), tokens, hidden, layer.inter, topWeights.data(),
             topIndices.data(), params.topK, layer.routed(), sharedPtr,
             sharedInter, expected.data());

  std::vector<float> fused(static_cast<size_t>(tokens * hidden), -7.0f);
  moeFused(x.data(), tokens, hidden, layer.inter, layer.gateWeight.data(),
           params, layer.gateProj.data(), layer.upProj.data(),
           layer.downProj.data(), sharedPtr, sharedInter, blockSize,
           fused.data());

  double scale = 0.0;
  for (float v : expected)
    scale = std::max(scale, std::fabs(static_cast<double>(v)));
  ASSERT_GT(scale, 0.0);
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(fused[i], expected[i], 1e-6 * scale) << "element " << i;

  // The routing the fused op ran also satisfies the plan invariants.
  Routing routing{topWeights, topIndices};
  checkPlan(planMoeDispatch(topWeights.data(), topIndices.data(), tokens,
                            params.topK, params.experts, blockSize),
            routing, tokens, params.topK, params.experts, blockSize);
}

TEST(MoeDispatchTest, FusedEqualsGatePlusExpertsGreedy) {
  // Lite-like: greedy, no renormalization.
  MoeLayer layer(/*hidden=*/24, /*inter=*/12, /*experts=*/8,
                 /*sharedInter=*/24, /*seed=*/100);
  MoeGateParams params{8, 3, 1, 1, TopkMethod::Greedy, 1.0, false};
  uint32_t seed = 1000;
  for (int64_t tokens : {1, 5, 33})
    for (int64_t blockSize : {1, 4, 16})
      for (bool withShared : {false, true})
        expectFusedMatchesUnfused(layer, params, tokens, withShared, blockSize,
                                  seed++);
}

TEST(MoeDispatchTest, FusedEqualsGatePlusExpertsGroupLimited) {
  // V2-like: group-limited greedy with the routed scaling factor, and a
  // renormalizing variant.
  MoeLayer layer(/*hidden=*/32, /*inter=*/8, /*experts=*/16,
                 /*sharedInter=*/16, /*seed=*/200);
  MoeGateParams scaled{16,   4,    4, 2, TopkMethod::GroupLimitedGreedy,
                       16.0, false};
  MoeGateParams normalized{16,  4,   4, 2, TopkMethod::GroupLimitedGreedy,
                           1.0, true};
  uint32_t seed = 2000;
  for (const MoeGateParams &params : {scaled, normalized})
    for (int64_t tokens : {1, 5, 33})
      for (int64_t blockSize : {1, 4, 16})
        for (bool withShared : {false, true})
          expectFusedMatchesUnfused(layer, params, tokens, withShared,
                                    blockSize, seed++);
}

TEST(MoeDispatchTest, FusedWithNoTokensWritesNothing) {
  MoeLayer layer(8, 4, 4, 8, 300);
  MoeGateParams params{4, 2, 1, 1, TopkMethod::Greedy, 1.0, false};
  ExpertWeights shared = layer.shared();
  float sentinel = 3.0f;
  moeFused(nullptr, 0, 8, 4, layer.gateWeight.data(), params,
           layer.gateProj.data(), layer.upProj.data(), layer.downProj.data(),
           &shared, 8, 4, &sentinel);
  EXPECT_EQ(sentinel, 3.0f);
}

} // namespace
} // namespace dsv2::reference
