//===- CudaDriver.h - The CUDA driver API, opened at run time ---*- C++ -*-===//
//
// dsv2-run must build and start on machines without a GPU, so nothing links
// libcuda: the driver is dlopen'ed ("libcuda.so.1", or $DSV2_LIBCUDA for
// tests) and the few entry points the executor needs are looked up by name.
// The types and enum values below are the driver ABI (cuda.h of CUDA 12/13)
// declared here so the build never needs the toolkit. Every failure becomes
// one line: the call, the driver's error name and its description.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_CUDA_CUDADRIVER_H
#define RUNTIME_CUDA_CUDADRIVER_H

#include "absl/status/statusor.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace dsv2::runtime::cuda {

// Driver ABI (values as in cuda.h).
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUevent = struct CUevent_st *;
using CUgraph = struct CUgraph_st *;
using CUgraphNode = struct CUgraphNode_st *;
using CUgraphExec = struct CUgraphExec_st *;

inline constexpr CUresult CUDA_SUCCESS = 0;
inline constexpr CUresult CUDA_ERROR_NO_DEVICE = 100;
inline constexpr CUresult CUDA_ERROR_NOT_READY = 600;
inline constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
inline constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
inline constexpr int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;
inline constexpr int CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;
inline constexpr int CU_JIT_INFO_LOG_BUFFER = 3;
inline constexpr int CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4;
inline constexpr int CU_JIT_ERROR_LOG_BUFFER = 5;
inline constexpr int CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
inline constexpr unsigned CU_STREAM_NON_BLOCKING = 1;
inline constexpr int CU_MEMORYTYPE_DEVICE = 2;

/// cuMemcpy2DAsync's description of a copy (CUDA_MEMCPY2D_v2 in cuda.h).
struct CudaMemcpy2D {
  size_t srcXInBytes = 0, srcY = 0;
  int srcMemoryType = 0;
  const void *srcHost = nullptr;
  CUdeviceptr srcDevice = 0;
  void *srcArray = nullptr;
  size_t srcPitch = 0;
  size_t dstXInBytes = 0, dstY = 0;
  int dstMemoryType = 0;
  void *dstHost = nullptr;
  CUdeviceptr dstDevice = 0;
  void *dstArray = nullptr;
  size_t dstPitch = 0;
  size_t widthInBytes = 0, height = 0;
};
static_assert(sizeof(CudaMemcpy2D) == 128, "CUDA_MEMCPY2D_v2 is 128 bytes");

/// A kernel node of a CUDA graph (CUDA_KERNEL_NODE_PARAMS_v2 in cuda.h).
/// `kernelParams` are copied by the driver when the node is added or set.
struct CudaKernelNodeParams {
  CUfunction function = nullptr;
  unsigned gridX = 1, gridY = 1, gridZ = 1;
  unsigned blockX = 1, blockY = 1, blockZ = 1;
  unsigned sharedBytes = 0;
  void **kernelParams = nullptr;
  void **extra = nullptr;
  void *kernel = nullptr;   // CUkernel: unused when `function` is set.
  CUcontext context = nullptr;
};
static_assert(sizeof(CudaKernelNodeParams) == 72,
              "CUDA_KERNEL_NODE_PARAMS_v2 is 72 bytes");

/// The entry points, resolved from the loaded driver.
struct CudaDriverApi {
  CUresult (*cuInit)(unsigned flags);
  CUresult (*cuGetErrorName)(CUresult, const char **);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuDriverGetVersion)(int *);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int ordinal);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDeviceGetAttribute)(int *, int attribute, CUdevice);
  CUresult (*cuDeviceTotalMem)(size_t *, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuModuleLoadDataEx)(CUmodule *, const void *image, unsigned count,
                                 int *options, void **values);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuFuncSetAttribute)(CUfunction, int attribute, int value);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned gx, unsigned gy, unsigned gz,
                             unsigned bx, unsigned by, unsigned bz,
                             unsigned sharedBytes, CUstream, void **params,
                             void **extra);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*cuMemcpyDtoH)(void *, CUdeviceptr, size_t);
  CUresult (*cuMemsetD8)(CUdeviceptr, unsigned char, size_t);
  CUresult (*cuStreamCreate)(CUstream *, unsigned flags);
  CUresult (*cuStreamDestroy)(CUstream);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuStreamQuery)(CUstream);
  CUresult (*cuMemcpyDtoDAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  CUresult (*cuMemcpy2DAsync)(const CudaMemcpy2D *, CUstream);
  // CUDA graphs (decode steps); null when the driver lacks any of them,
  // and the executor then launches on the stream.
  CUresult (*cuGraphCreate)(CUgraph *, unsigned flags);
  CUresult (*cuGraphAddKernelNode)(CUgraphNode *, CUgraph,
                                   const CUgraphNode *dependencies,
                                   size_t dependencyCount,
                                   const CudaKernelNodeParams *);
  CUresult (*cuGraphInstantiate)(CUgraphExec *, CUgraph,
                                 unsigned long long flags);
  CUresult (*cuGraphExecKernelNodeSetParams)(CUgraphExec, CUgraphNode,
                                             const CudaKernelNodeParams *);
  CUresult (*cuGraphLaunch)(CUgraphExec, CUstream);
  CUresult (*cuGraphExecDestroy)(CUgraphExec);
  CUresult (*cuGraphDestroy)(CUgraph);
  // Events (DSV2_PROFILE_LAUNCHES times each kernel between two); null when
  // the driver lacks any of them, and the profile times the host's wait.
  CUresult (*cuEventCreate)(CUevent *, unsigned flags);
  CUresult (*cuEventRecord)(CUevent, CUstream);
  CUresult (*cuEventSynchronize)(CUevent);
  CUresult (*cuEventElapsedTime)(float *milliseconds, CUevent start,
                                 CUevent end);
  CUresult (*cuEventDestroy)(CUevent);
};

/// A GPU as the executor sees it.
struct CudaDeviceInfo {
  int ordinal = 0;
  std::string name;
  int major = 0, minor = 0;
  int maxSharedPerBlock = 0;
  size_t totalMemory = 0;
  int driverVersion = 0;
};

class CudaDriver {
public:
  /// Opens the driver library: $DSV2_LIBCUDA if set, else libcuda.so.1.
  /// `target` (e.g. "sm_90a") only words the error.
  static absl::StatusOr<std::unique_ptr<CudaDriver>>
  open(const std::string &target);
  ~CudaDriver();
  CudaDriver(const CudaDriver &) = delete;
  CudaDriver &operator=(const CudaDriver &) = delete;

  const CudaDriverApi &api() const { return fns; }
  /// Whether the driver has every CUDA graph entry point of CudaDriverApi.
  bool hasGraphs() const { return graphs; }
  /// Whether the driver has every event entry point of CudaDriverApi.
  bool hasEvents() const { return events; }
  /// `result` as "call: CUDA_ERROR_X: description" (OK on CUDA_SUCCESS).
  absl::Status check(CUresult result, const char *call) const;

  /// cuInit, then device 0's properties; "no CUDA device (...)" if none.
  absl::StatusOr<CudaDeviceInfo> firstDevice() const { return device(0); }
  /// cuInit, then the properties of device `index` modulo the device count
  /// (a rank's device: its local rank on the host modulo the GPUs there).
  absl::StatusOr<CudaDeviceInfo> device(int index) const;

private:
  CudaDriver(void *handle) : handle(handle) {}
  void *handle;
  CudaDriverApi fns{};
  bool graphs = false;
  bool events = false;
};

/// The compute capability an engine target needs, e.g. "sm_90a" -> {9, 0,
/// exact} ('a' targets run only on that capability), "sm_80" -> {8, 0, at
/// least}. Error for anything else.
struct TargetCapability {
  int major = 0, minor = 0;
  bool exact = false;
};
absl::StatusOr<TargetCapability> targetCapability(const std::string &target);

/// OK when `device` can run code compiled for `target`.
absl::Status checkDeviceRuns(const std::string &target,
                             const CudaDeviceInfo &device);

} // namespace dsv2::runtime::cuda

#endif // RUNTIME_CUDA_CUDADRIVER_H
