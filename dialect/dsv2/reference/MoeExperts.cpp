//===- MoeExperts.cpp - Reference MoE expert combine ----------------------===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/MoeExperts.h"

#include "dialect/dsv2/reference/Mlp.h"

#include <algorithm>
#include <cassert>
#include <cstddef>

namespace dsv2::reference {

void moeExperts(const float *x, int64_t tokens, int64_t hidden, int64_t inter,
                const float *topWeights, const int32_t *topIndices,
                int64_t topK, const std::vector<ExpertWeights> &routed,
                const ExpertWeights *shared, int64_t sharedInter, float *out) {
  std::vector<double> sum(static_cast<size_t>(tokens * hidden), 0.0);

  // Bucket (token, weight) pairs per expert so each expert's weights are
  // streamed once for all of its tokens.
  std::vector<std::vector<int64_t>> tokensOfExpert(routed.size());
  std::vector<std::vector<double>> weightsOfExpert(routed.size());
  for (int64_t t = 0; t < tokens; ++t) {
    for (int64_t k = 0; k < topK; ++k) {
      int32_t expert = topIndices[t * topK + k];
      assert(expert >= 0 && static_cast<size_t>(expert) < routed.size() &&
             "expert index out of range");
      tokensOfExpert[expert].push_back(t);
      weightsOfExpert[expert].push_back(topWeights[t * topK + k]);
    }
  }

  std::vector<float> gathered;
  std::vector<float> expertOut;
  for (size_t e = 0; e < routed.size(); ++e) {
    const std::vector<int64_t> &rows = tokensOfExpert[e];
    if (rows.empty())
      continue;
    int64_t count = static_cast<int64_t>(rows.size());
    gathered.resize(static_cast<size_t>(count * hidden));
    expertOut.resize(static_cast<size_t>(count * hidden));
    for (int64_t i = 0; i < count; ++i)
      std::copy(x + rows[i] * hidden, x + (rows[i] + 1) * hidden,
                gathered.begin() + i * hidden);
    const ExpertWeights &w = routed[e];
    mlp(gathered.data(), w.gate, w.up, w.down, count, hidden, inter,
        expertOut.data());
    for (int64_t i = 0; i < count; ++i) {
      double weight = weightsOfExpert[e][i];
      double *target = sum.data() + rows[i] * hidden;
      const float *source = expertOut.data() + i * hidden;
      for (int64_t h = 0; h < hidden; ++h)
        target[h] += weight * source[h];
    }
  }

  if (shared) {
    expertOut.resize(static_cast<size_t>(tokens * hidden));
    mlp(x, shared->gate, shared->up, shared->down, tokens, hidden, sharedInter,
        expertOut.data());
    for (size_t i = 0; i < sum.size(); ++i)
      sum[i] += expertOut[i];
  }

  for (size_t i = 0; i < sum.size(); ++i)
    out[i] = static_cast<float>(sum[i]);
}

} // namespace dsv2::reference
