//===- MlaWeightAbsorption.cpp - MLA in the weight-absorbed form ----------===//
//
// Part of dsv2c. dsv2-mla-weight-absorption: every `dsv2.mla_attention` over
// a latent KV cache gets the requested `absorb` policy and the derived
// weights W_UK [heads, nope, kv_lora_rank] and W_UV [heads, v, kv_lora_rank]
// that the absorbed form (MQA over [c | k_pe]) multiplies with. They come
// from one `dsv2.split_kv_b` per kv_b_proj value, placed right after it, so
// engines derive them once when packing weights. Policy `never` removes them.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/Dsv2Ops.h"
#include "passes/Passes.h"
#include "passes/Patterns.h"

#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/StringRef.h"

#define DEBUG_TYPE "dsv2-mla-weight-absorption"

namespace mlir::dsv2 {
#define GEN_PASS_DEF_DSV2MLAWEIGHTABSORPTIONPASS
#include "passes/Passes.h.inc"
} // namespace mlir::dsv2

namespace mlir::dsv2 {
namespace {

/// The types `dsv2.split_kv_b` must produce for `attention`: W_UK
/// [heads, nope, C] and W_UV [heads, v, C] in kv_b_proj's element type.
std::pair<RankedTensorType, RankedTensorType>
derivedWeightTypes(MlaAttentionOp attention) {
  auto heads = static_cast<int64_t>(attention.getHeads());
  auto latent = static_cast<int64_t>(attention.getKvLoraRank());
  Type element = attention.getKvBProj().getType().getElementType();
  return {
      RankedTensorType::get(
          {heads, static_cast<int64_t>(attention.getQkNopeHeadDim()), latent},
          element),
      RankedTensorType::get(
          {heads, static_cast<int64_t>(attention.getVHeadDim()), latent},
          element)};
}

/// True when `split` derives exactly the weights `attention` needs from its
/// own kv_b_proj.
bool derivesWeightsOf(SplitKvBOp split, MlaAttentionOp attention) {
  auto [ukType, uvType] = derivedWeightTypes(attention);
  return split.getKvBProj() == attention.getKvBProj() &&
         static_cast<int64_t>(split.getHeads()) ==
             static_cast<int64_t>(attention.getHeads()) &&
         split.getWUk().getType() == ukType &&
         split.getWUv().getType() == uvType;
}

/// True when `attention` already is in the form `policy` asks for.
bool hasPolicyForm(MlaAttentionOp attention, Absorption policy) {
  if (attention.getAbsorb() != policy)
    return false;
  if (policy == Absorption::never)
    return !attention.getWUk() && !attention.getWUv();
  if (!attention.getWUk() || !attention.getWUv())
    return false;
  auto split = attention.getWUk().getDefiningOp<SplitKvBOp>();
  return split && attention.getWUk() == split.getWUk() &&
         attention.getWUv() == split.getWUv() &&
         derivesWeightsOf(split, attention);
}

/// mla_attention (latent cache)  ==>  the same with `absorb` = policy and
/// w_uk/w_uv from the dsv2.split_kv_b of its kv_b_proj (or without them for
/// `never`).
struct ApplyAbsorptionPolicy : OpRewritePattern<MlaAttentionOp> {
  ApplyAbsorptionPolicy(MLIRContext *context, Absorption policy)
      : OpRewritePattern<MlaAttentionOp>(context), policy(policy) {}

  LogicalResult matchAndRewrite(MlaAttentionOp attention,
                                PatternRewriter &rewriter) const override {
    if (isa<KvCacheType>(attention.getCache().getType()))
      return rewriter.notifyMatchFailure(
          attention, "per-head KV cache: the absorbed form needs the latent "
                     "cache (run dsv2-kv-latent-compression first)");
    if (hasPolicyForm(attention, policy))
      return rewriter.notifyMatchFailure(
          attention, "already has the requested absorb policy and weights");

    Value wUk, wUv;
    if (policy != Absorption::never) {
      SplitKvBOp split = findOrCreateSplit(attention, rewriter);
      wUk = split.getWUk();
      wUv = split.getWUv();
    }

    rewriter.setInsertionPoint(attention);
    auto rebuilt = MlaAttentionOp::create(
        rewriter, attention.getLoc(), attention.getResult().getType(),
        attention.getNewCache().getType(), attention.getInput(),
        attention.getStart(), attention.getCache(), attention.getQAProj(),
        attention.getQANorm(), attention.getQBProj(), attention.getQProj(),
        attention.getKvAProj(), attention.getKvANorm(), attention.getKvBProj(),
        attention.getOProj(), wUk, wUv, attention.getLayerAttr(),
        attention.getHeadsAttr(), attention.getKvLoraRankAttr(),
        attention.getQkNopeHeadDimAttr(), attention.getQkRopeHeadDimAttr(),
        attention.getVHeadDimAttr(), attention.getSoftmaxScaleAttr(),
        attention.getRmsNormEpsAttr(), attention.getRopeAttr(),
        AbsorptionAttr::get(rewriter.getContext(), policy));
    rebuilt->setDiscardableAttrs(attention->getDiscardableAttrDictionary());
    rewriter.replaceOp(attention, rebuilt->getResults());
    return success();
  }

  /// The dsv2.split_kv_b of `attention`'s kv_b_proj: an existing one that
  /// dominates it, else a new one right after kv_b_proj's definition (so it
  /// dominates every other attention reading the same weight).
  SplitKvBOp findOrCreateSplit(MlaAttentionOp attention,
                               PatternRewriter &rewriter) const {
    Value kvB = attention.getKvBProj();
    DominanceInfo dominance;
    for (Operation *user : kvB.getUsers())
      if (auto split = dyn_cast<SplitKvBOp>(user))
        if (derivesWeightsOf(split, attention) &&
            dominance.properlyDominates(split.getOperation(), attention))
          return split;
    auto [ukType, uvType] = derivedWeightTypes(attention);
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointAfterValue(kvB);
    return SplitKvBOp::create(rewriter, kvB.getLoc(), ukType, uvType, kvB,
                              attention.getHeadsAttr());
  }

  Absorption policy;
};

struct Dsv2MlaWeightAbsorptionPass
    : impl::Dsv2MlaWeightAbsorptionPassBase<Dsv2MlaWeightAbsorptionPass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *context) override {
    std::optional<Absorption> parsed =
        symbolizeAbsorption(llvm::StringRef(policy.getValue()));
    if (!parsed)
      return emitError(UnknownLoc::get(context))
             << DEBUG_TYPE << ": policy '" << policy.getValue()
             << "' is not one of decode, always, never, auto";
    resolvedPolicy = *parsed;
    return success();
  }

  void runOnOperation() override {
    if (failed(checkMlaWeightAbsorptionPreconditions(getOperation(),
                                                     resolvedPolicy)))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateMlaWeightAbsorptionPatterns(patterns, resolvedPolicy);
    GreedyRewriteConfig config;
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }

  Absorption resolvedPolicy = Absorption::decode;
};

} // namespace

LogicalResult checkMlaWeightAbsorptionPreconditions(Operation *root,
                                                    Absorption policy) {
  if (policy == Absorption::never)
    return success();
  bool ok = true;
  root->walk([&](MlaAttentionOp attention) {
    if (!isa<KvCacheType>(attention.getCache().getType()))
      return;
    attention.emitError()
        << DEBUG_TYPE
        << " needs the latent KV cache; run dsv2-kv-latent-compression first";
    ok = false;
  });
  return success(ok);
}

void populateMlaWeightAbsorptionPatterns(RewritePatternSet &patterns,
                                         Absorption policy) {
  patterns.add<ApplyAbsorptionPolicy>(patterns.getContext(), policy);
}

} // namespace mlir::dsv2
