//===- TileOpKernelsTest.cpp - Tile ops in kernels written here -------------===//
//
// Tile ops that no catalog kernel uses in every form, run through the same
// code generators as the catalog (CPU, or GPU under the SIMT emulator):
// tile.trans on its own (shared memory on GPUs) and as a dot operand that
// is also stored.
//
//===----------------------------------------------------------------------===//

#include "test/unit/kernels/KernelHarness.h"

#include "runtime/io/Bf16.h"

#include <string>

namespace dsv2::test {
namespace {

/// MLIR lines defining `%<name>`: the pointer tile of a row-major [R, C]
/// block at `%<base>`, from the lane ranges `%<rowLanes>` (R) and
/// `%<colLanes>` (C): base + i * C + j.
std::string rowMajorPointers(const std::string &name, const std::string &base,
                             const std::string &rowLanes,
                             const std::string &colLanes, int64_t rows,
                             int64_t cols, const std::string &ptr) {
  std::string r = std::to_string(rows), c = std::to_string(cols);
  std::string column = "tensor<" + r + "x1xi32>", row = "tensor<1x" + c + "xi32>",
              tile = "tensor<" + r + "x" + c + "xi32>";
  std::string p = "%" + name;
  return "    " + p + "RowIndex = tile.expand_dims %" + rowLanes +
         " axis 1 : tensor<" + r + "xi32> -> " + column + "\n" +
         "    " + p + "Cols = arith.constant dense<" + c + "> : " + column +
         "\n" + "    " + p + "RowOff = arith.muli " + p + "RowIndex, " + p +
         "Cols : " + column + "\n" + "    " + p + "RowOffB = tile.broadcast " +
         p + "RowOff : " + column + " -> " + tile + "\n" + "    " + p +
         "ColIndex = tile.expand_dims %" + colLanes + " axis 0 : tensor<" + c +
         "xi32> -> " + row + "\n" + "    " + p + "ColB = tile.broadcast " + p +
         "ColIndex : " + row + " -> " + tile + "\n" + "    " + p +
         "Off = arith.addi " + p + "RowOffB, " + p + "ColB : " + tile + "\n" +
         "    " + p + " = tile.addptr %" + base + ", " + p + "Off : " + ptr +
         ", " + tile + " -> tensor<" + r + "x" + c + "x" + ptr + ">\n";
}

/// A kernel whose program p loads the p-th rows x cols block of `src`
/// (row-major, contiguous) and stores its transpose as the p-th cols x rows
/// block of `dst`.
std::string transposeKernel(const std::string &name, int64_t rows,
                            int64_t cols, const std::string &type) {
  std::string r = std::to_string(rows), c = std::to_string(cols);
  std::string in = r + "x" + c, out = c + "x" + r;
  std::string ptr = "!tile.ptr<" + type + ">";
  return "module {\n"
         "  func.func @" + name + "(%src: " + ptr + ", %dst: " + ptr + ")\n"
         "      attributes {tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, 1, 1),\n"
         "      grid_symbols = [\"blocks\"], block = [" + r + ", " + c + "]>} {\n"
         "    %p = tile.program_id x : i32\n"
         "    %size = arith.constant " + std::to_string(rows * cols) + " : i32\n"
         "    %off = arith.muli %p, %size : i32\n"
         "    %s = tile.addptr %src, %off : " + ptr + ", i32 -> " + ptr + "\n"
         "    %d = tile.addptr %dst, %off : " + ptr + ", i32 -> " + ptr + "\n"
         "    %ri = tile.range <0, " + r + "> : tensor<" + r + "xi32>\n"
         "    %ci = tile.range <0, " + c + "> : tensor<" + c + "xi32>\n" +
         rowMajorPointers("sp", "s", "ri", "ci", rows, cols, ptr) +
         "    %v = tile.load %sp : tensor<" + in + "x" + ptr + "> -> tensor<" + in + "x" + type + ">\n"
         "    %t = tile.trans %v : tensor<" + in + "x" + type + "> -> tensor<" + out + "x" + type + ">\n" +
         rowMajorPointers("dp", "d", "ci", "ri", cols, rows, ptr) +
         "    tile.store %dp, %t : tensor<" + out + "x" + ptr + ">, tensor<" + out + "x" + type + ">\n"
         "    return\n"
         "  }\n"
         "}\n";
}

/// y = a @ w^T (a: [16, 32], w: [16, 32] rows, y: [16, 16]) and wt = w^T
/// stored ([32, 16]): the transpose feeds the dot and a store.
std::string dotAndStoreKernel() {
  const std::string ptr = "!tile.ptr<f32>";
  return "module {\n"
         "  func.func @trans_dot_and_store(%a: " + ptr + ", %w: " + ptr +
         ", %y: " + ptr + ", %wt: " + ptr + ")\n"
         "      attributes {tile.kernel = #tile.kernel<grid = ()[s0] -> (1, 1, 1),\n"
         "      grid_symbols = [\"blocks\"], block = [16, 32]>} {\n"
         "    %r16 = tile.range <0, 16> : tensor<16xi32>\n"
         "    %r32 = tile.range <0, 32> : tensor<32xi32>\n" +
         rowMajorPointers("ap", "a", "r16", "r32", 16, 32, ptr) +
         rowMajorPointers("wp", "w", "r16", "r32", 16, 32, ptr) +
         "    %av = tile.load %ap : tensor<16x32x!tile.ptr<f32>> -> tensor<16x32xf32>\n"
         "    %wv = tile.load %wp : tensor<16x32x!tile.ptr<f32>> -> tensor<16x32xf32>\n"
         "    %wT = tile.trans %wv : tensor<16x32xf32> -> tensor<32x16xf32>\n"
         "    %zero = arith.constant dense<0.0> : tensor<16x16xf32>\n"
         "    %yv = tile.dot %av, %wT, %zero : tensor<16x32xf32>, tensor<32x16xf32>, tensor<16x16xf32> -> tensor<16x16xf32>\n" +
         rowMajorPointers("yp", "y", "r16", "r16", 16, 16, ptr) +
         "    tile.store %yp, %yv : tensor<16x16x!tile.ptr<f32>>, tensor<16x16xf32>\n" +
         rowMajorPointers("tp", "wt", "r32", "r16", 32, 16, ptr) +
         "    tile.store %tp, %wT : tensor<32x16x!tile.ptr<f32>>, tensor<32x16xf32>\n"
         "    return\n"
         "  }\n"
         "}\n";
}

class TileOpKernels : public ::testing::Test {
public:
  static KernelSuite *suite;

protected:
  static void SetUpTestSuite() {
    suite = new KernelSuite();
    // 256 f32 (runs of two), 1024 bf16 (runs of four), 24 f32 (one element
    // per thread, the last threads idle).
    suite->addSource("t_f32", transposeKernel("transpose_8x32", 8, 32, "f32"));
    suite->addSource("t_bf16",
                     transposeKernel("transpose_16x64", 16, 64, "bf16"));
    suite->addSource("t_small", transposeKernel("transpose_3x8", 3, 8, "f32"));
    suite->addSource("dot_store", dotAndStoreKernel());
    suite->compile("TileOpKernels");
  }
  static void TearDownTestSuite() {
    delete suite;
    suite = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(suite->error.empty()) << suite->error; }
};
KernelSuite *TileOpKernels::suite = nullptr;

template <typename T>
void checkTranspose(const char *label, int64_t rows, int64_t cols,
                    const std::vector<T> &src, int32_t blocks) {
  Buffer<T> in(src.size()), out(src.size());
  fill(in, src);
  KernelArgs args;
  args.buf(in).buf(out);
  TileOpKernels::suite->run(label, args, blocks);
  for (int32_t p = 0; p < blocks; ++p)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        ASSERT_EQ(out[p * rows * cols + j * rows + i],
                  in[p * rows * cols + i * cols + j])
            << label << " block " << p << " element (" << i << ", " << j << ")";
}

TEST_F(TileOpKernels, TransposeMovesEveryElement) {
  std::mt19937 rng(7);
  checkTranspose<float>("t_f32", 8, 32, randomFloats(rng, 3 * 256, 4.0f), 3);
  std::vector<float> unused;
  checkTranspose<uint16_t>("t_bf16", 16, 64,
                           randomBf16(rng, 2 * 1024, 4.0f, unused), 2);
  checkTranspose<float>("t_small", 3, 8, randomFloats(rng, 2 * 24, 4.0f), 2);
}

TEST_F(TileOpKernels, TransposeFeedsADotAndAStore) {
  std::mt19937 rng(11);
  std::vector<float> a = randomFloats(rng, 16 * 32, 1.0f);
  std::vector<float> w = randomFloats(rng, 16 * 32, 1.0f);
  Buffer<float> aBuf(a.size()), wBuf(w.size()), y(16 * 16), wt(32 * 16);
  fill(aBuf, a);
  fill(wBuf, w);
  KernelArgs args;
  args.buf(aBuf).buf(wBuf).buf(y).buf(wt);
  suite->run("dot_store", args, 1);
  std::vector<float> expected(16 * 16);
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) {
      double sum = 0;
      for (int k = 0; k < 32; ++k)
        sum += double(a[i * 32 + k]) * w[j * 32 + k];
      expected[i * 16 + j] = static_cast<float>(sum);
    }
  expectClose(y.vector(), expected, "a @ w^T");
  for (int k = 0; k < 32; ++k)
    for (int j = 0; j < 16; ++j)
      ASSERT_EQ(wt[k * 16 + j], w[j * 32 + k]) << "w^T (" << k << ", " << j << ")";
}

} // namespace
} // namespace dsv2::test
