//===- EmitCommand.cpp - dsv2c emit ---------------------------------------===//
//
// Prints the model's IR at a stage. Needs no weights: `--preset deepseek-v2
// --stage graph` prints the full 60-layer module. The kernel stages form
// the kernels of the optimized module: tile (the kernel instances), llvm
// (their host LLVM IR), nvvm (the GPU lowering, one thread per element
// slot) and ptx (what `dsv2c compile --target sm_*` packs).
//
//===----------------------------------------------------------------------===//

#include "tools/dsv2c/Commands.h"
#include "tools/dsv2c/GraphPipeline.h"
#include "tools/dsv2c/GpuEngine.h"
#include "tools/dsv2c/ModelSource.h"

#include "codegen/cpu/ConvertTileToLLVM.h"
#include "codegen/cpu/GridEntryPoints.h"
#include "codegen/cpu/ObjectEmitter.h"
#include "codegen/cpu/Pipeline.h"
#include "codegen/gpu/Pipeline.h"
#include "passes/kernel_formation/KernelFormation.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/ToolOutputFile.h"

namespace dsv2::tools {

llvm::Error runEmit(llvm::ArrayRef<const char *> args) {
  std::vector<OptionSpec> options = modelSourceOptions(/*withWeights=*/false);
  options.push_back({"stage", "graph|optimized|tile|llvm|nvvm|ptx",
                     "graph: as imported; optimized: after --pipeline "
                     "(default graph); tile: the formed kernels; llvm: their "
                     "host LLVM IR; nvvm: their GPU lowering; ptx: their PTX"});
  options.push_back({"target", "sm_80|sm_90a",
                     "with --stage ptx: the GPU (default sm_90a)"});
  options.push_back({"max-context", "N",
                     "with the kernel stages: positions of the KV cache "
                     "(default: the model's, at most 4096)"});
  addQuantizeOptions(options,
                     "with the kernel stages: the kernels of a quantized "
                     "engine (dsv2c compile --quantize)");
  for (OptionSpec &option : pipelineOptions("dsv2-optimize"))
    options.push_back(option);
  options.push_back(kvCacheDtypeOption());
  options.push_back({"o", "FILE", "write to FILE instead of stdout"});
  CommandLine cl("dsv2c emit", "Print the model's IR at a compilation stage.",
                 options);
  if (llvm::Error error = cl.parse(args))
    return error;
  if (cl.wantsHelp()) {
    cl.printHelp(llvm::outs());
    return llvm::Error::success();
  }
  std::string stage = cl.get("stage").value_or("graph");
  bool kernelStage =
      stage == "tile" || stage == "llvm" || stage == "nvvm" || stage == "ptx";
  if (stage != "graph" && stage != "optimized" && !kernelStage)
    return cl.valueError("stage", "'" + stage +
                                      "' is not a stage (available: graph, "
                                      "optimized, tile, llvm, nvvm, ptx)");
  std::string targetName = cl.get("target").value_or("sm_90a");
  std::optional<GpuTarget> target = parseGpuTarget(targetName);
  if (cl.has("target") && stage != "ptx")
    return cl.valueError("target", "applies to --stage ptx");
  if (!target || target->emulated)
    return cl.valueError("target", "'" + targetName +
                                       "' is not a GPU (available: sm_80, "
                                       "sm_90a)");
  auto maxContext = cl.getInteger("max-context");
  if (!maxContext)
    return maxContext.takeError();
  if (cl.has("max-context") && !kernelStage)
    return cl.valueError("max-context", "applies to the kernel stages");
  auto quantization = parseQuantizeOptions(cl);
  if (!quantization)
    return quantization.takeError();
  if (cl.has("quantize") && !kernelStage)
    return cl.valueError("quantize", "applies to the kernel stages (tile, "
                                     "llvm, nvvm, ptx)");
  if (stage == "graph" && cl.has("pipeline"))
    return cl.valueError("pipeline", "applies to --stage optimized; --stage "
                                     "graph prints the imported module");
  auto source = loadModelSource(cl, /*needWeights=*/false);
  if (!source)
    return source.takeError();
  if (llvm::Error error =
          checkQuantizeKeep(cl, *quantization, source->config))
    return error;

  mlir::MLIRContext context;
  // The GPU stages show what `dsv2c compile --target sm_*` builds.
  const bool gpuStage = stage == "nvvm" || stage == "ptx";
  auto module = buildPipelinedModule(context, *source, cl,
                                     stage == "graph" ? "none" : "dsv2-optimize",
                                     gpuStage);
  if (!module)
    return module.takeError();

  std::string error;
  auto output = mlir::openOutputFile(cl.get("o").value_or("-"), &error);
  if (!output)
    return makeError("dsv2c emit: " + error);
  if (!kernelStage) {
    (*module)->print(output->os());
    output->os() << "\n";
    output->keep();
    return llvm::Error::success();
  }

  mlir::dsv2::KernelFormationOptions formation;
  formation.maxContext = maxContext->value_or(
      std::min<int64_t>(source->config.maxPositionEmbeddings, 4096));
  // The GPU stages form kernels with the GPU's tile sizes, as `dsv2c
  // compile --target sm_*` does; tile and llvm show the CPU's.
  formation.gpuTiles = stage == "nvvm" || stage == "ptx";
  formation.weightQuantization = quantization->scheme;
  formation.keepWeights = quantization->keep;
  // auto: as `dsv2c compile` decides for the host CPU (the lowering's
  // features, and VNNI for pairDotIsFused).
  std::vector<std::string> candidates =
      mlir::dsv2::cpu::cpuLoweringFeatures();
  candidates.insert(candidates.end(), {"avx512vnni", "avxvnni"});
  auto host = mlir::dsv2::cpu::describeCpuTarget({}, candidates);
  if (!host)
    return host.takeError();
  // The target knobs of both the CPU tiles and their lowering.
  const mlir::dsv2::cpu::CpuLoweringOptions hostLowering =
      mlir::dsv2::cpu::cpuLoweringFor(host->features);
  if (formation.gpuTiles) {
    // GPU kernels widen int8 weights (to bf16 on tensor cores).
    if (quantization->int16Activations.value_or(false))
      return cl.valueError("quantize-activations",
                           "int16 activations are for the CPU's kernels "
                           "(--stage tile, llvm)");
    formation.int16Activations = false;
  } else {
    formation.int16Activations = quantization->int16Activations.value_or(
        mlir::dsv2::cpu::pairDotIsFused(host->features));
    formation.cpuVectorBits = hostLowering.vectorBits;
  }
  if (formation.maxContext < 1 ||
      formation.maxContext > source->config.maxPositionEmbeddings)
    return cl.valueError("max-context", "must be between 1 and the model's "
                                        "max_position_embeddings");
  auto formed = mlir::dsv2::formKernels(**module, formation, error);
  if (mlir::failed(formed))
    return makeError("dsv2c emit: kernel formation: " + error);
  mlir::ModuleOp kernels = *formed->kernels;
  if (stage == "llvm") {
    std::vector<std::string> names;
    for (auto kernel : kernels.getOps<mlir::func::FuncOp>())
      names.push_back(kernel.getSymName().str());
    // The host's instructions, as `dsv2c compile` would choose them.
    if (mlir::failed(
            mlir::dsv2::cpu::lowerTileToLLVM(kernels, hostLowering)) ||
        mlir::failed(mlir::dsv2::cpu::addGridEntryPoints(kernels, names)))
      return makeError("dsv2c emit: CPU code generation failed");
    auto text = mlir::dsv2::cpu::emitLLVMIRText(kernels, {});
    if (!text)
      return text.takeError();
    output->os() << *text;
  } else if (stage == "nvvm" || stage == "ptx") {
    // As `dsv2c compile` would: bf16 weights put the GEMMs on tensor cores.
    mlir::dsv2::gpu::SimtOptions simt;
    simt.bf16Activations =
        source->storage != dsv2::model::WeightStorage::F32;
    if (mlir::failed(mlir::dsv2::gpu::lowerTileToNVVM(kernels, simt)))
      return makeError("dsv2c emit: GPU code generation failed");
    if (stage == "nvvm") {
      kernels.print(output->os());
      output->os() << "\n";
    } else {
      mlir::dsv2::gpu::GpuTargetOptions gpu;
      gpu.chip = target->chip;
      auto ptx = mlir::dsv2::gpu::emitPtx(kernels, gpu);
      if (!ptx)
        return ptx.takeError();
      output->os() << *ptx;
    }
  } else {
    kernels.print(output->os());
    output->os() << "\n";
  }
  output->keep();
  return llvm::Error::success();
}

} // namespace dsv2::tools
