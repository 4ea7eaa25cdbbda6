//===- KernelFormation.cpp - dsv2 step -> tile kernels + launch plan -------===//
//
// Walks the optimized step function op by op. Each value of the step gets a
// buffer (an f32 activation [rows, width], row stride `stride`), and each op
// becomes one or more launches of catalog kernels. Both programs are formed:
// prefill (any T) and decode (T == 1), which differ only in the attention
// form the op's `absorb` policy asks for.
//
//===----------------------------------------------------------------------===//

#include "passes/kernel_formation/KernelFormation.h"

#include "codegen/kernels/KernelCatalog.h"
#include "dialect/dsv2/Dsv2Ops.h"
#include "dialect/dsv2/WeightQuantization.h"
#include "dialect/dsv2/reference/Rope.h"
#include "passes/kernel_formation/ScratchSharing.h"
#include "passes/kernel_formation/TileHeuristics.h"
#include "runtime/io/WeightPanels.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <cassert>
#include <cstdio>

namespace mlir::dsv2 {
namespace {

namespace rt = ::dsv2::runtime;
using rt::KernelArg;
using rt::StepExpr;

/// Rows of a step value, `stride` floats apart, the first `width` used.
struct Activation {
  int32_t buffer = -1;
  StepExpr offset;
  int64_t width = 0;
  int64_t stride = 0;
  /// `stride` when the rows are the step's tokens (a batched step moves a
  /// per-sequence launch's view to the sequence's rows); else 0.
  int64_t rowElements = 0;

  KernelArg arg() const {
    return KernelArg::ofBuffer(buffer, offset, rowElements);
  }
  Activation columns(int64_t first, int64_t count) const {
    Activation view = *this;
    view.offset.constant += first;
    view.width = count;
    return view;
  }
};

std::string floatText(double value) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.9e", value);
  return text;
}

rt::ElementType elementTypeOf(Type type) {
  if (type.isBF16())
    return rt::ElementType::BF16;
  if (type.isInteger(8))
    return rt::ElementType::I8;
  if (type.isF16())
    return rt::ElementType::F16;
  if (type.isInteger(32))
    return rt::ElementType::I32;
  return rt::ElementType::F32;
}

/// A kernel template's type parameter ("f32", "bf16", "i8", ...): the
/// engine's name of the element type, one mapping for both.
std::string typeText(Type type) {
  return rt::elementTypeName(elementTypeOf(type));
}

ArrayRef<int64_t> shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

Type elementOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getElementType();
}

/// The buffers a linear kernel reads W from: the weights and, for int8
/// weights (--quantize int8), their per-row scales; `type` is the kernels'
/// W parameter. Int4 weights (--quantize int4-experts, routed experts):
/// bytes of two int4 values (type i8; panels on CPUs, rows on GPUs) and the
/// scales of `int4Group`-input groups; int4Group is 0 for other weights and
/// -1 for an int4 weight without a layout (odd rows: checkInt4 refuses it).
struct LinearWeight {
  int32_t buffer = -1;
  int32_t scales = -1;
  Type type;
  int64_t int4Group = 0;

  bool isInt4() const { return int4Group > 0; }

  /// The kernel arguments of W: the weights, then the scales if any.
  void appendTo(std::vector<KernelArg> &args) const {
    args.push_back(KernelArg::ofBuffer(buffer));
    if (scales >= 0)
      args.push_back(KernelArg::ofBuffer(scales));
  }
};

/// An int4 weight's [E,] N, K (E = 1 for a matrix) and its input group
/// (int4GroupSize: 0 when K is odd).
struct Int4Dims {
  int64_t matrices, n, k, group;

  static Int4Dims of(ArrayRef<int64_t> shape) {
    const int64_t k = shape.back();
    return {shape.size() == 3 ? shape.front() : 1, shape[shape.size() - 2], k,
            int4GroupSize(k)};
  }
};

/// An int4 expert kernel's parameters: no W (the weights are int4 bytes) and
/// no CHUNK (integer sums flush once per group), the group G, and BK bytes
/// per step where `bk` is given (CPU decode kernels: panel byte rows; GPU
/// kernels: bytes of each weight row), at most G/2 so a step stays inside
/// one group.
void setInt4Params(KernelParams &params, int64_t group, int64_t bk = 0) {
  params.erase("W");
  params.erase("CHUNK");
  params["G"] = std::to_string(group);
  if (bk > 0)
    params["BK"] = std::to_string(std::min(bk, group / 2));
}

/// Forms one program; the planner owns buffers shared by both programs.
class Planner {
public:
  Planner(ModuleOp kernels, rt::LaunchPlan &plan,
          const KernelFormationOptions &options)
      : kernels(kernels), plan(plan), options(options) {}

  /// `lastRowLogits`: the lm_head of the last row only, into the plan's
  /// lastRowLogitsBuffer (a prefill for generation). `batched` (with
  /// `decode`): the decode program for one token of each of T sequences.
  LogicalResult formProgram(func::FuncOp step, rt::StepProgram &program,
                            bool decode, bool lastRowLogits = false,
                            bool batched = false);
  std::string error;

private:
  // --- buffers -----------------------------------------------------------
  int32_t addBuffer(std::string name, rt::BufferRole role,
                    rt::ElementType type, StepExpr elements,
                    std::string source = "") {
    rt::BufferSpec spec;
    spec.name = std::move(name);
    spec.role = role;
    spec.type = type;
    spec.elements = elements;
    spec.source = std::move(source);
    plan.buffers.push_back(std::move(spec));
    return static_cast<int32_t>(plan.buffers.size() - 1);
  }

  /// A step-local [T-like rows, width] f32 (or i32) buffer.
  Activation scratch(const std::string &name, int64_t width,
                     StepExpr rows = StepExpr::tokens(),
                     rt::ElementType type = rt::ElementType::F32) {
    StepExpr elements{rows.constant * width, rows.perToken * width,
                      rows.perPast * width, 1};
    Activation act;
    act.buffer = addBuffer(name + "#" + std::to_string(plan.buffers.size()),
                           rt::BufferRole::Scratch, type, elements);
    act.width = width;
    act.stride = width;
    const bool tokenRows = rows.constant == 0 && rows.perToken == 1 &&
                           rows.perPast == 0 && rows.divisor == 1;
    act.rowElements = tokenRows ? width : 0;
    return act;
  }

  int32_t weight(Value value);
  int32_t derivedWeight(const std::string &recipe, ArrayRef<int64_t> shape,
                        Type elementType);
  /// The buffer the linear kernels read W [n, k] (of `recipe`) from. CPU
  /// engines hold it in column panels (runtime/io/WeightPanels.h) for
  /// linear_panel and gemv_panel, and only there: a weight that only
  /// linears read is packed once, in panels. GPU engines keep [N, K].
  LinearWeight linearWeight(const std::string &recipe, int64_t n, int64_t k,
                            Type elementType);
  /// linearWeight of a weight value: [N, K], or stacked experts [E, N, K]
  /// (each expert in panels, for the *_panel expert kernels).
  LinearWeight linearWeight(Value w);
  /// Panels of `recipe`'s [N, K] or [E, N, K]; in int8 with per-row scales
  /// ("scales:16:RECIPE", [E,] ceil(N / 16) * 16 f32, padding zero) when
  /// --quantize int8 covers the checkpoint weight the recipe reads.
  LinearWeight panelWeight(const std::string &recipe, ArrayRef<int64_t> shape,
                           Type elementType);
  /// Int4 panels of `recipe`'s [N, K] or [E, N, K] ("int4_panels:16:G:RECIPE",
  /// [E,] ceil(N / 16) * 16 * K / 2 bytes) and their group scales
  /// ("int4_scales:16:G:RECIPE", [E,] ceil(N / 16) * 16 * K / G f32), G =
  /// int4GroupSize(K) (runtime/io/WeightPanels.h); int4Group -1 when K is
  /// odd.
  LinearWeight int4PanelWeight(const std::string &recipe,
                               ArrayRef<int64_t> shape, Type elementType);
  /// GPU engines' W: `recipe`'s [N, K] or [E, N, K] as it is; in int8
  /// ("int8_rows:RECIPE") with its rows' scales ("row_scales:RECIPE",
  /// [E,] N f32) when --quantize int8 covers the checkpoint weight; in int4
  /// rows when --quantize int4-experts does (int4RowWeight).
  LinearWeight rowWeight(const std::string &recipe, ArrayRef<int64_t> shape,
                         Type elementType);
  /// Int4 rows of `recipe`'s [E, N, K] ("int4_rows:G:RECIPE", [E, N, K / 2]
  /// bytes) and their group scales ("int4_row_scales:G:RECIPE",
  /// [E, N, K / G] f32), G = int4GroupSize(K); int4Group -1 when K is odd.
  LinearWeight int4RowWeight(const std::string &recipe,
                             ArrayRef<int64_t> shape, Type elementType);
  int32_t ropeFrequencies(RopeAttr rope, double &cosSinScale);

  // --- launches ----------------------------------------------------------
  LogicalResult launch(rt::StepProgram &program, StringRef kind,
                       const KernelParams &params, StepExpr gx, StepExpr gy,
                       StepExpr gz, std::vector<KernelArg> args,
                       Operation *origin) {
    std::string kernelError;
    FailureOr<func::FuncOp> kernel =
        instantiateKernel(kernels, kind, params, kernelError);
    if (failed(kernel)) {
      error = kernelError;
      return failure();
    }
    rt::Launch l;
    l.kernel = kernel->getSymName().str();
    l.grid[0] = gx;
    l.grid[1] = gy;
    l.grid[2] = gz;
    l.args = std::move(args);
    l.origin = origin ? origin->getName().getStringRef().str() : "";
    program.launches.push_back(std::move(l));
    return success();
  }

  /// A collective over the step's T rows of `src` into `dst` (both
  /// contiguous [T, width]); see rt::CollectiveKind for the argument layout.
  LogicalResult collective(rt::StepProgram &program, rt::CollectiveKind kind,
                           CollectiveGroup group, Activation src,
                           Activation dst, Operation *origin,
                           StepExpr rows = StepExpr::tokens()) {
    if (src.stride != src.width || dst.stride != dst.width) {
      error = "a collective needs contiguous rows";
      return failure();
    }
    rt::Launch l;
    l.collective = kind;
    l.group = group == CollectiveGroup::world ? rt::CollectiveGroup::World
                                              : rt::CollectiveGroup::Tensor;
    l.args = {src.arg(), dst.arg(), KernelArg::ofInt(rows),
              KernelArg::ofInt(StepExpr::of(src.width))};
    l.origin = origin->getName().getStringRef().str();
    program.launches.push_back(std::move(l));
    return success();
  }

  /// y[m, N] = x[m, K] @ W[N, K]^T into `out` (or a new activation).
  FailureOr<Activation> linear(rt::StepProgram &program, Activation x,
                               Value w, StepExpr m, Operation *origin,
                               std::optional<Activation> out = std::nullopt) {
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

  /// The GEMM of `linear`: y[m, N] = x[m, K] @ W[N, K]^T, x rows `xStride`
  /// floats apart, W the buffer of linearWeight. GPUs take `linear`
  /// (tile.dot on tensor cores); CPUs take `linear_panel` (outer products
  /// over W's column panels).
  LogicalResult gemm(rt::StepProgram &program, KernelArg x, int64_t xStride,
                     const LinearWeight &w, int64_t n, int64_t k, Activation y,
                     StepExpr m, Operation *origin) {
    if (w.type.isInteger(8) && options.int16Activations && !options.gpuTiles)
      return gemmInt16(program, x, xStride, w, n, k, y, m, origin);
    const int64_t panelRows =
        batchedDecode ? kPanelDecodeBatchRows : kPanelGemmRows;
    GemmTiles tiles = options.gpuTiles
                          ? chooseGemmTiles(n, k, /*gpu=*/true)
                          : GemmTiles{panelRows, rt::kWeightPanelColumns, 1};
    KernelParams params{{"W", typeText(w.type)},
                        {"N", std::to_string(n)},
                        {"K", std::to_string(k)},
                        {"BM", std::to_string(tiles.bm)},
                        {"BN", std::to_string(tiles.bn)}};
    if (options.gpuTiles)
      params["BK"] = std::to_string(tiles.bk);
    else
      params["GROUP"] = std::to_string(kPanelGroup);
    std::vector<KernelArg> args{x};
    w.appendTo(args);
    args.insert(args.end(), {y.arg(), KernelArg::ofInt(m),
                             KernelArg::ofInt(StepExpr::of(xStride)),
                             KernelArg::ofInt(StepExpr::of(y.stride))});
    return launch(program, options.gpuTiles ? "linear" : "linear_panel",
                  params, m.ceilDiv(tiles.bm),
                  StepExpr::of((n + tiles.bn - 1) / tiles.bn), StepExpr::of(1),
                  std::move(args), origin);
  }

  /// x's m rows as int16 pairs with one scale per row (quantize_rows_i16),
  /// the operands of the integer kernels of int8 weights.
  FailureOr<std::pair<Activation, Activation>>
  quantizeRows(rt::StepProgram &program, KernelArg x, int64_t xStride,
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

  /// The leading arguments of a kernel over x's m rows (k wide, `stride`
  /// apart): the rows, or for an int16 kernel the rows quantized (pairs,
  /// scales; quantizeRows), with `params`' weight type W replaced by the
  /// i32 flush interval CHUNK.
  FailureOr<std::vector<KernelArg>>
  activationArgs(rt::StepProgram &program, bool int16, KernelArg x,
                 int64_t stride, int64_t k, StepExpr m, KernelParams &params,
                 Operation *origin) {
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

  /// gemm of int8 W in integer arithmetic: quantizeRows, then
  /// linear_panel_i16.
  LogicalResult gemmInt16(rt::StepProgram &program, KernelArg x,
                          int64_t xStride, const LinearWeight &w, int64_t n,
                          int64_t k, Activation y, StepExpr m,
                          Operation *origin) {
    auto quantized = quantizeRows(program, x, xStride, k, m, origin);
    if (failed(quantized))
      return failure();
    const int64_t rows =
        batchedDecode ? kPanelDecodeBatchRows : kPanelGemmRowsInt16;
    KernelParams params{{"N", std::to_string(n)},
                        {"K", std::to_string(k)},
                        {"BM", std::to_string(rows)},
                        {"BN", std::to_string(rt::kWeightPanelColumns)},
                        {"GROUP", std::to_string(kPanelGroup)},
                        {"CHUNK", std::to_string(kPairDotChunk)}};
    std::vector<KernelArg> args{quantized->first.arg(),
                                quantized->second.arg()};
    w.appendTo(args);
    args.insert(args.end(), {y.arg(), KernelArg::ofInt(m),
                             KernelArg::ofInt(StepExpr::of(y.stride))});
    return launch(program, "linear_panel_i16", params, m.ceilDiv(rows),
                  StepExpr::of((n + rt::kWeightPanelColumns - 1) /
                               rt::kWeightPanelColumns),
                  StepExpr::of(1), std::move(args), origin);
  }

  /// One row's y[N] = W[N, K] @ x[K] on the CPU, W in column panels.
  LogicalResult panelGemv(rt::StepProgram &program, Activation x,
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

  /// panelGemv of int8 W in integer arithmetic: x's row quantized to int16
  /// pairs with one scale (quantize_rows_i16), then gemv_panel_i16.
  LogicalResult panelGemvInt16(rt::StepProgram &program, Activation x,
                               const LinearWeight &w, int64_t n, int64_t k,
                               Activation y, Operation *origin) {
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

  /// Single-token y_b[N] = W_b[N, K] @ x_b[K] for b < batch (W_b = W +
  /// b*N*K); x_b and y_b are `*BatchStride` floats apart.
  /// y[t, b, :N] = x[t, b, :K] @ w[b]^T for the `batch` matrices of `w`
  /// ([batch, N, K], e.g. W_UK / W_UV per head); x row t of batch b at
  /// t * xRowStride + b * xBatchStride, y likewise. Decode steps (one row)
  /// run it as a batched GEMV.
  LogicalResult perHeadLinear(rt::StepProgram &program, bool decode,
                              Activation x, Value w, int64_t n, int64_t k,
                              int64_t batch, int64_t xRowStride,
                              int64_t xBatchStride, Activation y,
                              int64_t yRowStride, int64_t yBatchStride,
                              Operation *origin) {
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

  LogicalResult gemv(rt::StepProgram &program, Activation x,
                     const LinearWeight &w, int64_t n, int64_t k, int64_t batch,
                     int64_t xBatchStride, Activation y, int64_t yBatchStride,
                     Operation *origin) {
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

  LogicalResult rmsNorm(rt::StepProgram &program, Activation x, Value w,
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

  LogicalResult siluMul(rt::StepProgram &program, Activation gate,
                        Activation up, Activation out, Operation *origin) {
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

  FailureOr<Activation> gatedMlp(rt::StepProgram &program, Activation x,
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

  /// The experts' gate/up kernels read both weights with one type.
  LogicalResult checkGateUpTypes(const LinearWeight &gate,
                                 const LinearWeight &up) {
    if (gate.type == up.type && gate.int4Group == up.int4Group)
      return success();
    error = "the routed experts' gate_proj and up_proj weights must share "
            "an element type (" +
            typeText(gate.type) + (gate.isInt4() ? " (int4)" : "") + " and " +
            typeText(up.type) + (up.isInt4() ? " (int4)" : "") + ")";
    return failure();
  }

  /// Int4 weights are the routed experts' (their kernels' int4 forms); rows
  /// of an odd length have no int4 layout.
  LogicalResult checkInt4(const LinearWeight &w, int64_t k) {
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

  LogicalResult formMla(rt::StepProgram &program, MlaAttentionOp op,
                        bool decode);
  LogicalResult formMoe(rt::StepProgram &program, MoeFusedOp op, bool decode);
  LogicalResult formMoeDecode(rt::StepProgram &program, MoeFusedOp op,
                              Activation x, Activation routeWeights,
                              Activation routeIndices);
  LogicalResult formOp(rt::StepProgram &program, Operation *op, bool decode);

  ModuleOp kernels;
  rt::LaunchPlan &plan;
  const KernelFormationOptions &options;
  llvm::DenseMap<Value, Activation> values;
  llvm::DenseMap<Value, int32_t> weights;
  llvm::DenseMap<Attribute, int32_t> frequencies;
  llvm::StringMap<int32_t> derived;
  llvm::DenseMap<int64_t, int32_t> caches;
  llvm::DenseSet<Operation *> fused;
  Type cacheType;
  /// Forming the decode program (every step has exactly one token).
  bool decodeProgram = false;
  /// Forming the batched decode program: one token of each of T sequences,
  /// so linears are GEMMs over the T rows instead of matrix-vector products.
  bool batchedDecode = false;
  bool lastRowLogitsProgram = false;
};

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
                                    ArrayRef<int64_t> shape,
                                    Type elementType) {
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
  ::dsv2::reference::RopeParams params;
  params.dim = rope.getDim();
  params.theta = rope.getTheta().convertToDouble();
  if (YarnAttr yarn = rope.getYarn()) {
    params.yarn = true;
    params.factor = yarn.getFactor().convertToDouble();
    params.originalMaxPosition = yarn.getOriginalMaxPosition();
    params.betaFast = yarn.getBetaFast().convertToDouble();
    params.betaSlow = yarn.getBetaSlow().convertToDouble();
    params.mscale = yarn.getMscale().convertToDouble();
    params.mscaleAllDim = yarn.getMscaleAllDim().convertToDouble();
  }
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

LogicalResult Planner::formMla(rt::StepProgram &program, MlaAttentionOp op,
                               bool decode) {
  auto latentType = dyn_cast<LatentKvCacheType>(op.getCache().getType());
  if (!latentType) {
    error = "kernel formation needs the latent KV cache (run "
            "dsv2-kv-latent-compression or dsv2-optimize first)";
    return failure();
  }
  const int64_t heads = op.getHeads(), c = op.getKvLoraRank();
  const int64_t p = op.getQkNopeHeadDim(), r = op.getQkRopeHeadDim();
  const int64_t v = op.getVHeadDim(), qk = p + r, row = c + r;
  const double eps = op.getRmsNormEps().convertToDouble();
  const double scale = op.getSoftmaxScale().convertToDouble();
  Activation x = values.lookup(op.getInput());
  Operation *origin = op;
  const StepExpr tokens = StepExpr::tokens();

  // The layer's latent cache: maxContext rows of [c | k_pe].
  int64_t layer = op.getLayer();
  if (!caches.count(layer))
    caches[layer] = addBuffer("cache.layer" + std::to_string(layer),
                              rt::BufferRole::Cache,
                              elementTypeOf(latentType.getElementType()),
                              StepExpr::of(options.maxContext * row));
  int32_t cache = caches[layer];
  Activation cacheRows{cache, {}, row, row};
  // The step's rows start at position P.
  Activation cacheStep = cacheRows;
  cacheStep.offset = StepExpr{0, 0, row, 1};

  // Query: q_b(RMSNorm(q_a(x))) or q_proj(x), [T, heads, nope | rope].
  FailureOr<Activation> q = failure();
  if (op.getQAProj()) {
    auto qa = linear(program, x, op.getQAProj(), tokens, origin);
    if (failed(qa))
      return failure();
    Activation qaNormed = scratch("q_a_norm", qa->width);
    if (failed(rmsNorm(program, *qa, op.getQANorm(), eps, qaNormed, tokens,
                       Float32Type::get(op.getContext()), origin)))
      return failure();
    q = linear(program, qaNormed, op.getQBProj(), tokens, origin);
  } else {
    q = linear(program, x, op.getQProj(), tokens, origin);
  }
  if (failed(q))
    return failure();

  // Latent: [c | k_pe] = kv_a(x); RMSNorm(c) and roped k_pe go to the cache.
  auto kva = linear(program, x, op.getKvAProj(), tokens, origin);
  if (failed(kva) ||
      failed(rmsNorm(program, *kva, op.getKvANorm(), eps, cacheStep, tokens,
                     latentType.getElementType(), origin)))
    return failure();
  double cosSinScale = 1.0;
  int32_t invFreq = ropeFrequencies(op.getRope(), cosSinScale);
  int64_t half = r / 2;
  auto ropeParams = [&](int64_t ropeHeads, int64_t offset) {
    return KernelParams{{"HEADS", std::to_string(ropeHeads)},
                        {"HALF", std::to_string(half)},
                        {"HALF_BLOCK", std::to_string(nextPowerOfTwo(half))},
                        {"OFFSET", std::to_string(offset)},
                        {"SCALE", floatText(cosSinScale)}};
  };
  if (failed(launch(program, "rope", ropeParams(1, c), tokens, StepExpr::of(1),
                    StepExpr::of(1),
                    {kva->arg(), KernelArg::ofBuffer(invFreq),
                     KernelArg::ofInt(StepExpr::of(row)),
                     KernelArg::ofInt(StepExpr::of(0)),
                     KernelArg::ofInt(StepExpr::past())},
                    origin)))
    return failure();
  KernelParams copyPe{{"SRC", "f32"},
                      {"DST", typeText(latentType.getElementType())},
                      {"COLS", std::to_string(r)},
                      {"BLOCK", std::to_string(nextPowerOfTwo(r))}};
  if (failed(launch(program, "copy_rows", copyPe, tokens, StepExpr::of(1),
                    StepExpr::of(1),
                    {kva->columns(c, r).arg(), cacheStep.columns(c, r).arg(),
                     KernelArg::ofInt(StepExpr::of(row)),
                     KernelArg::ofInt(StepExpr::of(row))},
                    origin)))
    return failure();
  if (failed(launch(program, "rope", ropeParams(heads, p), tokens,
                    StepExpr::of(heads), StepExpr::of(1),
                    {q->arg(), KernelArg::ofBuffer(invFreq),
                     KernelArg::ofInt(StepExpr::of(heads * qk)),
                     KernelArg::ofInt(StepExpr::of(qk)),
                     KernelArg::ofInt(StepExpr::past())},
                    origin)))
    return failure();

  bool absorbed = op.getAbsorb() == Absorption::always ||
                  (decode && op.getAbsorb() != Absorption::never);
  Activation attention = scratch("attention", heads * v);
  if (absorbed) {
    // q_lat = q_nope @ W_UK per head, next to q_pe: [T, heads, c | r].
    Activation qAbsorbed = scratch("q_absorbed", heads * row);
    if (failed(perHeadLinear(program, decode, *q, op.getWUk(), c, p, heads,
                             heads * qk, qk, qAbsorbed, heads * row, row,
                             origin)))
      return failure();
    KernelParams copyQPe{{"SRC", "f32"},
                         {"DST", "f32"},
                         {"COLS", std::to_string(r)},
                         {"BLOCK", std::to_string(nextPowerOfTwo(r))}};
    if (failed(launch(program, "copy_rows", copyQPe, StepExpr::tokens(heads),
                      StepExpr::of(1), StepExpr::of(1),
                      {q->columns(p, r).arg(), qAbsorbed.columns(c, r).arg(),
                       KernelArg::ofInt(StepExpr::of(qk)),
                       KernelArg::ofInt(StepExpr::of(row))},
                      origin)))
      return failure();
    Activation latentOut = scratch("latent_attention", heads * c);
    // One program per group of heads reads each cache block once for the
    // group (one per head when no group of 4 or 8 divides the heads). GPU
    // decode steps also split
    // the context over several programs when the groups alone would leave
    // most of the GPU idle.
    const int64_t group = chooseAttentionHeadGroup(heads);
    const int64_t splits =
        options.gpuTiles && decode
            ? chooseAttentionSplits(heads / group, options.maxContext)
            : 1;
    KernelParams la{{"CT", typeText(latentType.getElementType())},
                    {"C", std::to_string(c)},
                    {"R", std::to_string(r)},
                    {"CB", std::to_string(nextPowerOfTwo(c))},
                    {"RB", std::to_string(nextPowerOfTwo(r))},
                    {"BL", std::to_string(kAttentionKeyBlock)},
                    {"HEADS", std::to_string(heads)},
                    {"SCALE", floatText(scale)},
                    {"SPLITS", std::to_string(splits)}};
    if (group > 1) {
      la["HG"] = std::to_string(group);
      la["GROUPS"] = std::to_string(heads / group);
    }
    Activation records =
        splits > 1 ? scratch("attention_shares", heads * splits * (c + 2))
                   : latentOut;
    if (failed(launch(program,
                      group > 1 ? "latent_attention_grouped"
                                : "latent_attention",
                      la, tokens, StepExpr::of(heads / group),
                      StepExpr::of(splits),
                      {qAbsorbed.arg(), cacheRows.arg(), records.arg(),
                       KernelArg::ofInt(StepExpr::past())},
                      origin)))
      return failure();
    if (splits > 1) {
      KernelParams merge{{"C", std::to_string(c)},
                         {"CB", std::to_string(nextPowerOfTwo(c))},
                         {"HEADS", std::to_string(heads)},
                         {"SPLITS", std::to_string(splits)}};
      if (failed(launch(program, "latent_attention_combine", merge, tokens,
                        StepExpr::of(heads), StepExpr::of(1),
                        {records.arg(), latentOut.arg()}, origin)))
        return failure();
    }
    // o = o_lat @ W_UV^T per head.
    if (failed(perHeadLinear(program, decode, latentOut, op.getWUv(), v, c,
                             heads, heads * c, c, attention, heads * v, v,
                             origin)))
      return failure();
  } else {
    // Decompressed: k_nope and v for every cached position through kv_b.
    // kv_b split at packing into its key rows [heads*nope, C] and value
    // rows [heads*v, C], so k_nope and v come out head-major and contiguous.
    auto kvB = op.getKvBProj().getDefiningOp<WeightOp>();
    if (!kvB) {
      error = "kv_b_proj must be a checkpoint weight";
      return failure();
    }
    std::string kvSuffix = llvm::formatv("{0}:{1}:{2}:{3}",
                                         kvB.getReference().str(), heads, p, v)
                               .str();
    Type kvType = elementOf(op.getKvBProj());
    LinearWeight wk =
        linearWeight("kv_b_k:" + kvSuffix, heads * p, c, kvType);
    LinearWeight wv =
        linearWeight("kv_b_v:" + kvSuffix, heads * v, c, kvType);
    // The latent rows kv_b multiplies: the cache's own when it is f32; a
    // bf16 cache's (--kv-cache-dtype bf16) widened to f32 first (exact).
    Activation latentRows = cacheRows;
    if (!latentType.getElementType().isF32()) {
      latentRows = scratch("latent_rows", c, StepExpr::context());
      KernelParams widen{{"SRC", typeText(latentType.getElementType())},
                         {"DST", "f32"},
                         {"COLS", std::to_string(c)},
                         {"BLOCK", std::to_string(chooseRowBlock(c))}};
      if (failed(launch(program, "copy_rows", widen, StepExpr::context(),
                        StepExpr::of(1), StepExpr::of(1),
                        {cacheRows.arg(), latentRows.arg(),
                         KernelArg::ofInt(StepExpr::of(row)),
                         KernelArg::ofInt(StepExpr::of(c))},
                        origin)))
        return failure();
    }
    auto kvLinear = [&](const LinearWeight &w,
                        int64_t n) -> FailureOr<Activation> {
      Activation y = scratch("kv_b", n, StepExpr::context());
      if (failed(gemm(program, latentRows.arg(), latentRows.stride, w, n, c, y,
                      StepExpr::context(), origin)))
        return failure();
      return y;
    };
    auto kNope = kvLinear(wk, heads * p);
    auto vRows = succeeded(kNope) ? kvLinear(wv, heads * v)
                                   : FailureOr<Activation>(failure());
    if (failed(vRows))
      return failure();
    // GPUs: Q K^T with tile.dot; CPUs: in row-dot form (one query row's 8
    // keys x 8 lanes per step, 16 queries per program), like the GEMMs.
    const bool rowDot = !options.gpuTiles;
    const int64_t queries = rowDot ? kRowDotAttentionQueries : 8;
    KernelParams ca{{"CT", typeText(latentType.getElementType())},
                    {"HEADS", std::to_string(heads)},
                    {"P", std::to_string(p)},
                    {"R", std::to_string(r)},
                    {"V", std::to_string(v)},
                    {"C", std::to_string(c)},
                    {"VB", std::to_string(nextPowerOfTwo(v))},
                    {"BM", std::to_string(queries)},
                    {"SCALE", floatText(scale)}};
    if (rowDot) {
      ca["BL"] = std::to_string(kRowDotAttentionKeys);
      ca["DK"] = "8";
    } else {
      ca["PB"] = std::to_string(nextPowerOfTwo(p));
      ca["RB"] = std::to_string(nextPowerOfTwo(r));
      ca["BL"] = std::to_string(kAttentionKeyBlock);
    }
    if (failed(launch(program,
                      rowDot ? "causal_attention_rowdot" : "causal_attention",
                      ca, tokens.ceilDiv(queries),
                      StepExpr::of(heads), StepExpr::of(1),
                      {q->arg(), kNope->arg(), cacheRows.columns(c, r).arg(),
                       vRows->arg(), attention.arg(),
                       KernelArg::ofInt(StepExpr::past()),
                       KernelArg::ofInt(tokens)},
                      origin)))
      return failure();
  }
  auto out = linear(program, attention, op.getOProj(), tokens, origin);
  if (failed(out))
    return failure();
  values[op.getResult()] = *out;
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
  auto cpuTiles = [](bool int16, bool int4) {
    return GemmTiles{int16  ? kPanelGroupedRowsInt16
                     : int4 ? kPanelGroupedRowsInt4
                            : kPanelGroupedRows,
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
  if (failed(launch(program,
                    downW.isInt4()
                        ? (int16Down ? "grouped_down_panel_i4_i16"
                           : panels  ? "grouped_down_panel_i4"
                                     : "grouped_down_i4")
                    : int16Down ? "grouped_down_panel_i16"
                    : panels    ? "grouped_down_panel"
                                : "grouped_down",
                    down, rows.ceilDiv(downRows),
                    StepExpr::of((hidden + downTiles.bn - 1) / downTiles.bn),
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

LogicalResult Planner::formOp(rt::StepProgram &program, Operation *op,
                              bool decode) {
  if (fused.contains(op))
    return success();
  const StepExpr tokens = StepExpr::tokens();
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<WeightOp, SplitKvBOp>([](auto) { return success(); })
      .Case<EmbeddingOp>([&](EmbeddingOp op) {
        int64_t hidden = shapeOf(op.getTable())[1];
        int64_t block = chooseRowBlock(std::min<int64_t>(hidden, 1024));
        Activation out = scratch("embedding", hidden);
        values[op.getResult()] = out;
        KernelParams params{{"W", typeText(elementOf(op.getTable()))},
                            {"HIDDEN", std::to_string(hidden)},
                            {"BLOCK", std::to_string(block)}};
        return launch(program, "embedding", params, tokens,
                      StepExpr::of((hidden + block - 1) / block),
                      StepExpr::of(1),
                      {KernelArg::ofBuffer(plan.tokensBuffer),
                       KernelArg::ofBuffer(weight(op.getTable())), out.arg()},
                      op);
      })
      .Case<AddOp>([&](AddOp add) -> LogicalResult {
        // Residual adds feed the next RMSNorm: one add_rms_norm launch.
        RmsNormOp norm;
        for (Operation *user : add->getUsers())
          if (auto candidate = dyn_cast<RmsNormOp>(user))
            norm = candidate;
        if (!norm) {
          error = "kernel formation fuses every dsv2.add into the RMSNorm "
                  "that follows it; this add feeds none";
          return failure();
        }
        fused.insert(norm);
        int64_t dim = shapeOf(norm.getWeight())[0];
        Activation sum = scratch("residual", dim);
        Activation out = scratch("normed", dim);
        values[add.getResult()] = sum;
        values[norm.getResult()] = out;
        KernelParams params{{"W", typeText(elementOf(norm.getWeight()))},
                            {"DIM", std::to_string(dim)},
                            {"BLOCK", std::to_string(chooseRowBlock(dim))},
                            {"EPS", floatText(norm.getEpsilon().convertToDouble())}};
        return launch(program, "add_rms_norm", params, tokens, StepExpr::of(1),
                      StepExpr::of(1),
                      {values.lookup(add.getLhs()).arg(),
                       values.lookup(add.getRhs()).arg(),
                       KernelArg::ofBuffer(weight(norm.getWeight())), sum.arg(),
                       out.arg()},
                      add);
      })
      .Case<RmsNormOp>([&](RmsNormOp norm) {
        Activation x = values.lookup(norm.getInput());
        Activation out = scratch("normed", x.width);
        values[norm.getResult()] = out;
        return rmsNorm(program, x, norm.getWeight(),
                       norm.getEpsilon().convertToDouble(), out, tokens,
                       Float32Type::get(norm.getContext()), norm);
      })
      .Case<MlaAttentionOp>(
          [&](MlaAttentionOp op) { return formMla(program, op, decode); })
      .Case<MoeFusedOp>(
          [&](MoeFusedOp op) { return formMoe(program, op, decode); })
      .Case<MlpOp>([&](MlpOp op) -> LogicalResult {
        auto out = gatedMlp(program, values.lookup(op.getInput()),
                            op.getGateProj(), op.getUpProj(), op.getDownProj(),
                            op);
        if (failed(out))
          return failure();
        values[op.getResult()] = *out;
        return success();
      })
      .Case<LmHeadOp>([&](LmHeadOp op) -> LogicalResult {
        // A tensor-parallel rank's vocabulary slice goes to scratch first
        // (dsv2.all_gather fills the logits).
        int64_t vocab = shapeOf(op.getWeight())[0];
        Activation x = values.lookup(op.getInput());
        StepExpr rows = tokens;
        int32_t logitsBuffer = plan.logitsBuffer;
        if (lastRowLogitsProgram) {
          // Row T-1 only: offset + (T - 1) * stride.
          x.offset.constant -= x.stride;
          x.offset.perToken += x.stride;
          rows = StepExpr::of(1);
          logitsBuffer = plan.lastRowLogitsBuffer;
        }
        std::optional<Activation> logits;
        if (vocab == plan.vocabSize)
          logits = Activation{logitsBuffer, {}, vocab, vocab,
                              lastRowLogitsProgram ? 0 : vocab};
        auto out = linear(program, x, op.getWeight(), rows, op, logits);
        if (failed(out))
          return failure();
        values[op.getLogits()] = *out;
        return success();
      })
      .Case<AllReduceOp>([&](AllReduceOp op) -> LogicalResult {
        Activation x = values.lookup(op.getInput());
        Activation sum = scratch("all_reduce", x.width);
        values[op.getResult()] = sum;
        return collective(program, rt::CollectiveKind::AllReduceSum,
                          op.getGroup(), x, sum, op);
      })
      .Case<AllGatherOp>([&](AllGatherOp op) -> LogicalResult {
        Activation x = values.lookup(op.getInput());
        int64_t width = x.width * static_cast<int64_t>(op.getParts());
        // The logits: of every row, or of the last (lastRowLogitsProgram).
        bool logits = width == plan.vocabSize;
        bool lastRow = logits && lastRowLogitsProgram;
        int32_t logitsBuffer =
            lastRow ? plan.lastRowLogitsBuffer : plan.logitsBuffer;
        Activation gathered =
            logits ? Activation{logitsBuffer, {}, width, width,
                                lastRow ? 0 : width}
                   : scratch("all_gather", width);
        values[op.getResult()] = gathered;
        return collective(program, rt::CollectiveKind::AllGatherColumns,
                          op.getGroup(), x, gathered, op,
                          lastRow ? StepExpr::of(1) : StepExpr::tokens());
      })
      .Case<func::ReturnOp>([](auto) { return success(); })
      .Default([&](Operation *other) {
        error = "kernel formation does not handle " +
                other->getName().getStringRef().str() +
                " (it expects the output of dsv2-optimize)";
        return failure();
      });
}

LogicalResult Planner::formProgram(func::FuncOp step, rt::StepProgram &program,
                                   bool decode, bool lastRowLogits,
                                   bool batched) {
  values.clear();
  lastRowLogitsProgram = lastRowLogits;
  fused.clear();
  decodeProgram = decode;
  batchedDecode = decode && batched;
  for (Operation &op : step.getBody().front())
    if (failed(formOp(program, &op, decode))) {
      if (error.find("at ") == std::string::npos)
        error = llvm::formatv("{0} (at {1})", error,
                              op.getName().getStringRef())
                    .str();
      return failure();
    }
  return success();
}

} // namespace

FailureOr<FormedKernels> formKernels(ModuleOp module,
                                     const KernelFormationOptions &options,
                                     std::string &error) {
  auto step = module.lookupSymbol<func::FuncOp>("step");
  if (!step || step.getNumArguments() != 3) {
    error = "kernel formation needs func.func @step(tokens, start, cache)";
    return failure();
  }
  auto logitsType = cast<RankedTensorType>(step.getFunctionType().getResult(0));
  FormedKernels formed;
  formed.kernels = ModuleOp::create(module.getLoc());
  rt::LaunchPlan &plan = formed.plan;
  plan.vocabSize = logitsType.getDimSize(1);
  plan.maxContext = options.maxContext;
  // A rank of a parallel engine (dsv2-shard); absent: a single rank.
  auto layoutValue = [&](llvm::StringRef name) -> int32_t {
    auto attr = module->getAttrOfType<IntegerAttr>(name);
    return attr ? static_cast<int32_t>(attr.getInt()) : -1;
  };
  if (layoutValue("dsv2.rank") >= 0) {
    plan.rank = layoutValue("dsv2.rank");
    plan.tensorParallel = layoutValue("dsv2.tensor_parallel");
    plan.expertParallel = layoutValue("dsv2.expert_parallel");
  }

  Planner planner(*formed.kernels, plan, options);
  plan.tokensBuffer = static_cast<int32_t>(plan.buffers.size());
  plan.buffers.push_back({"tokens", rt::BufferRole::Tokens, rt::ElementType::I32,
                          StepExpr::tokens(), "", {}, {}});
  plan.logitsBuffer = static_cast<int32_t>(plan.buffers.size());
  plan.buffers.push_back({"logits", rt::BufferRole::Logits, rt::ElementType::F32,
                          StepExpr::tokens(plan.vocabSize), "", {}, {}});
  plan.lastRowLogitsBuffer = static_cast<int32_t>(plan.buffers.size());
  plan.buffers.push_back({"last_row_logits", rt::BufferRole::Scratch,
                          rt::ElementType::F32, StepExpr::of(plan.vocabSize),
                          "", {}, {}});
  if (failed(planner.formProgram(step, plan.prefill, /*decode=*/false)) ||
      failed(planner.formProgram(step, plan.decode, /*decode=*/true)) ||
      failed(planner.formProgram(step, plan.prefillLastRow, /*decode=*/false,
                                 /*lastRowLogits=*/true))) {
    error = planner.error;
    return failure();
  }
  // One token of each sequence of a batch in one step (decodeBatch).
  if (failed(planner.formProgram(step, plan.decodeBatch, /*decode=*/true,
                                 /*lastRowLogits=*/false, /*batched=*/true))) {
    error = planner.error;
    return failure();
  }
  shareScratchBuffers(plan);
  return formed;
}

} // namespace mlir::dsv2
