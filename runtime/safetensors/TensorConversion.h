//===- TensorConversion.h - Checkpoint tensors as float32 -------*- C++ -*-===//
//
// Copies a tensor's elements out of a mapped checkpoint as float32: F32 is
// copied, BF16 and F16 are widened exactly.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_SAFETENSORS_TENSORCONVERSION_H
#define RUNTIME_SAFETENSORS_TENSORCONVERSION_H

#include <vector>

#include "runtime/safetensors/TensorView.h"

namespace dsv2::runtime {

/// Writes the `tensor.numElements()` elements of `tensor`, as float32, to
/// `dst`, which must have room for them.
void copyAsFloat32(const TensorView& tensor, float* dst);

/// The elements of `tensor` as float32, in the tensor's (C) order.
std::vector<float> toFloat32(const TensorView& tensor);

}  // namespace dsv2::runtime

#endif  // RUNTIME_SAFETENSORS_TENSORCONVERSION_H
