//===- Planner.h - Kernel formation of one step program ---------*- C++ -*-===//
//
// Private to passes/kernel_formation. The Planner walks the optimized step
// function and turns each op into launches of catalog kernels
// (codegen/kernels) over buffers of the launch plan; both programs of an
// engine (prefill and decode) share its weight buffers. Its members are
// defined by concern: Planner.cpp (buffers, launches, the op walk),
// WeightBuffers.cpp (weights in the layouts the kernels read),
// LinearLaunches.cpp (linears, norms, the gated MLP), MlaFormation.cpp and
// MoeFormation.cpp (the two fused ops).
//
//===----------------------------------------------------------------------===//

#ifndef PASSES_KERNEL_FORMATION_PLANNER_H
#define PASSES_KERNEL_FORMATION_PLANNER_H

#include "codegen/kernels/KernelCatalog.h"
#include "dialect/dsv2/Dsv2Ops.h"
#include "dialect/dsv2/WeightQuantization.h"
#include "passes/kernel_formation/KernelFormation.h"
#include "runtime/engine/LaunchPlan.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlir::dsv2::formation {

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

/// A float kernel parameter, exactly ("%.9e").
std::string floatText(double value);
/// The engine's element type of an MLIR element type.
rt::ElementType elementTypeOf(Type type);
/// A kernel template's type parameter ("f32", "bf16", "i8", ...): the
/// engine's name of the element type, one mapping for both.
std::string typeText(Type type);
ArrayRef<int64_t> shapeOf(Value value);
Type elementOf(Value value);

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
void setInt4Params(KernelParams &params, int64_t group, int64_t bk = 0);

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
                    std::string source = "");

  /// A step-local [T-like rows, width] f32 (or i32) buffer.
  Activation scratch(const std::string &name, int64_t width,
                     StepExpr rows = StepExpr::tokens(),
                     rt::ElementType type = rt::ElementType::F32);

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
                       Operation *origin);

  /// A collective over the step's T rows of `src` into `dst` (both
  /// contiguous [T, width]); see rt::CollectiveKind for the argument layout.
  LogicalResult collective(rt::StepProgram &program, rt::CollectiveKind kind,
                           CollectiveGroup group, Activation src,
                           Activation dst, Operation *origin,
                           StepExpr rows = StepExpr::tokens());

  /// y[m, N] = x[m, K] @ W[N, K]^T into `out` (or a new activation).
  FailureOr<Activation> linear(rt::StepProgram &program, Activation x,
                               Value w, StepExpr m, Operation *origin,
                               std::optional<Activation> out = std::nullopt);

  /// The GEMM of `linear`: y[m, N] = x[m, K] @ W[N, K]^T, x rows `xStride`
  /// floats apart, W the buffer of linearWeight. GPUs take `linear`
  /// (tile.dot on tensor cores); CPUs take `linear_panel` (outer products
  /// over W's column panels).
  LogicalResult gemm(rt::StepProgram &program, KernelArg x, int64_t xStride,
                     const LinearWeight &w, int64_t n, int64_t k, Activation y,
                     StepExpr m, Operation *origin);

  /// x's m rows as int16 pairs with one scale per row (quantize_rows_i16),
  /// the operands of the integer kernels of int8 weights.
  FailureOr<std::pair<Activation, Activation>>
  quantizeRows(rt::StepProgram &program, KernelArg x, int64_t xStride,
               int64_t k, StepExpr m, Operation *origin);

  /// The leading arguments of a kernel over x's m rows (k wide, `stride`
  /// apart): the rows, or for an int16 kernel the rows quantized (pairs,
  /// scales; quantizeRows), with `params`' weight type W replaced by the
  /// i32 flush interval CHUNK.
  FailureOr<std::vector<KernelArg>>
  activationArgs(rt::StepProgram &program, bool int16, KernelArg x,
                 int64_t stride, int64_t k, StepExpr m, KernelParams &params,
                 Operation *origin);

  /// gemm of int8 W in integer arithmetic: quantizeRows, then
  /// linear_panel_i16.
  LogicalResult gemmInt16(rt::StepProgram &program, KernelArg x,
                          int64_t xStride, const LinearWeight &w, int64_t n,
                          int64_t k, Activation y, StepExpr m,
                          Operation *origin);

  /// One row's y[N] = W[N, K] @ x[K] on the CPU, W in column panels.
  LogicalResult panelGemv(rt::StepProgram &program, Activation x,
                          const LinearWeight &w, int64_t n, int64_t k,
                          Activation y, Operation *origin);

  /// panelGemv of int8 W in integer arithmetic: x's row quantized to int16
  /// pairs with one scale (quantize_rows_i16), then gemv_panel_i16.
  LogicalResult panelGemvInt16(rt::StepProgram &program, Activation x,
                               const LinearWeight &w, int64_t n, int64_t k,
                               Activation y, Operation *origin);

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
                              Operation *origin);

  LogicalResult gemv(rt::StepProgram &program, Activation x,
                     const LinearWeight &w, int64_t n, int64_t k, int64_t batch,
                     int64_t xBatchStride, Activation y, int64_t yBatchStride,
                     Operation *origin);

  LogicalResult rmsNorm(rt::StepProgram &program, Activation x, Value w,
                        double eps, Activation out, StepExpr rows,
                        Type outType, Operation *origin);

  LogicalResult siluMul(rt::StepProgram &program, Activation gate,
                        Activation up, Activation out, Operation *origin);

  FailureOr<Activation> gatedMlp(rt::StepProgram &program, Activation x,
                                 Value gate, Value up, Value down,
                                 Operation *origin);

  /// The experts' gate/up kernels read both weights with one type.
  LogicalResult checkGateUpTypes(const LinearWeight &gate,
                                 const LinearWeight &up);

  /// Int4 weights are the routed experts' (their kernels' int4 forms); rows
  /// of an odd length have no int4 layout.
  LogicalResult checkInt4(const LinearWeight &w, int64_t k);

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

} // namespace mlir::dsv2::formation

#endif // PASSES_KERNEL_FORMATION_PLANNER_H
