//===- NcclCollectives.h - Collectives between GPUs with NCCL ---*- C++ -*-===//
//
// The CUDA executor's collective launches (LaunchPlan.h) on device buffers:
// NCCL all-reduce and all-gather, enqueued on the executor's stream. The
// host Collectives backend (MPI under mpirun, threads in tests) bootstraps
// the communicators: world rank 0 makes the NCCL unique ids and broadcasts
// them. Nothing waits inside a collective; the executor waits for its
// stream at the end of a step through waitForStream, which polls the
// stream and NCCL's asynchronous errors against the collective deadline and
// aborts the communicators when it passes, so a dead rank is an error,
// never a hang.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_CUDA_NCCLCOLLECTIVES_H
#define RUNTIME_CUDA_NCCLCOLLECTIVES_H

#include "runtime/collectives/Collectives.h"
#include "runtime/cuda/NcclLibrary.h"

#include <memory>
#include <optional>
#include <string>

namespace dsv2::runtime::cuda {

class NcclCollectives {
public:
  /// Collective over `host`'s world, whose Tensor groups are formed: loads
  /// NCCL, agrees on the unique ids and creates one communicator for the
  /// world and one for this rank's Tensor group (the world's when tp is the
  /// world). The CUDA context of the executor's device must be current.
  static absl::StatusOr<std::unique_ptr<NcclCollectives>>
  join(const CudaDriver &driver, Collectives &host, double timeoutSeconds);
  /// Destroys the communicators (aborts them after an error).
  ~NcclCollectives();

  /// dst[0..count) = the sum over the group of src (f32; dst may be src).
  absl::Status allReduceSum(CUdeviceptr src, CUdeviceptr dst, int64_t count,
                            CollectiveGroup group, CUstream stream);
  /// dst = every member's `count` floats of src, in group order.
  absl::Status allGather(CUdeviceptr src, CUdeviceptr dst, int64_t count,
                         CollectiveGroup group, CUstream stream);
  /// Waits until `stream` has run everything enqueued on it, polling
  /// cuStreamQuery and ncclCommGetAsyncError. Past the deadline (or on an
  /// NCCL error) it aborts the communicators and says which collectives
  /// were waited for, in the words of the host backends' timeouts.
  absl::Status waitForStream(CUstream stream);

  int groupSize(CollectiveGroup group) const;
  /// "NCCL 2.28.3".
  std::string describe() const { return library->version(); }

private:
  NcclCollectives(const CudaDriver &driver,
                  std::unique_ptr<NcclLibrary> library, int worldSize,
                  int tensorParallel, double timeoutSeconds)
      : driver(driver), library(std::move(library)), world(worldSize),
        tp(tensorParallel), timeout(timeoutSeconds) {}
  ncclComm_t comm(CollectiveGroup group) const;
  absl::Status usable() const;
  /// usable(), then records the step's first collective for timeouts.
  absl::Status enqueue(CollectiveGroup group, const char *what);
  void abortAll();

  const CudaDriver &driver;
  std::unique_ptr<NcclLibrary> library;
  int world, tp;
  double timeout;
  ncclComm_t worldComm = nullptr;
  /// Null when the Tensor group is the world.
  ncclComm_t tensorComm = nullptr;
  bool aborted = false;
  /// The first collective enqueued since the last completed wait, which
  /// a timeout names.
  std::optional<CollectiveGroup> pendingGroup;
  const char *pendingWhat = "";
};

} // namespace dsv2::runtime::cuda

#endif // RUNTIME_CUDA_NCCLCOLLECTIVES_H
