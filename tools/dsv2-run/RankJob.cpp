//===- RankJob.cpp - A dsv2-run process's place in a multi-rank run -------===//

#include "tools/dsv2-run/RankJob.h"

#include "runtime/collectives/PluginCollectives.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace dsv2::run {

namespace rt = ::dsv2::runtime;

std::string describeLayout(const rt::EngineParallelInfo &layout) {
  return absl::StrCat("tp ", layout.tensorParallel, " x ep ",
                      layout.expertParallel, " = ", layout.worldSize,
                      layout.worldSize == 1 ? " rank" : " ranks");
}

namespace {

/// The size of the job the launcher started, or 0 outside one.
int launcherWorldSize() {
  for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}) {
    int value = 0;
    if (const char *text = std::getenv(name);
        text && absl::SimpleAtoi(text, &value) && value > 0)
      return value;
  }
  return 0;
}

} // namespace

absl::StatusOr<RankJob> joinRankJob(const std::string &enginePath,
                                    const rt::EngineIdentity &engine,
                                    const RunOptions &options,
                                    const std::string &commandLine) {
  const rt::EngineParallelInfo &layout = engine.parallel;
  RankJob job;
  if (layout.worldSize == 1) {
    // Every process would run the whole model and print it all.
    if (int launched = launcherWorldSize(); launched > 1)
      return absl::FailedPreconditionError(absl::StrCat(
          enginePath, " is a single-rank engine, started as ", launched,
          " ranks; run it without mpirun (or with -np 1)"));
    return job;
  }
  if (!rt::startedByMpiLauncher())
    return absl::FailedPreconditionError(absl::StrCat(
        "this engine spans ", layout.worldSize, " ranks (tp ",
        layout.tensorParallel, " x ep ", layout.expertParallel,
        "); start it with mpirun -np ", layout.worldSize, " ", commandLine));
  double timeout = options.collectiveTimeout.value_or(
      rt::collectiveTimeoutFromEnvironment());
  auto collectives = rt::openMpiCollectives(timeout);
  if (!collectives.ok())
    return absl::Status(collectives.status().code(),
                        absl::StrCat("this engine spans ", layout.worldSize,
                                     " ranks: ", collectives.status().message()));
  job.collectives = std::move(*collectives);
  job.rank = job.collectives->rank();
  job.worldSize = job.collectives->worldSize();
  return job;
}

int defaultThreadsPerRank(const RankJob &job) {
  int hardware = std::max(1u, std::thread::hardware_concurrency());
  if (!job.multiRank())
    return hardware;
  int local = rt::localRanksFromLauncher();
  if (local <= 0)
    local = job.worldSize;
  return std::max(1, hardware / local);
}

} // namespace dsv2::run
