//===- InProcessCollectives.h - Ranks as threads of one process -*- C++ -*-===//
//
// A Collectives backend for tests: an InProcessWorld of N ranks hands each
// thread its rank's Collectives; calls meet at per-group rendezvous points
// in shared memory. Sums are taken in group order, so every rank gets the
// same bits. Deadlines as in the MPI backend: a rank that never arrives is
// an error (and breaks its group) on the others.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_COLLECTIVES_INPROCESSCOLLECTIVES_H
#define RUNTIME_COLLECTIVES_INPROCESSCOLLECTIVES_H

#include "runtime/collectives/Collectives.h"

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace dsv2::runtime {

class InProcessWorld {
public:
  explicit InProcessWorld(int worldSize, double timeoutSeconds =
                                             kDefaultCollectiveTimeoutSeconds);
  ~InProcessWorld();

  /// Rank `rank`'s handle, for one thread; the world must outlive it.
  std::unique_ptr<Collectives> rank(int rank);
  int worldSize() const { return size; }

  /// Where the members of one group meet.
  struct Group {
    std::mutex mutex;
    std::condition_variable arrivedAll;
    int64_t generation = 0;
    int arrived = 0;
    /// Set once a member missed the deadline: the group is unusable.
    bool broken = false;
    /// Each member's buffer for the call in progress, by group rank.
    std::vector<const void *> posted;
  };
  /// The group of `members` ranks identified by (tp, index); tp 0 = World.
  Group &group(int tensorParallel, int index, int members);
  double timeout() const { return timeoutSeconds; }

private:
  int size;
  double timeoutSeconds;
  std::mutex groupsMutex;
  std::map<std::pair<int, int>, std::unique_ptr<Group>> groups;
};

} // namespace dsv2::runtime

#endif // RUNTIME_COLLECTIVES_INPROCESSCOLLECTIVES_H
