//===- Int4QuantizationTest.cpp - Int4 experts: rule, groups, layout ------===//
//
// --quantize int4-experts (docs/quantization.md): which weights are int4,
// the group size, the rounding, that fake-quantized groups requantize to
// the same q (the packer reads the provider's values), the provider's
// reads, and the int4 panel layout (every nibble of every byte used once).
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/WeightQuantization.h"
#include "dialect/dsv2/interpreter/QuantizedWeightProvider.h"
#include "runtime/io/WeightPanels.h"
#include "test/unit/quantization/FixedWeights.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <vector>

namespace mlir::dsv2 {
namespace {

// The routed experts are int4, the shared experts int8, the rest neither.
TEST(Int4Quantization, RoutedExpertsInt4SharedInt8) {
  const auto scheme = WeightQuantization::Int4Experts;
  for (const char *name : {"model.layers.1.mlp.experts.{e}.gate_proj.weight",
                           "model.layers.1.mlp.experts.7.up_proj.weight",
                           "model.layers.1.mlp.experts.7.down_proj.weight"}) {
    EXPECT_TRUE(isInt4QuantizedWeight(name, scheme)) << name;
    EXPECT_FALSE(isInt8QuantizedWeight(name, scheme)) << name;
  }
  EXPECT_TRUE(isInt8QuantizedWeight(
      "model.layers.1.mlp.shared_experts.up_proj.weight", scheme));
  EXPECT_FALSE(isInt4QuantizedWeight(
      "model.layers.1.mlp.shared_experts.up_proj.weight", scheme));
  for (const char *name :
       {"model.layers.0.self_attn.q_proj.weight",
        "model.layers.0.mlp.down_proj.weight", "lm_head.weight",
        "model.layers.1.mlp.gate.weight", "model.embed_tokens.weight"}) {
    EXPECT_FALSE(isInt4QuantizedWeight(name, scheme)) << name;
    EXPECT_FALSE(isInt8QuantizedWeight(name, scheme)) << name;
  }
  // Other schemes never store int4; --quantize-keep keeps gate and up
  // together, as for int8.
  EXPECT_FALSE(isInt4QuantizedWeight(
      "model.layers.1.mlp.experts.7.up_proj.weight",
      WeightQuantization::Int8Experts));
  EXPECT_FALSE(isInt4QuantizedWeight(
      "model.layers.1.mlp.experts.7.gate_proj.weight", scheme, {"up_proj"}));
  EXPECT_TRUE(isInt4QuantizedWeight(
      "model.layers.1.mlp.experts.7.down_proj.weight", scheme, {"up_proj"}));
  EXPECT_EQ(parseWeightQuantization("int4-experts"), scheme);
  EXPECT_STREQ(weightQuantizationName(scheme), "int4-experts");
}

// The largest power of two up to 128 dividing the row: V2 and V2-Lite's
// rows (5120, 1536, 2048, 1408) take 128; odd rows have no layout.
TEST(Int4Quantization, GroupSize) {
  EXPECT_EQ(int4GroupSize(5120), 128);
  EXPECT_EQ(int4GroupSize(1536), 128);
  EXPECT_EQ(int4GroupSize(2048), 128);
  EXPECT_EQ(int4GroupSize(1408), 128);
  EXPECT_EQ(int4GroupSize(96), 32);
  EXPECT_EQ(int4GroupSize(24), 8);
  EXPECT_EQ(int4GroupSize(2), 2);
  EXPECT_EQ(int4GroupSize(7), 0);
}

// Under tensor parallelism the routed experts' down_proj rows are cut into
// tp slices: their groups are a slice's, so no group straddles two ranks
// (V2-Lite's 1408 inputs: 128 whole, 64 in halves, 32 in quarters);
// gate_proj and up_proj rows are not cut and keep the whole row's groups.
TEST(Int4Quantization, GroupSizeOfTensorParallelSlices) {
  const std::string down = "model.layers.1.mlp.experts.5.down_proj.weight";
  const std::string up = "model.layers.1.mlp.experts.5.up_proj.weight";
  EXPECT_EQ(int4GroupSizeOf(down, 1408), 128);
  EXPECT_EQ(int4GroupSizeOf(down, 1408, 2), 64);
  EXPECT_EQ(int4GroupSizeOf(down, 1408, 4), 32);
  EXPECT_EQ(int4GroupSizeOf(down, 1536, 4), 128);
  EXPECT_EQ(int4GroupSizeOf(up, 2048, 4), 128);
  EXPECT_EQ(int4GroupSizeOf(down, 24, 2), 4);
  // Odd slices, or rows tp does not divide, have no layout.
  EXPECT_EQ(int4GroupSizeOf(down, 6, 2), 0);
  EXPECT_EQ(int4GroupSizeOf(down, 16, 3), 0);
}

TEST(Int4Quantization, GroupScaleAndRounding) {
  std::vector<float> group = {0.35f, -0.7f, 0.0f, 0.04f, 0.06f, 0.26f};
  const float scale = int4GroupScale(group);
  EXPECT_FLOAT_EQ(scale, 0.1f);
  EXPECT_EQ(quantizeInt4(-0.7f, scale), -7);
  EXPECT_EQ(quantizeInt4(0.04f, scale), 0);
  EXPECT_EQ(quantizeInt4(0.06f, scale), 1);
  EXPECT_EQ(quantizeInt4(0.26f, scale), 3);
  // Symmetric and clamped; zero groups and NaN give 0.
  EXPECT_EQ(quantizeInt4(5.0f, scale), 7);
  EXPECT_EQ(quantizeInt4(-5.0f, scale), -7);
  EXPECT_EQ(int4GroupScale(std::vector<float>(4, 0.0f)), 0.0f);
  EXPECT_EQ(quantizeInt4(0.0f, 0.0f), 0);
  EXPECT_EQ(quantizeInt4(std::numeric_limits<float>::quiet_NaN(), scale), 0);
}

// Each group has its own scale, and the packer, recomputing the scale from
// the provider's values (scale * q), recovers the same q.
TEST(Int4Quantization, FakeQuantizedGroupsRequantizeExactly) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 0.002f);
  const int64_t rows = 16, cols = 96, group = int4GroupSize(cols);
  ASSERT_EQ(group, 32);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<float> original(rows * cols);
    for (float &value : original)
      value = normal(rng) * (1 + trial);
    // One large value per row: only its own group's scale grows.
    for (int64_t r = 0; r < rows; ++r)
      original[r * cols + 5] = 1.0f;
    std::vector<float> values = original;
    fakeQuantizeInt4Rows(values.data(), rows, cols, group);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t g = 0; g < cols / group; ++g) {
        const float *in = original.data() + r * cols + g * group;
        const float *out = values.data() + r * cols + g * group;
        const float scale = int4GroupScale({in, static_cast<size_t>(group)});
        const float again = int4GroupScale({out, static_cast<size_t>(group)});
        if (g == 0)
          EXPECT_FLOAT_EQ(scale, 1.0f / 7.0f);
        else
          EXPECT_LT(scale, 0.5f / 7.0f);
        for (int64_t c = 0; c < group; ++c) {
          const int8_t q = quantizeInt4(in[c], scale);
          ASSERT_EQ(out[c], scale * q) << "row " << r << " col " << c;
          ASSERT_LE(std::fabs(out[c] - in[c]), 0.5f * scale * (1 + 1e-5f));
          ASSERT_EQ(quantizeInt4(out[c], again), q)
              << "row " << r << " group " << g << " col " << c;
        }
      }
  }
}

TEST(Int4Quantization, ProviderReadsGroupsRowsAndPlainWeights) {
  std::vector<float> matrix(2 * 8);
  for (size_t i = 0; i < matrix.size(); ++i)
    matrix[i] = 0.1f * static_cast<float>(i % 7) - 0.27f;
  auto fixed = std::make_unique<FixedWeights>();
  const std::string routed = "model.layers.1.mlp.experts.3.down_proj.weight";
  const std::string shared = "model.layers.1.mlp.shared_experts.up_proj.weight";
  const std::string attention = "model.layers.1.self_attn.o_proj.weight";
  for (const std::string &name : {routed, shared, attention})
    fixed->tensors[name] = matrix;
  fixed->tensors["model.layers.1.mlp.experts.0.up_proj.weight"] = {
      0.5f, std::numeric_limits<float>::quiet_NaN(), 0.25f, 1.0f};
  fixed->tensors["model.layers.1.mlp.experts.0.down_proj.weight"] =
      std::vector<float>(6, 0.5f);
  QuantizedWeightProvider int4(std::move(fixed),
                               WeightQuantization::Int4Experts);
  std::vector<float> got(matrix.size()), expected = matrix;
  ASSERT_FALSE(bool(int4.read(routed, {2, 8}, got.data())));
  fakeQuantizeInt4Rows(expected.data(), 2, 8, 8);
  EXPECT_EQ(got, expected);
  EXPECT_NE(got, matrix);
  ASSERT_FALSE(bool(int4.read(shared, {2, 8}, got.data())));
  expected = matrix;
  fakeQuantizeInt8Rows(expected.data(), 2, 8);
  EXPECT_EQ(got, expected);
  ASSERT_FALSE(bool(int4.read(attention, {2, 8}, got.data())));
  EXPECT_EQ(got, matrix);
  // Refused by name: a non-finite value, rows of an odd length.
  EXPECT_EQ(llvm::toString(int4.read(
                "model.layers.1.mlp.experts.0.up_proj.weight", {2, 2},
                got.data())),
            "model.layers.1.mlp.experts.0.up_proj.weight: row 0, column 1 "
            "holds NaN; int4 quantization needs finite weights");
  EXPECT_EQ(llvm::toString(int4.read(
                "model.layers.1.mlp.experts.0.down_proj.weight", {2, 3},
                got.data())),
            "model.layers.1.mlp.experts.0.down_proj.weight: rows of 3 inputs "
            "have no int4 layout (two inputs share a byte: the row length "
            "must be even)");
}

// For an engine of two tensor-parallel ranks, down_proj rows of 8 inputs
// are quantized in groups of 4 (each rank's half whole), up_proj rows in
// the whole row's 8; halves of odd length are refused by name.
TEST(Int4Quantization, ProviderGroupsTensorParallelSlices) {
  std::vector<float> matrix(2 * 8);
  for (size_t i = 0; i < matrix.size(); ++i)
    matrix[i] = 0.1f * static_cast<float>(i % 7) - 0.27f;
  // One large value in each row's first half: only that half's scale grows.
  matrix[1] = 2.0f;
  matrix[8 + 2] = -3.0f;
  auto fixed = std::make_unique<FixedWeights>();
  const std::string down = "model.layers.1.mlp.experts.3.down_proj.weight";
  const std::string up = "model.layers.1.mlp.experts.3.up_proj.weight";
  const std::string odd = "model.layers.1.mlp.experts.4.down_proj.weight";
  fixed->tensors[down] = matrix;
  fixed->tensors[up] = matrix;
  fixed->tensors[odd] = std::vector<float>(6, 0.5f);
  QuantizedWeightProvider int4(std::move(fixed),
                               WeightQuantization::Int4Experts, {}, /*tp=*/2);
  std::vector<float> got(matrix.size()), expected = matrix;
  ASSERT_FALSE(bool(int4.read(down, {2, 8}, got.data())));
  fakeQuantizeInt4Rows(expected.data(), 2, 8, 4);
  EXPECT_EQ(got, expected);
  std::vector<float> whole = matrix;
  fakeQuantizeInt4Rows(whole.data(), 2, 8, 8);
  EXPECT_NE(got, whole);
  ASSERT_FALSE(bool(int4.read(up, {2, 8}, got.data())));
  EXPECT_EQ(got, whole);
  EXPECT_EQ(llvm::toString(int4.read(odd, {1, 6}, got.data())),
            odd + ": --tp 2 cuts rows of 6 inputs into slices of 3, which "
                  "have no int4 layout (two inputs share a byte: a slice's "
                  "length must be even)");
}

// Every (row, input) of an int4 weight has its own nibble; a byte holds
// inputs 2j and 2j + 1 (one group: groups are even); the scales tile their
// own panels.
TEST(Int4Quantization, PanelLayoutUsesEveryNibbleOnce) {
  namespace rt = ::dsv2::runtime;
  for (auto [n, k] : {std::pair<int64_t, int64_t>{40, 96}, {16, 24}, {3, 2}}) {
    const int64_t group = int4GroupSize(k);
    std::set<std::pair<int64_t, bool>> seen;
    std::set<int64_t> scaleSlots;
    for (int64_t row = 0; row < n; ++row)
      for (int64_t col = 0; col < k; ++col) {
        bool high = false;
        const int64_t at = rt::int4PanelByte(row, col, k, high);
        ASSERT_GE(at, 0);
        ASSERT_LT(at, rt::int4PanelBytes(n, k));
        ASSERT_TRUE(seen.insert({at, high}).second)
            << "row " << row << " col " << col;
        EXPECT_EQ(high, col % 2 == 1);
        bool partnerHigh = false;
        EXPECT_EQ(rt::int4PanelByte(row, col ^ 1, k, partnerHigh), at);
        EXPECT_NE(partnerHigh, high);
        EXPECT_EQ(col / group, (col ^ 1) / group);
        const int64_t scale =
            rt::int4PanelScale(row, col / group, k, group);
        ASSERT_LT(scale, rt::int4PanelScales(n, k, group));
        scaleSlots.insert(scale);
      }
    EXPECT_EQ(static_cast<int64_t>(seen.size()), n * k);
    EXPECT_EQ(static_cast<int64_t>(scaleSlots.size()), n * (k / group));
    // Byte row j of panel p is at (p * k/2 + j) * 16 + lane.
    bool high = false;
    const int64_t row = 17 % n;
    EXPECT_EQ(rt::int4PanelByte(row, k - 1, k, high),
              (row / 16 * (k / 2) + (k - 1) / 2) * 16 + row % 16);
    EXPECT_TRUE(high);
  }
}

// The GPU's int4 rows: row r's bytes are contiguous (K / 2 of them, every
// nibble used once, in input order) and its scales are K / G f32 in a row.
TEST(Int4Quantization, RowLayoutIsRowMajorNibblePairs) {
  namespace rt = ::dsv2::runtime;
  for (auto [n, k] : {std::pair<int64_t, int64_t>{40, 96}, {3, 2}}) {
    const int64_t group = int4GroupSize(k);
    std::set<std::pair<int64_t, bool>> seen;
    for (int64_t row = 0; row < n; ++row)
      for (int64_t col = 0; col < k; ++col) {
        bool high = false;
        const int64_t at = rt::int4RowByte(row, col, k, high);
        EXPECT_EQ(at, row * (k / 2) + col / 2);
        EXPECT_EQ(high, col % 2 == 1);
        ASSERT_TRUE(seen.insert({at, high}).second)
            << "row " << row << " col " << col;
        EXPECT_EQ(rt::int4RowScale(row, col / group, k, group),
                  row * (k / group) + col / group);
      }
    EXPECT_EQ(static_cast<int64_t>(seen.size()), n * k);
  }
}

} // namespace
} // namespace mlir::dsv2
