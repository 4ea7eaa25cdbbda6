// dsv2-convert-tile-to-llvm: tiles become vectors, pointers !llvm.ptr,
// memory access LLVM masked intrinsics; kernels get the launch ABI.
// RUN: dsv2-opt %s --split-input-file --dsv2-convert-tile-to-llvm | FileCheck %s
// RUN: dsv2-opt %s --split-input-file --dsv2-convert-tile-to-llvm=contiguous-access=false | FileCheck %s --check-prefix=GATHER

// The launch ABI: six trailing i32 arguments (pid x/y/z, nprog x/y/z) that
// tile.program_id and tile.num_programs read; tile.kernel is dropped.
// CHECK-LABEL: func.func @grid_ops(
// CHECK-SAME: %[[OUT:[^:]*]]: !llvm.ptr, %[[PX:[^:]*]]: i32, %[[PY:[^:]*]]: i32, %[[PZ:[^:]*]]: i32, %[[NX:[^:]*]]: i32, %[[NY:[^:]*]]: i32, %[[NZ:[^:]*]]: i32) {
// CHECK: %[[A:.*]] = arith.addi %[[PX]], %[[PZ]] : i32
// CHECK: %[[B:.*]] = arith.addi %[[A]], %[[NY]] : i32
// CHECK: llvm.store %[[B]], %[[OUT]] {alignment = 4 : i64} : i32, !llvm.ptr
func.func @grid_ops(%out: !tile.ptr<i32>) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, 2, 3), grid_symbols = ["tokens"]>} {
  %x = tile.program_id x : i32
  %z = tile.program_id z : i32
  %ny = tile.num_programs y : i32
  %a = arith.addi %x, %z : i32
  %b = arith.addi %a, %ny : i32
  tile.store %out, %b : !tile.ptr<i32>, i32
  return
}

// -----

// A 16-wide f32 block: range -> constant, splat -> broadcast, addptr -> a
// vector GEP; the pointer tile is contiguous, so the masked load and store
// are llvm.intr.masked.load/store from lane 0's pointer, with the mask and
// the `other` fill. Lane 0's pointer is a scalar GEP of x by lane 0's offset
// (not a lane of the vector GEP), so addresses stay in scalar registers.
// CHECK-LABEL: func.func @scale(
// CHECK-SAME: %[[X:[^:]*]]: !llvm.ptr, %[[N:[^:]*]]: i32, %[[S:[^:]*]]: f32, %[[PID:[^:]*]]: i32
// CHECK: %[[LANES:.*]] = arith.constant dense<[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]> : vector<16xi32>
// CHECK: %[[FIRST:.*]] = vector.broadcast %{{.*}} : i32 to vector<16xi32>
// CHECK: %[[OFFS:.*]] = arith.addi %[[FIRST]], %[[LANES]] : vector<16xi32>
// CHECK: %[[LIMIT:.*]] = vector.broadcast %[[N]] : i32 to vector<16xi32>
// CHECK: %[[MASK:.*]] = arith.cmpi slt, %[[OFFS]], %[[LIMIT]] : vector<16xi32>
// CHECK: %[[PTRS:.*]] = llvm.getelementptr %[[X]][%[[OFFS]]] : (!llvm.ptr, vector<16xi32>) -> vector<16x!llvm.ptr>, f32
// CHECK: %[[FILL:.*]] = arith.constant dense<-1.000000e+00> : vector<16xf32>
// CHECK: %[[OFF0:.*]] = vector.extract %[[OFFS]][0] : i32 from vector<16xi32>
// CHECK: %[[BASE:.*]] = llvm.getelementptr %[[X]][%[[OFF0]]] : (!llvm.ptr, i32) -> !llvm.ptr, f32
// CHECK: %[[V:.*]] = llvm.intr.masked.load %[[BASE]], %[[MASK]], %[[FILL]] {alignment = 4 : i32} : (!llvm.ptr, vector<16xi1>, vector<16xf32>) -> vector<16xf32>
// CHECK: %[[SV:.*]] = vector.broadcast %[[S]] : f32 to vector<16xf32>
// CHECK: %[[Y:.*]] = arith.mulf %[[V]], %[[SV]] : vector<16xf32>
// CHECK: llvm.intr.masked.store %[[Y]], %{{.*}}, %[[MASK]] {alignment = 4 : i32} : vector<16xf32>, vector<16xi1> into !llvm.ptr
// Without the contiguity analysis: a gather and a scatter.
// GATHER-LABEL: func.func @scale(
// GATHER: %[[PTRS:.*]] = llvm.getelementptr
// GATHER: llvm.intr.masked.gather %[[PTRS]], %[[MASK:.*]], %{{.*}} {alignment = 4 : i32} : (vector<16x!llvm.ptr>, vector<16xi1>, vector<16xf32>) -> vector<16xf32>
// GATHER: llvm.intr.masked.scatter %{{.*}}, %[[PTRS]], %[[MASK]] {alignment = 4 : i32} : vector<16xf32>, vector<16xi1> into vector<16x!llvm.ptr>
func.func @scale(%x: !tile.ptr<f32>, %n: i32, %s: f32) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv 16, 1, 1),
                               grid_symbols = ["elements"]>} {
  %pid = tile.program_id x : i32
  %c16 = arith.constant 16 : i32
  %start = arith.muli %pid, %c16 : i32
  %lanes = tile.range <0, 16> : tensor<16xi32>
  %first = tile.splat %start : i32 -> tensor<16xi32>
  %offs = arith.addi %first, %lanes : tensor<16xi32>
  %limit = tile.splat %n : i32 -> tensor<16xi32>
  %mask = arith.cmpi slt, %offs, %limit : tensor<16xi32>
  %ptrs = tile.addptr %x, %offs : !tile.ptr<f32>, tensor<16xi32> -> tensor<16x!tile.ptr<f32>>
  %fill = arith.constant dense<-1.0> : tensor<16xf32>
  %v = tile.load %ptrs mask %mask other %fill : tensor<16x!tile.ptr<f32>> -> tensor<16xf32>
  %sv = tile.splat %s : f32 -> tensor<16xf32>
  %y = arith.mulf %v, %sv : tensor<16xf32>
  tile.store %ptrs, %y mask %mask : tensor<16x!tile.ptr<f32>>, tensor<16xf32>
  return
}

// -----

// 2-D tiles: expand_dims -> shape_cast, broadcast -> vector.broadcast. A
// tile whose rows are contiguous loads and stores row by row; one whose
// rows repeat an address (a stretched column) gathers and scatters.
// CHECK-LABEL: func.func @two_d(
// CHECK: %[[COL:.*]] = vector.shape_cast %{{.*}} : vector<4xi32> to vector<1x4xi32>
// CHECK: %[[ROWS:.*]] = vector.broadcast %[[COL]] : vector<1x4xi32> to vector<2x4xi32>
// CHECK: %[[FLAT:.*]] = vector.shape_cast %[[ROWS]] : vector<2x4xi32> to vector<8xi32>
// CHECK: %[[GEP:.*]] = llvm.getelementptr %{{.*}}[%[[FLAT]]] : (!llvm.ptr, vector<8xi32>) -> vector<8x!llvm.ptr>, f32
// CHECK: %[[OFF0:.*]] = vector.extract %[[ROWS]][0, 0] : i32 from vector<2x4xi32>
// CHECK: %[[ROW0:.*]] = llvm.getelementptr %[[P:arg[0-9]+]][%[[OFF0]]] : (!llvm.ptr, i32) -> !llvm.ptr, f32
// CHECK: llvm.load %[[ROW0]] {alignment = 4 : i64} : !llvm.ptr -> vector<4xf32>
// CHECK: %[[OFF1:.*]] = vector.extract %[[ROWS]][1, 0] : i32 from vector<2x4xi32>
// CHECK: %[[ROW1:.*]] = llvm.getelementptr %[[P]][%[[OFF1]]] : (!llvm.ptr, i32) -> !llvm.ptr, f32
// CHECK: llvm.load %[[ROW1]] {alignment = 4 : i64} : !llvm.ptr -> vector<4xf32>
// CHECK: llvm.intr.masked.gather %{{.*}} : (vector<16x!llvm.ptr>, vector<16xi1>, vector<16xf32>) -> vector<16xf32>
// CHECK: llvm.store %{{.*}}, %{{.*}} {alignment = 4 : i64} : vector<4xf32>, !llvm.ptr
// CHECK: llvm.store %{{.*}}, %{{.*}} {alignment = 4 : i64} : vector<4xf32>, !llvm.ptr
// CHECK: llvm.intr.masked.scatter %{{.*}} : vector<16xf32>, vector<16xi1> into vector<16x!llvm.ptr>
func.func @two_d(%p: !tile.ptr<f32>, %n: i32) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %r = tile.range <0, 4> : tensor<4xi32>
  %nv = tile.splat %n : i32 -> tensor<4xi32>
  %col = tile.expand_dims %r axis 0 : tensor<4xi32> -> tensor<1x4xi32>
  %rows = tile.broadcast %col : tensor<1x4xi32> -> tensor<2x4xi32>
  %nCol = tile.expand_dims %nv axis 1 : tensor<4xi32> -> tensor<4x1xi32>
  %same = tile.broadcast %nCol : tensor<4x1xi32> -> tensor<4x4xi32>
  %ps = tile.addptr %p, %rows : !tile.ptr<f32>, tensor<2x4xi32> -> tensor<2x4x!tile.ptr<f32>>
  %qs = tile.addptr %p, %same : !tile.ptr<f32>, tensor<4x4xi32> -> tensor<4x4x!tile.ptr<f32>>
  %v = tile.load %ps : tensor<2x4x!tile.ptr<f32>> -> tensor<2x4xf32>
  %w = tile.load %qs : tensor<4x4x!tile.ptr<f32>> -> tensor<4x4xf32>
  tile.store %ps, %v : tensor<2x4x!tile.ptr<f32>>, tensor<2x4xf32>
  tile.store %qs, %w : tensor<4x4x!tile.ptr<f32>>, tensor<4x4xf32>
  return
}

// -----

// Rows of one lane (x[i, k] of linear_panel, broadcast along a weight
// panel): one scalar-addressed load per row, no gather of vector addresses.
// CHECK-LABEL: func.func @one_lane_rows(
// CHECK-SAME: %[[P:[^:]*]]: !llvm.ptr
// CHECK-NOT: llvm.intr.masked.gather
// CHECK: %[[OFF0:.*]] = vector.extract %[[ROWS:.*]][0, 0] : i32 from vector<3x1xi32>
// CHECK: %[[ROW0:.*]] = llvm.getelementptr %[[P]][%[[OFF0]]] : (!llvm.ptr, i32) -> !llvm.ptr, f32
// CHECK: llvm.load %[[ROW0]] {alignment = 4 : i64} : !llvm.ptr -> vector<1xf32>
// CHECK: vector.extract %[[ROWS]][1, 0] : i32 from vector<3x1xi32>
// CHECK: llvm.load %{{.*}} : !llvm.ptr -> vector<1xf32>
// CHECK: vector.extract %[[ROWS]][2, 0] : i32 from vector<3x1xi32>
// CHECK: llvm.load %{{.*}} : !llvm.ptr -> vector<1xf32>
// CHECK-NOT: llvm.intr.masked.gather
// CHECK: vector.broadcast %{{.*}} : vector<3x1xf32> to vector<3x8xf32>
// GATHER-LABEL: func.func @one_lane_rows(
// GATHER: llvm.intr.masked.gather %{{.*}} : (vector<3x!llvm.ptr>, vector<3xi1>, vector<3xf32>) -> vector<3xf32>
func.func @one_lane_rows(%p: !tile.ptr<f32>, %s: i32) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %r = tile.range <0, 3> : tensor<3xi32>
  %sv = tile.splat %s : i32 -> tensor<3xi32>
  %rows = arith.muli %r, %sv : tensor<3xi32>
  %col = tile.expand_dims %rows axis 1 : tensor<3xi32> -> tensor<3x1xi32>
  %ps = tile.addptr %p, %col : !tile.ptr<f32>, tensor<3x1xi32> -> tensor<3x1x!tile.ptr<f32>>
  %v = tile.load %ps : tensor<3x1x!tile.ptr<f32>> -> tensor<3x1xf32>
  %b = tile.broadcast %v : tensor<3x1xf32> -> tensor<3x8xf32>
  %r8 = tile.range <0, 8> : tensor<8xi32>
  %r8r = tile.expand_dims %r8 axis 0 : tensor<8xi32> -> tensor<1x8xi32>
  %o = tile.broadcast %r8r : tensor<1x8xi32> -> tensor<3x8xi32>
  %colB = tile.broadcast %col : tensor<3x1xi32> -> tensor<3x8xi32>
  %off = arith.addi %colB, %o : tensor<3x8xi32>
  %qs = tile.addptr %p, %off : !tile.ptr<f32>, tensor<3x8xi32> -> tensor<3x8x!tile.ptr<f32>>
  tile.store %qs, %b : tensor<3x8x!tile.ptr<f32>>, tensor<3x8xf32>
  return
}

// -----

// Pointer tiles advanced in a loop stay contiguous (the iter_arg is
// analyzed with its initial and yielded values).
// CHECK-LABEL: func.func @loop_carried(
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %{{.*}}, %[[P:.*]] = %{{.*}}) -> (vector<8xf32>, vector<8x!llvm.ptr>) : i32 {
// CHECK:   %[[BASE:.*]] = vector.extract %[[P]][0] : !llvm.ptr from vector<8x!llvm.ptr>
// CHECK:   llvm.intr.masked.load %[[BASE]], %{{.*}}, %{{.*}} {alignment = 2 : i32} : (!llvm.ptr, vector<8xi1>, vector<8xbf16>) -> vector<8xbf16>
// CHECK:   arith.extf %{{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK:   llvm.getelementptr %[[P]][%{{.*}}] : (vector<8x!llvm.ptr>, vector<8xi32>) -> vector<8x!llvm.ptr>, bf16
// CHECK:   scf.yield %{{.*}}, %{{.*}} : vector<8xf32>, vector<8x!llvm.ptr>
// GATHER-LABEL: func.func @loop_carried(
// GATHER: llvm.intr.masked.gather
func.func @loop_carried(%x: !tile.ptr<bf16>, %y: !tile.ptr<f32>, %n: i32) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %c0 = arith.constant 0 : i32
  %c8 = arith.constant 8 : i32
  %lanes = tile.range <0, 8> : tensor<8xi32>
  %limit = tile.splat %n : i32 -> tensor<8xi32>
  %step = arith.constant dense<8> : tensor<8xi32>
  %zero = arith.constant dense<0.0> : tensor<8xf32>
  %p0 = tile.addptr %x, %lanes : !tile.ptr<bf16>, tensor<8xi32> -> tensor<8x!tile.ptr<bf16>>
  %sum:2 = scf.for %i = %c0 to %n step %c8 iter_args(%acc = %zero, %p = %p0)
      -> (tensor<8xf32>, tensor<8x!tile.ptr<bf16>>) : i32 {
    %iv = tile.splat %i : i32 -> tensor<8xi32>
    %cols = arith.addi %iv, %lanes : tensor<8xi32>
    %ok = arith.cmpi slt, %cols, %limit : tensor<8xi32>
    %v = tile.load %p mask %ok : tensor<8x!tile.ptr<bf16>> -> tensor<8xbf16>
    %f = arith.extf %v : tensor<8xbf16> to tensor<8xf32>
    %next = arith.addf %acc, %f : tensor<8xf32>
    %pn = tile.addptr %p, %step : tensor<8x!tile.ptr<bf16>>, tensor<8xi32> -> tensor<8x!tile.ptr<bf16>>
    scf.yield %next, %pn : tensor<8xf32>, tensor<8x!tile.ptr<bf16>>
  }
  %total = tile.reduce sum %sum#0 axis 0 : tensor<8xf32> -> f32
  tile.store %y, %total : !tile.ptr<f32>, f32
  return
}

// -----

// A K x N tile of W^T for a row-major [N, K] weight is contiguous along its
// first dimension: one masked load per column from lane (0, column), under
// the transposed mask, then a transpose back; stores likewise.
// Lane (0, column)'s pointer is a scalar GEP of w by that lane's offset.
// CHECK-LABEL: func.func @columns(
// CHECK-SAME: %[[W:[^:]*]]: !llvm.ptr
// CHECK: %[[OFFS:.*]] = arith.addi %{{.*}}, %{{.*}} : vector<4x8xi32>
// CHECK: %[[MASK:.*]] = vector.broadcast %{{.*}} : vector<1x8xi1> to vector<4x8xi1>
// CHECK: %[[MASKT:.*]] = vector.transpose %[[MASK]], [1, 0] : vector<4x8xi1> to vector<8x4xi1>
// CHECK: %[[OFF0:.*]] = vector.extract %[[OFFS]][0, 0] : i32 from vector<4x8xi32>
// CHECK: %[[COL0:.*]] = llvm.getelementptr %[[W]][%[[OFF0]]] : (!llvm.ptr, i32) -> !llvm.ptr, bf16
// CHECK: %[[M0:.*]] = vector.extract %[[MASKT]][0] : vector<4xi1> from vector<8x4xi1>
// CHECK: llvm.intr.masked.load %[[COL0]], %[[M0]], %{{.*}} {alignment = 2 : i32} : (!llvm.ptr, vector<4xi1>, vector<4xbf16>) -> vector<4xbf16>
// CHECK: %[[OFF7:.*]] = vector.extract %[[OFFS]][0, 7] : i32 from vector<4x8xi32>
// CHECK: %[[COL7:.*]] = llvm.getelementptr %[[W]][%[[OFF7]]] : (!llvm.ptr, i32) -> !llvm.ptr, bf16
// CHECK: %[[LAST:.*]] = vector.insert %{{.*}}, %{{.*}} [7] : vector<4xbf16> into vector<8x4xbf16>
// CHECK: %[[V:.*]] = vector.transpose %[[LAST]], [1, 0] : vector<8x4xbf16> to vector<4x8xbf16>
// CHECK: %[[VT:.*]] = vector.transpose %[[V]], [1, 0] : vector<4x8xbf16> to vector<8x4xbf16>
// CHECK-COUNT-8: llvm.intr.masked.store %{{.*}} : vector<4xbf16>, vector<4xi1> into !llvm.ptr
// GATHER-LABEL: func.func @columns(
// GATHER: llvm.intr.masked.gather
// GATHER: llvm.intr.masked.scatter
func.func @columns(%w: !tile.ptr<bf16>, %y: !tile.ptr<bf16>, %k: i32, %n: i32) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %r4 = tile.range <0, 4> : tensor<4xi32>
  %r8 = tile.range <0, 8> : tensor<8xi32>
  %rkCol = tile.expand_dims %r4 axis 1 : tensor<4xi32> -> tensor<4x1xi32>
  %rkColB = tile.broadcast %rkCol : tensor<4x1xi32> -> tensor<4x8xi32>
  %rnRow = tile.expand_dims %r8 axis 0 : tensor<8xi32> -> tensor<1x8xi32>
  %kRow = tile.splat %k : i32 -> tensor<1x8xi32>
  %colOff = arith.muli %rnRow, %kRow : tensor<1x8xi32>
  %colOffB = tile.broadcast %colOff : tensor<1x8xi32> -> tensor<4x8xi32>
  %off = arith.addi %rkColB, %colOffB : tensor<4x8xi32>
  %ptrs = tile.addptr %w, %off : !tile.ptr<bf16>, tensor<4x8xi32> -> tensor<4x8x!tile.ptr<bf16>>
  %nRow = tile.splat %n : i32 -> tensor<1x8xi32>
  %ok = arith.cmpi slt, %rnRow, %nRow : tensor<1x8xi32>
  %mask = tile.broadcast %ok : tensor<1x8xi1> -> tensor<4x8xi1>
  %v = tile.load %ptrs mask %mask : tensor<4x8x!tile.ptr<bf16>> -> tensor<4x8xbf16>
  %yptrs = tile.addptr %y, %off : !tile.ptr<bf16>, tensor<4x8xi32> -> tensor<4x8x!tile.ptr<bf16>>
  tile.store %yptrs, %v mask %mask : tensor<4x8x!tile.ptr<bf16>>, tensor<4x8xbf16>
  return
}

// -----

// Scalar memory: plain llvm.load/store, behind scf.if under a mask.
// CHECK-LABEL: func.func @scalar_memory(
// CHECK-SAME: %[[P:[^:]*]]: !llvm.ptr, %[[N:[^:]*]]: i32, %[[O:[^:]*]]: i64
// CHECK: %[[M:.*]] = arith.cmpi sgt, %[[N]], %{{.*}} : i32
// CHECK: %[[V:.*]] = scf.if %[[M]] -> (i64) {
// CHECK:   %[[L:.*]] = llvm.load %[[P]] {alignment = 8 : i64} : !llvm.ptr -> i64
// CHECK:   scf.yield %[[L]] : i64
// CHECK: } else {
// CHECK:   scf.yield %[[O]] : i64
// CHECK: scf.if %[[M]] {
// CHECK:   llvm.store %[[V]], %[[P]] {alignment = 8 : i64} : i64, !llvm.ptr
func.func @scalar_memory(%p: !tile.ptr<i64>, %n: i32, %o: i64) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %c0 = arith.constant 0 : i32
  %m = arith.cmpi sgt, %n, %c0 : i32
  %v = tile.load %p mask %m other %o : !tile.ptr<i64> -> i64
  tile.store %p, %v mask %m : !tile.ptr<i64>, i64
  return
}

// -----

// tile.dot: inputs extended to f32, vector.contract accumulating in f32.
// tile.reduce: vector.multi_reduction from the neutral element; argmax:
// max, compare (NaNs match), select the lane index, min-reduce.
// tile.silu: x / (1 + exp(-x)).
// CHECK-DAG: #[[$MAPA:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$MAPB:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[$MAPC:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @compute(
// CHECK-DAG: %[[B32:.*]] = arith.extf %{{.*}} : vector<8x4xbf16> to vector<8x4xf32>
// CHECK-DAG: %[[A32:.*]] = arith.extf %{{.*}} : vector<4x8xbf16> to vector<4x8xf32>
// CHECK: %[[D:.*]] = vector.contract {indexing_maps = [#[[$MAPA]], #[[$MAPB]], #[[$MAPC]]], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %[[A32]], %[[B32]], %{{.*}} : vector<4x8xf32>, vector<8x4xf32> into vector<4x4xf32>
// CHECK: %[[NEG0:.*]] = arith.constant dense<-0.000000e+00> : vector<4xf32>
// CHECK: %[[RS:.*]] = vector.multi_reduction <add>, %[[D]], %[[NEG0]] [1] : vector<4x4xf32> to vector<4xf32>
// CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[RMAX:.*]] = vector.multi_reduction <maximumf>, %[[RS]], %[[NINF]] [0] : vector<4xf32> to f32
// CHECK: %[[ROWMAX:.*]] = vector.multi_reduction <maximumf>, %[[D]], %{{.*}} [1] : vector<4x4xf32> to vector<4xf32>
// CHECK: %[[KEPT:.*]] = vector.shape_cast %[[ROWMAX]] : vector<4xf32> to vector<4x1xf32>
// CHECK: %[[MAXALL:.*]] = vector.broadcast %[[KEPT]] : vector<4x1xf32> to vector<4x4xf32>
// CHECK: %[[EQ:.*]] = arith.cmpf oeq, %[[D]], %[[MAXALL]] : vector<4x4xf32>
// CHECK: %[[NAN:.*]] = arith.cmpf uno, %[[D]], %[[D]] : vector<4x4xf32>
// CHECK: %[[HIT:.*]] = arith.ori %[[EQ]], %[[NAN]] : vector<4x4xi1>
// CHECK: %[[LANE:.*]] = arith.constant dense<{{\[\[}}0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3]]> : vector<4x4xi32>
// CHECK: %[[NONE:.*]] = arith.constant dense<2147483647> : vector<4x4xi32>
// CHECK: %[[CAND:.*]] = arith.select %[[HIT]], %[[LANE]], %[[NONE]] : vector<4x4xi1>, vector<4x4xi32>
// CHECK: vector.multi_reduction <minsi>, %[[CAND]], %{{.*}} [1] : vector<4x4xi32> to vector<4xi32>
// CHECK: vector.multi_reduction <maxsi>, %{{.*}} [0] : vector<4xi32> to i32
// Along the first axis: the rows combined in order (row 0 + -0.0 folds).
// CHECK: %[[R0:.*]] = vector.extract %[[D]][0] : vector<4xf32> from vector<4x4xf32>
// CHECK: %[[R1:.*]] = vector.extract %[[D]][1] : vector<4xf32> from vector<4x4xf32>
// CHECK: %[[C1:.*]] = arith.addf %[[R1]], %[[R0]] : vector<4xf32>
// CHECK: %[[R2:.*]] = vector.extract %[[D]][2] : vector<4xf32> from vector<4x4xf32>
// CHECK: %[[C2:.*]] = arith.addf %[[R2]], %[[C1]] : vector<4xf32>
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[NEG:.*]] = arith.negf %[[RMAX]] : f32
// CHECK: %[[EXP:.*]] = math.exp %[[NEG]] : f32
// CHECK: %[[DEN:.*]] = arith.addf %[[ONE]], %[[EXP]] : f32
// CHECK: %[[SILU:.*]] = arith.divf %[[RMAX]], %[[DEN]] : f32
// CHECK: llvm.store %[[SILU]]
func.func @compute(%x: !tile.ptr<f32>, %out: !tile.ptr<i32>) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %a = arith.constant dense<1.0> : tensor<4x8xbf16>
  %b = arith.constant dense<2.0> : tensor<8x4xbf16>
  %acc = arith.constant dense<0.0> : tensor<4x4xf32>
  %d = tile.dot %a, %b, %acc : tensor<4x8xbf16>, tensor<8x4xbf16>, tensor<4x4xf32> -> tensor<4x4xf32>
  %rs = tile.reduce sum %d axis 1 : tensor<4x4xf32> -> tensor<4xf32>
  %rmax = tile.reduce max %rs axis 0 : tensor<4xf32> -> f32
  %best = tile.reduce argmax %d axis 1 : tensor<4x4xf32> -> tensor<4xi32>
  %top = tile.reduce argmax %best axis 0 : tensor<4xi32> -> i32
  %cs = tile.reduce sum %d axis 0 : tensor<4x4xf32> -> tensor<4xf32>
  %act = tile.silu %rmax : f32
  tile.store %x, %act : !tile.ptr<f32>, f32
  tile.store %out, %top : !tile.ptr<i32>, i32
  %xs = tile.splat %x : !tile.ptr<f32> -> tensor<4x!tile.ptr<f32>>
  tile.store %xs, %cs : tensor<4x!tile.ptr<f32>>, tensor<4xf32>
  return
}

// -----

// bf16 silu and sums run in f32 and round once.
// CHECK-LABEL: func.func @narrow_floats(
// CHECK: %[[G:.*]] = arith.extf %{{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK: math.exp %{{.*}} : vector<8xf32>
// CHECK: arith.truncf %{{.*}} : vector<8xf32> to vector<8xbf16>
// CHECK: %[[W:.*]] = arith.extf %{{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK: %[[S:.*]] = vector.multi_reduction <add>, %[[W]], %{{.*}} [0] : vector<8xf32> to f32
// CHECK: arith.truncf %[[S]] : f32 to bf16
func.func @narrow_floats(%p: !tile.ptr<bf16>) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %lanes = tile.range <0, 8> : tensor<8xi32>
  %ptrs = tile.addptr %p, %lanes : !tile.ptr<bf16>, tensor<8xi32> -> tensor<8x!tile.ptr<bf16>>
  %v = tile.load %ptrs : tensor<8x!tile.ptr<bf16>> -> tensor<8xbf16>
  %s = tile.silu %v : tensor<8xbf16>
  %t = tile.reduce sum %s axis 0 : tensor<8xbf16> -> bf16
  tile.store %p, %t : !tile.ptr<bf16>, bf16
  return
}

// -----

// tile.trans -> vector.transpose; the loads before it stay row loads.
// CHECK-LABEL: func.func @trans(
// CHECK: llvm.load %{{.*}} : !llvm.ptr -> vector<4xf32>
// CHECK: llvm.load %{{.*}} : !llvm.ptr -> vector<4xf32>
// CHECK: %[[ROWS:.*]] = vector.insert %{{.*}} [1] : vector<4xf32> into vector<2x4xf32>
// CHECK: %[[T:.*]] = vector.transpose %[[ROWS]], [1, 0] : vector<2x4xf32> to vector<4x2xf32>
// CHECK: %[[ROW0:.*]] = vector.extract %[[T]][0] : vector<2xf32> from vector<4x2xf32>
// CHECK: llvm.store %[[ROW0]], %{{.*}} : vector<2xf32>, !llvm.ptr
func.func @trans(%p: !tile.ptr<f32>, %q: !tile.ptr<f32>) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %r = tile.range <0, 4> : tensor<4xi32>
  %c4 = arith.constant dense<4> : tensor<2x1xi32>
  %r2 = tile.range <0, 2> : tensor<2xi32>
  %r2col = tile.expand_dims %r2 axis 1 : tensor<2xi32> -> tensor<2x1xi32>
  %rowOff = arith.muli %r2col, %c4 : tensor<2x1xi32>
  %rowOffB = tile.broadcast %rowOff : tensor<2x1xi32> -> tensor<2x4xi32>
  %col = tile.expand_dims %r axis 0 : tensor<4xi32> -> tensor<1x4xi32>
  %cols = tile.broadcast %col : tensor<1x4xi32> -> tensor<2x4xi32>
  %off = arith.addi %rowOffB, %cols : tensor<2x4xi32>
  %ps = tile.addptr %p, %off : !tile.ptr<f32>, tensor<2x4xi32> -> tensor<2x4x!tile.ptr<f32>>
  %v = tile.load %ps : tensor<2x4x!tile.ptr<f32>> -> tensor<2x4xf32>
  %t = tile.trans %v : tensor<2x4xf32> -> tensor<4x2xf32>
  %c2 = arith.constant dense<2> : tensor<4x1xi32>
  %rcol = tile.expand_dims %r axis 1 : tensor<4xi32> -> tensor<4x1xi32>
  %tRowOff = arith.muli %rcol, %c2 : tensor<4x1xi32>
  %tRowOffB = tile.broadcast %tRowOff : tensor<4x1xi32> -> tensor<4x2xi32>
  %r2row = tile.expand_dims %r2 axis 0 : tensor<2xi32> -> tensor<1x2xi32>
  %tcols = tile.broadcast %r2row : tensor<1x2xi32> -> tensor<4x2xi32>
  %toff = arith.addi %tRowOffB, %tcols : tensor<4x2xi32>
  %qs = tile.addptr %q, %toff : !tile.ptr<f32>, tensor<4x2xi32> -> tensor<4x2x!tile.ptr<f32>>
  tile.store %qs, %t : tensor<4x2x!tile.ptr<f32>>, tensor<4x2xf32>
  return
}
