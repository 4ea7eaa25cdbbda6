//===- Sampler.h - Next token from logits -----------------------*- C++ -*-===//
//
// Greedy (argmax, lowest id on ties) or sampling with temperature, top-k and
// top-p (nucleus), from a seeded generator private to one sequence, so a
// sequence samples the same ids alone or in a batch.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_DSV2_RUN_SAMPLER_H
#define TOOLS_DSV2_RUN_SAMPLER_H

#include "tools/dsv2-run/RunOptions.h"

#include "absl/types/span.h"

#include <cstdint>
#include <random>

namespace dsv2::run {

class Sampler {
public:
  explicit Sampler(const SamplingOptions &options)
      : options(options), generator(options.seed) {}

  /// The next token given one position's logits.
  int32_t next(absl::Span<const float> logits);

private:
  SamplingOptions options;
  std::mt19937_64 generator;
};

} // namespace dsv2::run

#endif // TOOLS_DSV2_RUN_SAMPLER_H
