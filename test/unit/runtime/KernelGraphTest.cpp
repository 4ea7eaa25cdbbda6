//===- KernelGraphTest.cpp - A chain of kernel nodes on the fake driver ---===//
//
// KernelGraph against FakeLibcuda, whose graphs replay their nodes on the
// host with copies of the parameter values: a node runs with the values it
// was given (not the caller's later ones), set() updates only a node whose
// launch changed, a node cannot change its kernel, and runsTheSameKernels
// says when a recorded step fits the graph.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/KernelGraph.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <memory>
#include <vector>

namespace dsv2::runtime::cuda {
namespace {

class KernelGraphTest : public ::testing::Test {
protected:
  void SetUp() override {
    setenv("DSV2_LIBCUDA", DSV2_FAKE_LIBCUDA, 1);
    setenv("DSV2_FAKE_CUDA", "cc90", 1);
    auto opened = CudaDriver::open("sm_90a");
    ASSERT_TRUE(opened.ok()) << opened.status();
    driver = std::move(*opened);
    ASSERT_TRUE(driver->hasGraphs());
    const CudaDriverApi &f = driver->api();
    ASSERT_EQ(f.cuInit(0), CUDA_SUCCESS);
    CUmodule module = nullptr;
    ASSERT_EQ(f.cuModuleLoadDataEx(&module, "// fake", 0, nullptr, nullptr),
              CUDA_SUCCESS);
    ASSERT_EQ(f.cuModuleGetFunction(&cacheKernel, module, "fake_cache"),
              CUDA_SUCCESS);
    ASSERT_EQ(f.cuModuleGetFunction(&logitsKernel, module, "fake_logits"),
              CUDA_SUCCESS);
  }
  void TearDown() override {
    unsetenv("DSV2_LIBCUDA");
    unsetenv("DSV2_FAKE_CUDA");
  }

  /// fake_cache over `programs` blocks: to[p] = from[p] (as f32).
  KernelNode copyNode(const int32_t *from, float *to, unsigned programs) {
    KernelNode node;
    node.function = cacheKernel;
    node.grid = {programs, 1, 1};
    node.threads = 32;
    CUdeviceptr pointers[] = {reinterpret_cast<CUdeviceptr>(from),
                              reinterpret_cast<CUdeviceptr>(to)};
    void *values[] = {&pointers[0], &pointers[1]};
    const uint8_t sizes[] = {8, 8};
    node.setArguments(values, sizes, 2);
    return node;
  }

  std::unique_ptr<CudaDriver> driver;
  CUfunction cacheKernel = nullptr, logitsKernel = nullptr;
};

TEST_F(KernelGraphTest, RunsItsNodesWithTheValuesTheyWereGiven) {
  std::vector<int32_t> tokens = {7, 8, 9};
  std::vector<float> a(3, 0), b(3, 0), c(3, 0);
  auto graph = KernelGraph::create(
      *driver, {copyNode(tokens.data(), a.data(), 3),
                copyNode(tokens.data() + 1, b.data(), 2)});
  ASSERT_TRUE(graph.ok()) << graph.status();
  ASSERT_TRUE((*graph)->launch(nullptr).ok());
  EXPECT_EQ(a, (std::vector<float>{7, 8, 9}));
  EXPECT_EQ(b, (std::vector<float>{8, 9, 0}));

  // The same launch again: nothing to set.
  ASSERT_TRUE((*graph)->set(0, copyNode(tokens.data(), a.data(), 3)).ok());
  EXPECT_EQ((*graph)->updates(), 0);
  // Node 1 now writes c, one block: only it is set.
  ASSERT_TRUE((*graph)->set(1, copyNode(tokens.data(), c.data(), 1)).ok());
  EXPECT_EQ((*graph)->updates(), 1);
  tokens = {1, 2, 3};
  ASSERT_TRUE((*graph)->launch(nullptr).ok());
  EXPECT_EQ(a, (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(b, (std::vector<float>{8, 9, 0})); // No longer written.
  EXPECT_EQ(c, (std::vector<float>{1, 0, 0}));
}

TEST_F(KernelGraphTest, NodesKeepTheirKernel) {
  std::vector<int32_t> tokens = {1};
  std::vector<float> out(1);
  KernelNode node = copyNode(tokens.data(), out.data(), 1);
  auto graph = KernelGraph::create(*driver, {node});
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_TRUE((*graph)->runsTheSameKernels({node}));
  EXPECT_FALSE((*graph)->runsTheSameKernels({node, node}));
  KernelNode other = node;
  other.function = logitsKernel;
  EXPECT_FALSE((*graph)->runsTheSameKernels({other}));
  absl::Status changed = (*graph)->set(0, other);
  EXPECT_EQ(changed.message(), "graph node 0 cannot change its kernel");
}

TEST_F(KernelGraphTest, InstantiationFailuresAreTheDriversError) {
  setenv("DSV2_FAKE_CUDA_GRAPH_FAILS", "1", 1);
  std::vector<int32_t> tokens = {1};
  std::vector<float> out(1);
  auto graph = KernelGraph::create(*driver, {copyNode(tokens.data(), out.data(), 1)});
  unsetenv("DSV2_FAKE_CUDA_GRAPH_FAILS");
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.status().message(),
            "cuGraphInstantiate: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory");
}

} // namespace
} // namespace dsv2::runtime::cuda
