//===- TestPrintKernelPlan.cpp - Kernel formation for FileCheck -----------===//
//
// Prints the launch plan of the step so tests can pin kernel formation: which
// kernels, which tile sizes (in the instance names), which grids.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/kernel_formation/KernelFormation.h"
#include "runtime/engine/SequenceSegments.h"

#include "llvm/Support/raw_ostream.h"

#include <map>

namespace mlir::dsv2 {
#define GEN_PASS_DEF_DSV2TESTPRINTKERNELPLANPASS
#include "passes/Passes.h.inc"

namespace {

namespace rt = ::dsv2::runtime;

std::string formatExpr(const rt::StepExpr &e) {
  std::string text;
  auto term = [&](int64_t coefficient, const char *symbol) {
    if (coefficient == 0)
      return;
    if (!text.empty())
      text += " + ";
    if (coefficient != 1 || !*symbol)
      text += std::to_string(coefficient);
    if (coefficient != 1 && *symbol)
      text += "*";
    text += symbol;
  };
  term(e.perToken, "T");
  term(e.perPast, "P");
  term(e.constant, "");
  if (text.empty())
    text = "0";
  if (e.divisor != 1)
    text = "ceil((" + text + ")/" + std::to_string(e.divisor) + ")";
  return text;
}

/// Launches of the programs a batched step runs (prefill, decode_batch) that
/// it repeats for each sequence end in ", per sequence"
/// (runtime/engine/SequenceSegments.h).
void printProgram(llvm::raw_ostream &os, const char *name,
                  const rt::StepProgram &program, const rt::LaunchPlan &plan,
                  bool markPerSequence) {
  os << name << ": " << program.launches.size() << " launches\n";
  for (const rt::Launch &launch : program.launches) {
    os << "  " << launch.kernel << " grid(" << formatExpr(launch.grid[0])
       << ", " << formatExpr(launch.grid[1]) << ", "
       << formatExpr(launch.grid[2]) << ") <- " << launch.origin;
    if (markPerSequence && rt::runsPerSequence(launch, plan))
      os << ", per sequence";
    os << "\n";
  }
}

struct Dsv2TestPrintKernelPlanPass
    : impl::Dsv2TestPrintKernelPlanPassBase<Dsv2TestPrintKernelPlanPass> {
  using Base::Base;

  void runOnOperation() override {
    KernelFormationOptions options;
    options.maxContext = maxContext;
    options.gpuTiles = gpuTiles;
    std::optional<WeightQuantization> quantization =
        parseWeightQuantization(quantize);
    if (!quantization) {
      getOperation().emitError()
          << "quantize must be none, int8, int8-experts or int4-experts, not '"
          << quantize << "'";
      return signalPassFailure();
    }
    options.weightQuantization = *quantization;
    options.int16Activations = int16Activations;
    options.cpuVectorBits = cpuVectorBits;
    std::string error;
    auto formed = formKernels(getOperation(), options, error);
    if (failed(formed)) {
      getOperation().emitError() << "kernel formation: " << error;
      return signalPassFailure();
    }
    llvm::raw_ostream &os = llvm::outs();
    const rt::LaunchPlan &plan = formed->plan;
    printProgram(os, "prefill", plan.prefill, plan, /*markPerSequence=*/true);
    printProgram(os, "decode", plan.decode, plan, /*markPerSequence=*/false);
    printProgram(os, "prefill_last_row", plan.prefillLastRow, plan,
                 /*markPerSequence=*/true);
    printProgram(os, "decode_batch", plan.decodeBatch, plan,
                 /*markPerSequence=*/true);
    int64_t counts[5] = {0, 0, 0, 0, 0};
    for (const rt::BufferSpec &spec : formed->plan.buffers)
      ++counts[static_cast<int>(spec.role)];
    os << "buffers: " << counts[0] << " weights, " << counts[1]
       << " scratch, " << counts[2] << " cache\n";
    std::map<std::string, int64_t> weightTypes;
    for (const rt::BufferSpec &spec : formed->plan.buffers)
      if (spec.role == rt::BufferRole::Weight)
        ++weightTypes[rt::elementTypeName(spec.type)];
    os << "weights by type:";
    for (const auto &[type, count] : weightTypes)
      os << " " << type << " " << count;
    os << "\n";
  }
};

} // namespace
} // namespace mlir::dsv2
