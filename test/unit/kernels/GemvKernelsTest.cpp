//===- GemvKernelsTest.cpp - decode GEMV kernels against the reference ---===//
//
// gemv and gemv_panel (f32 and bf16 weights at N = 100, K = 130: no
// multiple of BN 4 or BK 16, nor of 16-column panels or 4 K steps; batched in the per-head layout of the absorbed MLA; DeepSeek-V2's
// q_a_proj width 1536 x 5120) against reference::linear, with sentinels
// after every output row. expert_gemv_gate_up and expert_gemv_down (tiny
// experts with unaligned H and I, several tokens; DeepSeek-V2-Lite's widths
// H = 2048, I = 1408, top-6) against reference::moeGate + linear +
// moeFused, with and without the shared experts.
//
//===----------------------------------------------------------------------===//

#include "test/unit/kernels/KernelHarness.h"

#include "dialect/dsv2/reference/Linear.h"
#include "dialect/dsv2/reference/Mlp.h"
#include "dialect/dsv2/reference/MoeDispatch.h"
#include "dialect/dsv2/reference/MoeGate.h"
#include "runtime/io/WeightPanels.h"

#include <cmath>

namespace dsv2::test {
namespace {

namespace ref = ::dsv2::reference;

constexpr float kSentinel = -12345.0f;
constexpr int64_t kN = 100, kK = 130;
constexpr int64_t kHeads = 3, kBatchN = 48, kBatchK = 24, kRope = 12;
constexpr int64_t kWideN = 1536, kWideK = 5120;

// The tiles of chooseGemvTiles (passes/kernel_formation/TileHeuristics.h):
// on the SIMT emulator the GPU's, BK up to 256 (runs of 4 weights per
// thread, masked tails of whole runs); else the CPU's 16.
#if DSV2_KERNEL_TESTS_EMULATED
constexpr int64_t kGemvMaxBk = 256;
#else
constexpr int64_t kGemvMaxBk = 16;
#endif
int64_t gemvBn(int64_t n) { return std::min<int64_t>(4, nextPowerOfTwo(n)); }
int64_t gemvBk(int64_t k) {
  return std::min<int64_t>(kGemvMaxBk, nextPowerOfTwo(k));
}

mlir::dsv2::KernelParams gemvParams(const char *w, int64_t n, int64_t k,
                                    int64_t batch) {
  return {{"W", w},
          {"N", std::to_string(n)},
          {"K", std::to_string(k)},
          {"BATCH", std::to_string(batch)},
          {"BN", std::to_string(gemvBn(n))},
          {"BK", std::to_string(gemvBk(k))}};
}

struct ExpertShape {
  const char *label;
  int64_t experts, topK, hidden, inter;
};
const ExpertShape kTinyExperts{"tiny", 10, 3, 40, 24};
const ExpertShape kLiteExperts{"lite", 8, 6, 2048, 1408};

/// The expert GEMVs at `s`: over [N, K] rows (gemv tiles), or `panels`:
/// the CPU's forms over the experts' weight panels (one 16-column panel per
/// program, 2 (gate/up) and 4 (down) panel rows per K iteration), named
/// "<label>_panel_...".
void addExperts(KernelSuite &suite, const ExpertShape &s, bool panels = false) {
  const std::string prefix = std::string(s.label) + (panels ? "_panel" : "");
  const std::string suffix = panels ? "_panel" : "";
  const std::string panel = std::to_string(runtime::kWeightPanelColumns);
  suite.add(prefix + "_gate_up", "expert_gemv_gate_up" + suffix,
            {{"W", "bf16"},
             {"E", std::to_string(s.experts)},
             {"H", std::to_string(s.hidden)},
             {"I", std::to_string(s.inter)},
             {"K", std::to_string(s.topK)},
             {"BN", panels ? panel : std::to_string(gemvBn(s.inter))},
             {"BK", panels ? "2" : std::to_string(gemvBk(s.hidden))}});
  for (int shared : {0, 1})
    suite.add(prefix + "_down" + std::to_string(shared),
              "expert_gemv_down" + suffix,
              {{"W", "bf16"},
               {"E", std::to_string(s.experts)},
               {"H", std::to_string(s.hidden)},
               {"I", std::to_string(s.inter)},
               {"K", std::to_string(s.topK)},
               {"BN", panels ? panel : std::to_string(gemvBn(s.hidden))},
               {"BK", panels ? "4" : std::to_string(gemvBk(s.inter))},
               {"HAS_SHARED", std::to_string(shared)}});
}

class GemvKernels : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    suite = new KernelSuite;
    suite->add("gemv_f32", "gemv", gemvParams("f32", kN, kK, 1));
    suite->add("gemv_bf16", "gemv", gemvParams("bf16", kN, kK, 1));
    suite->add("gemv_batched", "gemv",
               gemvParams("bf16", kBatchN, kBatchK, kHeads));
    suite->add("gemv_wide", "gemv", gemvParams("bf16", kWideN, kWideK, 1));
#if !DSV2_KERNEL_TESTS_EMULATED
    for (const char *w : {"f32", "bf16"})
      suite->add(std::string("gemv_panel_") + w, "gemv_panel",
                 {{"W", w},
                  {"N", std::to_string(kN)},
                  {"K", std::to_string(kK)},
                  {"BN", std::to_string(runtime::kWeightPanelColumns)},
                  {"P", "2"},
                  {"BK", "4"}});
#endif
    addExperts(*suite, kTinyExperts);
    addExperts(*suite, kLiteExperts);
#if !DSV2_KERNEL_TESTS_EMULATED
    addExperts(*suite, kTinyExperts, /*panels=*/true);
    addExperts(*suite, kLiteExperts, /*panels=*/true);
#endif
    suite->compile("gemv_kernels");
  }
  static void TearDownTestSuite() {
    delete suite;
    suite = nullptr;
  }
  void SetUp() override { ASSERT_EQ(suite->error, ""); }
  static KernelSuite *suite;

  /// `panels`: the *_panel kernels over the experts' weight panels.
  static void checkExperts(const ExpertShape &s, int32_t tokens,
                           uint32_t seed, bool panels = false);
};
KernelSuite *GemvKernels::suite = nullptr;

/// Runs `<kernel>_f32` and `<kernel>_bf16` over `programs` programs at N =
/// 100, K = 130 and compares with the reference; y past N must stay
/// untouched. `panels`: the kernel reads w in column panels and takes no
/// batch strides.
void checkGemv(KernelSuite &suite, const std::string &kernel,
               int32_t programs, bool panels, uint32_t seed) {
  std::mt19937 rng(seed);
  for (bool bf16 : {false, true}) {
    SCOPED_TRACE(bf16 ? "bf16 weights" : "f32 weights");
    std::vector<float> xv = randomFloats(rng, kK, 1.0f);
    std::vector<float> wF;
    std::vector<uint16_t> wBits = randomBf16(rng, kN * kK, 0.5f, wF);
    if (!bf16)
      wF = randomFloats(rng, kN * kK, 0.5f);
    std::vector<float> laidF =
        panels ? runtime::toWeightPanels(wF.data(), kN, kK) : wF;
    std::vector<uint16_t> laidBits =
        panels ? runtime::toWeightPanels(wBits.data(), kN, kK) : wBits;
    // y has room past N: the kernel must not write there.
    Buffer<float> x(kK), y(kN + 7, kSentinel), wf(laidF.size());
    Buffer<uint16_t> wb(laidBits.size());
    std::copy(xv.begin(), xv.end(), x.data());
    fill(wf, laidF);
    fill(wb, laidBits);
    KernelArgs args;
    args.buf(x)
        .ptr(bf16 ? static_cast<void *>(wb.data())
                  : static_cast<void *>(wf.data()))
        .buf(y);
    if (!panels)
      args.i32(0).i32(0);
    suite.run(kernel + (bf16 ? "_bf16" : "_f32"), args, programs);
    std::vector<float> expected(kN), got(y.data(), y.data() + kN);
    ref::linear(xv.data(), wF.data(), 1, kK, kN, expected.data());
    expectClose(got, expected, kernel + (bf16 ? " bf16 w" : " f32 w"));
    for (int64_t j = kN; j < kN + 7; ++j)
      ASSERT_EQ(y[j], kSentinel) << "col " << j;
  }
}

TEST_F(GemvKernels, GemvAtUnalignedSizes) {
  checkGemv(*suite, "gemv",
            static_cast<int32_t>((kN + gemvBn(kN) - 1) / gemvBn(kN)),
            /*panels=*/false, 21);
}

#if !DSV2_KERNEL_TESTS_EMULATED
// The CPU's GEMV over column panels: 7 panels (the last 4 columns wide), 2
// per program (the last program's second one clamped, not stored), K = 32
// steps of 4 and a masked tail of 2.
TEST_F(GemvKernels, PanelGemvAtUnalignedSizes) {
  checkGemv(*suite, "gemv_panel", static_cast<int32_t>((kN + 31) / 32),
            /*panels=*/true, 24);
}
#endif

TEST_F(GemvKernels, BatchedGemvPerHead) {
  std::mt19937 rng(22);
  // x: one token's [heads, nope + rope] row; y: [heads, N + rope].
  const int32_t xBatchStride = kBatchK + kRope, yBatchStride = kBatchN + kRope;
  std::vector<float> xv = randomFloats(rng, kHeads * xBatchStride, 1.0f);
  std::vector<float> wF;
  std::vector<uint16_t> wBits =
      randomBf16(rng, kHeads * kBatchN * kBatchK, 0.5f, wF);
  Buffer<float> x(xv.size()), y(kHeads * yBatchStride, kSentinel);
  Buffer<uint16_t> w(wBits.size());
  std::copy(xv.begin(), xv.end(), x.data());
  std::copy(wBits.begin(), wBits.end(), w.data());
  KernelArgs args;
  args.buf(x).buf(w).buf(y).i32(xBatchStride).i32(yBatchStride);
  suite->run("gemv_batched", args,
             static_cast<int32_t>((kBatchN + gemvBn(kBatchN) - 1) /
                                  gemvBn(kBatchN)),
             kHeads);
  for (int64_t b = 0; b < kHeads; ++b) {
    std::vector<float> expected(kBatchN);
    std::vector<float> got(y.data() + b * yBatchStride,
                           y.data() + b * yBatchStride + kBatchN);
    ref::linear(xv.data() + b * xBatchStride, wF.data() + b * kBatchN * kBatchK,
                1, kBatchK, kBatchN, expected.data());
    expectClose(got, expected, "batched gemv head " + std::to_string(b));
    for (int64_t j = kBatchN; j < yBatchStride; ++j)
      ASSERT_EQ(y[b * yBatchStride + j], kSentinel)
          << "head " << b << " col " << j;
  }
}

TEST_F(GemvKernels, GemvAtDeepSeekV2Width) {
  std::mt19937 rng(23);
  std::vector<float> xv = randomFloats(rng, kWideK, 1.0f);
  std::vector<float> wF;
  std::vector<uint16_t> wBits = randomBf16(rng, kWideN * kWideK, 0.05f, wF);
  Buffer<float> x(kWideK), y(kWideN, kSentinel);
  Buffer<uint16_t> w(wBits.size());
  std::copy(xv.begin(), xv.end(), x.data());
  std::copy(wBits.begin(), wBits.end(), w.data());
  KernelArgs args;
  args.buf(x).buf(w).buf(y).i32(0).i32(0);
  suite->run("gemv_wide", args, static_cast<int32_t>(kWideN / gemvBn(kWideN)));
  std::vector<float> expected(kWideN);
  ref::linear(xv.data(), wF.data(), 1, kWideK, kWideN, expected.data());
  double worst = expectClose(y.vector(), expected, "gemv 1536 x 5120");
  EXPECT_LT(worst, 1e-5);
}

void GemvKernels::checkExperts(const ExpertShape &s, int32_t tokens,
                               uint32_t seed, bool panels) {
  SCOPED_TRACE(s.label);
  SCOPED_TRACE(panels ? "weight panels" : "[N, K] weights");
  const std::string prefix = std::string(s.label) + (panels ? "_panel" : "");
  std::mt19937 rng(seed);
  const int64_t E = s.experts, K = s.topK, H = s.hidden, I = s.inter;
  ref::MoeGateParams p{E, K, 1, 1, ref::TopkMethod::Greedy, 1.0,
                       /*norm=*/true};
  std::vector<float> x = randomFloats(rng, tokens * H, 1.0f);
  const float range = 1.0f / std::sqrt(static_cast<float>(H));
  std::vector<float> gateWeight = randomFloats(rng, E * H, range);
  std::vector<float> gateF, upF, downF;
  std::vector<uint16_t> gateB = randomBf16(rng, E * I * H, range, gateF);
  std::vector<uint16_t> upB = randomBf16(rng, E * I * H, range, upF);
  std::vector<uint16_t> downB = randomBf16(rng, E * H * I, range, downF);
  std::vector<float> sharedGate = randomFloats(rng, I * H, range);
  std::vector<float> sharedUp = randomFloats(rng, I * H, range);
  std::vector<float> sharedDown = randomFloats(rng, H * I, range);

  // Routing from the reference (moe_route is tested in MoeKernelsTest).
  ASSERT_GT(ref::routingMargin(x.data(), gateWeight.data(), tokens, H, p),
            1e-6);
  std::vector<float> weights(tokens * K);
  std::vector<int32_t> indices(tokens * K);
  ref::moeGate(x.data(), gateWeight.data(), tokens, H, p, weights.data(),
               indices.data());

  Buffer<float> xBuf(x.size()), wBuf(weights.size()),
      hidden(tokens * K * I + 5, kSentinel);
  Buffer<int32_t> idx(indices.size());
  if (panels) {
    gateB = stackedPanels(gateB, E, I, H);
    upB = stackedPanels(upB, E, I, H);
    downB = stackedPanels(downB, E, H, I);
  }
  Buffer<uint16_t> gate(gateB.size()), up(upB.size()), down(downB.size());
  std::copy(x.begin(), x.end(), xBuf.data());
  std::copy(weights.begin(), weights.end(), wBuf.data());
  std::copy(indices.begin(), indices.end(), idx.data());
  fill(gate, gateB);
  fill(up, upB);
  fill(down, downB);
  // Output columns per program: a panel, or gemv's BN rows.
  const int64_t upColumns = panels ? runtime::kWeightPanelColumns : gemvBn(I);
  const int64_t downColumns =
      panels ? runtime::kWeightPanelColumns : gemvBn(H);

  // expert_gemv_gate_up: out[t, s] = silu(gate_e x_t) * (up_e x_t).
  KernelArgs gateUpArgs;
  gateUpArgs.buf(xBuf).buf(idx).buf(gate).buf(up).buf(hidden);
  suite->run(prefix + "_gate_up", gateUpArgs,
             static_cast<int32_t>((I + upColumns - 1) / upColumns),
             static_cast<int32_t>(K), tokens);
  std::vector<float> expectedHidden(tokens * K * I);
  for (int32_t t = 0; t < tokens; ++t)
    for (int64_t k = 0; k < K; ++k) {
      int64_t e = indices[t * K + k];
      std::vector<float> g(I), u(I);
      ref::linear(x.data() + t * H, gateF.data() + e * I * H, 1, H, I,
                  g.data());
      ref::linear(x.data() + t * H, upF.data() + e * I * H, 1, H, I, u.data());
      for (int64_t i = 0; i < I; ++i) {
        double z = g[i];
        expectedHidden[(t * K + k) * I + i] =
            static_cast<float>(z / (1.0 + std::exp(-z)) * u[i]);
      }
    }
  std::vector<float> gotHidden(hidden.data(), hidden.data() + tokens * K * I);
  expectClose(gotHidden, expectedHidden, "expert_gemv_gate_up");
  for (int64_t j = tokens * K * I; j < tokens * K * I + 5; ++j)
    ASSERT_EQ(hidden[j], kSentinel) << "past the last row, " << j;

  // expert_gemv_down on the kernel's hidden rows, combined.
  std::vector<float> sharedOut(tokens * H);
  ref::mlp(x.data(), sharedGate.data(), sharedUp.data(), sharedDown.data(),
           tokens, H, I, sharedOut.data());
  Buffer<float> shared(sharedOut.size());
  std::copy(sharedOut.begin(), sharedOut.end(), shared.data());
  for (int hasShared : {0, 1}) {
    Buffer<float> out(tokens * H, kSentinel);
    KernelArgs downArgs;
    downArgs.buf(hidden).buf(idx).buf(wBuf).buf(down)
        .ptr(hasShared ? static_cast<void *>(shared.data()) : nullptr)
        .buf(out);
    suite->run(prefix + "_down" + std::to_string(hasShared), downArgs,
               static_cast<int32_t>((H + downColumns - 1) / downColumns),
               tokens);
    std::vector<float> expected(tokens * H);
    for (int32_t t = 0; t < tokens; ++t) {
      std::vector<double> sum(H, 0.0);
      for (int64_t k = 0; k < K; ++k) {
        std::vector<float> o(H);
        ref::linear(hidden.data() + (t * K + k) * I,
                    downF.data() + indices[t * K + k] * H * I, 1, I, H,
                    o.data());
        for (int64_t h = 0; h < H; ++h)
          sum[h] += double(weights[t * K + k]) * o[h];
      }
      for (int64_t h = 0; h < H; ++h)
        expected[t * H + h] = static_cast<float>(
            sum[h] + (hasShared ? sharedOut[t * H + h] : 0.0));
    }
    expectClose(out.vector(), expected,
                "expert_gemv_down HAS_SHARED=" + std::to_string(hasShared));
    if (hasShared) {
      ref::ExpertWeights sharedWeights{sharedGate.data(), sharedUp.data(),
                                       sharedDown.data()};
      std::vector<float> fused(tokens * H);
      ref::moeFused(x.data(), tokens, H, I, gateWeight.data(), p, gateF.data(),
                    upF.data(), downF.data(), &sharedWeights, I, 16,
                    fused.data());
      expectClose(out.vector(), fused, "expert gemv chain vs moeFused");
    }
  }
}

TEST_F(GemvKernels, ExpertGemvsMatchMoeFusedAtUnalignedSizes) {
  checkExperts(kTinyExperts, 5, 31);
}

TEST_F(GemvKernels, ExpertGemvsMatchMoeFusedAtLiteWidths) {
  checkExperts(kLiteExperts, 1, 32);
}

#if !DSV2_KERNEL_TESTS_EMULATED
TEST_F(GemvKernels, PanelExpertGemvsMatchMoeFusedAtUnalignedSizes) {
  checkExperts(kTinyExperts, 5, 31, /*panels=*/true);
}

TEST_F(GemvKernels, PanelExpertGemvsMatchMoeFusedAtLiteWidths) {
  checkExperts(kLiteExperts, 1, 32, /*panels=*/true);
}
#endif

} // namespace
} // namespace dsv2::test
