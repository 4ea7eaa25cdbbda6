//===- SmallEngine.h - A small, valid engine description for tests -*- C++ -*-===//
//
// Every field kind of an engine: weights of two dtypes (one with a source
// and a shape), an inline constant, a cache addressed at the past, a step
// program per phase with every argument kind. Shared by the engine-file
// tests and the fuzz seed generator (test/fuzz/MakeEngineSeeds.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef TEST_UNIT_RUNTIME_SMALLENGINE_H
#define TEST_UNIT_RUNTIME_SMALLENGINE_H

#include "runtime/engine/EngineFormat.h"

#include <string>

namespace dsv2::runtime::testing {

/// Weights 0 ("w0", 5 f32) and 1 ("w1", 33 bf16) are packed; "freqs" is
/// inline.
inline EngineDescription smallEngineDescription(std::string producer = "test") {
  EngineDescription d;
  d.target = "cpu";
  d.producer = std::move(producer);
  d.model = {"test model", "{}", 16, 4, 1, 64, 0, 1, "f32"};
  d.kvCache = {"latent", 3, 1, ElementType::F32, 8, 12, 2};
  d.kernels = {"cpu", "elf-shared-object", "x86-64", {"avx2"}, {"k0", "k1"}};
  LaunchPlan &plan = d.plan;
  int32_t w0 = plan.addBuffer("w0", BufferRole::Weight, ElementType::F32,
                              StepExpr::of(5));
  plan.buffers[w0].source = "tensor:w0";
  plan.buffers[w0].shape = {5};
  int32_t w1 = plan.addBuffer("w1", BufferRole::Weight, ElementType::BF16,
                              StepExpr::of(33));
  int32_t freqs = plan.addBuffer("freqs", BufferRole::Weight, ElementType::F32,
                                 StepExpr::of(2));
  plan.buffers[freqs].constantData = {0.5f, 0.25f};
  int32_t cache = plan.addBuffer("cache", BufferRole::Cache, ElementType::F32,
                                 StepExpr::of(24));
  plan.tokensBuffer = plan.addBuffer("tokens", BufferRole::Tokens,
                                     ElementType::I32, StepExpr::tokens());
  plan.logitsBuffer = plan.addBuffer("logits", BufferRole::Logits,
                                     ElementType::F32, StepExpr::tokens(16));
  Launch launch;
  launch.kernel = "k0";
  launch.origin = "dsv2.linear";
  launch.grid[0] = StepExpr::tokens().ceilDiv(4);
  launch.args = {KernelArg::ofBuffer(w0),
                 KernelArg::ofBuffer(cache, StepExpr::past()),
                 KernelArg::ofInt(StepExpr::context()),
                 KernelArg::ofFloat(0.125f),
                 KernelArg::ofBuffer(w1),
                 KernelArg::ofBuffer(freqs),
                 KernelArg::ofBuffer(plan.logitsBuffer, {}, /*rowElements=*/16)};
  plan.prefill.launches.push_back(launch);
  launch.kernel = "k1";
  plan.decode.launches.push_back(launch);
  plan.vocabSize = 16;
  plan.maxContext = 8;
  return d;
}

} // namespace dsv2::runtime::testing

#endif // TEST_UNIT_RUNTIME_SMALLENGINE_H
