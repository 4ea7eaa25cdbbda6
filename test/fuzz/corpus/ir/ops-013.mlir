func.func @moe_fused(%x: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %router = dsv2.weight "mlp.gate.weight" : tensor<8x64xf32>
  %eg = dsv2.weight "experts.{e}.gate_proj.weight" : tensor<8x32x64xf32>
  %eu = dsv2.weight "experts.{e}.up_proj.weight" : tensor<8x32x64xf32>
  %ed = dsv2.weight "experts.{e}.down_proj.weight" : tensor<8x64x32xf32>
  %sg = dsv2.weight "shared_experts.gate_proj.weight" : tensor<64x64xf32>
  %su = dsv2.weight "shared_experts.up_proj.weight" : tensor<64x64xf32>
  %sd = dsv2.weight "shared_experts.down_proj.weight" : tensor<64x64xf32>
  %a = dsv2.moe_fused %x router(%router method group_limited_greedy) experts(%eg, %eu, %ed) shared(%sg, %su, %sd)
      {top_k = 2, n_group = 4, topk_group = 2, routed_scaling_factor = 2.0, norm_topk_prob = false, block_size = 16}
      : tensor<?x64xf32>, router(tensor<8x64xf32>), experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>), shared(tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>)
  %b = dsv2.moe_fused %a router(%router method greedy) experts(%eg, %eu, %ed)
      {top_k = 2, n_group = 1, topk_group = 1, routed_scaling_factor = 1.0, norm_topk_prob = true, block_size = 1}
      : tensor<?x64xf32>, router(tensor<8x64xf32>), experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>)
  return %a, %b : tensor<?x64xf32>, tensor<?x64xf32>
}
