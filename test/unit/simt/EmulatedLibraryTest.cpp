//===- EmulatedLibraryTest.cpp - The runtime binds emulated libraries -----===//
//
// KernelLibrary hands the emulator to a library exporting __dsv2_emu_bind;
// its `name_grid` entries then run like CPU kernels, ranges of blocks on a
// thread pool as the CPU executor runs them.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/KernelLibrary.h"
#include "runtime/cpu/ThreadPool.h"

#include <gtest/gtest.h>

#include <vector>

namespace dsv2::runtime {
namespace {

TEST(EmulatedLibraryTest, RunsAGridOnAThreadPool) {
  auto library = KernelLibrary::open(DSV2_EMULATED_TEST_LIBRARY);
  ASSERT_TRUE(library.ok()) << library.status();
  auto grid = (*library)->lookup("row_sum");
  ASSERT_TRUE(grid.ok()) << grid.status();

  constexpr int kBlocks = 37, kThreads = 64;
  std::vector<float> in(kBlocks * kThreads), out(kBlocks, -1.0f);
  for (size_t i = 0; i < in.size(); ++i)
    in[i] = static_cast<float>(i % 11);
  float *inData = in.data(), *outData = out.data();
  void *args[] = {&inData, &outData};
  ThreadPool pool(3);
  pool.parallelFor(kBlocks, [&](int64_t first, int64_t last) {
    (*grid)(args, kBlocks, 1, 1, first, last);
  });
  for (int block = 0; block < kBlocks; ++block) {
    float expected = 0;
    for (int t = 0; t < kThreads; ++t)
      expected += in[block * kThreads + t];
    EXPECT_EQ(out[block], expected) << "block " << block;
  }
}

} // namespace
} // namespace dsv2::runtime
