//===- TensorConversion.cpp - Checkpoint tensors as float32 ---------------===//
//
// Element-wise widening. Tensor bytes are little-endian and may be unaligned
// inside the mapping, so elements are read with memcpy.
//
//===----------------------------------------------------------------------===//

#include "runtime/safetensors/TensorConversion.h"

#include <cstdint>
#include <cstring>

#include "runtime/io/Bf16.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors data is little-endian; so must the host be");

namespace dsv2::runtime {
namespace {

template <typename Widen>
void widen16(const uint8_t* src, size_t count, float* dst, Widen widen) {
  for (size_t i = 0; i < count; ++i) {
    uint16_t bits;
    std::memcpy(&bits, src + 2 * i, sizeof(bits));
    dst[i] = widen(bits);
  }
}

}  // namespace

void copyAsFloat32(const TensorView& tensor, float* dst) {
  const size_t count = tensor.numElements();
  if (count == 0) return;
  switch (tensor.dtype) {
    case DType::F32:
      std::memcpy(dst, tensor.data, count * sizeof(float));
      return;
    case DType::BF16:
      widen16(tensor.data, count, dst, bf16ToFloat32);
      return;
    case DType::F16:
      widen16(tensor.data, count, dst, f16ToFloat32);
      return;
  }
}

std::vector<float> toFloat32(const TensorView& tensor) {
  std::vector<float> values(tensor.numElements());
  copyAsFloat32(tensor, values.data());
  return values;
}

}  // namespace dsv2::runtime
