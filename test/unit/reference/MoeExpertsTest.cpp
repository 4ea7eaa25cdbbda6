//===- MoeExpertsTest.cpp - Tests of the reference expert combine ---------===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/MoeExperts.h"

#include "dialect/dsv2/reference/Mlp.h"
#include "test/unit/reference/RandomBuffers.h"

#include <cstddef>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace dsv2::reference {
namespace {

using test::randomBuffer;

TEST(MoeExpertsTest, WeightedRoutedSumPlusShared) {
  const int64_t hidden = 6, inter = 4, tokens = 3, topK = 2;
  const uint32_t experts = 3;
  const int64_t sharedInter = 2 * inter;
  std::vector<std::vector<float>> storage;
  std::vector<ExpertWeights> routed;
  storage.reserve(3 * experts + 3);
  for (uint32_t e = 0; e < experts; ++e) {
    storage.push_back(randomBuffer(inter * hidden, 10 + 3 * e));
    storage.push_back(randomBuffer(inter * hidden, 11 + 3 * e));
    storage.push_back(randomBuffer(hidden * inter, 12 + 3 * e));
    size_t base = storage.size() - 3;
    routed.push_back({storage[base].data(), storage[base + 1].data(),
                      storage[base + 2].data()});
  }
  storage.push_back(randomBuffer(sharedInter * hidden, 50));
  storage.push_back(randomBuffer(sharedInter * hidden, 51));
  storage.push_back(randomBuffer(hidden * sharedInter, 52));
  size_t base = storage.size() - 3;
  ExpertWeights shared{storage[base].data(), storage[base + 1].data(),
                       storage[base + 2].data()};

  std::vector<float> x = randomBuffer(tokens * hidden, 7);
  std::vector<int32_t> indices = {0, 2, 2, 1, 1, 0};
  std::vector<float> weights = {0.7f, 0.3f, 2.0f, 0.5f, 1.0f, 0.25f};
  std::vector<float> out(tokens * hidden);
  moeExperts(x.data(), tokens, hidden, inter, weights.data(), indices.data(),
             topK, routed, &shared, sharedInter, out.data());

  for (int64_t t = 0; t < tokens; ++t) {
    const float *row = x.data() + t * hidden;
    std::vector<double> expected(hidden, 0.0);
    std::vector<float> one(hidden);
    for (int64_t k = 0; k < topK; ++k) {
      const ExpertWeights &w = routed[indices[t * topK + k]];
      mlp(row, w.gate, w.up, w.down, 1, hidden, inter, one.data());
      for (int64_t h = 0; h < hidden; ++h)
        expected[h] += weights[t * topK + k] * static_cast<double>(one[h]);
    }
    mlp(row, shared.gate, shared.up, shared.down, 1, hidden, sharedInter,
        one.data());
    for (int64_t h = 0; h < hidden; ++h)
      EXPECT_NEAR(out[t * hidden + h], expected[h] + one[h], 1e-6)
          << "t=" << t << " h=" << h;
  }

  // Without shared experts only the routed sum remains.
  std::vector<float> routedOnly(tokens * hidden);
  moeExperts(x.data(), tokens, hidden, inter, weights.data(), indices.data(),
             topK, routed, nullptr, 0, routedOnly.data());
  std::vector<float> sharedOut(tokens * hidden);
  mlp(x.data(), shared.gate, shared.up, shared.down, tokens, hidden,
      sharedInter, sharedOut.data());
  for (size_t i = 0; i < out.size(); ++i)
    EXPECT_NEAR(routedOnly[i] + sharedOut[i], out[i], 1e-6);
}

} // namespace
} // namespace dsv2::reference
