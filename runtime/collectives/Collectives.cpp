//===- Collectives.cpp - Data exchange between the ranks of an engine -----===//

#include "runtime/collectives/Collectives.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include <cstdlib>
#include <cstring>
#include <vector>

namespace dsv2::runtime {

double collectiveTimeoutFromEnvironment(double fallback) {
  const char *text = std::getenv("DSV2_COLLECTIVE_TIMEOUT");
  double seconds;
  if (text && absl::SimpleAtod(text, &seconds) && seconds > 0)
    return seconds;
  return fallback;
}

int Collectives::groupSize(CollectiveGroup group) const {
  return group == CollectiveGroup::World ? worldSize() : tp;
}

int Collectives::groupRank(CollectiveGroup group) const {
  return group == CollectiveGroup::World ? rank() : rank() % tp;
}

absl::Status Collectives::setTensorParallel(int tensorParallel) {
  if (tensorParallel < 1 || worldSize() % tensorParallel != 0)
    return absl::InvalidArgumentError(
        absl::StrCat("tensor parallelism ", tensorParallel,
                     " does not divide the world of ", worldSize(), " ranks"));
  tp = tensorParallel;
  return absl::OkStatus();
}

absl::Status allGatherColumns(Collectives &collectives, const float *src,
                              float *dst, int64_t rows, int64_t cols,
                              CollectiveGroup group) {
  const int64_t ranks = collectives.groupSize(group);
  const int64_t block = rows * cols;
  std::vector<float> gathered(static_cast<size_t>(block * ranks));
  if (absl::Status status = collectives.allGather(
          src, gathered.data(), block * static_cast<int64_t>(sizeof(float)),
          group);
      !status.ok())
    return status;
  // gathered is [rank][row][col]; dst is [row][rank][col].
  for (int64_t g = 0; g < ranks; ++g)
    for (int64_t r = 0; r < rows; ++r)
      std::memcpy(dst + (r * ranks + g) * cols,
                  gathered.data() + g * block + r * cols, cols * sizeof(float));
  return absl::OkStatus();
}

absl::Status allReduceSum(Collectives &collectives, const float *src,
                          float *dst, int64_t count, CollectiveGroup group) {
  if (src != dst)
    std::memmove(dst, src, static_cast<size_t>(count) * sizeof(float));
  return collectives.allReduceSum(dst, count, group);
}

std::string collectiveTimeoutMessage(const std::string &what,
                                     CollectiveGroup group, double seconds) {
  return absl::StrCat(what, " over the ", collectiveGroupName(group),
                      " group timed out after ", seconds,
                      " s waiting for the other ranks (a rank died or the "
                      "ranks run different engines)");
}

} // namespace dsv2::runtime
