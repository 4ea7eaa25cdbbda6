//===- RandomWeights.h - Deterministic random checkpoints -------*- C++ -*-===//
//
// `--random-weights SEED` runs a preset without a checkpoint. Every tensor's
// values depend only on (seed, tensor name, shape), so the compiler, the
// interpreter and the runtime regenerate identical weights independently.
// No LLVM/MLIR: the runtime shares this.
//
//===----------------------------------------------------------------------===//

#ifndef MODELS_DEEPSEEK_V2_RANDOMWEIGHTS_H
#define MODELS_DEEPSEEK_V2_RANDOMWEIGHTS_H

#include <cstdint>
#include <string_view>
#include <vector>

namespace dsv2::model {

/// How weights are stored; generated values are rounded to it.
enum class WeightStorage { F32, BF16, F16 };

/// Fills `out` (product(shape) floats) with the tensor `name` of the random
/// checkpoint `seed`, rounded to `storage`. Norm weights (names ending in
/// "norm.weight") are 1 +- 0.1; the embedding table is uniform in [-1, 1];
/// [out, in] matrices are uniform with variance 1/in, so activations keep
/// their scale through each projection.
void fillRandomWeight(uint64_t seed, std::string_view name,
                      const std::vector<int64_t> &shape, WeightStorage storage,
                      float *out);

} // namespace dsv2::model

#endif // MODELS_DEEPSEEK_V2_RANDOMWEIGHTS_H
