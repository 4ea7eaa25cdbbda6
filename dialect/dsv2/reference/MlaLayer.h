//===- MlaLayer.h - Shapes and weights of one MLA layer ---------*- C++ -*-===//
//
// Part of dsv2c. What the reference MLA kernels need to know about one
// DeepseekV2Attention layer: its dimensions and its weight buffers.
//
//===----------------------------------------------------------------------===//

#ifndef DSV2_DIALECT_DSV2_REFERENCE_MLALAYER_H
#define DSV2_DIALECT_DSV2_REFERENCE_MLALAYER_H

#include "dialect/dsv2/reference/Rope.h"

#include <cstdint>

namespace dsv2::reference {

/// Dimensions of one MLA layer (N = heads, P = nope, R = rope, V = vHead,
/// C = kvLoraRank).
struct MlaDims {
  int64_t hidden;     ///< hidden_size (H).
  int64_t heads;      ///< num_attention_heads (N).
  int64_t qLoraRank;  ///< q_lora_rank; 0 = plain q_proj (V2-Lite).
  int64_t kvLoraRank; ///< kv_lora_rank (C).
  int64_t nope;       ///< qk_nope_head_dim (P).
  int64_t rope;       ///< qk_rope_head_dim (R).
  int64_t vHead;      ///< v_head_dim (V).
  /// Attention scale, computed by the caller: (P+R)^-0.5 * m^2 (see
  /// mlaSoftmaxScale()). Used unchanged by the absorbed form.
  double softmaxScale;
  double rmsEps; ///< rms_norm_eps for q_a_layernorm and kv_a_layernorm.
  /// Rotary configuration; ropeParams.dim must equal `rope`.
  RopeParams ropeParams;
};

/// The reference's softmax_scale: qkHeadDim^-0.5 * m^2 with
/// m = yarnMscale(factor, mscaleAllDim) under YaRN, m = 1 otherwise
/// (0.1147214 for DeepSeek-V2: 192^-0.5 * 1.2608^2).
double mlaSoftmaxScale(int64_t qkHeadDim, const RopeParams &ropeParams);

/// Weight buffers of one MLA layer, checkpoint layout ([out, in]).
struct MlaWeights {
  const float *qA;      ///< q_a_proj [qLoraRank, H] (qLoraRank > 0).
  const float *qANorm;  ///< q_a_layernorm [qLoraRank] (qLoraRank > 0).
  const float *qB;      ///< q_b_proj [N*(P+R), qLoraRank] (qLoraRank > 0).
  const float *q;       ///< q_proj [N*(P+R), H] (qLoraRank == 0).
  const float *kvA;     ///< kv_a_proj_with_mqa [C+R, H].
  const float *kvANorm; ///< kv_a_layernorm [C].
  const float *kvB;     ///< kv_b_proj [N*(P+V), C]; head n: P k rows, V v rows.
  const float *o;       ///< o_proj [H, N*V].
};

} // namespace dsv2::reference

#endif // DSV2_DIALECT_DSV2_REFERENCE_MLALAYER_H
