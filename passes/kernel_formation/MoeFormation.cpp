//===- MoeFormation.cpp - Kernels of dsv2.moe_fused -----------------------===//

#include "passes/kernel_formation/Planner.h"

#include "passes/kernel_formation/TileHeuristics.h"
#include "runtime/io/WeightPanels.h"

#include "llvm/Support/FormatVariadic.h"

#include <cassert>

namespace mlir::dsv2::formation {

LogicalResult Planner::checkGateUpTypes(const LinearWeight &gate,
                                        const LinearWeight &up) {
  if (gate.type == up.type && gate.int4Group == up.int4Group)
    return success();
  error = "the routed experts' gate_proj and up_proj weights must share "
          "an element type (" +
          typeText(gate.type) + (gate.isInt4() ? " (int4)" : "") + " and " +
          typeText(up.type) + (up.isInt4() ? " (int4)" : "") + ")";
  return failure();
}

LogicalResult Planner::checkInt4(const LinearWeight &w, int64_t k) {
  if (w.int4Group == 0)
    return success();
  if (w.int4Group < 0) {
    error = "int4 weights need rows of an even length (two inputs share a "
            "byte); the routed experts' rows have " +
            std::to_string(k) + " inputs";
    return failure();
  }
  return success();
}

LogicalResult Planner::formMoe(rt::StepProgram &program, MoeFusedOp op,
                               bool decode) {
  Activation x = values.lookup(op.getInput());
  Operation *origin = op;
  const StepExpr tokens = StepExpr::tokens();
  ArrayRef<int64_t> gateShape = shapeOf(op.getGateProj());
  // `experts` held here; the router scores `routerExperts` (more with
  // expert parallelism: moe_route marks the others -1).
  const int64_t experts = gateShape[0], inter = gateShape[1];
  const int64_t routerExperts = shapeOf(op.getGateWeight())[0];
  const int64_t firstExpert = op.getFirstExpert().value_or(0);
  const int64_t hidden = x.width, topK = op.getTopK();
  const int64_t block = kMoeBlockRows;
  if (static_cast<int64_t>(op.getBlockSize()) != block) {
    error = llvm::formatv("the CPU kernels group MoE rows in blocks of {0}; "
                          "the fused op asks for {1} (run "
                          "dsv2-moe-routing-dispatch-fusion{{block-size={0}})",
                          block, op.getBlockSize())
                .str();
    return failure();
  }
  // Router logits in f32, then softmax + (group-limited) top-k per token.
  auto logits = linear(program, x, op.getGateWeight(), tokens, origin);
  if (failed(logits))
    return failure();
  Activation routeWeights = scratch("route_weights", topK);
  Activation routeIndices =
      scratch("route_indices", topK, tokens, rt::ElementType::I32);
  KernelParams route{
      {"E", std::to_string(routerExperts)},
      {"EB", std::to_string(nextPowerOfTwo(routerExperts))},
      {"FIRST", std::to_string(firstExpert)},
      {"LOCAL", std::to_string(experts)},
      {"K", std::to_string(topK)},
      {"NG", std::to_string(op.getNGroup())},
      {"TG", std::to_string(op.getTopkGroup())},
      {"GREEDY", op.getMethod() == TopkMethod::greedy ? "1" : "0"},
      {"NORM", op.getNormTopkProb() ? "1" : "0"},
      {"SCALE", floatText(op.getRoutedScalingFactor().convertToDouble())}};
  if (failed(launch(program, "moe_route", route, tokens, StepExpr::of(1),
                    StepExpr::of(1),
                    {logits->arg(), routeWeights.arg(), routeIndices.arg()},
                    origin)))
    return failure();

  if (decode)
    return formMoeDecode(program, op, x, routeWeights, routeIndices);

  // Dispatch plan: rows grouped by expert, padded to the block.
  StepExpr rows{experts * (block - 1), topK, 0, 1};
  Activation offsets =
      scratch("moe_offsets", experts + 1, StepExpr::of(1), rt::ElementType::I32);
  Activation rowToken = scratch("moe_row_token", 1, rows, rt::ElementType::I32);
  Activation rowWeight = scratch("moe_row_weight", 1, rows);
  Activation tokenRow =
      scratch("moe_token_row", topK, tokens, rt::ElementType::I32);
  KernelParams planParams{{"E", std::to_string(experts)},
                          {"K", std::to_string(topK)},
                          {"BLOCK", std::to_string(block)}};
  if (failed(launch(program, "moe_plan", planParams, StepExpr::of(1),
                    StepExpr::of(1), StepExpr::of(1),
                    {routeIndices.arg(), routeWeights.arg(),
                     KernelArg::ofInt(tokens), offsets.arg(), rowToken.arg(),
                     rowWeight.arg(), tokenRow.arg()},
                    origin)))
    return failure();

  // Grouped GEMMs over the dispatched rows. GPUs run `block`-row tile.dot
  // programs; CPUs the panel forms over the experts' weight panels, whose
  // 4-row (int16 forms: 8-row) programs divide `block` (so stay inside one
  // expert) and skip blocks of padding rows. Int8 experts with int16
  // activations quantize the rows once and multiply in integers
  // (grouped_*_panel_i16).
  const bool panels = !options.gpuTiles;
  const LinearWeight gateW = linearWeight(op.getGateProj());
  const LinearWeight upW = linearWeight(op.getUpProj());
  if (failed(checkGateUpTypes(gateW, upW)))
    return failure();
  const LinearWeight downW = linearWeight(op.getDownProj());
  if (failed(checkInt4(gateW, hidden)) || failed(checkInt4(upW, hidden)) ||
      failed(checkInt4(downW, inter)))
    return failure();
  // Int8 and int4 experts with int16 activations multiply in integers
  // (grouped_*_panel_i16 / _i4_i16; int4 sums flushed per group).
  const bool int16Up =
      panels && options.int16Activations && gateW.type.isInteger(8);
  const bool int16Down =
      panels && options.int16Activations && downW.type.isInteger(8);
  const int64_t floatRows = choosePanelGroupedRows(options.cpuVectorBits);
  auto cpuTiles = [&](bool int16, bool int4) {
    return GemmTiles{int16  ? kPanelGroupedRowsInt16
                     : int4 ? kPanelGroupedRowsInt4
                            : floatRows,
                     rt::kWeightPanelColumns, 1};
  };
  GemmTiles upTiles = panels ? cpuTiles(int16Up, gateW.isInt4())
                             : chooseGemmTiles(inter, hidden, /*gpu=*/true);
  GemmTiles downTiles = panels ? cpuTiles(int16Down, downW.isInt4())
                               : chooseGemmTiles(hidden, inter, /*gpu=*/true);
  const int64_t upRows = panels ? upTiles.bm : block;
  const int64_t downRows = panels ? downTiles.bm : block;
  assert(block % upRows == 0 && block % downRows == 0 &&
         "a grouped-GEMM program must not straddle two experts");
  Activation hiddenRows = scratch("moe_hidden", inter, rows);
  KernelParams gateUp{{"W", typeText(gateW.type)},
                      {"E", std::to_string(experts)},
                      {"H", std::to_string(hidden)},
                      {"I", std::to_string(inter)},
                      {"BM", std::to_string(upRows)},
                      {"BN", std::to_string(upTiles.bn)}};
  if (panels)
    gateUp["GROUP"] = std::to_string(kPanelGroup);
  else
    gateUp["BK"] = std::to_string(upTiles.bk);
  auto gateUpInput = activationArgs(program, int16Up, x.arg(), x.stride,
                                    hidden, StepExpr::tokens(), gateUp, origin);
  if (failed(gateUpInput))
    return failure();
  // Int4 experts: GPU steps of BK bytes (2 * BK inputs) inside a group.
  if (gateW.isInt4())
    setInt4Params(gateUp, gateW.int4Group, panels ? 0 : upTiles.bk / 2);
  std::vector<KernelArg> gateUpArgs = std::move(*gateUpInput);
  gateUpArgs.insert(gateUpArgs.end(), {rowToken.arg(), offsets.arg()});
  gateW.appendTo(gateUpArgs);
  upW.appendTo(gateUpArgs);
  gateUpArgs.insert(gateUpArgs.end(), {hiddenRows.arg(), KernelArg::ofInt(rows)});
  if (failed(launch(program,
                    gateW.isInt4()
                        ? (int16Up  ? "grouped_gate_up_panel_i4_i16"
                           : panels ? "grouped_gate_up_panel_i4"
                                    : "grouped_gate_up_i4")
                    : int16Up ? "grouped_gate_up_panel_i16"
                    : panels  ? "grouped_gate_up_panel"
                              : "grouped_gate_up",
                    gateUp, rows.ceilDiv(upRows),
                    StepExpr::of((inter + upTiles.bn - 1) / upTiles.bn),
                    StepExpr::of(1), std::move(gateUpArgs), origin)))
    return failure();
  Activation expertOut = scratch("moe_expert_out", hidden, rows);
  KernelParams down{{"W", typeText(downW.type)},
                    {"E", std::to_string(experts)},
                    {"H", std::to_string(hidden)},
                    {"I", std::to_string(inter)},
                    {"BM", std::to_string(downRows)},
                    {"BN", std::to_string(downTiles.bn)}};
  if (panels)
    down["GROUP"] = std::to_string(kPanelGroup);
  else
    down["BK"] = std::to_string(downTiles.bk);
  auto downInput = activationArgs(program, int16Down, hiddenRows.arg(),
                                  hiddenRows.stride, inter, rows, down, origin);
  if (failed(downInput))
    return failure();
  if (downW.isInt4())
    setInt4Params(down, downW.int4Group, panels ? 0 : downTiles.bk / 2);
  std::vector<KernelArg> downArgs = std::move(*downInput);
  if (panels)
    downArgs.push_back(rowToken.arg());
  downArgs.push_back(offsets.arg());
  downW.appendTo(downArgs);
  downArgs.insert(downArgs.end(), {expertOut.arg(), KernelArg::ofInt(rows)});
  // grouped_down_panel, _i16 and _i4_i16 own two panels per program (two
  // weight streams).
  const bool pairedPanels = panels && (!downW.isInt4() || int16Down);
  const int64_t downColumns =
      downTiles.bn * (pairedPanels ? kPanelGroupedDownPanels : 1);
  if (failed(launch(program,
                    downW.isInt4()
                        ? (int16Down ? "grouped_down_panel_i4_i16"
                           : panels  ? "grouped_down_panel_i4"
                                     : "grouped_down_i4")
                    : int16Down ? "grouped_down_panel_i16"
                    : panels    ? "grouped_down_panel"
                                : "grouped_down",
                    down, rows.ceilDiv(downRows),
                    StepExpr::of((hidden + downColumns - 1) / downColumns),
                    StepExpr::of(1), std::move(downArgs), origin)))
    return failure();

  // Shared experts alongside, then the weighted combine.
  Activation shared = expertOut;
  bool hasShared = static_cast<bool>(op.getSharedGateProj());
  if (hasShared) {
    auto sharedOut =
        gatedMlp(program, x, op.getSharedGateProj(), op.getSharedUpProj(),
                 op.getSharedDownProj(), origin);
    if (failed(sharedOut))
      return failure();
    shared = *sharedOut;
  }
  Activation out = scratch("moe_out", hidden);
  int64_t combineBlock = chooseRowBlock(std::min<int64_t>(hidden, 1024));
  KernelParams combine{{"H", std::to_string(hidden)},
                       {"K", std::to_string(topK)},
                       {"BLOCK", std::to_string(combineBlock)},
                       {"HAS_SHARED", hasShared ? "1" : "0"}};
  if (failed(launch(program, "moe_combine", combine, tokens,
                    StepExpr::of((hidden + combineBlock - 1) / combineBlock),
                    StepExpr::of(1),
                    {expertOut.arg(), tokenRow.arg(), rowWeight.arg(),
                     shared.arg(), out.arg()},
                    origin)))
    return failure();
  values[op.getResult()] = out;
  return success();
}

/// Decode (T = 1): matrix-vector products over the top-k routed experts
/// only, no dispatch plan; the down projection sums the weighted experts and
/// the shared experts' output (computed first).
LogicalResult Planner::formMoeDecode(rt::StepProgram &program, MoeFusedOp op,
                                     Activation x, Activation routeWeights,
                                     Activation routeIndices) {
  Operation *origin = op;
  const StepExpr tokens = StepExpr::tokens();
  ArrayRef<int64_t> gateShape = shapeOf(op.getGateProj());
  const int64_t experts = gateShape[0], inter = gateShape[1];
  const int64_t hidden = x.width, topK = op.getTopK();

  // CPUs read the experts' weight panels (panel GEMVs), GPUs [N, K] rows.
  const bool panels = !options.gpuTiles;
  GemvTiles upTiles = panels ? GemvTiles{rt::kWeightPanelColumns,
                                         kPanelExpertGateUpSteps}
                             : chooseGemvTiles(inter, hidden, options.gpuTiles);
  Activation hiddenRows = scratch("moe_hidden", inter, StepExpr::tokens(topK));
  const LinearWeight gateW = linearWeight(op.getGateProj());
  const LinearWeight upW = linearWeight(op.getUpProj());
  if (failed(checkGateUpTypes(gateW, upW)) ||
      failed(checkInt4(gateW, hidden)) || failed(checkInt4(upW, hidden)))
    return failure();
  if (!panels && gateW.isInt4())
    upTiles.bn = std::min(kGpuInt4GemvRows, nextPowerOfTwo(inter));
  KernelParams gateUp{{"W", typeText(gateW.type)},
                      {"E", std::to_string(experts)},
                      {"H", std::to_string(hidden)},
                      {"I", std::to_string(inter)},
                      {"K", std::to_string(topK)},
                      {"BN", std::to_string(upTiles.bn)},
                      {"BK", std::to_string(upTiles.bk)}};
  // Int4 experts: BK byte rows (CPU panels) or BK bytes of each row (GPU),
  // 2 * BK inputs, per step inside a group.
  if (gateW.isInt4())
    setInt4Params(gateUp, gateW.int4Group,
                  panels ? kPanelInt4GateUpSteps : upTiles.bk / 2);
  // Int8 experts with int16 activations: the tokens' rows quantized once,
  // the products in integers (expert_gemv_*_panel_i16).
  const bool int16Up = panels && options.int16Activations &&
                       gateW.type.isInteger(8) && !gateW.isInt4();
  auto gateUpInput = activationArgs(program, int16Up, x.arg(), x.stride,
                                    hidden, tokens, gateUp, origin);
  if (failed(gateUpInput))
    return failure();
  std::vector<KernelArg> gateUpArgs = std::move(*gateUpInput);
  gateUpArgs.push_back(routeIndices.arg());
  gateW.appendTo(gateUpArgs);
  upW.appendTo(gateUpArgs);
  gateUpArgs.push_back(hiddenRows.arg());
  if (failed(launch(program,
                    int16Up          ? "expert_gemv_gate_up_panel_i16"
                    : gateW.isInt4() ? (panels ? "expert_gemv_gate_up_panel_i4"
                                               : "expert_gemv_gate_up_i4")
                    : panels         ? "expert_gemv_gate_up_panel"
                                     : "expert_gemv_gate_up",
                    gateUp,
                    StepExpr::of((inter + upTiles.bn - 1) / upTiles.bn),
                    StepExpr::of(topK), tokens, std::move(gateUpArgs),
                    origin)))
    return failure();

  Activation out = scratch("moe_out", hidden);
  Activation shared = out;
  bool hasShared = static_cast<bool>(op.getSharedGateProj());
  if (hasShared) {
    auto sharedOut =
        gatedMlp(program, x, op.getSharedGateProj(), op.getSharedUpProj(),
                 op.getSharedDownProj(), origin);
    if (failed(sharedOut))
      return failure();
    shared = *sharedOut;
  }
  GemvTiles downTiles =
      panels ? GemvTiles{rt::kWeightPanelColumns, kPanelGemvSteps}
             : chooseGemvTiles(hidden, inter, options.gpuTiles);
  const LinearWeight downW = linearWeight(op.getDownProj());
  if (failed(checkInt4(downW, inter)))
    return failure();
  if (!panels && downW.isInt4())
    downTiles.bn = std::min(kGpuInt4GemvRows, nextPowerOfTwo(hidden));
  const bool int16Down = panels && options.int16Activations &&
                         downW.type.isInteger(8) && !downW.isInt4();
  KernelParams down{{"W", typeText(downW.type)},
                    {"E", std::to_string(experts)},
                    {"H", std::to_string(hidden)},
                    {"I", std::to_string(inter)},
                    {"K", std::to_string(topK)},
                    {"BN", std::to_string(downTiles.bn)},
                    {"BK", std::to_string(downTiles.bk)},
                    {"HAS_SHARED", hasShared ? "1" : "0"}};
  if (downW.isInt4())
    setInt4Params(down, downW.int4Group,
                  panels ? kPanelInt4DownSteps : downTiles.bk / 2);
  auto downInput = activationArgs(program, int16Down, hiddenRows.arg(), inter,
                                  inter, StepExpr::tokens(topK), down, origin);
  if (failed(downInput))
    return failure();
  std::vector<KernelArg> downArgs = std::move(*downInput);
  downArgs.insert(downArgs.end(), {routeIndices.arg(), routeWeights.arg()});
  downW.appendTo(downArgs);
  downArgs.insert(downArgs.end(), {shared.arg(), out.arg()});
  if (failed(launch(program,
                    int16Down        ? "expert_gemv_down_panel_i16"
                    : downW.isInt4() ? (panels ? "expert_gemv_down_panel_i4"
                                               : "expert_gemv_down_i4")
                    : panels         ? "expert_gemv_down_panel"
                                     : "expert_gemv_down",
                    down,
                    StepExpr::of((hidden + downTiles.bn - 1) / downTiles.bn),
                    tokens, StepExpr::of(1), std::move(downArgs), origin)))
    return failure();
  values[op.getResult()] = out;
  return success();
}

} // namespace mlir::dsv2::formation
