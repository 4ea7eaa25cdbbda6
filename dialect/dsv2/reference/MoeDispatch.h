//===- MoeDispatch.h - Reference fused MoE dispatch/combine -----*- C++ -*-===//
//
// Part of dsv2c. The semantics of dsv2.moe_fused: route, permute the
// (token, expert) pairs into an expert-grouped buffer whose per-expert
// offsets are padded to a block size, run grouped GEMMs over each expert's
// rows, and combine back into token order. Numerically it equals
// moeGate() + moeExperts().
//
//===----------------------------------------------------------------------===//

#ifndef DSV2_DIALECT_DSV2_REFERENCE_MOEDISPATCH_H
#define DSV2_DIALECT_DSV2_REFERENCE_MOEDISPATCH_H

#include "dialect/dsv2/reference/MoeExperts.h"
#include "dialect/dsv2/reference/MoeGate.h"

#include <cstdint>
#include <vector>

namespace dsv2::reference {

/// Token permutation of one MoE step: rows grouped by expert, each expert's
/// rows starting at a multiple of blockSize; padding rows have token -1.
struct MoeDispatchPlan {
  int64_t blockSize = 0;
  int64_t paddedRows = 0;             // rows of the dispatch buffer
  std::vector<int64_t> expertOffsets; // E+1 entries; expert e owns
                                      // [off[e], off[e+1]) (padded)
  std::vector<int64_t> expertRows;    // E entries: real rows per expert
  std::vector<int32_t> rowToken;      // paddedRows entries, -1 for padding
  std::vector<float> rowWeight;       // paddedRows entries, 0 for padding
};

/// Plans the dispatch of `tokens` tokens routed by `topWeights` and
/// `topIndices` ([tokens, topK], as moeGate() writes them) over `experts`
/// experts. Expert e's real rows are [off[e], off[e] + expertRows[e]), ordered
/// by token (stable: a token appears at most once per expert in practice);
/// the rest of [off[e], off[e+1]) is padding, and off[e+1] - off[e] is
/// expertRows[e] rounded up to a multiple of `blockSize` (0 for an expert no
/// token chose). Hence paddedRows <= tokens*topK + experts*(blockSize-1).
/// `blockSize` must be >= 1 and every index in [0, experts).
MoeDispatchPlan planMoeDispatch(const float *topWeights,
                                const int32_t *topIndices, int64_t tokens,
                                int64_t topK, int64_t experts,
                                int64_t blockSize);

/// The fused op: route (moeGate), dispatch by the plan, grouped GEMMs over
/// each expert's rows (gate/up, silu*up, down), weighted combine into token
/// order (double accumulation), plus shared experts (shared may be null).
///
/// `x` and `out` are [tokens, hidden] (no aliasing); `gateWeight` is
/// [E, hidden] with E = params.experts; the routed expert weights are stacked:
/// `gateProj` and `upProj` [E, inter, hidden], `downProj` [E, hidden, inter].
/// `shared` has intermediate width `sharedInter`.
///
/// Expert parallelism: with `localExperts` >= 0 the stacked weights hold
/// only experts [firstExpert, firstExpert + localExperts) of the router's E;
/// pairs routed to other experts contribute nothing (another rank adds
/// them).
void moeFused(const float *x, int64_t tokens, int64_t hidden, int64_t inter,
              const float *gateWeight, const MoeGateParams &params,
              const float *gateProj /*[E,inter,hidden]*/,
              const float *upProj /*[E,inter,hidden]*/,
              const float *downProj /*[E,hidden,inter]*/,
              const ExpertWeights *shared, int64_t sharedInter,
              int64_t blockSize, float *out, int64_t firstExpert = 0,
              int64_t localExperts = -1);

} // namespace dsv2::reference

#endif // DSV2_DIALECT_DSV2_REFERENCE_MOEDISPATCH_H
