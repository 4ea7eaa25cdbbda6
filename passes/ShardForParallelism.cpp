//===- ShardForParallelism.cpp - One rank's part of a parallel step -------===//
//
// Part of dsv2c. dsv2-shard{tp= ep= rank=}: the step a rank of a tensor- and
// expert-parallel engine runs (placement as models/deepseek_v2/Sharding.h
// and docs/parallelism.md). Every split weight becomes a `dsv2.weight` with
// a `shard` (and `first_expert`), the ops get their local sizes, and the
// partial results are combined by `dsv2.all_reduce` / `dsv2.all_gather`.
// Activations stay replicated, so everything between the collectives is
// the unsharded computation.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/Dsv2Ops.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"

#include <optional>

namespace mlir::dsv2 {
#define GEN_PASS_DEF_DSV2SHARDPASS
#include "passes/Passes.h.inc"
} // namespace mlir::dsv2

namespace mlir::dsv2 {
namespace {

constexpr llvm::StringLiteral kTensorParallelAttr = "dsv2.tensor_parallel";
constexpr llvm::StringLiteral kExpertParallelAttr = "dsv2.expert_parallel";
constexpr llvm::StringLiteral kRankAttr = "dsv2.rank";

struct Layout {
  int64_t tp = 1, ep = 1, rank = 0;
  int64_t world() const { return tp * ep; }
  int64_t tpRank() const { return rank % tp; }
  int64_t epRank() const { return rank / tp; }
};

/// Routed experts [first, first + count) of a stacked weight.
struct ExpertRange {
  int64_t first = 0, count = 0;
};

/// Rewrites one step function for one rank.
class Sharder {
public:
  explicit Sharder(Layout layout) : layout(layout) {}

  LogicalResult shard(func::FuncOp step) {
    bool hasMoe = false;
    WalkResult walked = step.walk([&](Operation *op) {
      LogicalResult result =
          llvm::TypeSwitch<Operation *, LogicalResult>(op)
              .Case<MlaAttentionOp>([&](auto op) { return shardAttention(op); })
              .Case<MlpOp>([&](auto op) { return shardMlp(op); })
              .Case<MoeFusedOp>([&](auto op) {
                hasMoe = true;
                return shardMoe(op);
              })
              .Case<LmHeadOp>([&](auto op) { return shardLmHead(op); })
              .Case<LinearOp, MoeGateOp, MoeExpertsOp>([&](Operation *op) {
                return op->emitOpError()
                       << "cannot be sharded; run dsv2-optimize first (it "
                          "fuses the MoE and keeps no bare linear layers)";
              })
              .Case<AllReduceOp, AllGatherOp>([&](Operation *op) {
                return op->emitOpError() << "in a module that is sharded "
                                            "already";
              })
              .Default([](Operation *) { return success(); });
      return failed(result) ? WalkResult::interrupt() : WalkResult::advance();
    });
    if (walked.wasInterrupted())
      return failure();
    if (layout.ep > 1 && !hasMoe)
      return step.emitError() << "ep " << layout.ep
                              << " needs routed experts; this step has no "
                                 "dsv2.moe_fused";
    eraseDeadWeights(step);
    return success();
  }

private:
  /// Fails naming the size and what should divide it.
  LogicalResult divides(Operation *op, StringRef what, int64_t size,
                        StringRef by, int64_t parts) {
    if (size % parts == 0)
      return success();
    return op->emitOpError() << what << " (" << size << ") is not divisible by "
                             << by << " (" << parts << ")";
  }

  /// A `dsv2.weight` for slice `part` of `parts` of `weight` along `dim`
  /// (and the experts of `experts`), created beside the original.
  FailureOr<Value> slice(Operation *user, StringRef role, Value weight,
                         int64_t dim, int64_t part, int64_t parts,
                         std::optional<ExpertRange> experts = std::nullopt) {
    if (parts == 1 && !experts)
      return weight;
    auto original = weight.getDefiningOp<WeightOp>();
    if (!original)
      return user->emitOpError()
             << role << " is not a dsv2.weight, so it cannot be sliced";
    if (original.getShard() || original.getFirstExpert())
      return user->emitOpError() << role << " is sharded already";
    auto type = cast<RankedTensorType>(weight.getType());
    SmallVector<int64_t> shape(type.getShape());
    if (failed(divides(user, (role + " dimension " + Twine(dim)).str(),
                       shape[dim], "its parts", parts)))
      return failure();
    shape[dim] /= parts;
    if (experts)
      shape[0] = experts->count;

    OpBuilder builder(original);
    builder.setInsertionPointAfter(original);
    auto sliced = WeightOp::create(
        builder, original.getLoc(),
        RankedTensorType::get(shape, type.getElementType()),
        original.getNameAttr(),
        parts > 1 ? builder.getDenseI64ArrayAttr({dim, part, parts})
                  : DenseI64ArrayAttr(),
        experts && experts->first != 0
            ? builder.getI64IntegerAttr(experts->first)
            : IntegerAttr());
    return sliced.getResult();
  }

  /// Replaces `operand` by its slice.
  LogicalResult sliceOperand(Operation *user, StringRef role,
                             OpOperand &operand, int64_t dim, int64_t part,
                             int64_t parts,
                             std::optional<ExpertRange> experts = std::nullopt) {
    FailureOr<Value> sliced =
        slice(user, role, operand.get(), dim, part, parts, experts);
    if (failed(sliced))
      return failure();
    operand.set(*sliced);
    return success();
  }

  /// Sums `partial` over `group` for all its users.
  void allReduce(Value partial, CollectiveGroup group) {
    OpBuilder builder(partial.getContext());
    builder.setInsertionPointAfterValue(partial);
    auto reduce =
        AllReduceOp::create(builder, partial.getLoc(), partial, group);
    partial.replaceAllUsesExcept(reduce.getResult(), reduce);
  }

  LogicalResult shardAttention(MlaAttentionOp op) {
    if (layout.tp == 1)
      return success();
    if (!isa<LatentKvCacheType>(op.getCache().getType()))
      return op.emitOpError() << "keeps a per-head KV cache; run "
                                 "dsv2-kv-latent-compression before dsv2-shard";
    int64_t heads = op.getHeads();
    if (failed(divides(op, "heads", heads, "tp", layout.tp)))
      return failure();
    const int64_t part = layout.tpRank(), parts = layout.tp;
    // Whole heads: each head's rows are contiguous in q and kv_b_proj, and
    // its v_head_dim columns in o_proj.
    if (op.getQBProj() &&
        failed(sliceOperand(op, "q_b_proj", op.getQBProjMutable()[0], 0, part,
                            parts)))
      return failure();
    if (op.getQProj() &&
        failed(sliceOperand(op, "q_proj", op.getQProjMutable()[0], 0, part,
                            parts)))
      return failure();
    if (failed(sliceOperand(op, "kv_b_proj", op.getKvBProjMutable(), 0,
                            part, parts)) ||
        failed(sliceOperand(op, "o_proj", op.getOProjMutable(), 1, part,
                            parts)))
      return failure();
    int64_t local = heads / parts;
    op.setHeadsAttr(OpBuilder(op).getI64IntegerAttr(local));
    if (op.getWUk()) {
      // Re-derive W_UK / W_UV from the local kv_b_proj.
      OpBuilder builder(op);
      auto uk = cast<RankedTensorType>(op.getWUk().getType());
      auto uv = cast<RankedTensorType>(op.getWUv().getType());
      auto split = SplitKvBOp::create(
          builder, op.getLoc(),
          RankedTensorType::get({local, uk.getDimSize(1), uk.getDimSize(2)},
                                uk.getElementType()),
          RankedTensorType::get({local, uv.getDimSize(1), uv.getDimSize(2)},
                                uv.getElementType()),
          op.getKvBProj(), builder.getI64IntegerAttr(local));
      op.getWUkMutable()[0].set(split.getWUk());
      op.getWUvMutable()[0].set(split.getWUv());
    }
    allReduce(op.getResult(), CollectiveGroup::tensor);
    return success();
  }

  LogicalResult shardMlp(MlpOp op) {
    if (layout.tp == 1)
      return success();
    int64_t inter = cast<RankedTensorType>(op.getGateProj().getType())
                        .getDimSize(0);
    const int64_t part = layout.tpRank(), parts = layout.tp;
    if (failed(divides(op, "intermediate_size", inter, "tp", parts)) ||
        failed(sliceOperand(op, "gate_proj", op.getGateProjMutable(), 0, part,
                            parts)) ||
        failed(sliceOperand(op, "up_proj", op.getUpProjMutable(), 0, part,
                            parts)) ||
        failed(sliceOperand(op, "down_proj", op.getDownProjMutable(), 1, part,
                            parts)))
      return failure();
    allReduce(op.getResult(), CollectiveGroup::tensor);
    return success();
  }

  LogicalResult shardMoe(MoeFusedOp op) {
    if (layout.world() == 1)
      return success();
    auto gate = cast<RankedTensorType>(op.getGateProj().getType());
    int64_t experts = gate.getDimSize(0), inter = gate.getDimSize(1);
    if (failed(divides(op, "n_routed_experts", experts, "ep", layout.ep)) ||
        failed(divides(op, "moe_intermediate_size", inter, "tp", layout.tp)))
      return failure();
    // Expert groups of the router align with the ranks: group-limited
    // routing then bounds the ranks a token reaches (device-limited routing).
    if (op.getMethod() == TopkMethod::group_limited_greedy &&
        failed(divides(op, "n_group", op.getNGroup(), "ep", layout.ep)))
      return failure();
    ExpertRange range{layout.epRank() * (experts / layout.ep),
                      experts / layout.ep};
    const int64_t part = layout.tpRank(), parts = layout.tp;
    if (failed(sliceOperand(op, "routed gate_proj", op.getGateProjMutable(),
                            1, part, parts, range)) ||
        failed(sliceOperand(op, "routed up_proj", op.getUpProjMutable(), 1,
                            part, parts, range)) ||
        failed(sliceOperand(op, "routed down_proj", op.getDownProjMutable(),
                            2, part, parts, range)))
      return failure();
    if (op.getSharedGateProj()) {
      // Shared experts over all ranks: their partial sums join the routed
      // ones in the single all-reduce over the world.
      int64_t sharedInter =
          cast<RankedTensorType>(op.getSharedGateProj().getType())
              .getDimSize(0);
      const int64_t rank = layout.rank, world = layout.world();
      if (failed(divides(op, "shared experts' intermediate size", sharedInter,
                         "tp x ep", world)) ||
          failed(sliceOperand(op, "shared gate_proj",
                              op.getSharedGateProjMutable()[0], 0, rank,
                              world)) ||
          failed(sliceOperand(op, "shared up_proj",
                              op.getSharedUpProjMutable()[0], 0, rank, world)) ||
          failed(sliceOperand(op, "shared down_proj",
                              op.getSharedDownProjMutable()[0], 1, rank,
                              world)))
        return failure();
    }
    if (layout.ep > 1)
      op.setFirstExpertAttr(OpBuilder(op).getI64IntegerAttr(range.first));
    allReduce(op.getResult(), CollectiveGroup::world);
    return success();
  }

  LogicalResult shardLmHead(LmHeadOp op) {
    if (layout.tp == 1)
      return success();
    auto logits = cast<RankedTensorType>(op.getLogits().getType());
    int64_t vocab = logits.getDimSize(1);
    if (failed(divides(op, "vocab_size", vocab, "tp", layout.tp)) ||
        failed(sliceOperand(op, "lm_head", op.getWeightMutable(), 0,
                            layout.tpRank(), layout.tp)))
      return failure();
    op.getLogits().setType(RankedTensorType::get(
        {logits.getDimSize(0), vocab / layout.tp}, logits.getElementType()));
    OpBuilder builder(op);
    builder.setInsertionPointAfter(op);
    auto gather = AllGatherOp::create(builder, op.getLoc(), logits,
                                      op.getLogits(), CollectiveGroup::tensor,
                                      static_cast<uint64_t>(layout.tp));
    op.getLogits().replaceAllUsesExcept(gather.getResult(), gather);
    return success();
  }

  /// The whole weights and derived weights the slices replaced.
  static void eraseDeadWeights(func::FuncOp step) {
    // Until none is left: a dead split_kv_b keeps its kv_b_proj alive.
    bool erased = true;
    while (erased) {
      SmallVector<Operation *> dead;
      step.walk([&](Operation *op) {
        if (isa<WeightOp, SplitKvBOp>(op) && op->use_empty())
          dead.push_back(op);
      });
      for (Operation *op : dead)
        op->erase();
      erased = !dead.empty();
    }
  }

  Layout layout;
};

struct ShardPass : impl::Dsv2ShardPassBase<ShardPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Plain values: pass options do not stream into diagnostics.
    const int64_t tp = this->tp, ep = this->ep, rank = this->rank;
    Layout layout{tp, ep, rank};
    if (tp < 1 || ep < 1) {
      module.emitError() << "dsv2-shard: tp and ep must be at least 1 (got tp "
                         << tp << ", ep " << ep << ")";
      return signalPassFailure();
    }
    if (rank < 0 || rank >= layout.world()) {
      module.emitError() << "dsv2-shard: rank " << rank << " is outside [0, "
                         << layout.world() << ") for tp " << tp << " x ep "
                         << ep;
      return signalPassFailure();
    }
    if (module->hasAttr(kRankAttr)) {
      module.emitError() << "dsv2-shard: the module is sharded already (it "
                            "has "
                         << kRankAttr << ")";
      return signalPassFailure();
    }
    if (layout.world() == 1)
      return;
    for (auto step : module.getOps<func::FuncOp>())
      if (failed(Sharder(layout).shard(step)))
        return signalPassFailure();
    Builder builder(module.getContext());
    module->setAttr(kTensorParallelAttr, builder.getI64IntegerAttr(tp));
    module->setAttr(kExpertParallelAttr, builder.getI64IntegerAttr(ep));
    module->setAttr(kRankAttr, builder.getI64IntegerAttr(rank));
  }
};

} // namespace
} // namespace mlir::dsv2
