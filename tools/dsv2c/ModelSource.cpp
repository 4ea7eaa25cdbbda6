//===- ModelSource.cpp - --model DIR | --preset NAME ----------------------===//

#include "tools/dsv2c/ModelSource.h"

#include "dialect/dsv2/interpreter/QuantizedWeightProvider.h"
#include "models/deepseek_v2/Presets.h"
#include "models/deepseek_v2/TensorNames.h"
#include "runtime/safetensors/CheckpointRequirements.h"
#include "runtime/safetensors/SafetensorsCheckpoint.h"
#include "runtime/io/Bf16.h"
#include "runtime/safetensors/TensorConversion.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace dsv2::tools {

using dsv2::model::WeightStorage;

namespace {

llvm::Error statusError(const absl::Status &status) {
  return makeError(std::string(status.message()));
}

/// Reads weights from a validated safetensors checkpoint.
class CheckpointWeights : public mlir::dsv2::WeightProvider {
public:
  explicit CheckpointWeights(dsv2::runtime::SafetensorsCheckpoint checkpoint)
      : checkpoint(std::move(checkpoint)) {}

  llvm::Error read(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                   float *destination) override {
    const dsv2::runtime::TensorView *tensor =
        checkpoint.find(absl::string_view(name.data(), name.size()));
    if (!tensor)
      return makeError(llvm::formatv("checkpoint {0} has no tensor '{1}'",
                                     checkpoint.source(), name));
    if (llvm::ArrayRef<int64_t>(tensor->shape) != shape)
      return makeError(llvm::formatv(
          "checkpoint tensor '{0}' has shape {1}, the model needs {2}", name,
          dsv2::runtime::formatShape(tensor->shape),
          dsv2::runtime::formatShape(shape)));
    dsv2::runtime::copyAsFloat32(*tensor, destination);
    return llvm::Error::success();
  }

private:
  dsv2::runtime::SafetensorsCheckpoint checkpoint;
};

/// Another provider's weights rounded to a storage dtype (a checkpoint
/// converted to bf16, say).
class RoundedWeights : public mlir::dsv2::WeightProvider {
public:
  RoundedWeights(std::unique_ptr<mlir::dsv2::WeightProvider> inner,
                 WeightStorage storage)
      : inner(std::move(inner)), storage(storage) {}

  llvm::Error read(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                   float *destination) override {
    if (llvm::Error error = inner->read(name, shape, destination))
      return error;
    int64_t count = 1;
    for (int64_t dim : shape)
      count *= dim;
    if (storage == WeightStorage::BF16)
      for (int64_t i = 0; i < count; ++i)
        destination[i] = dsv2::runtime::bf16ToFloat32(
            dsv2::runtime::float32ToBf16(destination[i]));
    return llvm::Error::success();
  }

private:
  std::unique_ptr<mlir::dsv2::WeightProvider> inner;
  WeightStorage storage;
};

/// Generates the deterministic random checkpoint of a seed.
class RandomWeights : public mlir::dsv2::WeightProvider {
public:
  RandomWeights(uint64_t seed, WeightStorage storage)
      : seed(seed), storage(storage) {}

  llvm::Error read(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                   float *destination) override {
    dsv2::model::fillRandomWeight(seed, std::string_view(name.data(), name.size()),
                                  std::vector<int64_t>(shape.begin(), shape.end()),
                                  storage, destination);
    return llvm::Error::success();
  }

private:
  uint64_t seed;
  WeightStorage storage;
};

/// Every weight one value (rounded to the storage dtype): a benchmark
/// model whose weight files compress to almost nothing, so engines of real
/// DeepSeek-V2 shapes travel to a GPU machine. The numbers are degenerate
/// (every router logit equal, so tokens pick the first experts); only the
/// shapes, and so the timings, are the model's.
class ConstantWeights : public mlir::dsv2::WeightProvider {
public:
  ConstantWeights(float value, WeightStorage storage)
      : value(storage == WeightStorage::BF16
                  ? dsv2::runtime::bf16ToFloat32(
                        dsv2::runtime::float32ToBf16(value))
                  : value) {}

  llvm::Error read(llvm::StringRef, llvm::ArrayRef<int64_t> shape,
                   float *destination) override {
    int64_t count = 1;
    for (int64_t dim : shape)
      count *= dim;
    std::fill(destination, destination + count, value);
    return llvm::Error::success();
  }

private:
  float value;
};

/// --weight-dtype, or its `dsv2c compile` spelling --dtype.
std::optional<std::string> storageOption(const CommandLine &cl) {
  if (std::optional<std::string> value = cl.get("weight-dtype"))
    return value;
  return cl.get("dtype");
}

llvm::Expected<WeightStorage> parseStorage(const CommandLine &cl) {
  std::string text = storageOption(cl).value_or("bf16");
  if (text == "bf16")
    return WeightStorage::BF16;
  if (text == "f32" || text == "fp32")
    return WeightStorage::F32;
  if (text == "f16" || text == "fp16")
    return WeightStorage::F16;
  // int8 is a quantization of one of these, not a storage dtype.
  const bool int8 = llvm::StringRef(text).starts_with("int8");
  return cl.valueError(cl.has("weight-dtype") ? "weight-dtype" : "dtype",
                       "'" + text + "' is not one of bf16, f32, f16" +
                           (int8 ? " (int8 weights: --quantize int8, with "
                                   "--dtype the type of the rest)"
                                 : ""));
}

llvm::Expected<ModelSource> loadPreset(const CommandLine &cl, bool needWeights) {
  ModelSource source;
  std::string name = *cl.get("preset");
  auto config = dsv2::model::presetConfig(name);
  if (!config.ok())
    return statusError(config.status());
  source.config = *config;
  source.description = "preset " + name;
  auto layers = cl.getInteger("num-layers");
  if (!layers)
    return layers.takeError();
  if (*layers) {
    int64_t presetLayers = source.config.numHiddenLayers;
    if (**layers < 1 || **layers > presetLayers)
      return cl.valueError(
          "num-layers",
          llvm::formatv("{0} must be between 1 and the {1} layers of {2}",
                        **layers, presetLayers, name)
              .str());
    source.config.numHiddenLayers = **layers;
    source.description += llvm::formatv(" ({0} of {1} layers)", **layers,
                                        presetLayers)
                              .str();
  }
  auto storage = parseStorage(cl);
  if (!storage)
    return storage.takeError();
  source.storage = *storage;
  auto seed = cl.getInteger("random-weights");
  if (!seed)
    return seed.takeError();
  if (std::optional<std::string> fill = cl.get("fill-weights")) {
    if (*seed)
      return makeUsageError(cl.getCommand() +
                            ": --fill-weights and --random-weights exclude "
                            "each other");
    double value = 0;
    if (llvm::StringRef(*fill).getAsDouble(value) || !std::isfinite(value) ||
        std::abs(value) > 1.0)
      return cl.valueError("fill-weights",
                           "'" + *fill + "' is not a number in [-1, 1]");
    source.weights = std::make_unique<ConstantWeights>(
        static_cast<float>(value), source.storage);
    source.description += llvm::formatv(" (every weight {0})", *fill).str();
  } else if (*seed) {
    if (**seed < 0)
      return cl.valueError("random-weights", "the seed must be >= 0");
    source.weights = std::make_unique<RandomWeights>(**seed, source.storage);
  } else if (needWeights) {
    return makeUsageError(llvm::formatv(
        "{0}: --preset {1} has no checkpoint; add --random-weights SEED to run "
        "it with generated weights",
        cl.getCommand(), name));
  }
  return source;
}

llvm::Expected<ModelSource> loadCheckpoint(const CommandLine &cl,
                                           bool needWeights) {
  ModelSource source;
  std::string dir = *cl.get("model");
  if (cl.has("random-weights") || cl.has("fill-weights"))
    return makeUsageError(
        cl.getCommand() + ": --" +
        (cl.has("random-weights") ? "random-weights" : "fill-weights") +
        " applies to --preset only");
  if (cl.has("num-layers"))
    return makeUsageError(cl.getCommand() +
                          ": --num-layers applies to --preset only");
  auto config = dsv2::model::loadModelConfig(dir);
  if (!config.ok())
    return statusError(config.status());
  if (absl::Status valid = dsv2::model::validateModelConfig(*config); !valid.ok())
    return makeError(dir + "/config.json: " + std::string(valid.message()));
  source.config = *config;
  source.description = "checkpoint " + dir;
  source.storage = WeightStorage::BF16;

  // The graph needs the dtype even without weights, so the checkpoint is
  // opened (headers only, mmap) whenever one is given.
  auto checkpoint = dsv2::runtime::SafetensorsCheckpoint::openDirectory(dir);
  if (!checkpoint.ok())
    return statusError(checkpoint.status());
  std::vector<dsv2::runtime::TensorRequirement> required;
  for (const auto &spec : dsv2::model::requiredTensors(source.config))
    required.push_back({spec.name, spec.shape});
  if (absl::Status status = dsv2::runtime::checkRequirements(*checkpoint, required);
      !status.ok())
    return statusError(status);
  const auto *embed = checkpoint->find(
      absl::string_view(dsv2::model::kEmbedTokensTensor.data(),
                        dsv2::model::kEmbedTokensTensor.size()));
  switch (embed->dtype) {
  case dsv2::runtime::DType::F32:
    source.storage = WeightStorage::F32;
    break;
  case dsv2::runtime::DType::BF16:
    source.storage = WeightStorage::BF16;
    break;
  case dsv2::runtime::DType::F16:
    source.storage = WeightStorage::F16;
    break;
  }
  if (storageOption(cl)) {
    // Convert the checkpoint: every engine (and the interpreter) then sees
    // the weights rounded to the requested storage dtype.
    auto storage = parseStorage(cl);
    if (!storage)
      return storage.takeError();
    if (*storage == WeightStorage::F16)
      return cl.valueError(cl.has("weight-dtype") ? "weight-dtype" : "dtype",
                           "a checkpoint converts to bf16 or f32 only");
    source.storage = *storage;
  }
  if (needWeights) {
    source.weights = std::make_unique<CheckpointWeights>(std::move(*checkpoint));
    if (storageOption(cl))
      source.weights = std::make_unique<RoundedWeights>(std::move(source.weights),
                                                        source.storage);
  }
  return source;
}

} // namespace

std::vector<OptionSpec> modelSourceOptions(bool withWeights) {
  std::vector<OptionSpec> options = {
      {"model", "DIR", "Hugging Face checkpoint directory (config.json + safetensors)"},
      {"preset", "NAME", "built-in model: deepseek-v2, deepseek-v2-lite, tiny"},
      {"num-layers", "N",
       "with --preset: keep only the first N decoder layers (1 <= N <= the "
       "preset's layers); the other shapes stay the preset's"},
  };
  if (withWeights) {
    options.push_back({"random-weights", "SEED",
                       "with --preset: generate deterministic random weights"});
    options.push_back({"fill-weights", "VALUE",
                       "with --preset: every weight VALUE (in [-1, 1]), for "
                       "benchmark engines of real shapes whose weight files "
                       "compress to almost nothing (the outputs are "
                       "meaningless)"});
    options.push_back({"weight-dtype", "bf16|f32|f16",
                       "storage dtype of the weights: a preset's random "
                       "weights (default bf16), or a checkpoint converted to "
                       "it (default: as stored)"});
  }
  return options;
}

mlir::Type ModelSource::weightType(mlir::MLIRContext &context) const {
  mlir::Builder b(&context);
  switch (storage) {
  case WeightStorage::F32:
    return b.getF32Type();
  case WeightStorage::BF16:
    return b.getBF16Type();
  case WeightStorage::F16:
    return b.getF16Type();
  }
  return b.getBF16Type();
}

llvm::Expected<ModelSource> loadModelSource(const CommandLine &cl,
                                            bool needWeights) {
  bool hasModel = cl.has("model"), hasPreset = cl.has("preset");
  if (hasModel == hasPreset)
    return makeUsageError(cl.getCommand() +
                          ": give exactly one of --model DIR or --preset NAME");
  return hasModel ? loadCheckpoint(cl, needWeights)
                  : loadPreset(cl, needWeights);
}

void addQuantizeOptions(std::vector<OptionSpec> &options, const char *help) {
  options.push_back({"quantize", "none|int8|int8-experts|int4-experts", help});
  options.push_back({"quantize-keep", "PATTERN,...",
                     "with --quantize: weights whose checkpoint name contains "
                     "one of the patterns keep their dtype (e.g. "
                     "self_attn,lm_head)"});
  options.push_back({"quantize-activations", "int16|f32|auto",
                     "with --quantize on the CPU: the inputs of the int8 "
                     "linears as int16 with one scale per row, multiplied "
                     "in integer arithmetic (int16), or f32; auto (the "
                     "default): int16 where the CPU has VNNI (vpdpwssd), "
                     "where it is faster"});
}

llvm::Expected<QuantizeOptions> parseQuantizeOptions(const CommandLine &cl) {
  QuantizeOptions out;
  std::string text = cl.get("quantize").value_or("none");
  std::optional<mlir::dsv2::WeightQuantization> scheme =
      mlir::dsv2::parseWeightQuantization(text);
  if (!scheme)
    return cl.valueError("quantize", "'" + text +
                                         "' is not one of none, int8, "
                                         "int8-experts, int4-experts");
  out.scheme = *scheme;
  if (std::optional<std::string> keep = cl.get("quantize-keep")) {
    if (!out.quantized())
      return cl.valueError("quantize-keep", "needs --quantize int8, "
                                            "int8-experts or int4-experts");
    llvm::SmallVector<llvm::StringRef> patterns;
    llvm::StringRef(*keep).split(patterns, ',');
    for (llvm::StringRef pattern : patterns) {
      if (pattern.trim().empty())
        return cl.valueError("quantize-keep",
                             "'" + *keep + "' has an empty pattern");
      out.keep.push_back(pattern.trim().str());
    }
  }
  if (std::optional<std::string> activations =
          cl.get("quantize-activations")) {
    if (!out.quantized())
      return cl.valueError("quantize-activations",
                           "needs --quantize int8, int8-experts or "
                           "int4-experts");
    if (*activations != "int16" && *activations != "f32" &&
        *activations != "auto")
      return cl.valueError("quantize-activations",
                           "'" + *activations +
                               "' is not one of int16, f32, auto");
    if (*activations != "auto")
      out.int16Activations = *activations == "int16";
  }
  return out;
}

/// "model.layers.L.mlp.experts.{e}.NAME" for routed expert tensor `name`
/// ("...mlp.experts.N.NAME"), else "".
static std::string routedExpertStack(llvm::StringRef name) {
  constexpr llvm::StringLiteral kExperts = ".mlp.experts.";
  size_t at = name.find(kExperts);
  if (at == llvm::StringRef::npos)
    return "";
  llvm::StringRef rest = name.drop_front(at + kExperts.size());
  auto [index, tail] = rest.split('.');
  return (name.take_front(at + kExperts.size()) + "{e}." + tail).str();
}

llvm::Error checkQuantizeKeep(const CommandLine &cl,
                              const QuantizeOptions &quantize,
                              const dsv2::model::ModelConfig &config) {
  std::vector<std::string> unmatched;
  std::vector<dsv2::model::TensorSpec> tensors =
      dsv2::model::requiredTensors(config);
  // Whether the scheme stores `name` in int8 or int4, keeping `keep`.
  auto quantizes = [&](llvm::StringRef name,
                       llvm::ArrayRef<std::string> keep) {
    return mlir::dsv2::isInt8QuantizedWeight(name, quantize.scheme, keep) ||
           mlir::dsv2::isInt4QuantizedWeight(name, quantize.scheme, keep);
  };
  // A layer's routed experts are one stacked weight read with one element
  // type: a pattern must keep all of them or none (keeping one expert in
  // the reference only would make the engine silently differ from it).
  for (const std::string &pattern : quantize.keep) {
    std::map<std::string, std::pair<int, int>> stacks; // kept, all
    for (const dsv2::model::TensorSpec &tensor : tensors) {
      std::string stack = routedExpertStack(tensor.name);
      if (stack.empty())
        continue;
      auto &[kept, all] = stacks[stack];
      ++all;
      if (quantizes(tensor.name, {}) && !quantizes(tensor.name, {pattern}))
        ++kept;
    }
    for (const auto &[stack, counts] : stacks) {
      if (counts.first == 0 || counts.first == counts.second)
        continue;
      // "model.layers.L.mlp.experts.{e}.NAME" -> "layers.L.mlp.experts."
      llvm::StringRef layer = llvm::StringRef(stack).split("{e}").first;
      layer.consume_front("model.");
      return cl.valueError(
          "quantize-keep",
          llvm::formatv("'{0}' keeps {1} of the {2} routed experts of {3}; a "
                        "layer's routed experts share one weight type, so "
                        "keep all of them (e.g. '{4}') or none",
                        pattern, counts.first, counts.second, stack, layer)
              .str());
    }
  }
  for (const std::string &pattern : quantize.keep) {
    bool matched = llvm::any_of(tensors, [&](const auto &tensor) {
      return llvm::StringRef(tensor.name).contains(pattern) &&
             quantizes(tensor.name, {});
    });
    if (!matched)
      unmatched.push_back("'" + pattern + "'");
  }
  if (unmatched.empty())
    return llvm::Error::success();
  return cl.valueError(
      "quantize-keep",
      llvm::join(unmatched, ", ") + " matches no weight that --quantize " +
      mlir::dsv2::weightQuantizationName(quantize.scheme) +
      " quantizes (patterns are parts of checkpoint names, e.g. "
      "self_attn, lm_head, layers.0.)");
}

llvm::Error quantizeWeights(const CommandLine &cl, ModelSource &source,
                            const QuantizeOptions &quantize, int64_t tp) {
  if (!quantize.quantized())
    return llvm::Error::success();
  if (llvm::Error error = checkQuantizeKeep(cl, quantize, source.config))
    return error;
  source.weights = std::make_unique<mlir::dsv2::QuantizedWeightProvider>(
      std::move(source.weights), quantize.scheme, quantize.keep, tp);
  return llvm::Error::success();
}

} // namespace dsv2::tools
