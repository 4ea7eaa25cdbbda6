//===- Dsv2Ops.cpp - dsv2 op verifiers ------------------------------------===//
//
// Verifiers report mismatches in the model's own vocabulary: which weight,
// which config field, what was expected and why.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/Dsv2Ops.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::dsv2;

#define GET_OP_CLASSES
#include "dialect/dsv2/Dsv2Ops.cpp.inc"

namespace {

/// One expected dimension and the config quantity it comes from.
struct ExpectedDim {
  int64_t size;
  const char *meaning;
};

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, dim] : llvm::enumerate(shape)) {
    if (i)
      text += ", ";
    text += ShapedType::isDynamic(dim) ? std::string("?") : std::to_string(dim);
  }
  return text + "]";
}

std::string formatExpected(ArrayRef<ExpectedDim> dims) {
  std::string text = "[";
  for (auto [i, dim] : llvm::enumerate(dims)) {
    if (i)
      text += ", ";
    text += llvm::formatv("{0} ({1})", dim.size, dim.meaning).str();
  }
  return text + "]";
}

ArrayRef<int64_t> shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

/// Dimensions agree unless both are known and differ.
bool dimsCompatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Checks that a weight has exactly the expected static shape.
LogicalResult checkWeightShape(Operation *op, StringRef role, Value weight,
                               ArrayRef<ExpectedDim> expected) {
  ArrayRef<int64_t> shape = shapeOf(weight);
  bool matches = shape.size() == expected.size();
  for (size_t i = 0; matches && i < shape.size(); ++i)
    matches = shape[i] == expected[i].size;
  if (matches)
    return success();
  return op->emitOpError() << role << " weight has shape " << formatShape(shape)
                           << ", expected " << formatExpected(expected);
}

/// Checks the activation is [tokens, width].
LogicalResult checkActivation(Operation *op, StringRef role, Value value,
                              int64_t width, const char *widthMeaning) {
  ArrayRef<int64_t> shape = shapeOf(value);
  if (shape.size() != 2)
    return op->emitOpError() << role << " must be [tokens, " << widthMeaning
                             << "], got rank " << shape.size();
  if (!dimsCompatible(shape[1], width))
    return op->emitOpError() << role << " has width " << shape[1]
                             << " but " << widthMeaning << " is " << width;
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// WeightOp
//===----------------------------------------------------------------------===//

LogicalResult WeightOp::verify() {
  if (getName().empty())
    return emitOpError() << "needs a checkpoint tensor name";
  auto type = cast<RankedTensorType>(getResult().getType());
  if (!type.hasStaticShape())
    return emitOpError() << "weight '" << getName()
                         << "' must have a static shape, got "
                         << formatShape(type.getShape());
  if (isStackedExperts()) {
    if (type.getRank() != 3)
      return emitOpError() << "stacked expert weight '" << getName()
                           << "' must be [experts, out, in], got rank "
                           << type.getRank();
  } else if (type.getRank() != 1 && type.getRank() != 2) {
    return emitOpError() << "weight '" << getName()
                         << "' must be a vector or an [out, in] matrix, got rank "
                         << type.getRank();
  }
  if (auto first = getFirstExpert()) {
    if (!isStackedExperts())
      return emitOpError() << "first_expert is only for stacked experts, not '"
                           << getName() << "'";
    if (*first < 0)
      return emitOpError() << "first_expert must be >= 0, got " << *first;
  }
  if (auto shard = getShard()) {
    // A slice of the per-tensor matrix: never the stacking dimension.
    int64_t lowest = isStackedExperts() ? 1 : 0;
    if (shard->size() != 3)
      return emitOpError() << "shard must be [dim, part, parts], got "
                           << shard->size() << " values";
    int64_t dim = (*shard)[0], part = (*shard)[1], parts = (*shard)[2];
    if (dim < lowest || dim >= type.getRank())
      return emitOpError() << "shard dimension " << dim << " of weight '"
                           << getName() << "' must be in [" << lowest << ", "
                           << type.getRank() << ")";
    if (parts < 1 || part < 0 || part >= parts)
      return emitOpError() << "shard part " << part << " of " << parts
                           << " must satisfy 0 <= part < parts";
  }
  return success();
}

WeightReference WeightOp::getReference() {
  WeightReference ref;
  ref.name = getName().str();
  ref.firstExpert = getFirstExpert().value_or(0);
  if (auto shard = getShard()) {
    ref.sliceDim = static_cast<int>((*shard)[0] - (isStackedExperts() ? 1 : 0));
    ref.part = (*shard)[1];
    ref.parts = (*shard)[2];
  }
  return ref;
}

//===----------------------------------------------------------------------===//
// EmbeddingOp, RmsNormOp, LinearOp, RopeOp
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::verify() {
  ArrayRef<int64_t> table = shapeOf(getTable());
  if (table.size() != 2)
    return emitOpError() << "embedding table must be [vocab, hidden], got "
                         << formatShape(table);
  if (failed(checkActivation(*this, "result", getResult(), table[1],
                             "the embedding width")))
    return failure();
  if (!dimsCompatible(shapeOf(getIds())[0], shapeOf(getResult())[0]))
    return emitOpError() << "result has " << shapeOf(getResult())[0]
                         << " rows for " << shapeOf(getIds())[0] << " tokens";
  return success();
}

LogicalResult RmsNormOp::verify() {
  ArrayRef<int64_t> input = shapeOf(getInput());
  ArrayRef<int64_t> weight = shapeOf(getWeight());
  if (input.empty())
    return emitOpError() << "input must have at least one dimension";
  if (weight.size() != 1)
    return emitOpError() << "norm weight must be a vector, got "
                         << formatShape(weight);
  if (!dimsCompatible(weight[0], input.back()))
    return emitOpError() << "norm weight has " << weight[0]
                         << " elements but the normalized dimension is "
                         << input.back();
  if (!(getEpsilon().convertToDouble() > 0.0))
    return emitOpError() << "epsilon " << getEpsilon().convertToDouble()
                         << " must be positive";
  return success();
}

LogicalResult LinearOp::verify() {
  ArrayRef<int64_t> input = shapeOf(getInput());
  ArrayRef<int64_t> weight = shapeOf(getWeight());
  ArrayRef<int64_t> result = shapeOf(getResult());
  if (weight.size() != 2)
    return emitOpError() << "weight must be [out, in], got "
                         << formatShape(weight);
  if (input.empty() || !dimsCompatible(input.back(), weight[1]))
    return emitOpError() << "input " << formatShape(input)
                         << " does not match weight [out, in] = "
                         << formatShape(weight) << " (x @ W^T needs in = "
                         << weight[1] << ")";
  if (result.size() != input.size() || !dimsCompatible(result.back(), weight[0]))
    return emitOpError() << "result " << formatShape(result)
                         << " must be the input shape with the last dimension "
                            "replaced by out = "
                         << weight[0];
  for (size_t i = 0; i + 1 < input.size(); ++i)
    if (!dimsCompatible(input[i], result[i]))
      return emitOpError() << "result " << formatShape(result)
                           << " changes leading dimensions of the input "
                           << formatShape(input);
  return success();
}

LogicalResult RopeOp::verify() {
  ArrayRef<int64_t> input = shapeOf(getInput());
  if (input.size() != 3)
    return emitOpError() << "input must be [tokens, heads, rope_dim], got "
                         << formatShape(input);
  if (!dimsCompatible(input[2], getRope().getDim()))
    return emitOpError() << "input has rope width " << input[2]
                         << " but the rope attribute has dim "
                         << getRope().getDim();
  return success();
}

//===----------------------------------------------------------------------===//
// MlaAttentionOp
//===----------------------------------------------------------------------===//

LogicalResult MlaAttentionOp::verify() {
  int64_t heads = getHeads(), kvLora = getKvLoraRank();
  int64_t nope = getQkNopeHeadDim(), rope = getQkRopeHeadDim();
  int64_t vHead = getVHeadDim();
  for (auto [value, name] :
       {std::pair{heads, "heads"}, std::pair{kvLora, "kv_lora_rank"},
        std::pair{nope, "qk_nope_head_dim"}, std::pair{rope, "qk_rope_head_dim"},
        std::pair{vHead, "v_head_dim"}})
    if (value <= 0)
      return emitOpError() << name << " must be positive, got " << value;
  if (getRope().getDim() != rope)
    return emitOpError() << "rope dim " << getRope().getDim()
                         << " differs from qk_rope_head_dim " << rope;
  if (!(getSoftmaxScale().convertToDouble() > 0.0))
    return emitOpError() << "softmax_scale must be positive";
  if (!(getRmsNormEps().convertToDouble() > 0.0))
    return emitOpError() << "rms_norm_eps must be positive";

  ArrayRef<int64_t> input = shapeOf(getInput());
  if (input.size() != 2 || ShapedType::isDynamic(input[1]))
    return emitOpError() << "input must be [tokens, hidden] with a static "
                            "hidden size, got "
                         << formatShape(input);
  int64_t hidden = input[1];
  int64_t qHeadDim = nope + rope;

  bool hasLoraPath = getQAProj() || getQANorm() || getQBProj();
  if (hasLoraPath && !(getQAProj() && getQANorm() && getQBProj()))
    return emitOpError()
           << "the q_lora path needs q_a_proj, q_a_norm and q_b_proj together";
  if (hasLoraPath == static_cast<bool>(getQProj()))
    return emitOpError() << "needs either the q_lora path (q_a_proj, q_a_norm, "
                            "q_b_proj) or q_proj, not "
                         << (hasLoraPath ? "both" : "neither");
  if (hasLoraPath) {
    ArrayRef<int64_t> qA = shapeOf(getQAProj());
    if (qA.size() != 2)
      return emitOpError() << "q_a_proj weight must be [q_lora_rank, hidden], "
                              "got "
                           << formatShape(qA);
    int64_t qLora = qA[0];
    if (failed(checkWeightShape(*this, "q_a_proj", getQAProj(),
                                {{qLora, "q_lora_rank"}, {hidden, "hidden"}})) ||
        failed(checkWeightShape(*this, "q_a_norm", getQANorm(),
                                {{qLora, "q_lora_rank"}})) ||
        failed(checkWeightShape(
            *this, "q_b_proj", getQBProj(),
            {{heads * qHeadDim, "heads*(qk_nope_head_dim+qk_rope_head_dim)"},
             {qLora, "q_lora_rank"}})))
      return failure();
  } else if (failed(checkWeightShape(
                 *this, "q_proj", getQProj(),
                 {{heads * qHeadDim, "heads*(qk_nope_head_dim+qk_rope_head_dim)"},
                  {hidden, "hidden"}}))) {
    return failure();
  }
  if (failed(checkWeightShape(*this, "kv_a_proj_with_mqa", getKvAProj(),
                              {{kvLora + rope, "kv_lora_rank+qk_rope_head_dim"},
                               {hidden, "hidden"}})) ||
      failed(checkWeightShape(*this, "kv_a_layernorm", getKvANorm(),
                              {{kvLora, "kv_lora_rank"}})) ||
      failed(checkWeightShape(
          *this, "kv_b_proj", getKvBProj(),
          {{heads * (nope + vHead), "heads*(qk_nope_head_dim+v_head_dim)"},
           {kvLora, "kv_lora_rank"}})) ||
      failed(checkWeightShape(*this, "o_proj", getOProj(),
                              {{hidden, "hidden"},
                               {heads * vHead, "heads*v_head_dim"}})))
    return failure();

  if (mayAbsorb() != static_cast<bool>(getWUk()) ||
      mayAbsorb() != static_cast<bool>(getWUv()))
    return emitOpError() << "absorb " << stringifyAbsorption(getAbsorb())
                         << (mayAbsorb() ? " needs" : " takes no")
                         << " absorbed_weights (w_uk and w_uv from "
                            "dsv2.split_kv_b)";
  if (mayAbsorb() &&
      (failed(checkWeightShape(*this, "w_uk", getWUk(),
                               {{heads, "heads"},
                                {nope, "qk_nope_head_dim"},
                                {kvLora, "kv_lora_rank"}})) ||
       failed(checkWeightShape(*this, "w_uv", getWUv(),
                               {{heads, "heads"},
                                {vHead, "v_head_dim"},
                                {kvLora, "kv_lora_rank"}}))))
    return failure();

  Type cacheType = getCache().getType();
  int64_t layers = 0;
  if (auto naive = dyn_cast<KvCacheType>(cacheType)) {
    if (mayAbsorb())
      return emitOpError() << "the absorbed form reads the latent cache; it "
                              "cannot use a per-head !dsv2.kv_cache";
    if (naive.getHeads() != heads || naive.getKeyDim() != qHeadDim ||
        naive.getValueDim() != vHead)
      return emitOpError() << "kv_cache holds heads = " << naive.getHeads()
                           << ", key_dim = " << naive.getKeyDim()
                           << ", value_dim = " << naive.getValueDim()
                           << " but the attention needs heads = " << heads
                           << ", key_dim = " << qHeadDim
                           << " (qk_nope_head_dim+qk_rope_head_dim), value_dim = "
                           << vHead;
    layers = naive.getLayers();
  } else {
    auto latent = cast<LatentKvCacheType>(cacheType);
    if (latent.getLatentDim() != kvLora || latent.getRopeDim() != rope)
      return emitOpError() << "latent_kv_cache holds latent_dim = "
                           << latent.getLatentDim() << ", rope_dim = "
                           << latent.getRopeDim() << " but kv_lora_rank = "
                           << kvLora << ", qk_rope_head_dim = " << rope;
    layers = latent.getLayers();
  }
  if (static_cast<int64_t>(getLayer()) >= layers)
    return emitOpError() << "layer " << getLayer()
                         << " is outside the cache's " << layers << " layers";
  return success();
}

//===----------------------------------------------------------------------===//
// MlpOp, MoeGateOp, MoeExpertsOp, LmHeadOp
//===----------------------------------------------------------------------===//

/// Gated MLP weights: gate/up [inter, hidden], down [hidden, inter].
static LogicalResult checkGatedMlp(Operation *op, StringRef prefix,
                                   Value gate, Value up, Value down,
                                   int64_t hidden) {
  ArrayRef<int64_t> gateShape = shapeOf(gate);
  if (gateShape.size() != 2)
    return op->emitOpError() << prefix << "gate_proj weight must be "
                                          "[intermediate, hidden], got "
                             << formatShape(gateShape);
  int64_t inter = gateShape[0];
  if (failed(checkWeightShape(op, (prefix + "gate_proj").str(), gate,
                              {{inter, "intermediate"}, {hidden, "hidden"}})) ||
      failed(checkWeightShape(op, (prefix + "up_proj").str(), up,
                              {{inter, "intermediate"}, {hidden, "hidden"}})) ||
      failed(checkWeightShape(op, (prefix + "down_proj").str(), down,
                              {{hidden, "hidden"}, {inter, "intermediate"}})))
    return failure();
  return success();
}

LogicalResult MlpOp::verify() {
  ArrayRef<int64_t> input = shapeOf(getInput());
  if (input.size() != 2 || ShapedType::isDynamic(input[1]))
    return emitOpError() << "input must be [tokens, hidden] with a static "
                            "hidden size, got "
                         << formatShape(input);
  return checkGatedMlp(*this, "", getGateProj(), getUpProj(), getDownProj(),
                       input[1]);
}

/// Router rules shared by dsv2.moe_gate and dsv2.moe_fused; returns the
/// number of routed experts through `experts`.
static LogicalResult verifyRouter(Operation *op, Value input, Value gateWeight,
                                  TopkMethod method, int64_t topK,
                                  int64_t nGroup, int64_t topkGroup,
                                  double routedScalingFactor,
                                  int64_t &experts) {
  ArrayRef<int64_t> gate = shapeOf(gateWeight);
  if (gate.size() != 2)
    return op->emitOpError() << "gate weight must be [n_routed_experts, "
                                "hidden], got "
                             << formatShape(gate);
  experts = gate[0];
  if (failed(checkActivation(op, "input", input, gate[1], "hidden")))
    return failure();
  if (topK < 1 || topK > experts)
    return op->emitOpError() << "top_k (num_experts_per_tok) " << topK
                             << " must be in [1, " << experts << "] for "
                             << experts << " routed experts";
  if (!(routedScalingFactor > 0.0))
    return op->emitOpError() << "routed_scaling_factor must be positive";
  if (method == TopkMethod::group_limited_greedy) {
    if (nGroup < 1 || experts % nGroup != 0)
      return op->emitOpError() << "n_group " << nGroup << " must divide the "
                               << experts << " routed experts";
    if (topkGroup < 1 || topkGroup > nGroup)
      return op->emitOpError() << "topk_group " << topkGroup
                               << " must be in [1, " << nGroup << "] (n_group)";
    if (topK > topkGroup * (experts / nGroup))
      return op->emitOpError() << "top_k " << topK << " exceeds the "
                               << topkGroup * (experts / nGroup)
                               << " experts in the topk_group best groups";
  }
  return success();
}

LogicalResult MoeGateOp::verify() {
  int64_t experts = 0, topK = getTopK();
  if (failed(verifyRouter(*this, getInput(), getGateWeight(), getMethod(), topK,
                          getNGroup(), getTopkGroup(),
                          getRoutedScalingFactor().convertToDouble(), experts)))
    return failure();
  for (Value result : {getWeights(), getIndices()}) {
    ArrayRef<int64_t> shape = shapeOf(result);
    if (shape.size() != 2 || !dimsCompatible(shape[1], topK) ||
        !dimsCompatible(shape[0], shapeOf(getInput())[0]))
      return emitOpError() << "results must be [tokens, top_k = " << topK
                           << "], got " << formatShape(shape);
  }
  return success();
}

/// Routed (stacked) and shared expert weights of dsv2.moe_experts and
/// dsv2.moe_fused; returns the routed expert count through `experts`.
static LogicalResult verifyExpertWeights(Operation *op, Value input,
                                         Value gateProj, Value upProj,
                                         Value downProj, Value sharedGate,
                                         Value sharedUp, Value sharedDown,
                                         int64_t &experts) {
  ArrayRef<int64_t> inputShape = shapeOf(input);
  if (inputShape.size() != 2 || ShapedType::isDynamic(inputShape[1]))
    return op->emitOpError() << "input must be [tokens, hidden] with a static "
                                "hidden size, got "
                             << formatShape(inputShape);
  int64_t hidden = inputShape[1];
  ArrayRef<int64_t> gate = shapeOf(gateProj);
  if (gate.size() != 3)
    return op->emitOpError() << "routed gate_proj must be stacked [experts, "
                                "moe_intermediate, hidden], got "
                             << formatShape(gate);
  experts = gate[0];
  int64_t inter = gate[1];
  if (failed(checkWeightShape(op, "routed gate_proj", gateProj,
                              {{experts, "experts"},
                               {inter, "moe_intermediate"},
                               {hidden, "hidden"}})) ||
      failed(checkWeightShape(op, "routed up_proj", upProj,
                              {{experts, "experts"},
                               {inter, "moe_intermediate"},
                               {hidden, "hidden"}})) ||
      failed(checkWeightShape(op, "routed down_proj", downProj,
                              {{experts, "experts"},
                               {hidden, "hidden"},
                               {inter, "moe_intermediate"}})))
    return failure();
  int sharedCount = (sharedGate ? 1 : 0) + (sharedUp ? 1 : 0) +
                    (sharedDown ? 1 : 0);
  if (sharedCount != 0 && sharedCount != 3)
    return op->emitOpError() << "shared experts need gate_proj, up_proj and "
                                "down_proj together";
  if (sharedCount == 3)
    return checkGatedMlp(op, "shared ", sharedGate, sharedUp, sharedDown,
                         hidden);
  return success();
}

LogicalResult MoeExpertsOp::verify() {
  int64_t experts = 0;
  if (failed(verifyExpertWeights(*this, getInput(), getGateProj(), getUpProj(),
                                 getDownProj(), getSharedGateProj(),
                                 getSharedUpProj(), getSharedDownProj(),
                                 experts)))
    return failure();
  ArrayRef<int64_t> input = shapeOf(getInput());
  ArrayRef<int64_t> weights = shapeOf(getWeights());
  ArrayRef<int64_t> indices = shapeOf(getIndices());
  if (weights.size() != 2 || indices.size() != 2 ||
      !dimsCompatible(weights[0], indices[0]) ||
      !dimsCompatible(weights[1], indices[1]))
    return emitOpError() << "routing weights " << formatShape(weights)
                         << " and indices " << formatShape(indices)
                         << " must both be [tokens, top_k]";
  if (!dimsCompatible(weights[0], input[0]))
    return emitOpError() << "routing covers " << weights[0]
                         << " tokens but the input has " << input[0];
  if (!ShapedType::isDynamic(weights[1]) && weights[1] > experts)
    return emitOpError() << "top_k " << weights[1] << " exceeds the "
                         << experts << " routed experts";
  return success();
}

LogicalResult MoeFusedOp::verify() {
  int64_t routedExperts = 0, gateExperts = 0;
  if (failed(verifyExpertWeights(*this, getInput(), getGateProj(), getUpProj(),
                                 getDownProj(), getSharedGateProj(),
                                 getSharedUpProj(), getSharedDownProj(),
                                 routedExperts)) ||
      failed(verifyRouter(*this, getInput(), getGateWeight(), getMethod(),
                          getTopK(), getNGroup(), getTopkGroup(),
                          getRoutedScalingFactor().convertToDouble(),
                          gateExperts)))
    return failure();
  if (auto first = getFirstExpert()) {
    // An expert-parallel shard: a contiguous range of the router's experts.
    if (*first < 0 || *first + routedExperts > gateExperts)
      return emitOpError() << "routed experts [" << *first << ", "
                           << *first + routedExperts
                           << ") are not within the router's " << gateExperts
                           << " experts";
    return success();
  }
  if (routedExperts != gateExperts)
    return emitOpError() << "the router scores " << gateExperts
                         << " experts but " << routedExperts
                         << " routed experts are given";
  return success();
}

LogicalResult AllGatherOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput()), out = shapeOf(getResult());
  if (in.size() != 2 || out.size() != 2)
    return emitOpError() << "gathers [tokens, N] into [tokens, parts * N], got "
                         << formatShape(in) << " -> " << formatShape(out);
  if (!dimsCompatible(in[0], out[0]))
    return emitOpError() << "keeps the tokens: " << formatShape(in) << " -> "
                         << formatShape(out);
  if (!ShapedType::isDynamic(in[1]) && !ShapedType::isDynamic(out[1]) &&
      in[1] * getParts() != out[1])
    return emitOpError() << "result width " << out[1] << " must be parts ("
                         << getParts() << ") x input width " << in[1];
  return success();
}

LogicalResult SplitKvBOp::verify() {
  ArrayRef<int64_t> kvB = shapeOf(getKvBProj());
  int64_t heads = getHeads();
  if (kvB.size() != 2)
    return emitOpError() << "kv_b_proj must be [heads*(nope+v), kv_lora_rank], "
                            "got "
                         << formatShape(kvB);
  if (heads < 1 || kvB[0] % heads != 0)
    return emitOpError() << "heads " << heads << " must divide the "
                         << kvB[0] << " rows of kv_b_proj";
  ArrayRef<int64_t> uk = shapeOf(getWUk()), uv = shapeOf(getWUv());
  if (uk.size() != 3 || uv.size() != 3 || uk[0] != heads || uv[0] != heads ||
      uk[2] != kvB[1] || uv[2] != kvB[1] || uk[1] + uv[1] != kvB[0] / heads ||
      uk[1] < 1 || uv[1] < 1)
    return emitOpError() << "w_uk " << formatShape(uk) << " and w_uv "
                         << formatShape(uv) << " must be [heads = " << heads
                         << ", nope, " << kvB[1] << "] and [" << heads
                         << ", v, " << kvB[1] << "] with nope + v = "
                         << kvB[0] / heads;
  if (getWUk().getType().getElementType() !=
          getKvBProj().getType().getElementType() ||
      getWUv().getType().getElementType() !=
          getKvBProj().getType().getElementType())
    return emitOpError() << "derived weights keep kv_b_proj's element type";
  return success();
}

LogicalResult LmHeadOp::verify() {
  ArrayRef<int64_t> weight = shapeOf(getWeight());
  if (weight.size() != 2)
    return emitOpError() << "lm_head weight must be [vocab, hidden], got "
                         << formatShape(weight);
  if (failed(checkActivation(*this, "input", getInput(), weight[1], "hidden")) ||
      failed(checkActivation(*this, "logits", getLogits(), weight[0],
                             "vocab_size")))
    return failure();
  if (!dimsCompatible(shapeOf(getInput())[0], shapeOf(getLogits())[0]))
    return emitOpError() << "logits rows must equal the input tokens";
  return success();
}
