// What the CPU code generator does not lower fails with a diagnostic on the
// op, never a crash: ops outside tile/arith/math/scf/func (an unregistered
// op, a dsv2 op left in a kernel) and upstream ops no LLVM lowering knows.
// RUN: dsv2-opt %s --split-input-file --allow-unregistered-dialect --dsv2-lower-tile-to-llvm -verify-diagnostics
// RUN: not dsv2-translate-cpu %S/Inputs/unsupported-op.mlir 2>&1 | FileCheck %s --check-prefix=TOOL

// TOOL: unsupported-op.mlir:8:8: error: failed to legalize operation 'math.ipowi'
// TOOL: dsv2-translate-cpu: error: lowering the tile kernels to the LLVM dialect failed

func.func @unregistered_op(%x: !tile.ptr<f32>) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  // expected-error @+1 {{'test.opaque' op is not supported by the CPU code generator: kernels may use tile, arith and math ops, scf.for/if/while and func.call}}
  %v = "test.opaque"() : () -> f32
  tile.store %x, %v : !tile.ptr<f32>, f32
  return
}

// -----

func.func @dsv2_op_left_in_kernel(%x: !tile.ptr<f32>) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  // expected-error @+1 {{'dsv2.weight' op is not supported by the CPU code generator}}
  %w = dsv2.weight "model.norm.weight" : tensor<4xf32>
  return
}

// -----

func.func @no_llvm_lowering(%x: !tile.ptr<i32>) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %lanes = tile.range <0, 8> : tensor<8xi32>
  %p = tile.addptr %x, %lanes : !tile.ptr<i32>, tensor<8xi32> -> tensor<8x!tile.ptr<i32>>
  %v = tile.load %p : tensor<8x!tile.ptr<i32>> -> tensor<8xi32>
  // expected-error @+1 {{failed to legalize operation 'math.ipowi'}}
  %y = math.ipowi %v, %lanes : tensor<8xi32>
  tile.store %p, %y : tensor<8x!tile.ptr<i32>>, tensor<8xi32>
  return
}
