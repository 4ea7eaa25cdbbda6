//===- QuantizedWeightProvider.h - Weights as a quantized engine sees them -*- C++ -*-===//
//
// Wraps a WeightProvider so every weight that --quantize stores in int8 or
// int4 (dialect/dsv2/WeightQuantization.h) reads as scale * q: int8 row by
// row, int4 group by group, over the whole checkpoint tensor (before any
// shard slices it, so a rank's slice has the scales of the full rows; int4
// groups are sized so that none straddles a slice, int4GroupSizeOf). `dsv2c compile` packs through it
// (the weights derived from kv_b_proj carry the same rounding as its int8
// panels) and `dsv2c eval --quantize ...` interprets through it.
//
//===----------------------------------------------------------------------===//

#ifndef DIALECT_DSV2_INTERPRETER_QUANTIZEDWEIGHTPROVIDER_H
#define DIALECT_DSV2_INTERPRETER_QUANTIZEDWEIGHTPROVIDER_H

#include "dialect/dsv2/WeightQuantization.h"
#include "dialect/dsv2/interpreter/WeightProvider.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir::dsv2 {

class QuantizedWeightProvider : public WeightProvider {
public:
  QuantizedWeightProvider(std::unique_ptr<WeightProvider> weights,
                          WeightQuantization quantization,
                          std::vector<std::string> keep = {}, int64_t tp = 1)
      : weights(std::move(weights)), quantization(quantization),
        keep(std::move(keep)), tp(tp) {}

  llvm::Error read(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                   float *destination) override;

private:
  std::unique_ptr<WeightProvider> weights;
  WeightQuantization quantization;
  std::vector<std::string> keep;
  /// Tensor-parallel ranks of the engine these weights are for: they size
  /// the int4 groups of the rows tp cuts (int4GroupSizeOf).
  int64_t tp;
};

} // namespace mlir::dsv2

#endif // DIALECT_DSV2_INTERPRETER_QUANTIZEDWEIGHTPROVIDER_H
