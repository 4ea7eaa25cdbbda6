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
  }
  return 4;
}

} // namespace dsv2::runtime
