//===- EvalCommand.cpp - dsv2c eval ---------------------------------------===//
//
// Runs tokens through the reference interpreter and writes the logits as
// float32 [T, vocab] .npy. With --decode-split K the first K tokens are one
// step and the rest one token per step; the logits of all positions are
// dumped in order, so the file compares directly with a single prefill.
//
//===----------------------------------------------------------------------===//

#include "tools/dsv2c/Commands.h"
#include "tools/dsv2c/CpuEngine.h"
#include "tools/dsv2c/GraphPipeline.h"
#include "tools/dsv2c/KernelCache.h"
#include "tools/dsv2c/ModelSource.h"
#include "tools/dsv2c/ParallelOptions.h"
#include "tools/dsv2c/ShardedReference.h"

#include "dialect/dsv2/interpreter/ReferenceInterpreter.h"
#include "models/deepseek_v2/GraphBuilder.h"
#include "runtime/io/Npy.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <chrono>
#include <functional>

namespace dsv2::tools {
namespace {

llvm::Expected<std::vector<int32_t>> parseTokens(const CommandLine &cl) {
  std::optional<std::string> text = cl.get("tokens");
  if (!text || text->empty())
    return makeUsageError(cl.getCommand() + ": --tokens ID,ID,... is required");
  std::vector<int32_t> tokens;
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(*text).split(parts, ',');
  for (llvm::StringRef part : parts) {
    int64_t id;
    if (part.trim().getAsInteger(10, id) || id < 0 || id > INT32_MAX)
      return cl.valueError("tokens", "'" + part.str() +
                                         "' is not a token id (a non-negative "
                                         "integer)");
    tokens.push_back(static_cast<int32_t>(id));
  }
  return tokens;
}

/// Forwards to another provider and adds up the seconds spent reading (or
/// generating) weights, so that --timings can keep the reference
/// interpreter's lazy first-step weight loading out of the prefill figure.
class TimedWeights : public mlir::dsv2::WeightProvider {
public:
  explicit TimedWeights(std::unique_ptr<mlir::dsv2::WeightProvider> inner)
      : inner(std::move(inner)) {}

  llvm::Error read(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                   float *destination) override {
    auto start = std::chrono::steady_clock::now();
    llvm::Error error = inner->read(name, shape, destination);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                             start)
                   .count();
    return error;
  }

  double seconds = 0;

private:
  std::unique_ptr<mlir::dsv2::WeightProvider> inner;
};

} // namespace

llvm::Error runEval(llvm::ArrayRef<const char *> args) {
  std::vector<OptionSpec> options = modelSourceOptions(/*withWeights=*/true);
  options.push_back({"tokens", "ID,ID,...", "token ids of the sequence"});
  options.push_back({"dump-logits", "FILE",
                     "write float32 [T, vocab] logits as .npy"});
  options.push_back({"decode-split", "K",
                     "run the first K tokens as one step, then one token per "
                     "step"});
  for (OptionSpec &option : pipelineOptions("dsv2-optimize"))
    options.push_back(option);
  options.push_back(kvCacheDtypeOption());
  options.push_back({"engine", "reference|cpu",
                     "reference: the reference interpreter (default); cpu: "
                     "compile the step into CPU kernels and run those"});
  options.push_back({"threads", "N",
                     "CPU engine worker threads, also those compiling its "
                     "kernels (default: all)"});
  addKernelCacheOption(options);
  addQuantizeOptions(options,
                     "read the weights as a quantized engine holds them "
                     "(dsv2c compile --quantize): int8, int8-experts (scale "
                     "* q per output row), int4-experts (scale * q per group "
                     "of the routed experts' inputs), in either engine "
                     "(default none)");
  options.push_back({"tp", "N",
                     "with --engine reference: shard the step for N "
                     "tensor-parallel ranks (dsv2-shard) and run every rank "
                     "on its own thread (default 1)"});
  options.push_back({"ep", "M",
                     "with --engine reference: ... and M expert-parallel "
                     "groups (default 1)"});
  options.push_back({"timings", "",
                     "print on stderr the engine build time, the prefill "
                     "step's and the decode steps' seconds and tokens/s"});
  CommandLine cl("dsv2c eval",
                 "Run a token sequence through the reference interpreter "
                 "(fp32) from an empty KV cache.",
                 options);
  if (llvm::Error error = cl.parse(args))
    return error;
  if (cl.wantsHelp()) {
    cl.printHelp(llvm::outs());
    return llvm::Error::success();
  }
  auto tokens = parseTokens(cl);
  if (!tokens)
    return tokens.takeError();
  int64_t count = tokens->size();
  auto split = cl.getInteger("decode-split");
  if (!split)
    return split.takeError();
  int64_t firstStep = split->value_or(count);
  if (firstStep < 1 || firstStep > count)
    return cl.valueError("decode-split",
                         llvm::formatv("{0} must be between 1 and the {1} tokens",
                                       firstStep, count)
                             .str());
  auto source = loadModelSource(cl, /*needWeights=*/true);
  if (!source)
    return source.takeError();
  // Checked here, before any step runs, so that the position is the one in
  // --tokens (a decode step only sees its own token).
  for (auto [position, id] : llvm::enumerate(*tokens))
    if (id >= source->config.vocabSize)
      return cl.valueError(
          "tokens", llvm::formatv("token id {0} at position {1} is outside the "
                                  "vocabulary [0, {2}) of {3}",
                                  id, position, source->config.vocabSize,
                                  source->description)
                        .str());

  auto kernelCache = KernelCache::fromCommandLine(cl);
  if (!kernelCache)
    return kernelCache.takeError();
  auto quantization = parseQuantizeOptions(cl);
  if (!quantization)
    return quantization.takeError();
  // A tensor-parallel reference reads int4 weights in the groups of a
  // --tp engine (int4GroupSizeOf).
  auto parallel = parseParallelLayout(cl);
  if (!parallel)
    return parallel.takeError();
  if (llvm::Error error =
          quantizeWeights(cl, *source, *quantization, parallel->tp))
    return error;

  TimedWeights *timedWeights = nullptr;
  if (cl.has("timings")) {
    auto timed = std::make_unique<TimedWeights>(std::move(source->weights));
    timedWeights = timed.get();
    source->weights = std::move(timed);
  }
  auto weightSeconds = [&] { return timedWeights ? timedWeights->seconds : 0.0; };
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
  };
  Clock::time_point pipelineStart = Clock::now();
  mlir::MLIRContext context;
  auto module = buildPipelinedModule(context, *source, cl, "dsv2-optimize");
  if (!module)
    return module.takeError();
  auto step = (*module)->lookupSymbol<mlir::func::FuncOp>(
      dsv2::model::kStepFunctionName);
  if (!step)
    return makeError("the pipeline removed or renamed func.func @step");

  std::string engine = cl.get("engine").value_or("reference");
  if (engine != "reference" && engine != "cpu")
    return cl.valueError("engine", "'" + engine + "' is not one of reference, cpu");
  // The oracle computes with f32 activations; asking it for int16 ones
  // would be ignored silently.
  if (engine == "reference" && quantization->int16Activations.value_or(false))
    return cl.valueError("quantize-activations",
                         "int16 applies to --engine cpu; the reference "
                         "interpreter keeps f32 activations");
  auto threads = cl.getInteger("threads");
  if (!threads)
    return threads.takeError();
  if (threads->value_or(1) < 1 || threads->value_or(1) > 1024)
    return cl.valueError("threads", "must be between 1 and 1024");

  const int64_t tpRanks = parallel->tp, epGroups = parallel->ep;
  const bool sharded = parallel->world() > 1;
  if (sharded && engine != "reference")
    return cl.valueError("tp", "--tp/--ep need --engine reference (a "
                               "multi-rank CPU engine runs under mpirun: "
                               "dsv2c compile --tp/--ep, then dsv2-run)");

  double pipelineSeconds = seconds(pipelineStart, Clock::now());
  // Engine setup: interpreter construction, or kernel compilation.
  Clock::time_point buildStart = Clock::now();

  // Both engines run the same steps; only the executor differs.
  std::function<llvm::Expected<std::vector<float>>(llvm::ArrayRef<int32_t>)>
      runStep;
  std::unique_ptr<mlir::dsv2::ReferenceInterpreter> interpreter;
  mlir::dsv2::ReferenceKvCache cache;
  std::unique_ptr<dsv2::runtime::CpuExecutor> executor;
  std::unique_ptr<ShardedReference> shardedReference;
  int64_t vocab = source->config.vocabSize;
  if (sharded) {
    auto built = ShardedReference::create(**module, tpRanks, epGroups,
                                          *source->weights,
                                          source->config.maxPositionEmbeddings);
    if (!built)
      return built.takeError();
    shardedReference = std::move(*built);
    runStep = [&](llvm::ArrayRef<int32_t> stepTokens) {
      return shardedReference->step(stepTokens);
    };
  } else if (engine == "reference") {
    interpreter =
        std::make_unique<mlir::dsv2::ReferenceInterpreter>(step, *source->weights);
    interpreter->setMaxPositions(source->config.maxPositionEmbeddings);
    runStep = [&](llvm::ArrayRef<int32_t> stepTokens)
        -> llvm::Expected<std::vector<float>> {
      auto result = interpreter->runStep(stepTokens, cache);
      if (!result)
        return result.takeError();
      return std::move(result->values);
    };
  } else {
    CpuEngineOptions engineOptions;
    engineOptions.maxContext =
        std::min<int64_t>(source->config.maxPositionEmbeddings, count);
    engineOptions.threads = static_cast<int>(threads->value_or(0));
    engineOptions.codegenThreads = static_cast<unsigned>(threads->value_or(0));
    engineOptions.weightQuantization = quantization->scheme;
    engineOptions.keepWeights = quantization->keep;
    engineOptions.int16Activations = quantization->int16Activations;
    engineOptions.kernelCache = kernelCache->has_value() ? &**kernelCache : nullptr;
    auto built = buildCpuEngine(**module, *source, engineOptions);
    if (!built)
      return built.takeError();
    executor = std::move(*built);
    runStep = [&](llvm::ArrayRef<int32_t> stepTokens)
        -> llvm::Expected<std::vector<float>> {
      auto result = executor->step(
          absl::MakeConstSpan(stepTokens.data(), stepTokens.size()));
      if (!result.ok())
        return makeError(std::string(result.status().message()));
      return std::move(*result);
    };
  }
  double buildSeconds = seconds(buildStart, Clock::now());
  double buildWeightSeconds = weightSeconds();
  std::vector<float> logits;
  int64_t steps = 0;
  double prefillSeconds = 0, decodeSeconds = 0, stepWeightsSeconds = 0;
  for (int64_t begin = 0; begin < count; ++steps) {
    int64_t size = begin == 0 ? firstStep : 1;
    double weightsBefore = weightSeconds();
    Clock::time_point stepStart = Clock::now();
    auto result = runStep(llvm::ArrayRef<int32_t>(*tokens).slice(begin, size));
    // Weights read inside a step (the interpreter loads them lazily) are
    // reported apart.
    double stepWeightSeconds = weightSeconds() - weightsBefore;
    stepWeightsSeconds += stepWeightSeconds;
    double stepSeconds = seconds(stepStart, Clock::now()) - stepWeightSeconds;
    (begin == 0 ? prefillSeconds : decodeSeconds) += stepSeconds;
    if (!result)
      return result.takeError();
    logits.insert(logits.end(), result->begin(), result->end());
    begin += size;
  }

  std::vector<int64_t> greedy;
  for (int64_t t = 0; t < count; ++t) {
    const float *row = logits.data() + t * vocab;
    greedy.push_back(std::max_element(row, row + vocab) - row);
  }
  if (std::optional<std::string> path = cl.get("dump-logits")) {
    absl::Status status = dsv2::runtime::writeNpyF32(
        *path, {count, vocab}, absl::MakeConstSpan(logits));
    if (!status.ok())
      return makeError(std::string(status.message()));
  }
  llvm::errs() << llvm::formatv("dsv2c eval: {0}, {5} engine{6}, {1} tokens "
                                "in {2} step(s), logits [{1}, {3}]{4}\n",
                                source->description, count, steps, vocab,
                                cl.has("dump-logits")
                                    ? " -> " + *cl.get("dump-logits")
                                    : std::string(),
                                engine,
                                sharded ? llvm::formatv(" on {0} ranks (tp {1} "
                                                        "x ep {2})",
                                                        tpRanks * epGroups,
                                                        tpRanks, epGroups)
                                              .str()
                                        : std::string());
  if (cl.has("timings")) {
    int64_t decodeSteps = steps - 1;
    llvm::errs() << llvm::formatv("dsv2c eval timings ({0} engine):\n", engine);
    llvm::errs() << llvm::formatv("  graph pipeline:  {0:f3} s\n",
                                  pipelineSeconds);
    llvm::errs() << llvm::formatv(
        "  engine build:    {0:f3} s ({1}; weights {2:f3} s of it)\n",
        buildSeconds,
        engine == "cpu" ? "kernel compilation, weight generation/packing"
                        : "interpreter setup",
        buildWeightSeconds);
    if (stepWeightsSeconds > 0)
      llvm::errs() << llvm::formatv(
          "  weight loading:  {0:f3} s inside the steps (lazy; excluded from "
          "the step times below)\n",
          stepWeightsSeconds);
    llvm::errs() << llvm::formatv(
        "  prefill:         {0} tokens in {1:f4} s = {2:f2} tokens/s\n",
        firstStep, prefillSeconds, firstStep / prefillSeconds);
    if (decodeSteps > 0)
      llvm::errs() << llvm::formatv(
          "  decode:          {0} steps, mean {1:f4} s/step = {2:f2} "
          "tokens/s\n",
          decodeSteps, decodeSeconds / decodeSteps,
          decodeSteps / decodeSeconds);
    else
      llvm::errs() << "  decode:          none (no --decode-split)\n";
  }
  llvm::outs() << "greedy next tokens: ";
  llvm::interleave(greedy, llvm::outs(), ",");
  llvm::outs() << "\n";
  return llvm::Error::success();
}

} // namespace dsv2::tools
