// Negative tests of the dsv2 verifiers: one case per rule of Dsv2Ops.cpp,
// Dsv2Attrs.cpp and Dsv2Types.cpp, plus the ODS constraints users hit.
// RUN: dsv2-opt %s -split-input-file -verify-diagnostics

// Dsv2Types.cpp KvCacheType: dimensions must be positive.
// expected-error @+1 {{kv_cache dimensions must be positive, got layers = 3, heads = 0}}
func.func private @kv_cache_zero_heads(!dsv2.kv_cache<layers = 3, heads = 0, key_dim = 24, value_dim = 16, element_type = f32>)

// -----

// Dsv2Types.cpp KvCacheType: element_type must be f32, bf16 or f16.
// expected-error @+1 {{kv_cache element_type must be f32, bf16 or f16, got 'i8'}}
func.func private @kv_cache_i8(!dsv2.kv_cache<layers = 3, heads = 4, key_dim = 24, value_dim = 16, element_type = i8>)

// -----

// Dsv2Types.cpp LatentKvCacheType: dimensions must be positive.
// expected-error @+1 {{latent_kv_cache dimensions must be positive, got layers = -1}}
func.func private @latent_negative_layers(!dsv2.latent_kv_cache<layers = -1, latent_dim = 32, rope_dim = 8, element_type = bf16>)

// -----

// Dsv2Types.cpp LatentKvCacheType: element_type must be f32, bf16 or f16.
// expected-error @+1 {{latent_kv_cache element_type must be f32, bf16 or f16, got 'f64'}}
func.func private @latent_f64(!dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f64>)

// -----

// Dsv2Attrs.cpp RopeAttr: dim must be positive and even.
func.func @rope_attr_dim(%q: tensor<?x4x8xf32>, %s: index) -> tensor<?x4x8xf32> {
  // expected-error @+1 {{rope dim 7 must be positive and even (RoPE rotates pairs)}}
  %r = dsv2.rope %q at %s rope <dim = 7, theta = 1.0e+04> : tensor<?x4x8xf32>
  return %r : tensor<?x4x8xf32>
}

// -----

// Dsv2Attrs.cpp RopeAttr: theta must be greater than 1.
func.func @rope_attr_theta(%q: tensor<?x4x8xf32>, %s: index) -> tensor<?x4x8xf32> {
  // expected-error @+1 {{rope theta 1.000000e+00 must be greater than 1}}
  %r = dsv2.rope %q at %s rope <dim = 8, theta = 1.0> : tensor<?x4x8xf32>
  return %r : tensor<?x4x8xf32>
}

// -----

// Dsv2Attrs.cpp YarnAttr: factor must be >= 1.
func.func @yarn_factor(%q: tensor<?x4x8xf32>, %s: index) -> tensor<?x4x8xf32> {
  // expected-error @+2 {{yarn factor 5.000000e-01 must be >= 1 (YaRN only extends the context)}}
  // expected-error @+1 {{failed to parse Dsv2_RopeAttr parameter 'yarn'}}
  %r = dsv2.rope %q at %s rope <dim = 8, theta = 1.0e+04, yarn = <factor = 0.5, original_max_position = 64, beta_fast = 32.0, beta_slow = 1.0, mscale = 0.707, mscale_all_dim = 1.0>> : tensor<?x4x8xf32>
  return %r : tensor<?x4x8xf32>
}

// -----

// Dsv2Attrs.cpp YarnAttr: original_max_position must be positive.
func.func @yarn_original_max_position(%q: tensor<?x4x8xf32>, %s: index) -> tensor<?x4x8xf32> {
  // expected-error @+2 {{yarn original_max_position 0 must be positive}}
  // expected-error @+1 {{failed to parse Dsv2_RopeAttr parameter 'yarn'}}
  %r = dsv2.rope %q at %s rope <dim = 8, theta = 1.0e+04, yarn = <factor = 4.0, original_max_position = 0, beta_fast = 32.0, beta_slow = 1.0, mscale = 0.707, mscale_all_dim = 1.0>> : tensor<?x4x8xf32>
  return %r : tensor<?x4x8xf32>
}

// -----

// Dsv2Attrs.cpp YarnAttr: beta_fast must be greater than beta_slow.
func.func @yarn_beta_order(%q: tensor<?x4x8xf32>, %s: index) -> tensor<?x4x8xf32> {
  // expected-error @+2 {{yarn beta_fast 1.000000e+00 must be greater than beta_slow 3.200000e+01}}
  // expected-error @+1 {{failed to parse Dsv2_RopeAttr parameter 'yarn'}}
  %r = dsv2.rope %q at %s rope <dim = 8, theta = 1.0e+04, yarn = <factor = 4.0, original_max_position = 64, beta_fast = 1.0, beta_slow = 32.0, mscale = 0.707, mscale_all_dim = 1.0>> : tensor<?x4x8xf32>
  return %r : tensor<?x4x8xf32>
}

// -----

// Dsv2Attrs.cpp YarnAttr: mscale must keep 0.1 * mscale * ln(factor) + 1 positive.
func.func @yarn_mscale(%q: tensor<?x4x8xf32>, %s: index) -> tensor<?x4x8xf32> {
  // expected-error @+2 {{yarn mscale_all_dim -1.000000e+02 makes the YaRN attention scale non-positive}}
  // expected-error @+1 {{failed to parse Dsv2_RopeAttr parameter 'yarn'}}
  %r = dsv2.rope %q at %s rope <dim = 8, theta = 1.0e+04, yarn = <factor = 4.0, original_max_position = 64, beta_fast = 32.0, beta_slow = 1.0, mscale = 0.707, mscale_all_dim = -100.0>> : tensor<?x4x8xf32>
  return %r : tensor<?x4x8xf32>
}

// -----

// Dsv2Attrs.cpp YarnAttr: beta_slow must be positive.
func.func @yarn_beta_slow(%q: tensor<?x4x8xf32>, %s: index) -> tensor<?x4x8xf32> {
  // expected-error @+2 {{yarn beta_slow 0.000000e+00 must be positive}}
  // expected-error @+1 {{failed to parse Dsv2_RopeAttr parameter 'yarn'}}
  %r = dsv2.rope %q at %s rope <dim = 8, theta = 1.0e+04, yarn = <factor = 4.0, original_max_position = 64, beta_fast = 32.0, beta_slow = 0.0, mscale = 0.707, mscale_all_dim = 1.0>> : tensor<?x4x8xf32>
  return %r : tensor<?x4x8xf32>
}

// -----

// WeightOp: needs a checkpoint tensor name.
func.func @weight_empty_name() {
  // expected-error @+1 {{needs a checkpoint tensor name}}
  %w = dsv2.weight "" : tensor<64xf32>
  return
}

// -----

// WeightOp: must have a static shape.
func.func @weight_dynamic() {
  // expected-error @+1 {{weight 'w' must have a static shape, got [?, 64]}}
  %w = dsv2.weight "w" : tensor<?x64xf32>
  return
}

// -----

// WeightOp: stacked expert weight must be rank 3.
func.func @weight_stacked_rank() {
  // expected-error @+1 {{stacked expert weight 'experts.{e}.gate_proj.weight' must be [experts, out, in], got rank 2}}
  %w = dsv2.weight "experts.{e}.gate_proj.weight" : tensor<32x64xf32>
  return
}

// -----

// WeightOp: a plain weight must be rank 1 or 2.
func.func @weight_rank3() {
  // expected-error @+1 {{weight 'w' must be a vector or an [out, in] matrix, got rank 3}}
  %w = dsv2.weight "w" : tensor<2x32x64xf32>
  return
}

// -----

// ODS: weights are f32, bf16 or f16 (an i32 weight is rejected).
func.func @weight_i32() {
  // expected-error @+1 {{result #0 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float values}}
  %w = dsv2.weight "w" : tensor<64xi32>
  return
}

// -----

// EmbeddingOp: table must be [vocab, hidden].
func.func @embedding_table_rank(%ids: tensor<?xi32>, %t: tensor<512xbf16>) {
  // expected-error @+1 {{embedding table must be [vocab, hidden], got [512]}}
  %x = dsv2.embedding %ids, %t : tensor<?xi32>, tensor<512xbf16> -> tensor<?x64xf32>
  return
}

// -----

// EmbeddingOp (checkActivation): result must be rank 2.
func.func @embedding_result_rank(%ids: tensor<?xi32>, %t: tensor<512x64xbf16>) {
  // expected-error @+1 {{result must be [tokens, the embedding width], got rank 3}}
  %x = dsv2.embedding %ids, %t : tensor<?xi32>, tensor<512x64xbf16> -> tensor<?x1x64xf32>
  return
}

// -----

// EmbeddingOp (checkActivation): result width must equal the table width.
func.func @embedding_result_width(%ids: tensor<?xi32>, %t: tensor<512x64xbf16>) {
  // expected-error @+1 {{result has width 32 but the embedding width is 64}}
  %x = dsv2.embedding %ids, %t : tensor<?xi32>, tensor<512x64xbf16> -> tensor<?x32xf32>
  return
}

// -----

// EmbeddingOp: one result row per token id.
func.func @embedding_rows(%ids: tensor<3xi32>, %t: tensor<512x64xbf16>) {
  // expected-error @+1 {{result has 4 rows for 3 tokens}}
  %x = dsv2.embedding %ids, %t : tensor<3xi32>, tensor<512x64xbf16> -> tensor<4x64xf32>
  return
}

// -----

// ODS: token ids are a 1-D i32 tensor (i64 ids are rejected).
func.func @embedding_i64_ids(%ids: tensor<?xi64>, %t: tensor<512x64xbf16>) {
  // expected-error @+1 {{operand #0 must be 1D tensor of 32-bit signless integer values}}
  %x = dsv2.embedding %ids, %t : tensor<?xi64>, tensor<512x64xbf16> -> tensor<?x64xf32>
  return
}

// -----

// RmsNormOp: input must have at least one dimension.
func.func @rms_norm_scalar(%x: tensor<f32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{input must have at least one dimension}}
  %y = dsv2.rms_norm %x, %w epsilon 1.0e-06 : tensor<f32>, tensor<64xf32>
  return
}

// -----

// RmsNormOp: norm weight must be a vector.
func.func @rms_norm_weight_rank(%x: tensor<?x64xf32>, %w: tensor<1x64xf32>) {
  // expected-error @+1 {{norm weight must be a vector, got [1, 64]}}
  %y = dsv2.rms_norm %x, %w epsilon 1.0e-06 : tensor<?x64xf32>, tensor<1x64xf32>
  return
}

// -----

// RmsNormOp: norm weight length must equal the normalized dimension.
func.func @rms_norm_weight_size(%x: tensor<?x64xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{norm weight has 32 elements but the normalized dimension is 64}}
  %y = dsv2.rms_norm %x, %w epsilon 1.0e-06 : tensor<?x64xf32>, tensor<32xf32>
  return
}

// -----

// RmsNormOp: epsilon must be positive.
func.func @rms_norm_epsilon(%x: tensor<?x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{epsilon 0.000000e+00 must be positive}}
  %y = dsv2.rms_norm %x, %w epsilon 0.0 : tensor<?x64xf32>, tensor<64xf32>
  return
}

// -----

// Dsv2Ops.cpp RmsNormOp: a NaN epsilon is not positive either.
func.func @rms_norm_epsilon_nan(%x: tensor<?x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{must be positive}}
  %y = dsv2.rms_norm %x, %w epsilon 0x7FF8000000000000 : tensor<?x64xf32>, tensor<64xf32>
  return
}

// -----

// ODS: weights must have static shapes (config sizes are read off them).
func.func @mlp_dynamic_weight(%x: tensor<?x64xf32>, %g: tensor<?x64xf32>, %u: tensor<128x64xf32>, %d: tensor<64x128xf32>) {
  // expected-error @+1 {{operand #1 must be statically shaped tensor}}
  %m = dsv2.mlp %x gate %g up %u down %d : tensor<?x64xf32>, tensor<?x64xf32>, tensor<128x64xf32>, tensor<64x128xf32>
  return
}

// -----

// ODS: activations are f32 (a bf16 input is rejected).
func.func @rms_norm_bf16_input(%x: tensor<?x64xbf16>, %w: tensor<64xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float values}}
  %y = dsv2.rms_norm %x, %w epsilon 1.0e-06 : tensor<?x64xbf16>, tensor<64xf32>
  return
}

// -----

// ODS (add): operands and result must have the same type.
func.func @add_mismatch(%a: tensor<?x64xf32>, %b: tensor<?x32xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %z = "dsv2.add"(%a, %b) : (tensor<?x64xf32>, tensor<?x32xf32>) -> tensor<?x64xf32>
  return
}

// -----

// LinearOp: weight must be [out, in].
func.func @linear_weight_rank(%x: tensor<?x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{weight must be [out, in], got [64]}}
  %y = dsv2.linear %x, %w : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  return
}

// -----

// LinearOp: input's last dimension must equal in.
func.func @linear_in(%x: tensor<?x48xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{input [?, 48] does not match weight [out, in] = [32, 64] (x @ W^T needs in = 64)}}
  %y = dsv2.linear %x, %w : tensor<?x48xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  return
}

// -----

// LinearOp: a rank-0 input has no in dimension (same rule, input.empty() branch).
func.func @linear_scalar_input(%x: tensor<f32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{input [] does not match weight [out, in] = [32, 64]}}
  %y = dsv2.linear %x, %w : tensor<f32>, tensor<32x64xf32> -> tensor<?x32xf32>
  return
}

// -----

// LinearOp: result's last dimension must be out.
func.func @linear_out(%x: tensor<?x64xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{result [?, 16] must be the input shape with the last dimension replaced by out = 32}}
  %y = dsv2.linear %x, %w : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x16xf32>
  return
}

// -----

// LinearOp: result rank must equal the input rank (same rule, rank branch).
func.func @linear_result_rank(%x: tensor<?x64xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{result [32] must be the input shape with the last dimension replaced by out = 32}}
  %y = dsv2.linear %x, %w : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<32xf32>
  return
}

// -----

// LinearOp: leading dimensions are kept.
func.func @linear_leading(%x: tensor<3x64xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{result [4, 32] changes leading dimensions of the input [3, 64]}}
  %y = dsv2.linear %x, %w : tensor<3x64xf32>, tensor<32x64xf32> -> tensor<4x32xf32>
  return
}

// -----

// ODS: linear weight of i32 elements is rejected.
func.func @linear_i32_weight(%x: tensor<?x64xf32>, %w: tensor<32x64xi32>) {
  // expected-error @+1 {{operand #1 must be statically shaped tensor of 32-bit float or bfloat16 type or 16-bit float values}}
  %y = dsv2.linear %x, %w : tensor<?x64xf32>, tensor<32x64xi32> -> tensor<?x32xf32>
  return
}

// -----

// ODS: linear result must be f32.
func.func @linear_f16_result(%x: tensor<?x64xf32>, %w: tensor<32x64xf16>) {
  // expected-error @+1 {{result #0 must be ranked tensor of 32-bit float values}}
  %y = dsv2.linear %x, %w : tensor<?x64xf32>, tensor<32x64xf16> -> tensor<?x32xf16>
  return
}

// -----

// RopeOp: input must be [tokens, heads, rope_dim].
func.func @rope_rank(%q: tensor<?x8xf32>, %s: index) {
  // expected-error @+1 {{input must be [tokens, heads, rope_dim], got [?, 8]}}
  %r = dsv2.rope %q at %s rope <dim = 8, theta = 1.0e+04> : tensor<?x8xf32>
  return
}

// -----

// RopeOp: input width must equal the rope attribute's dim.
func.func @rope_width(%q: tensor<?x4x16xf32>, %s: index) {
  // expected-error @+1 {{input has rope width 16 but the rope attribute has dim 8}}
  %r = dsv2.rope %q at %s rope <dim = 8, theta = 1.0e+04> : tensor<?x4x16xf32>
  return
}

// -----

// ODS (properties): the rope attribute must be a #dsv2.rope.
func.func @rope_wrong_attr(%q: tensor<?x4x8xf32>, %s: index) {
  // expected-error @+1 {{Invalid attribute `rope` in property conversion: 8 : i64}}
  %r = "dsv2.rope"(%q, %s) <{rope = 8 : i64}> : (tensor<?x4x8xf32>, index) -> tensor<?x4x8xf32>
  return
}

// -----

// MlaAttentionOp: heads must be positive.
func.func @mla_heads(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %q: tensor<96x64xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{heads must be positive, got 0}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_proj = %q : tensor<96x64xf32>
      {heads = 0, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp: kv_lora_rank must be positive.
func.func @mla_kv_lora(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %q: tensor<96x64xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{kv_lora_rank must be positive, got -32}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_proj = %q : tensor<96x64xf32>
      {heads = 4, kv_lora_rank = -32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp: qk_nope_head_dim must be positive.
func.func @mla_nope(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %q: tensor<96x64xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{qk_nope_head_dim must be positive, got 0}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_proj = %q : tensor<96x64xf32>
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 0, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp: qk_rope_head_dim must be positive.
func.func @mla_rope_dim(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %q: tensor<96x64xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{qk_rope_head_dim must be positive, got 0}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_proj = %q : tensor<96x64xf32>
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 0, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp: v_head_dim must be positive.
func.func @mla_v(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %q: tensor<96x64xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{v_head_dim must be positive, got 0}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_proj = %q : tensor<96x64xf32>
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 0,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp: the rope attribute's dim must equal qk_rope_head_dim.
func.func @mla_rope_attr(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %q: tensor<96x64xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{rope dim 16 differs from qk_rope_head_dim 8}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_proj = %q : tensor<96x64xf32>
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 16, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp: softmax_scale must be positive.
func.func @mla_scale(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %q: tensor<96x64xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{softmax_scale must be positive}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_proj = %q : tensor<96x64xf32>
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = -0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp: rms_norm_eps must be positive.
func.func @mla_eps(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %q: tensor<96x64xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{rms_norm_eps must be positive}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_proj = %q : tensor<96x64xf32>
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 0.0, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp: input must be [tokens, hidden] with a static hidden size.
func.func @mla_dynamic_hidden(
    %x: tensor<?x?xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %q: tensor<96x64xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{input must be [tokens, hidden] with a static hidden size, got [?, ?]}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_proj = %q : tensor<96x64xf32>
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x?xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp: input must be rank 2 (same rule, rank branch).
func.func @mla_input_rank(
    %x: tensor<?x1x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %q: tensor<96x64xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{input must be [tokens, hidden] with a static hidden size, got [?, 1, 64]}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_proj = %q : tensor<96x64xf32>
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x1x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp: the q_lora path needs all three weights (generic form: q_a_proj without q_a_norm/q_b_proj).
func.func @mla_partial_q_lora(%x: tensor<?x64xf32>, %s: index, %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>, %qa: tensor<48x64xf32>,
                              %kva: tensor<40x64xf32>, %kvn: tensor<32xf32>, %kvb: tensor<128x32xf32>, %o: tensor<64x64xf32>) {
  // expected-error @+1 {{the q_lora path needs q_a_proj, q_a_norm and q_b_proj together}}
  %y:2 = "dsv2.mla_attention"(%x, %s, %c, %qa, %kva, %kvn, %kvb, %o) <{heads = 4 : i64, kv_lora_rank = 32 : i64, layer = 0 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0>, qk_nope_head_dim = 16 : i64, qk_rope_head_dim = 8 : i64, rms_norm_eps = 1.0e-06 : f64, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>, softmax_scale = 0.2 : f64, v_head_dim = 16 : i64}>
      : (tensor<?x64xf32>, index, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>, tensor<48x64xf32>, tensor<40x64xf32>, tensor<32xf32>, tensor<128x32xf32>, tensor<64x64xf32>) -> (tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>)
  return
}

// -----

// MlaAttentionOp: needs either the q_lora path or q_proj, not both.
func.func @mla_both_q(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %qa: tensor<48x64xf32>,
    %qn: tensor<48xf32>,
    %qb: tensor<96x48xf32>,
    %q: tensor<96x64xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{needs either the q_lora path (q_a_proj, q_a_norm, q_b_proj) or q_proj, not both}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_lora(q_a_proj = %qa : tensor<48x64xf32>, q_a_norm = %qn : tensor<48xf32>,
             q_b_proj = %qb : tensor<96x48xf32>)
      q_proj = %q : tensor<96x64xf32>
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp: needs either the q_lora path or q_proj, not neither.
func.func @mla_neither_q(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{needs either the q_lora path (q_a_proj, q_a_norm, q_b_proj) or q_proj, not neither}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp: q_a_proj must be a matrix.
func.func @mla_q_a_rank(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %qa: tensor<48xf32>,
    %qn: tensor<48xf32>,
    %qb: tensor<96x48xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{q_a_proj weight must be [q_lora_rank, hidden], got [48]}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_lora(q_a_proj = %qa : tensor<48xf32>, q_a_norm = %qn : tensor<48xf32>,
             q_b_proj = %qb : tensor<96x48xf32>)
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp (checkWeightShape): q_a_proj must be [q_lora_rank, hidden].
func.func @mla_q_a_hidden(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %qa: tensor<48x32xf32>,
    %qn: tensor<48xf32>,
    %qb: tensor<96x48xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{q_a_proj weight has shape [48, 32], expected [48 (q_lora_rank), 64 (hidden)]}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_lora(q_a_proj = %qa : tensor<48x32xf32>, q_a_norm = %qn : tensor<48xf32>,
             q_b_proj = %qb : tensor<96x48xf32>)
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp (checkWeightShape): q_a_norm must be [q_lora_rank].
func.func @mla_q_a_norm(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %qa: tensor<48x64xf32>,
    %qn: tensor<32xf32>,
    %qb: tensor<96x48xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{q_a_norm weight has shape [32], expected [48 (q_lora_rank)]}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_lora(q_a_proj = %qa : tensor<48x64xf32>, q_a_norm = %qn : tensor<32xf32>,
             q_b_proj = %qb : tensor<96x48xf32>)
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp (checkWeightShape): q_b_proj must be [heads*(nope+rope), q_lora_rank].
func.func @mla_q_b(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %qa: tensor<48x64xf32>,
    %qn: tensor<48xf32>,
    %qb: tensor<64x48xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{q_b_proj weight has shape [64, 48], expected [96 (heads*(qk_nope_head_dim+qk_rope_head_dim)), 48 (q_lora_rank)]}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_lora(q_a_proj = %qa : tensor<48x64xf32>, q_a_norm = %qn : tensor<48xf32>,
             q_b_proj = %qb : tensor<64x48xf32>)
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp (checkWeightShape): q_proj must be [heads*(nope+rope), hidden].
func.func @mla_q_proj(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %q: tensor<96x32xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{q_proj weight has shape [96, 32], expected [96 (heads*(qk_nope_head_dim+qk_rope_head_dim)), 64 (hidden)]}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_proj = %q : tensor<96x32xf32>
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp (checkWeightShape): kv_a_proj must be [kv_lora_rank+qk_rope_head_dim, hidden].
func.func @mla_kv_a(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %q: tensor<96x64xf32>,
    %kva: tensor<32x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{kv_a_proj_with_mqa weight has shape [32, 64], expected [40 (kv_lora_rank+qk_rope_head_dim), 64 (hidden)]}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<32x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_proj = %q : tensor<96x64xf32>
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp (checkWeightShape): kv_a_norm must be [kv_lora_rank].
func.func @mla_kv_a_norm(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %q: tensor<96x64xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<40xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{kv_a_layernorm weight has shape [40], expected [32 (kv_lora_rank)]}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<40xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_proj = %q : tensor<96x64xf32>
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp (checkWeightShape): kv_b_proj must be [heads*(nope+v), kv_lora_rank].
func.func @mla_kv_b(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %q: tensor<96x64xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<96x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{kv_b_proj weight has shape [96, 32], expected [128 (heads*(qk_nope_head_dim+v_head_dim)), 32 (kv_lora_rank)]}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<96x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_proj = %q : tensor<96x64xf32>
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp (checkWeightShape): o_proj must be [hidden, heads*v_head_dim].
func.func @mla_o(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %q: tensor<96x64xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x32xf32>) {
  // expected-error @+1 {{o_proj weight has shape [64, 32], expected [64 (hidden), 64 (heads*v_head_dim)]}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x32xf32>)
      q_proj = %q : tensor<96x64xf32>
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp: the absorbed form needs the latent cache.
func.func @mla_absorbed_naive(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.kv_cache<layers = 3, heads = 4, key_dim = 24, value_dim = 16, element_type = f32>,
    %q: tensor<96x64xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>,
    %uk: tensor<4x16x32xf32>,
    %uv: tensor<4x16x32xf32>) {
  // expected-error @+1 {{the absorbed form reads the latent cache; it cannot use a per-head !dsv2.kv_cache}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s absorb decode
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_proj = %q : tensor<96x64xf32>
      absorbed_weights(w_uk = %uk : tensor<4x16x32xf32>, w_uv = %uv : tensor<4x16x32xf32>)
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.kv_cache<layers = 3, heads = 4, key_dim = 24, value_dim = 16, element_type = f32>
  return
}

// -----

// MlaAttentionOp: a per-head kv_cache must match heads/key_dim/value_dim.
func.func @mla_naive_cache(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.kv_cache<layers = 3, heads = 4, key_dim = 16, value_dim = 16, element_type = f32>,
    %q: tensor<96x64xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{kv_cache holds heads = 4, key_dim = 16, value_dim = 16 but the attention needs heads = 4, key_dim = 24 (qk_nope_head_dim+qk_rope_head_dim), value_dim = 16}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_proj = %q : tensor<96x64xf32>
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.kv_cache<layers = 3, heads = 4, key_dim = 16, value_dim = 16, element_type = f32>
  return
}

// -----

// MlaAttentionOp: a latent cache must match kv_lora_rank and qk_rope_head_dim.
func.func @mla_latent_cache(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 64, rope_dim = 8, element_type = f32>,
    %q: tensor<96x64xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{latent_kv_cache holds latent_dim = 64, rope_dim = 8 but kv_lora_rank = 32, qk_rope_head_dim = 8}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_proj = %q : tensor<96x64xf32>
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 64, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp: layer must be inside the cache.
func.func @mla_layer_outside(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.kv_cache<layers = 3, heads = 4, key_dim = 24, value_dim = 16, element_type = f32>,
    %q: tensor<96x64xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{layer 3 is outside the cache's 3 layers}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 3] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_proj = %q : tensor<96x64xf32>
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.kv_cache<layers = 3, heads = 4, key_dim = 24, value_dim = 16, element_type = f32>
  return
}

// -----

// ODS: layer must be non-negative.
func.func @mla_negative_layer(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %q: tensor<96x64xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xf32>) {
  // expected-error @+1 {{attribute 'layer' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer -1] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_proj = %q : tensor<96x64xf32>
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// ODS: weights of mla_attention are f32, bf16 or f16 (an i32 o_proj is rejected).
func.func @mla_i32_weight(
    %x: tensor<?x64xf32>,
    %s: index,
    %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %q: tensor<96x64xf32>,
    %kva: tensor<40x64xf32>,
    %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>,
    %o: tensor<64x64xi32>) {
  // expected-error @+1 {{operand #7 must be statically shaped tensor of 32-bit float or bfloat16 type or 16-bit float values}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xi32>)
      q_proj = %q : tensor<96x64xf32>
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// ODS: the cache operand must be a dsv2 KV cache.
func.func @mla_tensor_cache(%x: tensor<?x64xf32>, %s: index, %c: tensor<4xf32>, %q: tensor<96x64xf32>,
                            %kva: tensor<40x64xf32>, %kvn: tensor<32xf32>, %kvb: tensor<128x32xf32>, %o: tensor<64x64xf32>) {
  // expected-error @+1 {{operand #2 must be a dsv2 KV cache}}
  %y:2 = "dsv2.mla_attention"(%x, %s, %c, %q, %kva, %kvn, %kvb, %o) <{heads = 4 : i64, kv_lora_rank = 32 : i64, layer = 0 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0>, qk_nope_head_dim = 16 : i64, qk_rope_head_dim = 8 : i64, rms_norm_eps = 1.0e-06 : f64, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>, softmax_scale = 0.2 : f64, v_head_dim = 16 : i64}>
      : (tensor<?x64xf32>, index, tensor<4xf32>, tensor<96x64xf32>, tensor<40x64xf32>, tensor<32xf32>, tensor<128x32xf32>, tensor<64x64xf32>) -> (tensor<?x64xf32>, tensor<4xf32>)
  return
}

// -----

// MlpOp: input must be [tokens, hidden] with a static hidden size.
func.func @mlp_dynamic_hidden(%x: tensor<?x?xf32>, %g: tensor<128x64xf32>, %u: tensor<128x64xf32>, %d: tensor<64x128xf32>) {
  // expected-error @+1 {{input must be [tokens, hidden] with a static hidden size, got [?, ?]}}
  %m = dsv2.mlp %x gate %g up %u down %d : tensor<?x?xf32>, tensor<128x64xf32>, tensor<128x64xf32>, tensor<64x128xf32>
  return
}

// -----

// checkGatedMlp: gate_proj must be a matrix.
func.func @mlp_gate_rank(%x: tensor<?x64xf32>, %g: tensor<128xf32>, %u: tensor<128x64xf32>, %d: tensor<64x128xf32>) {
  // expected-error @+1 {{gate_proj weight must be [intermediate, hidden], got [128]}}
  %m = dsv2.mlp %x gate %g up %u down %d : tensor<?x64xf32>, tensor<128xf32>, tensor<128x64xf32>, tensor<64x128xf32>
  return
}

// -----

// checkGatedMlp (checkWeightShape): gate_proj must be [intermediate, hidden].
func.func @mlp_gate(%x: tensor<?x64xf32>, %g: tensor<128x32xf32>, %u: tensor<128x64xf32>, %d: tensor<64x128xf32>) {
  // expected-error @+1 {{gate_proj weight has shape [128, 32], expected [128 (intermediate), 64 (hidden)]}}
  %m = dsv2.mlp %x gate %g up %u down %d : tensor<?x64xf32>, tensor<128x32xf32>, tensor<128x64xf32>, tensor<64x128xf32>
  return
}

// -----

// checkGatedMlp (checkWeightShape): up_proj must be [intermediate, hidden].
func.func @mlp_up(%x: tensor<?x64xf32>, %g: tensor<128x64xf32>, %u: tensor<96x64xf32>, %d: tensor<64x128xf32>) {
  // expected-error @+1 {{up_proj weight has shape [96, 64], expected [128 (intermediate), 64 (hidden)]}}
  %m = dsv2.mlp %x gate %g up %u down %d : tensor<?x64xf32>, tensor<128x64xf32>, tensor<96x64xf32>, tensor<64x128xf32>
  return
}

// -----

// checkGatedMlp (checkWeightShape): down_proj must be [hidden, intermediate].
func.func @mlp_down(%x: tensor<?x64xf32>, %g: tensor<128x64xf32>, %u: tensor<128x64xf32>, %d: tensor<128x64xf32>) {
  // expected-error @+1 {{down_proj weight has shape [128, 64], expected [64 (hidden), 128 (intermediate)]}}
  %m = dsv2.mlp %x gate %g up %u down %d : tensor<?x64xf32>, tensor<128x64xf32>, tensor<128x64xf32>, tensor<128x64xf32>
  return
}

// -----

// MoeGateOp: gate weight must be [n_routed_experts, hidden].
func.func @gate_weight_rank(%x: tensor<?x64xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{gate weight must be [n_routed_experts, hidden], got [8]}}
  %w, %i = dsv2.moe_gate %x, %g method group_limited_greedy {top_k = 2, n_group = 4, topk_group = 2, routed_scaling_factor = 2.0, norm_topk_prob = false}
      : tensor<?x64xf32>, tensor<8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  return
}

// -----

// MoeGateOp (checkActivation): input must be [tokens, hidden].
func.func @gate_input_rank(%x: tensor<?x1x64xf32>, %g: tensor<8x64xf32>) {
  // expected-error @+1 {{input must be [tokens, hidden], got rank 3}}
  %w, %i = dsv2.moe_gate %x, %g method group_limited_greedy {top_k = 2, n_group = 4, topk_group = 2, routed_scaling_factor = 2.0, norm_topk_prob = false}
      : tensor<?x1x64xf32>, tensor<8x64xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  return
}

// -----

// MoeGateOp (checkActivation): input width must equal the gate's hidden.
func.func @gate_input_width(%x: tensor<?x32xf32>, %g: tensor<8x64xf32>) {
  // expected-error @+1 {{input has width 32 but hidden is 64}}
  %w, %i = dsv2.moe_gate %x, %g method group_limited_greedy {top_k = 2, n_group = 4, topk_group = 2, routed_scaling_factor = 2.0, norm_topk_prob = false}
      : tensor<?x32xf32>, tensor<8x64xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  return
}

// -----

// MoeGateOp: top_k must be in [1, experts].
func.func @gate_top_k(%x: tensor<?x64xf32>, %g: tensor<8x64xf32>) {
  // expected-error @+1 {{top_k (num_experts_per_tok) 9 must be in [1, 8] for 8 routed experts}}
  %w, %i = dsv2.moe_gate %x, %g method greedy {top_k = 9, n_group = 4, topk_group = 2, routed_scaling_factor = 2.0, norm_topk_prob = false}
      : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x9xf32>, tensor<?x9xi32>
  return
}

// -----

// MoeGateOp: top_k must be at least 1 (same rule, lower bound).
func.func @gate_top_k_zero(%x: tensor<?x64xf32>, %g: tensor<8x64xf32>) {
  // expected-error @+1 {{top_k (num_experts_per_tok) 0 must be in [1, 8]}}
  %w, %i = dsv2.moe_gate %x, %g method greedy {top_k = 0, n_group = 4, topk_group = 2, routed_scaling_factor = 2.0, norm_topk_prob = false}
      : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x0xf32>, tensor<?x0xi32>
  return
}

// -----

// MoeGateOp: routed_scaling_factor must be positive.
func.func @gate_scale(%x: tensor<?x64xf32>, %g: tensor<8x64xf32>) {
  // expected-error @+1 {{routed_scaling_factor must be positive}}
  %w, %i = dsv2.moe_gate %x, %g method group_limited_greedy {top_k = 2, n_group = 4, topk_group = 2, routed_scaling_factor = 0.0, norm_topk_prob = false}
      : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  return
}

// -----

// MoeGateOp: n_group must divide the routed experts.
func.func @gate_n_group(%x: tensor<?x64xf32>, %g: tensor<8x64xf32>) {
  // expected-error @+1 {{n_group 3 must divide the 8 routed experts}}
  %w, %i = dsv2.moe_gate %x, %g method group_limited_greedy {top_k = 2, n_group = 3, topk_group = 2, routed_scaling_factor = 2.0, norm_topk_prob = false}
      : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  return
}

// -----

// MoeGateOp: topk_group must be in [1, n_group].
func.func @gate_topk_group(%x: tensor<?x64xf32>, %g: tensor<8x64xf32>) {
  // expected-error @+1 {{topk_group 5 must be in [1, 4] (n_group)}}
  %w, %i = dsv2.moe_gate %x, %g method group_limited_greedy {top_k = 2, n_group = 4, topk_group = 5, routed_scaling_factor = 2.0, norm_topk_prob = false}
      : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  return
}

// -----

// MoeGateOp: top_k cannot exceed the experts of the topk_group best groups.
func.func @gate_top_k_groups(%x: tensor<?x64xf32>, %g: tensor<8x64xf32>) {
  // expected-error @+1 {{top_k 3 exceeds the 2 experts in the topk_group best groups}}
  %w, %i = dsv2.moe_gate %x, %g method group_limited_greedy {top_k = 3, n_group = 4, topk_group = 1, routed_scaling_factor = 2.0, norm_topk_prob = false}
      : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x3xf32>, tensor<?x3xi32>
  return
}

// -----

// MoeGateOp: results must be [tokens, top_k].
func.func @gate_results(%x: tensor<?x64xf32>, %g: tensor<8x64xf32>) {
  // expected-error @+1 {{results must be [tokens, top_k = 2], got [?, 3]}}
  %w, %i = dsv2.moe_gate %x, %g method group_limited_greedy {top_k = 2, n_group = 4, topk_group = 2, routed_scaling_factor = 2.0, norm_topk_prob = false}
      : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x3xf32>, tensor<?x2xi32>
  return
}

// -----

// MoeGateOp: result rows must equal the input tokens (same rule, rows branch).
func.func @gate_results_rows(%x: tensor<4x64xf32>, %g: tensor<8x64xf32>) {
  // expected-error @+1 {{results must be [tokens, top_k = 2], got [5, 2]}}
  %w, %i = dsv2.moe_gate %x, %g method group_limited_greedy {top_k = 2, n_group = 4, topk_group = 2, routed_scaling_factor = 2.0, norm_topk_prob = false}
      : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x2xf32>, tensor<5x2xi32>
  return
}

// -----

// ODS: an unknown topk method is rejected.
func.func @gate_method(%x: tensor<?x64xf32>, %g: tensor<8x64xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'method' [greedy, group_limited_greedy]}}
  %w, %i = dsv2.moe_gate %x, %g method noaux_tc {top_k = 2, n_group = 4, topk_group = 2, routed_scaling_factor = 2.0, norm_topk_prob = false}
      : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  return
}

// -----

// ODS: the gate indices must be i32.
func.func @gate_i64_indices(%x: tensor<?x64xf32>, %g: tensor<8x64xf32>) {
  // expected-error @+1 {{result #1 must be ranked tensor of 32-bit signless integer values}}
  %w, %i = dsv2.moe_gate %x, %g method greedy {top_k = 2, n_group = 1, topk_group = 1, routed_scaling_factor = 1.0, norm_topk_prob = false}
      : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x2xf32>, tensor<?x2xi64>
  return
}

// -----

// ODS: moe_gate requires its config attributes (top_k missing).
func.func @gate_missing_top_k(%x: tensor<?x64xf32>, %g: tensor<8x64xf32>) {
  // expected-error @+1 {{requires attribute 'top_k'}}
  %w, %i = dsv2.moe_gate %x, %g method greedy {n_group = 1, topk_group = 1, routed_scaling_factor = 1.0, norm_topk_prob = false}
      : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  return
}

// -----

// MoeExpertsOp: input must be [tokens, hidden] with a static hidden size.
func.func @experts_dynamic_hidden(%x: tensor<?x?xf32>, %w: tensor<?x2xf32>, %i: tensor<?x2xi32>, %eg: tensor<8x32x64xf32>, %eu: tensor<8x32x64xf32>, %ed: tensor<8x64x32xf32>) {
  // expected-error @+1 {{input must be [tokens, hidden] with a static hidden size, got [?, ?]}}
  %e = dsv2.moe_experts %x routed(%w, %i) experts(%eg, %eu, %ed)
      : tensor<?x?xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>)
  return
}

// -----

// MoeExpertsOp: routed gate_proj must be stacked [experts, moe_intermediate, hidden].
func.func @experts_gate_rank(%x: tensor<?x64xf32>, %w: tensor<?x2xf32>, %i: tensor<?x2xi32>, %eg: tensor<32x64xf32>, %eu: tensor<8x32x64xf32>, %ed: tensor<8x64x32xf32>) {
  // expected-error @+1 {{routed gate_proj must be stacked [experts, moe_intermediate, hidden], got [32, 64]}}
  %e = dsv2.moe_experts %x routed(%w, %i) experts(%eg, %eu, %ed)
      : tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>)
  return
}

// -----

// MoeExpertsOp (checkWeightShape): routed gate_proj hidden must match the input.
func.func @experts_gate(%x: tensor<?x64xf32>, %w: tensor<?x2xf32>, %i: tensor<?x2xi32>, %eg: tensor<8x32x48xf32>, %eu: tensor<8x32x64xf32>, %ed: tensor<8x64x32xf32>) {
  // expected-error @+1 {{routed gate_proj weight has shape [8, 32, 48], expected [8 (experts), 32 (moe_intermediate), 64 (hidden)]}}
  %e = dsv2.moe_experts %x routed(%w, %i) experts(%eg, %eu, %ed)
      : tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<8x32x48xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>)
  return
}

// -----

// MoeExpertsOp (checkWeightShape): routed up_proj must match gate_proj.
func.func @experts_up(%x: tensor<?x64xf32>, %w: tensor<?x2xf32>, %i: tensor<?x2xi32>, %eg: tensor<8x32x64xf32>, %eu: tensor<4x32x64xf32>, %ed: tensor<8x64x32xf32>) {
  // expected-error @+1 {{routed up_proj weight has shape [4, 32, 64], expected [8 (experts), 32 (moe_intermediate), 64 (hidden)]}}
  %e = dsv2.moe_experts %x routed(%w, %i) experts(%eg, %eu, %ed)
      : tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<8x32x64xf32>, tensor<4x32x64xf32>, tensor<8x64x32xf32>)
  return
}

// -----

// MoeExpertsOp (checkWeightShape): routed down_proj must be [experts, hidden, moe_intermediate].
func.func @experts_down(%x: tensor<?x64xf32>, %w: tensor<?x2xf32>, %i: tensor<?x2xi32>, %eg: tensor<8x32x64xf32>, %eu: tensor<8x32x64xf32>, %ed: tensor<8x32x64xf32>) {
  // expected-error @+1 {{routed down_proj weight has shape [8, 32, 64], expected [8 (experts), 64 (hidden), 32 (moe_intermediate)]}}
  %e = dsv2.moe_experts %x routed(%w, %i) experts(%eg, %eu, %ed)
      : tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>)
  return
}

// -----

// MoeExpertsOp: routing weights and indices must both be [tokens, top_k].
func.func @experts_routing(%x: tensor<?x64xf32>, %w: tensor<?x2xf32>, %i: tensor<?x3xi32>, %eg: tensor<8x32x64xf32>, %eu: tensor<8x32x64xf32>, %ed: tensor<8x64x32xf32>) {
  // expected-error @+1 {{routing weights [?, 2] and indices [?, 3] must both be [tokens, top_k]}}
  %e = dsv2.moe_experts %x routed(%w, %i) experts(%eg, %eu, %ed)
      : tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x3xi32>, experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>)
  return
}

// -----

// MoeExpertsOp: routing weights must be rank 2 (same rule, rank branch).
func.func @experts_routing_rank(%x: tensor<?x64xf32>, %w: tensor<?xf32>, %i: tensor<?x2xi32>, %eg: tensor<8x32x64xf32>, %eu: tensor<8x32x64xf32>, %ed: tensor<8x64x32xf32>) {
  // expected-error @+1 {{routing weights [?] and indices [?, 2] must both be [tokens, top_k]}}
  %e = dsv2.moe_experts %x routed(%w, %i) experts(%eg, %eu, %ed)
      : tensor<?x64xf32>, tensor<?xf32>, tensor<?x2xi32>, experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>)
  return
}

// -----

// MoeExpertsOp: routing must cover the input tokens.
func.func @experts_tokens(%x: tensor<4x64xf32>, %w: tensor<3x2xf32>, %i: tensor<3x2xi32>, %eg: tensor<8x32x64xf32>, %eu: tensor<8x32x64xf32>, %ed: tensor<8x64x32xf32>) {
  // expected-error @+1 {{routing covers 3 tokens but the input has 4}}
  %e = dsv2.moe_experts %x routed(%w, %i) experts(%eg, %eu, %ed)
      : tensor<4x64xf32>, tensor<3x2xf32>, tensor<3x2xi32>, experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>)
  return
}

// -----

// MoeExpertsOp: top_k cannot exceed the routed experts.
func.func @experts_top_k(%x: tensor<?x64xf32>, %w: tensor<?x9xf32>, %i: tensor<?x9xi32>, %eg: tensor<8x32x64xf32>, %eu: tensor<8x32x64xf32>, %ed: tensor<8x64x32xf32>) {
  // expected-error @+1 {{top_k 9 exceeds the 8 routed experts}}
  %e = dsv2.moe_experts %x routed(%w, %i) experts(%eg, %eu, %ed)
      : tensor<?x64xf32>, tensor<?x9xf32>, tensor<?x9xi32>, experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>)
  return
}

// -----

// checkGatedMlp via MoeExpertsOp: shared gate_proj must be a matrix.
func.func @experts_shared_rank(%x: tensor<?x64xf32>, %w: tensor<?x2xf32>, %i: tensor<?x2xi32>, %eg: tensor<8x32x64xf32>, %eu: tensor<8x32x64xf32>, %ed: tensor<8x64x32xf32>, %sg: tensor<2x64x64xf32>, %su: tensor<64x64xf32>, %sd: tensor<64x64xf32>) {
  // expected-error @+1 {{shared gate_proj weight must be [intermediate, hidden], got [2, 64, 64]}}
  %e = dsv2.moe_experts %x routed(%w, %i) experts(%eg, %eu, %ed) shared(%sg, %su, %sd)
      : tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>), shared(tensor<2x64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>)
  return
}

// -----

// checkGatedMlp via MoeExpertsOp: shared gate_proj must be [intermediate, hidden].
func.func @experts_shared_gate(%x: tensor<?x64xf32>, %w: tensor<?x2xf32>, %i: tensor<?x2xi32>, %eg: tensor<8x32x64xf32>, %eu: tensor<8x32x64xf32>, %ed: tensor<8x64x32xf32>, %sg: tensor<64x32xf32>, %su: tensor<64x64xf32>, %sd: tensor<64x64xf32>) {
  // expected-error @+1 {{shared gate_proj weight has shape [64, 32], expected [64 (intermediate), 64 (hidden)]}}
  %e = dsv2.moe_experts %x routed(%w, %i) experts(%eg, %eu, %ed) shared(%sg, %su, %sd)
      : tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>), shared(tensor<64x32xf32>, tensor<64x64xf32>, tensor<64x64xf32>)
  return
}

// -----

// checkGatedMlp via MoeExpertsOp: shared up_proj must match shared gate_proj.
func.func @experts_shared_up(%x: tensor<?x64xf32>, %w: tensor<?x2xf32>, %i: tensor<?x2xi32>, %eg: tensor<8x32x64xf32>, %eu: tensor<8x32x64xf32>, %ed: tensor<8x64x32xf32>, %sg: tensor<64x64xf32>, %su: tensor<128x64xf32>, %sd: tensor<64x64xf32>) {
  // expected-error @+1 {{shared up_proj weight has shape [128, 64], expected [64 (intermediate), 64 (hidden)]}}
  %e = dsv2.moe_experts %x routed(%w, %i) experts(%eg, %eu, %ed) shared(%sg, %su, %sd)
      : tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>), shared(tensor<64x64xf32>, tensor<128x64xf32>, tensor<64x64xf32>)
  return
}

// -----

// checkGatedMlp via MoeExpertsOp: shared down_proj must be [hidden, intermediate].
func.func @experts_shared_down(%x: tensor<?x64xf32>, %w: tensor<?x2xf32>, %i: tensor<?x2xi32>, %eg: tensor<8x32x64xf32>, %eu: tensor<8x32x64xf32>, %ed: tensor<8x64x32xf32>, %sg: tensor<64x64xf32>, %su: tensor<64x64xf32>, %sd: tensor<64x128xf32>) {
  // expected-error @+1 {{shared down_proj weight has shape [64, 128], expected [64 (hidden), 64 (intermediate)]}}
  %e = dsv2.moe_experts %x routed(%w, %i) experts(%eg, %eu, %ed) shared(%sg, %su, %sd)
      : tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>), shared(tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x128xf32>)
  return
}

// -----

// MoeExpertsOp: shared experts need all three weights (generic form: shared gate_proj only).
func.func @experts_partial_shared(%x: tensor<?x64xf32>, %w: tensor<?x2xf32>, %i: tensor<?x2xi32>, %eg: tensor<8x32x64xf32>,
                                  %eu: tensor<8x32x64xf32>, %ed: tensor<8x64x32xf32>, %sg: tensor<64x64xf32>) {
  // expected-error @+1 {{shared experts need gate_proj, up_proj and down_proj together}}
  %e = "dsv2.moe_experts"(%x, %w, %i, %eg, %eu, %ed, %sg) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 0, 0>}>
      : (tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  return
}

// -----

// ODS: operandSegmentSizes must add up to the operand count.
func.func @experts_bad_segments(%x: tensor<?x64xf32>, %w: tensor<?x2xf32>, %i: tensor<?x2xi32>, %eg: tensor<8x32x64xf32>,
                                %eu: tensor<8x32x64xf32>, %ed: tensor<8x64x32xf32>) {
  // expected-error @+1 {{operand count (6) does not match with the total size (7) specified in attribute 'operandSegmentSizes'}}
  %e = "dsv2.moe_experts"(%x, %w, %i, %eg, %eu, %ed) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 0, 0>}>
      : (tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>) -> tensor<?x64xf32>
  return
}

// -----

// LmHeadOp: lm_head weight must be [vocab, hidden].
func.func @head_weight_rank(%x: tensor<?x64xf32>, %w: tensor<512xf32>) {
  // expected-error @+1 {{lm_head weight must be [vocab, hidden], got [512]}}
  %l = dsv2.lm_head %x, %w : tensor<?x64xf32>, tensor<512xf32> -> tensor<?x512xf32>
  return
}

// -----

// LmHeadOp (checkActivation): input must be [tokens, hidden].
func.func @head_input_rank(%x: tensor<64xf32>, %w: tensor<512x64xf32>) {
  // expected-error @+1 {{input must be [tokens, hidden], got rank 1}}
  %l = dsv2.lm_head %x, %w : tensor<64xf32>, tensor<512x64xf32> -> tensor<?x512xf32>
  return
}

// -----

// LmHeadOp (checkActivation): input width must equal hidden.
func.func @head_input_width(%x: tensor<?x32xf32>, %w: tensor<512x64xf32>) {
  // expected-error @+1 {{input has width 32 but hidden is 64}}
  %l = dsv2.lm_head %x, %w : tensor<?x32xf32>, tensor<512x64xf32> -> tensor<?x512xf32>
  return
}

// -----

// LmHeadOp (checkActivation): logits must be [tokens, vocab_size].
func.func @head_logits_rank(%x: tensor<?x64xf32>, %w: tensor<512x64xf32>) {
  // expected-error @+1 {{logits must be [tokens, vocab_size], got rank 3}}
  %l = dsv2.lm_head %x, %w : tensor<?x64xf32>, tensor<512x64xf32> -> tensor<?x1x512xf32>
  return
}

// -----

// LmHeadOp (checkActivation): logits width must equal vocab_size.
func.func @head_logits_width(%x: tensor<?x64xf32>, %w: tensor<512x64xf32>) {
  // expected-error @+1 {{logits has width 256 but vocab_size is 512}}
  %l = dsv2.lm_head %x, %w : tensor<?x64xf32>, tensor<512x64xf32> -> tensor<?x256xf32>
  return
}

// -----

// LmHeadOp: logits rows must equal the input tokens.
func.func @head_rows(%x: tensor<3x64xf32>, %w: tensor<512x64xf32>) {
  // expected-error @+1 {{logits rows must equal the input tokens}}
  %l = dsv2.lm_head %x, %w : tensor<3x64xf32>, tensor<512x64xf32> -> tensor<4x512xf32>
  return
}

// -----

// MlaAttentionOp: an absorb policy needs the derived weights.
func.func @mla_absorb_without_weights(
    %x: tensor<?x64xf32>, %s: index, %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %q: tensor<96x64xf32>, %kva: tensor<40x64xf32>, %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>, %o: tensor<64x64xf32>,
    %uk: tensor<4x16x32xf32>, %uv: tensor<4x16x32xf32>) {
  // expected-error @+1 {{absorb always needs absorbed_weights (w_uk and w_uv from dsv2.split_kv_b)}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s absorb always
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_proj = %q : tensor<96x64xf32>
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp: derived weights without an absorb policy are rejected.
func.func @mla_weights_without_absorb(
    %x: tensor<?x64xf32>, %s: index, %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %q: tensor<96x64xf32>, %kva: tensor<40x64xf32>, %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>, %o: tensor<64x64xf32>,
    %uk: tensor<4x16x32xf32>, %uv: tensor<4x16x32xf32>) {
  // expected-error @+1 {{absorb never takes no absorbed_weights}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_proj = %q : tensor<96x64xf32>
      absorbed_weights(w_uk = %uk : tensor<4x16x32xf32>, w_uv = %uv : tensor<4x16x32xf32>)
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// MlaAttentionOp: w_uk must be [heads, nope, kv_lora_rank].
func.func @mla_w_uk_shape(
    %x: tensor<?x64xf32>, %s: index, %c: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>,
    %q: tensor<96x64xf32>, %kva: tensor<40x64xf32>, %kvn: tensor<32xf32>,
    %kvb: tensor<128x32xf32>, %o: tensor<64x64xf32>,
    %uk: tensor<4x8x32xf32>, %uv: tensor<4x16x32xf32>) {
  // expected-error @+1 {{w_uk weight has shape [4, 8, 32], expected [4 (heads), 16 (qk_nope_head_dim), 32 (kv_lora_rank)]}}
  %y, %c2 = dsv2.mla_attention %x, %c[layer 0] at %s absorb auto
      weights(kv_a_proj = %kva : tensor<40x64xf32>, kv_a_norm = %kvn : tensor<32xf32>,
              kv_b_proj = %kvb : tensor<128x32xf32>, o_proj = %o : tensor<64x64xf32>)
      q_proj = %q : tensor<96x64xf32>
      absorbed_weights(w_uk = %uk : tensor<4x8x32xf32>, w_uv = %uv : tensor<4x16x32xf32>)
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8, v_head_dim = 16,
       softmax_scale = 0.2, rms_norm_eps = 1.0e-06, rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = f32>
  return
}

// -----

// SplitKvBOp: heads must divide kv_b_proj's rows.
func.func @split_heads(%kvb: tensor<128x32xf32>) {
  // expected-error @+1 {{heads 3 must divide the 128 rows of kv_b_proj}}
  %uk, %uv = dsv2.split_kv_b %kvb heads 3 : tensor<128x32xf32> -> tensor<3x16x32xf32>, tensor<3x16x32xf32>
  return
}

// -----

// SplitKvBOp: kv_b_proj must be a matrix.
func.func @split_rank(%kvb: tensor<128xf32>) {
  // expected-error @+1 {{kv_b_proj must be [heads*(nope+v), kv_lora_rank], got [128]}}
  %uk, %uv = dsv2.split_kv_b %kvb heads 4 : tensor<128xf32> -> tensor<4x16x32xf32>, tensor<4x16x32xf32>
  return
}

// -----

// SplitKvBOp: result shapes must partition each head's rows.
func.func @split_shapes(%kvb: tensor<128x32xf32>) {
  // expected-error @+1 {{must be [heads = 4, nope, 32] and [4, v, 32] with nope + v = 32}}
  %uk, %uv = dsv2.split_kv_b %kvb heads 4 : tensor<128x32xf32> -> tensor<4x16x32xf32>, tensor<4x8x32xf32>
  return
}

// -----

// SplitKvBOp: derived weights keep kv_b_proj's element type.
func.func @split_dtype(%kvb: tensor<128x32xbf16>) {
  // expected-error @+1 {{derived weights keep kv_b_proj's element type}}
  %uk, %uv = dsv2.split_kv_b %kvb heads 4 : tensor<128x32xbf16> -> tensor<4x16x32xf32>, tensor<4x16x32xf32>
  return
}

// -----

// MoeFusedOp: router and routed experts must agree on the expert count.
func.func @fused_expert_count(%x: tensor<?x64xf32>, %r: tensor<4x64xf32>, %g: tensor<8x32x64xf32>, %u: tensor<8x32x64xf32>, %d: tensor<8x64x32xf32>) {
  // expected-error @+1 {{the router scores 4 experts but 8 routed experts are given}}
  %y = dsv2.moe_fused %x router(%r method greedy) experts(%g, %u, %d)
      {top_k = 2, n_group = 1, topk_group = 1, routed_scaling_factor = 1.0, norm_topk_prob = false, block_size = 16}
      : tensor<?x64xf32>, router(tensor<4x64xf32>), experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>)
  return
}

// -----

// MoeFusedOp: the router rules of dsv2.moe_gate apply (top_k range).
func.func @fused_top_k(%x: tensor<?x64xf32>, %r: tensor<8x64xf32>, %g: tensor<8x32x64xf32>, %u: tensor<8x32x64xf32>, %d: tensor<8x64x32xf32>) {
  // expected-error @+1 {{top_k (num_experts_per_tok) 9 must be in [1, 8]}}
  %y = dsv2.moe_fused %x router(%r method greedy) experts(%g, %u, %d)
      {top_k = 9, n_group = 1, topk_group = 1, routed_scaling_factor = 1.0, norm_topk_prob = false, block_size = 16}
      : tensor<?x64xf32>, router(tensor<8x64xf32>), experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>)
  return
}

// -----

// MoeFusedOp: block_size must be positive (ODS constraint).
func.func @fused_block(%x: tensor<?x64xf32>, %r: tensor<8x64xf32>, %g: tensor<8x32x64xf32>, %u: tensor<8x32x64xf32>, %d: tensor<8x64x32xf32>) {
  // expected-error @+2 {{block_size}}
  %y = dsv2.moe_fused %x router(%r method greedy) experts(%g, %u, %d)
      {top_k = 2, n_group = 1, topk_group = 1, routed_scaling_factor = 1.0, norm_topk_prob = false, block_size = 0}
      : tensor<?x64xf32>, router(tensor<8x64xf32>), experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>)
  return
}
