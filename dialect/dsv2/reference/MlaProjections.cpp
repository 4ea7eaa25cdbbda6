//===- MlaProjections.cpp - Sub-steps of reference MLA --------------------===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/MlaProjections.h"

#include "dialect/dsv2/reference/Linear.h"
#include "dialect/dsv2/reference/RmsNorm.h"

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <vector>

namespace dsv2::reference {
namespace {

/// Positions startPos, startPos + 1, ... for `tokens` tokens.
std::vector<int64_t> consecutivePositions(int64_t startPos, int64_t tokens) {
  std::vector<int64_t> positions(static_cast<size_t>(tokens));
  std::iota(positions.begin(), positions.end(), startPos);
  return positions;
}

} // namespace

void mlaProjectQuery(const MlaDims &dims, const MlaWeights &weights,
                     const float *x, int64_t tokens, int64_t startPos,
                     float *q) {
  const int64_t headDim = dims.nope + dims.rope;
  const int64_t qWidth = dims.heads * headDim;
  if (dims.qLoraRank > 0) {
    std::vector<float> compressed(static_cast<size_t>(tokens * dims.qLoraRank));
    linear(x, weights.qA, tokens, dims.hidden, dims.qLoraRank,
           compressed.data());
    rmsNorm(compressed.data(), weights.qANorm, tokens, dims.qLoraRank,
            dims.rmsEps, compressed.data());
    linear(compressed.data(), weights.qB, tokens, dims.qLoraRank, qWidth, q);
  } else {
    linear(x, weights.q, tokens, dims.hidden, qWidth, q);
  }
  std::vector<int64_t> positions = consecutivePositions(startPos, tokens);
  applyRopeAdjacentPairsStrided(q + dims.nope, tokens, qWidth, dims.heads,
                                headDim, positions.data(), dims.ropeParams);
}

void mlaProjectLatent(const MlaDims &dims, const MlaWeights &weights,
                      const float *x, int64_t tokens, int64_t startPos,
                      float *latent, float *ropeKey) {
  const int64_t c = dims.kvLoraRank;
  const int64_t width = c + dims.rope;
  std::vector<float> compressed(static_cast<size_t>(tokens * width));
  linear(x, weights.kvA, tokens, dims.hidden, width, compressed.data());
  for (int64_t t = 0; t < tokens; ++t) {
    const float *row = compressed.data() + t * width;
    std::copy(row, row + c, latent + t * c);
    std::copy(row + c, row + width, ropeKey + t * dims.rope);
  }
  rmsNorm(latent, weights.kvANorm, tokens, c, dims.rmsEps, latent);
  std::vector<int64_t> positions = consecutivePositions(startPos, tokens);
  applyRopeAdjacentPairs(ropeKey, tokens, /*heads=*/1, dims.rope,
                         positions.data(), dims.ropeParams);
}

void mlaExpandLatent(const MlaDims &dims, const MlaWeights &weights,
                     const float *latent, const float *ropeKey, int64_t rows,
                     float *keys, float *values) {
  const int64_t p = dims.nope, r = dims.rope, v = dims.vHead;
  const int64_t kvWidth = dims.heads * (p + v);
  std::vector<float> kv(static_cast<size_t>(rows * kvWidth));
  linear(latent, weights.kvB, rows, dims.kvLoraRank, kvWidth, kv.data());
  for (int64_t row = 0; row < rows; ++row) {
    for (int64_t n = 0; n < dims.heads; ++n) {
      const float *head = kv.data() + row * kvWidth + n * (p + v);
      float *key = keys + (row * dims.heads + n) * (p + r);
      std::copy(head, head + p, key);
      std::copy(ropeKey + row * r, ropeKey + (row + 1) * r, key + p);
      std::copy(head + p, head + p + v, values + (row * dims.heads + n) * v);
    }
  }
}

void mlaAbsorbQuery(const MlaDims &dims, const MlaWeights &weights,
                    const float *q, int64_t tokens, float *absorbed) {
  const int64_t p = dims.nope, r = dims.rope, v = dims.vHead;
  const int64_t c = dims.kvLoraRank;
  std::vector<double> accumulator(static_cast<size_t>(c));
  for (int64_t t = 0; t < tokens; ++t) {
    for (int64_t n = 0; n < dims.heads; ++n) {
      const float *qHead = q + (t * dims.heads + n) * (p + r);
      float *target = absorbed + (t * dims.heads + n) * (c + r);
      // q_lat = sum_i q_nope[i] * W_UK[n][i, :], streaming W_UK row by row.
      std::fill(accumulator.begin(), accumulator.end(), 0.0);
      for (int64_t i = 0; i < p; ++i) {
        const float *ukRow = weights.kvB + (n * (p + v) + i) * c;
        double coefficient = qHead[i];
        for (int64_t j = 0; j < c; ++j)
          accumulator[j] += coefficient * ukRow[j];
      }
      for (int64_t j = 0; j < c; ++j)
        target[j] = static_cast<float>(accumulator[j]);
      std::copy(qHead + p, qHead + p + r, target + c);
    }
  }
}

void mlaLatentOutputToHeads(const MlaDims &dims, const MlaWeights &weights,
                            const float *latentOut, int64_t tokens,
                            float *out) {
  const int64_t p = dims.nope, v = dims.vHead, c = dims.kvLoraRank;
  for (int64_t t = 0; t < tokens; ++t) {
    for (int64_t n = 0; n < dims.heads; ++n) {
      const float *latentHead = latentOut + (t * dims.heads + n) * c;
      for (int64_t d = 0; d < v; ++d) {
        const float *uvRow = weights.kvB + (n * (p + v) + p + d) * c;
        out[(t * dims.heads + n) * v + d] =
            static_cast<float>(dotProduct(latentHead, uvRow, c));
      }
    }
  }
}

} // namespace dsv2::reference
