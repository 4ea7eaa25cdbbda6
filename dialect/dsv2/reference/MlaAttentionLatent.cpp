//===- MlaAttentionLatent.cpp - Reference MLA with a latent KV cache ------===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/MlaAttention.h"

#include "dialect/dsv2/reference/CausalAttention.h"
#include "dialect/dsv2/reference/Linear.h"
#include "dialect/dsv2/reference/MlaProjections.h"
#include "runtime/io/Bf16.h" // Header only: the engine's bf16 rounding.

#include <algorithm>
#include <cstddef>

namespace dsv2::reference {
namespace {

/// Naive attention over the decompressed cache; `heads` is [T, N*V].
void attendDecompressed(const MlaDims &dims, const MlaWeights &weights,
                        const float *q, int64_t tokens, int64_t startPos,
                        const LatentKvCacheLayer &cache, float *heads) {
  const int64_t n = dims.heads;
  const int64_t keyDim = dims.nope + dims.rope;
  std::vector<float> keys(static_cast<size_t>(cache.length * n * keyDim));
  std::vector<float> values(static_cast<size_t>(cache.length * n * dims.vHead));
  mlaExpandLatent(dims, weights, cache.latent.data(), cache.ropeKey.data(),
                  cache.length, keys.data(), values.data());
  CausalAttentionShape shape;
  shape.queries = tokens;
  shape.keys = cache.length;
  shape.heads = n;
  shape.keyHeads = n;
  shape.keyDim = keyDim;
  shape.valueDim = dims.vHead;
  shape.firstQueryPosition = startPos;
  shape.scale = dims.softmaxScale;
  attendCausal(q, keys.data(), values.data(), shape, heads);
}

/// Weight-absorbed attention in latent space; `heads` is [T, N*V].
void attendAbsorbed(const MlaDims &dims, const MlaWeights &weights,
                    const float *q, int64_t tokens, int64_t startPos,
                    const LatentKvCacheLayer &cache, float *heads) {
  const int64_t n = dims.heads;
  const int64_t c = dims.kvLoraRank;
  const int64_t r = dims.rope;
  std::vector<float> absorbedQ(static_cast<size_t>(tokens * n * (c + r)));
  mlaAbsorbQuery(dims, weights, q, tokens, absorbedQ.data());

  // One shared key head [c | k_pe] per position; the values are c itself.
  std::vector<float> latentKeys(static_cast<size_t>(cache.length * (c + r)));
  for (int64_t j = 0; j < cache.length; ++j) {
    float *key = latentKeys.data() + j * (c + r);
    std::copy(cache.latent.begin() + j * c, cache.latent.begin() + (j + 1) * c,
              key);
    std::copy(cache.ropeKey.begin() + j * r,
              cache.ropeKey.begin() + (j + 1) * r, key + c);
  }

  std::vector<float> latentOut(static_cast<size_t>(tokens * n * c));
  CausalAttentionShape shape;
  shape.queries = tokens;
  shape.keys = cache.length;
  shape.heads = n;
  shape.keyHeads = 1; // MQA: one latent key/value head for all query heads.
  shape.keyDim = c + r;
  shape.valueDim = c;
  shape.firstQueryPosition = startPos;
  shape.scale = dims.softmaxScale; // Unchanged: NOT (C+R)^-0.5.
  attendCausal(absorbedQ.data(), latentKeys.data(), cache.latent.data(), shape,
               latentOut.data());
  mlaLatentOutputToHeads(dims, weights, latentOut.data(), tokens, heads);
}

} // namespace

bool mlaAttentionLatent(const MlaDims &dims, const MlaWeights &weights,
                        const float *x, int64_t tokens, int64_t startPos,
                        LatentKvCacheLayer &cache, float *out, bool absorbed,
                        bool bf16Cache) {
  if (cache.length != startPos)
    return false;
  const int64_t n = dims.heads;
  const int64_t c = dims.kvLoraRank;
  const int64_t r = dims.rope;
  const int64_t length = startPos + tokens;

  std::vector<float> q(static_cast<size_t>(tokens * n * (dims.nope + r)));
  mlaProjectQuery(dims, weights, x, tokens, startPos, q.data());

  cache.latent.resize(static_cast<size_t>(length * c));
  cache.ropeKey.resize(static_cast<size_t>(length * r));
  mlaProjectLatent(dims, weights, x, tokens, startPos,
                   cache.latent.data() + startPos * c,
                   cache.ropeKey.data() + startPos * r);
  cache.length = length;
  if (bf16Cache) {
    auto round = [](float *values, int64_t count) {
      for (int64_t i = 0; i < count; ++i)
        values[i] = runtime::bf16ToFloat32(runtime::float32ToBf16(values[i]));
    };
    round(cache.latent.data() + startPos * c, tokens * c);
    round(cache.ropeKey.data() + startPos * r, tokens * r);
  }

  std::vector<float> heads(static_cast<size_t>(tokens * n * dims.vHead));
  if (absorbed)
    attendAbsorbed(dims, weights, q.data(), tokens, startPos, cache,
                   heads.data());
  else
    attendDecompressed(dims, weights, q.data(), tokens, startPos, cache,
                       heads.data());
  linear(heads.data(), weights.o, tokens, n * dims.vHead, dims.hidden, out);
  return true;
}

} // namespace dsv2::reference
