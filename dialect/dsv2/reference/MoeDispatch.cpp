//===- MoeDispatch.cpp - Reference fused MoE dispatch/combine -------------===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/MoeDispatch.h"

#include "dialect/dsv2/reference/Mlp.h"

#include <algorithm>
#include <cassert>
#include <cstddef>

namespace dsv2::reference {

MoeDispatchPlan planMoeDispatch(const float *topWeights,
                                const int32_t *topIndices, int64_t tokens,
                                int64_t topK, int64_t experts,
                                int64_t blockSize) {
  assert(blockSize >= 1 && "dispatch block size must be positive");
  MoeDispatchPlan plan;
  plan.blockSize = blockSize;
  plan.expertRows.assign(static_cast<size_t>(experts), 0);
  for (int64_t i = 0; i < tokens * topK; ++i) {
    int32_t expert = topIndices[i];
    assert(expert >= 0 && expert < experts && "expert index out of range");
    ++plan.expertRows[static_cast<size_t>(expert)];
  }

  plan.expertOffsets.assign(static_cast<size_t>(experts + 1), 0);
  for (int64_t e = 0; e < experts; ++e) {
    int64_t rows = plan.expertRows[e];
    int64_t padded = (rows + blockSize - 1) / blockSize * blockSize;
    plan.expertOffsets[e + 1] = plan.expertOffsets[e] + padded;
  }
  plan.paddedRows = plan.expertOffsets[static_cast<size_t>(experts)];
  plan.rowToken.assign(static_cast<size_t>(plan.paddedRows), -1);
  plan.rowWeight.assign(static_cast<size_t>(plan.paddedRows), 0.0f);

  // Token-major scan: each expert's rows come out in token order (a counting
  // sort, so stable).
  std::vector<int64_t> next(plan.expertOffsets.begin(),
                            plan.expertOffsets.end() - 1);
  for (int64_t t = 0; t < tokens; ++t) {
    for (int64_t k = 0; k < topK; ++k) {
      int32_t expert = topIndices[t * topK + k];
      int64_t row = next[static_cast<size_t>(expert)]++;
      plan.rowToken[static_cast<size_t>(row)] = static_cast<int32_t>(t);
      plan.rowWeight[static_cast<size_t>(row)] = topWeights[t * topK + k];
    }
  }
  return plan;
}

void moeFused(const float *x, int64_t tokens, int64_t hidden, int64_t inter,
              const float *gateWeight, const MoeGateParams &params,
              const float *gateProj, const float *upProj, const float *downProj,
              const ExpertWeights *shared, int64_t sharedInter,
              int64_t blockSize, float *out, int64_t firstExpert,
              int64_t localExperts) {
  const int64_t experts = params.experts, topK = params.topK;
  if (localExperts < 0)
    localExperts = experts - firstExpert;

  // 1. Route.
  std::vector<float> topWeights(static_cast<size_t>(tokens * topK));
  std::vector<int32_t> topIndices(static_cast<size_t>(tokens * topK));
  moeGate(x, gateWeight, tokens, hidden, params, topWeights.data(),
          topIndices.data());

  // 2. Dispatch: gather token rows into the expert-grouped buffer; padding
  // rows stay zero.
  MoeDispatchPlan plan = planMoeDispatch(topWeights.data(), topIndices.data(),
                                         tokens, topK, experts, blockSize);
  std::vector<float> dispatched(static_cast<size_t>(plan.paddedRows * hidden),
                                0.0f);
  for (int64_t row = 0; row < plan.paddedRows; ++row) {
    int32_t token = plan.rowToken[static_cast<size_t>(row)];
    if (token >= 0)
      std::copy(x + token * hidden, x + (token + 1) * hidden,
                dispatched.begin() + row * hidden);
  }

  // 3. Grouped GEMMs: one gated MLP per expert over its real rows (a padding
  // row would give exactly 0: silu(0) * 0 = 0, so skipping it is exact).
  std::vector<float> expertOut(static_cast<size_t>(plan.paddedRows * hidden),
                               0.0f);
  const int64_t projSize = inter * hidden;
  // Experts held elsewhere (expert parallelism) leave their rows at 0.
  for (int64_t e = firstExpert; e < firstExpert + localExperts; ++e) {
    int64_t rows = plan.expertRows[static_cast<size_t>(e)];
    if (rows == 0)
      continue;
    int64_t begin = plan.expertOffsets[static_cast<size_t>(e)];
    int64_t local = e - firstExpert;
    mlp(dispatched.data() + begin * hidden, gateProj + local * projSize,
        upProj + local * projSize, downProj + local * projSize, rows, hidden,
        inter, expertOut.data() + begin * hidden);
  }

  // 4. Combine in expert order, then row order (double accumulation).
  std::vector<double> sum(static_cast<size_t>(tokens * hidden), 0.0);
  for (int64_t row = 0; row < plan.paddedRows; ++row) {
    int32_t token = plan.rowToken[static_cast<size_t>(row)];
    if (token < 0)
      continue;
    double weight = plan.rowWeight[static_cast<size_t>(row)];
    double *target = sum.data() + token * hidden;
    const float *source = expertOut.data() + row * hidden;
    for (int64_t h = 0; h < hidden; ++h)
      target[h] += weight * source[h];
  }

  if (shared) {
    std::vector<float> sharedOut(static_cast<size_t>(tokens * hidden));
    mlp(x, shared->gate, shared->up, shared->down, tokens, hidden, sharedInter,
        sharedOut.data());
    for (size_t i = 0; i < sum.size(); ++i)
      sum[i] += sharedOut[i];
  }

  for (size_t i = 0; i < sum.size(); ++i)
    out[i] = static_cast<float>(sum[i]);
}

} // namespace dsv2::reference
