// RUN: dsv2-opt %s -split-input-file -verify-diagnostics -dsv2-kv-latent-compression | FileCheck %s
// Idempotent: a second run finds no per-head cache and changes nothing.
// RUN: dsv2-opt %s -split-input-file -verify-diagnostics -dsv2-kv-latent-compression -dsv2-kv-latent-compression | FileCheck %s

// The per-head cache of a q_lora step (V2 shapes scaled down: 4 heads,
// qk_nope 16, qk_rope 8, v 16, kv_lora_rank 32) becomes the latent cache
// <latent_dim = kv_lora_rank, rope_dim = qk_rope_head_dim> in the signature,
// the block argument and every attention result along the chain; the
// weights and attributes stay.

// CHECK-LABEL: func.func @q_lora_two_layers
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[START:.*]]: index, %[[CACHE:.*]]: !dsv2.latent_kv_cache<layers = 2, latent_dim = 32, rope_dim = 8, element_type = bf16>)
// CHECK-SAME: -> (tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 2, latent_dim = 32, rope_dim = 8, element_type = bf16>)
// CHECK: %[[KVB0:.*]] = dsv2.weight "layers.0.kv_b_proj"
// CHECK: %[[Y0:.*]], %[[C0:.*]] = dsv2.mla_attention %[[X]], %[[CACHE]][layer 0] at %[[START]] weights(
// CHECK-SAME: kv_b_proj = %[[KVB0]] : tensor<128x32xbf16>
// CHECK-SAME: q_lora(q_a_proj = %{{.*}} : tensor<48x64xbf16>, q_a_norm = %{{.*}} : tensor<48xbf16>, q_b_proj = %{{.*}} : tensor<96x48xbf16>)
// CHECK-SAME: kv_lora_rank = 32
// CHECK-SAME: : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 2, latent_dim = 32, rope_dim = 8, element_type = bf16>
// CHECK: %[[Y1:.*]], %[[C1:.*]] = dsv2.mla_attention %[[Y0]], %[[C0]][layer 1] at %[[START]] weights(
// CHECK-SAME: : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 2, latent_dim = 32, rope_dim = 8, element_type = bf16>
// CHECK: return %[[Y1]], %[[C1]] : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 2, latent_dim = 32, rope_dim = 8, element_type = bf16>
// CHECK-NOT: !dsv2.kv_cache
func.func @q_lora_two_layers(%x: tensor<?x64xf32>, %start: index,
    %cache: !dsv2.kv_cache<layers = 2, heads = 4, key_dim = 24, value_dim = 16, element_type = bf16>)
    -> (tensor<?x64xf32>, !dsv2.kv_cache<layers = 2, heads = 4, key_dim = 24, value_dim = 16, element_type = bf16>) {
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
      : tensor<?x64xf32>, !dsv2.kv_cache<layers = 2, heads = 4, key_dim = 24, value_dim = 16, element_type = bf16>
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
      : tensor<?x64xf32>, !dsv2.kv_cache<layers = 2, heads = 4, key_dim = 24, value_dim = 16, element_type = bf16>
  return %y1, %c1 : tensor<?x64xf32>, !dsv2.kv_cache<layers = 2, heads = 4, key_dim = 24, value_dim = 16, element_type = bf16>
}

// -----

// Plain q_proj (V2-Lite style), weights as arguments, f16 cache, v_head_dim
// unlike qk_nope_head_dim: latent_dim 16 and rope_dim 4 come from the
// attention, layers and element type from the cache. The cache may sit
// anywhere in the signature and be the only result.

// CHECK-LABEL: func.func @q_proj_f16
// CHECK-SAME: (%[[CACHE:.*]]: !dsv2.latent_kv_cache<layers = 3, latent_dim = 16, rope_dim = 4, element_type = f16>, %[[X:.*]]: tensor<?x32xf32>, %[[START:.*]]: index,
// CHECK-SAME: -> !dsv2.latent_kv_cache<layers = 3, latent_dim = 16, rope_dim = 4, element_type = f16>
// CHECK: %{{.*}}, %[[C:.*]] = dsv2.mla_attention %[[X]], %[[CACHE]][layer 2] at %[[START]] weights(
// CHECK-SAME: q_proj = %{{.*}} : tensor<24x32xf16>
// CHECK-SAME: : tensor<?x32xf32>, !dsv2.latent_kv_cache<layers = 3, latent_dim = 16, rope_dim = 4, element_type = f16>
// CHECK: return %[[C]] : !dsv2.latent_kv_cache<layers = 3, latent_dim = 16, rope_dim = 4, element_type = f16>
func.func @q_proj_f16(
    %cache: !dsv2.kv_cache<layers = 3, heads = 2, key_dim = 12, value_dim = 6, element_type = f16>,
    %x: tensor<?x32xf32>, %start: index,
    %q: tensor<24x32xf16>, %kva: tensor<20x32xf16>, %kvn: tensor<16xf16>,
    %kvb: tensor<28x16xf16>, %o: tensor<32x12xf16>)
    -> !dsv2.kv_cache<layers = 3, heads = 2, key_dim = 12, value_dim = 6, element_type = f16> {
  %y, %c = dsv2.mla_attention %x, %cache[layer 2] at %start
      weights(kv_a_proj = %kva : tensor<20x32xf16>, kv_a_norm = %kvn : tensor<16xf16>,
              kv_b_proj = %kvb : tensor<28x16xf16>, o_proj = %o : tensor<32x12xf16>)
      q_proj = %q : tensor<24x32xf16>
      {heads = 2, kv_lora_rank = 16, qk_nope_head_dim = 8, qk_rope_head_dim = 4,
       v_head_dim = 6, softmax_scale = 0.2886751345948129, rms_norm_eps = 1.0e-06,
       rope = #dsv2.rope<dim = 4, theta = 1.0e+04>}
      : tensor<?x32xf32>, !dsv2.kv_cache<layers = 3, heads = 2, key_dim = 12, value_dim = 6, element_type = f16>
  return %c : !dsv2.kv_cache<layers = 3, heads = 2, key_dim = 12, value_dim = 6, element_type = f16>
}

// -----

// No cache: nothing changes.

// CHECK-LABEL: func.func @no_cache
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>) -> tensor<?x64xf32>
// CHECK-NEXT: %[[W:.*]] = dsv2.weight "norm"
// CHECK-NEXT: %[[Y:.*]] = dsv2.rms_norm %[[X]], %[[W]]
// CHECK-NEXT: return %[[Y]]
func.func @no_cache(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %w = dsv2.weight "norm" : tensor<64xbf16>
  %y = dsv2.rms_norm %x, %w epsilon 1.0e-06 : tensor<?x64xf32>, tensor<64xbf16>
  return %y : tensor<?x64xf32>
}

// -----

// Already latent: nothing changes.

// CHECK-LABEL: func.func @already_latent
// CHECK-SAME: (%[[X:.*]]: tensor<?x32xf32>, %[[START:.*]]: index, %[[CACHE:.*]]: !dsv2.latent_kv_cache<layers = 1, latent_dim = 16, rope_dim = 4, element_type = f32>,
// CHECK-SAME: -> !dsv2.latent_kv_cache<layers = 1, latent_dim = 16, rope_dim = 4, element_type = f32>
// CHECK: %{{.*}}, %[[C:.*]] = dsv2.mla_attention %[[X]], %[[CACHE]][layer 0] at %[[START]] weights(
// CHECK-SAME: : tensor<?x32xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 16, rope_dim = 4, element_type = f32>
// CHECK-NEXT: return %[[C]]
func.func @already_latent(%x: tensor<?x32xf32>, %start: index,
    %cache: !dsv2.latent_kv_cache<layers = 1, latent_dim = 16, rope_dim = 4, element_type = f32>,
    %q: tensor<24x32xf32>, %kva: tensor<20x32xf32>, %kvn: tensor<16xf32>,
    %kvb: tensor<28x16xf32>, %o: tensor<32x12xf32>)
    -> !dsv2.latent_kv_cache<layers = 1, latent_dim = 16, rope_dim = 4, element_type = f32> {
  %y, %c = dsv2.mla_attention %x, %cache[layer 0] at %start
      weights(kv_a_proj = %kva : tensor<20x32xf32>, kv_a_norm = %kvn : tensor<16xf32>,
              kv_b_proj = %kvb : tensor<28x16xf32>, o_proj = %o : tensor<32x12xf32>)
      q_proj = %q : tensor<24x32xf32>
      {heads = 2, kv_lora_rank = 16, qk_nope_head_dim = 8, qk_rope_head_dim = 4,
       v_head_dim = 6, softmax_scale = 0.2886751345948129, rms_norm_eps = 1.0e-06,
       rope = #dsv2.rope<dim = 4, theta = 1.0e+04>}
      : tensor<?x32xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 16, rope_dim = 4, element_type = f32>
  return %c : !dsv2.latent_kv_cache<layers = 1, latent_dim = 16, rope_dim = 4, element_type = f32>
}

// -----

// A cache that flows into an op the pass does not know (here a call) keeps
// the whole module unchanged: the pass fails and names the op. A declaration
// has no attention to take the latent shape from.

// expected-error @+1 {{dsv2-kv-latent-compression: function declaration 'callee' has a per-head !dsv2.kv_cache in its signature}}
func.func private @callee(%cache: !dsv2.kv_cache<layers = 1, heads = 2, key_dim = 12, value_dim = 6, element_type = f32>)
    -> !dsv2.kv_cache<layers = 1, heads = 2, key_dim = 12, value_dim = 6, element_type = f32>

func.func @cache_into_call(%x: tensor<?x32xf32>, %start: index,
    %cache: !dsv2.kv_cache<layers = 1, heads = 2, key_dim = 12, value_dim = 6, element_type = f32>,
    %q: tensor<24x32xf32>, %kva: tensor<20x32xf32>, %kvn: tensor<16xf32>,
    %kvb: tensor<28x16xf32>, %o: tensor<32x12xf32>)
    -> !dsv2.kv_cache<layers = 1, heads = 2, key_dim = 12, value_dim = 6, element_type = f32> {
  %y, %c = dsv2.mla_attention %x, %cache[layer 0] at %start
      weights(kv_a_proj = %kva : tensor<20x32xf32>, kv_a_norm = %kvn : tensor<16xf32>,
              kv_b_proj = %kvb : tensor<28x16xf32>, o_proj = %o : tensor<32x12xf32>)
      q_proj = %q : tensor<24x32xf32>
      {heads = 2, kv_lora_rank = 16, qk_nope_head_dim = 8, qk_rope_head_dim = 4,
       v_head_dim = 6, softmax_scale = 0.2886751345948129, rms_norm_eps = 1.0e-06,
       rope = #dsv2.rope<dim = 4, theta = 1.0e+04>}
      : tensor<?x32xf32>, !dsv2.kv_cache<layers = 1, heads = 2, key_dim = 12, value_dim = 6, element_type = f32>
  // expected-error @+1 {{dsv2-kv-latent-compression: 'func.call' uses the per-head KV cache; only caches that flow between dsv2.mla_attention ops and func.return can be compressed}}
  %r = func.call @callee(%c) : (!dsv2.kv_cache<layers = 1, heads = 2, key_dim = 12, value_dim = 6, element_type = f32>)
      -> !dsv2.kv_cache<layers = 1, heads = 2, key_dim = 12, value_dim = 6, element_type = f32>
  return %r : !dsv2.kv_cache<layers = 1, heads = 2, key_dim = 12, value_dim = 6, element_type = f32>
}

// -----

// Attentions that disagree on kv_lora_rank cannot share one latent cache
// type (the per-head cache does not fix it).

func.func @kv_lora_rank_mismatch(%x: tensor<?x32xf32>, %start: index,
    %cache: !dsv2.kv_cache<layers = 2, heads = 2, key_dim = 12, value_dim = 6, element_type = f32>,
    %q: tensor<24x32xf32>, %o: tensor<32x12xf32>,
    %kva16: tensor<20x32xf32>, %kvn16: tensor<16xf32>, %kvb16: tensor<28x16xf32>,
    %kva8: tensor<12x32xf32>, %kvn8: tensor<8xf32>, %kvb8: tensor<28x8xf32>)
    -> !dsv2.kv_cache<layers = 2, heads = 2, key_dim = 12, value_dim = 6, element_type = f32> {
  %y0, %c0 = dsv2.mla_attention %x, %cache[layer 0] at %start
      weights(kv_a_proj = %kva16 : tensor<20x32xf32>, kv_a_norm = %kvn16 : tensor<16xf32>,
              kv_b_proj = %kvb16 : tensor<28x16xf32>, o_proj = %o : tensor<32x12xf32>)
      q_proj = %q : tensor<24x32xf32>
      {heads = 2, kv_lora_rank = 16, qk_nope_head_dim = 8, qk_rope_head_dim = 4,
       v_head_dim = 6, softmax_scale = 0.2886751345948129, rms_norm_eps = 1.0e-06,
       rope = #dsv2.rope<dim = 4, theta = 1.0e+04>}
      : tensor<?x32xf32>, !dsv2.kv_cache<layers = 2, heads = 2, key_dim = 12, value_dim = 6, element_type = f32>
  // expected-error @+1 {{kv_lora_rank 8 and qk_rope_head_dim 4 differ from kv_lora_rank 16 and qk_rope_head_dim 4 of another dsv2.mla_attention on the KV cache of 'kv_lora_rank_mismatch'}}
  %y1, %c1 = dsv2.mla_attention %y0, %c0[layer 1] at %start
      weights(kv_a_proj = %kva8 : tensor<12x32xf32>, kv_a_norm = %kvn8 : tensor<8xf32>,
              kv_b_proj = %kvb8 : tensor<28x8xf32>, o_proj = %o : tensor<32x12xf32>)
      q_proj = %q : tensor<24x32xf32>
      {heads = 2, kv_lora_rank = 8, qk_nope_head_dim = 8, qk_rope_head_dim = 4,
       v_head_dim = 6, softmax_scale = 0.2886751345948129, rms_norm_eps = 1.0e-06,
       rope = #dsv2.rope<dim = 4, theta = 1.0e+04>}
      : tensor<?x32xf32>, !dsv2.kv_cache<layers = 2, heads = 2, key_dim = 12, value_dim = 6, element_type = f32>
  return %c1 : !dsv2.kv_cache<layers = 2, heads = 2, key_dim = 12, value_dim = 6, element_type = f32>
}

// -----

// A cache only passed through gives no kv_lora_rank to build the latent
// type from.

// expected-error @+1 {{function 'pass_through' carries a per-head !dsv2.kv_cache but no dsv2.mla_attention uses it}}
func.func @pass_through(%cache: !dsv2.kv_cache<layers = 1, heads = 2, key_dim = 12, value_dim = 6, element_type = f32>)
    -> !dsv2.kv_cache<layers = 1, heads = 2, key_dim = 12, value_dim = 6, element_type = f32> {
  return %cache : !dsv2.kv_cache<layers = 1, heads = 2, key_dim = 12, value_dim = 6, element_type = f32>
}
