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

/// One K loop over x [32, 64] and w [64, 32] (bf16, row-major; B not
/// transposed) carrying three accumulators, each from the loaded c [32, 32]:
///   y: a = a + x_k @ w_k          only the dot's C: carried as mma
///                                 fragments (the loaded c converted into
///                                 them once)
///   z: b = b * r[row] + x_k @ w_k the attention's rescaling: the mulf reads
///                                 the fragments and the row factor r
///                                 (loaded, broadcast in the loop) gathered
///                                 at their rows; the broadcast is skipped
///   u: d = 0.5 (d + x_k @ w_k)    the dot's result is read before the
///                                 yield: block layout, C staged every step
const char *kCarriedAccumulatorKernel = R"mlir(
module {
  func.func @carried_accumulators(%x: !tile.ptr<bf16>, %w: !tile.ptr<bf16>,
      %c: !tile.ptr<f32>, %r: !tile.ptr<f32>, %y: !tile.ptr<f32>,
      %z: !tile.ptr<f32>, %u: !tile.ptr<f32>) attributes {
      tile.kernel = #tile.kernel<grid = ()[s0] -> (1, 1, 1),
                                 grid_symbols = ["blocks"], block = [32, 32, 16]>} {
    %c0 = arith.constant 0 : i32
    %c16 = arith.constant 16 : i32
    %c32 = arith.constant 32 : i32
    %c64 = arith.constant 64 : i32
    %r16 = tile.range <0, 16> : tensor<16xi32>
    %r32 = tile.range <0, 32> : tensor<32xi32>
    %rowsX = tile.expand_dims %r32 axis 1 : tensor<32xi32> -> tensor<32x1xi32>
    %colsK = tile.expand_dims %r16 axis 0 : tensor<16xi32> -> tensor<1x16xi32>
    %rowsK = tile.expand_dims %r16 axis 1 : tensor<16xi32> -> tensor<16x1xi32>
    %cols = tile.expand_dims %r32 axis 0 : tensor<32xi32> -> tensor<1x32xi32>
    %s64 = arith.constant dense<64> : tensor<32x1xi32>
    %s32k = arith.constant dense<32> : tensor<16x1xi32>
    %s32 = arith.constant dense<32> : tensor<32x1xi32>
    %xRow = arith.muli %rowsX, %s64 : tensor<32x1xi32>
    %xRowB = tile.broadcast %xRow : tensor<32x1xi32> -> tensor<32x16xi32>
    %xColB = tile.broadcast %colsK : tensor<1x16xi32> -> tensor<32x16xi32>
    %xOff = arith.addi %xRowB, %xColB : tensor<32x16xi32>
    %xPtrs = tile.addptr %x, %xOff : !tile.ptr<bf16>, tensor<32x16xi32> -> tensor<32x16x!tile.ptr<bf16>>
    %wRow = arith.muli %rowsK, %s32k : tensor<16x1xi32>
    %wRowB = tile.broadcast %wRow : tensor<16x1xi32> -> tensor<16x32xi32>
    %wColB = tile.broadcast %cols : tensor<1x32xi32> -> tensor<16x32xi32>
    %wOff = arith.addi %wRowB, %wColB : tensor<16x32xi32>
    %wPtrs = tile.addptr %w, %wOff : !tile.ptr<bf16>, tensor<16x32xi32> -> tensor<16x32x!tile.ptr<bf16>>
    %cRow = arith.muli %rowsX, %s32 : tensor<32x1xi32>
    %cRowB = tile.broadcast %cRow : tensor<32x1xi32> -> tensor<32x32xi32>
    %cColB = tile.broadcast %cols : tensor<1x32xi32> -> tensor<32x32xi32>
    %cOff = arith.addi %cRowB, %cColB : tensor<32x32xi32>
    %cPtrs = tile.addptr %c, %cOff : !tile.ptr<f32>, tensor<32x32xi32> -> tensor<32x32x!tile.ptr<f32>>
    %yPtrs = tile.addptr %y, %cOff : !tile.ptr<f32>, tensor<32x32xi32> -> tensor<32x32x!tile.ptr<f32>>
    %zPtrs = tile.addptr %z, %cOff : !tile.ptr<f32>, tensor<32x32xi32> -> tensor<32x32x!tile.ptr<f32>>
    %uPtrs = tile.addptr %u, %cOff : !tile.ptr<f32>, tensor<32x32xi32> -> tensor<32x32x!tile.ptr<f32>>
    %rPtrs = tile.addptr %r, %r32 : !tile.ptr<f32>, tensor<32xi32> -> tensor<32x!tile.ptr<f32>>
    %rows = tile.load %rPtrs : tensor<32x!tile.ptr<f32>> -> tensor<32xf32>
    %cInit = tile.load %cPtrs : tensor<32x32x!tile.ptr<f32>> -> tensor<32x32xf32>
    %half = arith.constant dense<0.5> : tensor<32x32xf32>
    %res:3 = scf.for %k = %c0 to %c64 step %c16
        iter_args(%a = %cInit, %b = %cInit, %d = %cInit)
        -> (tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>) : i32 {
      %kx = tile.splat %k : i32 -> tensor<32x16xi32>
      %kw0 = arith.muli %k, %c32 : i32
      %kw = tile.splat %kw0 : i32 -> tensor<16x32xi32>
      %xp = tile.addptr %xPtrs, %kx : tensor<32x16x!tile.ptr<bf16>>, tensor<32x16xi32> -> tensor<32x16x!tile.ptr<bf16>>
      %wp = tile.addptr %wPtrs, %kw : tensor<16x32x!tile.ptr<bf16>>, tensor<16x32xi32> -> tensor<16x32x!tile.ptr<bf16>>
      %xt = tile.load %xp : tensor<32x16x!tile.ptr<bf16>> -> tensor<32x16xbf16>
      %wt = tile.load %wp : tensor<16x32x!tile.ptr<bf16>> -> tensor<16x32xbf16>
      %a2 = tile.dot %xt, %wt, %a : tensor<32x16xbf16>, tensor<16x32xbf16>, tensor<32x32xf32> -> tensor<32x32xf32>
      %rows2 = tile.expand_dims %rows axis 1 : tensor<32xf32> -> tensor<32x1xf32>
      %rowsB = tile.broadcast %rows2 : tensor<32x1xf32> -> tensor<32x32xf32>
      %scaled = arith.mulf %b, %rowsB : tensor<32x32xf32>
      %b2 = tile.dot %xt, %wt, %scaled : tensor<32x16xbf16>, tensor<16x32xbf16>, tensor<32x32xf32> -> tensor<32x32xf32>
      %d2 = tile.dot %xt, %wt, %d : tensor<32x16xbf16>, tensor<16x32xbf16>, tensor<32x32xf32> -> tensor<32x32xf32>
      %d3 = arith.mulf %d2, %half : tensor<32x32xf32>
      scf.yield %a2, %b2, %d3 : tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>
    }
    tile.store %yPtrs, %res#0 : tensor<32x32x!tile.ptr<f32>>, tensor<32x32xf32>
    tile.store %zPtrs, %res#1 : tensor<32x32x!tile.ptr<f32>>, tensor<32x32xf32>
    tile.store %uPtrs, %res#2 : tensor<32x32x!tile.ptr<f32>>, tensor<32x32xf32>
    return
  }
}
)mlir";

class MmaKernels : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    suite = new KernelSuite;
    suite->bf16Activations = true;
    suite->add("linear_mma", "linear", mmaParams(kN, kK));
    suite->addSource("carried", kCarriedAccumulatorKernel);
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

TEST_F(MmaKernels, LoadedAccumulatorCarriedAsFragmentsOrInTheBlockLayout) {
  std::mt19937 rng(43);
  constexpr int64_t m = 32, n = 32, k = 64, kStep = 16;
  std::vector<float> xF, wF;
  std::vector<uint16_t> xBits = randomBf16(rng, m * k, 1.0f, xF);
  std::vector<uint16_t> wBits = randomBf16(rng, k * n, 0.5f, wF);
  std::vector<float> cInit = randomFloats(rng, m * n, 2.0f);
  std::vector<float> rowFactor = randomFloats(rng, m, 1.0f);
  Buffer<uint16_t> x(xBits.size()), w(wBits.size());
  Buffer<float> c(cInit.size()), r(m), y(m * n, kSentinel),
      z(m * n, kSentinel), u(m * n, kSentinel);
  fill(x, xBits);
  fill(w, wBits);
  fill(c, cInit);
  fill(r, rowFactor);
  KernelArgs args;
  args.buf(x).buf(w).buf(c).buf(r).buf(y).buf(z).buf(u);
  suite->run("carried", args, 1);

  std::vector<double> yRef(cInit.begin(), cInit.end()), zRef = yRef,
                                                        uRef = yRef;
  for (int64_t k0 = 0; k0 < k; k0 += kStep)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t kk = k0; kk < k0 + kStep; ++kk)
          sum += double(xF[i * k + kk]) * wF[kk * n + j];
        yRef[i * n + j] += sum;
        zRef[i * n + j] = zRef[i * n + j] * rowFactor[i] + sum;
        uRef[i * n + j] = 0.5 * (uRef[i * n + j] + sum);
      }
  auto asFloats = [](const std::vector<double> &v) {
    return std::vector<float>(v.begin(), v.end());
  };
  expectClose(y.vector(), asFloats(yRef),
              "c + x @ w, accumulated in mma fragments");
  expectClose(z.vector(), asFloats(zRef),
              "b * r[row] + x_k @ w_k, the row factor gathered at fragments");
  expectClose(u.vector(), asFloats(uRef),
              "0.5 (d + x_k @ w_k), accumulated in the block layout");
}

} // namespace
} // namespace dsv2::test
