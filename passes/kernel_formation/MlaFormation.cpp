//===- MlaFormation.cpp - Kernels of dsv2.mla_attention -------------------===//

#include "passes/kernel_formation/Planner.h"

#include "passes/kernel_formation/TileHeuristics.h"
#include "runtime/io/WeightPanels.h"

#include "llvm/Support/FormatVariadic.h"

#include <cassert>

namespace mlir::dsv2::formation {

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
    // group (one per head when no group of 4 or more divides the heads).
    // GPU engines over a bf16 cache score and sum on tensor cores (bf16
    // operands, the GEMMs' policy; groups of 16, mma's rows); the CPU's
    // dots stay f32. GPU decode steps also split the context over several
    // programs when the groups alone would leave most of the GPU idle.
    const bool tensorCores =
        options.gpuTiles && latentType.getElementType().isBF16();
    const int64_t group = tensorCores ? chooseTensorCoreHeadGroup(heads)
                                      : chooseAttentionHeadGroup(heads);
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
      la["DOT"] = tensorCores ? "bf16" : "f32";
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
    // GPUs: Q K^T with tile.dot; CPUs: K Q^T, keys as the rows of the dot
    // (each key element broadcast against two vectors of queries).
    const bool keyRows = !options.gpuTiles;
    // GPU engines over bf16 weights (bf16 GEMM operands) run the three dots
    // on tensor cores, 16 queries per program (mma's rows). The norm's
    // weight has the engine's dtype under every --quantize.
    const bool tensorCores =
        options.gpuTiles && elementOf(op.getKvANorm()).isBF16();
    const int64_t queries =
        keyRows       ? keyRowAttentionQueries(options.cpuVectorBits)
        : tensorCores ? kTensorCoreAttentionQueries
                      : 8;
    KernelParams ca{{"CT", typeText(latentType.getElementType())},
                    {"HEADS", std::to_string(heads)},
                    {"P", std::to_string(p)},
                    {"R", std::to_string(r)},
                    {"V", std::to_string(v)},
                    {"C", std::to_string(c)},
                    {"VB", std::to_string(nextPowerOfTwo(v))},
                    {"BM", std::to_string(queries)},
                    {"SCALE", floatText(scale)}};
    if (keyRows) {
      ca["BL"] = std::to_string(kKeyRowAttentionKeys);
    } else {
      ca["PB"] = std::to_string(nextPowerOfTwo(p));
      ca["RB"] = std::to_string(nextPowerOfTwo(r));
      ca["BL"] = std::to_string(kAttentionKeyBlock);
      ca["DOT"] = tensorCores ? "bf16" : "f32";
    }
    if (failed(launch(program,
                      keyRows ? "causal_attention_keyrows"
                              : "causal_attention",
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

} // namespace mlir::dsv2::formation
