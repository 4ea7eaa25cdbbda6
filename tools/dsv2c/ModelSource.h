//===- ModelSource.h - --model DIR | --preset NAME --------------*- C++ -*-===//
//
// Resolves the model a dsv2c command works on: a Hugging Face checkpoint
// directory (config.json + safetensors, validated against the config) or a
// built-in preset, optionally with deterministic random weights.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_DSV2C_MODELSOURCE_H
#define TOOLS_DSV2C_MODELSOURCE_H

#include "dialect/dsv2/WeightQuantization.h"
#include "dialect/dsv2/interpreter/WeightProvider.h"
#include "models/deepseek_v2/ModelConfig.h"
#include "models/deepseek_v2/RandomWeights.h"
#include "tools/dsv2c/CommandLine.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Types.h"

#include <memory>

namespace dsv2::tools {

/// The options every model-reading command accepts.
std::vector<OptionSpec> modelSourceOptions(bool withWeights);

struct ModelSource {
  dsv2::model::ModelConfig config;
  /// "checkpoint DIR" or "preset NAME" for messages.
  std::string description;
  dsv2::model::WeightStorage storage = dsv2::model::WeightStorage::BF16;
  /// Null when the command did not ask for weights.
  std::unique_ptr<mlir::dsv2::WeightProvider> weights;

  mlir::Type weightType(mlir::MLIRContext &context) const;
};

/// Reads --model / --preset (/ --random-weights / --weight-dtype). With
/// `needWeights`, a preset requires --random-weights and a checkpoint's
/// tensors are checked against the config (one error listing every missing
/// or mis-shaped tensor).
llvm::Expected<ModelSource> loadModelSource(const CommandLine &cl,
                                            bool needWeights);

/// --quantize and --quantize-keep: the scheme and the name patterns whose
/// weights keep their dtype.
struct QuantizeOptions {
  mlir::dsv2::WeightQuantization scheme = mlir::dsv2::WeightQuantization::None;
  std::vector<std::string> keep;
  /// --quantize-activations: the int8 linears take int16 activations
  /// (integer arithmetic) or f32 ones; nullopt (auto): int16 where the
  /// target CPU has VNNI (codegen/cpu pairDotIsFused).
  std::optional<bool> int16Activations;

  bool quantized() const {
    return scheme != mlir::dsv2::WeightQuantization::None;
  }
};

/// Appends --quantize (with `help`) and --quantize-keep to `options`.
void addQuantizeOptions(std::vector<OptionSpec> &options, const char *help);

/// Reads --quantize none|int8|int8-experts|int4-experts (default none),
/// --quantize-keep PATTERN,... and --quantize-activations int16|f32|auto
/// (only with int8), or an error naming the value.
llvm::Expected<QuantizeOptions> parseQuantizeOptions(const CommandLine &cl);

/// An error naming every --quantize-keep pattern that matches none of the
/// checkpoint tensors the scheme would store in int8 or int4 (a typo would
/// otherwise quantize everything silently).
llvm::Error checkQuantizeKeep(const CommandLine &cl,
                              const QuantizeOptions &quantize,
                              const dsv2::model::ModelConfig &config);

/// With --quantize, every later reader of `source`'s weights sees them as a
/// quantized engine of `tp` tensor-parallel ranks holds them
/// (QuantizedWeightProvider; tp sizes int4 groups); checks --quantize-keep
/// first.
llvm::Error quantizeWeights(const CommandLine &cl, ModelSource &source,
                            const QuantizeOptions &quantize, int64_t tp);

} // namespace dsv2::tools

#endif // TOOLS_DSV2C_MODELSOURCE_H
