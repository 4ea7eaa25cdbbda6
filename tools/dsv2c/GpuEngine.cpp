//===- GpuEngine.cpp - Compile a step module into GPU kernels -------------===//

#include "tools/dsv2c/GpuEngine.h"

#include "tools/dsv2c/CommandLine.h"

#include "codegen/gpu/Pipeline.h"
#include "runtime/cpu/CpuFeatures.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringExtras.h"

#include <chrono>
#include <map>

namespace dsv2::tools {

namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

} // namespace

std::optional<GpuTarget> parseGpuTarget(const std::string &target) {
  llvm::StringRef chip = target;
  bool emulated = chip.consume_back("-emu");
  for (const std::string &known : mlir::dsv2::gpu::supportedGpuChips())
    if (chip == known)
      return GpuTarget{known, emulated};
  return std::nullopt;
}

std::string gpuTargetList() {
  std::vector<std::string> names;
  for (const std::string &chip : mlir::dsv2::gpu::supportedGpuChips())
    names.push_back(chip);
  for (const std::string &chip : mlir::dsv2::gpu::supportedGpuChips())
    names.push_back(chip + "-emu");
  return llvm::join(names, ", ");
}

llvm::Expected<CompiledCpuKernels>
compileGpuKernels(mlir::ModuleOp module, const GpuEngineOptions &options) {
  return compileGpuKernels(llvm::ArrayRef<mlir::ModuleOp>(module), options);
}

llvm::Expected<CompiledCpuKernels>
compileGpuKernels(llvm::ArrayRef<mlir::ModuleOp> rankModules,
                  const GpuEngineOptions &options) {
  CompiledCpuKernels compiled;
  mlir::dsv2::KernelFormationOptions formation;
  formation.maxContext = options.maxContext;
  formation.gpuTiles = true;
  formation.weightQuantization = options.weightQuantization;
  formation.keepWeights = options.keepWeights;
  formation.int16Activations = false;
  auto formed = formRankKernels(rankModules, formation, compiled);
  if (!formed)
    return formed.takeError();

  auto start = std::chrono::steady_clock::now();
  for (auto kernel : formed->kernels->getOps<mlir::func::FuncOp>())
    compiled.module.kernels.push_back(kernel.getSymName().str());
  mlir::dsv2::gpu::SimtOptions simt;
  simt.bf16Activations = options.bf16Weights;
  auto infos = mlir::dsv2::gpu::lowerTileToNVVM(*formed->kernels, simt);
  if (mlir::failed(infos))
    return makeError("GPU code generation failed (see the diagnostics above)");
  std::map<std::string, mlir::dsv2::gpu::SimtKernelInfo> byName;
  for (const auto &info : *infos)
    byName[info.name] = info;
  for (const std::string &name : compiled.module.kernels) {
    auto found = byName.find(name);
    if (found == byName.end())
      return makeError("GPU code generation lost kernel " + name);
    compiled.module.gpuKernels.push_back(
        {name, static_cast<int32_t>(found->second.threads),
         static_cast<int32_t>(found->second.sharedBytes)});
  }

  const GpuTarget &target = options.target;
  compiled.module.target = target.name();
  if (target.emulated) {
    if (mlir::failed(mlir::dsv2::gpu::lowerNVVMToEmulation(*formed->kernels)))
      return makeError("rewriting the GPU kernels for the SIMT emulator failed");
    mlir::dsv2::cpu::CpuTargetOptions host;
    auto described = mlir::dsv2::cpu::describeCpuTarget(
        host, dsv2::runtime::checkableCpuFeatures());
    if (!described)
      return described.takeError();
    auto image = linkKernelImage(*formed->kernels, host);
    if (!image)
      return image.takeError();
    compiled.image = std::move(*image);
    compiled.module.format = "elf-shared-object";
    compiled.module.cpu = described->cpu;
    compiled.module.cpuFeatures = described->features;
  } else {
    mlir::dsv2::gpu::GpuTargetOptions gpu;
    gpu.chip = target.chip;
    auto ptx = mlir::dsv2::gpu::emitPtx(*formed->kernels, gpu);
    if (!ptx)
      return ptx.takeError();
    compiled.image.assign(ptx->begin(), ptx->end());
    compiled.module.format = "ptx";
  }
  compiled.codegenSeconds = secondsSince(start);
  compiled.plan = compiled.rankPlans.front();
  return compiled;
}

} // namespace dsv2::tools
