//===- WeightProvider.h - Where the interpreter reads weights ---*- C++ -*-===//
//
// The reference interpreter reads every `dsv2.weight` through this interface,
// so it runs the same module on a checkpoint or on generated weights.
//
//===----------------------------------------------------------------------===//

#ifndef DIALECT_DSV2_INTERPRETER_WEIGHTPROVIDER_H
#define DIALECT_DSV2_INTERPRETER_WEIGHTPROVIDER_H

#include "dialect/dsv2/WeightReference.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>

namespace mlir::dsv2 {

/// Supplies checkpoint tensors as fp32, whatever their storage dtype.
class WeightProvider {
public:
  virtual ~WeightProvider() = default;

  /// Writes the tensor `name` (a concrete checkpoint name, never containing
  /// "{e}") into `destination` as fp32. `shape` is what the module expects;
  /// a tensor of another shape, or a missing one, is an error naming it.
  virtual llvm::Error read(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                           float *destination) = 0;
};

/// Reads what `reference` names (dialect/dsv2/WeightReference.h) into
/// `destination` as fp32: a tensor, a slice of one, or stacked experts (of
/// slices); `shape` is the result's shape (the slice's, experts first).
/// Slices read the whole checkpoint tensor once and keep their part.
llvm::Error readWeightReference(WeightProvider &weights,
                                const WeightReference &reference,
                                llvm::ArrayRef<int64_t> shape,
                                float *destination);

} // namespace mlir::dsv2

#endif // DIALECT_DSV2_INTERPRETER_WEIGHTPROVIDER_H
