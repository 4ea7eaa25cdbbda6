//===- Collectives.h - Data exchange between the ranks of an engine -*- C++ -*-===//
//
// A multi-rank engine (docs/parallelism.md) runs one process (or, in tests,
// one thread) per rank; its plans hold collective launches (LaunchPlan.h)
// that the executor hands to a Collectives backend: in-process threads
// (InProcessCollectives.h, for tests) or MPI through a plugin the runtime
// loads only for multi-rank engines (PluginCollectives.h). No backend's
// headers appear here.
//
// Every call is collective over its group: all of the group's ranks make
// the same calls in the same order. Every call has a deadline, so a rank
// that died or runs another engine is an error on the others, never a hang.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_COLLECTIVES_COLLECTIVES_H
#define RUNTIME_COLLECTIVES_COLLECTIVES_H

#include "runtime/engine/LaunchPlan.h"

#include "absl/status/status.h"

#include <cstdint>
#include <string>

namespace dsv2::runtime {

/// The deadline of every collective unless configured: long enough for a
/// slow rank's step, short enough that a dead one is noticed.
inline constexpr double kDefaultCollectiveTimeoutSeconds = 60;

/// DSV2_COLLECTIVE_TIMEOUT (seconds, > 0) when set and valid, else
/// `fallback`.
double collectiveTimeoutFromEnvironment(
    double fallback = kDefaultCollectiveTimeoutSeconds);

class Collectives {
public:
  virtual ~Collectives() = default;

  virtual int rank() const = 0;
  virtual int worldSize() const = 0;
  /// The backend in words ("MPI (Open MPI v4.1.4)", "in-process threads").
  virtual std::string describe() const = 0;

  /// Forms the Tensor groups of a tp x ep layout: ranks with the same
  /// rank / tp, ordered by rank % tp. Until then only World collectives.
  virtual absl::Status formTensorGroups(int tensorParallel) = 0;
  /// In place: data[i] = the sum over the group's ranks of their data[i].
  virtual absl::Status allReduceSum(float *data, int64_t count,
                                    CollectiveGroup group) = 0;
  /// dst = the group's ranks' `bytesPerRank` bytes of src, concatenated in
  /// group order. dst must not overlap src.
  virtual absl::Status allGather(const void *src, void *dst,
                                 int64_t bytesPerRank,
                                 CollectiveGroup group) = 0;
  /// World rank 0's data[0..count) to every rank (sampled tokens).
  virtual absl::Status broadcast(int32_t *data, int64_t count) = 0;
  /// Ends the whole job now with `code` (every rank), after an error that
  /// the other ranks may not know about. Never returns.
  [[noreturn]] virtual void abortAll(int code) = 0;

  /// Ranks in `group` and this rank's index in it (formTensorGroups first
  /// for Tensor).
  int groupSize(CollectiveGroup group) const;
  int groupRank(CollectiveGroup group) const;
  int tensorParallel() const { return tp; }

protected:
  /// Backends call this from formTensorGroups once the groups exist.
  absl::Status setTensorParallel(int tensorParallel);

private:
  int tp = 1;
};

/// AllGatherColumns (LaunchPlan.h): src [rows, cols] on each rank of the
/// group; dst [rows, cols * group size] with dst[r, g * cols + c] = the g-th
/// rank's src[r, c]. dst may be src. Backend-independent: a contiguous
/// all-gather, then the reshuffle.
absl::Status allGatherColumns(Collectives &collectives, const float *src,
                              float *dst, int64_t rows, int64_t cols,
                              CollectiveGroup group);

/// AllReduceSum from src into dst (dst may be src).
absl::Status allReduceSum(Collectives &collectives, const float *src,
                          float *dst, int64_t count, CollectiveGroup group);

/// The one-line message of a collective that missed its deadline.
std::string collectiveTimeoutMessage(const std::string &what,
                                     CollectiveGroup group, double seconds);

} // namespace dsv2::runtime

#endif // RUNTIME_COLLECTIVES_COLLECTIVES_H
