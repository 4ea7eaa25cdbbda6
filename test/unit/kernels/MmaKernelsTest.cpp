//===- MmaKernelsTest.cpp - GEMMs on tensor cores, under the emulator -----===//
//
// Emulated GPU build only. The linear and batched_linear kernels with bf16
// weights and bf16 activations (the GPU engines' policy for bf16 weights)
// run their dots as mma.sync m16n8k16: the SIMT emulator computes each
// warp's product from the 32 lanes' fragments exactly as the PTX ISA lays
// them out, so a wrong fragment layout in the generator fails here (ctest
// Emulated.BadMmaLayoutFailsTheMmaTests injects one). m = 37 and K = 130
// leave partial 16-row and 32-deep blocks.
//
//===----------------------------------------------------------------------===//

#include "test/unit/kernels/KernelHarness.h"

#include "dialect/dsv2/reference/Linear.h"
#include "runtime/io/Bf16.h"

namespace dsv2::test {
namespace {

namespace ref = ::dsv2::reference;

constexpr float kSentinel = -12345.0f;
constexpr int64_t kN = 104, kK = 130;

mlir::dsv2::KernelParams mmaParams(int64_t n, int64_t k) {
  return {{"W", "bf16"}, {"N", std::to_string(n)}, {"K", std::to_string(k)},
          {"BM", "32"},  {"BN", "16"},             {"BK", "32"}};
}

/// x rounded to bf16, as the kernel feeds it to the tensor cores.
std::vector<float> roundedToBf16(const std::vector<float> &x) {
  std::vector<float> rounded(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    rounded[i] = runtime::bf16ToFloat32(runtime::float32ToBf16(x[i]));
  return rounded;
}

class MmaKernels : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    suite = new KernelSuite;
    suite->bf16Activations = true;
    suite->add("linear_mma", "linear", mmaParams(kN, kK));
    suite->compile("mma_kernels");
  }
  static void TearDownTestSuite() {
    delete suite;
    suite = nullptr;
  }
  void SetUp() override { ASSERT_EQ(suite->error, ""); }
  static KernelSuite *suite;
};
KernelSuite *MmaKernels::suite = nullptr;

TEST_F(MmaKernels, LinearWithBf16ActivationsMatchesTheReference) {
  std::mt19937 rng(41);
  const int32_t m = 37, xStride = 136, yStride = 112;
  std::vector<float> xAll = randomFloats(rng, m * xStride, 1.0f);
  std::vector<float> wF;
  std::vector<uint16_t> wBits = randomBf16(rng, kN * kK, 0.5f, wF);
  Buffer<float> x(xAll.size()), y(m * yStride, kSentinel);
  Buffer<uint16_t> w(wBits.size());
  std::copy(xAll.begin(), xAll.end(), x.data());
  std::copy(wBits.begin(), wBits.end(), w.data());

  KernelArgs args;
  args.buf(x).buf(w).buf(y).i32(m).i32(xStride).i32(yStride);
  suite->run("linear_mma", args, (m + 31) / 32,
             static_cast<int32_t>((kN + 15) / 16));

  std::vector<float> packed(m * kK), expected(m * kN), got(m * kN);
  for (int32_t i = 0; i < m; ++i) {
    for (int64_t k = 0; k < kK; ++k)
      packed[i * kK + k] = xAll[i * xStride + k];
    for (int64_t j = 0; j < kN; ++j)
      got[i * kN + j] = y[i * yStride + j];
  }
  ref::linear(roundedToBf16(packed).data(), wF.data(), m, kK, kN,
              expected.data());
  expectClose(got, expected, "linear on mma.sync");
  for (int32_t i = 0; i < m; ++i)
    for (int64_t j = kN; j < yStride; ++j)
      ASSERT_EQ(y[i * yStride + j], kSentinel) << "row " << i << " col " << j;
}

} // namespace
} // namespace dsv2::test
