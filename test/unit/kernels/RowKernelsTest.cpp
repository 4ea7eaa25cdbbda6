//===- RowKernelsTest.cpp - Row kernels against the reference --------------===//
//
// embedding, rms_norm, add_rms_norm, rope, silu_mul and copy_rows, at widths
// that are not multiples of their blocks and with strided rows.
//
//===----------------------------------------------------------------------===//

#include "test/unit/kernels/KernelHarness.h"

#include "dialect/dsv2/reference/Embedding.h"
#include "dialect/dsv2/reference/RmsNorm.h"
#include "dialect/dsv2/reference/Rope.h"
#include "runtime/io/Bf16.h"

#include <cmath>

namespace dsv2::test {
namespace {

namespace ref = ::dsv2::reference;
using runtime::bf16ToFloat32;
using runtime::float32ToBf16;

constexpr float kSentinel = -12345.0f;
constexpr int64_t kVocab = 50, kHidden = 1500, kEmbeddingBlock = 1024;
constexpr int64_t kDim = 100, kDimBlock = 128;
constexpr double kEps = 1e-6;
// rope: q rows [T, HEADS, P + R], the rotated part at column P.
constexpr int64_t kRopeHeads = 3, kNope = 24, kRope = 12;
constexpr int64_t kSiluCols = 100, kCopyCols = 12, kWideSiluCols = 1000;

ref::RopeParams ropeParams() {
  ref::RopeParams params;
  params.dim = kRope;
  params.theta = 10000.0;
  params.yarn = true;
  params.factor = 40.0;
  params.originalMaxPosition = 4096;
  params.mscale = 0.707;
  params.mscaleAllDim = 0.707;
  return params;
}

/// out's rows hold the gated product of reference/Mlp.cpp in their first
/// `cols` columns and the sentinel after them.
void expectSiluMul(const std::vector<float> &gate, const std::vector<float> &up,
                   const Buffer<float> &out, int32_t rows, int64_t cols,
                   int32_t gateStride, int32_t upStride, int32_t outStride,
                   const char *name) {
  std::vector<float> expected(rows * cols), got(rows * cols);
  for (int32_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      double z = gate[r * gateStride + c];
      expected[r * cols + c] =
          static_cast<float>(z / (1.0 + std::exp(-z)) * up[r * upStride + c]);
      got[r * cols + c] = out[r * outStride + c];
    }
  expectClose(got, expected, name);
  for (int32_t r = 0; r < rows; ++r)
    for (int64_t c = cols; c < outStride; ++c)
      ASSERT_EQ(out[r * outStride + c], kSentinel)
          << name << " row " << r << " col " << c;
}

class RowKernels : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    suite = new KernelSuite;
    suite->add("embedding", "embedding",
               {{"W", "bf16"},
                {"HIDDEN", std::to_string(kHidden)},
                {"BLOCK", std::to_string(kEmbeddingBlock)}});
    for (const char *w : {"f32", "bf16"})
      suite->add(std::string("rms_norm_") + w, "rms_norm",
                 {{"W", w},
                  {"OUT", "f32"},
                  {"DIM", std::to_string(kDim)},
                  {"BLOCK", std::to_string(kDimBlock)},
                  {"EPS", floatText(kEps)}});
    suite->add("add_rms_norm", "add_rms_norm",
               {{"W", "bf16"},
                {"DIM", std::to_string(kDim)},
                {"BLOCK", std::to_string(kDimBlock)},
                {"EPS", floatText(kEps)}});
    suite->add("rope", "rope",
               {{"HEADS", std::to_string(kRopeHeads)},
                {"HALF", std::to_string(kRope / 2)},
                {"HALF_BLOCK", std::to_string(nextPowerOfTwo(kRope / 2))},
                {"OFFSET", std::to_string(kNope)},
                {"SCALE", floatText(ref::ropeCosSinScale(ropeParams()))}});
    suite->add("silu_mul", "silu_mul",
               {{"COLS", std::to_string(kSiluCols)},
                {"BLOCK", std::to_string(nextPowerOfTwo(kSiluCols))}});
    // 1024-lane blocks: on a GPU, runs of 4 elements per thread (vector
    // accesses where a row's address allows).
    suite->add("silu_mul_wide", "silu_mul",
               {{"COLS", std::to_string(kWideSiluCols)},
                {"BLOCK", std::to_string(nextPowerOfTwo(kWideSiluCols))}});
    for (const char *dst : {"f32", "bf16"})
      suite->add(std::string("copy_rows_") + dst, "copy_rows",
                 {{"SRC", "f32"},
                  {"DST", dst},
                  {"COLS", std::to_string(kCopyCols)},
                  {"BLOCK", std::to_string(nextPowerOfTwo(kCopyCols))}});
    // A bf16 cache's rows widened back to f32 (--kv-cache-dtype bf16).
    suite->add("copy_rows_widen", "copy_rows",
               {{"SRC", "bf16"},
                {"DST", "f32"},
                {"COLS", std::to_string(kCopyCols)},
                {"BLOCK", std::to_string(nextPowerOfTwo(kCopyCols))}});
    suite->compile("row_kernels");
  }
  static void TearDownTestSuite() {
    delete suite;
    suite = nullptr;
  }
  void SetUp() override { ASSERT_EQ(suite->error, ""); }
  static KernelSuite *suite;
};
KernelSuite *RowKernels::suite = nullptr;

TEST_F(RowKernels, EmbeddingGathersBf16RowsOverTwoColumnBlocks) {
  std::mt19937 rng(1);
  const int32_t tokens = 7;
  std::vector<float> tableF;
  std::vector<uint16_t> tableBits =
      randomBf16(rng, kVocab * kHidden, 2.0f, tableF);
  Buffer<uint16_t> table(tableBits.size());
  std::copy(tableBits.begin(), tableBits.end(), table.data());
  Buffer<int32_t> ids(tokens);
  std::vector<int32_t> idList = {3, 0, 49, 17, 3, 25, 48};
  std::copy(idList.begin(), idList.end(), ids.data());
  Buffer<float> out(tokens * kHidden, kSentinel);

  KernelArgs args;
  args.buf(ids).buf(table).buf(out);
  suite->run("embedding", args, tokens,
             static_cast<int32_t>((kHidden + kEmbeddingBlock - 1) /
                                  kEmbeddingBlock));

  std::vector<float> expected(tokens * kHidden);
  ASSERT_TRUE(ref::embedding(idList.data(), tokens, tableF.data(), kVocab,
                             kHidden, expected.data()));
  // A gather is exact.
  for (size_t i = 0; i < expected.size(); ++i)
    ASSERT_EQ(out[i], expected[i]) << "element " << i;
}

TEST_F(RowKernels, RmsNormOfStridedRows) {
  std::mt19937 rng(2);
  const int32_t rows = 7, xStride = 130, outStride = 112;
  for (bool bf16Weight : {false, true}) {
    SCOPED_TRACE(bf16Weight ? "bf16 weight" : "f32 weight");
    std::vector<float> xAll = randomFloats(rng, rows * xStride, 3.0f);
    std::vector<float> wF;
    std::vector<uint16_t> wBits = randomBf16(rng, kDim, 1.5f, wF);
    if (!bf16Weight)
      wF = randomFloats(rng, kDim, 1.5f);
    Buffer<float> x(xAll.size()), out(rows * outStride, kSentinel);
    std::copy(xAll.begin(), xAll.end(), x.data());
    Buffer<uint16_t> wb(kDim);
    Buffer<float> wf(kDim);
    std::copy(wBits.begin(), wBits.end(), wb.data());
    std::copy(wF.begin(), wF.end(), wf.data());

    KernelArgs args;
    args.ptr(x.data())
        .ptr(bf16Weight ? static_cast<void *>(wb.data())
                        : static_cast<void *>(wf.data()))
        .buf(out)
        .i32(xStride)
        .i32(outStride);
    suite->run(bf16Weight ? "rms_norm_bf16" : "rms_norm_f32", args, rows);

    std::vector<float> packed(rows * kDim), expected(rows * kDim),
        got(rows * kDim);
    for (int32_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < kDim; ++c) {
        packed[r * kDim + c] = xAll[r * xStride + c];
        got[r * kDim + c] = out[r * outStride + c];
      }
    ref::rmsNorm(packed.data(), wF.data(), rows, kDim, kEps, expected.data());
    expectClose(got, expected, bf16Weight ? "rms_norm bf16 w" : "rms_norm f32 w");
    for (int32_t r = 0; r < rows; ++r)
      for (int64_t c = kDim; c < outStride; ++c)
        ASSERT_EQ(out[r * outStride + c], kSentinel)
            << "store past DIM in row " << r << " column " << c;
  }
}

TEST_F(RowKernels, AddRmsNormWritesSumAndNormedSum) {
  std::mt19937 rng(3);
  const int32_t tokens = 9;
  std::vector<float> xV = randomFloats(rng, tokens * kDim, 2.0f);
  std::vector<float> dV = randomFloats(rng, tokens * kDim, 2.0f);
  std::vector<float> wF;
  std::vector<uint16_t> wBits = randomBf16(rng, kDim, 1.5f, wF);
  Buffer<float> x(xV.size()), delta(dV.size()), sum(xV.size(), kSentinel),
      out(xV.size(), kSentinel);
  Buffer<uint16_t> w(kDim);
  std::copy(xV.begin(), xV.end(), x.data());
  std::copy(dV.begin(), dV.end(), delta.data());
  std::copy(wBits.begin(), wBits.end(), w.data());

  KernelArgs args;
  args.buf(x).buf(delta).buf(w).buf(sum).buf(out);
  suite->run("add_rms_norm", args, tokens);

  std::vector<float> expectedSum(xV.size()), expected(xV.size());
  for (size_t i = 0; i < xV.size(); ++i)
    expectedSum[i] = xV[i] + dV[i];
  ref::rmsNorm(expectedSum.data(), wF.data(), tokens, kDim, kEps,
               expected.data());
  for (size_t i = 0; i < xV.size(); ++i)
    ASSERT_EQ(sum[i], expectedSum[i]) << "sum element " << i;
  expectClose(out.vector(), expected, "add_rms_norm");
}

TEST_F(RowKernels, RopeRotatesTheRopeColumnsOfEveryHead) {
  std::mt19937 rng(4);
  const int32_t tokens = 5, start = 7;
  const int32_t headStride = kNope + kRope,
                tokenStride = kRopeHeads * headStride;
  std::vector<float> xV = randomFloats(rng, tokens * tokenStride, 2.0f);
  ref::RopeParams params = ropeParams();
  std::vector<double> invFreq = ref::ropeInverseFrequencies(params);
  Buffer<float> x(xV.size()), inv(invFreq.size());
  std::copy(xV.begin(), xV.end(), x.data());
  for (size_t j = 0; j < invFreq.size(); ++j)
    inv[j] = static_cast<float>(invFreq[j]);

  KernelArgs args;
  args.buf(x).buf(inv).i32(tokenStride).i32(headStride).i32(start);
  suite->run("rope", args, tokens, kRopeHeads);

  std::vector<float> expected = xV;
  std::vector<int64_t> positions;
  for (int32_t t = 0; t < tokens; ++t)
    positions.push_back(start + t);
  ref::applyRopeAdjacentPairsStrided(expected.data() + kNope, tokens,
                                     tokenStride, kRopeHeads, headStride,
                                     positions.data(), params);
  expectClose(x.vector(), expected, "rope");
  for (size_t i = 0; i < xV.size(); ++i) {
    if (static_cast<int64_t>(i % headStride) < kNope) {
      ASSERT_EQ(x[i], xV[i]) << "nope column changed at " << i;
    }
  }
}

TEST_F(RowKernels, SiluMulOfStridedRows) {
  std::mt19937 rng(5);
  const int32_t rows = 6, gateStride = 130, upStride = 120, outStride = 110;
  std::vector<float> gV = randomFloats(rng, rows * gateStride, 6.0f);
  std::vector<float> uV = randomFloats(rng, rows * upStride, 2.0f);
  Buffer<float> gate(gV.size()), up(uV.size()), out(rows * outStride, kSentinel);
  std::copy(gV.begin(), gV.end(), gate.data());
  std::copy(uV.begin(), uV.end(), up.data());

  KernelArgs args;
  args.buf(gate).buf(up).buf(out).i32(gateStride).i32(upStride).i32(outStride);
  int64_t block = nextPowerOfTwo(kSiluCols);
  suite->run("silu_mul", args, rows,
             static_cast<int32_t>((kSiluCols + block - 1) / block));

  expectSiluMul(gV, uV, out, rows, kSiluCols, gateStride, upStride, outStride,
                "silu_mul");
}

// Row strides of 1027 floats start the rows at every alignment, so an
// emulated GPU kernel takes its vector loads and stores on some rows and the
// scalar ones on others; the masked tail of each row (1000 of 1024 lanes)
// must not be read or written by a vector access either.
TEST_F(RowKernels, SiluMulOfWideRowsAtEveryAlignment) {
  std::mt19937 rng(6);
  const int32_t rows = 8, stride = 1027;
  std::vector<float> gV = randomFloats(rng, rows * stride, 6.0f);
  std::vector<float> uV = randomFloats(rng, rows * stride, 2.0f);
  Buffer<float> gate(gV.size()), up(uV.size()), out(rows * stride, kSentinel);
  std::copy(gV.begin(), gV.end(), gate.data());
  std::copy(uV.begin(), uV.end(), up.data());

  KernelArgs args;
  args.buf(gate).buf(up).buf(out).i32(stride).i32(stride).i32(stride);
  suite->run("silu_mul_wide", args, rows, 1);

  expectSiluMul(gV, uV, out, rows, kWideSiluCols, stride, stride, stride,
                "silu_mul_wide");
}

TEST_F(RowKernels, CopyRowsToF32AndBf16AndBack) {
  std::mt19937 rng(6);
  const int32_t rows = 5, srcStride = 36, dstStride = 20;
  std::vector<float> sV = randomFloats(rng, rows * srcStride, 3.0f);
  Buffer<float> src(sV.size()), dstF(rows * dstStride, kSentinel);
  std::copy(sV.begin(), sV.end(), src.data());
  Buffer<uint16_t> dstB(rows * dstStride, 0xdead);

  KernelArgs f32Args;
  f32Args.ptr(src.data() + 24).buf(dstF).i32(srcStride).i32(dstStride);
  suite->run("copy_rows_f32", f32Args, rows);
  KernelArgs bf16Args;
  bf16Args.ptr(src.data() + 24).buf(dstB).i32(srcStride).i32(dstStride);
  suite->run("copy_rows_bf16", bf16Args, rows);
  // And back: the bf16 rows widened to f32, exactly.
  Buffer<float> widened(rows * dstStride, kSentinel);
  KernelArgs widenArgs;
  widenArgs.buf(dstB).buf(widened).i32(dstStride).i32(dstStride);
  suite->run("copy_rows_widen", widenArgs, rows);

  for (int32_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < dstStride; ++c) {
      if (c < kCopyCols) {
        float value = sV[r * srcStride + 24 + c];
        ASSERT_EQ(dstF[r * dstStride + c], value) << "row " << r << " col " << c;
        ASSERT_EQ(dstB[r * dstStride + c], float32ToBf16(value))
            << "bf16 row " << r << " col " << c << ": got "
            << bf16ToFloat32(dstB[r * dstStride + c]) << ", expected "
            << value;
        ASSERT_EQ(widened[r * dstStride + c],
                  bf16ToFloat32(float32ToBf16(value)))
            << "widened row " << r << " col " << c;
      } else {
        ASSERT_EQ(dstF[r * dstStride + c], kSentinel);
        ASSERT_EQ(dstB[r * dstStride + c], 0xdead);
        ASSERT_EQ(widened[r * dstStride + c], kSentinel);
      }
    }
}

} // namespace
} // namespace dsv2::test
