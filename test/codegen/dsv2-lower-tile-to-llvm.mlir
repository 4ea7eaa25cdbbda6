// dsv2-lower-tile-to-llvm: the whole CPU lowering, down to the LLVM dialect
// only (no tile, vector, arith, math, scf, cf or func op is left).
// RUN: dsv2-opt %s --dsv2-lower-tile-to-llvm | FileCheck %s --implicit-check-not='{{(= |^ *)"?(tile|vector|arith|math|scf|cf|func|ub|builtin)\.}}'
// RUN: dsv2-opt %s --dsv2-lower-tile-to-llvm=reassociate-fp-reductions=false | FileCheck %s --check-prefix=ORDERED

// A masked 16-lane bf16 load: bf16 values are i16 bit patterns; the load
// takes one vector access when every lane is on, else a loop over the
// active lanes (LLVM would otherwise branch per lane); its address is x
// itself (a scalar GEP of x by lane 0's offset, 0). The sum of the lanes
// may be reassociated (a tree) unless reassociate-fp-reductions=false.
// CHECK-LABEL: llvm.func @sum_bf16(
// CHECK-SAME: %[[X:[^:]*]]: !llvm.ptr, %[[Y:[^:]*]]: !llvm.ptr, %[[N:[^:]*]]: i32, %{{[^:]*}}: i32, %{{[^:]*}}: i32, %{{[^:]*}}: i32, %{{[^:]*}}: i32, %{{[^:]*}}: i32, %{{[^:]*}}: i32) {
// CHECK: %[[MASKBYTES:.*]] = llvm.alloca %{{.*}} x i8
// CHECK: %[[STAGING:.*]] = llvm.alloca %{{.*}} x bf16
// CHECK: %[[MASK:.*]] = llvm.icmp "sgt"
// CHECK: %[[ALL:.*]] = "llvm.intr.vector.reduce.and"(%[[MASK]]) : (vector<16xi1>) -> i1
// CHECK: llvm.cond_br %[[ALL]], ^[[WHOLE:.*]], ^[[LANES:[^ ]*]]
// CHECK: ^[[WHOLE]]:
// CHECK:   llvm.load %[[X]] {alignment = 2 : i64} : !llvm.ptr -> vector<16xi16>
// CHECK: ^[[LANES]]:
// CHECK:   llvm.zext %[[MASK]] : vector<16xi1> to vector<16xi8>
// CHECK:   llvm.load %{{.*}} {alignment = 2 : i64} : !llvm.ptr -> i16
// CHECK:   llvm.load %[[STAGING]] {alignment = 2 : i64} : !llvm.ptr -> vector<16xi16>
// CHECK: %[[WIDE:.*]] = llvm.zext %{{.*}} : vector<16xi16> to vector<16xi32>
// CHECK: %[[SHIFTED:.*]] = llvm.shl %[[WIDE]], %{{.*}} : vector<16xi32>
// CHECK: %[[F:.*]] = llvm.bitcast %[[SHIFTED]] : vector<16xi32> to vector<16xf32>
// CHECK: %[[SUM:.*]] = "llvm.intr.vector.reduce.fadd"(%{{.*}}, %[[F]]) <{fastmathFlags = #llvm.fastmath<reassoc>}> : (f32, vector<16xf32>) -> f32
// CHECK: llvm.store %[[SUM]], %[[Y]] {alignment = 4 : i64} : f32, !llvm.ptr
// ORDERED: "llvm.intr.vector.reduce.fadd"(%{{.*}}, %{{.*}}) <{fastmathFlags = #llvm.fastmath<none>}> : (f32, vector<16xf32>) -> f32
func.func @sum_bf16(%x: !tile.ptr<bf16>, %y: !tile.ptr<f32>, %n: i32) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %lanes = tile.range <0, 16> : tensor<16xi32>
  %limit = tile.splat %n : i32 -> tensor<16xi32>
  %mask = arith.cmpi slt, %lanes, %limit : tensor<16xi32>
  %p = tile.addptr %x, %lanes : !tile.ptr<bf16>, tensor<16xi32> -> tensor<16x!tile.ptr<bf16>>
  %v = tile.load %p mask %mask : tensor<16x!tile.ptr<bf16>> -> tensor<16xbf16>
  %f = arith.extf %v : tensor<16xbf16> to tensor<16xf32>
  %s = tile.reduce sum %f axis 0 : tensor<16xf32> -> f32
  tile.store %y, %s : !tile.ptr<f32>, f32
  return
}
