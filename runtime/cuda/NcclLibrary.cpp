//===- NcclLibrary.cpp - NCCL, opened at run time -------------------------===//

#include "runtime/cuda/NcclLibrary.h"

#include "runtime/cuda/DynamicLibrary.h"

#include "absl/strings/str_cat.h"

namespace dsv2::runtime::cuda {

absl::StatusOr<std::unique_ptr<NcclLibrary>> NcclLibrary::open() {
  OpenedLibrary opened = openLibrary(kNcclLibraryVariable, kNcclLibraryName);
  void *handle = opened.handle;
  const std::string &path = opened.path;
  if (!handle) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot load NCCL (", opened.reason,
        "); a GPU engine over several ranks needs NCCL 2 (", kNcclLibraryName,
        ", e.g. from the CUDA toolkit or pip nvidia-nccl-cu12); set ",
        kNcclLibraryVariable, " to its path if it is not on the library path"));
  }
  std::unique_ptr<NcclLibrary> library(new NcclLibrary(handle));
  NcclApi &f = library->fns;
  auto resolve = [&](const char *name, auto &slot) -> absl::Status {
    if (!lookUp(handle, name, slot))
      return absl::FailedPreconditionError(
          absl::StrCat("NCCL library ", path, " has no ", name,
                       " (this runtime needs NCCL 2.x)"));
    return absl::OkStatus();
  };
#define DSV2_RESOLVE(name)                                                     \
  if (absl::Status s = resolve(#name, f.name); !s.ok())                        \
    return s;
  DSV2_RESOLVE(ncclGetVersion)
  DSV2_RESOLVE(ncclGetUniqueId)
  DSV2_RESOLVE(ncclCommInitRank)
  DSV2_RESOLVE(ncclCommDestroy)
  DSV2_RESOLVE(ncclCommAbort)
  DSV2_RESOLVE(ncclCommGetAsyncError)
  DSV2_RESOLVE(ncclGetErrorString)
  DSV2_RESOLVE(ncclAllReduce)
  DSV2_RESOLVE(ncclAllGather)
#undef DSV2_RESOLVE
  // NCCL stays loaded, like the driver: its proxy threads may outlive a
  // communicator by a moment.
  return library;
}

absl::Status NcclLibrary::check(ncclResult_t result, const char *call) const {
  if (result == ncclSuccess)
    return absl::OkStatus();
  const char *text = fns.ncclGetErrorString(result);
  return absl::InternalError(absl::StrCat(call, ": NCCL error ", result, ": ",
                                          text ? text : "unknown error"));
}

std::string NcclLibrary::version() const {
  int code = 0;
  if (fns.ncclGetVersion(&code) != ncclSuccess || code <= 0)
    return "NCCL";
  // NCCL_VERSION(X, Y, Z) is X * 10000 + Y * 100 + Z since 2.9.
  return absl::StrCat("NCCL ", code / 10000, ".", code / 100 % 100, ".",
                      code % 100);
}

} // namespace dsv2::runtime::cuda
