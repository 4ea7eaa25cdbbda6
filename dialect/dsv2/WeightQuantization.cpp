//===- WeightQuantization.cpp - Int8 weight-only quantization -------------===//

#include "dialect/dsv2/WeightQuantization.h"

#include <algorithm>
#include <cmath>

namespace mlir::dsv2 {

std::optional<WeightQuantization> parseWeightQuantization(llvm::StringRef text) {
  if (text == "none")
    return WeightQuantization::None;
  if (text == "int8")
    return WeightQuantization::Int8;
  if (text == "int8-experts")
    return WeightQuantization::Int8Experts;
  return std::nullopt;
}

const char *weightQuantizationName(WeightQuantization quantization) {
  switch (quantization) {
  case WeightQuantization::None:
    return "none";
  case WeightQuantization::Int8:
    return "int8";
  case WeightQuantization::Int8Experts:
    return "int8-experts";
  }
  return "?";
}

/// An MLP's gate_proj and up_proj are read by one kernel with one weight
/// type (the experts' gate/up kernels), so they are kept or quantized as a
/// pair: the other one's name, or "" for any other weight.
static std::string gateUpPartner(llvm::StringRef name) {
  for (auto [mine, other] : {std::pair<llvm::StringRef, llvm::StringRef>{
                                 "gate_proj.weight", "up_proj.weight"},
                             {"up_proj.weight", "gate_proj.weight"}})
    if (name.ends_with(mine))
      return name.drop_back(mine.size()).str() + other.str();
  return "";
}

bool isInt8QuantizedWeight(llvm::StringRef name,
                           WeightQuantization quantization,
                           llvm::ArrayRef<std::string> keep) {
  const std::string partner = gateUpPartner(name);
  for (const std::string &pattern : keep)
    if (name.contains(pattern) ||
        (!partner.empty() && llvm::StringRef(partner).contains(pattern)))
      return false;
  switch (quantization) {
  case WeightQuantization::None:
    return false;
  case WeightQuantization::Int8:
    return name.ends_with("_proj.weight") ||
           name.ends_with("_proj_with_mqa.weight") || name == "lm_head.weight";
  case WeightQuantization::Int8Experts:
    return name.ends_with("_proj.weight") &&
           (name.contains(".mlp.experts.") ||
            name.contains(".mlp.shared_experts."));
  }
  return false;
}

float int8RowScale(llvm::ArrayRef<float> row) {
  float largest = 0.0f;
  for (float value : row)
    largest = std::max(largest, std::fabs(value));
  return largest / 127.0f;
}

int8_t quantizeInt8(float value, float scale) {
  const float q = std::nearbyint(value / scale);
  if (scale == 0.0f || std::isnan(q))
    return 0;
  return static_cast<int8_t>(std::clamp(q, -127.0f, 127.0f));
}

void fakeQuantizeInt8Rows(float *values, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    float *row = values + r * cols;
    const float scale = int8RowScale({row, static_cast<size_t>(cols)});
    for (int64_t c = 0; c < cols; ++c)
      row[c] = scale * static_cast<float>(quantizeInt8(row[c], scale));
  }
}

} // namespace mlir::dsv2
