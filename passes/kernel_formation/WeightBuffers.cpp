//===- WeightBuffers.cpp - Weights in the layouts kernels read ------------===//

#include "passes/kernel_formation/Planner.h"

#include "dialect/dsv2/RopeParams.h"
#include "runtime/io/WeightPanels.h"

#include "llvm/Support/FormatVariadic.h"

#include <cassert>

namespace mlir::dsv2::formation {

/// The packer's recipe of a weight value (tools/dsv2c/WeightPacking.h).
static std::string recipeOf(Value value) {
  std::string source;
  if (auto op = value.getDefiningOp<WeightOp>()) {
    source = (op.isStackedExperts() ? "stacked:" : "tensor:") +
             op.getReference().str();
  } else if (auto split = value.getDefiningOp<SplitKvBOp>()) {
    auto kvB = split.getKvBProj().getDefiningOp<WeightOp>();
    int64_t heads = split.getHeads();
    int64_t nope = shapeOf(split.getWUk())[1], v = shapeOf(split.getWUv())[1];
    std::string kvName = kvB ? kvB.getReference().str() : "?";
    source = llvm::formatv("{0}:{1}:{2}:{3}:{4}",
                           value == split.getWUk() ? "w_uk_t" : "w_uv", kvName,
                           heads, nope, v)
                 .str();
  } else {
    source = "unknown";
  }
  return source;
}

int32_t Planner::weight(Value value) {
  auto it = weights.find(value);
  if (it != weights.end())
    return it->second;
  auto type = cast<RankedTensorType>(value.getType());
  std::string source = recipeOf(value);
  int32_t buffer = addBuffer(source, rt::BufferRole::Weight,
                             elementTypeOf(type.getElementType()),
                             StepExpr::of(type.getNumElements()), source);
  plan.buffers[buffer].shape.assign(type.getShape().begin(),
                                    type.getShape().end());
  weights[value] = buffer;
  return buffer;
}

int32_t Planner::derivedWeight(const std::string &recipe,
                               ArrayRef<int64_t> shape, Type elementType) {
  auto it = derived.find(recipe);
  if (it != derived.end())
    return it->second;
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  int32_t buffer = addBuffer(recipe, rt::BufferRole::Weight,
                             elementTypeOf(elementType), StepExpr::of(count),
                             recipe);
  plan.buffers[buffer].shape.assign(shape.begin(), shape.end());
  derived[recipe] = buffer;
  return buffer;
}

/// The checkpoint tensor name `recipe` reads ("tensor:REF" or
/// "stacked:REF"), or "" for a derived recipe (kv_b's key and value rows),
/// which keeps the engine's dtype.
static std::string checkpointNameOf(llvm::StringRef recipe) {
  auto [kind, reference] = recipe.split(':');
  if (kind != "tensor" && kind != "stacked")
    return "";
  auto parsed = WeightReference::parse(reference);
  if (!parsed) {
    llvm::consumeError(parsed.takeError());
    return "";
  }
  return parsed->name;
}

/// Whether --quantize stores the checkpoint weight `recipe` reads in int8.
static bool readsInt8Weight(llvm::StringRef recipe,
                            const KernelFormationOptions &options) {
  std::string name = checkpointNameOf(recipe);
  return !name.empty() &&
         isInt8QuantizedWeight(name, options.weightQuantization,
                               options.keepWeights);
}

/// Whether --quantize stores the checkpoint weight `recipe` reads in int4.
static bool readsInt4Weight(llvm::StringRef recipe,
                            const KernelFormationOptions &options) {
  std::string name = checkpointNameOf(recipe);
  return !name.empty() &&
         isInt4QuantizedWeight(name, options.weightQuantization,
                               options.keepWeights);
}

LinearWeight Planner::panelWeight(const std::string &recipe,
                                  ArrayRef<int64_t> shape, Type elementType) {
  assert((shape.size() == 2 || shape.size() == 3) && "[N, K] or [E, N, K]");
  if (readsInt4Weight(recipe, options))
    return int4PanelWeight(recipe, shape, elementType);
  const bool int8 = readsInt8Weight(recipe, options);
  Type stored = int8 ? IntegerType::get(elementType.getContext(), 8)
                     : elementType;
  std::string panels =
      llvm::formatv("panels:{0}:{1}", rt::kWeightPanelColumns, recipe).str();
  std::string scales =
      llvm::formatv("scales:{0}:{1}", rt::kWeightPanelColumns, recipe).str();
  auto it = derived.find(panels);
  if (it != derived.end())
    return {it->second, int8 ? derived.lookup(scales) : -1, stored};
  const int64_t matrices = shape.size() == 3 ? shape.front() : 1;
  const int64_t n = shape[shape.size() - 2];
  const int64_t elements = matrices * rt::panelElements(n, shape.back());
  int32_t buffer =
      addBuffer(panels, rt::BufferRole::Weight, elementTypeOf(stored),
                StepExpr::of(elements), panels);
  plan.buffers[buffer].shape.assign(shape.begin(), shape.end());
  derived[panels] = buffer;
  if (!int8)
    return {buffer, -1, stored};
  const int64_t paddedRows = rt::panelElements(n, 1);
  int32_t scaleBuffer =
      addBuffer(scales, rt::BufferRole::Weight, rt::ElementType::F32,
                StepExpr::of(matrices * paddedRows), scales);
  plan.buffers[scaleBuffer].shape.assign(shape.begin(), shape.end());
  derived[scales] = scaleBuffer;
  return {buffer, scaleBuffer, stored};
}

LinearWeight Planner::int4PanelWeight(const std::string &recipe,
                                      ArrayRef<int64_t> shape,
                                      Type elementType) {
  Type i8 = IntegerType::get(elementType.getContext(), 8);
  const auto [matrices, n, k, group] = Int4Dims::of(shape);
  if (group == 0)
    return {-1, -1, i8, -1};
  std::string bytes = llvm::formatv("int4_panels:{0}:{1}:{2}",
                                    rt::kWeightPanelColumns, group, recipe)
                          .str();
  std::string scales = llvm::formatv("int4_scales:{0}:{1}:{2}",
                                     rt::kWeightPanelColumns, group, recipe)
                           .str();
  auto it = derived.find(bytes);
  if (it != derived.end())
    return {it->second, derived.lookup(scales), i8, group};
  int32_t buffer = addBuffer(
      bytes, rt::BufferRole::Weight, rt::ElementType::I8,
      StepExpr::of(matrices * rt::int4PanelBytes(n, k)), bytes);
  plan.buffers[buffer].shape.assign(shape.begin(), shape.end());
  derived[bytes] = buffer;
  int32_t scaleBuffer = addBuffer(
      scales, rt::BufferRole::Weight, rt::ElementType::F32,
      StepExpr::of(matrices * rt::int4PanelScales(n, k, group)), scales);
  plan.buffers[scaleBuffer].shape.assign(shape.begin(), shape.end());
  derived[scales] = scaleBuffer;
  return {buffer, scaleBuffer, i8, group};
}

LinearWeight Planner::int4RowWeight(const std::string &recipe,
                                    ArrayRef<int64_t> shape, Type elementType) {
  Type i8 = IntegerType::get(elementType.getContext(), 8);
  const auto [matrices, n, k, group] = Int4Dims::of(shape);
  if (group == 0)
    return {-1, -1, i8, -1};
  const std::string g = std::to_string(group);
  int32_t bytes =
      derivedWeight("int4_rows:" + g + ":" + recipe, {matrices, n, k / 2}, i8);
  int32_t scales = derivedWeight("int4_row_scales:" + g + ":" + recipe,
                                 {matrices, n, k / group},
                                 Float32Type::get(elementType.getContext()));
  // The packer reads the weight's shape ([E,] N, K), not the buffers'.
  plan.buffers[bytes].shape.assign(shape.begin(), shape.end());
  plan.buffers[scales].shape.assign(shape.begin(), shape.end());
  return {bytes, scales, i8, group};
}

LinearWeight Planner::rowWeight(const std::string &recipe,
                                ArrayRef<int64_t> shape, Type elementType) {
  if (readsInt4Weight(recipe, options))
    return int4RowWeight(recipe, shape, elementType);
  if (!readsInt8Weight(recipe, options))
    return {derivedWeight(recipe, shape, elementType), -1, elementType};
  Type i8 = IntegerType::get(elementType.getContext(), 8);
  const int64_t matrices = shape.size() == 3 ? shape.front() : 1;
  int32_t values = derivedWeight("int8_rows:" + recipe, shape, i8);
  int32_t scales =
      derivedWeight("row_scales:" + recipe, {matrices, shape[shape.size() - 2]},
                    Float32Type::get(elementType.getContext()));
  // The scales' packer reads the weight's shape ([E,] N, K), not its own.
  plan.buffers[scales].shape.assign(shape.begin(), shape.end());
  return {values, scales, i8};
}

LinearWeight Planner::linearWeight(const std::string &recipe, int64_t n,
                                   int64_t k, Type elementType) {
  if (options.gpuTiles)
    return rowWeight(recipe, {n, k}, elementType);
  return panelWeight(recipe, {n, k}, elementType);
}

LinearWeight Planner::linearWeight(Value w) {
  if (options.gpuTiles) {
    if (readsInt8Weight(recipeOf(w), options) ||
        readsInt4Weight(recipeOf(w), options))
      return rowWeight(recipeOf(w), shapeOf(w), elementOf(w));
    return {weight(w), -1, elementOf(w)};
  }
  return panelWeight(recipeOf(w), shapeOf(w), elementOf(w));
}

int32_t Planner::ropeFrequencies(RopeAttr rope, double &cosSinScale) {
  const ::dsv2::reference::RopeParams params = ropeParamsOf(rope);
  cosSinScale = ::dsv2::reference::ropeCosSinScale(params);
  auto it = frequencies.find(rope);
  if (it != frequencies.end())
    return it->second;
  std::vector<double> invFreq = ::dsv2::reference::ropeInverseFrequencies(params);
  int32_t buffer = addBuffer("rope.inv_freq", rt::BufferRole::Weight,
                             rt::ElementType::F32,
                             StepExpr::of(static_cast<int64_t>(invFreq.size())),
                             "constant");
  plan.buffers[buffer].constantData.assign(invFreq.begin(), invFreq.end());
  frequencies[rope] = buffer;
  return buffer;
}

} // namespace mlir::dsv2::formation
