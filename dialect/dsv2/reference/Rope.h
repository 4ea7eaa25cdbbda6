//===- Rope.h - Reference rotary embedding (YaRN) ---------------*- C++ -*-===//
//
// Part of dsv2c. DeepSeek-V2's rotary position embedding: YaRN inverse
// frequencies (DeepseekV2YarnRotaryEmbedding) and the adjacent-pair rotation
// of the raw q_pe / k_pe projection outputs.
//
//===----------------------------------------------------------------------===//

#ifndef DSV2_DIALECT_DSV2_REFERENCE_ROPE_H
#define DSV2_DIALECT_DSV2_REFERENCE_ROPE_H

#include <cstdint>
#include <vector>

namespace dsv2::reference {

/// Rotary embedding configuration: config.json's rope_theta, rope_scaling and
/// qk_rope_head_dim. `yarn == false` means no rope_scaling (plain RoPE); the
/// remaining fields are then ignored.
struct RopeParams {
  /// Rotated width R (qk_rope_head_dim); must be even.
  int64_t dim = 64;
  /// rope_theta.
  double theta = 10000.0;
  /// rope_scaling.type == "yarn".
  bool yarn = false;
  /// rope_scaling.factor (s).
  double factor = 1.0;
  /// rope_scaling.original_max_position_embeddings (L0).
  int64_t originalMaxPosition = 4096;
  double betaFast = 32.0;
  double betaSlow = 1.0;
  double mscale = 1.0;
  double mscaleAllDim = 0.0;
};

/// The YaRN correction range [low, high] (as doubles, before the equal-bounds
/// nudge), exactly as the reference's yarn_find_correction_range:
///   low = max(floor(corr(betaFast)), 0),
///   high = min(ceil(corr(betaSlow)), dim - 1),
///   corr(b) = dim * ln(L0 / (2 pi b)) / (2 ln theta).
struct YarnCorrectionRange {
  double low;
  double high;
};
YarnCorrectionRange yarnCorrectionRange(const RopeParams &params);

/// yarn_get_mscale: 1 when scale <= 1, else 0.1 * mscale * ln(scale) + 1.
double yarnMscale(double scale, double mscale);

/// The dim/2 inverse frequencies. Plain: theta^(-2j/dim). YaRN:
/// inter * ramp + extra * (1 - ramp) with extra = theta^(-2j/dim),
/// inter = extra / factor and ramp[j] = clamp((j - low) / (high - low), 0, 1)
/// (high += 0.001 when low == high), as yarn_linear_ramp_mask.
std::vector<double> ropeInverseFrequencies(const RopeParams &params);

/// Factor applied to both cos and sin: yarnMscale(factor, mscale) /
/// yarnMscale(factor, mscaleAllDim) under YaRN (1.0 for both released
/// DeepSeek-V2 models), 1 otherwise.
double ropeCosSinScale(const RopeParams &params);

/// Rotates, in place, the adjacent pairs (2j, 2j+1) of every head of `x`
/// [tokens, heads, dim] by angle positions[t] * invFreq[j] (the first
/// params.dim elements of each head; normally dim == params.dim):
///   (a, b) -> (a cos - b sin, b cos + a sin), cos and sin times
///   ropeCosSinScale(params). Angles are computed in double.
///
/// The result stays interleaved. The reference rotates the same pairs but
/// then stores all first elements before all second elements
/// (de-interleaved). Queries and keys go through the same rotation and the
/// same layout, so every q . k dot product, and therefore the attention
/// output, is identical; only the element order inside the rope part of a
/// head differs from the reference's intermediate tensors.
void applyRopeAdjacentPairs(float *x, int64_t tokens, int64_t heads,
                            int64_t dim, const int64_t *positions,
                            const RopeParams &params);

/// As applyRopeAdjacentPairs for a strided view: head `h` of token `t` starts
/// at x + t * tokenStride + h * headStride and holds `params.dim` contiguous
/// elements (e.g. the q_pe slice at the end of each [q_nope | q_pe] head).
void applyRopeAdjacentPairsStrided(float *x, int64_t tokens,
                                   int64_t tokenStride, int64_t heads,
                                   int64_t headStride, const int64_t *positions,
                                   const RopeParams &params);

} // namespace dsv2::reference

#endif // DSV2_DIALECT_DSV2_REFERENCE_ROPE_H
