//===- TileHeuristics.h - Tile sizes of the CPU kernels ---------*- C++ -*-===//
//
// The documented heuristic (docs/kernels.md#tile-sizes): row kernels cover
// their row with one power-of-two tile; GEMMs use BM x BN x BK blocks sized
// so the f32 accumulator (BM*BN) and the two operand tiles stay in L1/L2 of
// a CPU core and give the vectorizer full-width rows.
//
//===----------------------------------------------------------------------===//

#ifndef PASSES_KERNEL_FORMATION_TILEHEURISTICS_H
#define PASSES_KERNEL_FORMATION_TILEHEURISTICS_H

#include <cstdint>

namespace mlir::dsv2 {

/// The smallest power of two >= value (>= 1).
int64_t nextPowerOfTwo(int64_t value);

struct GemmTiles {
  int64_t bm, bn, bk;
};

/// Tiles of `linear` / `batched_linear` for a [m x k] @ [n x k]^T product
/// with m varying per step (tokens): 8 rows, 32 output columns, 16-deep K
/// slices; narrow matrices shrink BN/BK to the next power of two of N/K.
/// The block is small because the CPU lowering unrolls tile.dot into
/// BM*BN*BK vector FMAs: 16x64x64 took 9.5 s of LLVM codegen per kernel,
/// 8x32x16 takes 0.5 s (measured with dsv2-translate-cpu).
/// `gpu`: 32 x 64 x 32 blocks instead, which divide into mma.sync's
/// 16 x 8 x 16 so that all four warps of a 128-thread block have 16 x 8
/// output blocks (codegen/gpu/README.md); narrow matrices shrink as above.
GemmTiles chooseGemmTiles(int64_t n, int64_t k, bool gpu = false);

/// Row blocks per group of the panel GEMMs' program order (GROUP, for
/// linear_panel and the grouped panel kernels): a group's rows stay in L2
/// while its programs walk the panels. Measured with the row-dot GEMMs
/// these replaced: 16 against no grouping, 1.2x on a 2032-row dense GEMM
/// and 2.6-3x on the grouped down projection at 192 rows per expert (whose
/// 74 MB of dispatch rows were re-read from DRAM for every column block);
/// 4-64 measured.
inline constexpr int64_t kPanelGroup = 16;

/// `linear_panel` (the CPU's GEMM over weights in 16-column panels) on AVX2
/// CPUs (choosePanelGemmTiles): 6 rows of x by one panel per program, a
/// [6, 16] f32 accumulator in 12 AVX2 registers, 12
/// FMAs per K step for 2 panel loads and 6 broadcasts of x. Against the
/// row-dot GEMM it replaced (a [4, 3, 8] accumulator over [N, K] rows, 7
/// loads per 12 FMAs and a horizontal sum per output), 2032 rows, f32, 2
/// cores: 1.1-1.45x on the Lite shapes (docs/perf.md).
inline constexpr int64_t kPanelGemmRows = 6;

/// `linear_panel` in the batched decode program (CPU): a round has one row
/// per sequence (at most --max-batch, 8 by default), so 6-row programs
/// computed 12 rows for 8. Those GEMMs are bound by arithmetic, not bytes
/// (the bf16 lm_head streamed ~14 GB/s of a ~30 GB/s machine at batch 8);
/// 4 rows compute 8 for 8 (and 4 for 1-4). Batch 8, bf16 Lite shapes, 2
/// cores, A/B of two runs each: lm_head 0.58 -> 0.45-0.51 s over 15 rounds,
/// dense MLP 0.19-0.20 -> 0.16-0.18 s (8 rows: 16 registers, spills, 1.5x
/// slower).
inline constexpr int64_t kPanelDecodeBatchRows = 4;

/// `linear_panel` on AVX-512 CPUs: rows by kPanelGemmPanelsWide panels per
/// program (choosePanelGemmTiles says why).
inline constexpr int64_t kPanelGemmRowsWide = 8;
inline constexpr int64_t kPanelGemmPanelsWide = 2;

struct PanelGemmTiles {
  int64_t rows, panels;
};

/// `linear_panel`'s rows and panels per program (P, read side by side in
/// one K loop) for a CPU with `vectorBits`-bit vector registers. AVX2: one
/// panel by kPanelGemmRows (kPanelDecodeBatchRows in a batched decode).
/// AVX-512: two panels by 8 rows (4 in a batched decode), a [2, 8, 16]
/// accumulator in 16 of its 32 registers: 16 FMAs per 2 weight loads and 8
/// broadcasts, and two weight streams per core. Kernels alone
/// (tools/bench/gemm_forms.sh shapes, bf16, 2 threads, znver5), one panel
/// by 6 rows -> two by 8, GFLOP/s: q_proj 128 x 3072 x 2048 261 -> 410,
/// o_proj 319 -> 429, kv_a_proj 300 -> 408, mlp_down 128 x 2048 x 10944
/// 258 -> 370, and 1.24-1.49x at 2032 rows; two panels by 4 rows 1.2-1.3x.
/// With AVX2 (`--cpu x86-64-v3`) two panels were slower at every row count
/// tried (3, 4, 8: 0.5-0.7x), so those CPUs keep one.
PanelGemmTiles choosePanelGemmTiles(int64_t vectorBits, bool batchedDecode);

/// `gemv_panel` and `expert_gemv_down_panel`: panel rows per K iteration,
/// i.e. independent accumulator rows ([4, 16]: 8 AVX2 registers per panel).
inline constexpr int64_t kPanelGemvSteps = 4;

/// `gemv_panel`: panels per program, read side by side (2 x [4, 16]: 16
/// registers). One weight stream per core stalls at every 4 KiB page of
/// the file-mapped weights; two kept the lm_head (102400 x 2048 f32) at 35
/// GB/s against 24-28 with one (and the row-wise `gemv`'s 22-28).
inline constexpr int64_t kPanelGemvPanels = 2;

/// gemv_panel_i16's K-pair steps between flushes of its i32 sums to f32: a
/// lane gains at most 2 * 32767 * 127 per step, so 128 steps stay below
/// 2^31 with room to spare (258 would not).
inline constexpr int64_t kPairDotChunk = 128;

/// `expert_gemv_gate_up_panel`: 2 panel rows per iteration, as gate and up
/// each keep a [2, 16] accumulator (8 registers for both).
inline constexpr int64_t kPanelExpertGateUpSteps = 2;

/// The int4 expert GEMVs (expert_gemv_gate_up_panel_i4,
/// expert_gemv_down_panel_i4): byte rows (two inputs each) per step inside
/// a group, at most half the group.
inline constexpr int64_t kPanelInt4GateUpSteps = 2;
inline constexpr int64_t kPanelInt4DownSteps = 4;

/// GPU int4 expert GEMVs (expert_gemv_*_i4): rows per program. A step
/// reads BK bytes of each row (2 * BK inputs, at most half a group: 64
/// bytes for DeepSeek-V2's groups of 128), so 8 rows give a 128-thread block
/// four bytes per thread (one 32-bit load) where gemv's 4 would give two.
/// Unmeasured on a GPU (tools/gpu/gpu-check.sh).
inline constexpr int64_t kGpuInt4GemvRows = 8;

/// Rows per program of the grouped panel GEMMs (grouped_gate_up_panel,
/// grouped_down_panel) on AVX-512 and on AVX2 CPUs (choosePanelGroupedRows).
/// BM must divide the 16-row MoE dispatch blocks. With one weight stream
/// (one [4, 16] accumulator), 192 x 1408 x 2048 f32 (an expert's rows at
/// 2032 tokens) ran at 110 GFLOP/s against the row-dot form's 98; in the
/// 2032-token prefill the routed experts took 4.6 s instead of 6.5.
inline constexpr int64_t kPanelGroupedRowsWide = 8;
inline constexpr int64_t kPanelGroupedRowsAvx2 = 2;

/// Rows per program of grouped_gate_up_panel and grouped_down_panel for a
/// CPU with `vectorBits`-bit vector registers. Each reads two weight
/// streams in one K loop (gate's and up's panel; two neighbouring panels of
/// down) instead of one, so a program keeps two [BM, 16] f32 accumulators:
/// 8 rows take 16 of AVX-512's 32 registers; AVX2's 16 hold 2 rows (4 rows
/// spill). Lite shapes, four layers, a 128-token prefill, three alternated
/// runs, each kernel's three launches (docs/perf.md, "Two weight streams in
/// the grouped expert GEMMs"): znver5 (AVX-512, 4 rows) gate/up
/// 0.132-0.138 s against 0.196-0.201 s for one stream, down 0.071-0.072
/// against 0.098-0.104; `--cpu x86-64-v3` (AVX2) with 2 rows gate/up
/// 0.186-0.189 against 0.227-0.230, down 0.097-0.101 against 0.113-0.114
/// (with 4 rows the two streams were slower than one: 0.26-0.37 and 0.13).
/// 8 rows instead of 4 on AVX-512 (emeraldrapids, docs/perf.md, "Eight
/// rows per program in the grouped expert GEMMs on AVX-512"): gate/up
/// 1.15-1.2x and down 1.1-1.2x at 2032 tokens, 1.1-1.3x at 128; on znver5
/// 8 rows had given no gain at 128 tokens (and no loss).
int64_t choosePanelGroupedRows(int64_t vectorBits);

/// Panels per program of grouped_down_panel, grouped_down_panel_i16 and
/// grouped_down_panel_i4_i16 (fixed in the templates): two read side by
/// side in one K loop, two weight streams per core as in gemv_panel
/// (kPanelGemvPanels) and grouped_gate_up_panel. The integer forms keep
/// their 8 rows: four-layer Lite engines, each kernel's three launches,
/// int8 (_i16) 128-token prefill 0.042-0.051 s against 0.055-0.060 s for
/// one panel (4 rows by two panels: 0.043-0.051), 2032 tokens 0.31 s
/// against 0.44 (4 rows: 0.42); int4 (_i4_i16) 0.036-0.039 s against
/// 0.041-0.043, 2032 tokens 0.41-0.42 s against 0.43-0.52.
inline constexpr int64_t kPanelGroupedDownPanels = 2;

/// The int16 forms (grouped_*_panel_i16) take 8 rows: a K pair's weight rows
/// (two loads, an interleave and a widening per matrix) then feed 8
/// vpdpwssd instead of 4. Lite shapes, 8 x 128-token prefill, two runs:
/// grouped_gate_up_panel_i16 0.60-0.64 s against 0.72-0.84 s with 4 rows,
/// grouped_down_panel_i16 0.32-0.35 against 0.34-0.38. (linear_panel_i16
/// with 12 rows instead of 6 was slower: 1.08-1.14 s against 0.99-1.06.)
inline constexpr int64_t kPanelGroupedRowsInt16 = 8;

/// The int4 forms (grouped_*_panel_i4) take 8 rows: each byte row's
/// unpacking (widen, shifts, two conversions, the group's scales) then
/// feeds 16 FMAs instead of 8. Lite shapes, 8 x 128-token prefill, two runs
/// each: 4 rows 2.7-3.1 s in both kernels, 8 rows 2.1-2.4 s, 16 rows
/// 2.8-3.2 s.
inline constexpr int64_t kPanelGroupedRowsInt4 = 8;

/// linear_panel_i16's rows per program in a prefill (linear_panel: 6 or 8):
/// 8 i32 and 8 f32 accumulators per panel. Lite shapes, 8 x 128-token
/// prefill, three alternated runs: 0.97-1.12 s in linear_panel_i16 against
/// 1.01-1.33 s with 6 rows (12 rows: slower, above).
inline constexpr int64_t kPanelGemmRowsInt16 = 8;

/// linear_panel_i16's panels per program (P) for `vectorBits`-bit vector
/// registers: on AVX-512 two side by side (two weight streams sharing each
/// activation broadcast, 16 of 32 registers of i32 sums at 8 rows; four-
/// layer Lite int8 engines on an emeraldrapids VM, its launches 1.2-1.3x
/// at 128 and 2032 tokens, batched decode 1.13x). With 256-bit registers
/// (AVX-VNNI, `--cpu alderlake` engines on the same VM) a [BM, 16] i32 sum
/// is 2 registers a row, and two panels (at 4 rows) ran at 0.78x: one.
inline constexpr int64_t choosePanelGemmPanelsInt16(int64_t vectorBits) {
  return vectorBits >= 512 ? 2 : 1;
}

struct GemvTiles {
  int64_t bn, bk;
};

/// Tiles of `gemv` (single-token steps): each program owns BN = 4 rows of W
/// and steps over K in BK = 16 slices, a [4, 16] f32 accumulator (8 AVX2
/// registers) fed by one contiguous 16-element load per row; narrow
/// matrices shrink BN/BK to the next power of two of N/K.
/// `gpu`: BK = 256, a [4, 256] tile over a 128-thread block, so each thread
/// reads runs of 4 neighbouring weights of a row per K step (one vector
/// load each: codegen/gpu/README.md) and a K step of 16 would spend more on
/// the barriers of the x exchange than on loading.
GemvTiles chooseGemvTiles(int64_t n, int64_t k, bool gpu = false);

/// Row kernels (norms, copies, embedding): one tile covering `width`, capped
/// at 4096 lanes (wider rows loop over blocks).
int64_t chooseRowBlock(int64_t width);

/// Rows of a grouped-GEMM block; also the MoE dispatch padding, so a block
/// never straddles two experts.
inline constexpr int64_t kMoeBlockRows = 16;

/// Cache rows per online-softmax step of the attention kernels.
inline constexpr int64_t kAttentionKeyBlock = 16;

/// Heads per latent-attention program (latent_attention_grouped): each
/// block of latent cache rows is read once for the group and the scores
/// and p @ c become dots. 8 heads: 2.3-2.9x the per-head kernel's speed
/// on one CPU core at Lite widths (16: 3.2-3.8x, but one program per token
/// and layer would leave the second core idle; dsv2-latent-attention-bench,
/// docs/perf.md).
inline constexpr int64_t kAttentionHeadGroup = 8;

/// Queries per causal_attention program on tensor cores (GPU engines over
/// bf16 weights, DOT bf16): mma takes 16 rows.
inline constexpr int64_t kTensorCoreAttentionQueries = 16;

/// Heads per latent-attention program on tensor cores (GPU engines over a
/// bf16 cache, DOT bf16): p @ c is an [HG, BL] x [BL, CB] dot, and mma
/// takes 16 rows, so groups of 16 put every dot on tensor cores (8 leave
/// p @ c on FMAs).
inline constexpr int64_t kTensorCoreHeadGroup = 16;

/// The head group for `heads`: the largest power of two up to
/// kAttentionHeadGroup dividing it, when that is at least 4; else 1, the
/// one-head `latent_attention` (2 heads per program measured no faster
/// with an f32 cache).
int64_t chooseAttentionHeadGroup(int64_t heads);
/// The same from kTensorCoreHeadGroup down, for programs on tensor cores.
int64_t chooseTensorCoreHeadGroup(int64_t heads);

/// GPU decode: the shares each (token, head group) program's visible cache
/// rows are split into (SPLITS, merged by latent_attention_combine), so
/// that programs x shares fill a GPU (about 128 blocks: DeepSeek-V2's 16
/// groups of 8 heads take 8, Lite's 2 take 32 at a 4K context), at most
/// one share per 64 positions of the context (short contexts stay whole),
/// at most 32.
int64_t chooseAttentionSplits(int64_t programs, int64_t maxContext);

/// causal_attention_keyrows (CPU): queries per program, two vectors of f32
/// lanes (16 on AVX2, 32 on AVX-512), and keys per block. Each K step of its
/// score dot broadcasts a key element against the block's queries, so the
/// BM queries are the columns of the [BL, BM] score block: two registers per
/// key row, 16 key rows in 16 (8 on AVX2) accumulators by the CPU's tile.dot
/// blocks. Measured on the kernel alone at Lite widths, 2 threads, 2032
/// tokens (docs/perf.md, "Key-row prefill attention on the CPU"), against
/// the row-dot form it replaced (16 queries x 8 keys): 1.5x on AVX-512 with
/// 32 queries (1.2x with 16; 64 queries ran 0.77x of 32), 1.4x with AVX2
/// code with 16 (8: 1.08x; 32: within noise); 8 or 32 keys per block no
/// better than 16 (`dsv2-causal-attention-bench --tiles` compares shapes).
inline constexpr int64_t keyRowAttentionQueries(int64_t cpuVectorBits) {
  return 2 * (cpuVectorBits / 32);
}
inline constexpr int64_t kKeyRowAttentionKeys = 16;

} // namespace mlir::dsv2

#endif // PASSES_KERNEL_FORMATION_TILEHEURISTICS_H
