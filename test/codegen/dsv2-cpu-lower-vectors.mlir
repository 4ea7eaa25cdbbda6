// dsv2-cpu-lower-vectors: matmul contractions and masked memory as loops
// through stack buffers, bf16 as i16 bit patterns.
// RUN: dsv2-opt %s --split-input-file --dsv2-cpu-lower-vectors | FileCheck %s
// RUN: dsv2-opt %s --split-input-file --dsv2-cpu-lower-vectors=vector-bits=512 | FileCheck %s --check-prefix=AVX512
// RUN: not dsv2-opt %s --split-input-file --dsv2-cpu-lower-vectors=vector-bits=384 2>&1 | FileCheck %s --check-prefix=REJECT
// REJECT: error: dsv2-cpu-lower-vectors: vector-bits must be 128, 256 or 512, not 384

// An f32 matmul contraction: A, B and C copied row by row into stack
// buffers; C in blocks of R rows x W columns (here the whole 2 x 4), whose
// R row chunks stay in registers (iter_args) for the K chain: each K step
// loads B's chunk once and does one fma per row, in K order.
// CHECK-LABEL: func.func @matmul(
// CHECK-DAG: %[[C:.*]] = llvm.alloca %{{.*}} x f32 {alignment = 4 : i64} : (i64) -> !llvm.ptr
// CHECK-DAG: %[[B:.*]] = llvm.alloca %{{.*}} x f32 {alignment = 4 : i64} : (i64) -> !llvm.ptr
// CHECK-DAG: %[[A:.*]] = llvm.alloca %{{.*}} x f32 {alignment = 4 : i64} : (i64) -> !llvm.ptr
// CHECK: %[[A0:.*]] = vector.extract %{{.*}}[0] : vector<3xf32> from vector<2x3xf32>
// CHECK: llvm.store %[[A0]], %[[A]] {alignment = 4 : i64} : vector<3xf32>, !llvm.ptr
// CHECK: %[[A1:.*]] = vector.extract %{{.*}}[1] : vector<3xf32> from vector<2x3xf32>
// CHECK: %[[A1P:.*]] = llvm.getelementptr %[[A]][3] : (!llvm.ptr) -> !llvm.ptr, f32
// CHECK: llvm.store %[[A1]], %[[A1P]]
// CHECK-COUNT-3: llvm.store %{{.*}} : vector<4xf32>, !llvm.ptr
// CHECK-COUNT-2: llvm.store %{{.*}} : vector<4xf32>, !llvm.ptr
// CHECK: scf.for %{{.*}} = %[[ZERO:.*]] to %[[TWO:.*]] step %[[TWO]] {
// CHECK:   scf.for %{{.*}} = %[[ZERO]] to %[[FOUR:.*]] step %[[FOUR]] {
// CHECK:     %[[C0:.*]] = llvm.load %{{.*}} {alignment = 4 : i64} : !llvm.ptr -> vector<4xf32>
// CHECK:     %[[C1:.*]] = llvm.load %{{.*}} {alignment = 4 : i64} : !llvm.ptr -> vector<4xf32>
// CHECK:     %[[ROWS:.*]]:2 = scf.for %{{.*}} = %[[ZERO]] to %{{.*}} step %{{.*}} iter_args(%[[ACC0:.*]] = %[[C0]], %[[ACC1:.*]] = %[[C1]]) -> (vector<4xf32>, vector<4xf32>) {
// CHECK:       %[[BK:.*]] = llvm.load %{{.*}} {alignment = 4 : i64} : !llvm.ptr -> vector<4xf32>
// CHECK:       %[[AK0:.*]] = llvm.load %{{.*}} {alignment = 4 : i64} : !llvm.ptr -> f32
// CHECK:       %[[S0:.*]] = vector.broadcast %[[AK0]] : f32 to vector<4xf32>
// CHECK:       %[[N0:.*]] = vector.fma %[[S0]], %[[BK]], %[[ACC0]] : vector<4xf32>
// CHECK:       %[[AK1:.*]] = llvm.load %{{.*}} {alignment = 4 : i64} : !llvm.ptr -> f32
// CHECK:       %[[S1:.*]] = vector.broadcast %[[AK1]] : f32 to vector<4xf32>
// CHECK:       %[[N1:.*]] = vector.fma %[[S1]], %[[BK]], %[[ACC1]] : vector<4xf32>
// CHECK:       scf.yield %[[N0]], %[[N1]] : vector<4xf32>, vector<4xf32>
// CHECK:     llvm.store %[[ROWS]]#0, %{{.*}} {alignment = 4 : i64} : vector<4xf32>, !llvm.ptr
// CHECK:     llvm.store %[[ROWS]]#1, %{{.*}} {alignment = 4 : i64} : vector<4xf32>, !llvm.ptr
// CHECK: %[[R0:.*]] = llvm.load %[[C]] {alignment = 4 : i64} : !llvm.ptr -> vector<4xf32>
// CHECK: %[[D0:.*]] = vector.insert %[[R0]], %{{.*}} [0] : vector<4xf32> into vector<2x4xf32>
// CHECK: %[[R1:.*]] = llvm.load %{{.*}} {alignment = 4 : i64} : !llvm.ptr -> vector<4xf32>
// CHECK: %[[D1:.*]] = vector.insert %[[R1]], %[[D0]] [1] : vector<4xf32> into vector<2x4xf32>
// CHECK: return %[[D1]] : vector<2x4xf32>
#mapA = affine_map<(d0, d1, d2) -> (d0, d2)>
#mapB = affine_map<(d0, d1, d2) -> (d2, d1)>
#mapC = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @matmul(%a: vector<2x3xf32>, %b: vector<3x4xf32>, %c: vector<2x4xf32>) -> vector<2x4xf32> {
  %d = vector.contract {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %c : vector<2x3xf32>, vector<3x4xf32> into vector<2x4xf32>
  return %d : vector<2x4xf32>
}

// -----

// Wide and tall: C [8, 64] in blocks of 2 rows x 32 columns (64 floats of
// accumulators), so 4 row blocks x 2 column chunks; a narrow C [16, 8] in
// blocks of 8 rows (8 independent fma chains sharing each B load); a prime
// width stays whole.
// CHECK-LABEL: func.func @blocks(
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c2 {
// CHECK:   scf.for %{{.*}} = %c0 to %c64 step %c32 {
// CHECK:     scf.for {{.*}} iter_args({{.*}}) -> (vector<32xf32>, vector<32xf32>) {
// CHECK-COUNT-2: vector.fma %{{.*}} : vector<32xf32>
// CHECK: scf.for %{{.*}} = %{{.*}} to %c16 step %c8 {
// CHECK:   scf.for %{{.*}} = %{{.*}} to %c8 step %c8 {
// CHECK:     scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// CHECK-COUNT-8: vector.fma %{{.*}} : vector<8xf32>
// CHECK: scf.for %{{.*}} = %{{.*}} to %c3 step %c1 {
// CHECK:   scf.for %{{.*}} = %{{.*}} to %c37 step %c37 {
// CHECK:     scf.for {{.*}} -> (vector<37xf32>) {
// With 512-bit registers the budget is 16 zmm (256 floats, half the
// register file) and a chunk up to 64 columns: C [8, 64] in 4 rows x 64,
// C [16, 8] whole.
// AVX512-LABEL: func.func @blocks(
// AVX512: scf.for %{{.*}} = %c0 to %c8 step %c4 {
// AVX512:   scf.for %{{.*}} = %c0 to %c64 step %c64 {
// AVX512:     scf.for {{.*}} iter_args({{.*}}) -> (vector<64xf32>, vector<64xf32>, vector<64xf32>, vector<64xf32>) {
// AVX512-COUNT-4: vector.fma %{{.*}} : vector<64xf32>
// AVX512: scf.for %{{.*}} = %{{.*}} to %c16 step %c16 {
// AVX512:   scf.for %{{.*}} = %{{.*}} to %c8 step %c8 {
// AVX512:     scf.for {{.*}} -> (vector<8xf32>, {{.*}}) {
// AVX512-COUNT-16: vector.fma %{{.*}} : vector<8xf32>
#mapA = affine_map<(d0, d1, d2) -> (d0, d2)>
#mapB = affine_map<(d0, d1, d2) -> (d2, d1)>
#mapC = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @blocks(%a: vector<8x4xf32>, %b: vector<4x64xf32>, %c: vector<8x64xf32>,
                  %x: vector<16x4xf32>, %y: vector<4x8xf32>, %z: vector<16x8xf32>,
                  %p: vector<3x2xf32>, %q: vector<2x37xf32>, %r: vector<3x37xf32>)
    -> (vector<8x64xf32>, vector<16x8xf32>, vector<3x37xf32>) {
  %d = vector.contract {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %c : vector<8x4xf32>, vector<4x64xf32> into vector<8x64xf32>
  %e = vector.contract {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %x, %y, %z : vector<16x4xf32>, vector<4x8xf32> into vector<16x8xf32>
  %f = vector.contract {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %p, %q, %r : vector<3x2xf32>, vector<2x37xf32> into vector<3x37xf32>
  return %d, %e, %f : vector<8x64xf32>, vector<16x8xf32>, vector<3x37xf32>
}

// -----

// Operands in place: B is the rows of two unmasked whole-row loads (as
// dsv2-convert-tile-to-llvm lowers a tile.load of contiguous rows), so the
// K loop reads each row where it lies through a table of the two row
// addresses (no stack copy of B: the only f32 buffers are A's and C's;
// the loads, now unused, are LLVM's to drop). A is a value from outside
// the loop around the contraction: its copy is made once, before the loop;
// C's copy stays inside (its buffer takes the results each time).
// CHECK-LABEL: func.func @in_place(
// CHECK-SAME: %[[A:[^:]*]]: vector<2x2xf32>, %[[ROW0:[^:]*]]: !llvm.ptr, %[[ROW1:[^:]*]]: !llvm.ptr
// CHECK: %[[CBUF:.*]] = llvm.alloca %{{.*}} x f32
// CHECK-NEXT: %[[TABLE:.*]] = llvm.alloca %{{.*}} x !llvm.ptr
// CHECK-NEXT: %[[ABUF:.*]] = llvm.alloca %{{.*}} x f32
// CHECK-NOT: llvm.alloca
// CHECK: vector.extract %[[A]][0]
// CHECK-NEXT: llvm.store %{{.*}}, %[[ABUF]]
// CHECK: scf.for
// CHECK: llvm.store %[[ROW0]], %[[TABLE]] {{.*}} : !llvm.ptr, !llvm.ptr
// CHECK: llvm.store %[[ROW1]], %{{.*}} : !llvm.ptr, !llvm.ptr
// CHECK: llvm.store %{{.*}}, %[[CBUF]]
// CHECK: scf.for
// CHECK: %[[ROWK:.*]] = llvm.load %{{.*}} : !llvm.ptr -> !llvm.ptr
// CHECK: %[[AT:.*]] = llvm.getelementptr %[[ROWK]][%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// CHECK: llvm.load %[[AT]] {{.*}} : !llvm.ptr -> vector<4xf32>
// CHECK: vector.fma
#mapA = affine_map<(d0, d1, d2) -> (d0, d2)>
#mapB = affine_map<(d0, d1, d2) -> (d2, d1)>
#mapC = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @in_place(%a: vector<2x2xf32>, %row0: !llvm.ptr, %row1: !llvm.ptr,
                    %c: vector<2x4xf32>, %n: index) -> vector<2x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %all = arith.constant dense<true> : vector<4xi1>
  %zero = arith.constant dense<0.0> : vector<4xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %c) -> (vector<2x4xf32>) {
    %b0 = llvm.intr.masked.load %row0, %all, %zero {alignment = 4 : i32} : (!llvm.ptr, vector<4xi1>, vector<4xf32>) -> vector<4xf32>
    %b1 = llvm.load %row1 {alignment = 4 : i64} : !llvm.ptr -> vector<4xf32>
    %e0:4 = vector.to_elements %b0 : vector<4xf32>
    %e1:4 = vector.to_elements %b1 : vector<4xf32>
    %b = vector.from_elements %e0#0, %e0#1, %e0#2, %e0#3, %e1#0, %e1#1, %e1#2, %e1#3 : vector<2x4xf32>
    %d = vector.contract {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %acc : vector<2x2xf32>, vector<2x4xf32> into vector<2x4xf32>
    scf.yield %d : vector<2x4xf32>
  }
  return %r : vector<2x4xf32>
}

// -----

// A copied-once operand whose columns are loads (the transposed tile.load
// of q^T before the attention's key loop): B [2, 4] is put together from
// four loads of 2 floats, one per column. It is copied once, before the
// loop, column by column from where the columns lie (a table of their
// addresses, then loops of scalar loads and stores); the value put
// together from the columns is gone.
// CHECK-LABEL: func.func @transposed_columns(
// CHECK-SAME: %[[COL0:[^:]*]]: !llvm.ptr, %[[COL1:[^:]*]]: !llvm.ptr, %[[COL2:[^:]*]]: !llvm.ptr, %[[COL3:[^:]*]]: !llvm.ptr
// CHECK-NOT: vector.from_elements
// CHECK: llvm.store %[[COL0]], %{{.*}} : !llvm.ptr, !llvm.ptr
// CHECK: llvm.store %[[COL3]], %{{.*}} : !llvm.ptr, !llvm.ptr
// CHECK: scf.for %{{.*}} = %c0 to %c4 step %c1 {
// CHECK:   %[[COLUMN:.*]] = llvm.load %{{.*}} : !llvm.ptr -> !llvm.ptr
// CHECK:   scf.for %{{.*}} = %c0 to %c2 step %c1 {
// CHECK:     %[[AT:.*]] = llvm.getelementptr %[[COLUMN]][%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// CHECK:     %[[X:.*]] = llvm.load %[[AT]] {{.*}} : !llvm.ptr -> f32
// CHECK:     llvm.store %[[X]], %{{.*}} : f32, !llvm.ptr
// CHECK-NOT: vector.from_elements
// CHECK: return
#mapA = affine_map<(d0, d1, d2) -> (d0, d2)>
#mapB = affine_map<(d0, d1, d2) -> (d2, d1)>
#mapC = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @transposed_columns(%col0: !llvm.ptr, %col1: !llvm.ptr, %col2: !llvm.ptr,
                              %col3: !llvm.ptr, %a: vector<2x2xf32>,
                              %c: vector<2x4xf32>, %n: index) -> vector<2x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %l0 = llvm.load %col0 {alignment = 4 : i64} : !llvm.ptr -> vector<2xf32>
  %l1 = llvm.load %col1 {alignment = 4 : i64} : !llvm.ptr -> vector<2xf32>
  %l2 = llvm.load %col2 {alignment = 4 : i64} : !llvm.ptr -> vector<2xf32>
  %l3 = llvm.load %col3 {alignment = 4 : i64} : !llvm.ptr -> vector<2xf32>
  %e0:2 = vector.to_elements %l0 : vector<2xf32>
  %e1:2 = vector.to_elements %l1 : vector<2xf32>
  %e2:2 = vector.to_elements %l2 : vector<2xf32>
  %e3:2 = vector.to_elements %l3 : vector<2xf32>
  %b = vector.from_elements %e0#0, %e1#0, %e2#0, %e3#0, %e0#1, %e1#1, %e2#1, %e3#1 : vector<2x4xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %c) -> (vector<2x4xf32>) {
    %d = vector.contract {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %acc : vector<2x2xf32>, vector<2x4xf32> into vector<2x4xf32>
    scf.yield %d : vector<2x4xf32>
  }
  return %r : vector<2x4xf32>
}

// -----

// Not in place: a store between the loads and the contraction may change
// the rows, and a masked load under a mask that is not all true reads
// zeros where its mask is off: both keep B's stack copy (three f32
// buffers, no table).
// CHECK-LABEL: func.func @copied(
// CHECK-NOT: x !llvm.ptr
// CHECK-COUNT-3: llvm.alloca %{{.*}} x f32
// CHECK-NOT: x !llvm.ptr
// CHECK-LABEL: func.func @masked_rows(
// CHECK-NOT: x !llvm.ptr
// CHECK-COUNT-3: llvm.alloca %{{.*}} x f32
// CHECK-NOT: x !llvm.ptr
#mapA = affine_map<(d0, d1, d2) -> (d0, d2)>
#mapB = affine_map<(d0, d1, d2) -> (d2, d1)>
#mapC = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @copied(%a: vector<2x2xf32>, %row0: !llvm.ptr, %row1: !llvm.ptr,
                  %c: vector<2x4xf32>, %v: vector<4xf32>) -> vector<2x4xf32> {
  %b0 = llvm.load %row0 {alignment = 4 : i64} : !llvm.ptr -> vector<4xf32>
  %b1 = llvm.load %row1 {alignment = 4 : i64} : !llvm.ptr -> vector<4xf32>
  llvm.store %v, %row1 {alignment = 4 : i64} : vector<4xf32>, !llvm.ptr
  %e0:4 = vector.to_elements %b0 : vector<4xf32>
  %e1:4 = vector.to_elements %b1 : vector<4xf32>
  %b = vector.from_elements %e0#0, %e0#1, %e0#2, %e0#3, %e1#0, %e1#1, %e1#2, %e1#3 : vector<2x4xf32>
  %d = vector.contract {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %c : vector<2x2xf32>, vector<2x4xf32> into vector<2x4xf32>
  return %d : vector<2x4xf32>
}
func.func @masked_rows(%a: vector<2x2xf32>, %row0: !llvm.ptr, %row1: !llvm.ptr,
                       %c: vector<2x4xf32>, %mask: vector<4xi1>) -> vector<2x4xf32> {
  %zero = arith.constant dense<0.0> : vector<4xf32>
  %b0 = llvm.intr.masked.load %row0, %mask, %zero {alignment = 4 : i32} : (!llvm.ptr, vector<4xi1>, vector<4xf32>) -> vector<4xf32>
  %b1 = llvm.load %row1 {alignment = 4 : i64} : !llvm.ptr -> vector<4xf32>
  %e0:4 = vector.to_elements %b0 : vector<4xf32>
  %e1:4 = vector.to_elements %b1 : vector<4xf32>
  %b = vector.from_elements %e0#0, %e0#1, %e0#2, %e0#3, %e1#0, %e1#1, %e1#2, %e1#3 : vector<2x4xf32>
  %d = vector.contract {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %c : vector<2x2xf32>, vector<2x4xf32> into vector<2x4xf32>
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
