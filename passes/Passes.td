//===- Passes.td - dsv2 passes ----------------------------*- tablegen -*-===//
//
// Every dsv2 pass: def `Dsv2FooPass`, flag `dsv2-foo`, options as Option<>s.
// Test-only passes (`dsv2-test-*`) expose analyses to FileCheck.
//
//===----------------------------------------------------------------------===//

#ifndef DSV2_PASSES_TD
#define DSV2_PASSES_TD

include "mlir/Pass/PassBase.td"

def Dsv2TestPrintWeightSummaryPass
    : Pass<"dsv2-test-print-weight-summary", "::mlir::ModuleOp"> {
  let summary = "Print the weights a module reads: count, parameters, bytes";
  let description = [{
    Test-only analysis. For each `func.func`, prints one line per distinct
    weight name (shape and dtype) when `per-weight` is set, then a total
    line: `weights: N, parameters: P, bytes: B`. Stacked expert weights count
    all their experts.
  }];
  let options = [
    Option<"perWeight", "per-weight", "bool", /*default=*/"false",
           "Print one line per weight before the total">,
  ];
}

def Dsv2KvLatentCompressionPass
    : Pass<"dsv2-kv-latent-compression", "::mlir::ModuleOp"> {
  let summary = "Cache only the normalized latent and the roped k_pe";
  let description = [{
    Rewrites every step function whose KV cache is the per-head
    `!dsv2.kv_cache` to the paper's `!dsv2.latent_kv_cache`:
    kv_lora_rank + qk_rope_head_dim values per token per layer (576 for
    DeepSeek-V2) instead of heads * (qk_head_dim + v_head_dim). The
    `dsv2.mla_attention` ops keep their weights and rebuild K and V from the
    latent where the computation needs them. Fails with a diagnostic when a
    cache value reaches an op that is not an mla_attention or a return.
  }];
  let dependentDialects = ["::mlir::dsv2::Dsv2Dialect"];
}

def Dsv2MlaWeightAbsorptionPass
    : Pass<"dsv2-mla-weight-absorption", "::mlir::ModuleOp"> {
  let summary = "Run MLA in the weight-absorbed form (MQA over the latent)";
  let description = [{
    Sets the `absorb` policy of every `dsv2.mla_attention` with a latent
    cache and gives it W_UK and W_UV, derived from kv_b_proj by
    `dsv2.split_kv_b` (weights only, so engines compute them once when
    packing). `policy`: `decode` (default: absorb steps of one token, keep the
    decompressed form for prefill), `always`, `never`, or `auto` (per step by
    the cost model in docs/mla-absorption-cost-model.md). Needs the latent
    cache: on a per-head cache it fails with a diagnostic that names the pass
    to run first.
  }];
  let options = [
    Option<"policy", "policy", "std::string", /*default=*/"\"decode\"",
           "When to absorb: decode, always, never, auto">,
  ];
  let dependentDialects = ["::mlir::dsv2::Dsv2Dialect"];
}

// Op-agnostic, so a textual pass list can name it at module level.
def Dsv2MoeRoutingDispatchFusionPass
    : Pass<"dsv2-moe-routing-dispatch-fusion"> {
  let summary = "Fuse the MoE gate and experts into one dispatch/combine op";
  let description = [{
    Replaces each `dsv2.moe_gate` whose routing results feed exactly one
    `dsv2.moe_experts` (and nothing else) by a `dsv2.moe_fused` carrying the
    router, the routed and shared expert weights and the dispatch
    `block-size` kernel formation needs. A gate whose results are used
    elsewhere is left alone.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"16",
           "Per-expert row offsets in the dispatch buffer are padded to a "
           "multiple of this">,
  ];
  let dependentDialects = ["::mlir::dsv2::Dsv2Dialect"];
}

def Dsv2ShardPass : Pass<"dsv2-shard", "::mlir::ModuleOp"> {
  let summary = "One rank's part of a tensor- and expert-parallel step";
  let description = [{
    Rewrites the optimized step (latent cache, fused MoE) into what rank
    `rank` of `tp` x `ep` ranks runs (rank r is tensor rank r % tp of expert
    group r / tp; docs/parallelism.md):

    - `dsv2.mla_attention`: heads / tp (q_b_proj or q_proj and kv_b_proj by
      rows, o_proj by columns, W_UK/W_UV re-derived), then
      `dsv2.all_reduce over tensor`; the latent projections stay whole, so
      every rank caches the full latent;
    - `dsv2.mlp`: gate/up by rows, down by columns, `dsv2.all_reduce over
      tensor`;
    - `dsv2.moe_fused`: the routed experts of expert group r / tp
      (`first_expert`), each split by tp; shared experts split over all
      ranks; the router stays whole; `dsv2.all_reduce over world`;
    - `dsv2.lm_head`: vocabulary rows by tp, `dsv2.all_gather over tensor`.

    Sliced weights carry `shard = [dim, part, parts]` (and `first_expert`),
    so the interpreter and the weight packer read the same slice. The module
    gets `dsv2.tensor_parallel`, `dsv2.expert_parallel` and `dsv2.rank`.
    tp = ep = 1 leaves the module unchanged. Fails, naming the dimension,
    when a size does not divide, and on ops it cannot split (run
    dsv2-optimize first).
  }];
  let options = [
    Option<"tp", "tp", "int64_t", /*default=*/"1", "Tensor-parallel ranks">,
    Option<"ep", "ep", "int64_t", /*default=*/"1", "Expert-parallel groups">,
    Option<"rank", "rank", "int64_t", /*default=*/"0",
           "The rank whose part to keep, in [0, tp * ep)">,
  ];
  let dependentDialects = ["::mlir::dsv2::Dsv2Dialect"];
}

def Dsv2TestPrintKernelPlanPass
    : Pass<"dsv2-test-print-kernel-plan", "::mlir::ModuleOp"> {
  let summary = "Print the kernels and launch plan kernel formation chooses";
  let description = [{
    Test-only. Runs kernel formation on the module's step function (the
    output of dsv2-optimize) and prints, for the prefill and the decode
    program, one line per launch: the kernel instance (its name carries the
    tile sizes the heuristic chose), the grid as expressions of T (tokens in
    the step) and P (tokens cached before it), and the op it implements;
    then the buffer count by role and the weight buffers by element type.
    The module is not changed.
  }];
  let options = [
    Option<"maxContext", "max-context", "int64_t", /*default=*/"4096",
           "Positions the KV cache holds">,
    Option<"gpuTiles", "gpu-tiles", "bool", /*default=*/"false",
           "Form the GPU's kernels (tile.dot GEMMs) instead of the CPU's">,
    Option<"quantize", "quantize", "std::string", /*default=*/"\"none\"",
           "Weight quantization: none, int8, int8-experts or int4-experts">,
    Option<"int16Activations", "int16-activations", "bool",
           /*default=*/"true",
           "With quantize: int8 linears take int16 activations "
           "(quantize_rows_i16, linear_panel_i16 / gemv_panel_i16)">,
    Option<"cpuVectorBits", "cpu-vector-bits", "int64_t", /*default=*/"256",
           "The CPU's widest vector registers in bits (512: AVX-512), "
           "which size the panel kernels' register tiles">,
  ];
}

#endif // DSV2_PASSES_TD
