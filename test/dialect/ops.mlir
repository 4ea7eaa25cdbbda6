// Round trip of every dsv2 op, type and attribute: parse, print, parse again.
// RUN: dsv2-opt %s | dsv2-opt | FileCheck %s
// RUN: dsv2-opt %s --mlir-print-op-generic | dsv2-opt | FileCheck %s

// CHECK-LABEL: func.func @weights_and_norms
func.func @weights_and_norms(%ids: tensor<?xi32>) -> tensor<?x64xf32> {
  // CHECK: %[[TABLE:.*]] = dsv2.weight "model.embed_tokens.weight" : tensor<512x64xbf16>
  %table = dsv2.weight "model.embed_tokens.weight" : tensor<512x64xbf16>
  // CHECK: %[[NORM:.*]] = dsv2.weight "model.norm.weight" : tensor<64xf32>
  %norm = dsv2.weight "model.norm.weight" : tensor<64xf32>
  // CHECK: dsv2.weight "model.layers.1.mlp.experts.{e}.gate_proj.weight" : tensor<8x32x64xf16>
  %stacked = dsv2.weight "model.layers.1.mlp.experts.{e}.gate_proj.weight" : tensor<8x32x64xf16>
  // CHECK: %[[X:.*]] = dsv2.embedding %{{.*}}, %[[TABLE]] : tensor<?xi32>, tensor<512x64xbf16> -> tensor<?x64xf32>
  %x = dsv2.embedding %ids, %table : tensor<?xi32>, tensor<512x64xbf16> -> tensor<?x64xf32>
  // CHECK: %[[Y:.*]] = dsv2.rms_norm %[[X]], %[[NORM]] epsilon 9.9999999999999995E-7 : tensor<?x64xf32>, tensor<64xf32>
  %y = dsv2.rms_norm %x, %norm epsilon 1.0e-06 : tensor<?x64xf32>, tensor<64xf32>
  // CHECK: dsv2.add %[[X]], %[[Y]] : tensor<?x64xf32>
  %z = dsv2.add %x, %y : tensor<?x64xf32>
  return %z : tensor<?x64xf32>
}

// CHECK-LABEL: func.func @linear_rope
func.func @linear_rope(%x: tensor<?x64xf32>, %q: tensor<?x4x8xf32>, %start: index) -> (tensor<?x32xf32>, tensor<?x4x8xf32>) {
  %w = dsv2.weight "w" : tensor<32x64xf32>
  // CHECK: dsv2.linear %{{.*}}, %{{.*}} : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  %y = dsv2.linear %x, %w : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  // CHECK: dsv2.rope %{{.*}} at %{{.*}} rope <dim = 8, theta = 1.000000e+04> : tensor<?x4x8xf32>
  %r = dsv2.rope %q at %start rope <dim = 8, theta = 1.0e+04> : tensor<?x4x8xf32>
  // CHECK: dsv2.rope %{{.*}} at %{{.*}} rope <dim = 8, theta = 1.000000e+04, yarn = <factor = 4.000000e+00, original_max_position = 64, beta_fast = 3.200000e+01, beta_slow = 1.000000e+00, mscale = 7.070000e-01, mscale_all_dim = 1.000000e+00>>
  %s = dsv2.rope %r at %start rope <dim = 8, theta = 1.0e+04, yarn = <factor = 4.0, original_max_position = 64, beta_fast = 32.0, beta_slow = 1.0, mscale = 0.707, mscale_all_dim = 1.0>> : tensor<?x4x8xf32>
  return %y, %s : tensor<?x32xf32>, tensor<?x4x8xf32>
}

// The q_lora path with the per-head cache of the reference.
// CHECK-LABEL: func.func @mla_lora
func.func @mla_lora(%x: tensor<?x64xf32>, %start: index,
                    %cache: !dsv2.kv_cache<layers = 3, heads = 4, key_dim = 24, value_dim = 16, element_type = f32>)
    -> (tensor<?x64xf32>, !dsv2.kv_cache<layers = 3, heads = 4, key_dim = 24, value_dim = 16, element_type = f32>) {
  %qa = dsv2.weight "q_a" : tensor<48x64xf32>
  %qn = dsv2.weight "q_a_norm" : tensor<48xf32>
  %qb = dsv2.weight "q_b" : tensor<96x48xf32>
  %kva = dsv2.weight "kv_a" : tensor<40x64xf32>
  %kvn = dsv2.weight "kv_a_norm" : tensor<32xf32>
  %kvb = dsv2.weight "kv_b" : tensor<128x32xf32>
  %o = dsv2.weight "o" : tensor<64x64xf32>
  // CHECK: dsv2.mla_attention %{{.*}}, %{{.*}}[layer 2] at %{{.*}} weights(kv_a_proj = %{{.*}} : tensor<40x64xf32>, kv_a_norm = %{{.*}} : tensor<32xf32>, kv_b_proj = %{{.*}} : tensor<128x32xf32>, o_proj = %{{.*}} : tensor<64x64xf32>) q_lora(q_a_proj = %{{.*}} : tensor<48x64xf32>, q_a_norm = %{{.*}} : tensor<48xf32>, q_b_proj = %{{.*}} : tensor<96x48xf32>)
  // CHECK-SAME: heads = 4
  // CHECK-SAME: rope = #dsv2.rope<dim = 8, theta = 1.000000e+04>
  // CHECK-SAME: : tensor<?x64xf32>, !dsv2.kv_cache<layers = 3, heads = 4, key_dim = 24, value_dim = 16, element_type = f32>
  %y, %c = dsv2.mla_attention %x, %cache[layer 2] at %start
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_lora(q_a_proj = %qa : tensor<48x64xf32>, q_a_norm = %qn : tensor<48xf32>,
             q_b_proj = %qb : tensor<96x48xf32>)
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8,
       v_head_dim = 16, softmax_scale = 0.2041241452319315, rms_norm_eps = 1.0e-06,
       rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.kv_cache<layers = 3, heads = 4, key_dim = 24, value_dim = 16, element_type = f32>
  return %y, %c : tensor<?x64xf32>, !dsv2.kv_cache<layers = 3, heads = 4, key_dim = 24, value_dim = 16, element_type = f32>
}

// Plain q_proj (V2-Lite), latent cache, and the absorbed form with the
// weights dsv2.split_kv_b derives from kv_b_proj.
// CHECK-LABEL: func.func @mla_plain_q_latent
func.func @mla_plain_q_latent(%x: tensor<?x64xf32>, %start: index,
                              %cache: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = bf16>)
    -> !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = bf16> {
  %q = dsv2.weight "q" : tensor<96x64xbf16>
  %kva = dsv2.weight "kv_a" : tensor<40x64xbf16>
  %kvn = dsv2.weight "kv_a_norm" : tensor<32xbf16>
  %kvb = dsv2.weight "kv_b" : tensor<128x32xbf16>
  %o = dsv2.weight "o" : tensor<64x64xbf16>
  // CHECK: %[[UK:.*]], %[[UV:.*]] = dsv2.split_kv_b %{{.*}} heads 4 : tensor<128x32xbf16> -> tensor<4x16x32xbf16>, tensor<4x16x32xbf16>
  %uk, %uv = dsv2.split_kv_b %kvb heads 4 : tensor<128x32xbf16> -> tensor<4x16x32xbf16>, tensor<4x16x32xbf16>
  // CHECK: dsv2.mla_attention %{{.*}}, %{{.*}}[layer 0] at %{{.*}} absorb decode weights(kv_a_proj = %{{.*}} : tensor<40x64xbf16>, kv_a_norm = %{{.*}} : tensor<32xbf16>, kv_b_proj = %{{.*}} : tensor<128x32xbf16>, o_proj = %{{.*}} : tensor<64x64xbf16>) q_proj = %{{.*}} : tensor<96x64xbf16> absorbed_weights(w_uk = %[[UK]] : tensor<4x16x32xbf16>, w_uv = %[[UV]] : tensor<4x16x32xbf16>)
  // CHECK-SAME: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = bf16>
  %y, %c = dsv2.mla_attention %x, %cache[layer 0] at %start absorb decode
      weights(kv_a_proj = %kva : tensor<40x64xbf16>, kv_a_norm = %kvn : tensor<32xbf16>,
              kv_b_proj = %kvb : tensor<128x32xbf16>, o_proj = %o : tensor<64x64xbf16>)
      q_proj = %q : tensor<96x64xbf16>
      absorbed_weights(w_uk = %uk : tensor<4x16x32xbf16>, w_uv = %uv : tensor<4x16x32xbf16>)
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8,
       v_head_dim = 16, softmax_scale = 0.2041241452319315, rms_norm_eps = 1.0e-06,
       rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = bf16>
  // The other policies print their keyword; never is the default and is elided.
  // CHECK: dsv2.mla_attention {{.*}} absorb always weights
  %y2, %c2 = dsv2.mla_attention %y, %c[layer 0] at %start absorb always
      weights(kv_a_proj = %kva : tensor<40x64xbf16>, kv_a_norm = %kvn : tensor<32xbf16>,
              kv_b_proj = %kvb : tensor<128x32xbf16>, o_proj = %o : tensor<64x64xbf16>)
      q_proj = %q : tensor<96x64xbf16>
      absorbed_weights(w_uk = %uk : tensor<4x16x32xbf16>, w_uv = %uv : tensor<4x16x32xbf16>)
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8,
       v_head_dim = 16, softmax_scale = 0.2041241452319315, rms_norm_eps = 1.0e-06,
       rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = bf16>
  // CHECK: dsv2.mla_attention {{.*}} absorb auto weights
  %y3, %c3 = dsv2.mla_attention %y2, %c2[layer 0] at %start absorb auto
      weights(kv_a_proj = %kva : tensor<40x64xbf16>, kv_a_norm = %kvn : tensor<32xbf16>,
              kv_b_proj = %kvb : tensor<128x32xbf16>, o_proj = %o : tensor<64x64xbf16>)
      q_proj = %q : tensor<96x64xbf16>
      absorbed_weights(w_uk = %uk : tensor<4x16x32xbf16>, w_uv = %uv : tensor<4x16x32xbf16>)
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8,
       v_head_dim = 16, softmax_scale = 0.2041241452319315, rms_norm_eps = 1.0e-06,
       rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = bf16>
  // CHECK: dsv2.mla_attention %{{.*}}, %{{.*}}[layer 0] at %{{.*}} weights(
  %y4, %c4 = dsv2.mla_attention %y3, %c3[layer 0] at %start
      weights(kv_a_proj = %kva : tensor<40x64xbf16>, kv_a_norm = %kvn : tensor<32xbf16>,
              kv_b_proj = %kvb : tensor<128x32xbf16>, o_proj = %o : tensor<64x64xbf16>)
      q_proj = %q : tensor<96x64xbf16>
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8,
       v_head_dim = 16, softmax_scale = 0.2041241452319315, rms_norm_eps = 1.0e-06,
       rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = bf16>
  return %c4 : !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = bf16>
}

// CHECK-LABEL: func.func @moe_fused
func.func @moe_fused(%x: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %router = dsv2.weight "mlp.gate.weight" : tensor<8x64xf32>
  %eg = dsv2.weight "experts.{e}.gate_proj.weight" : tensor<8x32x64xf32>
  %eu = dsv2.weight "experts.{e}.up_proj.weight" : tensor<8x32x64xf32>
  %ed = dsv2.weight "experts.{e}.down_proj.weight" : tensor<8x64x32xf32>
  %sg = dsv2.weight "shared_experts.gate_proj.weight" : tensor<64x64xf32>
  %su = dsv2.weight "shared_experts.up_proj.weight" : tensor<64x64xf32>
  %sd = dsv2.weight "shared_experts.down_proj.weight" : tensor<64x64xf32>
  // CHECK: dsv2.moe_fused %{{.*}} router(%{{.*}} method group_limited_greedy) experts(%{{.*}}, %{{.*}}, %{{.*}}) shared(%{{.*}}, %{{.*}}, %{{.*}}) {block_size = 16 : i64, n_group = 4 : i64, norm_topk_prob = false, routed_scaling_factor = 2.000000e+00 : f64, top_k = 2 : i64, topk_group = 2 : i64} : tensor<?x64xf32>, router(tensor<8x64xf32>), experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>), shared(tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>)
  %a = dsv2.moe_fused %x router(%router method group_limited_greedy) experts(%eg, %eu, %ed) shared(%sg, %su, %sd)
      {top_k = 2, n_group = 4, topk_group = 2, routed_scaling_factor = 2.0, norm_topk_prob = false, block_size = 16}
      : tensor<?x64xf32>, router(tensor<8x64xf32>), experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>), shared(tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>)
  // CHECK: dsv2.moe_fused %{{.*}} router(%{{.*}} method greedy) experts(%{{.*}}, %{{.*}}, %{{.*}}) {block_size = 1 : i64
  // CHECK-SAME: experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>){{$}}
  %b = dsv2.moe_fused %a router(%router method greedy) experts(%eg, %eu, %ed)
      {top_k = 2, n_group = 1, topk_group = 1, routed_scaling_factor = 1.0, norm_topk_prob = true, block_size = 1}
      : tensor<?x64xf32>, router(tensor<8x64xf32>), experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>)
  return %a, %b : tensor<?x64xf32>, tensor<?x64xf32>
}

// CHECK-LABEL: func.func @feed_forward
func.func @feed_forward(%x: tensor<?x64xf32>) -> tensor<?x512xf32> {
  %g = dsv2.weight "gate" : tensor<128x64xf32>
  %u = dsv2.weight "up" : tensor<128x64xf32>
  %d = dsv2.weight "down" : tensor<64x128xf32>
  // CHECK: dsv2.mlp %{{.*}} gate %{{.*}} up %{{.*}} down %{{.*}} : tensor<?x64xf32>, tensor<128x64xf32>, tensor<128x64xf32>, tensor<64x128xf32>
  %m = dsv2.mlp %x gate %g up %u down %d : tensor<?x64xf32>, tensor<128x64xf32>, tensor<128x64xf32>, tensor<64x128xf32>

  %router = dsv2.weight "mlp.gate.weight" : tensor<8x64xf32>
  // CHECK: dsv2.moe_gate %{{.*}}, %{{.*}} method group_limited_greedy {n_group = 4 : i64, norm_topk_prob = false, routed_scaling_factor = 2.000000e+00 : f64, top_k = 2 : i64, topk_group = 2 : i64} : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %w, %idx = dsv2.moe_gate %m, %router method group_limited_greedy {top_k = 2, n_group = 4, topk_group = 2, routed_scaling_factor = 2.0, norm_topk_prob = false}
      : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  // CHECK: dsv2.moe_gate %{{.*}}, %{{.*}} method greedy {
  %w2, %idx2 = dsv2.moe_gate %m, %router method greedy {top_k = 2, n_group = 1, topk_group = 1, routed_scaling_factor = 1.0, norm_topk_prob = true}
      : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x2xf32>, tensor<?x2xi32>

  %eg = dsv2.weight "experts.{e}.gate_proj.weight" : tensor<8x32x64xf32>
  %eu = dsv2.weight "experts.{e}.up_proj.weight" : tensor<8x32x64xf32>
  %ed = dsv2.weight "experts.{e}.down_proj.weight" : tensor<8x64x32xf32>
  %sg = dsv2.weight "shared_experts.gate_proj.weight" : tensor<64x64xf32>
  %su = dsv2.weight "shared_experts.up_proj.weight" : tensor<64x64xf32>
  %sd = dsv2.weight "shared_experts.down_proj.weight" : tensor<64x64xf32>
  // CHECK: dsv2.moe_experts %{{.*}} routed(%{{.*}}, %{{.*}}) experts(%{{.*}}, %{{.*}}, %{{.*}}) shared(%{{.*}}, %{{.*}}, %{{.*}}) : tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>), shared(tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>)
  %e = dsv2.moe_experts %m routed(%w, %idx) experts(%eg, %eu, %ed) shared(%sg, %su, %sd)
      : tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>), shared(tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>)
  // Without shared experts (n_shared_experts null).
  // CHECK: dsv2.moe_experts %{{.*}} routed(%{{.*}}, %{{.*}}) experts(%{{.*}}, %{{.*}}, %{{.*}}) : tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>){{$}}
  %e2 = dsv2.moe_experts %e routed(%w2, %idx2) experts(%eg, %eu, %ed)
      : tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>)

  %head = dsv2.weight "lm_head.weight" : tensor<512x64xf32>
  // CHECK: dsv2.lm_head %{{.*}}, %{{.*}} : tensor<?x64xf32>, tensor<512x64xf32> -> tensor<?x512xf32>
  %logits = dsv2.lm_head %e2, %head : tensor<?x64xf32>, tensor<512x64xf32> -> tensor<?x512xf32>
  return %logits : tensor<?x512xf32>
}
