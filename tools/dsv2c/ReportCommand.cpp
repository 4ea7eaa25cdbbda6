//===- ReportCommand.cpp - dsv2c report -----------------------------------===//
//
// Model figures from the config alone: parameters (total and active per
// token), KV-cache bytes per token (latent and naive), layers; with --tp/--ep
// the weight bytes of every rank and the bytes each rank sends per token
// (models/deepseek_v2/Sharding.h).
//
//===----------------------------------------------------------------------===//

#include "tools/dsv2c/Commands.h"
#include "tools/dsv2c/GraphPipeline.h"
#include "tools/dsv2c/ModelSource.h"
#include "tools/dsv2c/ParallelOptions.h"

#include "dialect/dsv2/Dsv2Dialect.h"
#include "models/deepseek_v2/GraphBuilder.h"
#include "models/deepseek_v2/ParameterCount.h"
#include "models/deepseek_v2/Sharding.h"
#include "models/deepseek_v2/TensorNames.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/Support/FormatVariadic.h"

#include <nlohmann/json.hpp>

namespace dsv2::tools {

/// How params_active is counted; the paper's 21B (V2) and 2.4B (Lite).
static constexpr const char *kActiveDefinition =
    "parameters one token multiplies with: all attention projections and "
    "norms, dense MLPs, and per MoE layer the router, the shared experts and "
    "num_experts_per_tok routed experts, plus lm_head; the embedding table "
    "is excluded (a token reads one row of it)";

namespace {

/// KV-cache bytes per token of the module's step function, at `elementBytes`
/// per cached value; the layout says which cache the pipeline produced.
struct CacheFootprint {
  int64_t bytesPerToken = 0;
  std::string layout;
};

llvm::Expected<CacheFootprint> cacheFootprint(mlir::ModuleOp module,
                                              int64_t elementBytes) {
  auto step = module.lookupSymbol<mlir::func::FuncOp>(
      dsv2::model::kStepFunctionName);
  if (!step)
    return makeError("the pipeline removed or renamed func.func @step");
  for (mlir::Type type : step.getArgumentTypes()) {
    if (auto naive = mlir::dyn_cast<mlir::dsv2::KvCacheType>(type))
      return CacheFootprint{naive.getElementsPerToken() * elementBytes,
                            "per-head K and V (heads x (qk_head_dim + "
                            "v_head_dim) per layer)"};
    if (auto latent = mlir::dyn_cast<mlir::dsv2::LatentKvCacheType>(type))
      return CacheFootprint{latent.getElementsPerToken() * elementBytes,
                            "latent (kv_lora_rank + qk_rope_head_dim per "
                            "layer)"};
  }
  return makeError("the step function has no KV-cache argument");
}

/// Bytes of the checkpoint's tensors at `weightBytes` per element, with
/// the tensors `quantization` stores in int8 at one byte per element plus a
/// 4-byte scale per row, and those it stores in int4 at half a byte plus a
/// 4-byte scale per group (groups of an engine of `tp` ranks,
/// int4GroupSizeOf). (An engine adds the absorbed MLA's copies of kv_b_proj
/// and panel padding.)
int64_t checkpointWeightBytes(const dsv2::model::ModelConfig &config,
                              int64_t weightBytes,
                              mlir::dsv2::WeightQuantization quantization,
                              int64_t tp = 1) {
  int64_t bytes = 0;
  for (const dsv2::model::TensorSpec &tensor :
       dsv2::model::requiredTensors(config)) {
    const int64_t group =
        tensor.shape.size() == 2
            ? mlir::dsv2::int4GroupSizeOf(tensor.name, tensor.shape[1], tp)
            : 0;
    if (tensor.shape.size() == 2 &&
        mlir::dsv2::isInt8QuantizedWeight(tensor.name, quantization))
      bytes += tensor.numElements() + tensor.shape[0] * 4;
    else if (group > 0 &&
             mlir::dsv2::isInt4QuantizedWeight(tensor.name, quantization))
      bytes += tensor.numElements() / 2 + tensor.numElements() / group * 4;
    else
      bytes += tensor.numElements() * weightBytes;
  }
  return bytes;
}

std::string gibibytes(int64_t bytes) {
  return llvm::formatv("{0:f2} GiB", bytes / (1024.0 * 1024.0 * 1024.0)).str();
}

std::string humanCount(int64_t count) {
  if (count >= 1000000000)
    return llvm::formatv("{0:f2} B", count / 1e9).str();
  if (count >= 1000000)
    return llvm::formatv("{0:f2} M", count / 1e6).str();
  return llvm::formatv("{0:f1} K", count / 1e3).str();
}

} // namespace

llvm::Error runReport(llvm::ArrayRef<const char *> args) {
  std::vector<OptionSpec> options = modelSourceOptions(/*withWeights=*/false);
  options.push_back({"kv-dtype", "bf16|fp32",
                     "KV-cache element type for the byte counts (default bf16)"});
  options.push_back({"tp", "N", "tensor-parallel ranks: per-rank weight bytes "
                                "and communication (default 1)"});
  options.push_back({"ep", "M", "expert-parallel groups (default 1)"});
  options.push_back({"weight-dtype", "bf16|fp32",
                     "weight element type for the per-rank bytes (default "
                     "bf16)"});
  options.push_back({"json", "", "print one JSON object"});
  for (OptionSpec &option : pipelineOptions("none"))
    options.push_back(option);
  CommandLine cl("dsv2c report",
                 "Parameter counts, KV-cache bytes per token and layer counts "
                 "of a model.",
                 options);
  if (llvm::Error error = cl.parse(args))
    return error;
  if (cl.wantsHelp()) {
    cl.printHelp(llvm::outs());
    return llvm::Error::success();
  }
  std::string kvDtype = cl.get("kv-dtype").value_or("bf16");
  int64_t kvBytes;
  if (kvDtype == "bf16")
    kvBytes = 2;
  else if (kvDtype == "fp32" || kvDtype == "f32")
    kvBytes = 4;
  else
    return cl.valueError("kv-dtype", "'" + kvDtype + "' is not one of bf16, fp32");
  std::string weightDtype = cl.get("weight-dtype").value_or("bf16");
  int64_t weightBytes;
  if (weightDtype == "bf16")
    weightBytes = 2;
  else if (weightDtype == "fp32" || weightDtype == "f32")
    weightBytes = 4;
  else
    return cl.valueError("weight-dtype",
                         "'" + weightDtype + "' is not one of bf16, fp32");
  auto parallel = parseParallelLayout(cl);
  if (!parallel)
    return parallel.takeError();
  const dsv2::model::ParallelLayout layout = *parallel;
  auto source = loadModelSource(cl, /*needWeights=*/false);
  if (!source)
    return source.takeError();
  const auto &config = source->config;
  if (absl::Status status = dsv2::model::validateParallelLayout(config, layout);
      !status.ok())
    return makeUsageError("dsv2c report: " + describeParallelLayout(layout) +
                          ": " + std::string(status.message()));
  std::vector<dsv2::model::RankFootprint> ranks =
      dsv2::model::rankFootprints(config, layout);
  dsv2::model::StepCommunication communication =
      dsv2::model::stepCommunicationPerToken(config, layout);
  auto counts = dsv2::model::countParameters(config);
  using mlir::dsv2::WeightQuantization;
  const int64_t plainBytes =
      checkpointWeightBytes(config, weightBytes, WeightQuantization::None);
  const int64_t int8Bytes =
      checkpointWeightBytes(config, weightBytes, WeightQuantization::Int8);
  const int64_t expertsBytes = checkpointWeightBytes(
      config, weightBytes, WeightQuantization::Int8Experts);
  const int64_t int4Bytes = checkpointWeightBytes(
      config, weightBytes, WeightQuantization::Int4Experts, layout.tp);
  mlir::MLIRContext context;
  auto module = buildPipelinedModule(context, *source, cl, "none");
  if (!module)
    return module.takeError();
  auto footprint = cacheFootprint(**module, kvBytes);
  if (!footprint)
    return footprint.takeError();
  int64_t latentBytes =
      dsv2::model::kvCacheBytesPerToken(config, kvBytes, /*latent=*/true);
  int64_t naiveBytes =
      dsv2::model::kvCacheBytesPerToken(config, kvBytes, /*latent=*/false);

  if (cl.has("json")) {
    nlohmann::ordered_json report;
    report["model"] = source->description;
    report["params_total"] = counts.total;
    report["params_active"] = counts.active;
    report["params_active_definition"] = kActiveDefinition;
    report["params_embedding"] = counts.embedding;
    report["params_lm_head"] = counts.lmHead;
    report["pipeline"] = cl.get("pipeline").value_or("none");
    report["kv_cache_dtype"] = kvDtype;
    report["kv_cache_bytes_per_token"] = footprint->bytesPerToken;
    report["kv_cache_layout"] = footprint->layout;
    report["kv_cache_bytes_per_token_latent"] = latentBytes;
    report["kv_cache_bytes_per_token_naive"] = naiveBytes;
    report["num_layers"] = config.numHiddenLayers;
    report["moe_layers"] = config.numMoeLayers();
    report["dense_layers"] = config.numHiddenLayers - config.numMoeLayers();
    report["tp"] = layout.tp;
    report["ep"] = layout.ep;
    report["weight_dtype"] = weightDtype;
    report["weight_bytes"] = {{"none", plainBytes},
                              {"int8", int8Bytes},
                              {"int8-experts", expertsBytes},
                              {"int4-experts", int4Bytes}};
    nlohmann::ordered_json rankList = nlohmann::ordered_json::array();
    for (const auto &rank : ranks)
      rankList.push_back({{"rank", rank.rank},
                          {"tp_rank", layout.tpRank(rank.rank)},
                          {"ep_rank", layout.epRank(rank.rank)},
                          {"weight_bytes", rank.elements * weightBytes},
                          {"sharded_bytes", rank.shardedElements * weightBytes},
                          {"sharded_total_bytes",
                           rank.shardedTotal * weightBytes},
                          {"replicated_bytes",
                           rank.replicatedElements * weightBytes}});
    report["ranks"] = rankList;
    report["communication_bytes_per_token"] = {
        {"tp_all_reduce", communication.tpAllReduceBytes},
        {"moe_all_reduce", communication.moeAllReduceBytes},
        {"logits_all_gather", communication.logitsAllGatherBytes},
        {"total", communication.total()},
        {"collectives_per_step", communication.collectivesPerStep}};
    llvm::outs() << report.dump(2) << "\n";
    return llvm::Error::success();
  }
  llvm::outs() << llvm::formatv(
      "model:                     {0}\n"
      "parameters, total:         {1} ({2})\n"
      "parameters, active/token:  {3} ({4}; embedding excluded, lm_head "
      "included)\n"
      "KV cache per token ({5}):  {6} bytes, {7} (pipeline {8})\n"
      "  latent form {9} bytes, naive per-head {10} bytes ({11:f1}x)\n"
      "layers:                    {12} ({13} MoE, {14} dense)\n"
      "weights ({15}):            {16}; --quantize int8 {17}, int8-experts "
      "{18}, int4-experts {19} (checkpoint tensors)\n",
      source->description, counts.total, humanCount(counts.total),
      counts.active, humanCount(counts.active), kvDtype,
      footprint->bytesPerToken, footprint->layout,
      cl.get("pipeline").value_or("none"), latentBytes, naiveBytes,
      double(naiveBytes) / latentBytes, config.numHiddenLayers,
      config.numMoeLayers(), config.numHiddenLayers - config.numMoeLayers(),
      weightDtype, gibibytes(plainBytes), gibibytes(int8Bytes),
      gibibytes(expertsBytes), gibibytes(int4Bytes));
  if (layout.world() == 1)
    return llvm::Error::success();
  llvm::outs() << llvm::formatv(
      "parallel layout:           tp {0} x ep {1} = {2} ranks ({3} weights)\n",
      layout.tp, layout.ep, layout.world(), weightDtype);
  for (const auto &rank : ranks)
    llvm::outs() << llvm::formatv(
        "  rank {0} (tp {1}, ep {2}): {3} weight bytes; sharded tensors {4} "
        "of {5} bytes ({6:f3} = 1/{7:f2}), replicated {8}\n",
        rank.rank, layout.tpRank(rank.rank), layout.epRank(rank.rank),
        rank.elements * weightBytes, rank.shardedElements * weightBytes,
        rank.shardedTotal * weightBytes,
        double(rank.shardedElements) / rank.shardedTotal,
        double(rank.shardedTotal) / rank.shardedElements,
        rank.replicatedElements * weightBytes);
  llvm::outs() << llvm::formatv(
      "communication per token per step (bytes each rank sends, f32 "
      "activations, ring collectives):\n"
      "  attention + dense MLP all-reduce (tp group)  {0}\n"
      "  MoE all-reduce (all ranks)                   {1}\n"
      "  logits all-gather (tp group)                 {2}\n"
      "  total                                        {3} in {4} collectives\n",
      communication.tpAllReduceBytes, communication.moeAllReduceBytes,
      communication.logitsAllGatherBytes, communication.total(),
      communication.collectivesPerStep);
  return llvm::Error::success();
}

} // namespace dsv2::tools
