//===- RunAgreement.cpp - Ranks check they run the same engine ------------===//

#include "runtime/collectives/RunAgreement.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include <cstdio>
#include <cstring>
#include <vector>

namespace dsv2::runtime {
namespace {

/// What one rank sends: fixed size, no pointers.
struct WireIdentity {
  uint8_t buildId[kBuildIdBytes];
  int32_t worldSize, tensorParallel, expertParallel, ready;
};

std::string hex(const uint8_t *bytes, size_t count) {
  std::string text;
  char digits[3];
  for (size_t i = 0; i < count; ++i) {
    std::snprintf(digits, sizeof digits, "%02x", bytes[i]);
    text += digits;
  }
  return text;
}

std::string layout(const WireIdentity &w) {
  return absl::StrCat(w.worldSize, w.worldSize == 1 ? " rank" : " ranks",
                      " (tp ", w.tensorParallel, " x ep ", w.expertParallel,
                      ")");
}

} // namespace

absl::Status agreeToRun(Collectives &collectives, const RunIdentity &identity) {
  WireIdentity mine{};
  std::memcpy(mine.buildId, identity.buildId.data(), kBuildIdBytes);
  mine.worldSize = identity.worldSize;
  mine.tensorParallel = identity.tensorParallel;
  mine.expertParallel = identity.expertParallel;
  mine.ready = identity.ready ? 1 : 0;
  const int world = collectives.worldSize();
  std::vector<WireIdentity> all(static_cast<size_t>(world));
  if (absl::Status status = collectives.allGather(
          &mine, all.data(), sizeof(WireIdentity), CollectiveGroup::World);
      !status.ok())
    return status;

  // Every rank compares every rank with rank 0, so all say the same.
  const WireIdentity &first = all[0];
  for (int r = 1; r < world; ++r) {
    const WireIdentity &other = all[r];
    if (std::memcmp(other.buildId, first.buildId, kBuildIdBytes) != 0 ||
        other.worldSize != first.worldSize ||
        other.tensorParallel != first.tensorParallel ||
        other.expertParallel != first.expertParallel)
      return absl::FailedPreconditionError(absl::StrCat(
          "rank ", r, " runs another engine than rank 0 (build ",
          hex(other.buildId, kBuildIdBytes), " for ", layout(other),
          " vs build ", hex(first.buildId, kBuildIdBytes), " for ",
          layout(first), "); start every rank with the same engine"));
  }
  if (first.worldSize != world)
    return absl::FailedPreconditionError(absl::StrCat(
        "this engine spans ", layout(first), "; start it with mpirun -np ",
        first.worldSize, " (this run has ", world, world == 1 ? " rank)" : " ranks)"));
  std::vector<int> notReady;
  for (int r = 0; r < world; ++r)
    if (!all[r].ready)
      notReady.push_back(r);
  if (!notReady.empty())
    return identity.ready
               ? absl::FailedPreconditionError(absl::StrCat(
                     notReady.size() == 1 ? "rank " : "ranks ",
                     absl::StrJoin(notReady, ", "),
                     " could not start (see ", notReady.size() == 1 ? "its" : "their",
                     " error); stopping"))
               : absl::AbortedError("not ready");
  return collectives.formTensorGroups(first.tensorParallel);
}

} // namespace dsv2::runtime
