//===- MoeGate.cpp - Reference MoE router ---------------------------------===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/MoeGate.h"

#include "dialect/dsv2/reference/Linear.h"
#include "dialect/dsv2/reference/Softmax.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <numeric>
#include <vector>

namespace dsv2::reference {
namespace {

/// One token's routing decision before weighting.
struct TokenRouting {
  /// Chosen experts, descending score, lower index first on ties.
  std::vector<int64_t> chosen;
  /// Scores after group masking (masked experts hold 0, as in the reference).
  std::vector<double> scores;
  /// See routingMargin().
  double margin = std::numeric_limits<double>::infinity();
};

/// Indices of the `k` largest `values`, in descending value order; equal
/// values are ordered by ascending index.
std::vector<int64_t> largestIndices(const std::vector<double> &values,
                                    int64_t k) {
  std::vector<int64_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  k = std::min<int64_t>(k, static_cast<int64_t>(order.size()));
  std::partial_sort(order.begin(), order.begin() + k, order.end(),
                    [&](int64_t a, int64_t b) {
                      if (values[a] != values[b])
                        return values[a] > values[b];
                      return a < b;
                    });
  order.resize(static_cast<size_t>(k));
  return order;
}

/// Largest value among `values[i]` with `eligible[i] && !taken[i]`, or
/// -infinity when there is none.
double bestRemaining(const std::vector<double> &values,
                     const std::vector<bool> &eligible,
                     const std::vector<bool> &taken) {
  double best = -std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < values.size(); ++i)
    if (eligible[i] && !taken[i])
      best = std::max(best, values[i]);
  return best;
}

TokenRouting routeToken(const float *xRow, const float *gateWeight,
                        int64_t hidden, const MoeGateParams &params) {
  TokenRouting routing;
  int64_t experts = params.experts;
  routing.scores.resize(static_cast<size_t>(experts));
  for (int64_t e = 0; e < experts; ++e)
    routing.scores[e] = dotProduct(xRow, gateWeight + e * hidden, hidden);
  softmaxInPlace(routing.scores.data(), experts);

  std::vector<bool> eligible(static_cast<size_t>(experts), true);
  if (params.method == TopkMethod::GroupLimitedGreedy) {
    int64_t groupSize = experts / params.nGroup;
    std::vector<double> groupScores(static_cast<size_t>(params.nGroup));
    for (int64_t g = 0; g < params.nGroup; ++g)
      groupScores[g] =
          *std::max_element(routing.scores.begin() + g * groupSize,
                            routing.scores.begin() + (g + 1) * groupSize);
    std::vector<int64_t> keptGroups =
        largestIndices(groupScores, params.topkGroup);
    std::vector<bool> kept(static_cast<size_t>(params.nGroup), false);
    for (int64_t g : keptGroups)
      kept[g] = true;
    std::vector<bool> allGroups(static_cast<size_t>(params.nGroup), true);
    double bestDropped = bestRemaining(groupScores, allGroups, kept);
    routing.margin =
        std::min(routing.margin, groupScores[keptGroups.back()] - bestDropped);
    for (int64_t e = 0; e < experts; ++e) {
      if (!kept[e / groupSize]) {
        routing.scores[e] = 0.0;
        eligible[e] = false;
      }
    }
  }

  routing.chosen = largestIndices(routing.scores, params.topK);
  std::vector<bool> taken(static_cast<size_t>(experts), false);
  for (int64_t e : routing.chosen)
    taken[e] = true;
  double bestUnchosen = bestRemaining(routing.scores, eligible, taken);
  routing.margin = std::min(
      routing.margin, routing.scores[routing.chosen.back()] - bestUnchosen);
  return routing;
}

} // namespace

void moeGate(const float *x, const float *gateWeight, int64_t tokens,
             int64_t hidden, const MoeGateParams &params, float *topWeights,
             int32_t *topIndices) {
  int64_t k = params.topK;
  bool renormalize = params.normTopkProb && k > 1;
  for (int64_t t = 0; t < tokens; ++t) {
    TokenRouting routing =
        routeToken(x + t * hidden, gateWeight, hidden, params);
    double sum = 0.0;
    for (int64_t e : routing.chosen)
      sum += routing.scores[e];
    for (int64_t i = 0; i < k; ++i) {
      int64_t expert = routing.chosen[i];
      double weight = routing.scores[expert];
      weight = renormalize ? weight / (sum + 1e-20)
                           : weight * params.routedScalingFactor;
      topWeights[t * k + i] = static_cast<float>(weight);
      topIndices[t * k + i] = static_cast<int32_t>(expert);
    }
  }
}

double routingMargin(const float *x, const float *gateWeight, int64_t tokens,
                     int64_t hidden, const MoeGateParams &params) {
  double margin = std::numeric_limits<double>::infinity();
  for (int64_t t = 0; t < tokens; ++t)
    margin = std::min(
        margin, routeToken(x + t * hidden, gateWeight, hidden, params).margin);
  return margin;
}

} // namespace dsv2::reference
