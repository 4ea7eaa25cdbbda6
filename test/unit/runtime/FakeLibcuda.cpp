//===- FakeLibcuda.cpp - A stand-in libcuda.so.1 for tests without a GPU --===//
//
// Loaded through DSV2_LIBCUDA. $DSV2_FAKE_CUDA picks the machine it fakes:
//   no-device  cuInit fails with CUDA_ERROR_NO_DEVICE
//   cc80       one "Fake A100" (compute capability 8.0)
//   cc90       one "Fake H200" (9.0): host memory as device memory, and two
//              kernels run on the host (fake_cache, fake_logits; see
//              CudaExecutorTest.cpp), so the executor's buffer offsets,
//              scalar arguments, uploads and readback are checked end to end;
//              any other kernel is a no-op (a compiled engine runs through,
//              checking its launch configuration, with meaningless logits).
// PTX containing "FAKE_JIT_ERROR" fails to load with a JIT error log.
// $DSV2_FAKE_CUDA_DEVICES sets the device count (default 1).
// CUDA graphs replay their kernel nodes on the host in order; with
// $DSV2_FAKE_CUDA_GRAPH_FAILS set, cuGraphInstantiate runs out of memory.
// Every stream is its own object; the fake NCCL (FakeLibnccl.cpp) marks one
// stuck through fakeCudaSetStreamStuck (a collective whose peers never
// come), and cuStreamQuery then answers CUDA_ERROR_NOT_READY until it is
// released (ncclCommAbort).
//
//===----------------------------------------------------------------------===//

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

using CUresult = int;
using CUdeviceptr = unsigned long long;

std::string mode() {
  const char *value = std::getenv("DSV2_FAKE_CUDA");
  return value ? value : "";
}

struct FakeFunction {
  const char *name;
};
FakeFunction fakeCache{"fake_cache"}, fakeLogits{"fake_logits"}, fakeNoop{"noop"};
int moduleToken;
std::atomic<int> launches{0};
unsigned lastBlock = 0, lastShared = 0;
int maxDynamicShared = 0;

template <typename T> T *pointerArg(void **params, int i) {
  return reinterpret_cast<T *>(*static_cast<CUdeviceptr *>(params[i]));
}

struct FakeStream {
  std::atomic<int> stuck{0};
};

/// Runs one launch of `programs` blocks on the host (see the header).
void runKernel(const FakeFunction *f, unsigned programs, unsigned block,
               unsigned shared, void **params) {
  lastBlock = block;
  lastShared = shared;
  if (f == &fakeNoop)
    return;
  for (unsigned p = 0; p < programs; ++p) {
    if (f == &fakeCache) {
      // (tokens, cacheAtPast): cacheAtPast[p] = tokens[p].
      pointerArg<float>(params, 1)[p] =
          static_cast<float>(pointerArg<int32_t>(params, 0)[p]);
    } else {
      // (w, cacheBase, cacheAtPast, logits, vocab, context, scale).
      const float *w = pointerArg<float>(params, 0);
      const float *cacheBase = pointerArg<float>(params, 1);
      const float *cacheAtPast = pointerArg<float>(params, 2);
      float *logits = pointerArg<float>(params, 3);
      int vocab = *static_cast<int32_t *>(params[4]);
      int context = *static_cast<int32_t *>(params[5]);
      float scale = *static_cast<float *>(params[6]);
      for (int v = 0; v < vocab; ++v)
        logits[p * vocab + v] = w[v] * scale + cacheAtPast[p] +
                                1000.0f * cacheBase[0] + 0.5f * context;
    }
  }
}

/// CUDA_KERNEL_NODE_PARAMS_v2.
struct KernelNodeParams {
  FakeFunction *function;
  unsigned gridX, gridY, gridZ, blockX, blockY, blockZ, shared;
  void **kernelParams;
  void **extra;
  void *kernel;
  void *context;
};

/// A kernel node: its launch, with copies of the parameter values of the
/// two host kernels (a no-op kernel's are not read).
struct FakeNode {
  const FakeFunction *function = nullptr;
  unsigned grid[3] = {}, block = 0, shared = 0;
  std::vector<uint8_t> values;
  std::vector<size_t> offsets;

  void set(const KernelNodeParams &p) {
    function = p.function;
    grid[0] = p.gridX;
    grid[1] = p.gridY;
    grid[2] = p.gridZ;
    block = p.blockX;
    shared = p.shared;
    std::vector<size_t> sizes;
    if (function == &fakeCache)
      sizes = {8, 8};
    else if (function == &fakeLogits)
      sizes = {8, 8, 8, 8, 4, 4, 4};
    values.assign(sizes.size() * 8, 0);
    offsets.clear();
    for (size_t i = 0; i < sizes.size(); ++i) {
      offsets.push_back(i * 8);
      std::memcpy(values.data() + i * 8, p.kernelParams[i], sizes[i]);
    }
  }
};
struct FakeGraph {
  std::vector<std::unique_ptr<FakeNode>> nodes;
};
struct FakeExec {
  std::vector<std::pair<FakeNode *, FakeNode>> nodes;
};
std::atomic<int> graphLaunches{0}, graphNodeUpdates{0};

} // namespace

extern "C" {

// Test hooks (not driver API).
int fakeCudaLaunches() { return launches; }
int fakeCudaGraphLaunches() { return graphLaunches; }
int fakeCudaGraphNodeUpdates() { return graphNodeUpdates; }
unsigned fakeCudaLastBlock() { return lastBlock; }
unsigned fakeCudaLastShared() { return lastShared; }
int fakeCudaMaxDynamicShared() { return maxDynamicShared; }
void fakeCudaSetStreamStuck(void *stream, int stuck) {
  static_cast<FakeStream *>(stream)->stuck = stuck;
}

CUresult cuGetErrorName(CUresult error, const char **name) {
  switch (error) {
  case 100: *name = "CUDA_ERROR_NO_DEVICE"; return 0;
  case 2: *name = "CUDA_ERROR_OUT_OF_MEMORY"; return 0;
  case 209: *name = "CUDA_ERROR_NO_BINARY_FOR_GPU"; return 0;
  case 218: *name = "CUDA_ERROR_INVALID_PTX"; return 0;
  case 500: *name = "CUDA_ERROR_NOT_FOUND"; return 0;
  case 600: *name = "CUDA_ERROR_NOT_READY"; return 0;
  default: *name = "CUDA_ERROR_UNKNOWN"; return 0;
  }
}
CUresult cuGetErrorString(CUresult error, const char **text) {
  switch (error) {
  case 100: *text = "no CUDA-capable device is detected"; return 0;
  case 2: *text = "out of memory"; return 0;
  case 209: *text = "no kernel image is available for execution on the device"; return 0;
  case 218: *text = "a PTX JIT compilation failed"; return 0;
  case 500: *text = "named symbol not found"; return 0;
  case 600: *text = "device not ready"; return 0;
  default: *text = "unknown error"; return 0;
  }
}
CUresult cuInit(unsigned) { return mode() == "no-device" ? 100 : 0; }
CUresult cuDriverGetVersion(int *version) { *version = 13000; return 0; }
CUresult cuDeviceGetCount(int *count) {
  // $DSV2_FAKE_CUDA_DEVICES identical devices (default 1).
  const char *devices = std::getenv("DSV2_FAKE_CUDA_DEVICES");
  *count = devices ? std::atoi(devices) : 1;
  return 0;
}
CUresult cuDeviceGet(int *device, int ordinal) {
  *device = ordinal;
  return 0;
}
CUresult cuDeviceGetName(char *name, int length, int) {
  std::strncpy(name, mode() == "cc80" ? "Fake A100" : "Fake H200", length);
  return 0;
}
CUresult cuDeviceGetAttribute(int *value, int attribute, int) {
  bool hopper = mode() != "cc80";
  switch (attribute) {
  case 75: *value = hopper ? 9 : 8; break;
  case 76: *value = 0; break;
  case 97: *value = hopper ? 232448 : 166912; break;
  default: *value = 0;
  }
  return 0;
}
CUresult cuDeviceTotalMem_v2(size_t *bytes, int) { *bytes = size_t(1) << 30; return 0; }
CUresult cuDevicePrimaryCtxRetain(void **context, int) {
  *context = &moduleToken;
  return 0;
}
CUresult cuDevicePrimaryCtxRelease_v2(int) { return 0; }
CUresult cuCtxSetCurrent(void *) { return 0; }
CUresult cuModuleLoadDataEx(void **module, const void *image, unsigned count,
                            int *options, void **values) {
  // A cubin (ELF): taken, unless DSV2_FAKE_CUDA_CUBIN=reject plays a device
  // of another architecture.
  if (std::memcmp(image, "\x7f" "ELF", 4) == 0) {
    const char *cubin = std::getenv("DSV2_FAKE_CUDA_CUBIN");
    if (cubin && std::string(cubin) == "reject")
      return 209;
    *module = &moduleToken;
    return 0;
  }
  if (!std::strstr(static_cast<const char *>(image), "FAKE_JIT_ERROR")) {
    *module = &moduleToken;
    return 0;
  }
  for (unsigned i = 0; i < count; ++i)
    if (options[i] == 5) // CU_JIT_ERROR_LOG_BUFFER
      std::strcpy(static_cast<char *>(values[i]),
                  "ptxas fatal   : Unresolved extern function 'missing'\n");
  return 218;
}
CUresult cuModuleUnload(void *) { return 0; }
CUresult cuModuleGetFunction(void **function, void *, const char *name) {
  if (std::strcmp(name, "fake_cache") == 0)
    *function = &fakeCache;
  else if (std::strcmp(name, "fake_logits") == 0)
    *function = &fakeLogits;
  else if (std::strcmp(name, "fake_missing") == 0)
    return 500;
  else // Any other kernel (a compiled engine's) does nothing.
    *function = &fakeNoop;
  return 0;
}
CUresult cuFuncSetAttribute(void *, int attribute, int value) {
  if (attribute == 8)
    maxDynamicShared = value;
  return 0;
}
CUresult cuLaunchKernel(void *function, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned, unsigned, unsigned shared,
                        void *, void **params, void **) {
  ++launches;
  runKernel(static_cast<const FakeFunction *>(function), gx * gy * gz, bx,
            shared, params);
  return 0;
}

// CUDA graphs: a graph is its nodes in order (the executor makes a chain);
// a node keeps a copy of its parameter values, as the driver does.
CUresult cuGraphCreate(FakeGraph **graph, unsigned) {
  *graph = new FakeGraph;
  return 0;
}
CUresult cuGraphAddKernelNode_v2(FakeNode **node, FakeGraph *graph,
                                 FakeNode *const *, size_t,
                                 const KernelNodeParams *params) {
  graph->nodes.push_back(std::make_unique<FakeNode>());
  graph->nodes.back()->set(*params);
  *node = graph->nodes.back().get();
  return 0;
}
CUresult cuGraphInstantiateWithFlags(FakeExec **exec, FakeGraph *graph,
                                     unsigned long long) {
  if (std::getenv("DSV2_FAKE_CUDA_GRAPH_FAILS"))
    return 2; // CUDA_ERROR_OUT_OF_MEMORY
  *exec = new FakeExec;
  for (const auto &node : graph->nodes)
    (*exec)->nodes.push_back({node.get(), *node});
  return 0;
}
CUresult cuGraphExecKernelNodeSetParams_v2(FakeExec *exec, FakeNode *node,
                                           const KernelNodeParams *params) {
  for (auto &[original, copy] : exec->nodes)
    if (original == node) {
      copy.set(*params);
      ++graphNodeUpdates;
      return 0;
    }
  return 1; // CUDA_ERROR_INVALID_VALUE: not a node of this graph.
}
CUresult cuGraphLaunch(FakeExec *exec, void *) {
  ++graphLaunches;
  for (auto &[original, node] : exec->nodes) {
    std::vector<void *> params;
    for (size_t offset : node.offsets)
      params.push_back(node.values.data() + offset);
    runKernel(node.function, node.grid[0] * node.grid[1] * node.grid[2],
              node.block, node.shared, params.data());
  }
  return 0;
}
CUresult cuGraphExecDestroy(FakeExec *exec) {
  delete exec;
  return 0;
}
CUresult cuGraphDestroy(FakeGraph *graph) {
  delete graph;
  return 0;
}
CUresult cuMemAlloc_v2(CUdeviceptr *pointer, size_t bytes) {
  // Zeroed, so the no-op kernels of a compiled engine leave deterministic
  // logits (argmax 0) instead of whatever freed memory held (sometimes the
  // end-of-sequence id, which ends a run early).
  *pointer = reinterpret_cast<CUdeviceptr>(std::calloc(bytes, 1));
  return 0;
}
CUresult cuMemFree_v2(CUdeviceptr pointer) {
  std::free(reinterpret_cast<void *>(pointer));
  return 0;
}
CUresult cuMemcpyHtoD_v2(CUdeviceptr to, const void *from, size_t bytes) {
  std::memcpy(reinterpret_cast<void *>(to), from, bytes);
  return 0;
}
CUresult cuMemcpyDtoH_v2(void *to, CUdeviceptr from, size_t bytes) {
  std::memcpy(to, reinterpret_cast<const void *>(from), bytes);
  return 0;
}
CUresult cuMemsetD8_v2(CUdeviceptr to, unsigned char value, size_t bytes) {
  std::memset(reinterpret_cast<void *>(to), value, bytes);
  return 0;
}
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr to, CUdeviceptr from, size_t bytes,
                              void *) {
  std::memmove(reinterpret_cast<void *>(to), reinterpret_cast<void *>(from),
               bytes);
  return 0;
}
/// CUDA_MEMCPY2D_v2, device to device only.
struct Memcpy2D {
  size_t srcXInBytes, srcY;
  int srcMemoryType;
  const void *srcHost;
  CUdeviceptr srcDevice;
  void *srcArray;
  size_t srcPitch;
  size_t dstXInBytes, dstY;
  int dstMemoryType;
  void *dstHost;
  CUdeviceptr dstDevice;
  void *dstArray;
  size_t dstPitch;
  size_t widthInBytes, height;
};
CUresult cuMemcpy2DAsync_v2(const Memcpy2D *copy, void *) {
  if (copy->srcMemoryType != 2 || copy->dstMemoryType != 2 ||
      copy->widthInBytes > copy->srcPitch || copy->widthInBytes > copy->dstPitch)
    return 1; // CUDA_ERROR_INVALID_VALUE
  for (size_t row = 0; row < copy->height; ++row)
    std::memcpy(reinterpret_cast<char *>(copy->dstDevice) + copy->dstXInBytes +
                    (copy->dstY + row) * copy->dstPitch,
                reinterpret_cast<const char *>(copy->srcDevice) +
                    copy->srcXInBytes + (copy->srcY + row) * copy->srcPitch,
                copy->widthInBytes);
  return 0;
}
CUresult cuStreamCreate(void **stream, unsigned) {
  *stream = new FakeStream;
  return 0;
}
CUresult cuStreamDestroy_v2(void *stream) {
  delete static_cast<FakeStream *>(stream);
  return 0;
}
CUresult cuStreamQuery(void *stream) {
  return static_cast<FakeStream *>(stream)->stuck ? 600 : 0;
}
// Events: each records how many kernels had been launched; the time
// between two is 1 microsecond per kernel launched in between.
struct FakeEvent {
  int launchesAtRecord = 0;
};
CUresult cuEventCreate(FakeEvent **event, unsigned) {
  *event = new FakeEvent;
  return 0;
}
CUresult cuEventRecord(FakeEvent *event, void *) {
  event->launchesAtRecord = launches;
  return 0;
}
CUresult cuEventSynchronize(FakeEvent *) { return 0; }
CUresult cuEventElapsedTime(float *milliseconds, FakeEvent *start,
                            FakeEvent *end) {
  *milliseconds = 1e-3f * static_cast<float>(end->launchesAtRecord -
                                             start->launchesAtRecord);
  return 0;
}
CUresult cuEventDestroy_v2(FakeEvent *event) {
  delete event;
  return 0;
}

CUresult cuStreamSynchronize(void *stream) {
  // A stuck stream would block forever on a GPU; the fake says so.
  return static_cast<FakeStream *>(stream)->stuck ? 600 : 0;
}

} // extern "C"
