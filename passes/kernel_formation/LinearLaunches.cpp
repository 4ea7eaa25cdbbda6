//===- LinearLaunches.cpp - Linears, norms and the gated MLP --------------===//

#include "passes/kernel_formation/Planner.h"

#include "passes/kernel_formation/TileHeuristics.h"
#include "runtime/io/WeightPanels.h"

namespace mlir::dsv2::formation {

FailureOr<Activation> Planner::linear(rt::StepProgram &program, Activation x,
                                      Value w, StepExpr m, Operation *origin,
                                      std::optional<Activation> out) {
  ArrayRef<int64_t> shape = shapeOf(w);
  int64_t n = shape[0], k = shape[1];
  Activation y = out ? *out : scratch("linear", n, m);
  // One row (a decode step's token, or the last row of a prefill): a
  // matrix-vector product streams W once.
  bool decodeRows = decodeProgram && !batchedDecode && m.perToken == 1 &&
                    m.perPast == 0 &&
                    m.constant == 0 && m.divisor == 1;
  bool oneRow = m.perToken == 0 && m.perPast == 0 && m.constant == 1;
  if (decodeRows || oneRow) {
    LogicalResult formed =
        options.gpuTiles
            ? gemv(program, x, linearWeight(w), n, k,
                   /*batch=*/1, /*xBatchStride=*/0, y, /*yBatchStride=*/0,
                   origin)
            : panelGemv(program, x, linearWeight(w), n, k, y, origin);
    if (failed(formed))
      return failure();
    return y;
  }
  if (failed(gemm(program, x.arg(), x.stride, linearWeight(w), n, k, y, m,
                  origin)))
    return failure();
  return y;
}

LogicalResult Planner::gemm(rt::StepProgram &program, KernelArg x,
                            int64_t xStride, const LinearWeight &w, int64_t n,
                            int64_t k, Activation y, StepExpr m,
                            Operation *origin) {
  if (w.type.isInteger(8) && options.int16Activations && !options.gpuTiles)
    return gemmInt16(program, x, xStride, w, n, k, y, m, origin);
  const PanelGemmTiles panels =
      choosePanelGemmTiles(options.cpuVectorBits, batchedDecode);
  GemmTiles tiles = options.gpuTiles
                        ? chooseGemmTiles(n, k, /*gpu=*/true)
                        : GemmTiles{panels.rows, rt::kWeightPanelColumns, 1};
  // A CPU program owns `panels.panels` neighbouring weight panels.
  const int64_t columns = tiles.bn * (options.gpuTiles ? 1 : panels.panels);
  KernelParams params{{"W", typeText(w.type)},
                      {"N", std::to_string(n)},
                      {"K", std::to_string(k)},
                      {"BM", std::to_string(tiles.bm)},
                      {"BN", std::to_string(tiles.bn)}};
  if (options.gpuTiles) {
    params["BK"] = std::to_string(tiles.bk);
  } else {
    params["P"] = std::to_string(panels.panels);
    params["GROUP"] = std::to_string(kPanelGroup);
  }
  std::vector<KernelArg> args{x};
  w.appendTo(args);
  args.insert(args.end(), {y.arg(), KernelArg::ofInt(m),
                           KernelArg::ofInt(StepExpr::of(xStride)),
                           KernelArg::ofInt(StepExpr::of(y.stride))});
  return launch(program, options.gpuTiles ? "linear" : "linear_panel",
                params, m.ceilDiv(tiles.bm),
                StepExpr::of((n + columns - 1) / columns), StepExpr::of(1),
                std::move(args), origin);
}

FailureOr<std::pair<Activation, Activation>>
Planner::quantizeRows(rt::StepProgram &program, KernelArg x, int64_t xStride,
                      int64_t k, StepExpr m, Operation *origin) {
  const int64_t pairs = (k + 1) / 2;
  Activation xq = scratch("x_int16", pairs, m, rt::ElementType::I32);
  Activation xs = scratch("x_int16_scale", 1, m);
  const int64_t block = std::min<int64_t>(chooseRowBlock(k), 256);
  KernelParams params{{"K", std::to_string(k)},
                      {"PAIRS", std::to_string(pairs)},
                      {"BLOCK", std::to_string(block)}};
  if (failed(launch(program, "quantize_rows_i16", params, m, StepExpr::of(1),
                    StepExpr::of(1),
                    {x, xq.arg(), xs.arg(),
                     KernelArg::ofInt(StepExpr::of(xStride))},
                    origin)))
    return failure();
  return std::make_pair(xq, xs);
}

FailureOr<std::vector<KernelArg>>
Planner::activationArgs(rt::StepProgram &program, bool int16, KernelArg x,
                        int64_t stride, int64_t k, StepExpr m,
                        KernelParams &params, Operation *origin) {
  if (!int16)
    return std::vector<KernelArg>{x};
  auto quantized = quantizeRows(program, x, stride, k, m, origin);
  if (failed(quantized))
    return failure();
  params.erase("W");
  params["CHUNK"] = std::to_string(kPairDotChunk);
  return std::vector<KernelArg>{quantized->first.arg(),
                                quantized->second.arg()};
}

LogicalResult Planner::gemmInt16(rt::StepProgram &program, KernelArg x,
                                 int64_t xStride, const LinearWeight &w,
                                 int64_t n, int64_t k, Activation y, StepExpr m,
                                 Operation *origin) {
  auto quantized = quantizeRows(program, x, xStride, k, m, origin);
  if (failed(quantized))
    return failure();
  const int64_t rows =
      batchedDecode ? kPanelDecodeBatchRows : kPanelGemmRowsInt16;
  const int64_t panels = choosePanelGemmPanelsInt16(options.cpuVectorBits);
  KernelParams params{{"N", std::to_string(n)},
                      {"K", std::to_string(k)},
                      {"BM", std::to_string(rows)},
                      {"BN", std::to_string(rt::kWeightPanelColumns)},
                      {"GROUP", std::to_string(kPanelGroup)},
                      {"CHUNK", std::to_string(kPairDotChunk)},
                      {"P", std::to_string(panels)}};
  std::vector<KernelArg> args{quantized->first.arg(),
                              quantized->second.arg()};
  w.appendTo(args);
  args.insert(args.end(), {y.arg(), KernelArg::ofInt(m),
                           KernelArg::ofInt(StepExpr::of(y.stride))});
  const int64_t programColumns = panels * rt::kWeightPanelColumns;
  return launch(program, "linear_panel_i16", params, m.ceilDiv(rows),
                StepExpr::of((n + programColumns - 1) / programColumns),
                StepExpr::of(1), std::move(args), origin);
}

LogicalResult Planner::panelGemv(rt::StepProgram &program, Activation x,
                                 const LinearWeight &w, int64_t n, int64_t k,
                                 Activation y, Operation *origin) {
  if (w.type.isInteger(8) && options.int16Activations)
    return panelGemvInt16(program, x, w, n, k, y, origin);
  KernelParams params{{"W", typeText(w.type)},
                      {"N", std::to_string(n)},
                      {"K", std::to_string(k)},
                      {"BN", std::to_string(rt::kWeightPanelColumns)},
                      {"P", std::to_string(kPanelGemvPanels)},
                      {"BK", std::to_string(kPanelGemvSteps)}};
  const int64_t span = kPanelGemvPanels * rt::kWeightPanelColumns;
  std::vector<KernelArg> args{x.arg()};
  w.appendTo(args);
  args.push_back(y.arg());
  return launch(program, "gemv_panel", params,
                StepExpr::of((n + span - 1) / span), StepExpr::of(1),
                StepExpr::of(1), std::move(args), origin);
}

LogicalResult Planner::panelGemvInt16(rt::StepProgram &program, Activation x,
                                      const LinearWeight &w, int64_t n,
                                      int64_t k, Activation y,
                                      Operation *origin) {
  auto quantized =
      quantizeRows(program, x.arg(), x.stride, k, StepExpr::of(1), origin);
  if (failed(quantized))
    return failure();
  KernelParams params{{"N", std::to_string(n)},
                      {"K", std::to_string(k)},
                      {"BN", std::to_string(rt::kWeightPanelColumns)},
                      {"P", std::to_string(kPanelGemvPanels)},
                      {"BK", std::to_string(kPanelGemvSteps)},
                      {"CHUNK", std::to_string(kPairDotChunk)}};
  const int64_t span = kPanelGemvPanels * rt::kWeightPanelColumns;
  std::vector<KernelArg> args{quantized->first.arg(),
                              quantized->second.arg()};
  w.appendTo(args);
  args.push_back(y.arg());
  return launch(program, "gemv_panel_i16", params,
                StepExpr::of((n + span - 1) / span), StepExpr::of(1),
                StepExpr::of(1), std::move(args), origin);
}

LogicalResult Planner::perHeadLinear(rt::StepProgram &program, bool decode,
                                     Activation x, Value w, int64_t n,
                                     int64_t k, int64_t batch,
                                     int64_t xRowStride, int64_t xBatchStride,
                                     Activation y, int64_t yRowStride,
                                     int64_t yBatchStride, Operation *origin) {
  if (decode && !batchedDecode)
    return gemv(program, x, LinearWeight{weight(w), -1, elementOf(w)}, n, k,
                batch, xBatchStride, y, yBatchStride, origin);
  const StepExpr tokens = StepExpr::tokens();
  GemmTiles tiles = chooseGemmTiles(n, k, options.gpuTiles);
  KernelParams params{{"W", typeText(elementOf(w))},
                      {"N", std::to_string(n)},
                      {"K", std::to_string(k)},
                      {"BATCH", std::to_string(batch)},
                      {"BM", std::to_string(tiles.bm)},
                      {"BN", std::to_string(tiles.bn)},
                      {"BK", std::to_string(tiles.bk)}};
  return launch(program, "batched_linear", params, tokens.ceilDiv(tiles.bm),
                StepExpr::of((n + tiles.bn - 1) / tiles.bn),
                StepExpr::of(batch),
                {x.arg(), KernelArg::ofBuffer(weight(w)), y.arg(),
                 KernelArg::ofInt(tokens),
                 KernelArg::ofInt(StepExpr::of(xRowStride)),
                 KernelArg::ofInt(StepExpr::of(xBatchStride)),
                 KernelArg::ofInt(StepExpr::of(yRowStride)),
                 KernelArg::ofInt(StepExpr::of(yBatchStride))},
                origin);
}

LogicalResult Planner::gemv(rt::StepProgram &program, Activation x,
                            const LinearWeight &w, int64_t n, int64_t k,
                            int64_t batch, int64_t xBatchStride, Activation y,
                            int64_t yBatchStride, Operation *origin) {
  GemvTiles tiles = chooseGemvTiles(n, k, options.gpuTiles);
  std::vector<KernelArg> args{x.arg()};
  w.appendTo(args);
  args.insert(args.end(), {y.arg(), KernelArg::ofInt(StepExpr::of(xBatchStride)),
                           KernelArg::ofInt(StepExpr::of(yBatchStride))});
  KernelParams params{{"W", typeText(w.type)},
                      {"N", std::to_string(n)},
                      {"K", std::to_string(k)},
                      {"BATCH", std::to_string(batch)},
                      {"BN", std::to_string(tiles.bn)},
                      {"BK", std::to_string(tiles.bk)}};
  return launch(program, "gemv", params,
                StepExpr::of((n + tiles.bn - 1) / tiles.bn),
                StepExpr::of(batch), StepExpr::of(1), std::move(args),
                origin);
}

LogicalResult Planner::rmsNorm(rt::StepProgram &program, Activation x, Value w,
                               double eps, Activation out, StepExpr rows,
                               Type outType, Operation *origin) {
  int64_t dim = shapeOf(w)[0];
  KernelParams params{{"W", typeText(elementOf(w))},
                      {"OUT", typeText(outType)},
                      {"DIM", std::to_string(dim)},
                      {"BLOCK", std::to_string(chooseRowBlock(dim))},
                      {"EPS", floatText(eps)}};
  return launch(program, "rms_norm", params, rows, StepExpr::of(1),
                StepExpr::of(1),
                {x.arg(), KernelArg::ofBuffer(weight(w)), out.arg(),
                 KernelArg::ofInt(StepExpr::of(x.stride)),
                 KernelArg::ofInt(StepExpr::of(out.stride))},
                origin);
}

LogicalResult Planner::siluMul(rt::StepProgram &program, Activation gate,
                               Activation up, Activation out,
                               Operation *origin) {
  int64_t block = chooseRowBlock(gate.width);
  KernelParams params{{"COLS", std::to_string(gate.width)},
                      {"BLOCK", std::to_string(block)}};
  return launch(program, "silu_mul", params, StepExpr::tokens(),
                StepExpr::of((gate.width + block - 1) / block),
                StepExpr::of(1),
                {gate.arg(), up.arg(), out.arg(),
                 KernelArg::ofInt(StepExpr::of(gate.stride)),
                 KernelArg::ofInt(StepExpr::of(up.stride)),
                 KernelArg::ofInt(StepExpr::of(out.stride))},
                origin);
}

FailureOr<Activation> Planner::gatedMlp(rt::StepProgram &program, Activation x,
                                        Value gate, Value up, Value down,
                                        Operation *origin) {
  auto g = linear(program, x, gate, StepExpr::tokens(), origin);
  auto u = succeeded(g) ? linear(program, x, up, StepExpr::tokens(), origin)
                        : FailureOr<Activation>(failure());
  if (failed(u))
    return failure();
  Activation a = scratch("silu_mul", g->width);
  if (failed(siluMul(program, *g, *u, a, origin)))
    return failure();
  return linear(program, a, down, StepExpr::tokens(), origin);
}

} // namespace mlir::dsv2::formation
