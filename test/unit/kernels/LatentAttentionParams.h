//===- LatentAttentionParams.h - Instances of the latent attention -*- C++ -*-===//
//
// The template parameters of latent_attention (group 1) and
// latent_attention_grouped (group heads per program) as kernel formation
// fills them, for the kernel tests and dsv2-latent-attention-bench.
//
//===----------------------------------------------------------------------===//

#ifndef TEST_UNIT_KERNELS_LATENTATTENTIONPARAMS_H
#define TEST_UNIT_KERNELS_LATENTATTENTIONPARAMS_H

#include "test/unit/kernels/KernelHarness.h"

#include <string>

namespace dsv2::test {

/// Cache rows per online-softmax step, as kernel formation's
/// kAttentionKeyBlock.
inline constexpr int64_t kLatentKeyBlock = 16;

/// `dot`: the grouped kernel's DOT (bf16: tensor-core operands, with a
/// bf16 cache).
inline mlir::dsv2::KernelParams
latentParams(const std::string &ct, int64_t heads, int64_t c, int64_t r,
             double scale, int64_t splits = 1, int64_t group = 1,
             const std::string &dot = "f32") {
  mlir::dsv2::KernelParams params{{"CT", ct},
                                  {"C", std::to_string(c)},
                                  {"R", std::to_string(r)},
                                  {"CB", std::to_string(nextPowerOfTwo(c))},
                                  {"RB", std::to_string(nextPowerOfTwo(r))},
                                  {"BL", std::to_string(kLatentKeyBlock)},
                                  {"HEADS", std::to_string(heads)},
                                  {"SCALE", floatText(scale)},
                                  {"SPLITS", std::to_string(splits)}};
  if (group > 1) {
    params["HG"] = std::to_string(group);
    params["GROUPS"] = std::to_string(heads / group);
    params["DOT"] = dot;
  }
  return params;
}

} // namespace dsv2::test

#endif // TEST_UNIT_KERNELS_LATENTATTENTIONPARAMS_H
