//===- CudaTestPlan.h - A two-kernel plan with its PTX, for GPU tests -*- C++ -*-===//
//
// Shared by CudaExecutorTest and dsv2-test-craft-gpu-engine: a launch plan
// whose two kernels exist as PTX (checked with ptxas for sm_80 and sm_90a)
// and as host code in the fake driver (FakeLibcuda.cpp), so the executor and
// dsv2-run on GPU engines are tested without a GPU and with one.
//
//===----------------------------------------------------------------------===//

#ifndef TEST_UNIT_RUNTIME_CUDATESTPLAN_H
#define TEST_UNIT_RUNTIME_CUDATESTPLAN_H

#include "runtime/engine/EngineFormat.h"

#include <vector>

namespace dsv2::runtime::testing {

/// The two test kernels (checked with ptxas for sm_80 and sm_90a).
inline const char kPtx[] = R"PTX(.version 7.0
.target sm_80
.address_size 64

.visible .entry fake_cache(.param .u64 p_tokens, .param .u64 p_cache)
{
  .reg .pred %p<2>;
  .reg .b32 %r<4>;
  .reg .f32 %f<2>;
  .reg .b64 %rd<6>;
  mov.u32 %r1, %tid.x;
  setp.ne.u32 %p1, %r1, 0;
  @%p1 bra DONE;
  ld.param.u64 %rd1, [p_tokens];
  ld.param.u64 %rd2, [p_cache];
  cvta.to.global.u64 %rd1, %rd1;
  cvta.to.global.u64 %rd2, %rd2;
  mov.u32 %r2, %ctaid.x;
  mul.wide.u32 %rd3, %r2, 4;
  add.u64 %rd4, %rd1, %rd3;
  ld.global.u32 %r3, [%rd4];
  cvt.rn.f32.s32 %f1, %r3;
  add.u64 %rd5, %rd2, %rd3;
  st.global.f32 [%rd5], %f1;
DONE:
  ret;
}

.visible .entry fake_logits(.param .u64 p_w, .param .u64 p_base,
    .param .u64 p_at, .param .u64 p_logits, .param .u32 p_vocab,
    .param .u32 p_context, .param .f32 p_scale)
{
  .reg .pred %p<2>;
  .reg .b32 %r<6>;
  .reg .f32 %f<6>;
  .reg .b64 %rd<11>;
  mov.u32 %r1, %tid.x;
  ld.param.u32 %r2, [p_vocab];
  setp.ge.s32 %p1, %r1, %r2;
  @%p1 bra DONE;
  ld.param.u64 %rd1, [p_w];
  ld.param.u64 %rd2, [p_base];
  ld.param.u64 %rd3, [p_at];
  ld.param.u64 %rd4, [p_logits];
  cvta.to.global.u64 %rd1, %rd1;
  cvta.to.global.u64 %rd2, %rd2;
  cvta.to.global.u64 %rd3, %rd3;
  cvta.to.global.u64 %rd4, %rd4;
  ld.param.u32 %r3, [p_context];
  ld.param.f32 %f1, [p_scale];
  mov.u32 %r4, %ctaid.x;
  mul.wide.u32 %rd5, %r1, 4;
  add.u64 %rd6, %rd1, %rd5;
  ld.global.f32 %f2, [%rd6];
  mul.rn.f32 %f2, %f2, %f1;
  mul.wide.u32 %rd7, %r4, 4;
  add.u64 %rd8, %rd3, %rd7;
  ld.global.f32 %f3, [%rd8];
  add.rn.f32 %f2, %f2, %f3;
  ld.global.f32 %f4, [%rd2];
  fma.rn.f32 %f2, %f4, 0f447A0000, %f2;
  cvt.rn.f32.s32 %f5, %r3;
  fma.rn.f32 %f2, %f5, 0f3F000000, %f2;
  mad.lo.s32 %r5, %r4, %r2, %r1;
  mul.wide.s32 %rd9, %r5, 4;
  add.u64 %rd10, %rd4, %rd9;
  st.global.f32 [%rd10], %f2;
DONE:
  ret;
}
)PTX";

inline constexpr int64_t kVocab = 4;
inline const std::vector<float> kWeights = {1, 2, 3, 4};

/// cache[past + p] = token p; logits[p][v] = w[v] * 0.25 + token p +
/// 1000 * cache[0] + 0.5 * context.
inline LaunchPlan testPlan() {
  LaunchPlan plan;
  auto add = [&](const char *name, BufferRole role, ElementType type,
                 StepExpr elements) {
    return plan.addBuffer(name, role, type, elements);
  };
  int32_t w = add("w", BufferRole::Weight, ElementType::F32, StepExpr::of(kVocab));
  int32_t cache = add("cache", BufferRole::Cache, ElementType::F32, StepExpr::of(8));
  plan.tokensBuffer = add("tokens", BufferRole::Tokens, ElementType::I32, StepExpr::tokens());
  plan.logitsBuffer =
      add("logits", BufferRole::Logits, ElementType::F32, StepExpr::tokens(kVocab));
  int32_t scale = add("scale", BufferRole::Weight, ElementType::F32, StepExpr::of(1));
  plan.buffers[scale].constantData = {0.25f};
  (void)scale;
  Launch first;
  first.kernel = "fake_cache";
  first.origin = "test.cache";
  first.grid[0] = StepExpr::tokens();
  // Row offsets (rowElements) place a sequence's rows in a batched step.
  first.args = {KernelArg::ofBuffer(plan.tokensBuffer, {}, 1),
                KernelArg::ofBuffer(cache, StepExpr::past())};
  Launch second;
  second.kernel = "fake_logits";
  second.origin = "test.logits";
  second.grid[0] = StepExpr::tokens();
  second.args = {KernelArg::ofBuffer(w),
                 KernelArg::ofBuffer(cache),
                 KernelArg::ofBuffer(cache, StepExpr::past()),
                 KernelArg::ofBuffer(plan.logitsBuffer, {}, kVocab),
                 KernelArg::ofInt(StepExpr::of(kVocab)),
                 KernelArg::ofInt(StepExpr::context()),
                 KernelArg::ofFloat(0.25f)};
  plan.prefill.launches = {first, second};
  plan.decode.launches = {first, second};
  // Both launches touch the cache, so a batched step runs them per sequence.
  plan.decodeBatch.launches = {first, second};
  plan.vocabSize = kVocab;
  plan.maxContext = 8;
  return plan;
}

inline std::vector<GpuKernelInfo> shapes(int sharedBytes = 0) {
  return {{"fake_cache", 32, 0}, {"fake_logits", 32, sharedBytes}};
}

} // namespace dsv2::runtime::testing

#endif // TEST_UNIT_RUNTIME_CUDATESTPLAN_H
