//===- CpuEngine.cpp - Compile a step module into CPU kernels -------------===//

#include "tools/dsv2c/CpuEngine.h"

#include "tools/dsv2c/CommandLine.h"
#include "tools/dsv2c/WeightPacking.h"

#include "codegen/cpu/ConvertTileToLLVM.h"
#include "codegen/cpu/GridEntryPoints.h"
#include "codegen/cpu/ObjectEmitter.h"
#include "codegen/cpu/Pipeline.h"
#include "passes/kernel_formation/KernelFormation.h"
#include "runtime/cpu/CpuFeatures.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <chrono>
#include <optional>

namespace dsv2::tools {

namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

/// The kernel cache's key of the library `kind` made of `kernels` for
/// `target`: the module's text, `options` (what else shapes the code) and
/// what the target machine makes of `target` (the host's CPU and features
/// resolved).
llvm::Expected<std::string>
kernelLibraryKey(llvm::StringRef kind, mlir::ModuleOp kernels,
                 const mlir::dsv2::cpu::CpuTargetOptions &target,
                 llvm::ArrayRef<std::string> options = {}) {
  auto machine = mlir::dsv2::cpu::createCpuTargetMachine(target);
  if (!machine)
    return machine.takeError();
  const std::string text = keyText(kernels);
  const std::string optLevel = std::to_string(target.optLevel);
  const std::string triple = (*machine)->getTargetTriple().str();
  std::vector<llvm::StringRef> inputs = {
      text, triple, (*machine)->getTargetCPU(),
      (*machine)->getTargetFeatureString(), optLevel};
  inputs.insert(inputs.end(), options.begin(), options.end());
  return KernelCache::key(kind, inputs);
}

llvm::Expected<std::vector<uint8_t>>
compileKernelImage(mlir::ModuleOp kernels,
                   const mlir::dsv2::cpu::CpuTargetOptions &target) {
  llvm::SmallString<128> directory;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("dsv2c-kernels", directory))
    return makeError("cannot create a temporary directory: " + ec.message());
  llvm::SmallString<128> library(directory);
  llvm::sys::path::append(library, "kernels.so");
  llvm::Error emitted =
      mlir::dsv2::cpu::emitSharedLibrary(kernels, library, target);
  std::vector<uint8_t> image;
  if (!emitted) {
    auto buffer = llvm::MemoryBuffer::getFile(library, /*IsText=*/false);
    if (buffer)
      image.assign((*buffer)->getBufferStart(), (*buffer)->getBufferEnd());
    else
      emitted = makeError("cannot read back " + library + ": " +
                          buffer.getError().message());
  }
  llvm::sys::fs::remove(library);
  llvm::sys::fs::remove(directory);
  if (emitted)
    return std::move(emitted);
  return image;
}

} // namespace

llvm::Expected<std::vector<uint8_t>>
linkKernelImage(mlir::ModuleOp kernels,
                const mlir::dsv2::cpu::CpuTargetOptions &target,
                const KernelCache *cache, bool *cached) {
  if (cached)
    *cached = false;
  if (!cache)
    return compileKernelImage(kernels, target);
  auto key = kernelLibraryKey("host-library", kernels, target);
  if (!key)
    return key.takeError();
  if (auto image = cache->load(*key)) {
    if (cached)
      *cached = true;
    return std::move(*image);
  }
  auto image = compileKernelImage(kernels, target);
  if (image)
    cache->store(*key, *image);
  return image;
}

llvm::Expected<mlir::dsv2::FormedKernels>
formEngineKernels(mlir::ModuleOp module,
                  const mlir::dsv2::KernelFormationOptions &formation,
                  double &seconds) {
  auto start = std::chrono::steady_clock::now();
  std::string error;
  auto formed = mlir::dsv2::formKernels(module, formation, error);
  if (mlir::failed(formed))
    return makeError("kernel formation: " + error);
  seconds = secondsSince(start);
  return std::move(*formed);
}

llvm::Expected<CompiledCpuKernels>
compileCpuKernels(mlir::ModuleOp module, const CpuEngineOptions &options) {
  return compileCpuKernels(llvm::ArrayRef<mlir::ModuleOp>(module), options);
}

llvm::Expected<mlir::dsv2::FormedKernels>
formRankKernels(llvm::ArrayRef<mlir::ModuleOp> rankModules,
                const mlir::dsv2::KernelFormationOptions &formation,
                CompiledCpuKernels &compiled) {
  std::optional<mlir::dsv2::FormedKernels> formed;
  for (mlir::ModuleOp module : rankModules) {
    double seconds = 0;
    auto rank = formEngineKernels(module, formation, seconds);
    if (!rank)
      return rank.takeError();
    compiled.formationSeconds += seconds;
    compiled.rankPlans.push_back(rank->plan);
    if (!formed) {
      formed = std::move(*rank);
      continue;
    }
    // Kernels of this rank that earlier ranks did not need.
    mlir::SymbolTable kernels(*formed->kernels);
    for (auto kernel : llvm::make_early_inc_range(
             rank->kernels->getOps<mlir::func::FuncOp>()))
      if (!kernels.lookup(kernel.getSymName()))
        kernels.insert(kernel->clone());
  }
  if (!formed)
    return makeError("kernel formation: no rank modules");
  return std::move(*formed);
}

llvm::Expected<CompiledCpuKernels>
compileCpuKernels(llvm::ArrayRef<mlir::ModuleOp> rankModules,
                  const CpuEngineOptions &options) {
  CompiledCpuKernels compiled;
  mlir::dsv2::cpu::CpuTargetOptions target;
  target.cpu = options.cpu;
  target.threads = options.codegenThreads;
  auto described = mlir::dsv2::cpu::describeCpuTarget(
      target, dsv2::runtime::checkableCpuFeatures());
  if (!described)
    return described.takeError();
  mlir::dsv2::KernelFormationOptions formation;
  formation.maxContext = options.maxContext;
  formation.weightQuantization = options.weightQuantization;
  formation.keepWeights = options.keepWeights;
  formation.int16Activations = options.int16Activations.value_or(
      mlir::dsv2::cpu::pairDotIsFused(described->features));
  // One set of target knobs for the tiles and for their lowering.
  const mlir::dsv2::cpu::CpuLoweringOptions lowering =
      mlir::dsv2::cpu::cpuLoweringFor(described->features);
  formation.cpuVectorBits = lowering.vectorBits;
  compiled.int16Activations =
      formation.int16Activations &&
      formation.weightQuantization != mlir::dsv2::WeightQuantization::None;
  auto formed = formRankKernels(rankModules, formation, compiled);
  if (!formed)
    return formed.takeError();

  auto start = std::chrono::steady_clock::now();
  for (auto kernel : formed->kernels->getOps<mlir::func::FuncOp>())
    compiled.module.kernels.push_back(kernel.getSymName().str());
  // Keyed by the tile kernels, so a hit skips their lowering too.
  std::optional<std::string> key;
  if (options.kernelCache) {
    auto tileKey = kernelLibraryKey("cpu-library", *formed->kernels, target,
                                    {"pair-dot=" + lowering.pairDot,
                                     "vector-bits=" +
                                         std::to_string(lowering.vectorBits)});
    if (!tileKey)
      return tileKey.takeError();
    key = std::move(*tileKey);
    if (auto image = options.kernelCache->load(*key)) {
      compiled.image = std::move(*image);
      compiled.imageCached = true;
    }
  }
  if (!compiled.imageCached) {
    if (mlir::failed(
            mlir::dsv2::cpu::lowerTileToLLVM(*formed->kernels, lowering)))
      return makeError(
          "CPU code generation failed (see the diagnostics above)");
    if (mlir::failed(mlir::dsv2::cpu::addGridEntryPoints(
            *formed->kernels, compiled.module.kernels)))
      return makeError(
          "CPU code generation: cannot build the grid entry points");
    auto image = compileKernelImage(*formed->kernels, target);
    if (!image)
      return image.takeError();
    compiled.image = std::move(*image);
    if (key)
      options.kernelCache->store(*key, compiled.image);
  }
  compiled.codegenSeconds = secondsSince(start);

  compiled.plan = compiled.rankPlans.front();
  compiled.module.target = "cpu";
  compiled.module.format = "elf-shared-object";
  compiled.module.cpu = described->cpu;
  compiled.module.cpuFeatures = described->features;
  return compiled;
}

llvm::Expected<std::unique_ptr<dsv2::runtime::CpuExecutor>>
buildCpuEngine(mlir::ModuleOp module, const ModelSource &source,
               const CpuEngineOptions &options) {
  if (!source.weights)
    return makeError("the CPU engine needs weights");
  auto compiled = compileCpuKernels(module, options);
  if (!compiled)
    return compiled.takeError();
  auto loaded = dsv2::runtime::KernelLibrary::openImage(compiled->image,
                                                        "the compiled kernels");
  if (!loaded.ok())
    return makeError(std::string(loaded.status().message()));
  PackingCache cache;
  auto fill = [&](const dsv2::runtime::BufferSpec &spec, void *destination) {
    return packWeight(*source.weights, spec, destination, &cache);
  };
  dsv2::runtime::CpuExecutorOptions executorOptions;
  executorOptions.threads = options.threads;
  auto executor = dsv2::runtime::CpuExecutor::create(
      std::move(compiled->plan), std::move(*loaded), fill, executorOptions);
  if (!executor.ok())
    return makeError(std::string(executor.status().message()));
  return std::move(*executor);
}

} // namespace dsv2::tools
