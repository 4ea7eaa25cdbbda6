//===- KernelGraph.h - A step's kernels as one CUDA graph -------*- C++ -*-===//
//
// A decode step launches the same kernels in the same order every time; only
// a few arguments move (the cache slot at `past`, the context length, the
// sequence whose cache is read, a scratch buffer that grew). Launching them
// one by one costs the CPU a few microseconds per kernel and leaves the GPU
// idle between small kernels, which dominates a small decode step.
//
// KernelGraph holds the kernels as a chain of graph nodes, instantiated once.
// Each step sets only the nodes whose launch changed (grid or argument bytes,
// cuGraphExecKernelNodeSetParams) and launches the whole chain with one call.
// The chain is built node by node rather than by stream capture, so the node
// of every launch is known without relying on the order capture reports.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_CUDA_KERNELGRAPH_H
#define RUNTIME_CUDA_KERNELGRAPH_H

#include "runtime/cuda/CudaDriver.h"

#include "absl/status/statusor.h"

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

namespace dsv2::runtime::cuda {

/// One kernel launch by value: what a graph node holds.
struct KernelNode {
  CUfunction function = nullptr;
  std::array<unsigned, 3> grid = {1, 1, 1};
  unsigned threads = 1;
  unsigned sharedBytes = 0;
  /// Every argument's value, concatenated; argument i starts at offsets[i].
  std::vector<uint8_t> bytes;
  std::vector<uint32_t> offsets;

  /// Replaces the arguments with `count` values, value i of sizes[i] bytes
  /// at values[i] (a kernelParams array).
  void setArguments(void **values, const uint8_t *sizes, size_t count);
  bool operator==(const KernelNode &other) const;
};

class KernelGraph {
public:
  /// Builds the chain of `nodes` (each runs after the one before) and
  /// instantiates it. Needs driver.hasGraphs().
  static absl::StatusOr<std::unique_ptr<KernelGraph>>
  create(const CudaDriver &driver, std::vector<KernelNode> nodes);
  ~KernelGraph();
  KernelGraph(const KernelGraph &) = delete;
  KernelGraph &operator=(const KernelGraph &) = delete;

  size_t size() const { return nodes.size(); }
  /// Whether `launches` are this graph's kernels in its order (so set()
  /// can update every node).
  bool runsTheSameKernels(const std::vector<KernelNode> &launches) const;
  /// Makes node i launch `node` from the next launch on; a no-op when it
  /// already does. Same function as before (a graph node keeps its kernel).
  absl::Status set(size_t i, const KernelNode &node);
  /// Launches every node, in order, on `stream`.
  absl::Status launch(CUstream stream);
  /// Nodes set to a changed launch since creation.
  int64_t updates() const { return updateCount; }

private:
  explicit KernelGraph(const CudaDriver &driver) : driver(driver) {}

  const CudaDriver &driver;
  CUgraph graph = nullptr;
  CUgraphExec executable = nullptr;
  std::vector<CUgraphNode> handles;
  std::vector<KernelNode> nodes;
  std::vector<void *> params; // set()'s argument pointers, reused.
  int64_t updateCount = 0;
};

} // namespace dsv2::runtime::cuda

#endif // RUNTIME_CUDA_KERNELGRAPH_H
