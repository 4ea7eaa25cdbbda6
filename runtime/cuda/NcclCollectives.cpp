//===- NcclCollectives.cpp - Collectives between GPUs with NCCL -----------===//

#include "runtime/cuda/NcclCollectives.h"

#include "absl/strings/str_cat.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

namespace dsv2::runtime::cuda {

absl::StatusOr<std::unique_ptr<NcclCollectives>>
NcclCollectives::join(const CudaDriver &driver, Collectives &host,
                      double timeoutSeconds) {
  auto library = NcclLibrary::open();
  if (!library.ok())
    return library.status();
  const int world = host.worldSize(), tp = host.tensorParallel();
  const int rank = host.rank();
  std::unique_ptr<NcclCollectives> nccl(new NcclCollectives(
      driver, std::move(*library), world, tp, timeoutSeconds));
  const NcclApi &f = nccl->library->api();

  // Id 0 is the world's, id 1 + g expert group g's Tensor group. The host
  // broadcast carries int32 values: 128 bytes are 32 of them.
  const int groups = tp < world ? world / tp : 0;
  static_assert(kNcclUniqueIdBytes % sizeof(int32_t) == 0);
  constexpr int kWords = kNcclUniqueIdBytes / sizeof(int32_t);
  std::vector<ncclUniqueId> ids(1 + groups);
  std::vector<int32_t> words(ids.size() * kWords, 0);
  absl::Status made = absl::OkStatus();
  if (rank == 0) {
    for (ncclUniqueId &id : ids)
      if (made.ok())
        made = nccl->library->check(f.ncclGetUniqueId(&id), "ncclGetUniqueId");
    if (made.ok())
      std::memcpy(words.data(), ids.data(), ids.size() * sizeof(ncclUniqueId));
  }
  // Every rank takes part in the broadcast even when rank 0 failed (an
  // all-zero id), so no rank waits for it; then every rank fails alike.
  if (absl::Status status =
          host.broadcast(words.data(), static_cast<int64_t>(words.size()));
      !status.ok())
    return status;
  if (!made.ok())
    return made;
  std::memcpy(ids.data(), words.data(), ids.size() * sizeof(ncclUniqueId));
  if (std::all_of(words.begin(), words.end(), [](int32_t w) { return w == 0; }))
    return absl::InternalError(
        "rank 0 could not create the NCCL unique id (see rank 0's error)");

  // ncclCommInitRank returns once every member called it (NCCL's own
  // bootstrap over TCP; no deadline of ours applies).
  if (absl::Status status = nccl->library->check(
          f.ncclCommInitRank(&nccl->worldComm, world, ids[0], rank),
          "ncclCommInitRank (world)");
      !status.ok()) {
    nccl->worldComm = nullptr;
    return status;
  }
  if (groups > 0)
    if (absl::Status status = nccl->library->check(
            f.ncclCommInitRank(&nccl->tensorComm, tp, ids[1 + rank / tp],
                               rank % tp),
            "ncclCommInitRank (tensor group)");
        !status.ok()) {
      nccl->tensorComm = nullptr;
      return status;
    }
  return nccl;
}

NcclCollectives::~NcclCollectives() {
  const NcclApi &f = library->api();
  for (ncclComm_t comm : {tensorComm, worldComm})
    if (comm)
      aborted ? f.ncclCommAbort(comm) : f.ncclCommDestroy(comm);
}

int NcclCollectives::groupSize(CollectiveGroup group) const {
  return group == CollectiveGroup::World ? world : tp;
}

ncclComm_t NcclCollectives::comm(CollectiveGroup group) const {
  return group == CollectiveGroup::Tensor && tensorComm ? tensorComm
                                                        : worldComm;
}

absl::Status NcclCollectives::usable() const {
  if (aborted)
    return absl::FailedPreconditionError(
        "the NCCL communicators were aborted after an earlier error");
  return absl::OkStatus();
}

absl::Status NcclCollectives::enqueue(CollectiveGroup group, const char *what) {
  if (absl::Status status = usable(); !status.ok())
    return status;
  // The step's first collective names what a timeout was waiting for.
  if (!pendingGroup) {
    pendingGroup = group;
    pendingWhat = what;
  }
  return absl::OkStatus();
}

absl::Status NcclCollectives::allReduceSum(CUdeviceptr src, CUdeviceptr dst,
                                           int64_t count, CollectiveGroup group,
                                           CUstream stream) {
  if (absl::Status status = enqueue(group, "all_reduce"); !status.ok())
    return status;
  return library->check(
      library->api().ncclAllReduce(reinterpret_cast<const void *>(src),
                                   reinterpret_cast<void *>(dst),
                                   static_cast<size_t>(count), ncclFloat32,
                                   ncclSum, comm(group), stream),
      "ncclAllReduce");
}

absl::Status NcclCollectives::allGather(CUdeviceptr src, CUdeviceptr dst,
                                        int64_t count, CollectiveGroup group,
                                        CUstream stream) {
  if (absl::Status status = enqueue(group, "all_gather"); !status.ok())
    return status;
  return library->check(
      library->api().ncclAllGather(
          reinterpret_cast<const void *>(src), reinterpret_cast<void *>(dst),
          static_cast<size_t>(count), ncclFloat32, comm(group), stream),
      "ncclAllGather");
}

void NcclCollectives::abortAll() {
  const NcclApi &f = library->api();
  for (ncclComm_t *comm : {&tensorComm, &worldComm})
    if (*comm) {
      f.ncclCommAbort(*comm);
      *comm = nullptr;
    }
  aborted = true;
}

absl::Status NcclCollectives::waitForStream(CUstream stream) {
  if (absl::Status status = usable(); !status.ok())
    return status;
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(timeout));
  const NcclApi &f = library->api();
  for (;;) {
    CUresult state = driver.api().cuStreamQuery(stream);
    if (state == CUDA_SUCCESS) {
      pendingGroup.reset();
      return absl::OkStatus();
    }
    if (state != CUDA_ERROR_NOT_READY)
      return driver.check(state, "a step's kernels or collectives failed "
                                 "(cuStreamQuery)");
    for (ncclComm_t comm : {worldComm, tensorComm}) {
      ncclResult_t error = ncclSuccess;
      if (!comm || f.ncclCommGetAsyncError(comm, &error) != ncclSuccess ||
          error == ncclSuccess || error == ncclInProgress)
        continue;
      absl::Status status = library->check(error, "ncclCommGetAsyncError");
      abortAll();
      return absl::InternalError(absl::StrCat(
          "NCCL failed while the step's collectives ran (a rank died?): ",
          status.message()));
    }
    if (Clock::now() >= deadline) {
      CollectiveGroup group = pendingGroup.value_or(CollectiveGroup::World);
      std::string what =
          absl::StrCat("the step's NCCL collectives (from ", pendingWhat, ")");
      abortAll();
      return absl::DeadlineExceededError(
          collectiveTimeoutMessage(what, group, timeout));
    }
    // Yield for the first 20 ms (a step's tail is usually shorter, and a
    // sleep would add its own latency to every step), then back off.
    if (Clock::now() - start < std::chrono::milliseconds(20))
      std::this_thread::yield();
    else
      std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

} // namespace dsv2::runtime::cuda
