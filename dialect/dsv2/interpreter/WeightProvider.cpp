//===- WeightProvider.cpp - Reading tensors, slices and stacked experts ---===//

#include "dialect/dsv2/interpreter/WeightProvider.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <vector>

namespace mlir::dsv2 {

namespace {

int64_t product(llvm::ArrayRef<int64_t> shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1},
                         std::multiplies<int64_t>());
}

/// One checkpoint tensor `name`, or its slice when `reference` has one.
llvm::Error readOne(WeightProvider &weights, const WeightReference &reference,
                    const std::string &name, llvm::ArrayRef<int64_t> shape,
                    float *destination) {
  if (!reference.isSliced())
    return weights.read(name, shape, destination);
  llvm::SmallVector<int64_t> full = reference.fullShape(shape);
  std::vector<float> whole(static_cast<size_t>(product(full)));
  if (llvm::Error error = weights.read(name, full, whole.data()))
    return error;
  if (reference.sliceDim == 0) {
    // Rows (or a vector's elements): one contiguous block.
    int64_t count = product(shape);
    std::copy_n(whole.data() + reference.part * count, count, destination);
    return llvm::Error::success();
  }
  int64_t rows = shape[0], columns = shape[1];
  for (int64_t r = 0; r < rows; ++r)
    std::copy_n(whole.data() + r * full[1] + reference.part * columns, columns,
                destination + r * columns);
  return llvm::Error::success();
}

} // namespace

llvm::Error readWeightReference(WeightProvider &weights,
                                const WeightReference &reference,
                                llvm::ArrayRef<int64_t> shape,
                                float *destination) {
  if (!reference.isStacked())
    return readOne(weights, reference, reference.name, shape, destination);
  // Experts stacked along dimension 0: each into its slice of the stack.
  int64_t perExpert = product(shape.drop_front());
  for (int64_t e = 0; e < shape[0]; ++e)
    if (llvm::Error error =
            readOne(weights, reference, reference.expertName(e),
                    shape.drop_front(), destination + e * perExpert))
      return error;
  return llvm::Error::success();
}

} // namespace mlir::dsv2
