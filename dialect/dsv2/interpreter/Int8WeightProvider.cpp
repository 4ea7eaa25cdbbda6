//===- Int8WeightProvider.cpp - Weights as an int8 engine sees them -------===//

#include "dialect/dsv2/interpreter/Int8WeightProvider.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>

namespace mlir::dsv2 {

llvm::Error Int8WeightProvider::read(llvm::StringRef name,
                                     llvm::ArrayRef<int64_t> shape,
                                     float *destination) {
  if (llvm::Error error = weights->read(name, shape, destination))
    return error;
  // Only matrices are quantized; a *_proj vector would be a bias.
  if (!isInt8QuantizedWeight(name, quantization, keep) || shape.size() != 2)
    return llvm::Error::success();
  // A NaN or infinity would make its row's scale meaningless (every q 0):
  // refuse it by name rather than compute with a silently zeroed row.
  const int64_t count = shape[0] * shape[1];
  for (int64_t i = 0; i < count; ++i)
    if (!std::isfinite(destination[i]))
      return llvm::createStringError(
          llvm::formatv("{0}: row {1}, column {2} holds {3}; int8 "
                        "quantization needs finite weights",
                        name, i / shape[1], i % shape[1],
                        std::isnan(destination[i])
                            ? "NaN"
                            : (destination[i] > 0 ? "+inf" : "-inf"))
              .str());
  fakeQuantizeInt8Rows(destination, shape[0], shape[1]);
  return llvm::Error::success();
}

} // namespace mlir::dsv2
