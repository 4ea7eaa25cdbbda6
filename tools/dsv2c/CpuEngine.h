//===- CpuEngine.h - Compile a step module into a CPU executor --*- C++ -*-===//
//
// The in-memory CPU engine (until the engine file format lands): kernel
// formation, CPU code generation into a shared library in a temporary
// directory, packed weights, and the runtime's CpuExecutor.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_DSV2C_CPUENGINE_H
#define TOOLS_DSV2C_CPUENGINE_H

#include "tools/dsv2c/ModelSource.h"

#include "runtime/cpu/CpuExecutor.h"

#include "mlir/IR/BuiltinOps.h"

namespace dsv2::tools {

struct CpuEngineOptions {
  int64_t maxContext = 4096;
  int threads = 0;
  /// Directory for the kernel library; empty = a fresh temporary one.
  std::string workDirectory;
};

/// Builds a CPU executor for the optimized `module` with the weights of
/// `source`. Errors name the stage that failed.
llvm::Expected<std::unique_ptr<dsv2::runtime::CpuExecutor>>
buildCpuEngine(mlir::ModuleOp module, const ModelSource &source,
               const CpuEngineOptions &options);

} // namespace dsv2::tools

#endif // TOOLS_DSV2C_CPUENGINE_H
