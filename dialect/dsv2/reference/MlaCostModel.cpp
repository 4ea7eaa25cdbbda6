//===- MlaCostModel.cpp - Naive vs absorbed MLA, per step -----------------===//

#include "dialect/dsv2/reference/MlaCostModel.h"

namespace dsv2::reference {

// Causal attention of T queries at the end of a context of L positions
// touches sum_{t} (L - T + t + 1) = T*L - T*(T-1)/2 query-key pairs.
static double causalPairs(int64_t tokens, int64_t context) {
  double t = static_cast<double>(tokens), l = static_cast<double>(context);
  return t * l - t * (t - 1.0) / 2.0;
}

MlaStepCost decompressedStepCost(const MlaCostShape &s, int64_t tokens,
                                 int64_t context) {
  const double n = s.heads, c = s.kvLoraRank, p = s.nope, r = s.rope,
               v = s.vHead, l = static_cast<double>(context);
  const double pairs = causalPairs(tokens, context);
  MlaStepCost cost;
  // kv_b on every cached latent row, then QK^T (P+R wide) and PV (V wide).
  cost.flops = 2.0 * l * c * n * (p + v) + 2.0 * pairs * n * (p + r) +
               2.0 * pairs * n * v;
  // Latent cache read, kv_b weights read, rebuilt K/V written and read back
  // in fp32.
  cost.bytes = l * (c + r) * s.cacheBytes + n * (p + v) * c * s.weightBytes +
               2.0 * l * n * (p + v) * 4.0;
  return cost;
}

MlaStepCost absorbedStepCost(const MlaCostShape &s, int64_t tokens,
                             int64_t context) {
  const double n = s.heads, c = s.kvLoraRank, p = s.nope, r = s.rope,
               v = s.vHead, t = static_cast<double>(tokens),
               l = static_cast<double>(context);
  const double pairs = causalPairs(tokens, context);
  MlaStepCost cost;
  // q_nope W_UK, scores over C+R, softmax @ c (C wide), o_lat W_UV^T.
  cost.flops = 2.0 * t * n * p * c + 2.0 * pairs * n * (c + r) +
               2.0 * pairs * n * c + 2.0 * t * n * c * v;
  // Latent cache read once (shared by all heads), W_UK and W_UV read.
  cost.bytes = l * (c + r) * s.cacheBytes + n * (p + v) * c * s.weightBytes;
  return cost;
}

bool absorbedIsCheaper(const MlaCostShape &shape, int64_t tokens,
                       int64_t context, double flopsPerByte) {
  return absorbedStepCost(shape, tokens, context).time(flopsPerByte) <
         decompressedStepCost(shape, tokens, context).time(flopsPerByte);
}

} // namespace dsv2::reference
