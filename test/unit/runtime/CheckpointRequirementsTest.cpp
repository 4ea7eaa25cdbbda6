//===- CheckpointRequirementsTest.cpp - Checkpoint vs model config --------===//
//
// One message listing every missing tensor and wrong shape, capped at 20.
//
//===----------------------------------------------------------------------===//

#include "runtime/safetensors/CheckpointRequirements.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "test/unit/runtime/ExpectError.h"
#include "test/unit/runtime/TestFiles.h"

namespace dsv2::runtime {
namespace {

using testing::buildSafetensors;
using testing::expectError;
using testing::f32Bytes;
using testing::ScratchDir;
using testing::TestTensor;

SafetensorsCheckpoint openTinyCheckpoint(const ScratchDir& dir) {
  dir.write("model.safetensors",
            buildSafetensors({
                {"model.norm.weight", "F32", {32}, f32Bytes(std::vector<float>(32)),
                 {}},
                {"model.embed_tokens.weight", "F32", {4, 2},
                 f32Bytes(std::vector<float>(8)), {}},
            }));
  absl::StatusOr<SafetensorsCheckpoint> checkpoint =
      SafetensorsCheckpoint::openDirectory(dir.path());
  EXPECT_TRUE(checkpoint.ok()) << checkpoint.status();
  return *std::move(checkpoint);
}

TEST(CheckpointRequirements, AcceptsAMatchingCheckpoint) {
  ScratchDir dir;
  const SafetensorsCheckpoint checkpoint = openTinyCheckpoint(dir);
  const std::vector<TensorRequirement> required = {
      {"model.norm.weight", {32}}, {"model.embed_tokens.weight", {4, 2}}};
  EXPECT_TRUE(checkRequirements(checkpoint, required).ok());
  EXPECT_TRUE(checkRequirements(checkpoint, {}).ok());
}

TEST(CheckpointRequirements, ListsMissingTensorsAndWrongShapesTogether) {
  ScratchDir dir;
  const SafetensorsCheckpoint checkpoint = openTinyCheckpoint(dir);
  const std::vector<TensorRequirement> required = {
      {"model.embed_tokens.weight", {4, 2}},
      {"model.layers.0.self_attn.o_proj.weight", {2, 2}},
      {"model.norm.weight", {64}},
  };
  expectError(checkRequirements(checkpoint, required),
              absl::StatusCode::kInvalidArgument,
              {"checkpoint " + dir.path() +
               " does not match the model config: missing "
               "model.layers.0.self_attn.o_proj.weight; model.norm.weight has "
               "shape [32], expected [64]"});
}

TEST(CheckpointRequirements, CapsTheListAtTwenty) {
  ScratchDir dir;
  const SafetensorsCheckpoint checkpoint = openTinyCheckpoint(dir);
  std::vector<TensorRequirement> required;
  for (int i = 0; i < 25; ++i) {
    required.push_back({absl::StrCat("model.layers.", i, ".mlp.weight"), {1}});
  }
  const absl::Status status = checkRequirements(checkpoint, required);
  expectError(status, absl::StatusCode::kInvalidArgument,
              {"missing model.layers.19.mlp.weight; and 5 more"});
  EXPECT_EQ(status.message().find("model.layers.20."), std::string::npos);
}

}  // namespace
}  // namespace dsv2::runtime
