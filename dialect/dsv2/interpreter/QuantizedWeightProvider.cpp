//===- QuantizedWeightProvider.cpp - Weights as a quantized engine sees them ===//

#include "dialect/dsv2/interpreter/QuantizedWeightProvider.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>

namespace mlir::dsv2 {

llvm::Error QuantizedWeightProvider::read(llvm::StringRef name,
                                     llvm::ArrayRef<int64_t> shape,
                                     float *destination) {
  if (llvm::Error error = weights->read(name, shape, destination))
    return error;
  // Only matrices are quantized; a *_proj vector would be a bias.
  const bool int4 = isInt4QuantizedWeight(name, quantization, keep);
  if ((!int4 && !isInt8QuantizedWeight(name, quantization, keep)) ||
      shape.size() != 2)
    return llvm::Error::success();
  const int64_t group = int4 ? int4GroupSizeOf(name, shape[1], tp) : 0;
  if (int4 && group == 0 && int4GroupSize(shape[1]) > 0)
    return llvm::createStringError(
        llvm::formatv("{0}: --tp {1} cuts rows of {2} inputs into slices of "
                      "{3}, which have no int4 layout (two inputs share a "
                      "byte: a slice's length must be even)",
                      name, tp, shape[1], shape[1] / tp)
            .str());
  if (int4 && group == 0)
    return llvm::createStringError(
        llvm::formatv("{0}: rows of {1} inputs have no int4 layout (two "
                      "inputs share a byte: the row length must be even)",
                      name, shape[1])
            .str());
  // A NaN or infinity would make its row's scale meaningless (every q 0):
  // refuse it by name rather than compute with a silently zeroed row.
  const int64_t count = shape[0] * shape[1];
  for (int64_t i = 0; i < count; ++i)
    if (!std::isfinite(destination[i]))
      return llvm::createStringError(
          llvm::formatv("{0}: row {1}, column {2} holds {3}; {4} "
                        "quantization needs finite weights",
                        name, i / shape[1], i % shape[1],
                        std::isnan(destination[i])
                            ? "NaN"
                            : (destination[i] > 0 ? "+inf" : "-inf"),
                        int4 ? "int4" : "int8")
              .str());
  if (int4)
    fakeQuantizeInt4Rows(destination, shape[0], shape[1], group);
  else
    fakeQuantizeInt8Rows(destination, shape[0], shape[1]);
  return llvm::Error::success();
}

} // namespace mlir::dsv2
