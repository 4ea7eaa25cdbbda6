//===- Dsv2Ops.td - dsv2 operations -----------------------*- tablegen -*-===//
//
// Model-level ops of DeepSeek-V2. Every op verifies shapes and attributes
// against each other and reports mismatches in the model's own terms
// (hidden size, kv_lora_rank, heads ...).
//
//===----------------------------------------------------------------------===//

#ifndef DSV2_OPS_TD
#define DSV2_OPS_TD

include "dialect/dsv2/Dsv2Dialect.td"
include "dialect/dsv2/Dsv2Attrs.td"
include "dialect/dsv2/Dsv2Types.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"

// fp32 activations: [tokens, ...] with a dynamic token count.
def Dsv2_Activation : RankedTensorOf<[F32]>;
// Checkpoint tensors in their storage dtype; static shapes, because config
// sizes (experts, intermediate, q_lora_rank) are read off them.
def Dsv2_WeightTensor : StaticShapeTensorOf<[F32, BF16, F16]>;
def Dsv2_WeightResult : RankedTensorOf<[F32, BF16, F16]>;
def Dsv2_TokenIds : 1DTensorOf<[I32]>;

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

def Dsv2_WeightOp : Dsv2_Op<"weight", [Pure]> {
  let summary = "A checkpoint tensor referenced by name";
  let description = [{
    Names a tensor of the Hugging Face checkpoint; the result type gives its
    storage dtype and shape (nn.Linear weights are `[out, in]`). A name
    containing `{e}` stands for the routed experts of one layer stacked along
    a new leading dimension (`experts.{e}.gate_proj.weight` ->
    `[E, out, in]`).

    ```mlir
    %w = dsv2.weight "model.layers.0.self_attn.o_proj.weight" : tensor<5120x16384xbf16>
    %g = dsv2.weight "model.layers.1.mlp.experts.{e}.gate_proj.weight" : tensor<160x1536x5120xbf16>
    ```

    After `dsv2-shard`, a weight may be one rank's part: `shard = [dim, part,
    parts]` is slice `part` of `parts` equal slices along result dimension
    `dim` (the result type is the slice), and `first_expert = F` makes stack
    index k checkpoint expert F + k.

    ```mlir
    %d = dsv2.weight "model.layers.1.mlp.experts.{e}.down_proj.weight" {first_expert = 4 : i64, shard = array<i64: 2, 1, 2>} : tensor<4x2048x704xbf16>
    ```
  }];
  let arguments = (ins StrAttr:$name, OptionalAttr<DenseI64ArrayAttr>:$shard,
                       OptionalAttr<I64Attr>:$first_expert);
  let results = (outs Dsv2_WeightResult:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
  let builders = [
    // A whole checkpoint tensor (or all experts of a stack).
    OpBuilder<(ins "::mlir::Type":$type, "::mlir::StringAttr":$name), [{
      build($_builder, $_state, type, name, ::mlir::DenseI64ArrayAttr(),
            ::mlir::IntegerAttr());
    }]>
  ];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// True when the name stands for experts stacked along dimension 0.
    bool isStackedExperts() { return getName().contains("{e}"); }
    /// The checkpoint tensor(s) and slice this op reads.
    ::mlir::dsv2::WeightReference getReference();
  }];
}

//===----------------------------------------------------------------------===//
// Elementwise and normalization
//===----------------------------------------------------------------------===//

def Dsv2_EmbeddingOp : Dsv2_Op<"embedding", [Pure]> {
  let summary = "Token embedding lookup (no scaling)";
  let description = [{
    `result[t, :] = table[ids[t], :]`. Ids outside `[0, vocab)` are a
    runtime error of the executor.

    ```mlir
    %x = dsv2.embedding %ids, %table : tensor<?xi32>, tensor<102400x5120xbf16> -> tensor<?x5120xf32>
    ```
  }];
  let arguments = (ins Dsv2_TokenIds:$ids, Dsv2_WeightTensor:$table);
  let results = (outs Dsv2_Activation:$result);
  let assemblyFormat = [{
    $ids `,` $table attr-dict `:` type($ids) `,` type($table) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Dsv2_RmsNormOp : Dsv2_Op<"rms_norm", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "RMSNorm over the last dimension, in fp32";
  let description = [{
    `y = x * rsqrt(mean(x^2, -1) + epsilon) * weight`.

    ```mlir
    %y = dsv2.rms_norm %x, %w epsilon 1.000000e-06 : tensor<?x5120xf32>, tensor<5120xbf16>
    ```
  }];
  let arguments = (ins Dsv2_Activation:$input, Dsv2_WeightTensor:$weight,
                       F64Attr:$epsilon);
  let results = (outs Dsv2_Activation:$result);
  let assemblyFormat = [{
    $input `,` $weight `epsilon` $epsilon attr-dict `:` type($input) `,` type($weight)
  }];
  let hasVerifier = 1;
}

def Dsv2_AddOp : Dsv2_Op<"add", [Pure, Commutative, SameOperandsAndResultType]> {
  let summary = "Elementwise sum (residual connections)";
  let arguments = (ins Dsv2_Activation:$lhs, Dsv2_Activation:$rhs);
  let results = (outs Dsv2_Activation:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def Dsv2_LinearOp : Dsv2_Op<"linear", [Pure]> {
  let summary = "Projection `x @ W^T` with W stored [out, in]";
  let description = [{
    ```mlir
    %y = dsv2.linear %x, %w : tensor<?x5120xf32>, tensor<1536x5120xbf16> -> tensor<?x1536xf32>
    ```
  }];
  let arguments = (ins Dsv2_Activation:$input, Dsv2_WeightTensor:$weight);
  let results = (outs Dsv2_Activation:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Dsv2_RopeOp : Dsv2_Op<"rope", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Rotary embedding of [tokens, heads, rope_dim] at start + t";
  let description = [{
    Rotates adjacent pairs `(2j, 2j+1)` of each head by `(start + t) *
    inv_freq[j]`; YaRN parameters come from the `rope` attribute.

    ```mlir
    %r = dsv2.rope %q_pe at %start rope #dsv2.rope<dim = 64, theta = 1.000000e+04> : tensor<?x128x64xf32>
    ```
  }];
  let arguments = (ins Dsv2_Activation:$input, Index:$start, Dsv2_RopeAttr:$rope);
  let results = (outs Dsv2_Activation:$result);
  let assemblyFormat = [{
    $input `at` $start `rope` $rope attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Multi-head Latent Attention
//===----------------------------------------------------------------------===//

def Dsv2_MlaAttentionOp : Dsv2_Op<"mla_attention", [
    AttrSizedOperandSegments, AllTypesMatch<["input", "result"]>,
    AllTypesMatch<["cache", "new_cache"]>]> {
  let summary = "Multi-head Latent Attention block (naive form of the reference)";
  let description = [{
    One attention block of layer `layer` over the RMS-normalized input
    `[T, hidden]` at positions `start .. start+T-1`:

    1. `q = q_b(RMSNorm(q_a(x)))` (or `q_proj(x)` when `q_lora_rank` is
       null), split per head into `[q_nope | q_pe]`;
    2. `[c | k_pe] = kv_a(x)`; `k_pe` is one head shared by all heads;
    3. `[k_nope | v] = kv_b(RMSNorm(c))` per head;
    4. RoPE on `q_pe` and `k_pe`;
    5. the per-head keys and values are appended to the cache, causal
       attention scaled by `softmax_scale`, heads concatenated, `o_proj`.

    The cache operand holds `start` past tokens; the result cache holds
    `start + T`. With a `!dsv2.kv_cache` the cache holds per-head K and V
    (the reference); with a `!dsv2.latent_kv_cache` it holds only `c` and
    the roped `k_pe`, and K/V are rebuilt from the latent where needed.

    `absorb` says when a step runs the weight-absorbed form (MQA over
    `[c | k_pe]` with `q_lat = q_nope W_UK`, output through `W_UV`), which
    needs the latent cache and the derived weights `w_uk` [heads, nope,
    kv_lora_rank] and `w_uv` [heads, v, kv_lora_rank] (see
    `dsv2.split_kv_b`): `never`, `always`, `decode` (steps of one token),
    or `auto` (the cost model of docs/mla-absorption-cost-model.md, per
    step, from the tokens in the step and the context length).
  }];
  let arguments = (ins
    Dsv2_Activation:$input, Index:$start, Dsv2_AnyKvCache:$cache,
    Optional<Dsv2_WeightTensor>:$q_a_proj,
    Optional<Dsv2_WeightTensor>:$q_a_norm,
    Optional<Dsv2_WeightTensor>:$q_b_proj,
    Optional<Dsv2_WeightTensor>:$q_proj,
    Dsv2_WeightTensor:$kv_a_proj,
    Dsv2_WeightTensor:$kv_a_norm,
    Dsv2_WeightTensor:$kv_b_proj,
    Dsv2_WeightTensor:$o_proj,
    Optional<Dsv2_WeightTensor>:$w_uk,
    Optional<Dsv2_WeightTensor>:$w_uv,
    ConfinedAttr<I64Attr, [IntNonNegative]>:$layer,
    I64Attr:$heads,
    I64Attr:$kv_lora_rank,
    I64Attr:$qk_nope_head_dim,
    I64Attr:$qk_rope_head_dim,
    I64Attr:$v_head_dim,
    F64Attr:$softmax_scale,
    F64Attr:$rms_norm_eps,
    Dsv2_RopeAttr:$rope,
    DefaultValuedAttr<Dsv2_Absorption, "::mlir::dsv2::Absorption::never">:$absorb);
  let results = (outs Dsv2_Activation:$result, Dsv2_AnyKvCache:$new_cache);
  let assemblyFormat = [{
    $input `,` $cache `[` `layer` $layer `]` `at` $start
    (`absorb` $absorb^)?
    `weights` `(`
      `kv_a_proj` `=` $kv_a_proj `:` type($kv_a_proj) `,`
      `kv_a_norm` `=` $kv_a_norm `:` type($kv_a_norm) `,`
      `kv_b_proj` `=` $kv_b_proj `:` type($kv_b_proj) `,`
      `o_proj` `=` $o_proj `:` type($o_proj)
    `)`
    (`q_lora` `(` `q_a_proj` `=` $q_a_proj^ `:` type($q_a_proj) `,`
       `q_a_norm` `=` $q_a_norm `:` type($q_a_norm) `,`
       `q_b_proj` `=` $q_b_proj `:` type($q_b_proj) `)`)?
    (`q_proj` `=` $q_proj^ `:` type($q_proj))?
    (`absorbed_weights` `(` `w_uk` `=` $w_uk^ `:` type($w_uk) `,`
       `w_uv` `=` $w_uv `:` type($w_uv) `)`)?
    attr-dict `:` type($input) `,` type($cache)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// True for the q_lora path (q_a_proj, q_a_norm, q_b_proj).
    bool hasQueryLora() { return getQAProj() != nullptr; }
    /// True when some step may run the absorbed form.
    bool mayAbsorb() { return getAbsorb() != Absorption::never; }
  }];
}

def Dsv2_SplitKvBOp : Dsv2_Op<"split_kv_b", [Pure]> {
  let summary = "Derive the absorbed MLA weights W_UK and W_UV from kv_b_proj";
  let description = [{
    kv_b_proj is `[heads * (nope + v), kv_lora_rank]`; head `n` owns `nope`
    key rows then `v` value rows. The absorbed form needs them apart:
    `w_uk[n] = kv_b[n*(nope+v) : n*(nope+v)+nope]` (`[heads, nope, C]`) and
    `w_uv[n] = kv_b[n*(nope+v)+nope : (n+1)*(nope+v)]` (`[heads, v, C]`).
    Operands are weights only, so engines evaluate it once when packing.

    ```mlir
    %uk, %uv = dsv2.split_kv_b %kv_b heads 128 : tensor<32768x512xbf16> -> tensor<128x128x512xbf16>, tensor<128x128x512xbf16>
    ```
  }];
  let arguments = (ins Dsv2_WeightTensor:$kv_b_proj, I64Attr:$heads);
  let results = (outs Dsv2_WeightTensor:$w_uk, Dsv2_WeightTensor:$w_uv);
  let assemblyFormat = [{
    $kv_b_proj `heads` $heads attr-dict `:` type($kv_b_proj) `->` type($w_uk) `,` type($w_uv)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Feed-forward: dense MLP and DeepSeekMoE
//===----------------------------------------------------------------------===//

def Dsv2_MlpOp : Dsv2_Op<"mlp", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Gated MLP `down(silu(gate(x)) * up(x))`";
  let arguments = (ins Dsv2_Activation:$input, Dsv2_WeightTensor:$gate_proj,
                       Dsv2_WeightTensor:$up_proj, Dsv2_WeightTensor:$down_proj);
  let results = (outs Dsv2_Activation:$result);
  let assemblyFormat = [{
    $input `gate` $gate_proj `up` $up_proj `down` $down_proj attr-dict `:`
    type($input) `,` type($gate_proj) `,` type($up_proj) `,` type($down_proj)
  }];
  let hasVerifier = 1;
}

def Dsv2_MoeGateOp : Dsv2_Op<"moe_gate", [Pure]> {
  let summary = "DeepSeekMoE router: fp32 softmax gate and top-k selection";
  let description = [{
    Scores `softmax(x @ W^T)` over all experts in fp32. `greedy` takes the
    top-k scores; `group_limited_greedy` splits the experts into `n_group`
    groups, scores each group by its MAX, keeps the `topk_group` best groups
    and takes the top-k among them. With `norm_topk_prob` (and `top_k > 1`)
    the weights are renormalized; otherwise they are multiplied by
    `routed_scaling_factor`.

    ```mlir
    %w, %idx = dsv2.moe_gate %x, %g method group_limited_greedy {top_k = 6 ...}
        : tensor<?x5120xf32>, tensor<160x5120xbf16> -> tensor<?x6xf32>, tensor<?x6xi32>
    ```
  }];
  let arguments = (ins Dsv2_TopkMethod:$method, Dsv2_Activation:$input,
                       Dsv2_WeightTensor:$gate_weight,
                       I64Attr:$top_k, I64Attr:$n_group, I64Attr:$topk_group,
                       F64Attr:$routed_scaling_factor, BoolAttr:$norm_topk_prob);
  let results = (outs RankedTensorOf<[F32]>:$weights,
                      RankedTensorOf<[I32]>:$indices);
  let assemblyFormat = [{
    $input `,` $gate_weight `method` $method attr-dict `:` type($input) `,` type($gate_weight)
    `->` type($weights) `,` type($indices)
  }];
  let hasVerifier = 1;
}

def Dsv2_MoeExpertsOp : Dsv2_Op<"moe_experts", [
    Pure, AttrSizedOperandSegments, AllTypesMatch<["input", "result"]>]> {
  let summary = "Routed experts combined by the gate weights, plus shared experts";
  let description = [{
    `y[t] = sum_k weights[t,k] * Expert_{indices[t,k]}(x[t]) + Shared(x[t])`,
    every expert a gated MLP. Routed weights are stacked `[E, ...]`; the
    shared experts are one MLP of intermediate size
    `n_shared_experts * moe_intermediate_size`. No token is dropped.
  }];
  let arguments = (ins Dsv2_Activation:$input, RankedTensorOf<[F32]>:$weights,
                       RankedTensorOf<[I32]>:$indices,
                       Dsv2_WeightTensor:$gate_proj, Dsv2_WeightTensor:$up_proj,
                       Dsv2_WeightTensor:$down_proj,
                       Optional<Dsv2_WeightTensor>:$shared_gate_proj,
                       Optional<Dsv2_WeightTensor>:$shared_up_proj,
                       Optional<Dsv2_WeightTensor>:$shared_down_proj);
  let results = (outs Dsv2_Activation:$result);
  let assemblyFormat = [{
    $input `routed` `(` $weights `,` $indices `)`
    `experts` `(` $gate_proj `,` $up_proj `,` $down_proj `)`
    (`shared` `(` $shared_gate_proj^ `,` $shared_up_proj `,` $shared_down_proj `)`)?
    attr-dict `:` type($input) `,` type($weights) `,` type($indices)
    `,` `experts` `(` type($gate_proj) `,` type($up_proj) `,` type($down_proj) `)`
    (`,` `shared` `(` type($shared_gate_proj)^ `,` type($shared_up_proj) `,` type($shared_down_proj) `)`)?
  }];
  let hasVerifier = 1;
}

def Dsv2_MoeFusedOp : Dsv2_Op<"moe_fused", [
    Pure, AttrSizedOperandSegments, AllTypesMatch<["input", "result"]>]> {
  let summary = "DeepSeekMoE as one op: route, dispatch, grouped GEMMs, combine";
  let description = [{
    The fused form of `dsv2.moe_gate` + `dsv2.moe_experts` that kernel
    formation consumes:

    1. gate: fp32 `x @ W_gate^T`, softmax, (group-limited) top-k, scaling;
    2. dispatch: the T*top_k (token, expert) pairs are grouped by expert; each
       expert's rows start at an offset padded to a multiple of
       `block_size`, so grouped-GEMM tiles never straddle two experts
       (at most `T*top_k + E*(block_size-1)` rows);
    3. grouped GEMMs over the permuted rows: gate/up, `silu(gate) * up`, down;
    4. combine: each row scaled by its routing weight and summed back into
       token order; the shared experts run on all tokens alongside.

    Numerically it equals the unfused pair (only summation order differs).

    Expert parallelism (`dsv2-shard`): with `first_expert = F` the op holds
    only routed experts F .. F + E_local - 1 of the router's E; the router
    still scores all E, and pairs routed elsewhere contribute nothing here
    (another rank adds them in the all-reduce that follows).
  }];
  let arguments = (ins Dsv2_TopkMethod:$method, Dsv2_Activation:$input,
                       Dsv2_WeightTensor:$gate_weight,
                       Dsv2_WeightTensor:$gate_proj, Dsv2_WeightTensor:$up_proj,
                       Dsv2_WeightTensor:$down_proj,
                       Optional<Dsv2_WeightTensor>:$shared_gate_proj,
                       Optional<Dsv2_WeightTensor>:$shared_up_proj,
                       Optional<Dsv2_WeightTensor>:$shared_down_proj,
                       I64Attr:$top_k, I64Attr:$n_group, I64Attr:$topk_group,
                       F64Attr:$routed_scaling_factor, BoolAttr:$norm_topk_prob,
                       ConfinedAttr<I64Attr, [IntPositive]>:$block_size,
                       OptionalAttr<I64Attr>:$first_expert);
  let results = (outs Dsv2_Activation:$result);
  let assemblyFormat = [{
    $input `router` `(` $gate_weight `method` $method `)`
    `experts` `(` $gate_proj `,` $up_proj `,` $down_proj `)`
    (`shared` `(` $shared_gate_proj^ `,` $shared_up_proj `,` $shared_down_proj `)`)?
    attr-dict `:` type($input) `,` `router` `(` type($gate_weight) `)`
    `,` `experts` `(` type($gate_proj) `,` type($up_proj) `,` type($down_proj) `)`
    (`,` `shared` `(` type($shared_gate_proj)^ `,` type($shared_up_proj) `,` type($shared_down_proj) `)`)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Rows of the padded dispatch buffer for `tokens` tokens.
    int64_t paddedRows(int64_t tokens, int64_t experts) {
      return tokens * static_cast<int64_t>(getTopK()) +
             experts * (static_cast<int64_t>(getBlockSize()) - 1);
    }
  }];
}

//===----------------------------------------------------------------------===//
// Output head
//===----------------------------------------------------------------------===//

def Dsv2_LmHeadOp : Dsv2_Op<"lm_head", [Pure]> {
  let summary = "Logits `x @ lm_head^T` over the vocabulary, fp32";
  let arguments = (ins Dsv2_Activation:$input, Dsv2_WeightTensor:$weight);
  let results = (outs Dsv2_Activation:$logits);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight) `->` type($logits)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Collectives across ranks (inserted by dsv2-shard)
//===----------------------------------------------------------------------===//

def Dsv2_AllReduceOp : Dsv2_Op<"all_reduce", [AllTypesMatch<["input", "result"]>]> {
  let summary = "Sum of a value over the ranks of a group";
  let description = [{
    Every rank of `group` contributes its partial `input` (e.g. its heads'
    share of o_proj) and gets the sum. Not `Pure`: the other ranks wait for
    it, so it is never removed or moved across another collective.

    ```mlir
    %sum = dsv2.all_reduce %partial over tensor : tensor<?x5120xf32>
    ```
  }];
  let arguments = (ins Dsv2_Activation:$input, Dsv2_CollectiveGroup:$group);
  let results = (outs Dsv2_Activation:$result);
  let assemblyFormat = "$input `over` $group attr-dict `:` type($input)";
}

def Dsv2_AllGatherOp : Dsv2_Op<"all_gather", []> {
  let summary = "Concatenation of the last dimension over the ranks of a group";
  let description = [{
    Each of the `parts` ranks of `group` holds `[T, N]`; all get `[T, parts *
    N]`, the g-th rank's columns at `g * N` (logits split by vocabulary).

    ```mlir
    %logits = dsv2.all_gather %part over tensor parts 2 : tensor<?x51200xf32> -> tensor<?x102400xf32>
    ```
  }];
  let arguments = (ins Dsv2_Activation:$input, Dsv2_CollectiveGroup:$group,
                       ConfinedAttr<I64Attr, [IntPositive]>:$parts);
  let results = (outs Dsv2_Activation:$result);
  let assemblyFormat = [{
    $input `over` $group `parts` $parts attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // DSV2_OPS_TD
