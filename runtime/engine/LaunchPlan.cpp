//===- LaunchPlan.cpp - What a compiled step runs -------------------------===//

#include "runtime/engine/LaunchPlan.h"

namespace dsv2::runtime {

int64_t elementBytes(ElementType type) {
  switch (type) {
  case ElementType::F32:
  case ElementType::I32:
    return 4;
  case ElementType::BF16:
  case ElementType::F16:
    return 2;
  case ElementType::I8:
    return 1;
  }
  return 4;
}

const char *elementTypeName(ElementType type) {
  switch (type) {
  case ElementType::F32:
    return "f32";
  case ElementType::BF16:
    return "bf16";
  case ElementType::F16:
    return "f16";
  case ElementType::I32:
    return "i32";
  case ElementType::I8:
    return "i8";
  }
  return "?";
}

const char *collectiveName(CollectiveKind kind) {
  switch (kind) {
  case CollectiveKind::None:
    return "kernel";
  case CollectiveKind::AllReduceSum:
    return "all_reduce";
  case CollectiveKind::AllGatherColumns:
    return "all_gather";
  }
  return "?";
}

const char *collectiveGroupName(CollectiveGroup group) {
  return group == CollectiveGroup::Tensor ? "tensor" : "world";
}

} // namespace dsv2::runtime
