//===- EngineVerifyTest.cpp - Engines that verify but do not make sense ---===//
//
// parseEngine's checks behind the checksum: engines whose bytes are intact
// (written by serializeEngine, checksum consistent) but whose contents are
// wrong, as a buggy compiler or a crafted file could make them. Each is
// refused with one line naming the problem; several of these were found by
// the engine fuzzer (test/fuzz, docs/robustness.md).
//
//===----------------------------------------------------------------------===//

#include "runtime/engine/Checksum.h"
#include "runtime/engine/EngineReader.h"
#include "runtime/engine/EngineWriter.h"

#include "test/unit/runtime/ExpectError.h"

#include "gtest/gtest.h"

#include <cstring>
#include <functional>

namespace dsv2::runtime {
namespace {

using testing::expectError;

/// A valid plan: one packed weight, the token and logit buffers, one launch.
EngineDescription validEngine() {
  EngineDescription d;
  d.target = "cpu";
  d.model = {"m", "{}", 16, 4, 1, 64, 0, 1, "f32"};
  d.kvCache = {"latent", 3, 1, ElementType::F32, 8, 12, 1};
  d.kernels = {"cpu", "elf-shared-object", "x86-64", {}, {"k0"}};
  LaunchPlan &plan = d.plan;
  auto add = [&](const char *name, BufferRole role, ElementType type,
                 StepExpr elements) {
    int32_t index = plan.addBuffer(name, role, type, elements);
    plan.buffers[index].shape = {elements.constant};
  };
  add("w", BufferRole::Weight, ElementType::F32, StepExpr::of(4));
  add("tokens", BufferRole::Tokens, ElementType::I32, StepExpr::tokens());
  add("logits", BufferRole::Logits, ElementType::F32, StepExpr::tokens(16));
  plan.tokensBuffer = 1;
  plan.logitsBuffer = 2;
  Launch launch;
  launch.kernel = "k0";
  launch.grid[0] = StepExpr::tokens().ceilDiv(4);
  launch.args = {KernelArg::ofBuffer(0), KernelArg::ofBuffer(2),
                 KernelArg::ofInt(StepExpr::context())};
  plan.prefill.launches.push_back(launch);
  return d;
}

std::vector<PackedWeight> validWeights() {
  return {{0, "w", kWeightsHeaderBytes, 16, 0}};
}

absl::Status parse(const EngineDescription &d,
                   const std::vector<PackedWeight> &weights = validWeights(),
                   const std::string &weightFile = "e.dsv2.rank0.weights") {
  std::vector<uint8_t> bytes =
      serializeEngine(d, std::vector<uint8_t>(8, 0), BuildId{}, weightFile,
                      kWeightsHeaderBytes + 64, weights);
  return parseEngine(bytes, "e.dsv2").status();
}

/// The engine of validEngine() after `change`.
absl::Status parseChanged(const std::function<void(EngineDescription &)> &change) {
  EngineDescription d = validEngine();
  change(d);
  return parse(d);
}

TEST(EngineVerify, TheValidEngineLoads) {
  EXPECT_TRUE(parse(validEngine()).ok()) << parse(validEngine());
}

TEST(EngineVerify, BufferReferencesMustExist) {
  expectError(parseChanged([](EngineDescription &d) {
                d.plan.prefill.launches[0].args[1].buffer = 7;
              }),
              absl::StatusCode::kDataLoss, {"e.dsv2", "launch of k0 uses buffer 7 of 3"});
  expectError(parseChanged([](EngineDescription &d) { d.plan.tokensBuffer = 2; }),
              absl::StatusCode::kDataLoss, {"the token or logit buffer index is wrong"});
}

TEST(EngineVerify, WeightsMustFitTheirBufferAndFile) {
  std::vector<PackedWeight> outside = validWeights();
  outside[0].offset = kWeightsHeaderBytes + 64;
  expectError(parse(validEngine(), outside), absl::StatusCode::kDataLoss,
              {"weight w at [4160, +16) does not fit"});
  std::vector<PackedWeight> wrongSize = validWeights();
  wrongSize[0].bytes = 12;
  expectError(parse(validEngine(), wrongSize), absl::StatusCode::kDataLoss,
              {"weight w", "does not fit its buffer (16 bytes)"});
  expectError(parse(validEngine(), {}), absl::StatusCode::kDataLoss,
              {"buffer w has 0 packed weights"});
  expectError(parse(validEngine(), validWeights(), "../elsewhere"),
              absl::StatusCode::kDataLoss, {"weight file name '../elsewhere'"});
  expectError(parse(validEngine(), validWeights(), "w\nx"),
              absl::StatusCode::kDataLoss, {"weight file name 'w\\x0ax'"});
}

TEST(EngineVerify, ContextBatchAndVocabularyMustBePositive) {
  expectError(parseChanged([](EngineDescription &d) { d.kvCache.maxContext = 0; }),
              absl::StatusCode::kDataLoss, {"a context of 0 positions"});
  expectError(parseChanged([](EngineDescription &d) { d.kvCache.maxBatch = 0; }),
              absl::StatusCode::kDataLoss, {"batch 0"});
  expectError(parseChanged([](EngineDescription &d) { d.model.vocabSize = -1; }),
              absl::StatusCode::kDataLoss, {"vocabulary -1"});
}

TEST(EngineVerify, StepExpressionsMustNotOverflow) {
  // Found by the fuzzer: evaluating these overflowed int64 (undefined).
  expectError(parseChanged([](EngineDescription &d) {
                d.plan.buffers[0].elements = StepExpr::of(int64_t{1} << 62);
              }),
              absl::StatusCode::kDataLoss, {"buffer w has a size out of range"});
  expectError(parseChanged([](EngineDescription &d) {
                d.plan.prefill.launches[0].grid[1] = StepExpr::tokens(int64_t{1} << 50);
              }),
              absl::StatusCode::kDataLoss, {"launch of k0 has a grid size out of range"});
  expectError(parseChanged([](EngineDescription &d) {
                d.plan.prefill.launches[0].args[2].intValue.divisor = 0;
              }),
              absl::StatusCode::kDataLoss, {"launch of k0 has an argument out of range"});
  // A batched step moves an argument by up to maxContext (8) rows.
  expectError(parseChanged([](EngineDescription &d) {
                d.plan.prefill.launches[0].args[1].rowElements = int64_t{1} << 46;
              }),
              absl::StatusCode::kDataLoss, {"launch of k0 has an argument out of range"});
  expectError(parseChanged([](EngineDescription &d) {
                d.plan.prefill.launches[0].args[1].rowElements = -16;
              }),
              absl::StatusCode::kDataLoss, {"launch of k0 has an argument out of range"});
  expectError(parseChanged([](EngineDescription &d) {
                d.plan.prefill.launches[0].args[2].rowElements = 16;
              }),
              absl::StatusCode::kDataLoss, {"launch of k0 has an argument out of range"});
  EXPECT_TRUE(parseChanged([](EngineDescription &d) {
                d.plan.prefill.launches[0].args[1].rowElements = 16;
              }).ok());
  // The largest values that stay in range still load.
  EXPECT_TRUE(parseChanged([](EngineDescription &d) {
                d.plan.prefill.launches[0].grid[1] =
                    StepExpr::tokens(int64_t{1} << 44).ceilDiv(1 << 20);
              }).ok());
}

TEST(EngineVerify, NamesFromTheFileStayOnOneLine) {
  expectError(parseChanged([](EngineDescription &d) {
                d.plan.prefill.launches[0].kernel = "k\n0";
                d.plan.prefill.launches[0].args[1].buffer = 7;
              }),
              absl::StatusCode::kDataLoss, {"launch of k\\x0a0 uses buffer 7"});
}

/// An engine file whose header is consistent with `flatbuffer`.
std::vector<uint8_t> withHeader(const std::vector<uint8_t> &flatbuffer) {
  EngineHeader header{};
  std::memcpy(header.magic, kEngineMagic, sizeof kEngineMagic);
  header.schemaVersion = kEngineSchemaVersion;
  header.headerBytes = kEngineHeaderBytes;
  header.flatbufferBytes = flatbuffer.size();
  header.flatbufferChecksum =
      checksum64(flatbuffer.data(), flatbuffer.size(), kFlatbufferChecksumSeed);
  std::vector<uint8_t> file(sizeof header);
  std::memcpy(file.data(), &header, sizeof header);
  file.insert(file.end(), flatbuffer.begin(), flatbuffer.end());
  return file;
}

TEST(EngineVerify, FlatbuffersThatDoNotVerify) {
  // Found by the fuzzer: an empty flatbuffer made the identifier check read
  // past the file.
  expectError(parseEngine(withHeader({}), "e.dsv2").status(),
              absl::StatusCode::kDataLoss, {"the flatbuffer has only 0 bytes"});
  // A root offset far outside the 12 bytes there are.
  std::vector<uint8_t> dangling = {0x00, 0x10, 0, 0, 'D', 'S', 'V', '2', 0, 0, 0, 0};
  expectError(parseEngine(withHeader(dangling), "e.dsv2").status(),
              absl::StatusCode::kDataLoss, {"the flatbuffer does not verify"});
}

} // namespace
} // namespace dsv2::runtime
