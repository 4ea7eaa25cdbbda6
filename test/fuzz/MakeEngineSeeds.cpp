//===- MakeEngineSeeds.cpp - Writes the engine fuzzer's seed corpus -------===//
//
// Real engines carry a kernel image of hundreds of KiB, which makes fuzzing
// slow and the corpus large, while the parser never looks inside the image.
// This tool writes small seeds instead:
//
//   dsv2-fuzz-make-engine-seeds OUT_DIR [ENGINE...]
//
// OUT_DIR/tiny.dsv2 is a hand-made plan using every buffer role and argument
// kind; for each ENGINE (a dsv2c compile output), OUT_DIR/<name> is the same
// engine with its kernel image replaced by 16 bytes and without its
// tokenizer (an opaque string to the parser). Rerun it after a change of
// kEngineSchemaVersion, or every seed stops at the version check.
//
//===----------------------------------------------------------------------===//

#include "runtime/engine/EngineReader.h"
#include "runtime/engine/EngineWriter.h"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace dsv2::runtime;

namespace {

EngineDescription tinyEngine() {
  EngineDescription d;
  d.target = "cpu";
  d.producer = "fuzz seed";
  d.tokenizerJson = "{}";
  d.model = {"tiny", "{}", 16, 4, 1, 64, 0, 1, "f32"};
  d.kvCache = {"latent", 3, 1, ElementType::F32, 8, 12, 2};
  d.kernels = {"cpu", "elf-shared-object", "x86-64", {"avx2"}, {"k0", "k1"}};
  LaunchPlan &plan = d.plan;
  auto add = [&](const char *name, BufferRole role, ElementType type,
                 StepExpr elements) {
    BufferSpec spec;
    spec.name = name;
    spec.role = role;
    spec.type = type;
    spec.elements = elements;
    plan.buffers.push_back(spec);
    return static_cast<int32_t>(plan.buffers.size() - 1);
  };
  int32_t w0 = add("w0", BufferRole::Weight, ElementType::F32, StepExpr::of(5));
  plan.buffers[w0].source = "tensor:w0";
  plan.buffers[w0].shape = {5};
  int32_t w1 = add("w1", BufferRole::Weight, ElementType::BF16, StepExpr::of(33));
  int32_t freqs = add("freqs", BufferRole::Weight, ElementType::F32, StepExpr::of(2));
  plan.buffers[freqs].constantData = {0.5f, 0.25f};
  int32_t cache = add("cache", BufferRole::Cache, ElementType::F32, StepExpr::of(24));
  add("scratch", BufferRole::Scratch, ElementType::F16, StepExpr::tokens(4));
  plan.tokensBuffer =
      add("tokens", BufferRole::Tokens, ElementType::I32, StepExpr::tokens());
  plan.logitsBuffer =
      add("logits", BufferRole::Logits, ElementType::F32, StepExpr::tokens(16));
  Launch launch;
  launch.kernel = "k0";
  launch.origin = "dsv2.linear";
  launch.grid[0] = StepExpr::tokens().ceilDiv(4);
  launch.args = {KernelArg::ofBuffer(w0), KernelArg::ofBuffer(cache, StepExpr::past()),
                 KernelArg::ofInt(StepExpr::context()), KernelArg::ofFloat(0.125f),
                 KernelArg::ofBuffer(w1), KernelArg::ofBuffer(freqs)};
  plan.prefill.launches.push_back(launch);
  launch.kernel = "k1";
  plan.decode.launches.push_back(launch);
  plan.vocabSize = 16;
  plan.maxContext = 8;
  return d;
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
