//===- MoeExperts.h - Reference MoE expert combine --------------*- C++ -*-===//
//
// Part of dsv2c. The expert half of DeepseekV2MoE: run each token through its
// routed experts, weight and sum, add the shared experts. No token is dropped.
//
//===----------------------------------------------------------------------===//

#ifndef DSV2_DIALECT_DSV2_REFERENCE_MOEEXPERTS_H
#define DSV2_DIALECT_DSV2_REFERENCE_MOEEXPERTS_H

#include <cstdint>
#include <vector>

namespace dsv2::reference {

/// One gated SiLU MLP's weights (see mlp()): gate and up [inter, hidden],
/// down [hidden, inter].
struct ExpertWeights {
  const float *gate;
  const float *up;
  const float *down;
};

/// out[t] = sum_k topWeights[t, k] * routed[topIndices[t, k]](x[t])
///          + shared(x[t]).
///
/// `x` and `out` are [tokens, hidden] (no aliasing); `topWeights` and
/// `topIndices` are [tokens, topK] as produced by moeGate(); every index must
/// be in [0, routed.size()). Routed experts have intermediate width `inter`
/// (moe_intermediate_size); `shared` (null when there are no shared experts)
/// has width `sharedInter` = n_shared_experts * moe_intermediate_size. Each
/// expert runs once on the tokens routed to it; the weighted sum is
/// accumulated in double.
void moeExperts(const float *x, int64_t tokens, int64_t hidden, int64_t inter,
                const float *topWeights, const int32_t *topIndices,
                int64_t topK, const std::vector<ExpertWeights> &routed,
                const ExpertWeights *shared, int64_t sharedInter, float *out);

} // namespace dsv2::reference

#endif // DSV2_DIALECT_DSV2_REFERENCE_MOEEXPERTS_H
