//===- FixedWeights.h - A WeightProvider of fixed tensors -------*- C++ -*-===//
//
// The quantization tests read weights through QuantizedWeightProvider from
// tensors they state themselves.
//
//===----------------------------------------------------------------------===//

#ifndef TEST_UNIT_QUANTIZATION_FIXEDWEIGHTS_H
#define TEST_UNIT_QUANTIZATION_FIXEDWEIGHTS_H

#include "dialect/dsv2/interpreter/WeightProvider.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace mlir::dsv2 {

/// Serves fixed tensors by name.
class FixedWeights : public WeightProvider {
public:
  std::map<std::string, std::vector<float>> tensors;
  llvm::Error read(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                   float *destination) override {
    auto it = tensors.find(name.str());
    if (it == tensors.end())
      return llvm::createStringError("no tensor " + name.str());
    std::copy(it->second.begin(), it->second.end(), destination);
    return llvm::Error::success();
  }
};

} // namespace mlir::dsv2

#endif // TEST_UNIT_QUANTIZATION_FIXEDWEIGHTS_H
