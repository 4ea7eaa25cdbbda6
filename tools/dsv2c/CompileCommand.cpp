//===- CompileCommand.cpp - dsv2c compile ---------------------------------===//
//
// Compiles a model into an engine file: graph, dsv2-optimize, kernel
// formation, CPU code generation, and the weights packed into the engine's
// layouts and dtype (absorbed and derived tensors included) in a weight file
// beside it. Prints a progress bar while packing and a per-stage summary.
//
//===----------------------------------------------------------------------===//

#include "tools/dsv2c/Commands.h"
#include "tools/dsv2c/CpuEngine.h"
#include "tools/dsv2c/GpuEngine.h"
#include "tools/dsv2c/GraphPipeline.h"
#include "tools/dsv2c/KernelCache.h"
#include "tools/dsv2c/ModelSource.h"
#include "tools/dsv2c/ParallelOptions.h"
#include "tools/dsv2c/ProgressBar.h"
#include "tools/dsv2c/RankModules.h"
#include "tools/dsv2c/TokenizerSource.h"
#include "tools/dsv2c/WeightPacking.h"

#include "models/deepseek_v2/ModelConfig.h"
#include "models/deepseek_v2/Sharding.h"
#include "runtime/engine/EngineWriter.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Signals.h"

#include <chrono>

namespace dsv2::tools {
namespace rt = ::dsv2::runtime;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// The KV cache as the launch plan allocates it.
rt::EngineKvCacheInfo describeCache(const rt::LaunchPlan &plan,
                                    const dsv2::model::ModelConfig &config,
                                    int64_t maxBatch) {
  rt::EngineKvCacheInfo cache;
  cache.layers = config.numHiddenLayers;
  cache.maxContext = plan.maxContext;
  cache.maxBatch = maxBatch;
  int64_t elementsPerToken = 0;
  for (const rt::BufferSpec &spec : plan.buffers)
    if (spec.role == rt::BufferRole::Cache) {
      elementsPerToken += spec.elements.evaluate(0, 0) / plan.maxContext;
      cache.bytesPerToken +=
          spec.elements.evaluate(0, 0) / plan.maxContext * rt::elementBytes(spec.type);
      cache.elementType = spec.type;
    }
  cache.valuesPerTokenPerLayer = elementsPerToken / std::max<int64_t>(cache.layers, 1);
  cache.kind = cache.valuesPerTokenPerLayer ==
                       config.kvLoraRank + config.qkRopeHeadDim
                   ? "latent"
                   : "naive";
  return cache;
}

/// Removes the writer's temporary files if the compile is interrupted.
class RemoveOnSignal {
public:
  explicit RemoveOnSignal(std::vector<std::string> paths) : paths(std::move(paths)) {
    for (const std::string &path : this->paths)
      llvm::sys::RemoveFileOnSignal(path);
  }
  ~RemoveOnSignal() {
    for (const std::string &path : paths)
      llvm::sys::DontRemoveFileOnSignal(path);
  }

private:
  std::vector<std::string> paths;
};

} // namespace

llvm::Error runCompile(llvm::ArrayRef<const char *> args) {
  std::vector<OptionSpec> options = modelSourceOptions(/*withWeights=*/true);
  // The engine's dtype: --dtype (issue spelling) or --weight-dtype.
  options.push_back({"dtype", "bf16|fp32",
                     "weight dtype of the engine (default: bf16 for presets, "
                     "the checkpoint's own otherwise)"});
  addQuantizeOptions(options,
                     "int8: store the projection weights (attention, MLPs, "
                     "experts, lm_head) in int8 with one f32 scale per output "
                     "row; decode streams half the bytes of bf16; "
                     "int8-experts: only the MoE experts'; "
                     "int4-experts: the routed experts in int4 with one scale "
                     "per group of up to 128 inputs and the shared experts in "
                     "int8 (default none; docs/quantization.md)");
  options.push_back({"target", "cpu|sm_80|sm_90a|sm_90a-emu",
                     "what the kernels run on (default cpu): the host CPU, "
                     "PTX for an NVIDIA GPU, or the GPU kernels compiled for "
                     "the host under the SIMT emulator (sm_80-emu, "
                     "sm_90a-emu)"});
  options.push_back({"cubin", "auto|require|off",
                     "with --target sm_80|sm_90a: also pack the PTX "
                     "assembled by ptxas (machine code the runtime loads "
                     "without JIT-compiling; the PTX stays as the fallback): "
                     "auto (default) when a ptxas is found ($DSV2_PTXAS, "
                     "PATH, /usr/local/cuda/bin), require: fail without one, "
                     "off: PTX only"});
  options.push_back({"cpu", "NAME",
                     "with --target cpu: the CPU to generate code for, 'host' "
                     "(default) or an LLVM CPU name such as x86-64-v3; its "
                     "vector width also sizes the kernels' register tiles "
                     "(wider GEMM blocks with AVX-512)"});
  options.push_back({"jobs", "N",
                     "with --target cpu: threads that optimize and compile "
                     "the kernels, each a part of them (default: one per "
                     "hardware thread)"});
  addKernelCacheOption(options);
  options.push_back({"max-context", "N",
                     "positions each sequence's KV cache holds (default: the "
                     "model's max_position_embeddings, at most 4096)"});
  options.push_back({"max-batch", "N",
                     "sequences one dsv2-run may hold at once (default 8)"});
  options.push_back({"tp", "N",
                     "tensor-parallel ranks: attention heads, MLPs and the "
                     "vocabulary split N ways (default 1; docs/parallelism.md)"});
  options.push_back({"ep", "M",
                     "expert-parallel groups: routed experts split M ways "
                     "(default 1); the engine spans tp x ep ranks, run with "
                     "mpirun -np tp*ep dsv2-run"});
  for (OptionSpec &option : pipelineOptions("dsv2-optimize"))
    options.push_back(option);
  options.push_back(kvCacheDtypeOption());
  options.push_back({"o", "ENGINE",
                     "the engine file to write; its weights go to "
                     "ENGINE.rank0.weights beside it"});
  options.push_back({"tokenizer", "FILE",
                     "tokenizer.json to pack into the engine (default: the "
                     "checkpoint's, or the preset's built-in one)"});
  options.push_back({"target-label", "NAME",
                     "for tests only: record NAME as the engine's target "
                     "(exercises dsv2-run's target check)"});
  CommandLine cl("dsv2c compile",
                 "Compile a model into an engine that dsv2-run loads.", options);
  if (llvm::Error error = cl.parse(args))
    return error;
  if (cl.wantsHelp()) {
    cl.printHelp(llvm::outs());
    return llvm::Error::success();
  }
  std::optional<std::string> output = cl.get("o");
  if (!output || output->empty())
    return makeUsageError("dsv2c compile: -o ENGINE is required");
  if (cl.has("dtype") && cl.has("weight-dtype"))
    return makeUsageError("dsv2c compile: give --dtype or --weight-dtype, not both");
  std::string target = cl.get("target").value_or("cpu");
  std::optional<GpuTarget> gpuTarget = parseGpuTarget(target);
  if (target != "cpu" && !gpuTarget)
    return cl.valueError("target", "'" + target +
                                       "' is not a target (available: cpu, " +
                                       gpuTargetList() + ")");
  if (gpuTarget && cl.has("cpu"))
    return cl.valueError("cpu", "applies to --target cpu only");
  GpuEngineOptions::Cubin cubin = GpuEngineOptions::Cubin::Auto;
  if (std::optional<std::string> mode = cl.get("cubin")) {
    if (!gpuTarget || gpuTarget->emulated)
      return cl.valueError("cubin", "applies to --target sm_80 or sm_90a");
    if (*mode == "require")
      cubin = GpuEngineOptions::Cubin::Require;
    else if (*mode == "off")
      cubin = GpuEngineOptions::Cubin::Off;
    else if (*mode != "auto")
      return cl.valueError("cubin", "'" + *mode +
                                        "' is not auto, require or off");
  }
  auto quantization = parseQuantizeOptions(cl);
  if (!quantization)
    return quantization.takeError();
  auto kernelCache = KernelCache::fromCommandLine(cl);
  if (!kernelCache)
    return kernelCache.takeError();
  const bool quantized = quantization->quantized();
  if (quantized && gpuTarget && quantization->int16Activations.value_or(false))
    return cl.valueError("quantize-activations",
                         "int16 activations are for --target cpu; GPU "
                         "kernels widen int8 weights (bf16 on tensor cores)");
  auto maxBatch = cl.getInteger("max-batch");
  if (!maxBatch)
    return maxBatch.takeError();
  if (maxBatch->value_or(8) < 1)
    return cl.valueError("max-batch", "must be at least 1");
  auto jobs = cl.getInteger("jobs");
  if (!jobs)
    return jobs.takeError();
  if (jobs->value_or(1) < 1 || jobs->value_or(1) > 1024)
    return cl.valueError("jobs", "must be between 1 and 1024");
  if (gpuTarget && jobs->has_value())
    return cl.valueError("jobs", "applies to --target cpu only");
  auto maxContext = cl.getInteger("max-context");
  if (!maxContext)
    return maxContext.takeError();
  auto parallel = parseParallelLayout(cl);
  if (!parallel)
    return parallel.takeError();
  const dsv2::model::ParallelLayout layout = *parallel;
  Clock::time_point totalStart = Clock::now(), start = totalStart;
  auto source = loadModelSource(cl, /*needWeights=*/true);
  if (!source)
    return source.takeError();
  const dsv2::model::ModelConfig &config = source->config;
  // Every reader of a quantized engine's weights (the packer, the weights
  // derived from kv_b_proj) sees scale * q.
  if (llvm::Error error = quantizeWeights(cl, *source, *quantization, layout.tp))
    return error;
  int64_t context = maxContext->value_or(
      std::min<int64_t>(config.maxPositionEmbeddings, 4096));
  if (context < 1 || context > config.maxPositionEmbeddings)
    return cl.valueError("max-context",
                         llvm::formatv("{0} must be between 1 and the model's "
                                       "max_position_embeddings ({1})",
                                       context, config.maxPositionEmbeddings)
                             .str());
  if (absl::Status status = dsv2::model::validateParallelLayout(config, layout);
      !status.ok())
    return makeError("dsv2c compile: " + describeParallelLayout(layout) +
                     ": " + std::string(status.message()));
  auto tokenizer = loadTokenizerSource(cl, config);
  if (!tokenizer)
    return tokenizer.takeError();
  double loadSeconds = secondsSince(start);

  // Opened first, so that an unwritable output fails before minutes of
  // code generation.
  auto writer =
      rt::EngineWriter::create(*output, static_cast<int>(layout.world()));
  if (!writer.ok())
    return makeError(std::string(writer.status().message()));
  RemoveOnSignal cleanup((*writer)->temporaryPaths());

  start = Clock::now();
  mlir::MLIRContext mlirContext;
  auto module = buildPipelinedModule(mlirContext, *source, cl, "dsv2-optimize",
                                     /*gpuKernels=*/gpuTarget.has_value());
  if (!module)
    return module.takeError();
  double pipelineSeconds = secondsSince(start);

  // A parallel engine: every rank's sharded module (GPU ranks exchange
  // through NCCL, CPU and -emu ranks through MPI).
  std::vector<mlir::OwningOpRef<mlir::ModuleOp>> ranks;
  std::vector<mlir::ModuleOp> rankModules = {**module};
  if (layout.world() > 1) {
    auto sharded = shardIntoRanks(**module, layout.tp, layout.ep);
    if (!sharded)
      return sharded.takeError();
    ranks = std::move(*sharded);
    rankModules.clear();
    for (auto &rank : ranks)
      rankModules.push_back(*rank);
  }
  llvm::Expected<CompiledCpuKernels> compiled = makeError("no target");
  if (gpuTarget) {
    GpuEngineOptions engineOptions;
    engineOptions.target = *gpuTarget;
    engineOptions.maxContext = context;
    engineOptions.bf16Weights =
        source->storage != dsv2::model::WeightStorage::F32;
    engineOptions.weightQuantization = quantization->scheme;
    engineOptions.keepWeights = quantization->keep;
    engineOptions.cubin = cubin;
    engineOptions.kernelCache = kernelCache->has_value() ? &**kernelCache : nullptr;
    llvm::errs() << llvm::formatv(
        "dsv2c compile: {0}: generating GPU kernels for {1}...\n",
        source->description, gpuTarget->name());
    compiled = compileGpuKernels(rankModules, engineOptions);
  } else {
    CpuEngineOptions engineOptions;
    engineOptions.maxContext = context;
    engineOptions.cpu = cl.get("cpu").value_or("host");
    engineOptions.codegenThreads = static_cast<unsigned>(jobs->value_or(0));
    engineOptions.weightQuantization = quantization->scheme;
    engineOptions.keepWeights = quantization->keep;
    engineOptions.int16Activations = quantization->int16Activations;
    engineOptions.kernelCache = kernelCache->has_value() ? &**kernelCache : nullptr;
    llvm::errs() << llvm::formatv(
        "dsv2c compile: {0}: generating CPU kernels for '{1}'...\n",
        source->description, engineOptions.cpu);
    compiled = compileCpuKernels(rankModules, engineOptions);
  }
  if (!compiled)
    return compiled.takeError();

  start = Clock::now();
  const rt::LaunchPlan &plan = compiled->plan;
  uint64_t totalBytes = 0;
  for (const rt::LaunchPlan &rankPlan : compiled->rankPlans)
    for (const rt::BufferSpec &spec : rankPlan.buffers)
      if (spec.role == rt::BufferRole::Weight && spec.constantData.empty())
        totalBytes +=
            spec.elements.evaluate(0, 0) * rt::elementBytes(spec.type);
  ProgressBar progress("packing weights", totalBytes, llvm::errs());
  std::vector<uint8_t> bytes;
  for (const rt::LaunchPlan &rankPlan : compiled->rankPlans) {
    PackingCache cache;
    for (size_t i = 0; i < rankPlan.buffers.size(); ++i) {
      const rt::BufferSpec &spec = rankPlan.buffers[i];
      if (spec.role != rt::BufferRole::Weight || !spec.constantData.empty())
        continue;
      bytes.assign(spec.elements.evaluate(0, 0) * rt::elementBytes(spec.type),
                   0);
      if (absl::Status status =
              packWeight(*source->weights, spec, bytes.data(), &cache);
          !status.ok())
        return makeError("packing weight " + spec.name + ": " +
                         std::string(status.message()));
      if (absl::Status status = (*writer)->addWeight(
              rankPlan.rank, static_cast<int32_t>(i), spec.name, bytes);
          !status.ok())
        return makeError(std::string(status.message()));
      progress.advance(bytes.size());
    }
  }
  progress.finish();
  double packSeconds = secondsSince(start);

  start = Clock::now();
  rt::EngineDescription description;
  description.target = cl.get("target-label").value_or(target);
  std::string commandLine = "dsv2c compile";
  for (const char *arg : args)
    commandLine += std::string(" ") + arg;
  description.producer = commandLine;
  description.model = {source->description,
                       dsv2::model::modelConfigToJson(config),
                       config.vocabSize,
                       config.hiddenSize,
                       config.numHiddenLayers,
                       config.maxPositionEmbeddings,
                       config.bosTokenId,
                       config.eosTokenId,
                       (quantized ? std::string(mlir::dsv2::weightQuantizationName(
                                   quantization->scheme)) +
                                   "+"
                             : std::string()) +
                           (source->storage == dsv2::model::WeightStorage::F32
                                ? "f32"
                                : "bf16")};
  description.kvCache = describeCache(plan, config, maxBatch->value_or(8));
  description.kernels = compiled->module;
  description.plan = plan;
  description.tokenizerJson = tokenizer->json;
  if (absl::Status status = (*writer)->commit(description, compiled->rankPlans,
                                              compiled->image);
      !status.ok())
    return makeError(std::string(status.message()));
  double writeSeconds = secondsSince(start);

  const rt::EngineKvCacheInfo &cache = description.kvCache;
  // What the quantized linears multiply the weights with.
  std::string activations;
  if (quantized)
    activations = compiled->int16Activations ? "int16 activations, "
                  : gpuTarget && source->storage != dsv2::model::WeightStorage::F32
                      ? "bf16 activations, "
                      : "f32 activations, ";
  llvm::errs() << llvm::formatv(
      "dsv2c compile: {0} -> {1} (target {2}, {3} weights, {4}{5} "
      "kernels{6})\n",
      source->description, *output,
      gpuTarget ? gpuTarget->name() : "cpu '" + compiled->module.cpu + "'",
      description.model.weightDtype, activations,
      compiled->module.kernels.size(),
      layout.world() > 1
          ? llvm::formatv(", {0} ranks: tp {1} x ep {2}", layout.world(),
                          layout.tp, layout.ep)
                .str()
          : std::string());
  llvm::errs() << llvm::formatv("  load model        {0,8:f3} s\n", loadSeconds);
  llvm::errs() << llvm::formatv("  graph + passes    {0,8:f3} s\n", pipelineSeconds);
  llvm::errs() << llvm::formatv("  kernel formation  {0,8:f3} s\n",
                                compiled->formationSeconds);
  llvm::errs() << llvm::formatv("  {0} codegen       {1,8:f3} s ({2} image{3})\n",
                                gpuTarget ? "gpu" : "cpu",
                                compiled->codegenSeconds,
                                formatBytes(compiled->image.size()),
                                compiled->imageCached
                                    ? ", from the kernel cache"
                                    : "");
  if (!compiled->cubinNote.empty())
    llvm::errs() << "  cubin             " << compiled->cubinNote << "\n";
  llvm::errs() << llvm::formatv("  weight packing    {0,8:f3} s ({1})\n",
                                packSeconds, formatBytes(totalBytes));
  llvm::errs() << llvm::formatv("  write engine      {0,8:f3} s\n", writeSeconds);
  llvm::errs() << llvm::formatv("  total             {0,8:f3} s\n",
                                secondsSince(totalStart));
  llvm::errs() << llvm::formatv(
      "  KV cache: {0}, {1} values/token/layer, {2} bytes/token, {3} "
      "positions x {4} sequences\n",
      cache.kind, cache.valuesPerTokenPerLayer, cache.bytesPerToken,
      cache.maxContext, cache.maxBatch);
  llvm::errs() << "  tokenizer: "
               << (tokenizer->json.empty() ? std::string("none (ids only)")
                                           : tokenizer->origin)
               << "\n";
  return llvm::Error::success();
}

} // namespace dsv2::tools
