//===- ReportCommand.cpp - dsv2c report -----------------------------------===//
//
// Model figures from the config alone: parameters (total and active per
// token), KV-cache bytes per token (latent and naive), layers.
//
//===----------------------------------------------------------------------===//

#include "tools/dsv2c/Commands.h"
#include "tools/dsv2c/ModelSource.h"

#include "models/deepseek_v2/ParameterCount.h"

#include "llvm/Support/FormatVariadic.h"

#include <nlohmann/json.hpp>

namespace dsv2::tools {

/// How params_active is counted; the paper's 21B (V2) and 2.4B (Lite).
static constexpr const char *kActiveDefinition =
    "parameters one token multiplies with: all attention projections and "
    "norms, dense MLPs, and per MoE layer the router, the shared experts and "
    "num_experts_per_tok routed experts, plus lm_head; the embedding table "
    "is excluded (a token reads one row of it)";

llvm::Error runReport(llvm::ArrayRef<const char *> args) {
  std::vector<OptionSpec> options = modelSourceOptions(/*withWeights=*/false);
  options.push_back({"kv-dtype", "bf16|fp32",
                     "KV-cache element type for the byte counts (default bf16)"});
  options.push_back({"json", "", "print one JSON object"});
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
  auto source = loadModelSource(cl, /*needWeights=*/false);
  if (!source)
    return source.takeError();
  const auto &config = source->config;
  auto counts = dsv2::model::countParameters(config);
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
    report["kv_cache_dtype"] = kvDtype;
    report["kv_cache_bytes_per_token"] = latentBytes;
    report["kv_cache_layout"] = "latent (kv_lora_rank + qk_rope_head_dim per layer)";
    report["kv_cache_bytes_per_token_naive"] = naiveBytes;
    report["num_layers"] = config.numHiddenLayers;
    report["moe_layers"] = config.numMoeLayers();
    report["dense_layers"] = config.numHiddenLayers - config.numMoeLayers();
    llvm::outs() << report.dump(2) << "\n";
    return llvm::Error::success();
  }
  llvm::outs() << llvm::formatv(
      "model:                     {0}\n"
      "parameters, total:         {1} ({2:f2} B)\n"
      "parameters, active/token:  {3} ({4:f2} B; embedding excluded, lm_head "
      "included)\n"
      "KV cache per token ({5}): {6} bytes latent, {7} bytes naive per-head "
      "({8:f1}x)\n"
      "layers:                    {9} ({10} MoE, {11} dense)\n",
      source->description, counts.total, counts.total / 1e9, counts.active,
      counts.active / 1e9, kvDtype, latentBytes, naiveBytes,
      double(naiveBytes) / latentBytes, config.numHiddenLayers,
      config.numMoeLayers(), config.numHiddenLayers - config.numMoeLayers());
  return llvm::Error::success();
}

} // namespace dsv2::tools
