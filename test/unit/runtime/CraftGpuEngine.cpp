//===- CraftGpuEngine.cpp - Writes a tiny GPU engine for the lit tests ----===//
//
// dsv2-test-craft-gpu-engine OUT [TARGET]: an engine for TARGET (sm_90a by
// default; format "ptx") around the two-kernel plan of CudaTestPlan.h, so
// dsv2-run's GPU path is tested before the GPU code generator exists: with
// no driver (the error), the fake driver (a full run) or a real GPU.
//
//===----------------------------------------------------------------------===//

#include "runtime/engine/EngineWriter.h"

#include "test/unit/runtime/CudaTestPlan.h"

#include <cstdio>
#include <cstring>
#include <string>

int main(int argc, char **argv) {
  namespace rt = dsv2::runtime;
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: dsv2-test-craft-gpu-engine OUT [TARGET]\n");
    return 2;
  }
  std::string target = argc == 3 ? argv[2] : "sm_90a";
  rt::EngineDescription d;
  d.target = target;
  d.producer = "dsv2-test-craft-gpu-engine";
  d.model = {"two-kernel test plan", "{}", rt::testing::kVocab, 1, 1, 8, 0, -1, "f32"};
  d.kvCache = {"latent", 1, 1, rt::ElementType::F32, 8, 4, 2};
  d.kernels.target = target;
  d.kernels.format = "ptx";
  d.kernels.kernels = {"fake_cache", "fake_logits"};
  d.kernels.gpuKernels = rt::testing::shapes(64 * 1024);
  d.plan = rt::testing::testPlan();

  auto writer = rt::EngineWriter::create(argv[1]);
  absl::Status status = writer.status();
  if (status.ok())
    status = (*writer)->addWeight(
        0, "w",
        {reinterpret_cast<const uint8_t *>(rt::testing::kWeights.data()),
         rt::testing::kWeights.size() * sizeof(float)});
  if (status.ok())
    status = (*writer)->commit(
        d, {reinterpret_cast<const uint8_t *>(rt::testing::kPtx),
            std::strlen(rt::testing::kPtx)});
  if (!status.ok()) {
    std::fprintf(stderr, "dsv2-test-craft-gpu-engine: error: %s\n",
                 std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
