//===- CudaExecutor.h - Runs a launch plan on an NVIDIA GPU -----*- C++ -*-===//
//
// The GPU twin of CpuExecutor, with the same launch plan and semantics:
// every plan buffer is a device allocation (weights uploaded once from the
// mapped weight file, one KV cache per sequence), each launch is one block
// of the kernel's `threads` threads per program of its grid, and the
// kernel parameters are the launch's arguments in order (buffer pointers at
// base + offset elements, i32/f32 scalars by value), exactly the args array
// the CPU kernels receive. The driver is opened at run time (CudaDriver).
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_CUDA_CUDAEXECUTOR_H
#define RUNTIME_CUDA_CUDAEXECUTOR_H

#include "runtime/cuda/CudaDriver.h"
#include "runtime/engine/EngineFormat.h"
#include "runtime/engine/Executor.h"

#include "absl/types/span.h"

#include <memory>
#include <vector>

namespace dsv2::runtime {

struct CudaExecutorOptions {
  /// Independent sequences, each with its own KV cache (a batch).
  int sequences = 1;
  /// Synchronize after every launch, so a fault names its kernel (slow;
  /// also on with DSV2_CUDA_SYNC_LAUNCHES=1).
  bool syncEachLaunch = false;
};

class CudaExecutor : public StepExecutor {
public:
  /// Opens the driver, checks device 0 against `target` ("sm_80",
  /// "sm_90a"), JIT-compiles `ptx` (the module image; NUL-terminated or
  /// not), resolves every launched kernel with its launch shape from
  /// `kernels`, allocates the plan's buffers and uploads the weights:
  /// `weights[i]` is the host address of weight buffer i's packed bytes.
  static absl::StatusOr<std::unique_ptr<CudaExecutor>>
  create(LaunchPlan plan, const std::string &target,
         absl::Span<const uint8_t> ptx,
         const std::vector<GpuKernelInfo> &kernels,
         const std::vector<const void *> &weights,
         const CudaExecutorOptions &options);
  ~CudaExecutor() override;

  absl::StatusOr<std::vector<float>>
  step(int sequence, absl::Span<const int32_t> tokens) override;
  using StepExecutor::step;

  int sequences() const override { return static_cast<int>(cached.size()); }
  int64_t past(int sequence = 0) const override { return cached[sequence]; }
  void reset() override { cached.assign(cached.size(), 0); }

  const LaunchPlan &getPlan() const override { return plan; }
  const StepTimings &lastStepTimings() const override { return timings; }
  /// Bytes of device memory allocated (weights, scratch, caches).
  int64_t allocatedBytes() const override { return deviceBytes; }
  const cuda::CudaDeviceInfo &device() const { return deviceInfo; }

private:
  struct Kernel {
    cuda::CUfunction function = nullptr;
    unsigned threads = 0;
    unsigned sharedBytes = 0;
  };

  CudaExecutor(LaunchPlan plan, std::unique_ptr<cuda::CudaDriver> driver,
               const CudaExecutorOptions &options);
  absl::Status openDevice(const std::string &target);
  absl::Status loadModule(absl::Span<const uint8_t> ptx,
                          const std::vector<GpuKernelInfo> &kernels);
  absl::Status allocateBuffers(const std::vector<const void *> &weights);
  absl::Status allocate(cuda::CUdeviceptr &pointer, size_t bytes);
  absl::Status run(const StepProgram &program, int sequence, int64_t tokens);
  cuda::CUdeviceptr address(const KernelArg &arg, int sequence, int64_t tokens) const;

  LaunchPlan plan;
  std::unique_ptr<cuda::CudaDriver> driver;
  cuda::CudaDeviceInfo deviceInfo;
  cuda::CUcontext context = nullptr;
  cuda::CUmodule module = nullptr;
  cuda::CUstream stream = nullptr;
  bool syncEachLaunch;
  std::vector<Kernel> prefillKernels, decodeKernels;
  /// Per plan buffer: its device allocation and size (scratch, token and
  /// logit buffers grow with the step); caches are per sequence.
  std::vector<cuda::CUdeviceptr> buffers;
  std::vector<size_t> bufferBytes;
  std::vector<std::vector<cuda::CUdeviceptr>> caches;
  int64_t deviceBytes = 0;
  std::vector<int64_t> cached;
  StepTimings timings;
};

} // namespace dsv2::runtime

#endif // RUNTIME_CUDA_CUDAEXECUTOR_H
