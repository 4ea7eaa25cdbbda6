//===- KernelFormation.cpp - dsv2 step -> tile kernels + launch plan -------===//
//
// Walks the optimized step function op by op. Each value of the step gets a
// buffer (an f32 activation [rows, width], row stride `stride`), and each op
// becomes one or more launches of catalog kernels (the Planner, Planner.h).
// Four programs are formed: prefill (any T), its last-row-logits twin,
// decode (T == 1) and the batched decode (one token of each of T
// sequences); prefill and decode differ in the attention form the op's
// `absorb` policy asks for.
//
//===----------------------------------------------------------------------===//

#include "passes/kernel_formation/KernelFormation.h"

#include "passes/kernel_formation/Planner.h"
#include "passes/kernel_formation/ScratchSharing.h"

namespace mlir::dsv2 {

namespace rt = ::dsv2::runtime;
using rt::StepExpr;

FailureOr<FormedKernels> formKernels(ModuleOp module,
                                     const KernelFormationOptions &options,
                                     std::string &error) {
  auto step = module.lookupSymbol<func::FuncOp>("step");
  if (!step || step.getNumArguments() != 3) {
    error = "kernel formation needs func.func @step(tokens, start, cache)";
    return failure();
  }
  auto logitsType = cast<RankedTensorType>(step.getFunctionType().getResult(0));
  FormedKernels formed;
  formed.kernels = ModuleOp::create(module.getLoc());
  rt::LaunchPlan &plan = formed.plan;
  plan.vocabSize = logitsType.getDimSize(1);
  plan.maxContext = options.maxContext;
  // A rank of a parallel engine (dsv2-shard); absent: a single rank.
  auto layoutValue = [&](llvm::StringRef name) -> int32_t {
    auto attr = module->getAttrOfType<IntegerAttr>(name);
    return attr ? static_cast<int32_t>(attr.getInt()) : -1;
  };
  if (layoutValue("dsv2.rank") >= 0) {
    plan.rank = layoutValue("dsv2.rank");
    plan.tensorParallel = layoutValue("dsv2.tensor_parallel");
    plan.expertParallel = layoutValue("dsv2.expert_parallel");
  }

  formation::Planner planner(*formed.kernels, plan, options);
  plan.tokensBuffer = static_cast<int32_t>(plan.buffers.size());
  plan.buffers.push_back({"tokens", rt::BufferRole::Tokens, rt::ElementType::I32,
                          StepExpr::tokens(), "", {}, {}});
  plan.logitsBuffer = static_cast<int32_t>(plan.buffers.size());
  plan.buffers.push_back({"logits", rt::BufferRole::Logits, rt::ElementType::F32,
                          StepExpr::tokens(plan.vocabSize), "", {}, {}});
  plan.lastRowLogitsBuffer = static_cast<int32_t>(plan.buffers.size());
  plan.buffers.push_back({"last_row_logits", rt::BufferRole::Scratch,
                          rt::ElementType::F32, StepExpr::of(plan.vocabSize),
                          "", {}, {}});
  if (failed(planner.formProgram(step, plan.prefill, /*decode=*/false)) ||
      failed(planner.formProgram(step, plan.decode, /*decode=*/true)) ||
      failed(planner.formProgram(step, plan.prefillLastRow, /*decode=*/false,
                                 /*lastRowLogits=*/true))) {
    error = planner.error;
    return failure();
  }
  // One token of each sequence of a batch in one step (decodeBatch).
  if (failed(planner.formProgram(step, plan.decodeBatch, /*decode=*/true,
                                 /*lastRowLogits=*/false, /*batched=*/true))) {
    error = planner.error;
    return failure();
  }
  shareScratchBuffers(plan);
  return formed;
}

} // namespace mlir::dsv2
