//===- Passes.td - dsv2 passes ----------------------------*- tablegen -*-===//
//
// Every dsv2 pass: def `Dsv2FooPass`, flag `dsv2-foo`, options as Option<>s.
// Test-only passes (`dsv2-test-*`) expose analyses to FileCheck.
//
//===----------------------------------------------------------------------===//

#ifndef DSV2_PASSES_TD
#define DSV2_PASSES_TD

include "mlir/Pass/PassBase.td"

def Dsv2TestPrintWeightSummaryPass
    : Pass<"dsv2-test-print-weight-summary", "::mlir::ModuleOp"> {
  let summary = "Print the weights a module reads: count, parameters, bytes";
  let description = [{
    Test-only analysis. For each `func.func`, prints one line per distinct
    weight name (shape and dtype) when `per-weight` is set, then a total
    line: `weights: N, parameters: P, bytes: B`. Stacked expert weights count
    all their experts.
  }];
  let options = [
    Option<"perWeight", "per-weight", "bool", /*default=*/"false",
           "Print one line per weight before the total">,
  ];
}

#endif // DSV2_PASSES_TD
