//===- TensorView.cpp - A tensor inside a mapped checkpoint ---------------===//
//
// Shape formatting for messages.
//
//===----------------------------------------------------------------------===//

#include "runtime/safetensors/TensorView.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dsv2::runtime {

std::string formatShape(absl::Span<const int64_t> shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

}  // namespace dsv2::runtime
