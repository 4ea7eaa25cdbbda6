//===- PluginCollectives.h - A Collectives backend from a plugin -*- C++ -*-===//
//
// Loads a collectives plugin (CollectivesPluginAbi.h; today the MPI one,
// libdsv2-collectives-mpi.so) with dlopen and joins its job. Only
// multi-rank runs load it: single-rank engines need no MPI, and the
// runtime's binaries link no MPI library.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_COLLECTIVES_PLUGINCOLLECTIVES_H
#define RUNTIME_COLLECTIVES_PLUGINCOLLECTIVES_H

#include "runtime/collectives/Collectives.h"

#include "absl/status/statusor.h"

#include <memory>
#include <string>
#include <vector>

namespace dsv2::runtime {

inline constexpr char kMpiCollectivesPluginName[] = "libdsv2-collectives-mpi.so";
/// Overrides where the MPI plugin is looked up (a path to the .so).
inline constexpr char kMpiCollectivesPluginVariable[] = "DSV2_COLLECTIVES_PLUGIN";

/// Where the MPI plugin is looked for, in order: $DSV2_COLLECTIVES_PLUGIN
/// alone when set; else beside the running executable, then in ../lib
/// relative to it (the build tree's and an install's layout).
std::vector<std::string> mpiCollectivesPluginCandidates();

/// Loads the first candidate that exists, checks its ABI version and joins
/// the job (MPI_Init). Every collective of the result gives up after
/// `timeoutSeconds`. The job is left (MPI_Finalize) when it is destroyed.
absl::StatusOr<std::unique_ptr<Collectives>>
openMpiCollectives(double timeoutSeconds);

/// Whether this process was started by an MPI launcher (mpirun, srun):
/// the environment variables they set for their ranks.
bool startedByMpiLauncher();
/// The launcher's count of ranks on this host, or 0 when unknown.
int localRanksFromLauncher();

} // namespace dsv2::runtime

#endif // RUNTIME_COLLECTIVES_PLUGINCOLLECTIVES_H
