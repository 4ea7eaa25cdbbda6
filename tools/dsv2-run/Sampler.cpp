//===- Sampler.cpp - Next token from logits -------------------------------===//

#include "tools/dsv2-run/Sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace dsv2::run {

int32_t Sampler::next(absl::Span<const float> logits) {
  if (options.temperature <= 0)
    return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) -
                                logits.begin());
  // Candidates by decreasing logit (stable: lower ids first on ties).
  std::vector<int32_t> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  size_t keep = ids.size();
  if (options.topK > 0)
    keep = std::min(keep, static_cast<size_t>(options.topK));
  auto byLogit = [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  if (keep < ids.size()) {
    std::partial_sort(ids.begin(), ids.begin() + keep, ids.end(), byLogit);
    ids.resize(keep);
  } else {
    std::sort(ids.begin(), ids.end(), byLogit);
  }
  // Softmax of logit / temperature in double, relative to the maximum.
  std::vector<double> weights(ids.size());
  double top = logits[ids[0]], total = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    weights[i] = std::exp((logits[ids[i]] - top) / options.temperature);
    total += weights[i];
  }
  // Nucleus: the shortest prefix whose probability reaches top-p.
  if (options.topP < 1.0) {
    double mass = 0;
    size_t cut = 0;
    while (cut < weights.size()) {
      mass += weights[cut++] / total;
      if (mass >= options.topP)
        break;
    }
    weights.resize(cut);
    total = std::accumulate(weights.begin(), weights.end(), 0.0);
  }
  double draw = std::uniform_real_distribution<double>(0.0, total)(generator);
  for (size_t i = 0; i < weights.size(); ++i) {
    draw -= weights[i];
    if (draw < 0)
      return ids[i];
  }
  return ids[weights.size() - 1];
}

} // namespace dsv2::run
