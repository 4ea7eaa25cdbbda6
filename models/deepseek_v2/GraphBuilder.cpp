//===- GraphBuilder.cpp - DeepSeek-V2 config -> dsv2 module ---------------===//
//
// One decoder layer is pre-norm: h = x + MLA(RMSNorm(x)), then
// x = h + FFN(RMSNorm(h)) with FFN a dense MLP or DeepSeekMoE by layer index.
//
//===----------------------------------------------------------------------===//

#include "models/deepseek_v2/GraphBuilder.h"

#include "dialect/dsv2/Dsv2Ops.h"
#include "models/deepseek_v2/TensorNames.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::dsv2;

namespace dsv2::model {
namespace {

/// DeepSeek's reference builds q_a_layernorm and kv_a_layernorm with the
/// RMSNorm default epsilon, not config.rms_norm_eps.
constexpr double kLatentNormEpsilon = 1e-6;

/// Emits the ops of one step function; one instance per build.
class StepBuilder {
public:
  StepBuilder(OpBuilder &builder, const ModelConfig &config,
              const GraphOptions &options)
      : b(builder), config(config), options(options),
        loc(builder.getUnknownLoc()) {}

  /// Builds the whole function body; returns logits and the final cache.
  std::pair<Value, Value> build(Value tokens, Value start, Value cache) {
    this->start = start;
    Value x = EmbeddingOp::create(
        b, loc, activationType(config.hiddenSize), tokens,
        weight(kEmbedTokensTensor, {config.vocabSize, config.hiddenSize}));
    for (int64_t layer = 0; layer < config.numHiddenLayers; ++layer)
      std::tie(x, cache) = buildLayer(layer, x, cache);
    Value normed = rmsNorm(x, std::string(kFinalNormTensor));
    std::string head = config.tieWordEmbeddings ? std::string(kEmbedTokensTensor)
                                                : std::string(kLmHeadTensor);
    Value logits =
        LmHeadOp::create(b, loc, activationType(config.vocabSize), normed,
                         weight(head, {config.vocabSize, config.hiddenSize}));
    return {logits, cache};
  }

private:
  RankedTensorType activationType(int64_t width) {
    return RankedTensorType::get({ShapedType::kDynamic, width}, b.getF32Type());
  }

  Value weight(std::string_view name, ArrayRef<int64_t> shape) {
    return WeightOp::create(b, loc,
                            RankedTensorType::get(shape, options.weightType),
                            b.getStringAttr(llvm::StringRef(name.data(),
                                                            name.size())));
  }

  Value rmsNorm(Value x, const std::string &weightName) {
    int64_t width = cast<RankedTensorType>(x.getType()).getDimSize(1);
    return RmsNormOp::create(b, loc, x.getType(), x,
                             weight(weightName, {width}),
                             b.getF64FloatAttr(config.rmsNormEps));
  }

  RopeAttr ropeAttr() {
    MLIRContext *ctx = b.getContext();
    YarnAttr yarn;
    if (const auto &s = config.ropeScaling)
      yarn = YarnAttr::get(ctx, APFloat(s->factor),
                           s->originalMaxPositionEmbeddings,
                           APFloat(s->betaFast), APFloat(s->betaSlow),
                           APFloat(s->mscale), APFloat(s->mscaleAllDim));
    return RopeAttr::get(ctx, config.qkRopeHeadDim, APFloat(config.ropeTheta),
                         yarn);
  }

  std::pair<Value, Value> buildLayer(int64_t layer, Value x, Value cache) {
    auto name = [&](std::string_view suffix) {
      return layerTensor(layer, suffix);
    };
    namespace sfx = layer_suffix;
    const int64_t hidden = config.hiddenSize, heads = config.numAttentionHeads;
    const int64_t kvLora = config.kvLoraRank, rope = config.qkRopeHeadDim;
    const int64_t qOut = heads * config.qHeadDim();

    Value normed = rmsNorm(x, name(sfx::kInputLayernorm));
    Value qA, qANorm, qB, q;
    if (config.qLoraRank) {
      int64_t qLora = *config.qLoraRank;
      qA = weight(name(sfx::kQAProj), {qLora, hidden});
      qANorm = weight(name(sfx::kQALayernorm), {qLora});
      qB = weight(name(sfx::kQBProj), {qOut, qLora});
    } else {
      q = weight(name(sfx::kQProj), {qOut, hidden});
    }
    Value kvA = weight(name(sfx::kKvAProjWithMqa), {kvLora + rope, hidden});
    Value kvANorm = weight(name(sfx::kKvALayernorm), {kvLora});
    Value kvB = weight(name(sfx::kKvBProj),
                       {heads * (config.qkNopeHeadDim + config.vHeadDim), kvLora});
    Value o = weight(name(sfx::kOProj), {hidden, heads * config.vHeadDim});
    auto attention = MlaAttentionOp::create(
        b, loc, normed.getType(), cache.getType(), normed, start, cache, qA,
        qANorm, qB, q, kvA, kvANorm, kvB, o, /*w_uk=*/Value(),
        /*w_uv=*/Value(), layer, heads, kvLora, config.qkNopeHeadDim, rope,
        config.vHeadDim, APFloat(config.softmaxScale()),
        APFloat(kLatentNormEpsilon), ropeAttr(), Absorption::never);
    Value h = AddOp::create(b, loc, x, attention.getResult());

    Value ffnInput = rmsNorm(h, name(sfx::kPostAttentionLayernorm));
    Value ffn = config.isMoeLayer(layer) ? buildMoe(layer, ffnInput)
                                         : buildDenseMlp(layer, ffnInput);
    return {AddOp::create(b, loc, h, ffn), attention.getNewCache()};
  }

  Value buildDenseMlp(int64_t layer, Value x) {
    namespace sfx = layer_suffix;
    int64_t hidden = config.hiddenSize, inter = config.intermediateSize;
    return MlpOp::create(
        b, loc, x.getType(), x,
        weight(layerTensor(layer, sfx::kMlpGateProj), {inter, hidden}),
        weight(layerTensor(layer, sfx::kMlpUpProj), {inter, hidden}),
        weight(layerTensor(layer, sfx::kMlpDownProj), {hidden, inter}));
  }

  Value buildMoe(int64_t layer, Value x) {
    namespace sfx = layer_suffix;
    const int64_t hidden = config.hiddenSize, experts = config.nRoutedExperts;
    const int64_t inter = config.moeIntermediateSize;
    const int64_t topK = config.numExpertsPerTok;
    auto routingType = [&](Type element) {
      return RankedTensorType::get({ShapedType::kDynamic, topK}, element);
    };
    auto method = config.topkMethod == TopkMethod::GroupLimitedGreedy
                      ? mlir::dsv2::TopkMethod::group_limited_greedy
                      : mlir::dsv2::TopkMethod::greedy;
    auto gate = MoeGateOp::create(
        b, loc, routingType(b.getF32Type()), routingType(b.getI32Type()), method,
        x, weight(layerTensor(layer, sfx::kMoeGate), {experts, hidden}), topK,
        config.nGroup, config.topkGroup, APFloat(config.routedScalingFactor),
        config.normTopkProb);

    // Routed experts stacked along a leading expert dimension; "{e}" stands
    // for the expert index in the checkpoint names.
    auto expertName = [&](std::string_view proj) {
      return layerTensor(layer, "mlp.experts.{e}." + std::string(proj) +
                                    ".weight");
    };
    Value gateProj = weight(expertName("gate_proj"), {experts, inter, hidden});
    Value upProj = weight(expertName("up_proj"), {experts, inter, hidden});
    Value downProj = weight(expertName("down_proj"), {experts, hidden, inter});
    Value sharedGate, sharedUp, sharedDown;
    if (config.nSharedExperts > 0) {
      int64_t sharedInter = config.nSharedExperts * inter;
      sharedGate = weight(layerTensor(layer, sfx::kSharedExpertsGateProj),
                          {sharedInter, hidden});
      sharedUp = weight(layerTensor(layer, sfx::kSharedExpertsUpProj),
                        {sharedInter, hidden});
      sharedDown = weight(layerTensor(layer, sfx::kSharedExpertsDownProj),
                          {hidden, sharedInter});
    }
    return MoeExpertsOp::create(b, loc, x.getType(), x, gate.getWeights(),
                                gate.getIndices(), gateProj, upProj, downProj,
                                sharedGate, sharedUp, sharedDown);
  }

  OpBuilder &b;
  const ModelConfig &config;
  const GraphOptions &options;
  Location loc;
  Value start;
};

} // namespace

OwningOpRef<ModuleOp> buildStepModule(MLIRContext &context,
                                      const ModelConfig &config,
                                      const GraphOptions &options) {
  context.loadDialect<Dsv2Dialect, func::FuncDialect>();
  OpBuilder b(&context);
  Location loc = b.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());

  auto cacheType = KvCacheType::get(&context, config.numHiddenLayers,
                                    config.numAttentionHeads, config.qHeadDim(),
                                    config.vHeadDim, options.cacheType);
  auto tokensType = RankedTensorType::get({ShapedType::kDynamic}, b.getI32Type());
  auto logitsType = RankedTensorType::get(
      {ShapedType::kDynamic, config.vocabSize}, b.getF32Type());
  auto funcType = b.getFunctionType({tokensType, b.getIndexType(), cacheType},
                                    {logitsType, cacheType});
  auto func = func::FuncOp::create(b, loc, kStepFunctionName, funcType);
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);

  StepBuilder step(b, config, options);
  auto [logits, cache] =
      step.build(entry->getArgument(0), entry->getArgument(1),
                 entry->getArgument(2));
  func::ReturnOp::create(b, loc, ValueRange{logits, cache});
  return module;
}

} // namespace dsv2::model
