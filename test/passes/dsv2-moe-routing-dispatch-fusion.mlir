// RUN: dsv2-opt %s --split-input-file -dsv2-moe-routing-dispatch-fusion | FileCheck %s
// RUN: dsv2-opt %s --split-input-file -dsv2-moe-routing-dispatch-fusion=block-size=64 | FileCheck %s --check-prefix=B64
// RUN: not dsv2-opt %s --split-input-file -dsv2-moe-routing-dispatch-fusion=block-size=0 2>&1 | FileCheck %s --check-prefix=ERR

// A router feeding only its expert combine becomes one dsv2.moe_fused
// carrying the router attributes, the routed and shared expert weights and
// the dispatch block size (default 16); the gate is gone.

// ERR: error: dsv2-moe-routing-dispatch-fusion: block-size must be at least 1, got 0

// CHECK-LABEL: func.func @group_limited_with_shared
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>)
// CHECK-DAG: %[[ROUTER:.*]] = dsv2.weight "mlp.gate.weight"
// CHECK-DAG: %[[EG:.*]] = dsv2.weight "mlp.experts.{e}.gate_proj.weight"
// CHECK-DAG: %[[EU:.*]] = dsv2.weight "mlp.experts.{e}.up_proj.weight"
// CHECK-DAG: %[[ED:.*]] = dsv2.weight "mlp.experts.{e}.down_proj.weight"
// CHECK-DAG: %[[SG:.*]] = dsv2.weight "mlp.shared_experts.gate_proj.weight"
// CHECK-DAG: %[[SU:.*]] = dsv2.weight "mlp.shared_experts.up_proj.weight"
// CHECK-DAG: %[[SD:.*]] = dsv2.weight "mlp.shared_experts.down_proj.weight"
// CHECK-NOT: dsv2.moe_gate
// CHECK: %[[Y:.*]] = dsv2.moe_fused %[[X]] router(%[[ROUTER]] method group_limited_greedy) experts(%[[EG]], %[[EU]], %[[ED]]) shared(%[[SG]], %[[SU]], %[[SD]])
// CHECK-SAME: block_size = 16 : i64, n_group = 4 : i64, norm_topk_prob = false, routed_scaling_factor = 1.600000e+01 : f64, top_k = 2 : i64, topk_group = 2 : i64
// CHECK-SAME: : tensor<?x64xf32>, router(tensor<8x64xf32>), experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>), shared(tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>)
// CHECK-NOT: dsv2.moe_gate
// CHECK-NOT: dsv2.moe_experts
// CHECK: return %[[Y]]

// B64-LABEL: func.func @group_limited_with_shared
// B64: dsv2.moe_fused
// B64-SAME: block_size = 64 : i64
func.func @group_limited_with_shared(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %router = dsv2.weight "mlp.gate.weight" : tensor<8x64xf32>
  %eg = dsv2.weight "mlp.experts.{e}.gate_proj.weight" : tensor<8x32x64xf32>
  %eu = dsv2.weight "mlp.experts.{e}.up_proj.weight" : tensor<8x32x64xf32>
  %ed = dsv2.weight "mlp.experts.{e}.down_proj.weight" : tensor<8x64x32xf32>
  %sg = dsv2.weight "mlp.shared_experts.gate_proj.weight" : tensor<64x64xf32>
  %su = dsv2.weight "mlp.shared_experts.up_proj.weight" : tensor<64x64xf32>
  %sd = dsv2.weight "mlp.shared_experts.down_proj.weight" : tensor<64x64xf32>
  %w, %idx = dsv2.moe_gate %x, %router method group_limited_greedy {top_k = 2, n_group = 4, topk_group = 2, routed_scaling_factor = 16.0, norm_topk_prob = false}
      : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %y = dsv2.moe_experts %x routed(%w, %idx) experts(%eg, %eu, %ed) shared(%sg, %su, %sd)
      : tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>), shared(tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>)
  return %y : tensor<?x64xf32>
}

// -----

// Greedy routing without shared experts (n_shared_experts null), bf16
// weights, renormalized top-k.

// CHECK-LABEL: func.func @greedy_without_shared
// CHECK-SAME: (%[[X:.*]]: tensor<?x16xf32>, %[[ROUTER:.*]]: tensor<4x16xbf16>, %[[EG:.*]]: tensor<4x8x16xbf16>, %[[EU:.*]]: tensor<4x8x16xbf16>, %[[ED:.*]]: tensor<4x16x8xbf16>)
// CHECK-NOT: dsv2.moe_gate
// CHECK: %[[Y:.*]] = dsv2.moe_fused %[[X]] router(%[[ROUTER]] method greedy) experts(%[[EG]], %[[EU]], %[[ED]]) {
// CHECK-SAME: block_size = 16 : i64, n_group = 1 : i64, norm_topk_prob = true, routed_scaling_factor = 1.000000e+00 : f64, top_k = 3 : i64, topk_group = 1 : i64
// CHECK-SAME: : tensor<?x16xf32>, router(tensor<4x16xbf16>), experts(tensor<4x8x16xbf16>, tensor<4x8x16xbf16>, tensor<4x16x8xbf16>){{$}}
// CHECK-NOT: dsv2.moe_experts
// CHECK: return %[[Y]]

// B64-LABEL: func.func @greedy_without_shared
// B64: dsv2.moe_fused
// B64-SAME: block_size = 64 : i64
func.func @greedy_without_shared(%x: tensor<?x16xf32>, %router: tensor<4x16xbf16>,
    %eg: tensor<4x8x16xbf16>, %eu: tensor<4x8x16xbf16>, %ed: tensor<4x16x8xbf16>) -> tensor<?x16xf32> {
  %w, %idx = dsv2.moe_gate %x, %router method greedy {top_k = 3, n_group = 1, topk_group = 1, routed_scaling_factor = 1.0, norm_topk_prob = true}
      : tensor<?x16xf32>, tensor<4x16xbf16> -> tensor<?x3xf32>, tensor<?x3xi32>
  %y = dsv2.moe_experts %x routed(%w, %idx) experts(%eg, %eu, %ed)
      : tensor<?x16xf32>, tensor<?x3xf32>, tensor<?x3xi32>, experts(tensor<4x8x16xbf16>, tensor<4x8x16xbf16>, tensor<4x16x8xbf16>)
  return %y : tensor<?x16xf32>
}

// -----

// Two MoE layers in a row: each pair fuses on its own.

// CHECK-LABEL: func.func @two_layers
// CHECK-SAME: (%[[X:.*]]: tensor<?x16xf32>, %[[ROUTER:.*]]: tensor<4x16xf32>, %[[EG:.*]]: tensor<4x8x16xf32>, %[[EU:.*]]: tensor<4x8x16xf32>, %[[ED:.*]]: tensor<4x16x8xf32>)
// CHECK: %[[H:.*]] = dsv2.moe_fused %[[X]] router(%[[ROUTER]] method greedy)
// CHECK: %[[Y:.*]] = dsv2.moe_fused %[[H]] router(%[[ROUTER]] method greedy)
// CHECK: return %[[Y]]
func.func @two_layers(%x: tensor<?x16xf32>, %router: tensor<4x16xf32>,
    %eg: tensor<4x8x16xf32>, %eu: tensor<4x8x16xf32>, %ed: tensor<4x16x8xf32>) -> tensor<?x16xf32> {
  %w, %idx = dsv2.moe_gate %x, %router method greedy {top_k = 2, n_group = 1, topk_group = 1, routed_scaling_factor = 1.0, norm_topk_prob = false}
      : tensor<?x16xf32>, tensor<4x16xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %h = dsv2.moe_experts %x routed(%w, %idx) experts(%eg, %eu, %ed)
      : tensor<?x16xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x16x8xf32>)
  %w2, %idx2 = dsv2.moe_gate %h, %router method greedy {top_k = 2, n_group = 1, topk_group = 1, routed_scaling_factor = 1.0, norm_topk_prob = false}
      : tensor<?x16xf32>, tensor<4x16xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %y = dsv2.moe_experts %h routed(%w2, %idx2) experts(%eg, %eu, %ed)
      : tensor<?x16xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x16x8xf32>)
  return %y : tensor<?x16xf32>
}

// -----

// Negative: the routing weights are also returned, so the gate must stay
// (fusing would route twice); nothing changes.

// CHECK-LABEL: func.func @gate_weights_used_elsewhere
// CHECK-SAME: (%[[X:.*]]: tensor<?x16xf32>
// CHECK: %[[W:.*]], %[[IDX:.*]] = dsv2.moe_gate %[[X]]
// CHECK: %[[Y:.*]] = dsv2.moe_experts %[[X]] routed(%[[W]], %[[IDX]])
// CHECK-NOT: dsv2.moe_fused
// CHECK: return %[[Y]], %[[W]]
func.func @gate_weights_used_elsewhere(%x: tensor<?x16xf32>, %router: tensor<4x16xf32>,
    %eg: tensor<4x8x16xf32>, %eu: tensor<4x8x16xf32>, %ed: tensor<4x16x8xf32>) -> (tensor<?x16xf32>, tensor<?x2xf32>) {
  %w, %idx = dsv2.moe_gate %x, %router method greedy {top_k = 2, n_group = 1, topk_group = 1, routed_scaling_factor = 1.0, norm_topk_prob = false}
      : tensor<?x16xf32>, tensor<4x16xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %y = dsv2.moe_experts %x routed(%w, %idx) experts(%eg, %eu, %ed)
      : tensor<?x16xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x16x8xf32>)
  return %y, %w : tensor<?x16xf32>, tensor<?x2xf32>
}

// -----

// Negative: one gate feeding two expert combines (the indices have two
// users): not fused.

// CHECK-LABEL: func.func @gate_feeds_two_combines
// CHECK: dsv2.moe_gate
// CHECK: dsv2.moe_experts
// CHECK: dsv2.moe_experts
// CHECK-NOT: dsv2.moe_fused
func.func @gate_feeds_two_combines(%x: tensor<?x16xf32>, %router: tensor<4x16xf32>,
    %eg: tensor<4x8x16xf32>, %eu: tensor<4x8x16xf32>, %ed: tensor<4x16x8xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %w, %idx = dsv2.moe_gate %x, %router method greedy {top_k = 2, n_group = 1, topk_group = 1, routed_scaling_factor = 1.0, norm_topk_prob = false}
      : tensor<?x16xf32>, tensor<4x16xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %y = dsv2.moe_experts %x routed(%w, %idx) experts(%eg, %eu, %ed)
      : tensor<?x16xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x16x8xf32>)
  %z = dsv2.moe_experts %x routed(%w, %idx) experts(%eg, %eu, %ed)
      : tensor<?x16xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x16x8xf32>)
  return %y, %z : tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// Negative: the gate routes %r but the experts run on %x; moe_fused has one
// input for both, so this is not fused.

// CHECK-LABEL: func.func @gate_input_differs
// CHECK-SAME: (%[[X:.*]]: tensor<?x16xf32>, %[[R:.*]]: tensor<?x16xf32>
// CHECK: %[[W:.*]], %[[IDX:.*]] = dsv2.moe_gate %[[R]]
// CHECK: %[[Y:.*]] = dsv2.moe_experts %[[X]] routed(%[[W]], %[[IDX]])
// CHECK-NOT: dsv2.moe_fused
// CHECK: return %[[Y]]
func.func @gate_input_differs(%x: tensor<?x16xf32>, %r: tensor<?x16xf32>, %router: tensor<4x16xf32>,
    %eg: tensor<4x8x16xf32>, %eu: tensor<4x8x16xf32>, %ed: tensor<4x16x8xf32>) -> tensor<?x16xf32> {
  %w, %idx = dsv2.moe_gate %r, %router method greedy {top_k = 2, n_group = 1, topk_group = 1, routed_scaling_factor = 1.0, norm_topk_prob = false}
      : tensor<?x16xf32>, tensor<4x16xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %y = dsv2.moe_experts %x routed(%w, %idx) experts(%eg, %eu, %ed)
      : tensor<?x16xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x16x8xf32>)
  return %y : tensor<?x16xf32>
}

// -----

// Negative: routing weights and indices come from two different gates.

// CHECK-LABEL: func.func @two_gates
// CHECK: %[[W:.*]], %{{.*}} = dsv2.moe_gate
// CHECK: %{{.*}}, %[[IDX:.*]] = dsv2.moe_gate
// CHECK: dsv2.moe_experts %{{.*}} routed(%[[W]], %[[IDX]])
// CHECK-NOT: dsv2.moe_fused
func.func @two_gates(%x: tensor<?x16xf32>, %router: tensor<4x16xf32>,
    %eg: tensor<4x8x16xf32>, %eu: tensor<4x8x16xf32>, %ed: tensor<4x16x8xf32>) -> tensor<?x16xf32> {
  %w, %idx = dsv2.moe_gate %x, %router method greedy {top_k = 2, n_group = 1, topk_group = 1, routed_scaling_factor = 1.0, norm_topk_prob = false}
      : tensor<?x16xf32>, tensor<4x16xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %w2, %idx2 = dsv2.moe_gate %x, %router method greedy {top_k = 2, n_group = 1, topk_group = 1, routed_scaling_factor = 1.0, norm_topk_prob = true}
      : tensor<?x16xf32>, tensor<4x16xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %y = dsv2.moe_experts %x routed(%w, %idx2) experts(%eg, %eu, %ed)
      : tensor<?x16xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x16x8xf32>)
  return %y : tensor<?x16xf32>
}

// -----

// No MoE: a dense MLP is left unchanged.

// CHECK-LABEL: func.func @no_moe
// CHECK-SAME: (%[[X:.*]]: tensor<?x16xf32>, %[[G:.*]]: tensor<8x16xf32>, %[[U:.*]]: tensor<8x16xf32>, %[[D:.*]]: tensor<16x8xf32>)
// CHECK-NEXT: %[[Y:.*]] = dsv2.mlp %[[X]] gate %[[G]] up %[[U]] down %[[D]]
// CHECK-NEXT: return %[[Y]]
func.func @no_moe(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %u: tensor<8x16xf32>, %d: tensor<16x8xf32>) -> tensor<?x16xf32> {
  %y = dsv2.mlp %x gate %g up %u down %d : tensor<?x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>
  return %y : tensor<?x16xf32>
}
