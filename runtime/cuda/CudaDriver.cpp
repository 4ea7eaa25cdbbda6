//===- CudaDriver.cpp - The CUDA driver API, opened at run time -----------===//

#include "runtime/cuda/CudaDriver.h"

#include "runtime/cuda/DynamicLibrary.h"

#include "absl/strings/str_cat.h"

#include <algorithm>

namespace dsv2::runtime::cuda {

namespace {

/// Looks `name` up; the versioned names are what cuda.h's macros expand to
/// (the unversioned ones are the pre-CUDA-4 ABI with 32-bit pointers).
template <typename F>
absl::Status resolve(void *handle, const char *name, const std::string &path,
                     F &slot) {
  if (!lookUp(handle, name, slot))
    return absl::FailedPreconditionError(absl::StrCat(
        "the NVIDIA driver ", path, " has no ", name,
        " (too old? this runtime needs a CUDA 12 or newer driver)"));
  return absl::OkStatus();
}

} // namespace

absl::StatusOr<std::unique_ptr<CudaDriver>>
CudaDriver::open(const std::string &target) {
  OpenedLibrary library = openLibrary("DSV2_LIBCUDA", "libcuda.so.1");
  void *handle = library.handle;
  const std::string &path = library.path;
  if (!handle) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot load the NVIDIA driver (", library.reason, "); this engine was "
        "compiled for ", target, " and needs a GPU; compile with --target cpu "
        "to run on the CPU"));
  }
  std::unique_ptr<CudaDriver> driver(new CudaDriver(handle));
  CudaDriverApi &f = driver->fns;
#define DSV2_RESOLVE(field, symbol)                                            \
  if (absl::Status s = resolve(handle, symbol, path, f.field); !s.ok())        \
    return s;
  DSV2_RESOLVE(cuInit, "cuInit")
  DSV2_RESOLVE(cuGetErrorName, "cuGetErrorName")
  DSV2_RESOLVE(cuGetErrorString, "cuGetErrorString")
  DSV2_RESOLVE(cuDriverGetVersion, "cuDriverGetVersion")
  DSV2_RESOLVE(cuDeviceGetCount, "cuDeviceGetCount")
  DSV2_RESOLVE(cuDeviceGet, "cuDeviceGet")
  DSV2_RESOLVE(cuDeviceGetName, "cuDeviceGetName")
  DSV2_RESOLVE(cuDeviceGetAttribute, "cuDeviceGetAttribute")
  DSV2_RESOLVE(cuDeviceTotalMem, "cuDeviceTotalMem_v2")
  DSV2_RESOLVE(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain")
  DSV2_RESOLVE(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2")
  DSV2_RESOLVE(cuCtxSetCurrent, "cuCtxSetCurrent")
  DSV2_RESOLVE(cuModuleLoadDataEx, "cuModuleLoadDataEx")
  DSV2_RESOLVE(cuModuleUnload, "cuModuleUnload")
  DSV2_RESOLVE(cuModuleGetFunction, "cuModuleGetFunction")
  DSV2_RESOLVE(cuFuncSetAttribute, "cuFuncSetAttribute")
  DSV2_RESOLVE(cuLaunchKernel, "cuLaunchKernel")
  DSV2_RESOLVE(cuMemAlloc, "cuMemAlloc_v2")
  DSV2_RESOLVE(cuMemFree, "cuMemFree_v2")
  DSV2_RESOLVE(cuMemcpyHtoD, "cuMemcpyHtoD_v2")
  DSV2_RESOLVE(cuMemcpyDtoH, "cuMemcpyDtoH_v2")
  DSV2_RESOLVE(cuMemsetD8, "cuMemsetD8_v2")
  DSV2_RESOLVE(cuStreamCreate, "cuStreamCreate")
  DSV2_RESOLVE(cuStreamDestroy, "cuStreamDestroy_v2")
  DSV2_RESOLVE(cuStreamSynchronize, "cuStreamSynchronize")
  DSV2_RESOLVE(cuStreamQuery, "cuStreamQuery")
  DSV2_RESOLVE(cuMemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2")
  DSV2_RESOLVE(cuMemcpy2DAsync, "cuMemcpy2DAsync_v2")
#undef DSV2_RESOLVE
  // Graphs are optional: without them decode steps are stream launches.
  driver->graphs =
      lookUp(handle, "cuGraphCreate", f.cuGraphCreate) &&
      lookUp(handle, "cuGraphAddKernelNode_v2", f.cuGraphAddKernelNode) &&
      lookUp(handle, "cuGraphInstantiateWithFlags", f.cuGraphInstantiate) &&
      lookUp(handle, "cuGraphExecKernelNodeSetParams_v2",
             f.cuGraphExecKernelNodeSetParams) &&
      lookUp(handle, "cuGraphLaunch", f.cuGraphLaunch) &&
      lookUp(handle, "cuGraphExecDestroy", f.cuGraphExecDestroy) &&
      lookUp(handle, "cuGraphDestroy", f.cuGraphDestroy);
  driver->events =
      lookUp(handle, "cuEventCreate", f.cuEventCreate) &&
      lookUp(handle, "cuEventRecord", f.cuEventRecord) &&
      lookUp(handle, "cuEventSynchronize", f.cuEventSynchronize) &&
      lookUp(handle, "cuEventElapsedTime", f.cuEventElapsedTime) &&
      lookUp(handle, "cuEventDestroy_v2", f.cuEventDestroy);
  return driver;
}

CudaDriver::~CudaDriver() {
  // The driver stays loaded: unloading libcuda while its threads run is
  // unsafe, and a process opens it once anyway.
  (void)handle;
}

absl::Status CudaDriver::check(CUresult result, const char *call) const {
  if (result == CUDA_SUCCESS)
    return absl::OkStatus();
  const char *name = nullptr, *text = nullptr;
  if (fns.cuGetErrorName(result, &name) != CUDA_SUCCESS || !name)
    name = "CUDA_ERROR_UNKNOWN";
  if (fns.cuGetErrorString(result, &text) != CUDA_SUCCESS || !text)
    text = "unknown error";
  return absl::InternalError(
      absl::StrCat(call, ": ", name, " (", result, "): ", text));
}

absl::StatusOr<CudaDeviceInfo> CudaDriver::device(int index) const {
  if (CUresult r = fns.cuInit(0); r != CUDA_SUCCESS) {
    absl::Status status = check(r, "cuInit");
    return absl::FailedPreconditionError(absl::StrCat(
        r == CUDA_ERROR_NO_DEVICE ? "no CUDA device ("
                                  : "the NVIDIA driver failed to initialize (",
        status.message(), ")"));
  }
  int count = 0;
  if (absl::Status s = check(fns.cuDeviceGetCount(&count), "cuDeviceGetCount");
      !s.ok())
    return s;
  if (count < 1)
    return absl::FailedPreconditionError(
        "no CUDA device (cuDeviceGetCount: 0 devices)");
  CudaDeviceInfo info;
  CUdevice device = 0;
  if (absl::Status s = check(
          fns.cuDeviceGet(&device, std::max(index, 0) % count), "cuDeviceGet");
      !s.ok())
    return s;
  char name[256] = {};
  if (absl::Status s = check(fns.cuDeviceGetName(name, sizeof name - 1, device),
                             "cuDeviceGetName");
      !s.ok())
    return s;
  info.ordinal = device;
  info.name = name;
  struct {
    int attribute;
    int *value;
  } attributes[] = {
      {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, &info.major},
      {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, &info.minor},
      {CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
       &info.maxSharedPerBlock}};
  for (auto &a : attributes)
    if (absl::Status s = check(fns.cuDeviceGetAttribute(a.value, a.attribute, device),
                               "cuDeviceGetAttribute");
        !s.ok())
      return s;
  if (absl::Status s =
          check(fns.cuDeviceTotalMem(&info.totalMemory, device), "cuDeviceTotalMem");
      !s.ok())
    return s;
  if (absl::Status s =
          check(fns.cuDriverGetVersion(&info.driverVersion), "cuDriverGetVersion");
      !s.ok())
    return s;
  return info;
}

absl::StatusOr<TargetCapability> targetCapability(const std::string &target) {
  if (target == "sm_80")
    return TargetCapability{8, 0, false};
  if (target == "sm_90a")
    return TargetCapability{9, 0, true};
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown GPU target '", target, "' (this runtime knows sm_80 and sm_90a)"));
}

absl::Status checkDeviceRuns(const std::string &target,
                             const CudaDeviceInfo &device) {
  auto needed = targetCapability(target);
  if (!needed.ok())
    return needed.status();
  bool runs = needed->exact ? device.major == needed->major &&
                                  device.minor == needed->minor
                            : device.major * 10 + device.minor >=
                                  needed->major * 10 + needed->minor;
  if (runs)
    return absl::OkStatus();
  bool newer = device.major * 10 + device.minor > needed->major * 10 + needed->minor;
  return absl::FailedPreconditionError(absl::StrCat(
      "engine for ", target, " needs compute capability ", needed->major, ".",
      needed->minor, ", device ", device.ordinal, " (", device.name, ") has ",
      device.major, ".", device.minor,
      newer ? absl::StrCat("; ", target, " code runs only on ", needed->major,
                           ".", needed->minor, " (compile for sm_80 instead)")
            : ""));
}

} // namespace dsv2::runtime::cuda
