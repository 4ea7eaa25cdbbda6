//===- DType.cpp - Element types of safetensors tensors -------------------===//
//
// Names and sizes of the supported dtypes.
//
//===----------------------------------------------------------------------===//

#include "runtime/safetensors/DType.h"

namespace dsv2::runtime {

absl::string_view dtypeName(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return "F32";
    case DType::BF16:
      return "BF16";
    case DType::F16:
      return "F16";
  }
  return "?";
}

size_t dtypeSize(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return 4;
    case DType::BF16:
    case DType::F16:
      return 2;
  }
  return 0;
}

std::optional<DType> parseDType(absl::string_view name) {
  if (name == "F32") return DType::F32;
  if (name == "BF16") return DType::BF16;
  if (name == "F16") return DType::F16;
  return std::nullopt;
}

}  // namespace dsv2::runtime
