//===- PtxSignatures.h - Kernel parameter lists read from PTX ---*- C++ -*-===//
//
// cuLaunchKernel copies each parameter's bytes by the kernel's own
// signature, so a plan that passes a 4-byte scalar where the kernel expects
// a pointer (or one argument too few) would launch with garbage. Reading the
// .entry signatures from the PTX text lets the executor refuse such an
// engine before anything runs, with or without a driver.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_CUDA_PTXSIGNATURES_H
#define RUNTIME_CUDA_PTXSIGNATURES_H

#include "runtime/engine/LaunchPlan.h"

#include "absl/status/status.h"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace dsv2::runtime::cuda {

/// Each .entry's parameter types in order, e.g. {".u64", ".u32", ".f32"}.
std::map<std::string, std::vector<std::string>> ptxEntryParams(std::string_view ptx);

/// Every launch of `plan` names an entry of `entries` whose parameters match
/// its arguments: buffers 64-bit, i32 32-bit integers, f32 .f32 (or .b32).
absl::Status checkLaunchSignatures(
    const LaunchPlan &plan,
    const std::map<std::string, std::vector<std::string>> &entries);

} // namespace dsv2::runtime::cuda

#endif // RUNTIME_CUDA_PTXSIGNATURES_H
