//===- DType.h - Element types of safetensors tensors -----------*- C++ -*-===//
//
// The safetensors element types the runtime reads, with their header
// spellings and sizes. Every other safetensors dtype ("F64", "I64", "U8",
// "BOOL", "F8_E4M3", ...) is rejected by name when a header is parsed.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_SAFETENSORS_DTYPE_H
#define RUNTIME_SAFETENSORS_DTYPE_H

#include <cstddef>
#include <optional>

#include "absl/strings/string_view.h"

namespace dsv2::runtime {

/// A supported tensor element type.
enum class DType {
  F32,
  BF16,
  F16,
};

/// The supported dtypes as listed in error messages: "F32, BF16, F16".
inline constexpr absl::string_view kSupportedDTypeNames = "F32, BF16, F16";

/// The safetensors spelling of `dtype` ("F32", "BF16", "F16").
absl::string_view dtypeName(DType dtype);

/// The size of one element of `dtype` in bytes.
size_t dtypeSize(DType dtype);

/// The dtype spelled `name` in a safetensors header, or nullopt when `name`
/// is not a supported dtype (whether or not safetensors defines it).
std::optional<DType> parseDType(absl::string_view name);

}  // namespace dsv2::runtime

#endif  // RUNTIME_SAFETENSORS_DTYPE_H
