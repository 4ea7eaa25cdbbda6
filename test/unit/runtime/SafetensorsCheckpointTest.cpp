//===- SafetensorsCheckpointTest.cpp - Checkpoint directory tests ---------===//
//
// Single-file and sharded directories, and the index errors: missing shard,
// tensor absent from its shard, unsafe shard names, malformed index.
//
//===----------------------------------------------------------------------===//

#include "runtime/safetensors/SafetensorsCheckpoint.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/safetensors/TensorConversion.h"
#include "test/unit/runtime/ExpectError.h"
#include "test/unit/runtime/TestFiles.h"

namespace dsv2::runtime {
namespace {

using testing::buildSafetensors;
using testing::expectError;
using testing::f32Bytes;
using testing::ScratchDir;
using testing::TestTensor;
using testing::u16Bytes;

constexpr char kShard1[] = "model-00001-of-00002.safetensors";
constexpr char kShard2[] = "model-00002-of-00002.safetensors";

/// Writes a two-shard checkpoint whose index holds `weightMapJson`.
void writeShardedCheckpoint(const ScratchDir& dir,
                            const std::string& weightMapJson) {
  dir.write(kShard1,
            buildSafetensors({
                {"model.embed_tokens.weight", "BF16", {2, 2},
                 u16Bytes({0x3f80, 0x4000, 0x4040, 0x4080}), {}},
                {"model.norm.weight", "F32", {2}, f32Bytes({0.5f, 0.25f}), {}},
            }));
  dir.write(kShard2, buildSafetensors({
                         {"lm_head.weight", "F16", {2, 2},
                          u16Bytes({0x3c00, 0xbc00, 0x0000, 0x3800}), {}},
                     }));
  dir.write("model.safetensors.index.json",
            R"({"metadata": {"total_size": 28}, "weight_map": )" +
                weightMapJson + "}");
}

const char kFullWeightMap[] = R"({
  "model.embed_tokens.weight": "model-00001-of-00002.safetensors",
  "model.norm.weight": "model-00001-of-00002.safetensors",
  "lm_head.weight": "model-00002-of-00002.safetensors"})";

TEST(SafetensorsCheckpoint, OpensSingleFileDirectory) {
  ScratchDir dir;
  dir.write("model.safetensors",
            buildSafetensors({{"w", "F32", {2}, f32Bytes({1, 2}), {}},
                              {"v", "BF16", {1}, u16Bytes({0x3f80}), {}}}));
  absl::StatusOr<SafetensorsCheckpoint> checkpoint =
      SafetensorsCheckpoint::openDirectory(dir.path());
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_EQ(checkpoint->source(), dir.path());
  EXPECT_EQ(checkpoint->names(), (std::vector<std::string>{"v", "w"}));
  ASSERT_NE(checkpoint->find("w"), nullptr);
  EXPECT_EQ(toFloat32(*checkpoint->find("w")), (std::vector<float>{1, 2}));
  EXPECT_EQ(checkpoint->find("u"), nullptr);
}

TEST(SafetensorsCheckpoint, OpensShardedDirectory) {
  ScratchDir dir;
  writeShardedCheckpoint(dir, kFullWeightMap);
  absl::StatusOr<SafetensorsCheckpoint> opened =
      SafetensorsCheckpoint::openDirectory(dir.path() + "/");
  ASSERT_TRUE(opened.ok()) << opened.status();
  // Moving the checkpoint keeps its views valid.
  SafetensorsCheckpoint checkpoint = *std::move(opened);
  EXPECT_EQ(checkpoint.files().size(), 2u);
  EXPECT_EQ(checkpoint.names(),
            (std::vector<std::string>{"lm_head.weight",
                                      "model.embed_tokens.weight",
                                      "model.norm.weight"}));
  EXPECT_EQ(toFloat32(*checkpoint.find("model.embed_tokens.weight")),
            (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(toFloat32(*checkpoint.find("model.norm.weight")),
            (std::vector<float>{0.5f, 0.25f}));
  EXPECT_EQ(toFloat32(*checkpoint.find("lm_head.weight")),
            (std::vector<float>{1, -1, 0, 0.5f}));
  EXPECT_EQ(checkpoint.find("lm_head.weight")->shape,
            (std::vector<int64_t>{2, 2}));
}

TEST(SafetensorsCheckpoint, OpensAFileDirectly) {
  ScratchDir dir;
  const std::string path = dir.write(
      "weights.safetensors",
      buildSafetensors({{"w", "F16", {1}, u16Bytes({0x4000}), {}}}));
  absl::StatusOr<SafetensorsCheckpoint> checkpoint =
      SafetensorsCheckpoint::openFile(path);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_EQ(checkpoint->source(), path);
  EXPECT_EQ(toFloat32(*checkpoint->find("w")), (std::vector<float>{2}));
}

TEST(SafetensorsCheckpoint, RejectsDirectoryWithoutCheckpoint) {
  ScratchDir dir;
  dir.write("config.json", "{}");
  expectError(SafetensorsCheckpoint::openDirectory(dir.path()).status(),
              absl::StatusCode::kNotFound,
              {"no model.safetensors or model.safetensors.index.json in " +
               dir.path()});
  expectError(
      SafetensorsCheckpoint::openDirectory(dir.file("nowhere")).status(),
      absl::StatusCode::kNotFound, {dir.file("nowhere"), "does not exist"});
  expectError(
      SafetensorsCheckpoint::openDirectory(dir.file("config.json")).status(),
      absl::StatusCode::kInvalidArgument, {"is not a directory"});
}

TEST(SafetensorsCheckpoint, RejectsIndexPointingToMissingShard) {
  ScratchDir dir;
  writeShardedCheckpoint(dir, R"({
      "model.norm.weight": "model-00001-of-00002.safetensors",
      "lm_head.weight": "model-00003-of-00002.safetensors"})");
  expectError(SafetensorsCheckpoint::openDirectory(dir.path()).status(),
              absl::StatusCode::kNotFound,
              {dir.file("model.safetensors.index.json"),
               "tensor 'lm_head.weight' to 'model-00003-of-00002.safetensors'",
               "does not exist"});
}

TEST(SafetensorsCheckpoint, RejectsIndexPointingToShardWithoutTheTensor) {
  ScratchDir dir;
  writeShardedCheckpoint(dir, R"({
      "model.norm.weight": "model-00002-of-00002.safetensors",
      "lm_head.weight": "model-00002-of-00002.safetensors"})");
  expectError(SafetensorsCheckpoint::openDirectory(dir.path()).status(),
              absl::StatusCode::kNotFound,
              {dir.file("model.safetensors.index.json"),
               "tensor 'model.norm.weight' to "
               "'model-00002-of-00002.safetensors'",
               "has no such tensor"});
}

TEST(SafetensorsCheckpoint, RejectsShardNamesOutsideTheDirectory) {
  ScratchDir dir;
  for (const std::string shard :
       {"../model.safetensors", "/etc/passwd", "", "a//b", "./x"}) {
    writeShardedCheckpoint(dir, R"({"lm_head.weight": ")" + shard + "\"}");
    expectError(SafetensorsCheckpoint::openDirectory(dir.path()).status(),
                absl::StatusCode::kInvalidArgument,
                {"tensor 'lm_head.weight'", "not a file name inside"});
  }
}

TEST(SafetensorsCheckpoint, RejectsMalformedIndex) {
  ScratchDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{", "index is not valid JSON"},
      {"[]", "index is not a JSON object"},
      {R"({"metadata": {}})", "no \"weight_map\" object"},
      {R"({"weight_map": {}})", "weight_map is empty"},
      {R"({"weight_map": {"w": 3}})", "tensor 'w' is not a file name"},
  };
  for (const auto& [index, fragment] : cases) {
    dir.write("model.safetensors.index.json", index);
    expectError(SafetensorsCheckpoint::openDirectory(dir.path()).status(),
                absl::StatusCode::kInvalidArgument,
                {dir.file("model.safetensors.index.json"), fragment});
  }
}

TEST(SafetensorsCheckpoint, ReportsCorruptShardByItsPath) {
  ScratchDir dir;
  writeShardedCheckpoint(dir, kFullWeightMap);
  dir.write(kShard2, "short");
  expectError(SafetensorsCheckpoint::openDirectory(dir.path()).status(),
              absl::StatusCode::kDataLoss, {dir.file(kShard2), "too short"});
}

}  // namespace
}  // namespace dsv2::runtime
