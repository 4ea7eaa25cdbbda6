//===- CpuEngine.cpp - Compile a step module into a CPU executor ----------===//

#include "tools/dsv2c/CpuEngine.h"

#include "tools/dsv2c/CommandLine.h"
#include "tools/dsv2c/WeightPacking.h"

#include "codegen/cpu/GridEntryPoints.h"
#include "codegen/cpu/ObjectEmitter.h"
#include "codegen/cpu/Pipeline.h"
#include "passes/kernel_formation/KernelFormation.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

namespace dsv2::tools {

llvm::Expected<std::unique_ptr<dsv2::runtime::CpuExecutor>>
buildCpuEngine(mlir::ModuleOp module, const ModelSource &source,
               const CpuEngineOptions &options) {
  if (!source.weights)
    return makeError("the CPU engine needs weights");
  mlir::dsv2::KernelFormationOptions formation;
  formation.maxContext = options.maxContext;
  std::string error;
  auto formed = mlir::dsv2::formKernels(module, formation, error);
  if (mlir::failed(formed))
    return makeError("kernel formation: " + error);
  std::vector<std::string> kernelNames;
  for (auto kernel : formed->kernels->getOps<mlir::func::FuncOp>())
    kernelNames.push_back(kernel.getSymName().str());
  if (mlir::failed(mlir::dsv2::cpu::lowerTileToLLVM(*formed->kernels)))
    return makeError("CPU code generation failed (see the diagnostics above)");
  if (mlir::failed(
          mlir::dsv2::cpu::addGridEntryPoints(*formed->kernels, kernelNames)))
    return makeError("CPU code generation: cannot build the grid entry points");

  llvm::SmallString<128> directory(options.workDirectory);
  if (directory.empty()) {
    if (std::error_code ec =
            llvm::sys::fs::createUniqueDirectory("dsv2c-engine", directory))
      return makeError("cannot create a temporary directory: " + ec.message());
  }
  llvm::SmallString<128> library(directory);
  llvm::sys::path::append(library, "kernels.so");
  if (llvm::Error error =
          mlir::dsv2::cpu::emitSharedLibrary(*formed->kernels, library))
    return std::move(error);
  auto loaded = dsv2::runtime::KernelLibrary::open(library.str().str());
  // The mapping outlives the file: nothing is left behind.
  if (options.workDirectory.empty()) {
    llvm::sys::fs::remove(library);
    llvm::sys::fs::remove(directory);
  }
  if (!loaded.ok())
    return makeError(std::string(loaded.status().message()));

  auto fill = [&](const dsv2::runtime::BufferSpec &spec, void *destination) {
    return packWeight(*source.weights, spec, destination);
  };
  auto executor = dsv2::runtime::CpuExecutor::create(
      std::move(formed->plan), std::move(*loaded), fill, options.threads);
  if (!executor.ok())
    return makeError(std::string(executor.status().message()));
  return std::move(*executor);
}

} // namespace dsv2::tools
