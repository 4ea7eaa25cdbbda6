//===- RankJob.h - A dsv2-run process's place in a multi-rank run -*- C++ -*-===//
//
// A multi-rank engine runs as one dsv2-run per rank under mpirun. This
// decides, from the engine's layout and the launcher's environment, whether
// this process is a rank of such a run, and joins the job through the MPI
// collectives plugin (loaded only then: single-rank engines need no MPI).
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_DSV2_RUN_RANKJOB_H
#define TOOLS_DSV2_RUN_RANKJOB_H

#include "tools/dsv2-run/RunOptions.h"

#include "runtime/collectives/Collectives.h"
#include "runtime/engine/EngineReader.h"

#include "absl/status/statusor.h"

#include <memory>
#include <string>

namespace dsv2::run {

struct RankJob {
  /// Null for a single-rank engine.
  std::unique_ptr<dsv2::runtime::Collectives> collectives;
  int rank = 0;
  int worldSize = 1;
  /// Set once the ranks agreed to run: from then on an error on one rank
  /// must end every rank (the others may wait in a collective).
  bool running = false;

  bool multiRank() const { return collectives != nullptr; }
  /// Only rank 0 prints ids, text, logits and the summary.
  bool printsOutput() const { return rank == 0; }
};

/// "tp 2 x ep 2 = 4 ranks".
std::string describeLayout(const dsv2::runtime::EngineParallelInfo &layout);

/// Joins the run `engine` needs. A single-rank engine joins nothing (and is
/// refused when started as several ranks); a multi-rank one must be started
/// by mpirun (the error shows the command, built from `commandLine`) and
/// loads the MPI plugin. Whether the job's size is the engine's is checked
/// by agreeToRun, on every rank at once.
absl::StatusOr<RankJob> joinRankJob(const std::string &enginePath,
                                    const dsv2::runtime::EngineIdentity &engine,
                                    const RunOptions &options,
                                    const std::string &commandLine);

/// Worker threads of one rank: the host's hardware threads divided among
/// the ranks the launcher put on it (at least 1).
int defaultThreadsPerRank(const RankJob &job);

} // namespace dsv2::run

#endif // TOOLS_DSV2_RUN_RANKJOB_H
