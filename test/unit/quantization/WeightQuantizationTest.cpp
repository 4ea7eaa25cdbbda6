//===- WeightQuantizationTest.cpp - Int8 weights: rule, rounding, reads ---===//

#include "dialect/dsv2/WeightQuantization.h"
#include "dialect/dsv2/interpreter/QuantizedWeightProvider.h"
#include "test/unit/quantization/FixedWeights.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <vector>

namespace mlir::dsv2 {
namespace {

TEST(WeightQuantization, WhichWeightsAreInt8) {
  for (const char *name :
       {"model.layers.0.self_attn.q_proj.weight",
        "model.layers.0.self_attn.q_a_proj.weight",
        "model.layers.0.self_attn.kv_a_proj_with_mqa.weight",
        "model.layers.0.self_attn.kv_b_proj.weight",
        "model.layers.0.self_attn.o_proj.weight",
        "model.layers.0.mlp.down_proj.weight",
        "model.layers.1.mlp.shared_experts.up_proj.weight",
        "model.layers.1.mlp.experts.{e}.gate_proj.weight",
        "model.layers.1.mlp.experts.7.down_proj.weight", "lm_head.weight"})
    EXPECT_TRUE(isInt8QuantizedWeight(name, WeightQuantization::Int8)) << name;
  // The router picks the experts: it keeps its precision; so do the
  // embedding and the norms.
  for (const char *name :
       {"model.layers.1.mlp.gate.weight", "model.embed_tokens.weight",
        "model.layers.0.input_layernorm.weight",
        "model.layers.0.self_attn.kv_a_layernorm.weight", "model.norm.weight"})
    EXPECT_FALSE(isInt8QuantizedWeight(name, WeightQuantization::Int8))
        << name;
}

// int8-experts: the MoE experts' projections only (routed and shared).
TEST(WeightQuantization, ExpertsOnly) {
  for (const char *name :
       {"model.layers.1.mlp.experts.{e}.gate_proj.weight",
        "model.layers.1.mlp.experts.7.down_proj.weight",
        "model.layers.1.mlp.shared_experts.up_proj.weight"})
    EXPECT_TRUE(isInt8QuantizedWeight(name, WeightQuantization::Int8Experts))
        << name;
  for (const char *name :
       {"model.layers.0.self_attn.q_proj.weight",
        "model.layers.0.self_attn.kv_b_proj.weight",
        "model.layers.0.mlp.down_proj.weight", "lm_head.weight",
        "model.layers.1.mlp.gate.weight"})
    EXPECT_FALSE(isInt8QuantizedWeight(name, WeightQuantization::Int8Experts))
        << name;
  EXPECT_FALSE(isInt8QuantizedWeight("lm_head.weight", WeightQuantization::None));
}

// --quantize-keep: a name containing any pattern keeps its dtype.
TEST(WeightQuantization, KeptPatterns) {
  const std::vector<std::string> keep = {"self_attn", "lm_head"};
  EXPECT_FALSE(isInt8QuantizedWeight("model.layers.0.self_attn.q_proj.weight",
                                     WeightQuantization::Int8, keep));
  EXPECT_FALSE(
      isInt8QuantizedWeight("lm_head.weight", WeightQuantization::Int8, keep));
  EXPECT_TRUE(isInt8QuantizedWeight("model.layers.0.mlp.up_proj.weight",
                                    WeightQuantization::Int8, keep));
  EXPECT_FALSE(isInt8QuantizedWeight(
      "model.layers.1.mlp.experts.3.up_proj.weight",
      WeightQuantization::Int8Experts, {"experts.3."}));
  EXPECT_TRUE(isInt8QuantizedWeight(
      "model.layers.1.mlp.experts.13.up_proj.weight",
      WeightQuantization::Int8Experts, {"experts.3."}));
}

// An MLP's gate_proj and up_proj are kept together (the experts' gate/up
// kernels read both with one weight type; one kept alone crashed them).
TEST(WeightQuantization, GateAndUpAreKeptTogether) {
  for (const char *pattern : {"up_proj", "gate_proj"})
    for (const char *name : {"model.layers.1.mlp.experts.{e}.gate_proj.weight",
                             "model.layers.1.mlp.experts.{e}.up_proj.weight",
                             "model.layers.0.mlp.gate_proj.weight",
                             "model.layers.0.mlp.up_proj.weight"})
      EXPECT_FALSE(isInt8QuantizedWeight(name, WeightQuantization::Int8,
                                         {pattern}))
          << name << " with --quantize-keep " << pattern;
  EXPECT_TRUE(isInt8QuantizedWeight("model.layers.1.mlp.experts.{e}.down_proj.weight",
                                    WeightQuantization::Int8, {"up_proj"}));
  // A pattern naming one expert's up_proj keeps that expert's gate_proj.
  EXPECT_FALSE(isInt8QuantizedWeight(
      "model.layers.1.mlp.experts.3.gate_proj.weight", WeightQuantization::Int8,
      {"experts.3.up_proj"}));
  EXPECT_TRUE(isInt8QuantizedWeight(
      "model.layers.1.mlp.experts.4.gate_proj.weight", WeightQuantization::Int8,
      {"experts.3.up_proj"}));
}

TEST(WeightQuantization, ParsesItsNames) {
  EXPECT_EQ(parseWeightQuantization("int8"), WeightQuantization::Int8);
  EXPECT_EQ(parseWeightQuantization("none"), WeightQuantization::None);
  EXPECT_EQ(parseWeightQuantization("int8-experts"),
            WeightQuantization::Int8Experts);
  EXPECT_FALSE(parseWeightQuantization("int4").has_value());
  EXPECT_STREQ(weightQuantizationName(WeightQuantization::Int8), "int8");
  EXPECT_STREQ(weightQuantizationName(WeightQuantization::Int8Experts),
               "int8-experts");
}

TEST(WeightQuantization, RowScaleAndRounding) {
  std::vector<float> row = {0.5f, -1.27f, 0.0f, 0.004f, 0.006f};
  const float scale = int8RowScale(row);
  EXPECT_FLOAT_EQ(scale, 0.01f);
  EXPECT_EQ(quantizeInt8(-1.27f, scale), -127);
  EXPECT_EQ(quantizeInt8(0.5f, scale), 50);
  EXPECT_EQ(quantizeInt8(0.004f, scale), 0);
  EXPECT_EQ(quantizeInt8(0.006f, scale), 1);
  // Clamped to the symmetric range; a zero row has scale 0 and q 0; NaN
  // never reaches the integer conversion.
  EXPECT_EQ(quantizeInt8(5.0f, scale), 127);
  EXPECT_EQ(quantizeInt8(-5.0f, scale), -127);
  EXPECT_EQ(int8RowScale(std::vector<float>(4, 0.0f)), 0.0f);
  EXPECT_EQ(quantizeInt8(0.0f, 0.0f), 0);
  EXPECT_EQ(quantizeInt8(std::numeric_limits<float>::quiet_NaN(), scale), 0);
}

// The packer recomputes each row's scale from the values it reads (already
// scale * q through QuantizedWeightProvider) and must recover exactly the same
// q, else the engine's weights would differ from the reference's.
TEST(WeightQuantization, FakeQuantizedRowsRequantizeExactly) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  const int64_t rows = 64, cols = 257;
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<float> original(rows * cols);
    for (float &value : original)
      value = normal(rng) * (1 + trial);
    std::vector<float> values = original;
    fakeQuantizeInt8Rows(values.data(), rows, cols);
    for (int64_t r = 0; r < rows; ++r) {
      const float *row = values.data() + r * cols;
      const float scale = int8RowScale({original.data() + r * cols,
                                        static_cast<size_t>(cols)});
      const float again = int8RowScale({row, static_cast<size_t>(cols)});
      for (int64_t c = 0; c < cols; ++c) {
        const int8_t q = quantizeInt8(original[r * cols + c], scale);
        ASSERT_EQ(row[c], scale * q) << "row " << r << " col " << c;
        ASSERT_LE(std::fabs(row[c] - original[r * cols + c]),
                  0.5f * scale * (1 + 1e-5f));
        ASSERT_EQ(quantizeInt8(row[c], again), q)
            << "row " << r << " col " << c << " (scale " << scale << " vs "
            << again << ")";
      }
    }
  }
}

TEST(QuantizedWeightProvider, QuantizesProjectionMatricesOnly) {
  auto fixed = std::make_unique<FixedWeights>();
  const std::vector<float> matrix = {0.3f, -0.7f, 0.11f, 1.0f, 0.25f, -0.5f};
  fixed->tensors["model.layers.0.self_attn.o_proj.weight"] = matrix;
  fixed->tensors["model.layers.1.mlp.gate.weight"] = matrix;
  fixed->tensors["bias.up_proj.weight"] = matrix;
  QuantizedWeightProvider int8(std::move(fixed), WeightQuantization::Int8);
  std::vector<float> got(6);
  ASSERT_FALSE(bool(int8.read("model.layers.0.self_attn.o_proj.weight",
                              {2, 3}, got.data())));
  std::vector<float> expected = matrix;
  fakeQuantizeInt8Rows(expected.data(), 2, 3);
  EXPECT_EQ(got, expected);
  EXPECT_NE(got, matrix);
  // Per row: the first row's scale is 0.7 / 127, the second's 1 / 127.
  EXPECT_FLOAT_EQ(got[1], -0.7f);
  EXPECT_FLOAT_EQ(got[3], 1.0f);
  ASSERT_FALSE(bool(
      int8.read("model.layers.1.mlp.gate.weight", {2, 3}, got.data())));
  EXPECT_EQ(got, matrix);
  // Only matrices: a vector named like a projection is read as it is.
  ASSERT_FALSE(bool(int8.read("bias.up_proj.weight", {6}, got.data())));
  EXPECT_EQ(got, matrix);
  llvm::Error missing = int8.read("lm_head.weight", {2, 3}, got.data());
  EXPECT_EQ(llvm::toString(std::move(missing)), "no tensor lm_head.weight");
}

TEST(QuantizedWeightProvider, NonFiniteWeightsAreNamed) {
  auto fixed = std::make_unique<FixedWeights>();
  fixed->tensors["lm_head.weight"] = {0.5f, 1.0f, 0.25f,
                                      std::numeric_limits<float>::infinity()};
  fixed->tensors["model.layers.0.mlp.up_proj.weight"] = {
      0.5f, std::numeric_limits<float>::quiet_NaN(), 0.25f, 1.0f};
  QuantizedWeightProvider int8(std::move(fixed), WeightQuantization::Int8);
  std::vector<float> got(4);
  EXPECT_EQ(llvm::toString(int8.read("lm_head.weight", {2, 2}, got.data())),
            "lm_head.weight: row 1, column 1 holds +inf; int8 quantization "
            "needs finite weights");
  EXPECT_EQ(llvm::toString(int8.read("model.layers.0.mlp.up_proj.weight",
                                     {2, 2}, got.data())),
            "model.layers.0.mlp.up_proj.weight: row 0, column 1 holds NaN; "
            "int8 quantization needs finite weights");
}

} // namespace
} // namespace mlir::dsv2
