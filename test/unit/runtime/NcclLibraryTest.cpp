//===- NcclLibraryTest.cpp - Our NCCL declarations against a real libnccl -===//
//
// NcclLibrary.h declares NCCL's entry points and values instead of
// including nccl.h. When the build found a real libnccl.so.2 (the CUDA
// toolkit's; DSV2_REAL_LIBNCCL), every entry point must resolve, the
// version must be 2.x and a unique id must be made (no GPU needed for
// that); the tests skip otherwise.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/NcclLibrary.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <string>
#include <unistd.h>

namespace dsv2::runtime::cuda {
namespace {

class RealNccl : public ::testing::Test {
protected:
  void SetUp() override {
#ifndef DSV2_REAL_LIBNCCL
    GTEST_SKIP() << "no libnccl.so.2 was found at configure time";
#else
    // The binary also travels to GPU machines (tools/gpu/build-engines.sh),
    // where the configured path may not exist.
    if (::access(DSV2_REAL_LIBNCCL, R_OK) != 0)
      GTEST_SKIP() << DSV2_REAL_LIBNCCL << " is not on this machine";
    setenv("DSV2_LIBNCCL", DSV2_REAL_LIBNCCL, 1);
    auto opened = NcclLibrary::open();
    unsetenv("DSV2_LIBNCCL");
    ASSERT_TRUE(opened.ok()) << opened.status();
    library = std::move(*opened);
#endif
  }
  std::unique_ptr<NcclLibrary> library;
};

TEST_F(RealNccl, EntryPointsResolveAndAnswer) {
  EXPECT_EQ(library->version().rfind("NCCL 2.", 0), 0u) << library->version();
  ncclUniqueId id{};
  EXPECT_TRUE(
      library->check(library->api().ncclGetUniqueId(&id), "ncclGetUniqueId")
          .ok());
  // ncclRemoteError (6) in nccl.h.
  EXPECT_EQ(library->check(6, "ncclAllReduce").message(),
            "ncclAllReduce: NCCL error 6: remote process exited or there was "
            "a network error");
}

} // namespace
} // namespace dsv2::runtime::cuda
