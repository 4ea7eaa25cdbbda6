// Input of plugin tests that do not verify diagnostics: a router pair the
// fusion pass fuses and a fused router. No expected-* lines.
func.func @gate(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %router = dsv2.weight "mlp.gate.weight" : tensor<8x64xf32>
  %eg = dsv2.weight "experts.{e}.gate_proj.weight" : tensor<8x32x64xf32>
  %eu = dsv2.weight "experts.{e}.up_proj.weight" : tensor<8x32x64xf32>
  %ed = dsv2.weight "experts.{e}.down_proj.weight" : tensor<8x64x32xf32>
  %w, %idx = dsv2.moe_gate %x, %router method group_limited_greedy {top_k = 2, n_group = 4, topk_group = 2, routed_scaling_factor = 2.0, norm_topk_prob = false}
      : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %y = dsv2.moe_experts %x routed(%w, %idx) experts(%eg, %eu, %ed)
      : tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>)
  return %y : tensor<?x64xf32>
}

func.func @fused(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %router = dsv2.weight "mlp.gate.weight" : tensor<16x64xf32>
  %eg = dsv2.weight "experts.{e}.gate_proj.weight" : tensor<16x32x64xf32>
  %eu = dsv2.weight "experts.{e}.up_proj.weight" : tensor<16x32x64xf32>
  %ed = dsv2.weight "experts.{e}.down_proj.weight" : tensor<16x64x32xf32>
  %a = dsv2.moe_fused %x router(%router method greedy) experts(%eg, %eu, %ed)
      {top_k = 1, n_group = 1, topk_group = 1, routed_scaling_factor = 1.0, norm_topk_prob = true, block_size = 1}
      : tensor<?x64xf32>, router(tensor<16x64xf32>), experts(tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>)
  return %a : tensor<?x64xf32>
}
