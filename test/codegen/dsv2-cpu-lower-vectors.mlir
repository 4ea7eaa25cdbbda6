// dsv2-cpu-lower-vectors: matmul contractions and masked memory as loops
// through stack buffers, bf16 as i16 bit patterns.
// RUN: dsv2-opt %s --split-input-file --dsv2-cpu-lower-vectors | FileCheck %s

// An f32 matmul contraction: for each row m of C, K steps of
// C[m, :] = fma(A[m, k], B[k, :], C[m, :]) in K order, with C's row in
// registers (the iter_arg) and A, B, C in stack buffers.
// CHECK-LABEL: func.func @matmul(
// CHECK-DAG: %[[C:.*]] = llvm.alloca %{{.*}} x f32 {alignment = 4 : i64} : (i64) -> !llvm.ptr
// CHECK-DAG: %[[B:.*]] = llvm.alloca %{{.*}} x f32 {alignment = 4 : i64} : (i64) -> !llvm.ptr
// CHECK-DAG: %[[A:.*]] = llvm.alloca %{{.*}} x f32 {alignment = 4 : i64} : (i64) -> !llvm.ptr
// CHECK: llvm.store %{{.*}}, %[[A]] {alignment = 4 : i64} : vector<6xf32>, !llvm.ptr
// CHECK: llvm.store %{{.*}}, %[[B]] {alignment = 4 : i64} : vector<12xf32>, !llvm.ptr
// CHECK: llvm.store %{{.*}}, %[[C]] {alignment = 4 : i64} : vector<8xf32>, !llvm.ptr
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:   %[[CROW:.*]] = llvm.getelementptr %[[C]][%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// CHECK:   %[[INIT:.*]] = llvm.load %[[CROW]] {alignment = 4 : i64} : !llvm.ptr -> vector<4xf32>
// CHECK:   %[[ROW:.*]] = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (vector<4xf32>) {
// CHECK:     %[[AK:.*]] = llvm.load %{{.*}} {alignment = 4 : i64} : !llvm.ptr -> f32
// CHECK:     %[[BK:.*]] = llvm.load %{{.*}} {alignment = 4 : i64} : !llvm.ptr -> vector<4xf32>
// CHECK:     %[[SPLAT:.*]] = vector.broadcast %[[AK]] : f32 to vector<4xf32>
// CHECK:     %[[NEXT:.*]] = vector.fma %[[SPLAT]], %[[BK]], %[[ACC]] : vector<4xf32>
// CHECK:     scf.yield %[[NEXT]] : vector<4xf32>
// CHECK:   llvm.store %[[ROW]], %[[CROW]] {alignment = 4 : i64} : vector<4xf32>, !llvm.ptr
// CHECK: llvm.load %[[C]] {alignment = 4 : i64} : !llvm.ptr -> vector<8xf32>
#mapA = affine_map<(d0, d1, d2) -> (d0, d2)>
#mapB = affine_map<(d0, d1, d2) -> (d2, d1)>
#mapC = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @matmul(%a: vector<2x3xf32>, %b: vector<3x4xf32>, %c: vector<2x4xf32>) -> vector<2x4xf32> {
  %d = vector.contract {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %c : vector<2x3xf32>, vector<3x4xf32> into vector<2x4xf32>
  return %d : vector<2x4xf32>
}

// -----

// bf16 as i16: truncf rounds to nearest even on the bits (NaNs: the upper
// bits with the quiet bit set), extf shifts the bits up.
// CHECK-LABEL: func.func @bf16(
// CHECK-SAME: %[[X:[^:]*]]: vector<8xf32>, %[[Y:[^:]*]]: vector<8xi16>) -> (vector<8xi16>, vector<8xf32>)
// CHECK-DAG: %[[QUIET:.*]] = arith.constant dense<64> : vector<8xi32>
// CHECK-DAG: %[[HALF:.*]] = arith.constant dense<32767> : vector<8xi32>
// CHECK-DAG: %[[ONE:.*]] = arith.constant dense<1> : vector<8xi32>
// CHECK-DAG: %[[SIXTEEN:.*]] = arith.constant dense<16> : vector<8xi32>
// CHECK: %[[BITS:.*]] = arith.bitcast %[[X]] : vector<8xf32> to vector<8xi32>
// CHECK: %[[HIGH:.*]] = arith.shrui %[[BITS]], %[[SIXTEEN]] : vector<8xi32>
// CHECK: %[[LSB:.*]] = arith.andi %[[HIGH]], %[[ONE]] : vector<8xi32>
// CHECK: %[[BIAS:.*]] = arith.addi %[[LSB]], %[[HALF]] : vector<8xi32>
// CHECK: %[[SUM:.*]] = arith.addi %[[BITS]], %[[BIAS]] : vector<8xi32>
// CHECK: %[[ROUNDED:.*]] = arith.shrui %[[SUM]], %[[SIXTEEN]] : vector<8xi32>
// CHECK: %[[NANBITS:.*]] = arith.ori %[[HIGH]], %[[QUIET]] : vector<8xi32>
// CHECK: %[[ISNAN:.*]] = arith.cmpf uno, %[[X]], %[[X]] : vector<8xf32>
// CHECK: %[[PICK:.*]] = arith.select %[[ISNAN]], %[[NANBITS]], %[[ROUNDED]] : vector<8xi1>, vector<8xi32>
// CHECK: %[[T:.*]] = arith.trunci %[[PICK]] : vector<8xi32> to vector<8xi16>
// CHECK: %[[WIDE:.*]] = arith.extui %[[Y]] : vector<8xi16> to vector<8xi32>
// CHECK: %[[UP:.*]] = arith.shli %[[WIDE]], %[[SIXTEEN]] : vector<8xi32>
// CHECK: %[[E:.*]] = arith.bitcast %[[UP]] : vector<8xi32> to vector<8xf32>
// CHECK: return %[[T]], %[[E]] : vector<8xi16>, vector<8xf32>
func.func @bf16(%x: vector<8xf32>, %y: vector<8xbf16>) -> (vector<8xbf16>, vector<8xf32>) {
  %t = arith.truncf %x : vector<8xf32> to vector<8xbf16>
  %e = arith.extf %y : vector<8xbf16> to vector<8xf32>
  return %t, %e : vector<8xbf16>, vector<8xf32>
}

// -----

// A masked gather: a loop over the lanes whose mask byte is set, through
// stack buffers for the pointers, the mask and the result (pre-filled with
// the pass-through).
// CHECK-LABEL: func.func @gather(
// CHECK-SAME: %[[P:[^:]*]]: vector<8x!llvm.ptr>, %[[M:[^:]*]]: vector<8xi1>, %[[O:[^:]*]]: vector<8xf32>)
// CHECK-DAG: %[[MASKS:.*]] = llvm.alloca %{{.*}} x i8
// CHECK-DAG: %[[PTRS:.*]] = llvm.alloca %{{.*}} x !llvm.ptr
// CHECK-DAG: %[[OUT:.*]] = llvm.alloca %{{.*}} x f32
// CHECK: llvm.store %[[O]], %[[OUT]]
// CHECK: llvm.store %[[P]], %[[PTRS]]
// CHECK: %[[BYTES:.*]] = arith.extui %[[M]] : vector<8xi1> to vector<8xi8>
// CHECK: llvm.store %[[BYTES]], %[[MASKS]]
// CHECK: scf.for
// CHECK:   %[[ON:.*]] = arith.cmpi ne
// CHECK:   scf.if %[[ON]] {
// CHECK:     %[[LANEPTR:.*]] = llvm.load %{{.*}} {alignment = 8 : i64} : !llvm.ptr -> !llvm.ptr
// CHECK:     %[[V:.*]] = llvm.load %[[LANEPTR]] {alignment = 4 : i64} : !llvm.ptr -> f32
// CHECK:     llvm.store %[[V]]
// CHECK: llvm.load %[[OUT]] {alignment = 4 : i64} : !llvm.ptr -> vector<8xf32>
func.func @gather(%p: vector<8x!llvm.ptr>, %m: vector<8xi1>, %o: vector<8xf32>) -> vector<8xf32> {
  %g = llvm.intr.masked.gather %p, %m, %o {alignment = 4 : i32} : (vector<8x!llvm.ptr>, vector<8xi1>, vector<8xf32>) -> vector<8xf32>
  return %g : vector<8xf32>
}

// -----

// Masked loads of f32 up to 256 bits stay intrinsics (vmaskmov on AVX); of
// 16-bit elements
// they take one vector load when every lane is on, else the lane loop.
// CHECK-LABEL: func.func @masked_loads(
// CHECK: llvm.intr.masked.load %{{.*}} : (!llvm.ptr, vector<8xi1>, vector<8xf32>) -> vector<8xf32>
// CHECK: %[[ALL:.*]] = vector.reduction <and>, %{{.*}} : vector<8xi1> into i1
// CHECK: scf.if %[[ALL]] -> (vector<8xi16>) {
// CHECK:   llvm.load %{{.*}} {alignment = 2 : i64} : !llvm.ptr -> vector<8xi16>
// CHECK: } else {
// CHECK:   scf.for
func.func @masked_loads(%p: !llvm.ptr, %m: vector<8xi1>) -> (vector<8xf32>, vector<8xbf16>) {
  %z = arith.constant dense<0.0> : vector<8xf32>
  %zb = arith.constant dense<0.0> : vector<8xbf16>
  %a = llvm.intr.masked.load %p, %m, %z {alignment = 4 : i32} : (!llvm.ptr, vector<8xi1>, vector<8xf32>) -> vector<8xf32>
  %b = llvm.intr.masked.load %p, %m, %zb {alignment = 2 : i32} : (!llvm.ptr, vector<8xi1>, vector<8xbf16>) -> vector<8xbf16>
  return %a, %b : vector<8xf32>, vector<8xbf16>
}

// -----

// Masked loads wider than 256 bits are split into 256-bit pieces (LLVM 22's
// x86 backend would emit a piece whose mask folds to false as an unmasked
// load, past the end of a buffer).
// CHECK-LABEL: func.func @wide_masked_load(
// CHECK-SAME: %[[P:[^:]*]]: !llvm.ptr, %[[M:[^:]*]]: vector<20xi1>
// CHECK: %[[M0:.*]] = vector.shuffle %[[M]], %[[M]] [0, 1, 2, 3, 4, 5, 6, 7] : vector<20xi1>, vector<20xi1>
// CHECK: llvm.intr.masked.load %[[P]], %[[M0]], %{{.*}} {alignment = 4 : i32} : (!llvm.ptr, vector<8xi1>, vector<8xf32>) -> vector<8xf32>
// CHECK: %[[P1:.*]] = llvm.getelementptr %[[P]][8] : (!llvm.ptr) -> !llvm.ptr, f32
// CHECK: %[[M1:.*]] = vector.shuffle %[[M]], %[[M]] [8, 9, 10, 11, 12, 13, 14, 15] : vector<20xi1>, vector<20xi1>
// CHECK: llvm.intr.masked.load %[[P1]], %[[M1]], %{{.*}} {alignment = 4 : i32} : (!llvm.ptr, vector<8xi1>, vector<8xf32>) -> vector<8xf32>
// CHECK: %[[P2:.*]] = llvm.getelementptr %[[P]][16] : (!llvm.ptr) -> !llvm.ptr, f32
// CHECK: %[[M2:.*]] = vector.shuffle %[[M]], %[[M]] [16, 17, 18, 19] : vector<20xi1>, vector<20xi1>
// CHECK: llvm.intr.masked.load %[[P2]], %[[M2]], %{{.*}} {alignment = 4 : i32} : (!llvm.ptr, vector<4xi1>, vector<4xf32>) -> vector<4xf32>
// CHECK-NOT: vector<20xf32>) -> vector<20xf32>
func.func @wide_masked_load(%p: !llvm.ptr, %m: vector<20xi1>) -> vector<20xf32> {
  %z = arith.constant dense<0.0> : vector<20xf32>
  %a = llvm.intr.masked.load %p, %m, %z {alignment = 4 : i32} : (!llvm.ptr, vector<20xi1>, vector<20xf32>) -> vector<20xf32>
  return %a : vector<20xf32>
}
