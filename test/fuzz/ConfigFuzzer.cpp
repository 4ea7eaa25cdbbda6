//===- ConfigFuzzer.cpp - Fuzzes the config.json reader -------------------===//
//
// Any text is a candidate config.json: parseModelConfigJson returns a
// validated config or a one-line InvalidArgument error. A config it accepts
// must pass validateModelConfig again, survive the derived quantities the
// compiler computes from it, and round-trip through modelConfigToJson.
//
//===----------------------------------------------------------------------===//

#include "models/deepseek_v2/ModelConfig.h"

#include <cstdlib>
#include <string_view>

using dsv2::model::ModelConfig;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  absl::StatusOr<ModelConfig> config =
      dsv2::model::parseModelConfigJson(text, "fuzz/config.json");
  if (!config.ok()) {
    if (config.status().code() != absl::StatusCode::kInvalidArgument ||
        config.status().message().find('\n') != std::string_view::npos)
      std::abort();
    return 0;
  }
  if (!dsv2::model::validateModelConfig(*config).ok())
    std::abort(); // parse promises a validated config
  (void)config->numMoeLayers();
  (void)config->softmaxScale();
  (void)config->ropeCosSinScale();
  absl::StatusOr<ModelConfig> again = dsv2::model::parseModelConfigJson(
      dsv2::model::modelConfigToJson(*config), "fuzz/round-trip.json");
  if (!again.ok() || *again != *config)
    std::abort(); // the writer and the reader disagree
  return 0;
}
