//===- InProcessCollectives.h - Ranks of a sharded module as threads -*- C++ -*-===//
//
// Runs the ranks of a module sharded by dsv2-shard in one process, one
// interpreter per thread: each rank's dsv2.all_reduce / dsv2.all_gather
// meets the same collective of the other ranks of its group here. Sums are
// taken in rank order, so every rank gets bitwise the same values. A rank
// that fails calls abort(), which wakes every waiting rank with an error
// instead of leaving it blocked.
//
//===----------------------------------------------------------------------===//

#ifndef DIALECT_DSV2_INTERPRETER_INPROCESSCOLLECTIVES_H
#define DIALECT_DSV2_INTERPRETER_INPROCESSCOLLECTIVES_H

#include "dialect/dsv2/interpreter/ReferenceInterpreter.h"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mlir::dsv2 {

class InProcessCollectives {
public:
  /// tp x ep ranks; rank r is tensor rank r % tp of expert group r / tp.
  InProcessCollectives(int64_t tp, int64_t ep);
  ~InProcessCollectives();

  /// The collectives of `rank` (owned here), for its interpreter.
  ReferenceCollectives &forRank(int64_t rank);

  /// Makes every pending and later collective fail with `reason`.
  void abort(const std::string &reason);

private:
  class Rank;
  struct Meeting;
  friend class Rank;

  /// Contributes `input` for the group `group` of `rank` and, once every
  /// member has, runs `combine` (on the last arrival) over the members'
  /// inputs in rank order into the meeting's result, which `output` gets.
  llvm::Error meet(int64_t rank, CollectiveGroup group,
                   const std::vector<float> &input,
                   const std::function<void(
                       const std::vector<const std::vector<float> *> &,
                       std::vector<float> &)> &combine,
                   std::vector<float> &output);

  int64_t tp, ep;
  std::mutex mutex;
  std::condition_variable changed;
  std::string abortReason;
  /// One per tensor group (index ep rank), then the world.
  std::vector<std::unique_ptr<Meeting>> meetings;
  std::vector<std::unique_ptr<Rank>> ranks;
};

} // namespace mlir::dsv2

#endif // DIALECT_DSV2_INTERPRETER_INPROCESSCOLLECTIVES_H
