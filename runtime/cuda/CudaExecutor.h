//===- CudaExecutor.h - Runs a launch plan on an NVIDIA GPU -----*- C++ -*-===//
//
// The GPU twin of CpuExecutor, with the same launch plan and semantics:
// every plan buffer is a device allocation (weights uploaded once from the
// mapped weight file, one KV cache per sequence), each launch is one block
// of the kernel's `threads` threads per program of its grid, and the
// kernel parameters are the launch's arguments in order (buffer pointers at
// base + offset elements, i32/f32 scalars by value), exactly the args array
// the CPU kernels receive. The driver is opened at run time (CudaDriver);
// a multi-rank plan's collective launches run through NCCL, also opened at
// run time (NcclCollectives.h), one GPU per rank.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_CUDA_CUDAEXECUTOR_H
#define RUNTIME_CUDA_CUDAEXECUTOR_H

#include "runtime/collectives/Collectives.h"
#include "runtime/cuda/CudaDriver.h"
#include "runtime/cuda/KernelGraph.h"
#include "runtime/engine/EngineFormat.h"
#include "runtime/engine/Executor.h"
#include "runtime/engine/LaunchArguments.h"
#include "runtime/engine/SequenceSegments.h"

#include "absl/types/span.h"

#include <array>
#include <map>
#include <memory>
#include <utility>
#include <vector>

namespace dsv2::runtime {

namespace cuda {
class NcclCollectives;
} // namespace cuda

struct CudaExecutorOptions {
  /// Independent sequences, each with its own KV cache (a batch).
  int sequences = 1;
  /// Synchronize after every launch, so a fault names its kernel (slow;
  /// also on with DSV2_CUDA_SYNC_LAUNCHES=1).
  bool syncEachLaunch = false;
  /// Required by a multi-rank plan (its rank and layout must match): the
  /// host backend (MPI under mpirun) that bootstraps NCCL, which then runs
  /// the plan's collective launches on the device (NcclCollectives.h).
  Collectives *collectives = nullptr;
  /// The deadline of a step's NCCL collectives.
  double collectiveTimeoutSeconds = kDefaultCollectiveTimeoutSeconds;
  /// Decode steps as CUDA graphs (KernelGraph.h; one per run of kernels
  /// between NCCL collectives), made on the first decode step and updated
  /// per step. Also off with DSV2_CUDA_GRAPHS=0, syncEachLaunch and
  /// DSV2_PROFILE_LAUNCHES (both check or time each launch).
  bool decodeGraph = true;
  /// The device: this index modulo the device count. -1: the launcher's
  /// local rank (OMPI_COMM_WORLD_LOCAL_RANK, ...; 0 without one), so the
  /// ranks on one host take one GPU each.
  int deviceIndex = -1;
  /// The engine's cubin (its PTX assembled by ptxas for the target), loaded
  /// instead of JIT-compiling the PTX when the device takes it; if it does
  /// not load, the PTX is JIT-compiled (moduleDescription says why). Also
  /// ignored with DSV2_CUDA_CUBIN=0.
  absl::Span<const uint8_t> cubin;
};

class CudaExecutor : public StepExecutor {
public:
  /// Opens the driver, checks the device (see deviceIndex) against
  /// `target` ("sm_80", "sm_90a"), joins NCCL for a multi-rank plan,
  /// JIT-compiles `ptx` (the module image; NUL-terminated or
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

  int sequences() const override { return static_cast<int>(cached.size()); }
  int64_t past(int sequence = 0) const override { return cached[sequence]; }
  void reset() override { cached.assign(cached.size(), 0); }

  const LaunchPlan &getPlan() const override { return plan; }
  const StepTimings &lastStepTimings() const override { return timings; }
  /// Bytes of device memory allocated (weights, scratch, caches).
  int64_t allocatedBytes() const override { return deviceBytes; }
  const cuda::CudaDeviceInfo &device() const { return deviceInfo; }
  /// "NCCL 2.28.3" for a multi-rank plan, else empty.
  std::string collectivesDescription() const;
  /// How decode steps reach the GPU: "one CUDA graph of N kernels (U
  /// kernel updates in S steps)", "G CUDA graphs of N kernels between NCCL
  /// collectives (...)", or "stream launches (why)"; for batches decoded
  /// together "B steps of a whole batch (decodeBatch) as CUDA graphs, one
  /// per batch size (G)" (after "; " when single steps ran too).
  std::string decodeLaunchDescription() const;
  /// Where the kernels' machine code came from: "cubin (ptxas)" or "PTX,
  /// JIT-compiled by the driver (why not the cubin)".
  const std::string &moduleDescription() const { return moduleSource; }
  /// Decode steps run as graphs, and graph nodes set to a changed launch.
  int64_t graphSteps() const { return graphStepCount; }
  int64_t graphUpdates() const;

private:
  struct Kernel {
    cuda::CUfunction function = nullptr;
    unsigned threads = 0;
    unsigned sharedBytes = 0;
  };

  CudaExecutor(LaunchPlan plan, std::unique_ptr<cuda::CudaDriver> driver,
               const CudaExecutorOptions &options);
  absl::Status openDevice(const std::string &target, int deviceIndex);
  absl::Status joinCollectives(const CudaExecutorOptions &options);
  absl::Status loadModule(absl::Span<const uint8_t> ptx,
                          absl::Span<const uint8_t> cubin,
                          const std::vector<GpuKernelInfo> &kernels);
  absl::Status allocateBuffers(const std::vector<const void *> &weights);
  absl::Status allocate(cuda::CUdeviceptr &pointer, size_t bytes);
  absl::StatusOr<std::vector<float>>
  runStep(int sequence, absl::Span<const int32_t> tokens,
          bool lastRowOnly) override;
  /// Several sequences' prompts in one prefill, or one token of each in one
  /// decodeBatch step (CpuExecutor's rules: runBatchTogether).
  absl::StatusOr<Batch> runBatch(absl::Span<const SequenceTokens> steps,
                                 bool lastRowOnly) override;
  /// One step of `program` over the rows of all `steps` (checked input):
  /// batch-wide segments once, per-sequence segments for each sequence.
  absl::StatusOr<Batch> runTogether(const StepProgram &program,
                                    absl::Span<const SequenceTokens> steps,
                                    bool lastRowOnly);
  /// The step's token ids into the tokens buffer (synchronous).
  absl::Status uploadTokens(absl::Span<const int32_t> tokens);
  /// Rows [first, first + rows) of a [rows, vocab] logits buffer, copied
  /// to the host after the queued kernels.
  absl::StatusOr<std::vector<float>> logitRows(int32_t buffer, int64_t first,
                                               int64_t rows) const;
  /// Grows the step-local device buffers to hold every slice.
  absl::Status sizeStepBuffers(const StepProgram &program,
                               absl::Span<const RowSlice> slices);
  const std::vector<Kernel> &kernelsOf(const StepProgram &program) const;
  const BatchLayout &batchLayout(const StepProgram &program) const;
  absl::Status run(const StepProgram &program, int sequence, int64_t tokens);
  /// Launches [first, last) of `program` over `rows` on the stream.
  absl::Status runLaunches(const StepProgram &program, size_t first,
                           size_t last, const RowSlice &rows);
  /// A decode step as graphs; false (nothing launched) when this step
  /// cannot be (a launch with an empty grid) or a graph could not be made
  /// (graphsOff says why, and later steps use the stream).
  absl::StatusOr<bool> runAsGraph(const StepProgram &program, int sequence,
                                  int64_t tokens);
  /// decodeLaunchDescription's part for one sequence's decode steps.
  std::string singleDecodeDescription() const;
  /// Node `node` of launch `l` of `program` over `rows` (its kernel, grid
  /// and argument values); false when its grid is empty.
  absl::StatusOr<bool> recordNode(const StepProgram &program, size_t l,
                                  const RowSlice &rows,
                                  LaunchArguments<cuda::CUdeviceptr> &arguments,
                                  cuda::KernelNode &node);
  /// A decodeBatch step as the CUDA graph of its batch size (recorded,
  /// then made or updated); false (nothing launched) as runAsGraph.
  absl::StatusOr<bool> runBatchAsGraph(const StepProgram &program,
                                       absl::Span<const RowSlice> slices,
                                       const RowSlice &all);
  cuda::CUdeviceptr address(const KernelArg &arg, const RowSlice &rows) const;
  int64_t bytesAfter(const KernelArg &arg, const RowSlice &rows) const;
  absl::Status runCollective(const Launch &launch, const RowSlice &rows);
  /// Waits for the stream: NCCL's deadline-polled wait in a multi-rank run.
  absl::Status finishStream(const char *what);
  /// Launches `kernel` on the stream. With `seconds` (DSV2_PROFILE_LAUNCHES)
  /// waits for it and sets how long it ran: between two CUDA events when
  /// the driver has them, else the host's wait (launch overhead included).
  cuda::CUresult launchKernel(const Kernel &kernel,
                              const std::array<unsigned, 3> &grid, void **args,
                              double *seconds);
  /// Whether DSV2_PROFILE_LAUNCHES times kernels with CUDA events (made
  /// on the first call); else the host times each synchronized launch.
  bool profileWithEvents();
  /// How launches are timed, for the profile's header.
  std::string profileNote();

  LaunchPlan plan;
  std::unique_ptr<cuda::CudaDriver> driver;
  cuda::CudaDeviceInfo deviceInfo;
  std::string moduleSource;
  cuda::CUcontext context = nullptr;
  cuda::CUmodule module = nullptr;
  cuda::CUstream stream = nullptr;
  /// DSV2_PROFILE_LAUNCHES: the events around each kernel (made on first
  /// use; left null, and host timing used, if the driver cannot make them).
  cuda::CUevent profileStart = nullptr, profileEnd = nullptr;
  bool profileEventsTried = false;
  bool syncEachLaunch;
  /// Empty while decode steps may run as the graph; else why they do not.
  std::string graphsOff;
  std::vector<std::unique_ptr<cuda::KernelGraph>> decodeGraphs;
  std::vector<cuda::KernelNode> decodeNodes; // This step's, reused.
  /// [first, last) of each run of decode kernels between collectives.
  std::vector<std::pair<size_t, size_t>> decodeKernelRuns;
  int64_t graphStepCount = 0;
  int64_t singleDecodeSteps = 0, batchedDecodeSteps = 0;
  /// decodeBatch graphs by batch size, and the last step's nodes.
  std::map<size_t, std::unique_ptr<cuda::KernelGraph>> batchGraphs;
  std::vector<cuda::KernelNode> batchNodes;
  int64_t batchGraphSteps = 0;
  std::vector<Kernel> prefillKernels, decodeKernels, prefillLastRowKernels,
      decodeBatchKernels;
  std::vector<BatchLayout> batchLayouts;
  /// Per plan buffer: its device allocation and size (scratch, token and
  /// logit buffers grow with the step); caches are per sequence.
  std::vector<cuda::CUdeviceptr> buffers;
  std::vector<size_t> bufferBytes;
  std::vector<std::vector<cuda::CUdeviceptr>> caches;
  int64_t deviceBytes = 0;
  std::vector<int64_t> cached;
  StepTimings timings;
  /// Multi-rank plans only: NCCL, and the device buffer an all-gather of
  /// columns lands in before its rows are placed.
  std::unique_ptr<cuda::NcclCollectives> nccl;
  cuda::CUdeviceptr gatherScratch = 0;
  size_t gatherScratchBytes = 0;
};

} // namespace dsv2::runtime

#endif // RUNTIME_CUDA_CUDAEXECUTOR_H
