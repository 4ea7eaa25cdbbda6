//===- MoeGate.h - Reference MoE router -------------------------*- C++ -*-===//
//
// Part of dsv2c. DeepSeek-V2's MoEGate: softmax scores over all routed
// experts, greedy or group-limited greedy top-k, then renormalization or the
// routed scaling factor.
//
//===----------------------------------------------------------------------===//

#ifndef DSV2_DIALECT_DSV2_REFERENCE_MOEGATE_H
#define DSV2_DIALECT_DSV2_REFERENCE_MOEGATE_H

#include <cstdint>

namespace dsv2::reference {

/// config.json's topk_method ("greedy", also spelled "gready", or
/// "group_limited_greedy").
enum class TopkMethod { Greedy, GroupLimitedGreedy };

/// Router configuration (config.json names in the comments).
struct MoeGateParams {
  int64_t experts;            ///< n_routed_experts (E).
  int64_t topK;               ///< num_experts_per_tok (K).
  int64_t nGroup;             ///< n_group; must divide E (GroupLimitedGreedy).
  int64_t topkGroup;          ///< topk_group: groups kept per token.
  TopkMethod method;          ///< topk_method.
  double routedScalingFactor; ///< routed_scaling_factor.
  bool normTopkProb;          ///< norm_topk_prob.
};

/// Routes `tokens` rows of `x` [tokens, hidden] with `gateWeight` [E, hidden].
///
/// Logits are double-accumulated dot products and the softmax over all E runs
/// in double (the reference does both in fp32, never in the activation
/// dtype). GroupLimitedGreedy: group score = MAX score in each of the nGroup
/// contiguous groups (V2; not V3's sum of top-2), the topkGroup best groups
/// are kept and every other expert's score is set to 0, then top-K.
///
/// Ties (exactly equal scores, groups or experts) go to the lower index, the
/// usual torch.topk behaviour; the reference asks torch.topk for
/// sorted=False, so its output order is unspecified. Here each token's K
/// outputs are in descending score order (lower index first on ties); the
/// combine is order independent.
///
/// Weights: when normTopkProb and K > 1, w /= (sum of the K scores + 1e-20);
/// otherwise w *= routedScalingFactor (never both). Outputs are
/// `topWeights` [tokens, K] and `topIndices` [tokens, K].
void moeGate(const float *x, const float *gateWeight, int64_t tokens,
             int64_t hidden, const MoeGateParams &params, float *topWeights,
             int32_t *topIndices);

/// The smallest routing margin over all tokens, in softmax-probability units:
/// for each token, the score of the K-th chosen expert minus the best score
/// among eligible experts not chosen and, for GroupLimitedGreedy, also the
/// score of the last kept group minus the best dropped group. A margin near
/// 0 means a low-precision implementation may legitimately pick a different
/// expert. Returns +infinity when no choice was contested (e.g. K == E).
double routingMargin(const float *x, const float *gateWeight, int64_t tokens,
                     int64_t hidden, const MoeGateParams &params);

} // namespace dsv2::reference

#endif // DSV2_DIALECT_DSV2_REFERENCE_MOEGATE_H
