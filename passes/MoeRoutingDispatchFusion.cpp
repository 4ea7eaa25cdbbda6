//===- MoeRoutingDispatchFusion.cpp - moe_gate + moe_experts fusion -------===//
//
// Part of dsv2c. dsv2-moe-routing-dispatch-fusion: a router whose top-k
// weights and indices feed exactly one expert combine becomes one
// `dsv2.moe_fused` (route, padded dispatch, grouped GEMMs, combine), the form
// kernel formation consumes.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/Dsv2Ops.h"
#include "passes/Passes.h"
#include "passes/Patterns.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cassert>

#define DEBUG_TYPE "dsv2-moe-routing-dispatch-fusion"

namespace mlir::dsv2 {
#define GEN_PASS_DEF_DSV2MOEROUTINGDISPATCHFUSIONPASS
#include "passes/Passes.h.inc"
} // namespace mlir::dsv2

namespace mlir::dsv2 {
namespace {

/// moe_gate -> moe_experts  ==>  moe_fused.
struct FuseMoeGateIntoExperts : OpRewritePattern<MoeExpertsOp> {
  FuseMoeGateIntoExperts(MLIRContext *context, int64_t blockSize)
      : OpRewritePattern<MoeExpertsOp>(context), blockSize(blockSize) {}

  LogicalResult matchAndRewrite(MoeExpertsOp experts,
                                PatternRewriter &rewriter) const override {
    auto gate = experts.getWeights().getDefiningOp<MoeGateOp>();
    if (!gate)
      return rewriter.notifyMatchFailure(
          experts, "routing weights do not come from a dsv2.moe_gate");
    if (experts.getWeights() != gate.getWeights() ||
        experts.getIndices() != gate.getIndices())
      return rewriter.notifyMatchFailure(
          experts, "routing weights and indices come from different gates");
    if (!gate.getWeights().hasOneUse() || !gate.getIndices().hasOneUse())
      return rewriter.notifyMatchFailure(
          experts, "the gate's results have other users; fusing would "
                   "route twice");
    if (gate.getInput() != experts.getInput())
      return rewriter.notifyMatchFailure(
          experts, "the gate routes a different input than the experts run");
    auto gateShape = gate.getGateWeight().getType().getShape();
    auto expertShape = experts.getGateProj().getType().getShape();
    if (gateShape.empty() || expertShape.empty() ||
        gateShape[0] != expertShape[0])
      return rewriter.notifyMatchFailure(
          experts, "the gate scores a different number of experts than are "
                   "routed");

    Location loc = rewriter.getFusedLoc({gate.getLoc(), experts.getLoc()});
    auto fused = MoeFusedOp::create(
        rewriter, loc, experts.getResult().getType(), gate.getMethodAttr(),
        experts.getInput(), gate.getGateWeight(), experts.getGateProj(),
        experts.getUpProj(), experts.getDownProj(), experts.getSharedGateProj(),
        experts.getSharedUpProj(), experts.getSharedDownProj(),
        gate.getTopKAttr(), gate.getNGroupAttr(), gate.getTopkGroupAttr(),
        gate.getRoutedScalingFactorAttr(), gate.getNormTopkProbAttr(),
        rewriter.getI64IntegerAttr(blockSize), /*first_expert=*/IntegerAttr());
    rewriter.replaceOp(experts, fused.getResult());
    rewriter.eraseOp(gate);
    return success();
  }

  int64_t blockSize;
};

struct Dsv2MoeRoutingDispatchFusionPass
    : impl::Dsv2MoeRoutingDispatchFusionPassBase<
          Dsv2MoeRoutingDispatchFusionPass> {
  using Base::Base;

  void runOnOperation() override {
    if (blockSize < 1) {
      getOperation()->emitError()
          << DEBUG_TYPE << ": block-size must be at least 1, got "
          << static_cast<int64_t>(blockSize);
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    populateMoeRoutingDispatchFusionPatterns(patterns, blockSize);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void populateMoeRoutingDispatchFusionPatterns(RewritePatternSet &patterns,
                                              int64_t blockSize) {
  assert(blockSize >= 1 && "dispatch block size must be positive");
  patterns.add<FuseMoeGateIntoExperts>(patterns.getContext(), blockSize);
}

} // namespace mlir::dsv2
