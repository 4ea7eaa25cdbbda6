//===- CausalAttention.h - Reference causal attention -----------*- C++ -*-===//
//
// Part of dsv2c. Scaled dot-product attention with a causal mask over a KV
// cache, for multi-head keys (naive MLA) or one key head shared by all query
// heads (MQA, the weight-absorbed MLA).
//
//===----------------------------------------------------------------------===//

#ifndef DSV2_DIALECT_DSV2_REFERENCE_CAUSALATTENTION_H
#define DSV2_DIALECT_DSV2_REFERENCE_CAUSALATTENTION_H

#include <cstdint>

namespace dsv2::reference {

/// Shapes and scale of one attendCausal() call.
struct CausalAttentionShape {
  int64_t queries;  ///< T: query tokens.
  int64_t keys;     ///< L: cached key positions 0..L-1 (queries' own included).
  int64_t heads;    ///< N: query heads.
  int64_t keyHeads; ///< N (one key/value head per query head) or 1 (shared).
  int64_t keyDim;   ///< Width of one query/key head.
  int64_t valueDim; ///< Width of one value head.
  /// Position of query 0; query t sits at firstQueryPosition + t and attends
  /// to keys 0..firstQueryPosition + t (the causal mask).
  int64_t firstQueryPosition;
  /// Multiplies q . k before the softmax (MLA: softmax_scale, m^2 included).
  double scale;
};

/// out[t, n] = sum_j softmax_j(scale * q[t, n] . k[j, n']) * v[j, n'] over the
/// unmasked keys j, where n' = n when keyHeads == N and 0 when keyHeads == 1.
///
/// `q` is [T, N, keyDim], `keys` [L, keyHeads, keyDim], `values`
/// [L, keyHeads, valueDim], `out` [T, N, valueDim]. Scores, softmax and the
/// weighted value sum are all in double; `out` is rounded once to float.
/// Normally L >= firstQueryPosition + T; a query that sees no key gets 0.
void attendCausal(const float *q, const float *keys, const float *values,
                  const CausalAttentionShape &shape, float *out);

} // namespace dsv2::reference

#endif // DSV2_DIALECT_DSV2_REFERENCE_CAUSALATTENTION_H
