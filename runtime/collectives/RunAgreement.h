//===- RunAgreement.h - Ranks check they run the same engine ----*- C++ -*-===//
//
// Before the first step, every rank tells every other which engine it loaded
// (build id, tp x ep) and whether it is ready. Ranks started with different
// engines, an engine for another number of ranks, or a rank that failed to
// load make every rank stop with the same one-line error at once, instead of
// a collective that waits for a peer that never comes.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_COLLECTIVES_RUNAGREEMENT_H
#define RUNTIME_COLLECTIVES_RUNAGREEMENT_H

#include "runtime/collectives/Collectives.h"
#include "runtime/engine/EngineFormat.h"

#include "absl/status/status.h"

namespace dsv2::runtime {

struct RunIdentity {
  BuildId buildId{};
  int32_t worldSize = 1;
  int32_t tensorParallel = 1;
  int32_t expertParallel = 1;
  /// False when this rank could not load its program; it still takes part,
  /// so that the others stop now (its own error is reported by itself).
  bool ready = true;
};

/// Collective over the world. OK when every rank has the same engine, the
/// engine's world is the collectives' world and every rank is ready; then
/// the Tensor groups are formed. Otherwise a FailedPrecondition error
/// naming the first problem in that order, identical on every rank; except
/// that when the only problem is ranks that were not ready, those get
/// Aborted (they report their own errors).
absl::Status agreeToRun(Collectives &collectives, const RunIdentity &identity);

} // namespace dsv2::runtime

#endif // RUNTIME_COLLECTIVES_RUNAGREEMENT_H
