//===- NcclLibrary.h - NCCL, opened at run time -----------------*- C++ -*-===//
//
// Multi-rank GPU engines exchange activations with NCCL. Like the driver
// (CudaDriver.h), NCCL is dlopen'ed ("libnccl.so.2", or $DSV2_LIBNCCL), so
// dsv2-run builds and starts without it and single-rank engines never load
// it. The types and enum values below are NCCL's ABI (nccl.h of NCCL 2.x,
// checked against 2.28) declared here: nccl.h is never included.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_CUDA_NCCLLIBRARY_H
#define RUNTIME_CUDA_NCCLLIBRARY_H

#include "runtime/cuda/CudaDriver.h"

#include "absl/status/statusor.h"

#include <memory>
#include <string>

namespace dsv2::runtime::cuda {

// NCCL ABI (values as in nccl.h).
using ncclResult_t = int;
using ncclComm_t = struct ncclComm *;
inline constexpr int kNcclUniqueIdBytes = 128;
struct ncclUniqueId {
  char internal[kNcclUniqueIdBytes];
};
inline constexpr ncclResult_t ncclSuccess = 0;
inline constexpr ncclResult_t ncclInProgress = 7;
inline constexpr int ncclFloat32 = 7; // ncclDataType_t
inline constexpr int ncclSum = 0;     // ncclRedOp_t

/// The entry points, resolved from the loaded library.
struct NcclApi {
  ncclResult_t (*ncclGetVersion)(int *);
  ncclResult_t (*ncclGetUniqueId)(ncclUniqueId *);
  ncclResult_t (*ncclCommInitRank)(ncclComm_t *, int nranks, ncclUniqueId,
                                   int rank);
  ncclResult_t (*ncclCommDestroy)(ncclComm_t);
  ncclResult_t (*ncclCommAbort)(ncclComm_t);
  ncclResult_t (*ncclCommGetAsyncError)(ncclComm_t, ncclResult_t *);
  const char *(*ncclGetErrorString)(ncclResult_t);
  ncclResult_t (*ncclAllReduce)(const void *send, void *recv, size_t count,
                                int dataType, int op, ncclComm_t, CUstream);
  ncclResult_t (*ncclAllGather)(const void *send, void *recv, size_t sendCount,
                                int dataType, ncclComm_t, CUstream);
};

inline constexpr char kNcclLibraryName[] = "libnccl.so.2";
/// Overrides the library to load (a path or a soname).
inline constexpr char kNcclLibraryVariable[] = "DSV2_LIBNCCL";

class NcclLibrary {
public:
  /// Opens $DSV2_LIBNCCL if set, else libnccl.so.2. The error names the
  /// library, why it did not load, and the variable.
  static absl::StatusOr<std::unique_ptr<NcclLibrary>> open();

  const NcclApi &api() const { return fns; }
  /// `result` as "call: NCCL error N: description" (OK on ncclSuccess).
  absl::Status check(ncclResult_t result, const char *call) const;
  /// "NCCL 2.28.3" (from ncclGetVersion).
  std::string version() const;

private:
  explicit NcclLibrary(void *handle) : handle(handle) {}
  void *handle;
  NcclApi fns{};
};

} // namespace dsv2::runtime::cuda

#endif // RUNTIME_CUDA_NCCLLIBRARY_H
