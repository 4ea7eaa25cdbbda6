//===- EngineFileTest.cpp - Engine files: round trip and damage -----------===//
//
// Writes small engines with EngineWriter and reads them back: every field of
// the plan survives, weights are mapped aligned and intact, an uncommitted
// writer leaves nothing behind, and every single-byte flip or truncation of
// an engine file is refused with an error (never a crash or a silent load).
//
//===----------------------------------------------------------------------===//

#include "runtime/engine/Checksum.h"
#include "runtime/engine/EngineReader.h"
#include "runtime/engine/EngineWriter.h"
#include "test/unit/runtime/SmallEngine.h"

#include "test/unit/runtime/ExpectError.h"
#include "test/unit/runtime/TestFiles.h"

#include "gtest/gtest.h"

#include <cstring>
#include <filesystem>

namespace dsv2::runtime {
namespace {

using testing::ScratchDir;

/// A plan with two packed weights, an inline constant, a cache and the
/// token/logit buffers; one launch per step using each argument kind.
EngineDescription smallEngine() {
  return dsv2::runtime::testing::smallEngineDescription();
}

std::vector<uint8_t> pattern(size_t bytes, uint8_t seed) {
  std::vector<uint8_t> out(bytes);
  for (size_t i = 0; i < bytes; ++i)
    out[i] = static_cast<uint8_t>(seed + 31 * i);
  return out;
}

const std::vector<uint8_t> kImage = pattern(300, 7);

std::string writeSmallEngine(const ScratchDir &dir) {
  std::string path = dir.file("small.dsv2");
  auto writer = EngineWriter::create(path);
  EXPECT_TRUE(writer.ok()) << writer.status();
  EXPECT_TRUE((*writer)->addWeight(0, "w0", pattern(20, 1)).ok());
  EXPECT_TRUE((*writer)->addWeight(1, "w1", pattern(66, 2)).ok());
  absl::Status committed = (*writer)->commit(smallEngine(), kImage);
  EXPECT_TRUE(committed.ok()) << committed;
  return path;
}

TEST(EngineFile, RoundTripsThePlanTheImageAndTheWeights) {
  ScratchDir dir;
  std::string path = writeSmallEngine(dir);
  auto loaded = LoadedEngine::open(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const EngineDescription &d = (*loaded)->description();
  EngineDescription expected = smallEngine();
  EXPECT_EQ(d.target, "cpu");
  EXPECT_EQ(d.model.description, "test model");
  EXPECT_EQ(d.model.eosTokenId, 1);
  EXPECT_EQ(d.kvCache.bytesPerToken, 12);
  EXPECT_EQ(d.kvCache.maxBatch, 2);
  EXPECT_EQ(d.kernels.cpuFeatures, std::vector<std::string>{"avx2"});
  EXPECT_EQ(d.kernels.kernels, expected.kernels.kernels);
  ASSERT_EQ(d.plan.buffers.size(), expected.plan.buffers.size());
  for (size_t i = 0; i < d.plan.buffers.size(); ++i) {
    EXPECT_EQ(d.plan.buffers[i].name, expected.plan.buffers[i].name);
    EXPECT_EQ(d.plan.buffers[i].role, expected.plan.buffers[i].role);
    EXPECT_EQ(d.plan.buffers[i].type, expected.plan.buffers[i].type);
    EXPECT_EQ(d.plan.buffers[i].shape, expected.plan.buffers[i].shape);
    EXPECT_EQ(d.plan.buffers[i].constantData, expected.plan.buffers[i].constantData);
  }
  const Launch &launch = d.plan.prefill.launches.at(0);
  EXPECT_EQ(launch.kernel, "k0");
  EXPECT_EQ(launch.origin, "dsv2.linear");
  EXPECT_EQ(launch.grid[0].evaluate(9, 0), 3);
  ASSERT_EQ(launch.args.size(), 7u);
  EXPECT_EQ(launch.args[1].offset.evaluate(1, 5), 5);
  EXPECT_EQ(launch.args[1].rowElements, 0);
  EXPECT_EQ(launch.args[6].rowElements, 16);
  EXPECT_EQ(launch.args[2].intValue.evaluate(2, 5), 7);
  EXPECT_EQ(launch.args[3].floatValue, 0.125f);
  EXPECT_EQ(d.plan.decode.launches.at(0).kernel, "k1");
  EXPECT_EQ(d.plan.tokensBuffer, expected.plan.tokensBuffer);
  EXPECT_EQ(d.plan.maxContext, 8);

  absl::Span<const uint8_t> image = (*loaded)->kernelImage();
  EXPECT_EQ(std::vector<uint8_t>(image.begin(), image.end()), kImage);
  const std::vector<const void *> &weights = (*loaded)->weightAddresses();
  ASSERT_NE(weights[0], nullptr);
  ASSERT_NE(weights[1], nullptr);
  EXPECT_EQ(weights[2], nullptr) << "inline constants are not packed";
  EXPECT_EQ(reinterpret_cast<uintptr_t>(weights[1]) % kWeightAlignment, 0u);
  EXPECT_EQ(std::memcmp(weights[0], pattern(20, 1).data(), 20), 0);
  EXPECT_EQ(std::memcmp(weights[1], pattern(66, 2).data(), 66), 0);
}

// A CPU engine's weights are mapped (the default), or copied into huge
// pages when asked and the kernel grants them; the bytes are the same.
TEST(EngineFile, CpuWeightsMappedOrInHugePages) {
  ScratchDir dir;
  std::string path = writeSmallEngine(dir);
  auto mapped = LoadedEngine::open(path);
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  EXPECT_EQ((*mapped)->weightMemory(), FileMemory::Mapped);
  EXPECT_EQ((*mapped)->weightMemoryNote(), "");
  EngineLoadOptions hugePages;
  hugePages.hugePageWeights = true;
  auto copied = LoadedEngine::open(path, hugePages);
  ASSERT_TRUE(copied.ok()) << copied.status();
  if (transparentHugePagesAvailable()) {
    EXPECT_EQ((*copied)->weightMemory(), FileMemory::HugePageCopy);
  } else {
    EXPECT_EQ((*copied)->weightMemory(), FileMemory::Mapped);
    EXPECT_EQ((*copied)->weightMemoryNote(), "transparent huge pages are off");
  }
  for (const auto *loaded : {&*copied, &*mapped}) {
    const std::vector<const void *> &weights = (*loaded)->weightAddresses();
    EXPECT_EQ(reinterpret_cast<uintptr_t>(weights[1]) % kWeightAlignment, 0u);
    EXPECT_EQ(std::memcmp(weights[0], pattern(20, 1).data(), 20), 0);
    EXPECT_EQ(std::memcmp(weights[1], pattern(66, 2).data(), 66), 0);
  }
}

TEST(EngineFile, AnUncommittedWriterLeavesNothing) {
  ScratchDir dir;
  {
    auto writer = EngineWriter::create(dir.file("e.dsv2"));
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->addWeight(0, "w0", pattern(20, 1)).ok());
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(EngineFile, EverySingleByteFlipIsRefused) {
  ScratchDir dir;
  std::string bytes = testing::readFileBytes(writeSmallEngine(dir));
  std::vector<uint8_t> file(bytes.begin(), bytes.end());
  for (size_t i = 0; i < file.size(); ++i) {
    if (i >= 32 && i < kEngineHeaderBytes)
      continue; // reserved header bytes
    std::vector<uint8_t> damaged = file;
    damaged[i] ^= 0x20;
    auto parsed = parseEngine(damaged, "e.dsv2");
    EXPECT_FALSE(parsed.ok()) << "flip at byte " << i << " went unnoticed";
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().message().find('\n'), absl::string_view::npos);
    }
  }
}

TEST(EngineFile, EveryTruncationIsRefused) {
  ScratchDir dir;
  std::string bytes = testing::readFileBytes(writeSmallEngine(dir));
  for (size_t size = 0; size < bytes.size(); ++size) {
    auto parsed = parseEngine(
        absl::MakeConstSpan(reinterpret_cast<const uint8_t *>(bytes.data()), size),
        "e.dsv2");
    EXPECT_FALSE(parsed.ok()) << "truncated to " << size << " bytes";
  }
}

TEST(EngineFile, WeightFileDamageIsNamed) {
  ScratchDir dir;
  std::string path = writeSmallEngine(dir);
  std::string weightsPath = weightFilePath(path, 0);
  std::string weights = testing::readFileBytes(weightsPath);

  // Writes `bytes` as the weight file; loading must name damaged `weight`.
  auto expectDamaged = [&](const std::string &bytes, const std::string &weight,
                           const EngineLoadOptions &options) {
    dir.write("small.dsv2.rank0.weights", bytes);
    testing::expectError(LoadedEngine::open(path, options).status(),
                         absl::StatusCode::kDataLoss,
                         {weightsPath, "checksum mismatch in weight " + weight});
  };
  std::string flipped = weights;
  flipped[kWeightsHeaderBytes + 3] ^= 1;
  expectDamaged(flipped, "w0", {});
  EngineLoadOptions hugePages;
  hugePages.hugePageWeights = true;
  expectDamaged(flipped, "w0", hugePages);
  EngineLoadOptions unchecked;
  unchecked.verifyWeights = false;
  EXPECT_TRUE(LoadedEngine::open(path, unchecked).ok());

  // The weights are verified on several threads, largest first; the error
  // still names the first damaged weight in file order.
  const std::vector<uint8_t> w1 = pattern(66, 2);
  const size_t w1At =
      weights.find(std::string(w1.begin(), w1.end()), kWeightsHeaderBytes);
  ASSERT_NE(w1At, std::string::npos);
  std::string bothFlipped = flipped;
  bothFlipped[w1At + 5] ^= 1;
  expectDamaged(bothFlipped, "w0", {});
  std::string onlyW1 = weights;
  onlyW1[w1At + 5] ^= 1;
  expectDamaged(onlyW1, "w1", {});

  dir.write("small.dsv2.rank0.weights", weights.substr(0, weights.size() - 1));
  testing::expectError(LoadedEngine::open(path).status(),
                       absl::StatusCode::kDataLoss,
                       {weightsPath, "truncated or extended"});

  std::filesystem::remove(weightsPath);
  testing::expectError(LoadedEngine::open(path).status(),
                       absl::StatusCode::kNotFound,
                       {path, "weight file is missing"});
}

TEST(EngineFile, AnotherCompilesWeightsAreRefused) {
  ScratchDir first, second;
  std::string a = writeSmallEngine(first), b = writeSmallEngine(second);
  std::filesystem::copy_file(weightFilePath(b, 0), weightFilePath(a, 0),
                             std::filesystem::copy_options::overwrite_existing);
  testing::expectError(LoadedEngine::open(a).status(),
                       absl::StatusCode::kFailedPrecondition,
                       {"belongs to another compile"});
}

/// The small engine as a PTX engine carrying `cubin`.
std::string writePtxEngine(const ScratchDir &dir, std::vector<uint8_t> cubin,
                           std::string format = "ptx") {
  std::string path = dir.file("gpu.dsv2");
  EngineDescription d = smallEngine();
  d.target = "sm_90a";
  d.kernels.target = "sm_90a";
  d.kernels.format = format;
  d.kernels.cubin = std::move(cubin);
  auto writer = EngineWriter::create(path);
  EXPECT_TRUE(writer.ok()) << writer.status();
  EXPECT_TRUE((*writer)->addWeight(0, "w0", pattern(20, 1)).ok());
  EXPECT_TRUE((*writer)->addWeight(1, "w1", pattern(66, 2)).ok());
  absl::Status committed = (*writer)->commit(d, kImage);
  EXPECT_TRUE(committed.ok()) << committed;
  return path;
}

TEST(EngineFile, CubinRoundTripsAndAForgedOneIsRefused) {
  ScratchDir dir;
  std::vector<uint8_t> elf = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 42};
  auto loaded = LoadedEngine::open(writePtxEngine(dir, elf));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->description().kernels.cubin, elf);
  // No cubin: none read back (a PTX-only engine).
  ScratchDir none;
  auto plain = LoadedEngine::open(writePtxEngine(none, {}));
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_TRUE((*plain)->description().kernels.cubin.empty());
  // Bytes that are not an ELF image, or a cubin beside a host library.
  ScratchDir forged, misplaced;
  testing::expectError(
      LoadedEngine::open(writePtxEngine(forged, {'P', 'T', 'X', 0})).status(),
      absl::StatusCode::kDataLoss, {"the cubin is not an ELF image"});
  testing::expectError(
      LoadedEngine::open(writePtxEngine(misplaced, elf, "elf-shared-object"))
          .status(),
      absl::StatusCode::kDataLoss,
      {"a cubin beside a elf-shared-object kernel image"});
}

TEST(Checksum, EveryByteAndTheSeedMatter) {
  std::vector<uint8_t> data = pattern(203, 9);
  uint64_t reference = checksum64(data.data(), data.size());
  EXPECT_NE(reference, checksum64(data.data(), data.size(), 1));
  EXPECT_NE(reference, checksum64(data.data(), data.size() - 1));
  for (size_t i = 0; i < data.size(); ++i) {
    data[i] ^= 1;
    EXPECT_NE(checksum64(data.data(), data.size()), reference) << "byte " << i;
    data[i] ^= 1;
  }
  EXPECT_EQ(checksum64(data.data(), data.size()), reference);
}

} // namespace
} // namespace dsv2::runtime
