//===- TensorView.h - A tensor inside a mapped checkpoint -------*- C++ -*-===//
//
// A non-owning view of one tensor's bytes inside a memory-mapped safetensors
// file. Views stay valid as long as the SafetensorsFile (or checkpoint) that
// produced them.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_SAFETENSORS_TENSORVIEW_H
#define RUNTIME_SAFETENSORS_TENSORVIEW_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "runtime/safetensors/DType.h"

namespace dsv2::runtime {

/// One validated tensor of a safetensors file: `numBytes` equals the element
/// count of `shape` times the dtype size, and [data, data + numBytes) lies in
/// the mapping. `data` is not necessarily aligned for the element type.
struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;
  size_t numBytes = 0;

  /// The number of elements (the product of `shape`; 1 for a scalar).
  size_t numElements() const { return numBytes / dtypeSize(dtype); }
};

/// A shape written as in error messages: "[2, 3]", "[]" for a scalar.
std::string formatShape(absl::Span<const int64_t> shape);

}  // namespace dsv2::runtime

#endif  // RUNTIME_SAFETENSORS_TENSORVIEW_H
