func.func @feed_forward(%x: tensor<?x64xf32>) -> tensor<?x512xf32> {
  %g = dsv2.weight "gate" : tensor<128x64xf32>
  %u = dsv2.weight "up" : tensor<128x64xf32>
  %d = dsv2.weight "down" : tensor<64x128xf32>
  %m = dsv2.mlp %x gate %g up %u down %d : tensor<?x64xf32>, tensor<128x64xf32>, tensor<128x64xf32>, tensor<64x128xf32>

  %router = dsv2.weight "mlp.gate.weight" : tensor<8x64xf32>
  %w, %idx = dsv2.moe_gate %m, %router method group_limited_greedy {top_k = 2, n_group = 4, topk_group = 2, routed_scaling_factor = 2.0, norm_topk_prob = false}
      : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %w2, %idx2 = dsv2.moe_gate %m, %router method greedy {top_k = 2, n_group = 1, topk_group = 1, routed_scaling_factor = 1.0, norm_topk_prob = true}
      : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x2xf32>, tensor<?x2xi32>

  %eg = dsv2.weight "experts.{e}.gate_proj.weight" : tensor<8x32x64xf32>
  %eu = dsv2.weight "experts.{e}.up_proj.weight" : tensor<8x32x64xf32>
  %ed = dsv2.weight "experts.{e}.down_proj.weight" : tensor<8x64x32xf32>
  %sg = dsv2.weight "shared_experts.gate_proj.weight" : tensor<64x64xf32>
  %su = dsv2.weight "shared_experts.up_proj.weight" : tensor<64x64xf32>
  %sd = dsv2.weight "shared_experts.down_proj.weight" : tensor<64x64xf32>
  %e = dsv2.moe_experts %m routed(%w, %idx) experts(%eg, %eu, %ed) shared(%sg, %su, %sd)
      : tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>), shared(tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>)
  // Without shared experts (n_shared_experts null).
  %e2 = dsv2.moe_experts %e routed(%w2, %idx2) experts(%eg, %eu, %ed)
      : tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>)

  %head = dsv2.weight "lm_head.weight" : tensor<512x64xf32>
  %logits = dsv2.lm_head %e2, %head : tensor<?x64xf32>, tensor<512x64xf32> -> tensor<?x512xf32>
  return %logits : tensor<?x512xf32>
}
