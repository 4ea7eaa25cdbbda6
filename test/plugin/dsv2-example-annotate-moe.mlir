// The example plugin's pass, loaded into dsv2-opt. LD_BIND_NOW makes the
// loader resolve every symbol the plugin imports at load time, so a symbol
// the host does not export fails here rather than at first call.
// RUN: env LD_BIND_NOW=1 dsv2-opt --load-pass-plugin=%dsv2_plugin \
// RUN:   --pass-pipeline='builtin.module(dsv2-example-annotate-moe)' \
// RUN:   --split-input-file --verify-diagnostics %s | FileCheck %s
// Without remarks the pass is silent on stderr.
// RUN: env LD_BIND_NOW=1 dsv2-opt --load-pass-plugin=%dsv2_plugin \
// RUN:   --pass-pipeline='builtin.module(dsv2-example-annotate-moe{remarks=false})' \
// RUN:   %S/Inputs/moe-routers.mlir 2>&1 | FileCheck %s --check-prefix=QUIET
// QUIET-NOT: remark
// QUIET: example.routed_experts = 8 : i64
// QUIET-NOT: remark
// QUIET: example.routed_experts = 16 : i64
// QUIET-NOT: remark
// With remarks they go to stderr, one per router.
// RUN: env LD_BIND_NOW=1 dsv2-opt --load-pass-plugin=%dsv2_plugin \
// RUN:   --pass-pipeline='builtin.module(dsv2-example-annotate-moe)' \
// RUN:   %S/Inputs/moe-routers.mlir -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK
// REMARK: moe-routers.mlir:8:{{[0-9]+}}: remark: routes each token to 2 of 8 experts (group_limited_greedy)
// REMARK: moe-routers.mlir:20:{{[0-9]+}}: remark: routes each token to 1 of 16 experts (greedy)
// The plugin's pass composes with the in-tree passes in one pipeline.
// RUN: env LD_BIND_NOW=1 dsv2-opt --load-pass-plugin=%dsv2_plugin \
// RUN:   --pass-pipeline='builtin.module(func.func(dsv2-moe-routing-dispatch-fusion),dsv2-example-annotate-moe{remarks=false})' \
// RUN:   %S/Inputs/moe-routers.mlir | FileCheck %s --check-prefix=FUSED
// FUSED-LABEL: func.func @gate
// FUSED-NOT: dsv2.moe_gate
// FUSED: dsv2.moe_fused {{.*}}example.active_experts = 2 : i64, example.routed_experts = 8 : i64
// FUSED-LABEL: func.func @fused
// FUSED: dsv2.moe_fused {{.*}}example.active_experts = 1 : i64, example.routed_experts = 16 : i64

// CHECK-LABEL: func.func @gate
// CHECK: dsv2.moe_gate %{{.*}}, %{{.*}} method group_limited_greedy {example.active_experts = 2 : i64, example.routed_experts = 8 : i64,
func.func @gate(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %router = dsv2.weight "mlp.gate.weight" : tensor<8x64xf32>
  %eg = dsv2.weight "experts.{e}.gate_proj.weight" : tensor<8x32x64xf32>
  %eu = dsv2.weight "experts.{e}.up_proj.weight" : tensor<8x32x64xf32>
  %ed = dsv2.weight "experts.{e}.down_proj.weight" : tensor<8x64x32xf32>
  // expected-remark @below {{routes each token to 2 of 8 experts (group_limited_greedy)}}
  %w, %idx = dsv2.moe_gate %x, %router method group_limited_greedy {top_k = 2, n_group = 4, topk_group = 2, routed_scaling_factor = 2.0, norm_topk_prob = false}
      : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  // CHECK: dsv2.moe_experts
  // CHECK-NOT: example.
  // CHECK: return
  %y = dsv2.moe_experts %x routed(%w, %idx) experts(%eg, %eu, %ed)
      : tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, experts(tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>)
  return %y : tensor<?x64xf32>
}

// -----

// CHECK-LABEL: func.func @fused
// CHECK: dsv2.moe_fused {{.*}} {block_size = 16 : i64, example.active_experts = 6 : i64, example.routed_experts = 16 : i64,
// CHECK: dsv2.moe_fused {{.*}} {block_size = 1 : i64, example.active_experts = 1 : i64, example.routed_experts = 16 : i64,
func.func @fused(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %router = dsv2.weight "mlp.gate.weight" : tensor<16x64xf32>
  %eg = dsv2.weight "experts.{e}.gate_proj.weight" : tensor<16x32x64xf32>
  %eu = dsv2.weight "experts.{e}.up_proj.weight" : tensor<16x32x64xf32>
  %ed = dsv2.weight "experts.{e}.down_proj.weight" : tensor<16x64x32xf32>
  // expected-remark @below {{routes each token to 6 of 16 experts (group_limited_greedy)}}
  %a = dsv2.moe_fused %x router(%router method group_limited_greedy) experts(%eg, %eu, %ed)
      {top_k = 6, n_group = 4, topk_group = 2, routed_scaling_factor = 2.0, norm_topk_prob = false, block_size = 16}
      : tensor<?x64xf32>, router(tensor<16x64xf32>), experts(tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>)
  // expected-remark @below {{routes each token to 1 of 16 experts (greedy)}}
  %b = dsv2.moe_fused %a router(%router method greedy) experts(%eg, %eu, %ed)
      {top_k = 1, n_group = 1, topk_group = 1, routed_scaling_factor = 1.0, norm_topk_prob = true, block_size = 1}
      : tensor<?x64xf32>, router(tensor<16x64xf32>), experts(tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>)
  return %b : tensor<?x64xf32>
}

// -----

// A module without routers is left as it is.
// CHECK-LABEL: func.func @dense
// CHECK-NOT: example.
func.func @dense(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  return %x : tensor<?x64xf32>
}
