//===- KernelGraph.cpp - A step's kernels as one CUDA graph ---------------===//

#include "runtime/cuda/KernelGraph.h"

#include "absl/strings/str_cat.h"

#include <cstring>

namespace dsv2::runtime::cuda {

namespace {

/// The driver's view of `node`; `params` receives the argument pointers and
/// must outlive the call that reads them.
CudaKernelNodeParams driverParams(const KernelNode &node,
                                  std::vector<void *> &params) {
  params.resize(node.offsets.size());
  for (size_t i = 0; i < node.offsets.size(); ++i)
    params[i] = const_cast<uint8_t *>(node.bytes.data() + node.offsets[i]);
  CudaKernelNodeParams p;
  p.function = node.function;
  p.gridX = node.grid[0];
  p.gridY = node.grid[1];
  p.gridZ = node.grid[2];
  p.blockX = node.threads;
  p.sharedBytes = node.sharedBytes;
  p.kernelParams = params.empty() ? nullptr : params.data();
  return p;
}

} // namespace

void KernelNode::setArguments(void **values, const uint8_t *sizes,
                              size_t count) {
  bytes.clear();
  offsets.resize(count);
  for (size_t i = 0; i < count; ++i) {
    // Each value at its natural alignment, as a kernel parameter buffer.
    size_t at = (bytes.size() + sizes[i] - 1) / sizes[i] * sizes[i];
    offsets[i] = static_cast<uint32_t>(at);
    bytes.resize(at + sizes[i]);
    std::memcpy(bytes.data() + at, values[i], sizes[i]);
  }
}

bool KernelNode::operator==(const KernelNode &other) const {
  return function == other.function && grid == other.grid &&
         threads == other.threads && sharedBytes == other.sharedBytes &&
         offsets == other.offsets && bytes == other.bytes;
}

absl::StatusOr<std::unique_ptr<KernelGraph>>
KernelGraph::create(const CudaDriver &driver, std::vector<KernelNode> nodes) {
  if (!driver.hasGraphs())
    return absl::FailedPreconditionError(
        "the NVIDIA driver has no CUDA graph entry points");
  const CudaDriverApi &f = driver.api();
  std::unique_ptr<KernelGraph> result(new KernelGraph(driver));
  if (absl::Status s = driver.check(f.cuGraphCreate(&result->graph, 0),
                                    "cuGraphCreate");
      !s.ok()) {
    result->graph = nullptr;
    return s;
  }
  std::vector<void *> params;
  result->handles.reserve(nodes.size());
  for (const KernelNode &node : nodes) {
    CudaKernelNodeParams p = driverParams(node, params);
    CUgraphNode handle = nullptr;
    const CUgraphNode *after = result->handles.empty() ? nullptr
                                                       : &result->handles.back();
    if (absl::Status s = driver.check(
            f.cuGraphAddKernelNode(&handle, result->graph, after, after ? 1 : 0, &p),
            "cuGraphAddKernelNode");
        !s.ok())
      return s;
    result->handles.push_back(handle);
  }
  if (absl::Status s = driver.check(
          f.cuGraphInstantiate(&result->executable, result->graph, 0),
          "cuGraphInstantiate");
      !s.ok()) {
    result->executable = nullptr;
    return s;
  }
  result->nodes = std::move(nodes);
  return result;
}

KernelGraph::~KernelGraph() {
  const CudaDriverApi &f = driver.api();
  if (executable)
    f.cuGraphExecDestroy(executable);
  if (graph)
    f.cuGraphDestroy(graph);
}

absl::Status KernelGraph::set(size_t i, const KernelNode &node) {
  if (nodes[i] == node)
    return absl::OkStatus();
  if (node.function != nodes[i].function)
    return absl::InternalError(
        absl::StrCat("graph node ", i, " cannot change its kernel"));
  CudaKernelNodeParams p = driverParams(node, params);
  if (absl::Status s = driver.check(
          driver.api().cuGraphExecKernelNodeSetParams(executable, handles[i], &p),
          "cuGraphExecKernelNodeSetParams");
      !s.ok())
    return s;
  nodes[i] = node;
  ++updateCount;
  return absl::OkStatus();
}

bool KernelGraph::runsTheSameKernels(
    const std::vector<KernelNode> &launches) const {
  if (launches.size() != nodes.size())
    return false;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (launches[i].function != nodes[i].function)
      return false;
  return true;
}

absl::Status KernelGraph::launch(CUstream stream) {
  return driver.check(driver.api().cuGraphLaunch(executable, stream),
                      "cuGraphLaunch");
}

} // namespace dsv2::runtime::cuda
