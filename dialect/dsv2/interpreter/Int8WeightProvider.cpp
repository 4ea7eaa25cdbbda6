//===- Int8WeightProvider.cpp - Weights as an int8 engine sees them -------===//

#include "dialect/dsv2/interpreter/Int8WeightProvider.h"

namespace mlir::dsv2 {

llvm::Error Int8WeightProvider::read(llvm::StringRef name,
                                     llvm::ArrayRef<int64_t> shape,
                                     float *destination) {
  if (llvm::Error error = weights->read(name, shape, destination))
    return error;
  // Only matrices are quantized; a *_proj vector would be a bias.
  if (isInt8QuantizedWeight(name, quantization) && shape.size() == 2)
    fakeQuantizeInt8Rows(destination, shape[0], shape[1]);
  return llvm::Error::success();
}

} // namespace mlir::dsv2
