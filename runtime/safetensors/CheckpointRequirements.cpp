//===- CheckpointRequirements.cpp - Does a checkpoint fit a model? --------===//
//
// Collects every mismatch, then formats the capped list.
//
//===----------------------------------------------------------------------===//

#include "runtime/safetensors/CheckpointRequirements.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/io/PrintableText.h"

namespace dsv2::runtime {

absl::Status checkRequirements(const SafetensorsCheckpoint& checkpoint,
                               absl::Span<const TensorRequirement> required) {
  std::vector<std::string> problems;
  size_t unlisted = 0;
  for (const TensorRequirement& requirement : required) {
    const TensorView* tensor = checkpoint.find(requirement.name);
    std::string problem;
    if (tensor == nullptr) {
      problem = absl::StrCat("missing ", printableText(requirement.name));
    } else if (tensor->shape != requirement.shape) {
      problem = absl::StrCat(printableText(requirement.name), " has shape ",
                             formatShape(tensor->shape), ", expected ",
                             formatShape(requirement.shape));
    } else {
      continue;
    }
    if (problems.size() < kMaxListedRequirementProblems) {
      problems.push_back(std::move(problem));
    } else {
      ++unlisted;
    }
  }
  if (problems.empty()) return absl::OkStatus();
  if (unlisted > 0) problems.push_back(absl::StrCat("and ", unlisted, " more"));
  return absl::InvalidArgumentError(
      absl::StrCat("checkpoint ", checkpoint.source(),
                   " does not match the model config: ",
                   absl::StrJoin(problems, "; ")));
}

}  // namespace dsv2::runtime
