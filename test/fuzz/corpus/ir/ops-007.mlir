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
