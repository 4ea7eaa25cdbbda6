//===- Int16KernelsTest.cpp - quantize_rows_i16, *_panel_i16 -------------===//
//
// The integer GEMV and GEMM of int8 weights (docs/quantization.md, "int16
// activations") against exact models: the quantized row bit for bit, the
// GEMV and the GEMM against int64 sums, the worst case that would wrap an
// unflushed i32 sum, and quantize + GEMV against x @ (scale * q)^T in
// floats. Every test runs once per tile.pair_dot lowering the host can
// execute (generic i32 arithmetic; pmaddwd on AVX2 and AVX-512BW), N = 100
// (the last of 7 panels 4 wide), K even and odd, several flushes of the i32
// sums. CPU build only.
//
//===----------------------------------------------------------------------===//

#include "test/unit/kernels/KernelHarness.h"

#include "codegen/cpu/ConvertTileToLLVM.h"
#include "codegen/cpu/ObjectEmitter.h"
#include "runtime/io/WeightPanels.h"

#include "llvm/Support/Error.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace dsv2::test {
namespace {

namespace rt = ::dsv2::runtime;

constexpr int64_t kN = 100;
// The grouped experts: 3 experts of [I, H] / [H, I], 16-row dispatch blocks.
constexpr int64_t kExperts = 3, kHidden = 41, kInter = 25, kBlockRows = 16;
constexpr float kSentinel = -12345.0f;

mlir::dsv2::KernelParams quantizeParams(int64_t k) {
  return {{"K", std::to_string(k)},
          {"PAIRS", std::to_string((k + 1) / 2)},
          {"BLOCK", "32"}};
}

mlir::dsv2::KernelParams linearParams(int64_t k, int64_t rows, int64_t chunk,
                                      int64_t panels) {
  return {{"N", std::to_string(kN)},
          {"K", std::to_string(k)},
          {"BM", std::to_string(rows)},
          {"BN", "16"},
          {"GROUP", "3"},
          {"CHUNK", std::to_string(chunk)},
          {"P", std::to_string(panels)}};
}

mlir::dsv2::KernelParams gemvParams(int64_t n, int64_t k, int64_t chunk) {
  return {{"N", std::to_string(n)},
          {"K", std::to_string(k)},
          {"BN", "16"},
          {"P", "2"},
          {"BK", "4"},
          {"CHUNK", std::to_string(chunk)}};
}

/// The lowerings of tile.pair_dot this host runs: generic always, then the
/// pmaddwd forms its CPU has.
std::vector<std::string> hostPairDotIsas() {
  std::vector<std::string> isas{"generic"};
  auto host = mlir::dsv2::cpu::describeCpuTarget({}, {"avx2", "avx512bw"});
  if (!host) {
    llvm::consumeError(host.takeError());
    return isas;
  }
  for (const char *isa : {"avx2", "avx512bw"})
    if (std::find(host->features.begin(), host->features.end(), isa) !=
        host->features.end())
      isas.push_back(isa);
  return isas;
}

/// quantize_rows_i16's model: scale = max|x| / 32767, q = round-half-even(x *
/// (32767 / max|x|)), pairs packed low half first.
void quantizeModel(const float *x, int64_t k, std::vector<int32_t> &pairs,
                   float &scale) {
  float absMax = 0.0f;
  for (int64_t i = 0; i < k; ++i)
    absMax = std::max(absMax, std::fabs(x[i]));
  scale = absMax / 32767.0f;
  const float inv = absMax > 0.0f ? 32767.0f / absMax : 0.0f;
  pairs.assign((k + 1) / 2, 0);
  for (int64_t i = 0; i < k; ++i) {
    auto q = static_cast<int32_t>(std::nearbyint(x[i] * inv));
    uint32_t bits = static_cast<uint32_t>(q) & 0xFFFFu;
    pairs[i / 2] = static_cast<int32_t>(static_cast<uint32_t>(pairs[i / 2]) |
                                        (bits << (16 * (i % 2))));
  }
}

class Int16Kernels : public ::testing::TestWithParam<std::string> {
protected:
  /// One suite per lowering, compiled on first use.
  KernelSuite &suite() {
    static std::map<std::string, std::unique_ptr<KernelSuite>> suites;
    std::unique_ptr<KernelSuite> &slot = suites[GetParam()];
    if (!slot) {
      slot = std::make_unique<KernelSuite>();
      slot->pairDot = GetParam();
      slot->add("quantize130", "quantize_rows_i16", quantizeParams(130));
      slot->add("quantize131", "quantize_rows_i16", quantizeParams(131));
      // CHUNK 3: 12 pairs between flushes, so K = 130 flushes 6 times.
      slot->add("gemv130", "gemv_panel_i16", gemvParams(kN, 130, 3));
      slot->add("gemv131", "gemv_panel_i16", gemvParams(kN, 131, 128));
      slot->add("gemv4096", "gemv_panel_i16", gemvParams(32, 4096, 128));
      // The GEMM: 8-row blocks (prefill) over an odd K with a flush every
      // 3 pairs; 4-row blocks (batched decode) over an even K.
      // One panel per program (256-bit vectors) and two (AVX-512).
      for (int64_t panels : {1, 2}) {
        const std::string suffix = "/" + std::to_string(panels);
        slot->add("linear131" + suffix, "linear_panel_i16",
                  linearParams(131, 8, 3, panels));
        slot->add("linear130" + suffix, "linear_panel_i16",
                  linearParams(130, 4, 128, panels));
      }
      // The routed experts' grouped GEMMs: odd H and I, flushes every 3,
      // 4- and 8-row programs (kernel formation takes 8).
      for (const char *kind :
           {"grouped_gate_up_panel_i16", "grouped_down_panel_i16"})
        for (const char *rows : {"4", "8"})
          slot->add(std::string(kind) + "/" + rows, kind,
                    {{"E", std::to_string(kExperts)},
                     {"H", std::to_string(kHidden)},
                     {"I", std::to_string(kInter)},
                     {"BM", rows},
                     {"BN", "16"},
                     {"GROUP", "3"},
                     {"CHUNK", "3"}});
      // The routed experts' decode GEMVs: 2 slots, odd H and I.
      slot->add("expert_gate_up", "expert_gemv_gate_up_panel_i16",
                {{"E", std::to_string(kExperts)},
                 {"H", std::to_string(kHidden)},
                 {"I", std::to_string(kInter)},
                 {"K", "2"},
                 {"BN", "16"},
                 {"BK", "2"},
                 {"CHUNK", "3"}});
      slot->add("expert_down", "expert_gemv_down_panel_i16",
                {{"E", std::to_string(kExperts)},
                 {"H", std::to_string(kHidden)},
                 {"I", std::to_string(kInter)},
                 {"K", "2"},
                 {"BN", "16"},
                 {"BK", "4"},
                 {"CHUNK", "3"},
                 {"HAS_SHARED", "1"}});
      slot->compile("int16_kernels_" + GetParam());
    }
    EXPECT_EQ(slot->error, "");
    return *slot;
  }

  /// Runs gemv_panel_i16 `label` on q [n, k] (row-major), the pairs and
  /// scales; returns y [n].
  std::vector<float> gemv(const std::string &label,
                          const std::vector<int8_t> &q,
                          const std::vector<float> &rowScales, int64_t n,
                          int64_t k, const std::vector<int32_t> &pairs,
                          float xScale) {
    std::vector<int8_t> laid = rt::toWeightPanels(q.data(), n, k);
    Buffer<int32_t> xq(pairs.size());
    Buffer<float> xs(1, xScale), ws(rt::panelElements(n, 1), 0.0f),
        y(n, kSentinel);
    Buffer<int8_t> w(laid.size());
    fill(xq, pairs);
    fill(w, laid);
    std::copy(rowScales.begin(), rowScales.end(), ws.data());
    KernelArgs args;
    args.buf(xq).buf(xs).buf(w).buf(ws).buf(y);
    suite().run(label, args, static_cast<int32_t>((n + 31) / 32));
    return y.vector();
  }
};

std::vector<int8_t> randomInt8(std::mt19937 &rng, size_t count) {
  std::uniform_int_distribution<int> value(-127, 127);
  std::vector<int8_t> out(count);
  for (int8_t &v : out)
    v = static_cast<int8_t>(value(rng));
  return out;
}

std::vector<float> positiveScales(std::mt19937 &rng, int64_t n) {
  std::vector<float> scales = randomFloats(rng, n, 0.01f);
  for (float &s : scales)
    s = std::fabs(s) + 1e-3f;
  return scales;
}

// Rows of an odd and an even K, strided, one all zero, one with a NaN:
// scales and packed pairs equal the model's bit for bit.
TEST_P(Int16Kernels, QuantizedRowsEqualTheModel) {
  std::mt19937 rng(21);
  for (int64_t k : {130, 131}) {
    const int32_t rows = 4, stride = 140;
    std::vector<float> xAll = randomFloats(rng, rows * stride, 3.0f);
    std::fill(xAll.begin() + stride, xAll.begin() + stride + k, 0.0f);
    xAll[3 * stride + 7] = std::numeric_limits<float>::quiet_NaN();
    const int64_t pairs = (k + 1) / 2;
    Buffer<float> x(xAll.size()), xs(rows, kSentinel);
    Buffer<int32_t> xq(rows * pairs, 0x5a5a5a5a);
    fill(x, xAll);
    KernelArgs args;
    args.buf(x).buf(xq).buf(xs).i32(stride);
    suite().run("quantize" + std::to_string(k), args, rows);
    for (int32_t r = 0; r < rows; ++r) {
      if (r == 3) {
        EXPECT_TRUE(std::isnan(xs[r])) << "a row with a NaN gets a NaN scale";
        continue;
      }
      std::vector<int32_t> expected;
      float scale = 0;
      quantizeModel(xAll.data() + r * stride, k, expected, scale);
      EXPECT_EQ(xs[r], scale) << "K " << k << " row " << r;
      for (int64_t j = 0; j < pairs; ++j)
        ASSERT_EQ(xq[r * pairs + j], expected[j])
            << "K " << k << " row " << r << " pair " << j;
    }
    EXPECT_EQ(xs[1], 0.0f) << "an all-zero row has scale 0";
  }
}

// y = ws * xs * (q @ x_q) against int64 sums, K even (several flushes) and
// odd (the last row's partner is zero).
TEST_P(Int16Kernels, GemvEqualsTheIntegerSums) {
  std::mt19937 rng(22);
  std::uniform_int_distribution<int> activation(-32767, 32767);
  for (int64_t k : {130, 131}) {
    std::vector<int8_t> q = randomInt8(rng, kN * k);
    std::vector<float> scales = positiveScales(rng, kN);
    std::vector<int32_t> pairs((k + 1) / 2);
    std::vector<int16_t> x16(k + 1, 0);
    for (int64_t i = 0; i < k; ++i)
      x16[i] = static_cast<int16_t>(activation(rng));
    for (size_t j = 0; j < pairs.size(); ++j)
      pairs[j] = static_cast<int32_t>(
          (static_cast<uint32_t>(static_cast<uint16_t>(x16[2 * j]))) |
          (static_cast<uint32_t>(static_cast<uint16_t>(x16[2 * j + 1])) << 16));
    const float xScale = 2.5e-4f;
    std::vector<float> y =
        gemv("gemv" + std::to_string(k), q, scales, kN, k, pairs, xScale);
    std::vector<float> expected(kN);
    for (int64_t n = 0; n < kN; ++n) {
      int64_t sum = 0;
      for (int64_t i = 0; i < k; ++i)
        sum += static_cast<int64_t>(q[n * k + i]) * x16[i];
      expected[n] =
          static_cast<float>(static_cast<double>(sum) * scales[n] * xScale);
    }
    expectClose(y, expected, "gemv_panel_i16 K " + std::to_string(k));
  }
}

// linear_panel_i16 over m = 37 rows (5 blocks of 8, 10 of 4), one and two
// panels per program (kN = 100: 7 panels, so a two-panel program's second
// one is clamped, read and not stored), against int64 sums scaled by the
// row's and the output's scales; rows of y are strided and nothing outside
// [m, N] is written.
TEST_P(Int16Kernels, GemmEqualsTheIntegerSums) {
  std::mt19937 rng(24);
  std::uniform_int_distribution<int> activation(-32767, 32767);
  const int32_t m = 37, yStride = 104;
  for (auto [k, rows] : {std::pair<int64_t, int32_t>{131, 8}, {130, 4}}) {
    std::vector<int8_t> q = randomInt8(rng, kN * k);
    std::vector<float> scales = positiveScales(rng, kN);
    std::vector<float> rowScales = positiveScales(rng, m);
    const int64_t pairs = (k + 1) / 2;
    std::vector<int16_t> x16(m * pairs * 2, 0);
    std::vector<int32_t> packed(m * pairs);
    for (int32_t r = 0; r < m; ++r)
      for (int64_t i = 0; i < k; ++i)
        x16[r * pairs * 2 + i] = static_cast<int16_t>(activation(rng));
    std::memcpy(packed.data(), x16.data(), packed.size() * sizeof(int32_t));
    std::vector<int8_t> laid = rt::toWeightPanels(q.data(), kN, k);
    Buffer<int32_t> xq(packed.size());
    Buffer<float> xs(m), ws(rt::panelElements(kN, 1), 0.0f),
        y(m * yStride, kSentinel);
    Buffer<int8_t> w(laid.size());
    fill(xq, packed);
    fill(xs, rowScales);
    fill(w, laid);
    std::copy(scales.begin(), scales.end(), ws.data());
    std::vector<float> expected;
    for (int32_t r = 0; r < m; ++r)
      for (int64_t n = 0; n < kN; ++n) {
        int64_t sum = 0;
        for (int64_t i = 0; i < k; ++i)
          sum += static_cast<int64_t>(q[n * k + i]) * x16[r * pairs * 2 + i];
        expected.push_back(static_cast<float>(static_cast<double>(sum) *
                                              scales[n] * rowScales[r]));
      }
    for (int32_t panels : {1, 2}) {
      std::fill(y.data(), y.data() + m * yStride, kSentinel);
      KernelArgs args;
      args.buf(xq).buf(xs).buf(w).buf(ws).buf(y).i32(m).i32(yStride);
      const std::string label =
          "linear" + std::to_string(k) + "/" + std::to_string(panels);
      const int32_t columns = 16 * panels;
      suite().run(label, args, (m + rows - 1) / rows,
                  static_cast<int32_t>((kN + columns - 1) / columns));
      std::vector<float> got;
      for (int32_t r = 0; r < m; ++r) {
        for (int64_t n = 0; n < kN; ++n)
          got.push_back(y[r * yStride + n]);
        for (int64_t n = kN; n < yStride; ++n)
          ASSERT_EQ(y[r * yStride + n], kSentinel)
              << label << " row " << r << " col " << n;
      }
      expectClose(got, expected, "linear_panel_i16 " + label);
    }
  }
}

/// Random int16 rows [rows, k] and their packed pairs [rows, ceil(k/2)].
std::vector<int32_t> randomPairs(std::mt19937 &rng, int64_t rows, int64_t k,
                                 std::vector<int16_t> &values) {
  std::uniform_int_distribution<int> activation(-32767, 32767);
  const int64_t pairs = (k + 1) / 2;
  values.assign(rows * pairs * 2, 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < k; ++i)
      values[r * pairs * 2 + i] = static_cast<int16_t>(activation(rng));
  std::vector<int32_t> packed(rows * pairs);
  std::memcpy(packed.data(), values.data(), packed.size() * sizeof(int32_t));
  return packed;
}

/// sum_k q[n, k] * x[k] in int64 (q row-major [*, k], x with stride 1).
int64_t integerDot(const int8_t *q, const int16_t *x, int64_t k) {
  int64_t sum = 0;
  for (int64_t i = 0; i < k; ++i)
    sum += static_cast<int64_t>(q[i]) * x[i];
  return sum;
}

// The grouped expert kernels over a hand-made dispatch plan (3 experts of
// 16-row blocks, tokens in each, padding rows, 4 rows past offsets[E]):
// gate_up = silu(xs * gs * (q_gate @ x16)) * (xs * us * (q_up @ x16)) per
// real row, 0 on padding rows; down = hs * ds * (q_down @ h16); nothing
// past `rows` is written.
TEST_P(Int16Kernels, GroupedExpertsEqualTheIntegerSums) {
  std::mt19937 rng(25);
  const int32_t tokens = 5;
  const std::vector<int32_t> offsets = {0, 16, 32, 48};
  std::vector<int32_t> rowToken(52, -1);
  for (auto [row, token] : std::vector<std::pair<int, int>>{
           {0, 0}, {1, 2}, {2, 4}, {16, 1}, {17, 3}, {18, 0}, {32, 4}})
    rowToken[row] = token;
  const int32_t rows = 52;
  std::vector<int16_t> x16, h16;
  std::vector<int32_t> xPairs = randomPairs(rng, tokens, kHidden, x16);
  std::vector<float> xScales = positiveScales(rng, tokens);
  std::vector<int8_t> gateQ = randomInt8(rng, kExperts * kInter * kHidden),
                      upQ = randomInt8(rng, kExperts * kInter * kHidden),
                      downQ = randomInt8(rng, kExperts * kHidden * kInter);
  std::vector<float> gateS(kExperts * rt::panelElements(kInter, 1), 0.0f),
      upS(gateS.size(), 0.0f),
      downS(kExperts * rt::panelElements(kHidden, 1), 0.0f);
  for (int64_t e = 0; e < kExperts; ++e) {
    std::vector<float> g = positiveScales(rng, kInter),
                       u = positiveScales(rng, kInter),
                       d = positiveScales(rng, kHidden);
    std::copy(g.begin(), g.end(),
              gateS.begin() + e * rt::panelElements(kInter, 1));
    std::copy(u.begin(), u.end(),
              upS.begin() + e * rt::panelElements(kInter, 1));
    std::copy(d.begin(), d.end(),
              downS.begin() + e * rt::panelElements(kHidden, 1));
  }
  auto expertOf = [&](int32_t row) {
    int64_t e = 0;
    while (offsets[e + 1] <= row)
      ++e;
    return e;
  };

  Buffer<int32_t> xq(xPairs.size()), tokenBuf(rowToken.size()),
      offsetBuf(offsets.size());
  Buffer<float> xs(tokens), gs(gateS.size()), us(upS.size()), ds(downS.size()),
      hidden(rows * kInter, kSentinel), out(rows * kHidden, kSentinel);
  Buffer<int8_t> gate(kExperts * rt::panelElements(kInter, kHidden)),
      up(gate.size()), down(kExperts * rt::panelElements(kHidden, kInter));
  fill(xq, xPairs);
  fill(tokenBuf, rowToken);
  fill(offsetBuf, offsets);
  fill(xs, xScales);
  fill(gs, gateS);
  fill(us, upS);
  fill(ds, downS);
  fill(gate, stackedPanels(gateQ, kExperts, kInter, kHidden));
  fill(up, stackedPanels(upQ, kExperts, kInter, kHidden));
  fill(down, stackedPanels(downQ, kExperts, kHidden, kInter));
  for (int32_t blockRows : {4, 8}) {
    SCOPED_TRACE(std::to_string(blockRows) + "-row programs");
    const std::string suffix = "/" + std::to_string(blockRows);
    const int32_t programRows = (rows + blockRows - 1) / blockRows;
    std::fill(hidden.data(), hidden.data() + rows * kInter, kSentinel);
    std::fill(out.data(), out.data() + rows * kHidden, kSentinel);
    KernelArgs gateUpArgs;
    gateUpArgs.buf(xq)
        .buf(xs)
        .buf(tokenBuf)
        .buf(offsetBuf)
        .buf(gate)
        .buf(gs)
        .buf(up)
        .buf(us)
        .buf(hidden)
        .i32(rows);
    suite().run("grouped_gate_up_panel_i16" + suffix, gateUpArgs, programRows,
                static_cast<int32_t>((kInter + 15) / 16));
    std::vector<float> got, expected;
    const int64_t xPairWidth = (kHidden + 1) / 2 * 2;
    for (int32_t r = 0; r < rows; ++r) {
      const int32_t t = rowToken[r];
      for (int64_t i = 0; i < kInter; ++i) {
        got.push_back(hidden[r * kInter + i]);
        if (t < 0) {
          expected.push_back(0.0f);
          continue;
        }
        const int64_t e = expertOf(r);
        const int64_t w = (e * kInter + i) * kHidden;
        double g = static_cast<double>(
                       integerDot(&gateQ[w], &x16[t * xPairWidth], kHidden)) *
                   xScales[t] * gateS[e * rt::panelElements(kInter, 1) + i];
        double u = static_cast<double>(
                       integerDot(&upQ[w], &x16[t * xPairWidth], kHidden)) *
                   xScales[t] * upS[e * rt::panelElements(kInter, 1) + i];
        expected.push_back(static_cast<float>(g / (1.0 + std::exp(-g)) * u));
      }
    }
    expectClose(got, expected, "grouped_gate_up_panel_i16");

    // down over its own int16 rows (padding rows all zero, scale 0).
    std::vector<int32_t> hPairs = randomPairs(rng, rows, kInter, h16);
    std::vector<float> hScales = positiveScales(rng, rows);
    const int64_t hPairWidth = (kInter + 1) / 2 * 2;
    for (int32_t r = 0; r < rows; ++r)
      if (rowToken[r] < 0) {
        hScales[r] = 0.0f;
        std::fill(&h16[r * hPairWidth], &h16[r * hPairWidth] + hPairWidth, 0);
        std::fill(&hPairs[r * hPairWidth / 2],
                  &hPairs[r * hPairWidth / 2] + hPairWidth / 2, 0);
      }
    Buffer<int32_t> hq(hPairs.size());
    Buffer<float> hs(rows);
    fill(hq, hPairs);
    fill(hs, hScales);
    KernelArgs downArgs;
    downArgs.buf(hq)
        .buf(hs)
        .buf(tokenBuf)
        .buf(offsetBuf)
        .buf(down)
        .buf(ds)
        .buf(out)
        .i32(rows);
    // Two 16-column panels per program; H = 41 has 3, so the last
    // program's second panel is clamped (read, not stored).
    suite().run("grouped_down_panel_i16" + suffix, downArgs, programRows,
                static_cast<int32_t>((kHidden + 31) / 32));
    got.clear();
    expected.clear();
    for (int32_t r = 0; r < rows; ++r)
      for (int64_t n = 0; n < kHidden; ++n) {
        got.push_back(out[r * kHidden + n]);
        if (rowToken[r] < 0 || r >= offsets[kExperts]) {
          expected.push_back(0.0f);
          continue;
        }
        const int64_t e = expertOf(r);
        expected.push_back(static_cast<float>(
            static_cast<double>(integerDot(&downQ[(e * kHidden + n) * kInter],
                                           &h16[r * hPairWidth], kInter)) *
            hScales[r] * downS[e * rt::panelElements(kHidden, 1) + n]));
      }
    expectClose(got, expected, "grouped_down_panel_i16");
  }
}

// The routed experts' decode GEMVs: 3 tokens x 2 slots, one slot of
// another rank (-1, weight 0: no weights read, contributes 0); gate_up =
// silu(xs * gs * (q_gate @ x16)) * (xs * us * (q_up @ x16)); down = the
// slots' weighted hs * ds * (q_down @ h16) plus the shared output.
TEST_P(Int16Kernels, ExpertGemvsEqualTheIntegerSums) {
  std::mt19937 rng(26);
  const int32_t tokens = 3, slots = 2;
  const std::vector<int32_t> indices = {2, 0, -1, 1, 1, 2};
  std::vector<float> routeWeights = {0.7f, 0.3f, 0.0f, 1.0f, 0.4f, 0.6f};
  std::vector<int16_t> x16, h16;
  std::vector<int32_t> xPairs = randomPairs(rng, tokens, kHidden, x16);
  std::vector<int32_t> hPairs = randomPairs(rng, tokens * slots, kInter, h16);
  std::vector<float> xScales = positiveScales(rng, tokens);
  std::vector<float> hScales = positiveScales(rng, tokens * slots);
  std::vector<float> shared = randomFloats(rng, tokens * kHidden, 1.0f);
  std::vector<int8_t> gateQ = randomInt8(rng, kExperts * kInter * kHidden),
                      upQ = randomInt8(rng, kExperts * kInter * kHidden),
                      downQ = randomInt8(rng, kExperts * kHidden * kInter);
  const int64_t interPanel = rt::panelElements(kInter, 1),
                hiddenPanel = rt::panelElements(kHidden, 1);
  std::vector<float> gateS(kExperts * interPanel, 0.0f),
      upS(gateS.size(), 0.0f), downS(kExperts * hiddenPanel, 0.0f);
  for (int64_t e = 0; e < kExperts; ++e) {
    std::vector<float> g = positiveScales(rng, kInter),
                       u = positiveScales(rng, kInter),
                       d = positiveScales(rng, kHidden);
    std::copy(g.begin(), g.end(), gateS.begin() + e * interPanel);
    std::copy(u.begin(), u.end(), upS.begin() + e * interPanel);
    std::copy(d.begin(), d.end(), downS.begin() + e * hiddenPanel);
  }
  Buffer<int32_t> xq(xPairs.size()), hq(hPairs.size()), idx(indices.size());
  Buffer<float> xs(tokens), hs(tokens * slots), rw(routeWeights.size()),
      gs(gateS.size()), us(upS.size()), ds(downS.size()),
      sharedBuf(shared.size()), hidden(tokens * slots * kInter, kSentinel),
      out(tokens * kHidden, kSentinel);
  Buffer<int8_t> gate(kExperts * rt::panelElements(kInter, kHidden)),
      up(gate.size()), down(kExperts * rt::panelElements(kHidden, kInter));
  fill(xq, xPairs);
  fill(hq, hPairs);
  fill(idx, indices);
  fill(xs, xScales);
  fill(hs, hScales);
  fill(rw, routeWeights);
  fill(gs, gateS);
  fill(us, upS);
  fill(ds, downS);
  fill(sharedBuf, shared);
  fill(gate, stackedPanels(gateQ, kExperts, kInter, kHidden));
  fill(up, stackedPanels(upQ, kExperts, kInter, kHidden));
  fill(down, stackedPanels(downQ, kExperts, kHidden, kInter));

  KernelArgs gateUpArgs;
  gateUpArgs.buf(xq).buf(xs).buf(idx).buf(gate).buf(gs).buf(up).buf(us).buf(
      hidden);
  suite().run("expert_gate_up", gateUpArgs,
              static_cast<int32_t>((kInter + 15) / 16), slots, tokens);
  std::vector<float> got, expected;
  const int64_t xWidth = (kHidden + 1) / 2 * 2, hWidth = (kInter + 1) / 2 * 2;
  for (int32_t t = 0; t < tokens; ++t)
    for (int32_t s = 0; s < slots; ++s) {
      const int32_t e = indices[t * slots + s];
      for (int64_t i = 0; i < kInter; ++i) {
        got.push_back(hidden[(t * slots + s) * kInter + i]);
        if (e < 0) {
          expected.push_back(0.0f);
          continue;
        }
        const int64_t w = (e * kInter + i) * kHidden;
        double g = static_cast<double>(
                       integerDot(&gateQ[w], &x16[t * xWidth], kHidden)) *
                   xScales[t] * gateS[e * interPanel + i];
        double u = static_cast<double>(
                       integerDot(&upQ[w], &x16[t * xWidth], kHidden)) *
                   xScales[t] * upS[e * interPanel + i];
        expected.push_back(static_cast<float>(g / (1.0 + std::exp(-g)) * u));
      }
    }
  expectClose(got, expected, "expert_gemv_gate_up_panel_i16");

  KernelArgs downArgs;
  downArgs.buf(hq)
      .buf(hs)
      .buf(idx)
      .buf(rw)
      .buf(down)
      .buf(ds)
      .buf(sharedBuf)
      .buf(out);
  suite().run("expert_down", downArgs,
              static_cast<int32_t>((kHidden + 15) / 16), tokens);
  got.clear();
  expected.clear();
  for (int32_t t = 0; t < tokens; ++t)
    for (int64_t n = 0; n < kHidden; ++n) {
      double sum = 0;
      for (int32_t s = 0; s < slots; ++s) {
        const int32_t e = indices[t * slots + s];
        if (e < 0)
          continue;
        const int32_t row = t * slots + s;
        sum +=
            routeWeights[row] *
            (static_cast<double>(integerDot(&downQ[(e * kHidden + n) * kInter],
                                            &h16[row * hWidth], kInter)) *
             hScales[row] * downS[e * hiddenPanel + n]);
      }
      expected.push_back(static_cast<float>(sum + shared[t * kHidden + n]));
      got.push_back(out[t * kHidden + n]);
    }
  expectClose(got, expected, "expert_gemv_down_panel_i16");
}

// The largest products everywhere (127 * 32767, K = 4096): one lane's sum
// over K would wrap an i32 five times over; the flushes every 128 steps
// keep it exact up to f32 rounding.
TEST_P(Int16Kernels, LargestProductsDoNotWrap) {
  const int64_t n = 32, k = 4096;
  std::vector<int8_t> q(n * k, 127);
  for (int64_t i = 0; i < k; ++i)
    q[5 * k + i] = -127; // one negative row
  std::vector<float> scales(n, 1.0f);
  const int32_t pair = static_cast<int32_t>(0x7FFF7FFF);
  std::vector<int32_t> pairs(k / 2, pair);
  std::vector<float> y = gemv("gemv4096", q, scales, n, k, pairs, 1.0f);
  const double exact = 127.0 * 32767.0 * k;
  for (int64_t r = 0; r < n; ++r)
    EXPECT_NEAR(y[r], r == 5 ? -exact : exact, exact * 1e-6) << "row " << r;
}

// The pair end to end: quantize x, multiply; within 1e-4 of max|y| of
// x @ (scale * q)^T in floats (int16 rounding of x: ~1.5e-5 of max|x|).
TEST_P(Int16Kernels, QuantizedGemvApproximatesTheFloatProduct) {
  std::mt19937 rng(23);
  const int64_t k = 131;
  std::vector<int8_t> q = randomInt8(rng, kN * k);
  std::vector<float> scales = positiveScales(rng, kN);
  std::vector<float> xRow = randomFloats(rng, k, 2.0f);
  Buffer<float> x(k), xs(1, kSentinel);
  Buffer<int32_t> xq((k + 1) / 2);
  fill(x, xRow);
  KernelArgs quantize;
  quantize.buf(x).buf(xq).buf(xs).i32(static_cast<int32_t>(k));
  suite().run("quantize131", quantize, 1);
  std::vector<float> y = gemv("gemv131", q, scales, kN, k, xq.vector(), xs[0]);
  std::vector<float> expected(kN);
  double yMax = 0;
  for (int64_t n = 0; n < kN; ++n) {
    double sum = 0;
    for (int64_t i = 0; i < k; ++i)
      sum += static_cast<double>(scales[n]) * q[n * k + i] * xRow[i];
    expected[n] = static_cast<float>(sum);
    yMax = std::max(yMax, std::fabs(sum));
  }
  for (int64_t n = 0; n < kN; ++n)
    EXPECT_NEAR(y[n], expected[n], 1e-4 * yMax) << "row " << n;
}

INSTANTIATE_TEST_SUITE_P(PairDot, Int16Kernels,
                         ::testing::ValuesIn(hostPairDotIsas()),
                         [](const auto &info) { return info.param; });

} // namespace
} // namespace dsv2::test
