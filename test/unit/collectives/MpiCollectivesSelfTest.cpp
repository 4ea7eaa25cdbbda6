//===- MpiCollectivesSelfTest.cpp - The MPI plugin, checked under mpirun ---===//
//
// Run as `mpirun -np N dsv2-collectives-mpi-selftest MODE`; loads
// libdsv2-collectives-mpi.so the way dsv2-run does. Modes:
//
//   check [TP]   agreement, Tensor groups of TP (default 2), sums over both
//                groups, the all-gather's column layout, broadcast; rank 0
//                prints one summary line.
//   mismatch     the last rank claims another engine: every rank must fail
//                the agreement with the same error (exit 1).
//   serve SECS   prints "rank R pid P ready", then all-reduces every 20 ms
//                for SECS seconds: a long-running job for kill_rank.py.
//   stall        rank 1 never joins a collective: the others must report
//                the deadline (DSV2_COLLECTIVE_TIMEOUT) and end the job.
//
// Errors: "selftest: error: rank R: ..." and exit 1 (or the job aborted).
//
//===----------------------------------------------------------------------===//

#include "runtime/collectives/Collectives.h"
#include "runtime/collectives/PluginCollectives.h"
#include "runtime/collectives/RunAgreement.h"

#include "absl/strings/str_cat.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace rt = ::dsv2::runtime;

namespace {

absl::Status expectEqual(float got, float want, const std::string &what) {
  if (got == want)
    return absl::OkStatus();
  return absl::InternalError(absl::StrCat(what, ": got ", got, ", want ", want));
}

rt::RunIdentity identity(int world, int tp) {
  rt::RunIdentity id;
  id.buildId.fill(0x5a);
  id.worldSize = world;
  id.tensorParallel = tp;
  id.expertParallel = world / tp;
  return id;
}

absl::Status check(rt::Collectives &c, int tp) {
  const int rank = c.rank(), world = c.worldSize();
  if (absl::Status s = rt::agreeToRun(c, identity(world, tp)); !s.ok())
    return s;
  // Tensor group: ranks first .. first + tp - 1.
  const int first = rank / tp * tp;
  std::vector<float> values = {float(rank), 1.0f};
  if (absl::Status s = c.allReduceSum(values.data(), 2, rt::CollectiveGroup::Tensor);
      !s.ok())
    return s;
  float groupSum = 0;
  for (int r = first; r < first + tp; ++r)
    groupSum += r;
  if (absl::Status s = expectEqual(values[0], groupSum, "tensor all_reduce"); !s.ok())
    return s;
  if (absl::Status s = expectEqual(values[1], tp, "tensor all_reduce count"); !s.ok())
    return s;
  float worldValue = float(rank + 1);
  if (absl::Status s = c.allReduceSum(&worldValue, 1, rt::CollectiveGroup::World);
      !s.ok())
    return s;
  if (absl::Status s = expectEqual(worldValue, world * (world + 1) / 2.0f,
                                   "world all_reduce");
      !s.ok())
    return s;
  // A large sum, over several MPI calls' worth of work.
  std::vector<float> big(1 << 16, float(rank));
  if (absl::Status s = c.allReduceSum(big.data(), big.size(), rt::CollectiveGroup::World);
      !s.ok())
    return s;
  if (absl::Status s = expectEqual(big.back(), world * (world - 1) / 2.0f,
                                   "large world all_reduce");
      !s.ok())
    return s;
  // Columns side by side in group order.
  const int rows = 3, cols = 2;
  std::vector<float> src(rows * cols), dst(rows * cols * tp);
  for (int r = 0; r < rows; ++r)
    for (int k = 0; k < cols; ++k)
      src[r * cols + k] = 100.0f * rank + 10.0f * r + k;
  if (absl::Status s = rt::allGatherColumns(c, src.data(), dst.data(), rows, cols,
                                            rt::CollectiveGroup::Tensor);
      !s.ok())
    return s;
  for (int r = 0; r < rows; ++r)
    for (int g = 0; g < tp; ++g)
      for (int k = 0; k < cols; ++k)
        if (absl::Status s = expectEqual(dst[(r * tp + g) * cols + k],
                                         100.0f * (first + g) + 10.0f * r + k,
                                         absl::StrCat("all_gather [", r, ", ", g,
                                                      " * cols + ", k, "]"));
            !s.ok())
          return s;
  int32_t token = rank == 0 ? 4242 : -1;
  if (absl::Status s = c.broadcast(&token, 1); !s.ok())
    return s;
  if (absl::Status s = expectEqual(token, 4242, "broadcast"); !s.ok())
    return s;
  if (rank == 0)
    std::printf("collectives self-test: %d ranks, tp %d: agreement, all_reduce "
                "(tensor, world), all_gather columns, broadcast ok over %s\n",
                world, tp, c.describe().c_str());
  return absl::OkStatus();
}

absl::Status serve(rt::Collectives &c, double seconds) {
  if (absl::Status s = rt::agreeToRun(c, identity(c.worldSize(), 1)); !s.ok())
    return s;
  std::printf("rank %d pid %d ready\n", c.rank(), static_cast<int>(getpid()));
  std::fflush(stdout);
  auto end = std::chrono::steady_clock::now() +
             std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                 std::chrono::duration<double>(seconds));
  while (std::chrono::steady_clock::now() < end) {
    float value = 1;
    if (absl::Status s = c.allReduceSum(&value, 1, rt::CollectiveGroup::World);
        !s.ok())
      return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::OkStatus();
}

absl::Status stall(rt::Collectives &c) {
  if (absl::Status s = rt::agreeToRun(c, identity(c.worldSize(), 1)); !s.ok())
    return s;
  if (c.rank() == 1) {
    // Alive but never arriving (a rank stuck elsewhere); ended by the
    // others' abort.
    std::this_thread::sleep_for(std::chrono::seconds(600));
    return absl::OkStatus();
  }
  float value = 1;
  return c.allReduceSum(&value, 1, rt::CollectiveGroup::World);
}

} // namespace

int main(int argc, char **argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode != "check" && mode != "mismatch" && mode != "serve" && mode != "stall") {
    std::fprintf(stderr, "usage: %s check [TP] | mismatch | serve SECONDS | stall\n",
                 argv[0]);
    return 2;
  }
  auto collectives =
      rt::openMpiCollectives(rt::collectiveTimeoutFromEnvironment());
  if (!collectives.ok()) {
    std::fprintf(stderr, "selftest: error: %s\n",
                 std::string(collectives.status().message()).c_str());
    return 1;
  }
  rt::Collectives &c = **collectives;
  absl::Status status;
  bool agreementOnly = false;
  if (mode == "check") {
    status = check(c, argc > 2 ? std::atoi(argv[2]) : 2);
  } else if (mode == "mismatch") {
    rt::RunIdentity mine = identity(c.worldSize(), 1);
    if (c.rank() == c.worldSize() - 1)
      mine.buildId[15] = 0x01;
    status = rt::agreeToRun(c, mine);
    agreementOnly = true;
  } else if (mode == "serve") {
    status = serve(c, argc > 2 ? std::atof(argv[2]) : 60);
  } else {
    status = stall(c);
  }
  if (!status.ok()) {
    std::fprintf(stderr, "selftest: error: rank %d: %s\n", c.rank(),
                 std::string(status.message()).c_str());
    std::fflush(stderr);
    // Others may wait in a collective: end the whole job. The agreement
    // fails on every rank alike, so there all can leave normally, once every
    // rank has printed: mpirun ends the job when the first one exits 1.
    if (!agreementOnly)
      c.abortAll(1);
    float printed = 1; // an all-reduce ends on no rank before all entered it
    (void)c.allReduceSum(&printed, 1, rt::CollectiveGroup::World);
    return 1;
  }
  return 0;
}
