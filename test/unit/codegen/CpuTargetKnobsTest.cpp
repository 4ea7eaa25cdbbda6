//===- CpuTargetKnobsTest.cpp - Lowering knobs from target features -------===//
//
// cpuLoweringFor (codegen/cpu/Pipeline.h): the one place dsv2c turns a
// target's LLVM features into the knobs that depend on them; kernel
// formation takes its vector width from the same options, so the tile
// shapes and the tile.dot register blocks cannot disagree.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/ConvertTileToLLVM.h"
#include "codegen/cpu/Pipeline.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using mlir::dsv2::cpu::cpuLoweringFor;
using mlir::dsv2::cpu::CpuLoweringOptions;

TEST(CpuTargetKnobs, Avx512TargetsGetZmmBlocksAndAvx512PairDots) {
  const CpuLoweringOptions options =
      cpuLoweringFor({"avx2", "avx512f", "avx512bw", "fma"});
  EXPECT_EQ(options.vectorBits, 512);
  EXPECT_EQ(options.pairDot, "avx512bw");
}

TEST(CpuTargetKnobs, Avx2TargetsGetYmmBlocks) {
  const CpuLoweringOptions options = cpuLoweringFor({"avx2", "fma"});
  EXPECT_EQ(options.vectorBits, 256);
  EXPECT_EQ(options.pairDot, "avx2");
}

TEST(CpuTargetKnobs, BaselineTargetsFallBackToGenericPairDots) {
  const CpuLoweringOptions options = cpuLoweringFor({"sse2"});
  EXPECT_EQ(options.vectorBits, 256);
  EXPECT_EQ(options.pairDot, "generic");
}

TEST(CpuTargetKnobs, OnlyTargetDependentKnobsChange) {
  const CpuLoweringOptions defaults;
  const CpuLoweringOptions options = cpuLoweringFor({"avx512f", "avx512bw"});
  EXPECT_EQ(options.contiguousAccess, defaults.contiguousAccess);
  EXPECT_EQ(options.approximateMath, defaults.approximateMath);
  EXPECT_EQ(options.reassociateFPReductions,
            defaults.reassociateFPReductions);
  EXPECT_EQ(options.nativeMaskedOps, defaults.nativeMaskedOps);
}

TEST(CpuTargetKnobs, AgreesWithTheFeatureQueries) {
  const std::vector<std::vector<std::string>> targets = {
      {}, {"avx2"}, {"avx2", "avx512f"}, {"avx512f", "avx512bw", "avxvnni"}};
  for (const auto &features : targets) {
    const CpuLoweringOptions options = cpuLoweringFor(features);
    EXPECT_EQ(options.vectorBits, mlir::dsv2::cpu::vectorBitsFor(features));
    EXPECT_EQ(options.pairDot,
              mlir::dsv2::cpu::pairDotIsaFor(features).str());
  }
}

// Every feature cpuLoweringFor reads is one callers ask describeCpuTarget
// about: with only the listed features, the knobs are those of the full set.
TEST(CpuTargetKnobs, ListsTheFeaturesItReads) {
  const std::vector<std::string> listed =
      mlir::dsv2::cpu::cpuLoweringFeatures();
  const CpuLoweringOptions fromListed = cpuLoweringFor(listed);
  const CpuLoweringOptions fromMore = cpuLoweringFor(
      {"avx2", "avx512f", "avx512bw", "avx512vnni", "avxvnni", "fma"});
  EXPECT_EQ(fromListed.vectorBits, fromMore.vectorBits);
  EXPECT_EQ(fromListed.pairDot, fromMore.pairDot);
}

} // namespace
