//===- CausalAttention.cpp - Reference causal attention -------------------===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/CausalAttention.h"

#include "dialect/dsv2/reference/Linear.h"
#include "dialect/dsv2/reference/Softmax.h"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace dsv2::reference {

void attendCausal(const float *q, const float *keys, const float *values,
                  const CausalAttentionShape &shape, float *out) {
  const int64_t heads = shape.heads;
  const int64_t keyDim = shape.keyDim;
  const int64_t valueDim = shape.valueDim;
  const int64_t keyRowStride = shape.keyHeads * keyDim;
  const int64_t valueRowStride = shape.keyHeads * valueDim;
  std::vector<double> probabilities(static_cast<size_t>(shape.keys));
  std::vector<double> accumulator(static_cast<size_t>(valueDim));

  for (int64_t t = 0; t < shape.queries; ++t) {
    // Keys 0..visible-1 are unmasked for this query.
    int64_t visible = std::min(shape.keys, shape.firstQueryPosition + t + 1);
    for (int64_t n = 0; n < heads; ++n) {
      int64_t keyHead = shape.keyHeads == 1 ? 0 : n;
      const float *query = q + (t * heads + n) * keyDim;
      float *target = out + (t * heads + n) * valueDim;
      if (visible <= 0) { // Nothing to attend to (keys < first position).
        std::fill(target, target + valueDim, 0.0f);
        continue;
      }
      for (int64_t j = 0; j < visible; ++j)
        probabilities[j] =
            shape.scale * dotProduct(query,
                                     keys + j * keyRowStride + keyHead * keyDim,
                                     keyDim);
      softmaxInPlace(probabilities.data(), visible);

      std::fill(accumulator.begin(), accumulator.end(), 0.0);
      for (int64_t j = 0; j < visible; ++j) {
        const float *value = values + j * valueRowStride + keyHead * valueDim;
        for (int64_t d = 0; d < valueDim; ++d)
          accumulator[d] += probabilities[j] * value[d];
      }
      for (int64_t d = 0; d < valueDim; ++d)
        target[d] = static_cast<float>(accumulator[d]);
    }
  }
}

} // namespace dsv2::reference
