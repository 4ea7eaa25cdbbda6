//===- ReferenceInterpreter.cpp - Executes dsv2 modules exactly -----------===//
//
// Walks the step function op by op and calls the fp32 reference kernels.
// Activations are fresh buffers; weights are read once and shared.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/interpreter/ReferenceInterpreter.h"

#include "dialect/dsv2/Dsv2Ops.h"
#include "dialect/dsv2/RopeParams.h"
#include "dialect/dsv2/reference/Embedding.h"
#include "dialect/dsv2/reference/Linear.h"
#include "dialect/dsv2/reference/MlaAttention.h"
#include "dialect/dsv2/reference/MlaCostModel.h"
#include "dialect/dsv2/reference/Mlp.h"
#include "dialect/dsv2/reference/MoeDispatch.h"
#include "dialect/dsv2/reference/MoeExperts.h"
#include "dialect/dsv2/reference/MoeGate.h"
#include "dialect/dsv2/reference/RmsNorm.h"
#include "dialect/dsv2/reference/Rope.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <numeric>

using namespace mlir;
using namespace mlir::dsv2;
namespace ref = ::dsv2::reference;

namespace {

/// A value while the step runs: an fp32 tensor (activation or weight), an
/// i32 tensor (token ids, expert indices), or the start index. Cache values
/// carry nothing: the cache state lives in ReferenceKvCache.
struct RuntimeValue {
  llvm::SmallVector<int64_t> shape;
  const float *floats = nullptr;
  std::shared_ptr<std::vector<float>> ownedFloats;
  std::vector<int32_t> ints;
  int64_t index = 0;

  int64_t numElements() const {
    return std::accumulate(shape.begin(), shape.end(), int64_t{1},
                           std::multiplies<int64_t>());
  }
  /// Rows when the last dimension is the feature dimension.
  int64_t rows() const { return shape.empty() ? 1 : numElements() / shape.back(); }
};

RuntimeValue makeActivation(llvm::ArrayRef<int64_t> shape) {
  RuntimeValue value;
  value.shape.assign(shape.begin(), shape.end());
  value.ownedFloats = std::make_shared<std::vector<float>>(value.numElements());
  value.floats = value.ownedFloats->data();
  return value;
}

float *mutableData(RuntimeValue &value) { return value.ownedFloats->data(); }

llvm::Error interpreterError(Operation *op, const llvm::Twine &message) {
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      llvm::Twine("reference interpreter: ") + op->getName().getStringRef() +
          ": " + message);
}

} // namespace

/// The state of one step: values by SSA value, plus access to weights/cache.
struct ReferenceInterpreter::Impl {
  ReferenceInterpreter &interp;
  ReferenceKvCache &cache;
  llvm::DenseMap<Value, RuntimeValue> values;

  const RuntimeValue &get(Value v) { return values.find(v)->second; }

  llvm::Error run(Operation *op) {
    return llvm::TypeSwitch<Operation *, llvm::Error>(op)
        .Case<WeightOp>([&](auto op) { return runWeight(op); })
        .Case<EmbeddingOp>([&](auto op) { return runEmbedding(op); })
        .Case<RmsNormOp>([&](auto op) { return runRmsNorm(op); })
        .Case<AddOp>([&](auto op) { return runAdd(op); })
        .Case<LinearOp>([&](auto op) {
          return runLinear(op, op.getInput(), op.getWeight(), op.getResult());
        })
        .Case<LmHeadOp>([&](auto op) {
          return runLinear(op, op.getInput(), op.getWeight(), op.getLogits());
        })
        .Case<RopeOp>([&](auto op) { return runRope(op); })
        .Case<MlaAttentionOp>([&](auto op) { return runMla(op); })
        .Case<SplitKvBOp>([&](auto op) { return runSplitKvB(op); })
        .Case<MlpOp>([&](auto op) { return runMlp(op); })
        .Case<MoeGateOp>([&](auto op) { return runMoeGate(op); })
        .Case<MoeExpertsOp>([&](auto op) { return runMoeExperts(op); })
        .Case<MoeFusedOp>([&](auto op) { return runMoeFused(op); })
        .Case<AllReduceOp>([&](auto op) { return runAllReduce(op); })
        .Case<AllGatherOp>([&](auto op) { return runAllGather(op); })
        .Default([&](Operation *op) {
          return interpreterError(op, "op is not supported by the reference "
                                      "interpreter");
        });
  }

  llvm::Error runWeight(WeightOp op) {
    auto type = cast<RankedTensorType>(op.getResult().getType());
    auto data = interp.loadWeight(op.getReference(), type.getShape());
    if (!data)
      return data.takeError();
    RuntimeValue value;
    value.shape.assign(type.getShape().begin(), type.getShape().end());
    value.floats = (*data)->data();
    values[op.getResult()] = std::move(value);
    return llvm::Error::success();
  }

  llvm::Error runEmbedding(EmbeddingOp op) {
    const RuntimeValue &ids = get(op.getIds());
    const RuntimeValue &table = get(op.getTable());
    int64_t tokens = ids.shape[0], vocab = table.shape[0], hidden = table.shape[1];
    RuntimeValue out = makeActivation({tokens, hidden});
    if (!ref::embedding(ids.ints.data(), tokens, table.floats, vocab, hidden,
                        mutableData(out))) {
      for (auto [position, id] : llvm::enumerate(ids.ints))
        if (id < 0 || id >= vocab)
          return interpreterError(
              op, llvm::formatv("token id {0} at position {1} is outside the "
                                "vocabulary [0, {2})",
                                id, position, vocab));
    }
    values[op.getResult()] = std::move(out);
    return llvm::Error::success();
  }

  llvm::Error runRmsNorm(RmsNormOp op) {
    const RuntimeValue &x = get(op.getInput());
    RuntimeValue out = makeActivation(x.shape);
    ref::rmsNorm(x.floats, get(op.getWeight()).floats, x.rows(), x.shape.back(),
                 op.getEpsilon().convertToDouble(), mutableData(out));
    values[op.getResult()] = std::move(out);
    return llvm::Error::success();
  }

  llvm::Error runAdd(AddOp op) {
    const RuntimeValue &a = get(op.getLhs());
    const RuntimeValue &b = get(op.getRhs());
    RuntimeValue out = makeActivation(a.shape);
    float *dst = mutableData(out);
    for (int64_t i = 0, e = a.numElements(); i < e; ++i)
      dst[i] = a.floats[i] + b.floats[i];
    values[op.getResult()] = std::move(out);
    return llvm::Error::success();
  }

  llvm::Error runLinear(Operation *op, Value input, Value weight, Value result) {
    const RuntimeValue &x = get(input);
    const RuntimeValue &w = get(weight);
    llvm::SmallVector<int64_t> shape(x.shape);
    shape.back() = w.shape[0];
    RuntimeValue out = makeActivation(shape);
    ref::linear(x.floats, w.floats, x.rows(), w.shape[1], w.shape[0],
                mutableData(out));
    values[result] = std::move(out);
    return llvm::Error::success();
  }

  llvm::Error runRope(RopeOp op) {
    const RuntimeValue &x = get(op.getInput());
    int64_t start = get(op.getStart()).index;
    RuntimeValue out = makeActivation(x.shape);
    std::copy(x.floats, x.floats + x.numElements(), mutableData(out));
    std::vector<int64_t> positions(x.shape[0]);
    std::iota(positions.begin(), positions.end(), start);
    ref::applyRopeAdjacentPairs(mutableData(out), x.shape[0], x.shape[1],
                                x.shape[2], positions.data(),
                                ropeParamsOf(op.getRope()));
    values[op.getResult()] = std::move(out);
    return llvm::Error::success();
  }

  const float *optionalWeight(Value v) { return v ? get(v).floats : nullptr; }

  llvm::Error runMla(MlaAttentionOp op) {
    const RuntimeValue &x = get(op.getInput());
    int64_t tokens = x.shape[0], start = get(op.getStart()).index;
    ref::MlaDims dims;
    dims.hidden = x.shape[1];
    dims.heads = op.getHeads();
    dims.qLoraRank = op.getQAProj() ? get(op.getQAProj()).shape[0] : 0;
    dims.kvLoraRank = op.getKvLoraRank();
    dims.nope = op.getQkNopeHeadDim();
    dims.rope = op.getQkRopeHeadDim();
    dims.vHead = op.getVHeadDim();
    dims.softmaxScale = op.getSoftmaxScale().convertToDouble();
    dims.rmsEps = op.getRmsNormEps().convertToDouble();
    dims.ropeParams = ropeParamsOf(op.getRope());
    ref::MlaWeights w;
    w.qA = optionalWeight(op.getQAProj());
    w.qANorm = optionalWeight(op.getQANorm());
    w.qB = optionalWeight(op.getQBProj());
    w.q = optionalWeight(op.getQProj());
    w.kvA = get(op.getKvAProj()).floats;
    w.kvANorm = get(op.getKvANorm()).floats;
    w.kvB = get(op.getKvBProj()).floats;
    w.o = get(op.getOProj()).floats;

    RuntimeValue out = makeActivation(x.shape);
    size_t layer = op.getLayer();
    bool absorbed = absorbThisStep(op, dims, tokens, start + tokens);
    std::vector<float> kvBFromDerived;
    if (absorbed) {
      // Run the absorbed form on the derived W_UK/W_UV, not on kv_b_proj:
      // re-interleave them into kv_b's layout so a wrong split shows up.
      kvBFromDerived = interleaveKvB(get(op.getWUk()), get(op.getWUv()));
      w.kvB = kvBFromDerived.data();
    }
    bool ok;
    if (isa<KvCacheType>(op.getCache().getType()))
      ok = ref::mlaAttentionNaive(dims, w, x.floats, tokens, start,
                                  cache.naive[layer], mutableData(out));
    else
      ok = ref::mlaAttentionLatent(
          dims, w, x.floats, tokens, start, cache.latent[layer],
          mutableData(out), absorbed,
          cast<LatentKvCacheType>(op.getCache().getType())
              .getElementType()
              .isBF16());
    if (!ok)
      return interpreterError(
          op, llvm::formatv("layer {0}: the cache does not hold the {1} "
                            "tokens before the step's start",
                            layer, start));
    values[op.getResult()] = std::move(out);
    return llvm::Error::success();
  }

  /// The absorption policy of `op` resolved for a step of `tokens` tokens
  /// over a context of `context` positions.
  bool absorbThisStep(MlaAttentionOp op, const ref::MlaDims &dims,
                      int64_t tokens, int64_t context) {
    switch (op.getAbsorb()) {
    case Absorption::never:
      return false;
    case Absorption::always:
      return true;
    case Absorption::decode:
      return tokens == 1;
    case Absorption::auto_: {
      // The module's own storage widths: what the engine would move.
      auto bytesOf = [](Type type) {
        return static_cast<int64_t>(type.getIntOrFloatBitWidth() / 8);
      };
      int64_t weightBytes = bytesOf(
          cast<RankedTensorType>(op.getKvBProj().getType()).getElementType());
      int64_t cacheBytes = bytesOf(
          cast<LatentKvCacheType>(op.getCache().getType()).getElementType());
      ref::MlaCostShape shape{dims.heads, dims.kvLoraRank, dims.nope,
                              dims.rope,  dims.vHead,      weightBytes,
                              cacheBytes};
      return ref::absorbedIsCheaper(shape, tokens, context);
    }
    }
    return false;
  }

  /// kv_b_proj [N*(P+V), C] rebuilt from w_uk [N, P, C] and w_uv [N, V, C].
  static std::vector<float> interleaveKvB(const RuntimeValue &uk,
                                          const RuntimeValue &uv) {
    int64_t heads = uk.shape[0], nope = uk.shape[1], v = uv.shape[1],
            latent = uk.shape[2];
    std::vector<float> kvB(heads * (nope + v) * latent);
    for (int64_t n = 0; n < heads; ++n) {
      float *head = kvB.data() + n * (nope + v) * latent;
      std::copy_n(uk.floats + n * nope * latent, nope * latent, head);
      std::copy_n(uv.floats + n * v * latent, v * latent, head + nope * latent);
    }
    return kvB;
  }

  llvm::Error runSplitKvB(SplitKvBOp op) {
    const RuntimeValue &kvB = get(op.getKvBProj());
    int64_t heads = op.getHeads(), latent = kvB.shape[1];
    auto ukShape = cast<RankedTensorType>(op.getWUk().getType()).getShape();
    auto uvShape = cast<RankedTensorType>(op.getWUv().getType()).getShape();
    int64_t nope = ukShape[1], v = uvShape[1];
    RuntimeValue uk = makeActivation(ukShape), uv = makeActivation(uvShape);
    for (int64_t n = 0; n < heads; ++n) {
      const float *head = kvB.floats + n * (nope + v) * latent;
      std::copy_n(head, nope * latent, mutableData(uk) + n * nope * latent);
      std::copy_n(head + nope * latent, v * latent,
                  mutableData(uv) + n * v * latent);
    }
    values[op.getWUk()] = std::move(uk);
    values[op.getWUv()] = std::move(uv);
    return llvm::Error::success();
  }

  llvm::Error runMlp(MlpOp op) {
    const RuntimeValue &x = get(op.getInput());
    const RuntimeValue &gate = get(op.getGateProj());
    RuntimeValue out = makeActivation(x.shape);
    ref::mlp(x.floats, gate.floats, get(op.getUpProj()).floats,
             get(op.getDownProj()).floats, x.rows(), x.shape.back(),
             gate.shape[0], mutableData(out));
    values[op.getResult()] = std::move(out);
    return llvm::Error::success();
  }

  /// Router parameters of dsv2.moe_gate or dsv2.moe_fused.
  template <typename OpTy>
  static ref::MoeGateParams gateParams(OpTy op, int64_t experts) {
    ref::MoeGateParams params;
    params.experts = experts;
    params.topK = op.getTopK();
    params.nGroup = op.getNGroup();
    params.topkGroup = op.getTopkGroup();
    params.method = op.getMethod() == TopkMethod::group_limited_greedy
                        ? ref::TopkMethod::GroupLimitedGreedy
                        : ref::TopkMethod::Greedy;
    params.routedScalingFactor = op.getRoutedScalingFactor().convertToDouble();
    params.normTopkProb = op.getNormTopkProb();
    return params;
  }

  /// The collectives of a rank's module (see setCollectives).
  llvm::Expected<ReferenceCollectives *> collectivesFor(Operation *op) {
    if (!interp.collectives)
      return interpreterError(
          op, "this module was sharded over ranks (dsv2-shard); run every "
              "rank with ReferenceInterpreter::setCollectives");
    return interp.collectives;
  }

  llvm::Error runAllReduce(AllReduceOp op) {
    auto collectives = collectivesFor(op);
    if (!collectives)
      return collectives.takeError();
    const RuntimeValue &x = get(op.getInput());
    RuntimeValue out = makeActivation(x.shape);
    std::vector<float> &sum = *out.ownedFloats;
    std::copy(x.floats, x.floats + x.numElements(), sum.begin());
    if (llvm::Error failed = (*collectives)->allReduceSum(sum, op.getGroup()))
      return interpreterError(op, llvm::toString(std::move(failed)));
    values[op.getResult()] = std::move(out);
    return llvm::Error::success();
  }

  llvm::Error runAllGather(AllGatherOp op) {
    auto collectives = collectivesFor(op);
    if (!collectives)
      return collectives.takeError();
    const RuntimeValue &x = get(op.getInput());
    int64_t rows = x.rows(), columns = x.shape.back();
    std::vector<float> local(x.floats, x.floats + x.numElements());
    RuntimeValue out = makeActivation({rows, columns * op.getParts()});
    if (llvm::Error failed = (*collectives)->allGatherColumns(
            local, rows, columns, op.getGroup(), *out.ownedFloats))
      return interpreterError(op, llvm::toString(std::move(failed)));
    values[op.getResult()] = std::move(out);
    return llvm::Error::success();
  }

  llvm::Error runMoeFused(MoeFusedOp op) {
    const RuntimeValue &x = get(op.getInput());
    const RuntimeValue &gateProj = get(op.getGateProj());
    // The router scores all experts; the op may hold a range of them.
    int64_t experts = get(op.getGateWeight()).shape[0];
    int64_t localExperts = gateProj.shape[0], inter = gateProj.shape[1];
    ref::ExpertWeights shared;
    int64_t sharedInter = 0;
    if (op.getSharedGateProj()) {
      shared = {get(op.getSharedGateProj()).floats,
                get(op.getSharedUpProj()).floats,
                get(op.getSharedDownProj()).floats};
      sharedInter = get(op.getSharedGateProj()).shape[0];
    }
    RuntimeValue out = makeActivation(x.shape);
    ref::moeFused(x.floats, x.shape[0], x.shape[1], inter,
                  get(op.getGateWeight()).floats, gateParams(op, experts),
                  gateProj.floats, get(op.getUpProj()).floats,
                  get(op.getDownProj()).floats, sharedInter ? &shared : nullptr,
                  sharedInter, op.getBlockSize(), mutableData(out),
                  op.getFirstExpert().value_or(0), localExperts);
    values[op.getResult()] = std::move(out);
    return llvm::Error::success();
  }

  llvm::Error runMoeGate(MoeGateOp op) {
    const RuntimeValue &x = get(op.getInput());
    const RuntimeValue &gate = get(op.getGateWeight());
    ref::MoeGateParams params = gateParams(op, gate.shape[0]);
    int64_t tokens = x.shape[0];
    RuntimeValue weights = makeActivation({tokens, params.topK});
    RuntimeValue indices;
    indices.shape = {tokens, params.topK};
    indices.ints.resize(tokens * params.topK);
    ref::moeGate(x.floats, gate.floats, tokens, x.shape[1], params,
                 mutableData(weights), indices.ints.data());
    values[op.getWeights()] = std::move(weights);
    values[op.getIndices()] = std::move(indices);
    return llvm::Error::success();
  }

  llvm::Error runMoeExperts(MoeExpertsOp op) {
    const RuntimeValue &x = get(op.getInput());
    const RuntimeValue &gate = get(op.getGateProj());
    const RuntimeValue &weights = get(op.getWeights());
    const RuntimeValue &indices = get(op.getIndices());
    int64_t experts = gate.shape[0], inter = gate.shape[1];
    int64_t hidden = x.shape[1], tokens = x.shape[0];
    for (int32_t index : indices.ints)
      if (index < 0 || index >= experts)
        return interpreterError(op, llvm::formatv("expert index {0} is outside "
                                                  "[0, {1})",
                                                  index, experts));
    const float *up = get(op.getUpProj()).floats;
    const float *down = get(op.getDownProj()).floats;
    std::vector<ref::ExpertWeights> routed(experts);
    for (int64_t e = 0; e < experts; ++e)
      routed[e] = {gate.floats + e * inter * hidden, up + e * inter * hidden,
                   down + e * hidden * inter};
    ref::ExpertWeights shared;
    int64_t sharedInter = 0;
    if (op.getSharedGateProj()) {
      shared = {get(op.getSharedGateProj()).floats,
                get(op.getSharedUpProj()).floats,
                get(op.getSharedDownProj()).floats};
      sharedInter = get(op.getSharedGateProj()).shape[0];
    }
    RuntimeValue out = makeActivation(x.shape);
    ref::moeExperts(x.floats, tokens, hidden, inter, weights.floats,
                    indices.ints.data(), weights.shape[1], routed,
                    sharedInter ? &shared : nullptr, sharedInter,
                    mutableData(out));
    values[op.getResult()] = std::move(out);
    return llvm::Error::success();
  }
};

ReferenceInterpreter::ReferenceInterpreter(func::FuncOp step,
                                           WeightProvider &weights)
    : step(step), weights(weights) {
  auto logits = cast<RankedTensorType>(step.getFunctionType().getResult(0));
  vocabSize = logits.getDimSize(1);
}

ReferenceInterpreter::~ReferenceInterpreter() = default;

llvm::Expected<const std::vector<float> *>
ReferenceInterpreter::loadWeight(const WeightReference &reference,
                                 llvm::ArrayRef<int64_t> shape) {
  std::string key = reference.str();
  auto it = weightCache.find(key);
  if (it != weightCache.end())
    return it->second.get();
  int64_t count = std::accumulate(shape.begin(), shape.end(), int64_t{1},
                                  std::multiplies<int64_t>());
  auto data = std::make_unique<std::vector<float>>(count);
  if (llvm::Error error =
          readWeightReference(weights, reference, shape, data->data()))
    return std::move(error);
  const std::vector<float> *result = data.get();
  weightCache[key] = std::move(data);
  return result;
}

llvm::Expected<StepLogits>
ReferenceInterpreter::runStep(llvm::ArrayRef<int32_t> tokens,
                              ReferenceKvCache &cache) {
  int64_t start = cache.length, count = tokens.size();
  if (count == 0)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "a step needs at least one token");
  if (maxPositions > 0 && start + count > maxPositions)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("context of {0} tokens exceeds the model's maximum of "
                      "{1} positions (max_position_embeddings)",
                      start + count, maxPositions));

  Type cacheType = step.getArgument(2).getType();
  int64_t layers = isa<KvCacheType>(cacheType)
                       ? cast<KvCacheType>(cacheType).getLayers()
                       : cast<LatentKvCacheType>(cacheType).getLayers();
  if (cache.naive.empty() && cache.latent.empty()) {
    if (isa<KvCacheType>(cacheType))
      cache.naive.resize(layers);
    else
      cache.latent.resize(layers);
  }
  // Snapshot so that a failing step leaves the cache as it was.
  ReferenceKvCache before = cache;

  Impl impl{*this, cache, {}};
  RuntimeValue ids;
  ids.shape = {count};
  ids.ints.assign(tokens.begin(), tokens.end());
  impl.values[step.getArgument(0)] = std::move(ids);
  RuntimeValue startValue;
  startValue.index = start;
  impl.values[step.getArgument(1)] = std::move(startValue);
  impl.values[step.getArgument(2)] = RuntimeValue();

  for (Operation &op : step.getBody().front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      const RuntimeValue &logits = impl.get(ret.getOperand(0));
      StepLogits result;
      result.tokens = logits.shape[0];
      result.vocab = logits.shape[1];
      result.values.assign(logits.floats, logits.floats + logits.numElements());
      cache.length = start + count;
      return result;
    }
    if (llvm::Error error = impl.run(&op)) {
      cache = std::move(before);
      return std::move(error);
    }
    // Cache results alias the cache state; give them an empty value.
    for (Value result : op.getResults())
      if (!impl.values.count(result))
        impl.values[result] = RuntimeValue();
  }
  cache = std::move(before);
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "step function has no return");
}
