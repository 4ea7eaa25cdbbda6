// The default policy is decode; each policy prints its keyword.
// RUN: dsv2-opt %s -split-input-file -verify-diagnostics -dsv2-mla-weight-absorption | FileCheck %s --check-prefixes=CHECK,ABS,DECODE
// RUN: dsv2-opt %s -split-input-file -verify-diagnostics -dsv2-mla-weight-absorption=policy=decode | FileCheck %s --check-prefixes=CHECK,ABS,DECODE
// RUN: dsv2-opt %s -split-input-file -verify-diagnostics -dsv2-mla-weight-absorption=policy=always | FileCheck %s --check-prefixes=CHECK,ABS,ALWAYS
// RUN: dsv2-opt %s -split-input-file -verify-diagnostics -dsv2-mla-weight-absorption=policy=auto | FileCheck %s --check-prefixes=CHECK,ABS,AUTO
// Idempotent: running twice equals running once.
// RUN: dsv2-opt %s -split-input-file -verify-diagnostics -dsv2-mla-weight-absorption -dsv2-mla-weight-absorption | FileCheck %s --check-prefixes=CHECK,ABS,DECODE
// never needs no latent cache (no diagnostics expected), so it runs without
// -verify-diagnostics; it strips absorbed weights and their split.
// RUN: dsv2-opt %s -split-input-file -dsv2-mla-weight-absorption=policy=never | FileCheck %s --check-prefixes=CHECK,NEVER
// RUN: not dsv2-opt %s -split-input-file -dsv2-mla-weight-absorption=policy=sometimes 2>&1 | FileCheck %s --check-prefix=BADPOLICY

// BADPOLICY: error: dsv2-mla-weight-absorption: policy 'sometimes' is not one of decode, always, never, auto

// q_lora, latent bf16 cache, two layers: one dsv2.split_kv_b right after
// each kv_b_proj, W_UK [heads, nope, C] and W_UV [heads, v, C] in bf16.

// CHECK-LABEL: func.func @q_lora_two_layers
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[START:.*]]: index, %[[CACHE:.*]]: !dsv2.latent_kv_cache<layers = 2, latent_dim = 32, rope_dim = 8, element_type = bf16>)
// CHECK: %[[KVB0:.*]] = dsv2.weight "layers.0.kv_b_proj"
// ABS-NEXT: %[[UK0:.*]], %[[UV0:.*]] = dsv2.split_kv_b %[[KVB0]] heads 4 : tensor<128x32xbf16> -> tensor<4x16x32xbf16>, tensor<4x16x32xbf16>
// CHECK-NEXT: dsv2.weight "layers.0.o_proj"
// DECODE-NEXT: %[[Y0:.*]], %[[C0:.*]] = dsv2.mla_attention %[[X]], %[[CACHE]][layer 0] at %[[START]] absorb decode weights(
// ALWAYS-NEXT: %[[Y0:.*]], %[[C0:.*]] = dsv2.mla_attention %[[X]], %[[CACHE]][layer 0] at %[[START]] absorb always weights(
// AUTO-NEXT: %[[Y0:.*]], %[[C0:.*]] = dsv2.mla_attention %[[X]], %[[CACHE]][layer 0] at %[[START]] absorb auto weights(
// NEVER-NEXT: %[[Y0:.*]], %[[C0:.*]] = dsv2.mla_attention %[[X]], %[[CACHE]][layer 0] at %[[START]] weights(
// CHECK-SAME: kv_b_proj = %[[KVB0]] : tensor<128x32xbf16>
// CHECK-SAME: q_lora(q_a_proj = %{{.*}} : tensor<48x64xbf16>, q_a_norm = %{{.*}} : tensor<48xbf16>, q_b_proj = %{{.*}} : tensor<96x48xbf16>)
// ABS-SAME: absorbed_weights(w_uk = %[[UK0]] : tensor<4x16x32xbf16>, w_uv = %[[UV0]] : tensor<4x16x32xbf16>)
// NEVER-NOT: absorbed_weights
// CHECK-SAME: : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 2, latent_dim = 32, rope_dim = 8, element_type = bf16>
// CHECK: %[[KVB1:.*]] = dsv2.weight "layers.1.kv_b_proj"
// ABS-NEXT: %[[UK1:.*]], %[[UV1:.*]] = dsv2.split_kv_b %[[KVB1]] heads 4 : tensor<128x32xbf16> -> tensor<4x16x32xbf16>, tensor<4x16x32xbf16>
// DECODE: %[[Y1:.*]], %[[C1:.*]] = dsv2.mla_attention %[[Y0]], %[[C0]][layer 1] at %[[START]] absorb decode weights(
// ALWAYS: %[[Y1:.*]], %[[C1:.*]] = dsv2.mla_attention %[[Y0]], %[[C0]][layer 1] at %[[START]] absorb always weights(
// AUTO: %[[Y1:.*]], %[[C1:.*]] = dsv2.mla_attention %[[Y0]], %[[C0]][layer 1] at %[[START]] absorb auto weights(
// NEVER: %[[Y1:.*]], %[[C1:.*]] = dsv2.mla_attention %[[Y0]], %[[C0]][layer 1] at %[[START]] weights(
// ABS-SAME: absorbed_weights(w_uk = %[[UK1]] : tensor<4x16x32xbf16>, w_uv = %[[UV1]] : tensor<4x16x32xbf16>)
// CHECK: return %[[Y1]], %[[C1]]
// NEVER-NOT: dsv2.split_kv_b
func.func @q_lora_two_layers(%x: tensor<?x64xf32>, %start: index,
    %cache: !dsv2.latent_kv_cache<layers = 2, latent_dim = 32, rope_dim = 8, element_type = bf16>)
    -> (tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 2, latent_dim = 32, rope_dim = 8, element_type = bf16>) {
  %qa0 = dsv2.weight "layers.0.q_a_proj" : tensor<48x64xbf16>
  %qn0 = dsv2.weight "layers.0.q_a_norm" : tensor<48xbf16>
  %qb0 = dsv2.weight "layers.0.q_b_proj" : tensor<96x48xbf16>
  %kva0 = dsv2.weight "layers.0.kv_a_proj" : tensor<40x64xbf16>
  %kvn0 = dsv2.weight "layers.0.kv_a_norm" : tensor<32xbf16>
  %kvb0 = dsv2.weight "layers.0.kv_b_proj" : tensor<128x32xbf16>
  %o0 = dsv2.weight "layers.0.o_proj" : tensor<64x64xbf16>
  %y0, %c0 = dsv2.mla_attention %x, %cache[layer 0] at %start
      weights(kv_a_proj = %kva0 : tensor<40x64xbf16>, kv_a_norm = %kvn0 : tensor<32xbf16>,
              kv_b_proj = %kvb0 : tensor<128x32xbf16>, o_proj = %o0 : tensor<64x64xbf16>)
      q_lora(q_a_proj = %qa0 : tensor<48x64xbf16>, q_a_norm = %qn0 : tensor<48xbf16>,
             q_b_proj = %qb0 : tensor<96x48xbf16>)
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8,
       v_head_dim = 16, softmax_scale = 0.2041241452319315, rms_norm_eps = 1.0e-06,
       rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 2, latent_dim = 32, rope_dim = 8, element_type = bf16>
  %qa1 = dsv2.weight "layers.1.q_a_proj" : tensor<48x64xbf16>
  %qn1 = dsv2.weight "layers.1.q_a_norm" : tensor<48xbf16>
  %qb1 = dsv2.weight "layers.1.q_b_proj" : tensor<96x48xbf16>
  %kva1 = dsv2.weight "layers.1.kv_a_proj" : tensor<40x64xbf16>
  %kvn1 = dsv2.weight "layers.1.kv_a_norm" : tensor<32xbf16>
  %kvb1 = dsv2.weight "layers.1.kv_b_proj" : tensor<128x32xbf16>
  %o1 = dsv2.weight "layers.1.o_proj" : tensor<64x64xbf16>
  %y1, %c1 = dsv2.mla_attention %y0, %c0[layer 1] at %start
      weights(kv_a_proj = %kva1 : tensor<40x64xbf16>, kv_a_norm = %kvn1 : tensor<32xbf16>,
              kv_b_proj = %kvb1 : tensor<128x32xbf16>, o_proj = %o1 : tensor<64x64xbf16>)
      q_lora(q_a_proj = %qa1 : tensor<48x64xbf16>, q_a_norm = %qn1 : tensor<48xbf16>,
             q_b_proj = %qb1 : tensor<96x48xbf16>)
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8,
       v_head_dim = 16, softmax_scale = 0.2041241452319315, rms_norm_eps = 1.0e-06,
       rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 2, latent_dim = 32, rope_dim = 8, element_type = bf16>
  return %y1, %c1 : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 2, latent_dim = 32, rope_dim = 8, element_type = bf16>
}

// -----

// Plain q_proj, f16 weights passed as arguments, v_head_dim 6 unlike
// qk_nope_head_dim 8: two attentions reading the same kv_b_proj value share
// one split, placed at the start of the body (kv_b_proj is an argument).

// CHECK-LABEL: func.func @q_proj_shared_kv_b
// CHECK-SAME: (%[[X:.*]]: tensor<?x32xf32>, %[[START:.*]]: index, %[[CACHE:.*]]: !dsv2.latent_kv_cache<layers = 2, latent_dim = 16, rope_dim = 4, element_type = f16>, %[[Q:.*]]: tensor<24x32xf16>, %[[KVA:.*]]: tensor<20x32xf16>, %[[KVN:.*]]: tensor<16xf16>, %[[KVB:.*]]: tensor<28x16xf16>, %[[O:.*]]: tensor<32x12xf16>)
// ABS-NEXT: %[[UK:.*]], %[[UV:.*]] = dsv2.split_kv_b %[[KVB]] heads 2 : tensor<28x16xf16> -> tensor<2x8x16xf16>, tensor<2x6x16xf16>
// ABS-NOT: dsv2.split_kv_b
// DECODE: dsv2.mla_attention %[[X]], %[[CACHE]][layer 0] at %[[START]] absorb decode weights(
// ALWAYS: dsv2.mla_attention %[[X]], %[[CACHE]][layer 0] at %[[START]] absorb always weights(
// AUTO: dsv2.mla_attention %[[X]], %[[CACHE]][layer 0] at %[[START]] absorb auto weights(
// NEVER: dsv2.mla_attention %[[X]], %[[CACHE]][layer 0] at %[[START]] weights(
// CHECK-SAME: kv_b_proj = %[[KVB]] : tensor<28x16xf16>
// CHECK-SAME: q_proj = %[[Q]] : tensor<24x32xf16>
// ABS-SAME: absorbed_weights(w_uk = %[[UK]] : tensor<2x8x16xf16>, w_uv = %[[UV]] : tensor<2x6x16xf16>)
// ABS-NOT: dsv2.split_kv_b
// CHECK: dsv2.mla_attention {{.*}}[layer 1]
// ABS-SAME: absorbed_weights(w_uk = %[[UK]] : tensor<2x8x16xf16>, w_uv = %[[UV]] : tensor<2x6x16xf16>)
// NEVER-NOT: absorbed_weights
// CHECK-NEXT: return
func.func @q_proj_shared_kv_b(%x: tensor<?x32xf32>, %start: index,
    %cache: !dsv2.latent_kv_cache<layers = 2, latent_dim = 16, rope_dim = 4, element_type = f16>,
    %q: tensor<24x32xf16>, %kva: tensor<20x32xf16>, %kvn: tensor<16xf16>,
    %kvb: tensor<28x16xf16>, %o: tensor<32x12xf16>)
    -> !dsv2.latent_kv_cache<layers = 2, latent_dim = 16, rope_dim = 4, element_type = f16> {
  %y0, %c0 = dsv2.mla_attention %x, %cache[layer 0] at %start
      weights(kv_a_proj = %kva : tensor<20x32xf16>, kv_a_norm = %kvn : tensor<16xf16>,
              kv_b_proj = %kvb : tensor<28x16xf16>, o_proj = %o : tensor<32x12xf16>)
      q_proj = %q : tensor<24x32xf16>
      {heads = 2, kv_lora_rank = 16, qk_nope_head_dim = 8, qk_rope_head_dim = 4,
       v_head_dim = 6, softmax_scale = 0.2886751345948129, rms_norm_eps = 1.0e-06,
       rope = #dsv2.rope<dim = 4, theta = 1.0e+04>}
      : tensor<?x32xf32>, !dsv2.latent_kv_cache<layers = 2, latent_dim = 16, rope_dim = 4, element_type = f16>
  %y1, %c1 = dsv2.mla_attention %y0, %c0[layer 1] at %start
      weights(kv_a_proj = %kva : tensor<20x32xf16>, kv_a_norm = %kvn : tensor<16xf16>,
              kv_b_proj = %kvb : tensor<28x16xf16>, o_proj = %o : tensor<32x12xf16>)
      q_proj = %q : tensor<24x32xf16>
      {heads = 2, kv_lora_rank = 16, qk_nope_head_dim = 8, qk_rope_head_dim = 4,
       v_head_dim = 6, softmax_scale = 0.2886751345948129, rms_norm_eps = 1.0e-06,
       rope = #dsv2.rope<dim = 4, theta = 1.0e+04>}
      : tensor<?x32xf32>, !dsv2.latent_kv_cache<layers = 2, latent_dim = 16, rope_dim = 4, element_type = f16>
  return %c1 : !dsv2.latent_kv_cache<layers = 2, latent_dim = 16, rope_dim = 4, element_type = f16>
}

// -----

// Already absorbed (always) by an earlier run: the existing split is reused
// for another policy, and never removes both the weights and the split.
// Derived weights that do not come from a split of this attention's kv_b_proj
// (here function arguments) are replaced by the split.

// CHECK-LABEL: func.func @re_policy
// CHECK-SAME: %[[KVB:[^:]*]]: tensor<28x16xf32>
// ABS-NEXT: %[[UK:.*]], %[[UV:.*]] = dsv2.split_kv_b %[[KVB]] heads 2
// ABS-NOT: dsv2.split_kv_b
// DECODE: dsv2.mla_attention {{.*}}[layer 0] at %{{.*}} absorb decode weights(
// ALWAYS: dsv2.mla_attention {{.*}}[layer 0] at %{{.*}} absorb always weights(
// AUTO: dsv2.mla_attention {{.*}}[layer 0] at %{{.*}} absorb auto weights(
// NEVER: dsv2.mla_attention {{.*}}[layer 0] at %{{.*}} weights(
// ABS-SAME: absorbed_weights(w_uk = %[[UK]] : tensor<2x8x16xf32>, w_uv = %[[UV]] : tensor<2x6x16xf32>)
// NEVER-NOT: absorbed_weights
// DECODE: dsv2.mla_attention {{.*}}[layer 1] at %{{.*}} absorb decode weights(
// ALWAYS: dsv2.mla_attention {{.*}}[layer 1] at %{{.*}} absorb always weights(
// AUTO: dsv2.mla_attention {{.*}}[layer 1] at %{{.*}} absorb auto weights(
// NEVER: dsv2.mla_attention {{.*}}[layer 1] at %{{.*}} weights(
// ABS-SAME: absorbed_weights(w_uk = %[[UK]] : tensor<2x8x16xf32>, w_uv = %[[UV]] : tensor<2x6x16xf32>)
// NEVER-NOT: absorbed_weights
// CHECK-NEXT: return
// NEVER-NOT: dsv2.split_kv_b
func.func @re_policy(%x: tensor<?x32xf32>, %start: index,
    %cache: !dsv2.latent_kv_cache<layers = 2, latent_dim = 16, rope_dim = 4, element_type = f32>,
    %q: tensor<24x32xf32>, %kva: tensor<20x32xf32>, %kvn: tensor<16xf32>,
    %kvb: tensor<28x16xf32>, %o: tensor<32x12xf32>,
    %ckuk: tensor<2x8x16xf32>, %ckuv: tensor<2x6x16xf32>)
    -> !dsv2.latent_kv_cache<layers = 2, latent_dim = 16, rope_dim = 4, element_type = f32> {
  %uk, %uv = dsv2.split_kv_b %kvb heads 2 : tensor<28x16xf32> -> tensor<2x8x16xf32>, tensor<2x6x16xf32>
  %y0, %c0 = dsv2.mla_attention %x, %cache[layer 0] at %start absorb always
      weights(kv_a_proj = %kva : tensor<20x32xf32>, kv_a_norm = %kvn : tensor<16xf32>,
              kv_b_proj = %kvb : tensor<28x16xf32>, o_proj = %o : tensor<32x12xf32>)
      q_proj = %q : tensor<24x32xf32>
      absorbed_weights(w_uk = %uk : tensor<2x8x16xf32>, w_uv = %uv : tensor<2x6x16xf32>)
      {heads = 2, kv_lora_rank = 16, qk_nope_head_dim = 8, qk_rope_head_dim = 4,
       v_head_dim = 6, softmax_scale = 0.2886751345948129, rms_norm_eps = 1.0e-06,
       rope = #dsv2.rope<dim = 4, theta = 1.0e+04>}
      : tensor<?x32xf32>, !dsv2.latent_kv_cache<layers = 2, latent_dim = 16, rope_dim = 4, element_type = f32>
  %y1, %c1 = dsv2.mla_attention %y0, %c0[layer 1] at %start absorb decode
      weights(kv_a_proj = %kva : tensor<20x32xf32>, kv_a_norm = %kvn : tensor<16xf32>,
              kv_b_proj = %kvb : tensor<28x16xf32>, o_proj = %o : tensor<32x12xf32>)
      q_proj = %q : tensor<24x32xf32>
      absorbed_weights(w_uk = %ckuk : tensor<2x8x16xf32>, w_uv = %ckuv : tensor<2x6x16xf32>)
      {heads = 2, kv_lora_rank = 16, qk_nope_head_dim = 8, qk_rope_head_dim = 4,
       v_head_dim = 6, softmax_scale = 0.2886751345948129, rms_norm_eps = 1.0e-06,
       rope = #dsv2.rope<dim = 4, theta = 1.0e+04>}
      : tensor<?x32xf32>, !dsv2.latent_kv_cache<layers = 2, latent_dim = 16, rope_dim = 4, element_type = f32>
  return %c1 : !dsv2.latent_kv_cache<layers = 2, latent_dim = 16, rope_dim = 4, element_type = f32>
}

// -----

// The per-head cache: absorption needs the latent one and names the pass to
// run first (decode, always, auto); never leaves the attention as it is.

// NEVER-LABEL: func.func @per_head_cache
// NEVER: dsv2.mla_attention %{{.*}}, %{{.*}}[layer 0] at %{{.*}} weights(
// NEVER-NOT: absorb
// NEVER-SAME: !dsv2.kv_cache<layers = 1, heads = 2, key_dim = 12, value_dim = 6, element_type = f32>
func.func @per_head_cache(%x: tensor<?x32xf32>, %start: index,
    %cache: !dsv2.kv_cache<layers = 1, heads = 2, key_dim = 12, value_dim = 6, element_type = f32>,
    %q: tensor<24x32xf32>, %kva: tensor<20x32xf32>, %kvn: tensor<16xf32>,
    %kvb: tensor<28x16xf32>, %o: tensor<32x12xf32>)
    -> !dsv2.kv_cache<layers = 1, heads = 2, key_dim = 12, value_dim = 6, element_type = f32> {
  // expected-error @+1 {{dsv2-mla-weight-absorption needs the latent KV cache; run dsv2-kv-latent-compression first}}
  %y, %c = dsv2.mla_attention %x, %cache[layer 0] at %start
      weights(kv_a_proj = %kva : tensor<20x32xf32>, kv_a_norm = %kvn : tensor<16xf32>,
              kv_b_proj = %kvb : tensor<28x16xf32>, o_proj = %o : tensor<32x12xf32>)
      q_proj = %q : tensor<24x32xf32>
      {heads = 2, kv_lora_rank = 16, qk_nope_head_dim = 8, qk_rope_head_dim = 4,
       v_head_dim = 6, softmax_scale = 0.2886751345948129, rms_norm_eps = 1.0e-06,
       rope = #dsv2.rope<dim = 4, theta = 1.0e+04>}
      : tensor<?x32xf32>, !dsv2.kv_cache<layers = 1, heads = 2, key_dim = 12, value_dim = 6, element_type = f32>
  return %c : !dsv2.kv_cache<layers = 1, heads = 2, key_dim = 12, value_dim = 6, element_type = f32>
}

// -----

// No attention: nothing changes.

// CHECK-LABEL: func.func @no_attention
// CHECK-NEXT: dsv2.weight "norm"
// CHECK-NEXT: dsv2.rms_norm
// CHECK-NEXT: return
func.func @no_attention(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %w = dsv2.weight "norm" : tensor<64xbf16>
  %y = dsv2.rms_norm %x, %w epsilon 1.0e-06 : tensor<?x64xf32>, tensor<64xbf16>
  return %y : tensor<?x64xf32>
}
