//===- CpuFeatures.h - Can this CPU run an engine's kernels? ----*- C++ -*-===//
//
// CPU engines are compiled for a CPU (the compiling host by default) and may
// use its vector extensions; running them on a CPU without one would die of
// SIGILL in the middle of a step. The loader checks first.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_CPU_CPUFEATURES_H
#define RUNTIME_CPU_CPUFEATURES_H

#include "absl/status/status.h"

#include <string>
#include <vector>

namespace dsv2::runtime {

/// The ISA extensions (LLVM names) this runtime can check on the host; the
/// compiler records which of them an engine's code may use.
const std::vector<std::string> &checkableCpuFeatures();

/// The features (LLVM names, e.g. "avx2", "avx512f") this runtime knows how
/// to check, among `features`, that the host CPU lacks.
std::vector<std::string> missingCpuFeatures(const std::vector<std::string> &features);

/// FailedPrecondition naming the missing features and the engine's CPU.
absl::Status checkHostRuns(const std::vector<std::string> &features,
                           const std::string &engineCpu,
                           const std::string &enginePath);

} // namespace dsv2::runtime

#endif // RUNTIME_CPU_CPUFEATURES_H
