//===- MlaAttention.h - Reference MLA attention with KV caches --*- C++ -*-===//
//
// Part of dsv2c. DeepseekV2Attention in three equivalent forms: the naive one
// the reference computes (per-head K/V cache), the paper's latent cache
// (normalized c and roped k_pe only) decompressed through kv_b_proj, and the
// weight-absorbed form over the latent cache.
//
//===----------------------------------------------------------------------===//

#ifndef DSV2_DIALECT_DSV2_REFERENCE_MLAATTENTION_H
#define DSV2_DIALECT_DSV2_REFERENCE_MLAATTENTION_H

#include "dialect/dsv2/reference/MlaLayer.h"

#include <cstdint>
#include <vector>

namespace dsv2::reference {

/// One layer's decompressed KV cache, as the reference keeps it.
struct NaiveKvCacheLayer {
  int64_t length = 0;        ///< Cached positions.
  std::vector<float> keys;   ///< [length, N, P+R] = [k_nope | k_pe] per head.
  std::vector<float> values; ///< [length, N, V].
};

/// One layer's latent KV cache: C + R elements per token.
struct LatentKvCacheLayer {
  int64_t length = 0;         ///< Cached positions.
  std::vector<float> latent;  ///< [length, C]: RMSNorm_kva(c).
  std::vector<float> ropeKey; ///< [length, R]: k_pe after RoPE.
};

/// The reference's MLA forward for `tokens` new tokens at positions
/// startPos.. (prefill when startPos == 0 and tokens > 1, decode when
/// tokens == 1): project queries and the latent, decompress this step's
/// keys/values, append them to `cache`, attend causally over all cached
/// positions with dims.softmaxScale, concatenate heads to [T, N*V], o_proj.
///
/// `x` is [T, H] (already input-normed), `out` is [T, H]. Returns false and
/// changes nothing when cache.length != startPos.
bool mlaAttentionNaive(const MlaDims &dims, const MlaWeights &weights,
                       const float *x, int64_t tokens, int64_t startPos,
                       NaiveKvCacheLayer &cache, float *out);

/// MLA over a latent cache: appends this step's normalized latent and roped
/// k_pe to `cache`, then either
/// - absorbed == false: decompresses the whole cache through kv_b_proj into
///   per-head K/V and attends exactly as mlaAttentionNaive(), or
/// - absorbed == true: attends in latent space as one shared (MQA) head:
///   scores = (q_lat . c + q_pe . k_pe) * dims.softmaxScale (NOT
///   (C+R)^-0.5), o_lat = softmax @ c, o[n] = o_lat[n] @ W_UV[n]^T.
/// The decompressed path rebuilds K/V for every cached position on every
/// call (O(length * C * N * (P+V))): fine for an oracle, not for long runs.
/// Both equal mlaAttentionNaive() up to rounding (~1e-5 relative; the
/// absorbed form reorders the contractions).
///
/// Same arguments and failure rule as mlaAttentionNaive(). `bf16Cache`: the
/// cache stores bfloat16 (--kv-cache-dtype bf16): the appended latent and
/// k_pe are rounded to it (nearest, ties to even) before anything reads them.
bool mlaAttentionLatent(const MlaDims &dims, const MlaWeights &weights,
                        const float *x, int64_t tokens, int64_t startPos,
                        LatentKvCacheLayer &cache, float *out, bool absorbed,
                        bool bf16Cache = false);

} // namespace dsv2::reference

#endif // DSV2_DIALECT_DSV2_REFERENCE_MLAATTENTION_H
