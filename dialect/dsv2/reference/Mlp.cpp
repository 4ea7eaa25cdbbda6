//===- Mlp.cpp - Reference gated SiLU MLP ---------------------------------===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/Mlp.h"

#include "dialect/dsv2/reference/Linear.h"

#include <cmath>
#include <cstddef>
#include <vector>

namespace dsv2::reference {

void mlp(const float *x, const float *gate, const float *up, const float *down,
         int64_t tokens, int64_t hidden, int64_t inter, float *out) {
  size_t intermediateSize = static_cast<size_t>(tokens * inter);
  std::vector<float> gated(intermediateSize);
  std::vector<float> upProjected(intermediateSize);
  linear(x, gate, tokens, hidden, inter, gated.data());
  linear(x, up, tokens, hidden, inter, upProjected.data());
  for (size_t i = 0; i < intermediateSize; ++i) {
    double z = gated[i];
    double silu = z / (1.0 + std::exp(-z));
    gated[i] = static_cast<float>(silu * upProjected[i]);
  }
  linear(gated.data(), down, tokens, inter, hidden, out);
}

} // namespace dsv2::reference
