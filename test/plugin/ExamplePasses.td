//===- ExamplePasses.td - The example plugin's passes -----*- tablegen -*-===//
//
// Part of dsv2c. Out-of-tree passes are declared exactly like in-tree ones
// (passes/Passes.td): a `Pass<>` def with `Option<>`s; mlir-tblgen generates
// the base class, the create function and the registration function.
//
//===----------------------------------------------------------------------===//

#ifndef DSV2_EXAMPLE_PASSES_TD
#define DSV2_EXAMPLE_PASSES_TD

include "mlir/Pass/PassBase.td"

def Dsv2ExampleAnnotateMoePass
    : Pass<"dsv2-example-annotate-moe", "::mlir::ModuleOp"> {
  let summary = "Example plugin pass: annotate MoE routers with their expert "
                "counts";
  let description = [{
    Out-of-tree example (test/plugin/, docs/writing-passes.md). Sets
    `example.routed_experts = E : i64` on every `dsv2.moe_gate` and
    `dsv2.moe_fused`, E being the number of routed experts the router scores
    (the leading dimension of its gate weight), and `example.active_experts =
    K : i64`, the experts each token is routed to (`top_k`). With `remarks`
    it also emits one remark per router:
    `routes each token to 6 of 160 experts (group_limited_greedy)`.
  }];
  let options = [
    Option<"remarks", "remarks", "bool", /*default=*/"true",
           "Emit a remark per annotated router">,
  ];
}

#endif // DSV2_EXAMPLE_PASSES_TD
