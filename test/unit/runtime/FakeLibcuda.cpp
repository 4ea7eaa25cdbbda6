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
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

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
int launches = 0;
unsigned lastBlock = 0, lastShared = 0;
int maxDynamicShared = 0;

template <typename T> T *pointerArg(void **params, int i) {
  return reinterpret_cast<T *>(*static_cast<CUdeviceptr *>(params[i]));
}

} // namespace

extern "C" {

// Test hooks (not driver API).
int fakeCudaLaunches() { return launches; }
unsigned fakeCudaLastBlock() { return lastBlock; }
unsigned fakeCudaLastShared() { return lastShared; }
int fakeCudaMaxDynamicShared() { return maxDynamicShared; }

CUresult cuGetErrorName(CUresult error, const char **name) {
  switch (error) {
  case 100: *name = "CUDA_ERROR_NO_DEVICE"; return 0;
  case 218: *name = "CUDA_ERROR_INVALID_PTX"; return 0;
  case 500: *name = "CUDA_ERROR_NOT_FOUND"; return 0;
  default: *name = "CUDA_ERROR_UNKNOWN"; return 0;
  }
}
CUresult cuGetErrorString(CUresult error, const char **text) {
  switch (error) {
  case 100: *text = "no CUDA-capable device is detected"; return 0;
  case 218: *text = "a PTX JIT compilation failed"; return 0;
  case 500: *text = "named symbol not found"; return 0;
  default: *text = "unknown error"; return 0;
  }
}
CUresult cuInit(unsigned) { return mode() == "no-device" ? 100 : 0; }
CUresult cuDriverGetVersion(int *version) { *version = 13000; return 0; }
CUresult cuDeviceGetCount(int *count) { *count = 1; return 0; }
CUresult cuDeviceGet(int *device, int) { *device = 0; return 0; }
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
  lastBlock = bx;
  lastShared = shared;
  const FakeFunction *f = static_cast<const FakeFunction *>(function);
  if (f == &fakeNoop)
    return 0;
  for (unsigned p = 0; p < gx * gy * gz; ++p) {
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
  return 0;
}
CUresult cuMemAlloc_v2(CUdeviceptr *pointer, size_t bytes) {
  *pointer = reinterpret_cast<CUdeviceptr>(std::malloc(bytes));
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
CUresult cuStreamCreate(void **stream, unsigned) {
  *stream = &moduleToken;
  return 0;
}
CUresult cuStreamDestroy_v2(void *) { return 0; }
CUresult cuStreamSynchronize(void *) { return 0; }

} // extern "C"
