//===- MakeEngineSeeds.cpp - Writes the engine fuzzer's seed corpus -------===//
//
// Real engines carry a kernel image of hundreds of KiB, which makes fuzzing
// slow and the corpus large, while the parser never looks inside the image.
// This tool writes small seeds instead:
//
//   dsv2-fuzz-make-engine-seeds OUT_DIR [ENGINE...]
//
// OUT_DIR/tiny.dsv2 is a hand-made plan using every buffer role and argument
// kind, OUT_DIR/tiny-tp2.dsv2 the same plan as both ranks of a tp 2 engine
// with collective launches (all-gather, all-reduce); for each ENGINE (a dsv2c compile output), OUT_DIR/<name> is the same
// engine with its kernel image replaced by 16 bytes and without its
// tokenizer (an opaque string to the parser). Rerun it after a change of
// kEngineSchemaVersion, or every seed stops at the version check.
//
//===----------------------------------------------------------------------===//

#include "runtime/engine/EngineReader.h"
#include "test/unit/runtime/SmallEngine.h"
#include "runtime/engine/EngineWriter.h"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace dsv2::runtime;

namespace {

/// The engine-file tests' engine, with a tokenizer and an f16 scratch
/// buffer so that the seeds cover those fields too.
EngineDescription tinyEngine() {
  EngineDescription d = dsv2::runtime::testing::smallEngineDescription("fuzz seed");
  d.tokenizerJson = "{}";
  d.plan.addBuffer("scratch", BufferRole::Scratch, ElementType::F16,
                   StepExpr::tokens(4));
  return d;
}

/// Rank `rank` of a tp 2 engine: the tiny plan plus an all-gather of a
/// scratch buffer into the logits and an all-reduce of the logits.
LaunchPlan tinyRankPlan(int rank) {
  LaunchPlan plan = tinyEngine().plan;
  plan.rank = rank;
  plan.tensorParallel = 2;
  int32_t half = plan.addBuffer("half", BufferRole::Scratch, ElementType::F32,
                                StepExpr::tokens(8));
  Launch gather;
  gather.origin = "dsv2.all_gather";
  gather.collective = CollectiveKind::AllGatherColumns;
  gather.group = CollectiveGroup::Tensor;
  gather.args = {KernelArg::ofBuffer(half), KernelArg::ofBuffer(plan.logitsBuffer),
                 KernelArg::ofInt(StepExpr::tokens()),
                 KernelArg::ofInt(StepExpr::of(8))};
  Launch reduce = gather;
  reduce.origin = "dsv2.all_reduce";
  reduce.collective = CollectiveKind::AllReduceSum;
  reduce.group = CollectiveGroup::World;
  reduce.args[0] = KernelArg::ofBuffer(plan.logitsBuffer);
  reduce.args[3] = KernelArg::ofInt(StepExpr::of(16));
  for (StepProgram *program : {&plan.prefill, &plan.decode}) {
    program->launches.push_back(gather);
    program->launches.push_back(reduce);
  }
  return plan;
}

bool writeFile(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  if (!out) {
    std::fprintf(stderr, "error: cannot write %s\n", path.c_str());
    return false;
  }
  std::printf("%s: %zu bytes\n", path.c_str(), bytes.size());
  return true;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR [ENGINE...]\n", argv[0]);
    return 2;
  }
  std::string outDir = argv[1];
  const std::vector<uint8_t> image(16, 0xcc);
  BuildId buildId{};
  for (size_t i = 0; i < buildId.size(); ++i)
    buildId[i] = static_cast<uint8_t>(i);
  // Two packed weights, 64-byte aligned after the weight file's header.
  std::vector<PackedWeight> weights = {
      {0, "w0", kWeightsHeaderBytes, 20, 1},
      {1, "w1", kWeightsHeaderBytes + 64, 66, 2}};
  if (!writeFile(outDir + "/tiny.dsv2",
                 serializeEngine(tinyEngine(), image, buildId,
                                 "tiny.dsv2.rank0.weights",
                                 kWeightsHeaderBytes + 192, weights)))
    return 1;

  std::vector<RankProgramInfo> ranks;
  for (int rank = 0; rank < 2; ++rank)
    ranks.push_back({tinyRankPlan(rank),
                     "tiny-tp2.dsv2.rank" + std::to_string(rank) + ".weights",
                     kWeightsHeaderBytes + 192, weights});
  if (!writeFile(outDir + "/tiny-tp2.dsv2",
                 serializeEngine(tinyEngine(), ranks, image, buildId)))
    return 1;

  for (int i = 2; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    absl::StatusOr<ParsedEngine> parsed = parseEngine(bytes, argv[i]);
    if (!parsed.ok()) {
      std::fprintf(stderr, "error: %s\n", parsed.status().ToString().c_str());
      return 1;
    }
    parsed->description.tokenizerJson.clear();
    std::string name = argv[i];
    name = name.substr(name.rfind('/') + 1);
    if (!writeFile(outDir + "/" + name,
                   serializeEngine(parsed->description, image, parsed->buildId,
                                   parsed->weightFile, parsed->weightFileBytes,
                                   parsed->weights)))
      return 1;
  }
  return 0;
}
