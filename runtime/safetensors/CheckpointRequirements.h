//===- CheckpointRequirements.h - Does a checkpoint fit a model? *- C++ -*-===//
//
// Checks, before anything is loaded, that a checkpoint holds every tensor a
// model configuration needs with the shape it needs, and reports all
// mismatches in one message.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_SAFETENSORS_CHECKPOINTREQUIREMENTS_H
#define RUNTIME_SAFETENSORS_CHECKPOINTREQUIREMENTS_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "runtime/safetensors/SafetensorsCheckpoint.h"

namespace dsv2::runtime {

/// A tensor a model needs, with the shape it must have.
struct TensorRequirement {
  std::string name;
  std::vector<int64_t> shape;
};

/// How many problems `checkRequirements` lists before "and N more".
inline constexpr size_t kMaxListedRequirementProblems = 20;

/// OK when `checkpoint` has every required tensor with the required shape.
/// Otherwise one InvalidArgument error listing, in requirement order, each
/// missing tensor and each wrong shape, e.g. "checkpoint DIR does not match
/// the model config: missing model.norm.weight; lm_head.weight has shape
/// [32, 8], expected [64, 8]" (at most 20 entries, then "and N more").
absl::Status checkRequirements(const SafetensorsCheckpoint& checkpoint,
                               absl::Span<const TensorRequirement> required);

}  // namespace dsv2::runtime

#endif  // RUNTIME_SAFETENSORS_CHECKPOINTREQUIREMENTS_H
