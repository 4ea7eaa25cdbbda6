//===- GemmKernelsTest.cpp - linear / batched_linear against the reference -===//
//
// m = 37, N = 100, K = 130 (no multiple of BM 8, BN 32, BK 16, nor of the
// CPU's linear_panel: 6 rows x 16-column panels), f32 and bf16 weights, strided activation rows; batched_linear in
// the per-head layout of the absorbed MLA (q_nope @ W_UK).
//
//===----------------------------------------------------------------------===//

#include "test/unit/kernels/KernelHarness.h"

#include "dialect/dsv2/reference/Linear.h"
#include "runtime/io/WeightPanels.h"

#include <cmath>

namespace dsv2::test {
namespace {

namespace ref = ::dsv2::reference;
namespace rt = ::dsv2::runtime;

constexpr float kSentinel = -12345.0f;
constexpr int64_t kN = 100, kK = 130;
// batched: BATCH heads of [N = C, K = nope] inside rows of [heads, nope + rope].
constexpr int64_t kHeads = 3, kBatchN = 48, kBatchK = 24, kRope = 12;

mlir::dsv2::KernelParams gemmParams(const char *w, int64_t n, int64_t k) {
  return {{"W", w},
          {"N", std::to_string(n)},
          {"K", std::to_string(k)},
          {"BM", "8"},
          {"BN", std::to_string(std::min<int64_t>(32, nextPowerOfTwo(n)))},
          {"BK", std::to_string(std::min<int64_t>(16, nextPowerOfTwo(k)))}};
}

#if !DSV2_KERNEL_TESTS_EMULATED
// 37 rows: 7 row blocks of 6 (10 of 4, the batched decode's form; 5 of 8)
// in groups of 3; 7 panels, the last one 4 columns wide, one or two per
// program (AVX-512's form: the last program's second panel is clamped).
mlir::dsv2::KernelParams panelParams(const char *w, int64_t rows,
                                     int64_t panels = 1) {
  return {{"W", w},
          {"N", std::to_string(kN)},
          {"K", std::to_string(kK)},
          {"BM", std::to_string(rows)},
          {"BN", std::to_string(rt::kWeightPanelColumns)},
          {"P", std::to_string(panels)},
          {"GROUP", "3"}};
}
#endif

class GemmKernels : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    suite = new KernelSuite;
    suite->add("linear_f32", "linear", gemmParams("f32", kN, kK));
    suite->add("linear_bf16", "linear", gemmParams("bf16", kN, kK));
#if !DSV2_KERNEL_TESTS_EMULATED
    // The CPU form, over weight panels.
    suite->add("linear_panel_f32", "linear_panel", panelParams("f32", 6));
    suite->add("linear_panel_bf16", "linear_panel", panelParams("bf16", 6));
    suite->add("linear_panel4_f32", "linear_panel", panelParams("f32", 4));
    suite->add("linear_panel4_bf16", "linear_panel", panelParams("bf16", 4));
    suite->add("linear_panel_i8", "linear_panel", panelParams("i8", 6));
    for (const char *w : {"f32", "bf16", "i8"}) {
      suite->add(std::string("linear_panel2x8_") + w, "linear_panel",
                 panelParams(w, 8, 2));
      suite->add(std::string("linear_panel2x4_") + w, "linear_panel",
                 panelParams(w, 4, 2));
    }
#endif
    mlir::dsv2::KernelParams batched = gemmParams("bf16", kBatchN, kBatchK);
    batched["BATCH"] = std::to_string(kHeads);
    suite->add("batched_linear", "batched_linear", batched);
    suite->compile("gemm_kernels");
  }
  static void TearDownTestSuite() {
    delete suite;
    suite = nullptr;
  }
  void SetUp() override { ASSERT_EQ(suite->error, ""); }
  static KernelSuite *suite;
};
KernelSuite *GemmKernels::suite = nullptr;

/// y (m rows, yStride apart) against the reference x @ w^T (x: m rows
/// xStride apart, w: [N, K] row-major); columns past N must still hold the
/// sentinel.
void expectLinearOutput(const std::vector<float> &xAll, int32_t xStride,
                        const std::vector<float> &w, const Buffer<float> &y,
                        int32_t yStride, int32_t m, const char *label) {
  std::vector<float> packed(m * kK), expected(m * kN), got(m * kN);
  for (int32_t i = 0; i < m; ++i) {
    for (int64_t k = 0; k < kK; ++k)
      packed[i * kK + k] = xAll[i * xStride + k];
    for (int64_t j = 0; j < kN; ++j)
      got[i * kN + j] = y[i * yStride + j];
  }
  ref::linear(packed.data(), w.data(), m, kK, kN, expected.data());
  expectClose(got, expected, label);
  for (int32_t i = 0; i < m; ++i)
    for (int64_t j = kN; j < yStride; ++j)
      ASSERT_EQ(y[i * yStride + j], kSentinel) << "row " << i << " col " << j;
}

/// Runs `<kernel>_f32` and `<kernel>_bf16` (BM x BN blocks) on m = 37 rows
/// and compares with the reference; columns past N must stay untouched.
/// `panels`: the kernel reads W in column panels (runtime/io/WeightPanels.h).
void checkLinear(KernelSuite &suite, const std::string &kernel, int32_t bm,
                 int32_t bn, bool panels = false) {
  std::mt19937 rng(11);
  const int32_t m = 37, xStride = 136, yStride = 104;
  for (bool bf16 : {false, true}) {
    SCOPED_TRACE(bf16 ? "bf16 weights" : "f32 weights");
    std::vector<float> xAll = randomFloats(rng, m * xStride, 1.0f);
    std::vector<float> wF;
    std::vector<uint16_t> wBits = randomBf16(rng, kN * kK, 0.5f, wF);
    if (!bf16)
      wF = randomFloats(rng, kN * kK, 0.5f);
    std::vector<float> wLaidF =
        panels ? rt::toWeightPanels(wF.data(), kN, kK) : wF;
    std::vector<uint16_t> wLaidBits =
        panels ? rt::toWeightPanels(wBits.data(), kN, kK) : wBits;
    Buffer<float> x(xAll.size()), y(m * yStride, kSentinel), wf(wLaidF.size());
    Buffer<uint16_t> wb(wLaidBits.size());
    std::copy(xAll.begin(), xAll.end(), x.data());
    std::copy(wLaidF.begin(), wLaidF.end(), wf.data());
    std::copy(wLaidBits.begin(), wLaidBits.end(), wb.data());

    KernelArgs args;
    args.buf(x)
        .ptr(bf16 ? static_cast<void *>(wb.data())
                  : static_cast<void *>(wf.data()))
        .buf(y)
        .i32(m)
        .i32(xStride)
        .i32(yStride);
    suite.run(kernel + (bf16 ? "_bf16" : "_f32"), args, (m + bm - 1) / bm,
              static_cast<int32_t>((kN + bn - 1) / bn));

    expectLinearOutput(xAll, xStride, wF, y, yStride, m,
                       bf16 ? "linear bf16 w" : "linear f32 w");
  }
}

TEST_F(GemmKernels, LinearAtUnalignedSizes) { checkLinear(*suite, "linear", 8, 32); }

#if !DSV2_KERNEL_TESTS_EMULATED
TEST_F(GemmKernels, PanelLinearAtUnalignedSizes) {
  checkLinear(*suite, "linear_panel", 6, rt::kWeightPanelColumns,
              /*panels=*/true);
  checkLinear(*suite, "linear_panel4", 4, rt::kWeightPanelColumns,
              /*panels=*/true);
  checkLinear(*suite, "linear_panel2x8", 8, 2 * rt::kWeightPanelColumns,
              /*panels=*/true);
  checkLinear(*suite, "linear_panel2x4", 4, 2 * rt::kWeightPanelColumns,
              /*panels=*/true);
}

// Int8 weights (--quantize int8): q in panels, one f32 scale per output row
// (padded to whole panels); y = x @ (scale * q)^T.
TEST_F(GemmKernels, PanelLinearInt8AtUnalignedSizes) {
  std::mt19937 rng(5);
  const int32_t m = 37, xStride = 136, yStride = 104;
  std::uniform_int_distribution<int> quantized(-127, 127);
  std::vector<int8_t> q(kN * kK);
  for (int8_t &value : q)
    value = static_cast<int8_t>(quantized(rng));
  std::vector<float> scales = randomFloats(rng, kN, 0.01f), w(kN * kK);
  for (int64_t r = 0; r < kN; ++r) {
    scales[r] = std::fabs(scales[r]) + 1e-3f;
    for (int64_t c = 0; c < kK; ++c)
      w[r * kK + c] = scales[r] * q[r * kK + c];
  }
  std::vector<int8_t> laid = rt::toWeightPanels(q.data(), kN, kK);
  std::vector<float> xAll = randomFloats(rng, m * xStride, 1.0f);
  Buffer<float> x(xAll.size()), y(m * yStride, kSentinel);
  Buffer<int8_t> wq(laid.size());
  Buffer<float> ws(rt::panelElements(kN, 1), 0.0f);
  std::copy(xAll.begin(), xAll.end(), x.data());
  std::copy(laid.begin(), laid.end(), wq.data());
  std::copy(scales.begin(), scales.end(), ws.data());
  KernelArgs args;
  args.buf(x).buf(wq).buf(ws).buf(y).i32(m).i32(xStride).i32(yStride);
  struct Form {
    const char *kernel;
    int32_t rows, columns;
  };
  const int32_t panel = static_cast<int32_t>(rt::kWeightPanelColumns);
  for (const Form &form : {Form{"linear_panel_i8", 6, panel},
                           Form{"linear_panel2x8_i8", 8, 2 * panel},
                           Form{"linear_panel2x4_i8", 4, 2 * panel}}) {
    SCOPED_TRACE(form.kernel);
    std::fill(y.data(), y.data() + m * yStride, kSentinel);
    suite->run(form.kernel, args, (m + form.rows - 1) / form.rows,
               (static_cast<int32_t>(kN) + form.columns - 1) / form.columns);
    expectLinearOutput(xAll, xStride, w, y, yStride, m, "linear int8 w");
  }
}

// The panel layout itself: W row r, column c at panel r / 16, K step c,
// lane r % 16; the padding lanes of the last panel are zeros.
TEST(WeightPanels, LayoutAndPadding) {
  const int64_t n = 18, k = 3;
  std::vector<float> w(n * k);
  for (int64_t i = 0; i < n * k; ++i)
    w[i] = static_cast<float>(i + 1);
  std::vector<float> panels = rt::toWeightPanels(w.data(), n, k);
  ASSERT_EQ(static_cast<int64_t>(panels.size()), rt::panelElements(n, k));
  ASSERT_EQ(rt::panelElements(n, k), 2 * 16 * k);
  for (int64_t r = 0; r < 32; ++r)
    for (int64_t c = 0; c < k; ++c) {
      float got = panels[(r / 16 * k + c) * 16 + r % 16];
      EXPECT_EQ(got, r < n ? w[r * k + c] : 0.0f) << "row " << r << " col " << c;
    }
}
#endif

TEST_F(GemmKernels, BatchedLinearPerHead) {
  std::mt19937 rng(12);
  const int32_t m = 11;
  const int32_t xBatchStride = kBatchK + kRope, xRowStride = kHeads * xBatchStride;
  const int32_t yBatchStride = kBatchN + kRope, yRowStride = kHeads * yBatchStride;
  std::vector<float> xAll = randomFloats(rng, m * xRowStride, 1.0f);
  std::vector<float> wF;
  std::vector<uint16_t> wBits =
      randomBf16(rng, kHeads * kBatchN * kBatchK, 0.5f, wF);
  Buffer<float> x(xAll.size()), y(m * yRowStride, kSentinel);
  Buffer<uint16_t> w(wBits.size());
  std::copy(xAll.begin(), xAll.end(), x.data());
  std::copy(wBits.begin(), wBits.end(), w.data());

  KernelArgs args;
  args.buf(x).buf(w).buf(y).i32(m).i32(xRowStride).i32(xBatchStride)
      .i32(yRowStride).i32(yBatchStride);
  suite->run("batched_linear", args, (m + 7) / 8,
             static_cast<int32_t>((kBatchN + 31) / 32), kHeads);

  for (int64_t b = 0; b < kHeads; ++b) {
    std::vector<float> packed(m * kBatchK), expected(m * kBatchN),
        got(m * kBatchN);
    for (int32_t i = 0; i < m; ++i) {
      for (int64_t k = 0; k < kBatchK; ++k)
        packed[i * kBatchK + k] = xAll[i * xRowStride + b * xBatchStride + k];
      for (int64_t j = 0; j < kBatchN; ++j)
        got[i * kBatchN + j] = y[i * yRowStride + b * yBatchStride + j];
    }
    ref::linear(packed.data(), wF.data() + b * kBatchN * kBatchK, m, kBatchK,
                kBatchN, expected.data());
    expectClose(got, expected, "batched_linear head " + std::to_string(b));
  }
  for (int32_t i = 0; i < m; ++i)
    for (int64_t b = 0; b < kHeads; ++b)
      for (int64_t j = kBatchN; j < yBatchStride; ++j)
        ASSERT_EQ(y[i * yRowStride + b * yBatchStride + j], kSentinel)
            << "row " << i << " head " << b << " col " << j;
}

} // namespace
} // namespace dsv2::test
