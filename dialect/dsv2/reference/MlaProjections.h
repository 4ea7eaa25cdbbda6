//===- MlaProjections.h - Sub-steps of reference MLA ------------*- C++ -*-===//
//
// Part of dsv2c. The projections MLA is built from, shared by the naive,
// latent-cache and weight-absorbed attention forms (MlaAttention.h) and
// available to the interpreter on their own.
//
//===----------------------------------------------------------------------===//

#ifndef DSV2_DIALECT_DSV2_REFERENCE_MLAPROJECTIONS_H
#define DSV2_DIALECT_DSV2_REFERENCE_MLAPROJECTIONS_H

#include "dialect/dsv2/reference/MlaLayer.h"

#include <cstdint>

namespace dsv2::reference {

/// Queries with RoPE applied: q = q_b_proj(RMSNorm_qa(q_a_proj(x))), or
/// q_proj(x) when qLoraRank == 0, viewed as [T, N, P+R] = per head
/// [q_nope | q_pe]; q_pe of token t is rotated at position startPos + t
/// (adjacent pairs, left interleaved; see applyRopeAdjacentPairs()).
/// `x` is [T, H] (already input-normed); `q` is [T, N*(P+R)].
void mlaProjectQuery(const MlaDims &dims, const MlaWeights &weights,
                     const float *x, int64_t tokens, int64_t startPos,
                     float *q);

/// The compressed KV of each token: ckv = kv_a_proj_with_mqa(x) split
/// [c | k_pe]; `latent` [T, C] = RMSNorm_kva(c) and `ropeKey` [T, R] = k_pe
/// rotated at position startPos + t. These two are exactly what a latent KV
/// cache stores. k_pe is a single head shared by all query heads.
void mlaProjectLatent(const MlaDims &dims, const MlaWeights &weights,
                      const float *x, int64_t tokens, int64_t startPos,
                      float *latent, float *ropeKey);

/// Decompresses cached latents into per-head keys and values:
/// kv = kv_b_proj(latent) split per head [k_nope (P) | v (V)];
/// `keys` [rows, N, P+R] = [k_nope | ropeKey] (ropeKey broadcast to every
/// head), `values` [rows, N, V].
void mlaExpandLatent(const MlaDims &dims, const MlaWeights &weights,
                     const float *latent, const float *ropeKey, int64_t rows,
                     float *keys, float *values);

/// Weight absorption on the query side: `absorbed` [T, N, C+R] holds per head
/// [q_lat | q_pe] with q_lat[n] = q_nope[n] @ W_UK[n], W_UK[n] = the P k_nope
/// rows of kv_b_proj for head n ([P, C]). `q` is mlaProjectQuery()'s output.
/// Then q_lat . latent + q_pe . ropeKey == q . [k_nope | k_pe].
void mlaAbsorbQuery(const MlaDims &dims, const MlaWeights &weights,
                    const float *q, int64_t tokens, float *absorbed);

/// Weight absorption on the output side: o[t, n] = latentOut[t, n] @
/// W_UV[n]^T, W_UV[n] = the V value rows of kv_b_proj for head n ([V, C]).
/// `latentOut` is [T, N, C]; `out` is [T, N*V], ready for o_proj.
void mlaLatentOutputToHeads(const MlaDims &dims, const MlaWeights &weights,
                            const float *latentOut, int64_t tokens, float *out);

} // namespace dsv2::reference

#endif // DSV2_DIALECT_DSV2_REFERENCE_MLAPROJECTIONS_H
