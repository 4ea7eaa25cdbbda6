//===- TestPrintWeightSummary.cpp - weight accounting for tests -----------===//
//
// Prints what weights a module reads so FileCheck tests can pin parameter
// accounting (the report command counts the same way).
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/Dsv2Ops.h"
#include "passes/Passes.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::dsv2 {
#define GEN_PASS_DEF_DSV2TESTPRINTWEIGHTSUMMARYPASS
#include "passes/Passes.h.inc"
} // namespace mlir::dsv2

namespace mlir::dsv2 {
namespace {

struct Dsv2TestPrintWeightSummaryPass
    : impl::Dsv2TestPrintWeightSummaryPassBase<Dsv2TestPrintWeightSummaryPass> {
  using Base::Base;

  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      // Distinct names only: the same tensor may be referenced twice.
      llvm::MapVector<StringRef, RankedTensorType> weights;
      func.walk([&](WeightOp op) {
        weights.insert({op.getName(),
                        cast<RankedTensorType>(op.getResult().getType())});
      });
      int64_t parameters = 0, bytes = 0;
      llvm::outs() << "func @" << func.getSymName() << "\n";
      for (auto &[name, type] : weights) {
        int64_t count = type.getNumElements();
        parameters += count;
        bytes += count * type.getElementTypeBitWidth() / 8;
        if (perWeight)
          llvm::outs() << "  " << name << " " << type << "\n";
      }
      llvm::outs() << "  weights: " << weights.size()
                   << ", parameters: " << parameters << ", bytes: " << bytes
                   << "\n";
    }
  }
};

} // namespace
} // namespace mlir::dsv2
