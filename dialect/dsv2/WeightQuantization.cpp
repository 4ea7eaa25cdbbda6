//===- WeightQuantization.cpp - Int8 and int4 weight-only quantization ----===//

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
  if (text == "int4-experts")
    return WeightQuantization::Int4Experts;
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
  case WeightQuantization::Int4Experts:
    return "int4-experts";
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

/// Whether --quantize-keep keeps `name` (or its gate/up partner).
static bool isKept(llvm::StringRef name, llvm::ArrayRef<std::string> keep) {
  const std::string partner = gateUpPartner(name);
  for (const std::string &pattern : keep)
    if (name.contains(pattern) ||
        (!partner.empty() && llvm::StringRef(partner).contains(pattern)))
      return true;
  return false;
}

bool isInt8QuantizedWeight(llvm::StringRef name,
                           WeightQuantization quantization,
                           llvm::ArrayRef<std::string> keep) {
  if (isKept(name, keep))
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
  case WeightQuantization::Int4Experts:
    return name.ends_with("_proj.weight") &&
           name.contains(".mlp.shared_experts.");
  }
  return false;
}

bool isInt4QuantizedWeight(llvm::StringRef name,
                           WeightQuantization quantization,
                           llvm::ArrayRef<std::string> keep) {
  return quantization == WeightQuantization::Int4Experts &&
         name.ends_with("_proj.weight") && name.contains(".mlp.experts.") &&
         !isKept(name, keep);
}

/// max |v| over `values` (0 for none).
static float largestMagnitude(llvm::ArrayRef<float> values) {
  float largest = 0.0f;
  for (float value : values)
    largest = std::max(largest, std::fabs(value));
  return largest;
}

/// round(value / scale) clamped to [-limit, limit] (0 when scale is 0 or
/// the quotient is NaN): symmetric quantization at any width.
static int8_t roundSymmetric(float value, float scale, float limit) {
  const float q = std::nearbyint(value / scale);
  if (scale == 0.0f || std::isnan(q))
    return 0;
  return static_cast<int8_t>(std::clamp(q, -limit, limit));
}

float int8RowScale(llvm::ArrayRef<float> row) {
  return largestMagnitude(row) / 127.0f;
}

int8_t quantizeInt8(float value, float scale) {
  return roundSymmetric(value, scale, 127.0f);
}

void fakeQuantizeInt8Rows(float *values, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    float *row = values + r * cols;
    const float scale = int8RowScale({row, static_cast<size_t>(cols)});
    for (int64_t c = 0; c < cols; ++c)
      row[c] = scale * static_cast<float>(quantizeInt8(row[c], scale));
  }
}

int64_t int4GroupSize(int64_t cols) {
  for (int64_t group = 128; group >= 2; group /= 2)
    if (cols % group == 0)
      return group;
  return 0;
}

int64_t int4GroupSizeOf(llvm::StringRef name, int64_t cols, int64_t tp) {
  // gate_proj / up_proj are cut by rows under tp: their rows stay whole.
  if (tp <= 1 || !name.ends_with("down_proj.weight"))
    return int4GroupSize(cols);
  return cols % tp == 0 ? int4GroupSize(cols / tp) : 0;
}

float int4GroupScale(llvm::ArrayRef<float> group) {
  return largestMagnitude(group) / 7.0f;
}

int8_t quantizeInt4(float value, float scale) {
  return roundSymmetric(value, scale, 7.0f);
}

void fakeQuantizeInt4Rows(float *values, int64_t rows, int64_t cols,
                          int64_t group) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t g = 0; g < cols; g += group) {
      float *span = values + r * cols + g;
      const float scale = int4GroupScale({span, static_cast<size_t>(group)});
      for (int64_t c = 0; c < group; ++c)
        span[c] = scale * static_cast<float>(quantizeInt4(span[c], scale));
    }
}

} // namespace mlir::dsv2
