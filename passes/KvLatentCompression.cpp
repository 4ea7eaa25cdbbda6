//===- KvLatentCompression.cpp - per-head KV cache -> latent cache --------===//
//
// Part of dsv2c. dsv2-kv-latent-compression: a step function that threads
// the reference's per-head `!dsv2.kv_cache` through its `dsv2.mla_attention`
// ops is retyped to carry the paper's `!dsv2.latent_kv_cache` (the
// normalized latent c and the roped k_pe: kv_lora_rank + qk_rope_head_dim
// values per token and layer). The attention ops keep their weights; only
// the cache type along the chain changes, which selects the latent form of
// the op.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/Dsv2Ops.h"
#include "passes/Passes.h"
#include "passes/Patterns.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"

#include <optional>

#define DEBUG_TYPE "dsv2-kv-latent-compression"

namespace mlir::dsv2 {
#define GEN_PASS_DEF_DSV2KVLATENTCOMPRESSIONPASS
#include "passes/Passes.h.inc"
} // namespace mlir::dsv2

namespace mlir::dsv2 {
namespace {

/// Where a failed precondition goes: an error diagnostic (the pass) or a
/// match-failure note (the pattern). Always returns failure().
using FailureReporter =
    llvm::function_ref<LogicalResult(Operation *, const llvm::Twine &)>;

/// The latent shape every per-head cache of one function becomes.
struct LatentCacheShape {
  int64_t latentDim; ///< kv_lora_rank
  int64_t ropeDim;   ///< qk_rope_head_dim
};

/// True for the reference's per-head `!dsv2.kv_cache`.
bool isPerHeadCache(Type type) { return isa<KvCacheType>(type); }

/// True when the signature or any value in the body of `func` is a per-head
/// cache.
bool holdsPerHeadCache(func::FuncOp func) {
  if (llvm::any_of(func.getArgumentTypes(), isPerHeadCache) ||
      llvm::any_of(func.getResultTypes(), isPerHeadCache))
    return true;
  WalkResult found = func.walk([](Operation *op) {
    if (llvm::any_of(op->getResultTypes(), isPerHeadCache))
      return WalkResult::interrupt();
    for (Region &region : op->getRegions())
      for (Block &block : region)
        if (llvm::any_of(block.getArgumentTypes(), isPerHeadCache))
          return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return found.wasInterrupted();
}

/// Checks that every per-head cache value of `func` is produced by the
/// function's arguments or a `dsv2.mla_attention`, consumed only as the cache
/// of a `dsv2.mla_attention` or by `func.return`, and that all those
/// attentions agree on kv_lora_rank and qk_rope_head_dim. Returns the latent
/// shape, std::nullopt when the function holds no per-head cache, or failure
/// (after `report`).
FailureOr<std::optional<LatentCacheShape>>
analyzeCacheChain(func::FuncOp func, FailureReporter report) {
  if (!holdsPerHeadCache(func))
    return std::optional<LatentCacheShape>();
  if (func.isExternal())
    return report(func, "function declaration '" + func.getSymName() +
                            "' has a per-head !dsv2.kv_cache in its "
                            "signature but no body whose dsv2.mla_attention "
                            "ops give the latent shape");

  auto checkUses = [&](Value cache) -> LogicalResult {
    for (OpOperand &use : cache.getUses()) {
      Operation *user = use.getOwner();
      if (isa<func::ReturnOp>(user))
        continue;
      if (auto attention = dyn_cast<MlaAttentionOp>(user))
        if (&use == &attention.getCacheMutable())
          continue;
      return report(user, "'" + user->getName().getStringRef() +
                              "' uses the per-head KV cache; only caches "
                              "that flow between dsv2.mla_attention ops and "
                              "func.return can be compressed");
    }
    return success();
  };

  std::optional<LatentCacheShape> shape;
  auto checkAttention = [&](MlaAttentionOp attention) -> LogicalResult {
    LatentCacheShape mine{static_cast<int64_t>(attention.getKvLoraRank()),
                          static_cast<int64_t>(attention.getQkRopeHeadDim())};
    if (!shape) {
      shape = mine;
      return success();
    }
    if (mine.latentDim == shape->latentDim && mine.ropeDim == shape->ropeDim)
      return success();
    return report(
        attention,
        "kv_lora_rank " + llvm::Twine(mine.latentDim) +
            " and qk_rope_head_dim " + llvm::Twine(mine.ropeDim) +
            " differ from kv_lora_rank " + llvm::Twine(shape->latentDim) +
            " and qk_rope_head_dim " + llvm::Twine(shape->ropeDim) +
            " of another dsv2.mla_attention on the KV cache of '" +
            func.getSymName() + "'; one latent cache type cannot hold both");
  };

  // The function's own block arguments (the entry block's are its
  // parameters) become latent; their uses must allow it.
  for (Block &block : func.getBody())
    for (BlockArgument argument : block.getArguments())
      if (isPerHeadCache(argument.getType()) && failed(checkUses(argument)))
        return failure();

  WalkResult walk = func.walk([&](Operation *op) {
    if (op == func.getOperation())
      return WalkResult::advance();
    for (Region &region : op->getRegions())
      for (Block &block : region)
        if (llvm::any_of(block.getArgumentTypes(), isPerHeadCache)) {
          (void)report(op, "'" + op->getName().getStringRef() +
                               "' has a region argument of per-head KV "
                               "cache type; only func.func blocks are "
                               "rewritten");
          return WalkResult::interrupt();
        }
    for (OpResult result : op->getResults()) {
      if (!isPerHeadCache(result.getType()))
        continue;
      auto attention = dyn_cast<MlaAttentionOp>(op);
      if (!attention || result != attention.getNewCache()) {
        (void)report(op, "'" + op->getName().getStringRef() +
                             "' produces a per-head KV cache; only "
                             "dsv2.mla_attention may produce one");
        return WalkResult::interrupt();
      }
      // AllTypesMatch<cache, new_cache>: this is every attention on a
      // per-head cache.
      if (failed(checkAttention(attention)) || failed(checkUses(result)))
        return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  if (!shape)
    return report(func, "function '" + func.getSymName() +
                            "' carries a per-head !dsv2.kv_cache but no "
                            "dsv2.mla_attention uses it, so kv_lora_rank and "
                            "qk_rope_head_dim are unknown");
  return shape;
}

/// The latent cache that replaces `type` (a per-head cache), or `type`.
Type latentFor(Type type, const LatentCacheShape &shape) {
  auto perHead = dyn_cast<KvCacheType>(type);
  if (!perHead)
    return type;
  return LatentKvCacheType::get(type.getContext(), perHead.getLayers(),
                                shape.latentDim, shape.ropeDim,
                                perHead.getElementType());
}

/// func.func carrying !dsv2.kv_cache  ==>  the same with
/// !dsv2.latent_kv_cache (signature, block arguments, attention results).
struct CompressKvCacheOfFunction : OpRewritePattern<func::FuncOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(func::FuncOp func,
                                PatternRewriter &rewriter) const override {
    FailureOr<std::optional<LatentCacheShape>> analysis =
        analyzeCacheChain(func, [&](Operation *op, const llvm::Twine &message) {
          return rewriter.notifyMatchFailure(op, message);
        });
    if (failed(analysis))
      return failure();
    if (!*analysis)
      return rewriter.notifyMatchFailure(func, "holds no per-head KV cache");
    const LatentCacheShape &shape = **analysis;
    auto convert = [&](Type type) { return latentFor(type, shape); };

    rewriter.modifyOpInPlace(func, [&] {
      FunctionType type = func.getFunctionType();
      func.setFunctionType(FunctionType::get(
          func.getContext(), llvm::map_to_vector(type.getInputs(), convert),
          llvm::map_to_vector(type.getResults(), convert)));
      for (Block &block : func.getBody())
        for (BlockArgument argument : block.getArguments())
          argument.setType(convert(argument.getType()));
    });
    func.walk([&](MlaAttentionOp attention) {
      Value newCache = attention.getNewCache();
      if (isPerHeadCache(newCache.getType()))
        rewriter.modifyOpInPlace(
            attention, [&] { newCache.setType(convert(newCache.getType())); });
    });
    return success();
  }
};

struct Dsv2KvLatentCompressionPass
    : impl::Dsv2KvLatentCompressionPassBase<Dsv2KvLatentCompressionPass> {
  using Base::Base;

  void runOnOperation() override {
    if (failed(checkKvLatentCompressionPreconditions(getOperation())))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateKvLatentCompressionPatterns(patterns);
    // Retype only; leave the CFG and dead ops to the cleanup passes.
    GreedyRewriteConfig config;
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace

LogicalResult checkKvLatentCompressionPreconditions(Operation *root) {
  bool ok = true;
  root->walk([&](func::FuncOp func) {
    ok &= succeeded(
        analyzeCacheChain(func, [](Operation *op, const llvm::Twine &message) {
          return op->emitError() << DEBUG_TYPE << ": " << message;
        }));
  });
  return success(ok);
}

void populateKvLatentCompressionPatterns(RewritePatternSet &patterns) {
  patterns.add<CompressKvCacheOfFunction>(patterns.getContext());
}

} // namespace mlir::dsv2
