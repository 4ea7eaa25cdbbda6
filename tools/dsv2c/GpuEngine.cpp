//===- GpuEngine.cpp - Compile a step module into GPU kernels -------------===//

#include "tools/dsv2c/GpuEngine.h"

#include "tools/dsv2c/CommandLine.h"
#include "tools/dsv2c/PtxAssembler.h"

#include "codegen/gpu/Pipeline.h"
#include "runtime/cpu/CpuFeatures.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"

#include <chrono>
#include <map>

namespace dsv2::tools {

namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

/// Assembles the PTX into the engine's cubin as options.cubin says, and
/// notes the outcome in compiled.cubinNote.
llvm::Error packCubin(llvm::StringRef ptx, const std::string &chip,
                      const GpuEngineOptions &options,
                      CompiledCpuKernels &compiled) {
  using Cubin = GpuEngineOptions::Cubin;
  if (options.cubin == Cubin::Off) {
    compiled.cubinNote = "none (--cubin off; the driver JIT-compiles the PTX)";
    return llvm::Error::success();
  }
  auto ptxas = findPtxas();
  if (!ptxas)
    return ptxas.takeError();
  if (!*ptxas) {
    if (options.cubin == Cubin::Require)
      return makeError("--cubin require: no ptxas (set DSV2_PTXAS, or put "
                       "ptxas on PATH or in /usr/local/cuda/bin)");
    compiled.cubinNote =
        "none (no ptxas found; the driver JIT-compiles the PTX at load)";
    return llvm::Error::success();
  }
  auto start = std::chrono::steady_clock::now();
  // The cache's key: the PTX, the chip and this ptxas (its path, size and
  // time: another toolkit's ptxas makes other code).
  std::optional<std::string> key;
  if (options.kernelCache) {
    llvm::sys::fs::file_status status;
    if (!llvm::sys::fs::status(**ptxas, status))
      key = KernelCache::key(
          "cubin", {ptx, chip, **ptxas, std::to_string(status.getSize()),
                    std::to_string(status.getLastModificationTime()
                                       .time_since_epoch()
                                       .count())});
  }
  if (key)
    if (auto cached = options.kernelCache->load(*key)) {
      compiled.module.cubin = std::move(*cached);
      compiled.cubinCached = true;
      compiled.cubinNote =
          llvm::formatv("{0} bytes, from the kernel cache (assembled by {1})",
                        compiled.module.cubin.size(), **ptxas)
              .str();
      return llvm::Error::success();
    }
  auto cubin = assemblePtx(**ptxas, ptx, chip);
  if (cubin && key)
    options.kernelCache->store(*key, *cubin);
  if (!cubin) {
    if (options.cubin == Cubin::Require)
      return cubin.takeError();
    std::string why = llvm::toString(cubin.takeError());
    llvm::errs() << "dsv2c compile: warning: no cubin: " << why << "\n";
    compiled.cubinNote = "none (ptxas failed; the driver JIT-compiles the PTX)";
    return llvm::Error::success();
  }
  compiled.module.cubin = std::move(*cubin);
  compiled.cubinNote =
      llvm::formatv("{0} bytes, {1} (its {2:f1} s are in the gpu codegen)",
                    compiled.module.cubin.size(), **ptxas, secondsSince(start))
          .str();
  return llvm::Error::success();
}

/// The PTX of the lowered `kernels` for `gpu`, from `cache` when it has
/// it (`cached` is then set).
llvm::Expected<std::string>
emitCachedPtx(mlir::ModuleOp kernels,
              const mlir::dsv2::gpu::GpuTargetOptions &gpu,
              const KernelCache *cache, bool &cached) {
  cached = false;
  if (!cache)
    return mlir::dsv2::gpu::emitPtx(kernels, gpu);
  const std::string text = keyText(kernels);
  const std::string version = std::to_string(gpu.ptxVersion);
  const std::string optLevel = std::to_string(gpu.optLevel);
  const std::string key =
      KernelCache::key("ptx", {text, gpu.chip, version, optLevel});
  if (auto bytes = cache->load(key)) {
    cached = true;
    return std::string(bytes->begin(), bytes->end());
  }
  auto ptx = mlir::dsv2::gpu::emitPtx(kernels, gpu);
  if (ptx)
    cache->store(key, llvm::ArrayRef<uint8_t>(
                          reinterpret_cast<const uint8_t *>(ptx->data()),
                          ptx->size()));
  return ptx;
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
    auto image = linkKernelImage(*formed->kernels, host, options.kernelCache,
                                 &compiled.imageCached);
    if (!image)
      return image.takeError();
    compiled.image = std::move(*image);
    compiled.module.format = "elf-shared-object";
    compiled.module.cpu = described->cpu;
    compiled.module.cpuFeatures = described->features;
  } else {
    mlir::dsv2::gpu::GpuTargetOptions gpu;
    gpu.chip = target.chip;
    auto ptx = emitCachedPtx(*formed->kernels, gpu, options.kernelCache,
                             compiled.imageCached);
    if (!ptx)
      return ptx.takeError();
    compiled.image.assign(ptx->begin(), ptx->end());
    compiled.module.format = "ptx";
    if (llvm::Error error = packCubin(*ptx, target.chip, options, compiled))
      return std::move(error);
  }
  compiled.codegenSeconds = secondsSince(start);
  compiled.plan = compiled.rankPlans.front();
  return compiled;
}

} // namespace dsv2::tools
