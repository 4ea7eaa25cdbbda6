func.func @mla_plain_q_latent(%x: tensor<?x64xf32>, %start: index,
                              %cache: !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = bf16>)
    -> !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = bf16> {
  %q = dsv2.weight "q" : tensor<96x64xbf16>
  %kva = dsv2.weight "kv_a" : tensor<40x64xbf16>
  %kvn = dsv2.weight "kv_a_norm" : tensor<32xbf16>
  %kvb = dsv2.weight "kv_b" : tensor<128x32xbf16>
  %o = dsv2.weight "o" : tensor<64x64xbf16>
  %uk, %uv = dsv2.split_kv_b %kvb heads 4 : tensor<128x32xbf16> -> tensor<4x16x32xbf16>, tensor<4x16x32xbf16>
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
  %y2, %c2 = dsv2.mla_attention %y, %c[layer 0] at %start absorb always
      weights(kv_a_proj = %kva : tensor<40x64xbf16>, kv_a_norm = %kvn : tensor<32xbf16>,
              kv_b_proj = %kvb : tensor<128x32xbf16>, o_proj = %o : tensor<64x64xbf16>)
      q_proj = %q : tensor<96x64xbf16>
      absorbed_weights(w_uk = %uk : tensor<4x16x32xbf16>, w_uv = %uv : tensor<4x16x32xbf16>)
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8,
       v_head_dim = 16, softmax_scale = 0.2041241452319315, rms_norm_eps = 1.0e-06,
       rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = bf16>
  %y3, %c3 = dsv2.mla_attention %y2, %c2[layer 0] at %start absorb auto
      weights(kv_a_proj = %kva : tensor<40x64xbf16>, kv_a_norm = %kvn : tensor<32xbf16>,
              kv_b_proj = %kvb : tensor<128x32xbf16>, o_proj = %o : tensor<64x64xbf16>)
      q_proj = %q : tensor<96x64xbf16>
      absorbed_weights(w_uk = %uk : tensor<4x16x32xbf16>, w_uv = %uv : tensor<4x16x32xbf16>)
      {heads = 4, kv_lora_rank = 32, qk_nope_head_dim = 16, qk_rope_head_dim = 8,
       v_head_dim = 16, softmax_scale = 0.2041241452319315, rms_norm_eps = 1.0e-06,
       rope = #dsv2.rope<dim = 8, theta = 1.0e+04>}
      : tensor<?x64xf32>, !dsv2.latent_kv_cache<layers = 1, latent_dim = 32, rope_dim = 8, element_type = bf16>
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
