//===- MlaAttentionNaive.cpp - Reference MLA with a per-head KV cache -----===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/MlaAttention.h"

#include "dialect/dsv2/reference/CausalAttention.h"
#include "dialect/dsv2/reference/Linear.h"
#include "dialect/dsv2/reference/MlaProjections.h"

#include <cstddef>
#include <vector>

namespace dsv2::reference {

bool mlaAttentionNaive(const MlaDims &dims, const MlaWeights &weights,
                       const float *x, int64_t tokens, int64_t startPos,
                       NaiveKvCacheLayer &cache, float *out) {
  if (cache.length != startPos)
    return false;
  const int64_t n = dims.heads;
  const int64_t keyDim = dims.nope + dims.rope;
  const int64_t valueDim = dims.vHead;
  const int64_t length = startPos + tokens;

  std::vector<float> q(static_cast<size_t>(tokens * n * keyDim));
  mlaProjectQuery(dims, weights, x, tokens, startPos, q.data());

  std::vector<float> latent(static_cast<size_t>(tokens * dims.kvLoraRank));
  std::vector<float> ropeKey(static_cast<size_t>(tokens * dims.rope));
  mlaProjectLatent(dims, weights, x, tokens, startPos, latent.data(),
                   ropeKey.data());

  // Append this step's decompressed keys and values to the cache.
  cache.keys.resize(static_cast<size_t>(length * n * keyDim));
  cache.values.resize(static_cast<size_t>(length * n * valueDim));
  mlaExpandLatent(dims, weights, latent.data(), ropeKey.data(), tokens,
                  cache.keys.data() + startPos * n * keyDim,
                  cache.values.data() + startPos * n * valueDim);
  cache.length = length;

  std::vector<float> heads(static_cast<size_t>(tokens * n * valueDim));
  CausalAttentionShape shape;
  shape.queries = tokens;
  shape.keys = length;
  shape.heads = n;
  shape.keyHeads = n;
  shape.keyDim = keyDim;
  shape.valueDim = valueDim;
  shape.firstQueryPosition = startPos;
  shape.scale = dims.softmaxScale;
  attendCausal(q.data(), cache.keys.data(), cache.values.data(), shape,
               heads.data());
  linear(heads.data(), weights.o, tokens, n * valueDim, dims.hidden, out);
  return true;
}

} // namespace dsv2::reference
