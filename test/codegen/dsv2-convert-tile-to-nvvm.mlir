// dsv2-convert-tile-to-nvvm: one tile program becomes one thread block;
// tiles are spread over the threads in runs (thread t holds flat elements
// t*R .. t*R+R-1, then the same T*R later; R = 4 or 2 when the tile divides
// into T*R, else 1: elements t, t+T, ...); broadcasts of loaded data,
// reductions and dots exchange elements through shared memory between
// barriers.
// RUN: dsv2-opt %s --split-input-file --dsv2-convert-tile-to-nvvm --verify-diagnostics | FileCheck %s
// RUN: dsv2-opt %s --split-input-file --dsv2-convert-tile-to-nvvm="inject-missing-barrier=true" --verify-diagnostics | FileCheck %s --check-prefix=BROKEN
// RUN: dsv2-opt %s --split-input-file --dsv2-convert-tile-to-nvvm="vector-accesses=false" --verify-diagnostics | FileCheck %s --check-prefix=SCALAR
// RUN: dsv2-opt %s --split-input-file --dsv2-convert-tile-to-nvvm="warp-shuffles=false" --verify-diagnostics | FileCheck %s --check-prefix=TREE
// RUN: dsv2-opt %s --split-input-file --dsv2-convert-tile-to-nvvm="inject-unchecked-alignment=true" --verify-diagnostics | FileCheck %s --check-prefix=UNCHECKED

// An elementwise kernel of 256 elements: 128 threads (the default largest
// block), one run of two elements each, no shared memory and no exchange.
// The pointers are contiguous, so each run is one 8-byte load and store
// (the two f32 packed in an i64: LLVM would split a vector whose lanes are
// only extracted) when its address is 8-byte aligned (checked per thread
// and run: a pointer argument need not be), scalar accesses otherwise. The
// barrier before the store separates this program's loads from its stores.
// CHECK-LABEL: llvm.func @scale
// CHECK-SAME: dsv2.shared_bytes = 0 : i64, dsv2.threads = 128 : i64
// CHECK-SAME: nvvm.kernel
// CHECK-SAME: nvvm.reqntid = array<i32: 128, 1, 1>
// CHECK: %[[TID:.*]] = nvvm.read.ptx.sreg.tid.x : i32
// CHECK: nvvm.read.ptx.sreg.ctaid.x
// CHECK: %[[OWN:.*]] = arith.muli %[[TID]], %c2_i32
// CHECK: %[[ADDRESS:.*]] = llvm.ptrtoint %[[FIRST:.*]] : !llvm.ptr to i64
// CHECK: %[[LOW:.*]] = arith.andi %[[ADDRESS]], %c7_i64
// CHECK: %[[ALIGNED:.*]] = arith.cmpi eq, %[[LOW]], %c0_i64
// CHECK: scf.if %[[ALIGNED]] -> (f32, f32)
// CHECK: %[[PAIR:.*]] = llvm.load %[[FIRST]] {alignment = 8 : i64} : !llvm.ptr -> i64
// CHECK: %[[LOWBITS:.*]] = arith.trunci %[[PAIR]] : i64 to i32
// CHECK: arith.bitcast %[[LOWBITS]] : i32 to f32
// CHECK: arith.shrui %[[PAIR]], %c32_i64
// CHECK: } else {
// CHECK-COUNT-2: llvm.load {{.*}} : !llvm.ptr -> f32
// CHECK: nvvm.barrier0
// CHECK: llvm.store {{.*}} {alignment = 8 : i64} : i64, !llvm.ptr
// CHECK: } else {
// CHECK-COUNT-2: llvm.store {{.*}} : f32, !llvm.ptr
// CHECK-NOT: nvvm.barrier0
// CHECK: llvm.return
// Test only: without the alignment check a run is always wide (a GPU would
// fault on a misaligned one; the SIMT emulator traps it).
// UNCHECKED-LABEL: llvm.func @scale
// UNCHECKED-NOT: llvm.ptrtoint
// UNCHECKED: scf.if %true -> (f32, f32)
// UNCHECKED: llvm.load %{{.*}} {alignment = 8 : i64} : !llvm.ptr -> i64
// SCALAR-LABEL: llvm.func @scale
// SCALAR-NOT: llvm.ptrtoint
// SCALAR-COUNT-2: llvm.load {{.*}} : !llvm.ptr -> f32
// SCALAR-NOT: : i64, !llvm.ptr
// SCALAR-COUNT-2: llvm.store {{.*}} : f32, !llvm.ptr
// SCALAR-NOT: llvm.ptrtoint
// SCALAR: llvm.return
func.func @scale(%x: !tile.ptr<f32>, %y: !tile.ptr<f32>) attributes {
    tile.kernel = #tile.kernel<grid = () -> (4, 1, 1), grid_symbols = []>} {
  %c256 = arith.constant 256 : i32
  %pid = tile.program_id x : i32
  %start = arith.muli %pid, %c256 : i32
  %lanes = tile.range <0, 256> : tensor<256xi32>
  %xRow = tile.addptr %x, %start : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
  %yRow = tile.addptr %y, %start : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
  %xp = tile.addptr %xRow, %lanes : !tile.ptr<f32>, tensor<256xi32> -> tensor<256x!tile.ptr<f32>>
  %yp = tile.addptr %yRow, %lanes : !tile.ptr<f32>, tensor<256xi32> -> tensor<256x!tile.ptr<f32>>
  %v = tile.load %xp : tensor<256x!tile.ptr<f32>> -> tensor<256xf32>
  %two = arith.constant dense<2.0> : tensor<256xf32>
  %w = arith.mulf %v, %two : tensor<256xf32>
  tile.store %yp, %w : tensor<256x!tile.ptr<f32>>, tensor<256xf32>
  return
}

// -----

// Every other element (offsets 2*i) is not contiguous: 256 elements in runs
// of two, but one scalar global load per element. The sum: each thread adds
// its two, a butterfly over the warp's lanes (offsets 16 .. 1), the four
// warps' partials through shared memory between two barriers.
// CHECK-LABEL: llvm.func @strided
// CHECK-NOT: llvm.ptrtoint
// CHECK-COUNT-2: llvm.load {{.*}} : !llvm.ptr -> f32
// CHECK-NOT: llvm.ptrtoint
// CHECK: arith.addf
// CHECK: nvvm.shfl.sync bfly %{{.*}}, %{{.*}}, %c16_i32, %c31_i32 : f32 -> f32
// CHECK-COUNT-4: nvvm.shfl.sync bfly
// CHECK-NOT: nvvm.shfl.sync
// CHECK: llvm.store {{.*}} : f32, !llvm.ptr
// CHECK: nvvm.barrier0
// CHECK-COUNT-4: llvm.load {{.*}} : !llvm.ptr -> f32
// CHECK: nvvm.barrier0
// CHECK-NOT: llvm.load {{.*}} -> i64
// CHECK: llvm.return
func.func @strided(%x: !tile.ptr<f32>, %y: !tile.ptr<f32>) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %lanes = tile.range <0, 256> : tensor<256xi32>
  %two = arith.constant dense<2> : tensor<256xi32>
  %every2 = arith.muli %lanes, %two : tensor<256xi32>
  %xp = tile.addptr %x, %every2 : !tile.ptr<f32>, tensor<256xi32> -> tensor<256x!tile.ptr<f32>>
  %v = tile.load %xp : tensor<256x!tile.ptr<f32>> -> tensor<256xf32>
  %s = tile.reduce sum %v axis 0 : tensor<256xf32> -> f32
  tile.store %y, %s : !tile.ptr<f32>, f32
  return
}

// -----

// A row sum of 48 elements: 64 threads; the last 16 hold no element, so
// their loads are masked off (scf.if on tid < 48) and they do not write
// shared memory. The sum is a tree over shared memory, a barrier after each
// level: lanes below 16 add lane + 32 (48 -> 32), then 32 -> 16 -> 8 -> 4
// -> 2 -> 1; no thread walks the row.
// (48 is not a power of two: no butterfly.)
// CHECK-LABEL: llvm.func @row_sum
// CHECK-SAME: dsv2.shared_bytes = 192 : i64, dsv2.threads = 64 : i64
// CHECK-NOT: nvvm.shfl.sync
// CHECK: %[[TID:.*]] = nvvm.read.ptx.sreg.tid.x
// CHECK: llvm.mlir.addressof @__dsv2_shared : !llvm.ptr<3>
// CHECK: %[[VALID:.*]] = arith.cmpi slt, %[[TID]], %{{.*}} : i32
// CHECK: scf.if %[[VALID]] -> (f32)
// CHECK: llvm.load
// CHECK: %[[STILL:.*]] = arith.cmpi slt, %[[TID]], %{{.*}} : i32
// CHECK: scf.if %[[STILL]]
// CHECK: llvm.store {{.*}} : f32, !llvm.ptr
// CHECK: nvvm.barrier0
// CHECK: %[[LANE:.*]] = arith.remui %[[TID]], %c32_i32
// CHECK: arith.cmpi slt, %[[LANE]], %c16_i32
// CHECK: arith.addf
// CHECK: nvvm.barrier0
// CHECK: arith.addf
// CHECK: nvvm.barrier0
// CHECK: arith.addf
// CHECK: nvvm.barrier0
// CHECK: arith.addf
// CHECK: nvvm.barrier0
// CHECK: arith.addf
// CHECK: nvvm.barrier0
// CHECK: arith.addf
// CHECK: nvvm.barrier0
// CHECK-NOT: arith.addf
// CHECK-NOT: scf.for
// CHECK: llvm.return
// BROKEN-LABEL: llvm.func @row_sum
// BROKEN: llvm.store {{.*}} : f32, !llvm.ptr
// BROKEN-NOT: nvvm.barrier0
// BROKEN: arith.addf
// BROKEN: nvvm.barrier0
func.func @row_sum(%x: !tile.ptr<f32>, %y: !tile.ptr<f32>) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %lanes = tile.range <0, 48> : tensor<48xi32>
  %xp = tile.addptr %x, %lanes : !tile.ptr<f32>, tensor<48xi32> -> tensor<48x!tile.ptr<f32>>
  %v = tile.load %xp : tensor<48x!tile.ptr<f32>> -> tensor<48xf32>
  %s = tile.reduce sum %v axis 0 : tensor<48xf32> -> f32
  tile.store %y, %s : !tile.ptr<f32>, f32
  return
}

// -----

// Rows of 8 elements on 8 neighbour lanes (64 threads, one element each):
// a three-step butterfly (offsets 4, 2, 1), each row's first lane writes its
// sum, a barrier, each output's owner reads it, a barrier.
// CHECK-LABEL: llvm.func @short_rows
// CHECK-NOT: nvvm.barrier0
// CHECK: nvvm.shfl.sync bfly %{{.*}}, %{{.*}}, %c4_i32, %c31_i32 : f32 -> f32
// CHECK: nvvm.shfl.sync bfly %{{.*}}, %{{.*}}, %c2_i32, %c31_i32{{.*}} : f32 -> f32
// CHECK: nvvm.shfl.sync bfly %{{.*}}, %{{.*}}, %c1_i32{{.*}}, %c31_i32{{.*}} : f32 -> f32
// CHECK: arith.divui %{{.*}}, %c8_i32
// CHECK: scf.if
// CHECK: llvm.store {{.*}} : f32, !llvm.ptr
// CHECK: nvvm.barrier0
// CHECK: nvvm.barrier0
// CHECK-NOT: nvvm.barrier0
// CHECK: llvm.return
// Without shuffles (at most kSequentialReduceLength): each output's owner
// thread adds its row in order, no tree.
// TREE-LABEL: llvm.func @short_rows
// TREE-NOT: nvvm.shfl.sync
// TREE: nvvm.barrier0
// TREE: scf.for
// TREE: arith.addf
// TREE: nvvm.barrier0
// TREE-NOT: nvvm.barrier0
// TREE: llvm.return
func.func @short_rows(%x: !tile.ptr<f32>, %y: !tile.ptr<f32>) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %c8 = arith.constant 8 : i32
  %r8 = tile.range <0, 8> : tensor<8xi32>
  %eight = tile.splat %c8 : i32 -> tensor<8x1xi32>
  %rowCol = tile.expand_dims %r8 axis 1 : tensor<8xi32> -> tensor<8x1xi32>
  %rowOff = arith.muli %rowCol, %eight : tensor<8x1xi32>
  %rowOffB = tile.broadcast %rowOff : tensor<8x1xi32> -> tensor<8x8xi32>
  %colRow = tile.expand_dims %r8 axis 0 : tensor<8xi32> -> tensor<1x8xi32>
  %colB = tile.broadcast %colRow : tensor<1x8xi32> -> tensor<8x8xi32>
  %off = arith.addi %rowOffB, %colB : tensor<8x8xi32>
  %xp = tile.addptr %x, %off : !tile.ptr<f32>, tensor<8x8xi32> -> tensor<8x8x!tile.ptr<f32>>
  %rows = tile.load %xp : tensor<8x8x!tile.ptr<f32>> -> tensor<8x8xf32>
  %s = tile.reduce sum %rows axis 1 : tensor<8x8xf32> -> tensor<8xf32>
  %yp = tile.addptr %y, %r8 : !tile.ptr<f32>, tensor<8xi32> -> tensor<8x!tile.ptr<f32>>
  tile.store %yp, %s : tensor<8x!tile.ptr<f32>>, tensor<8xf32>
  return
}

// -----

// Index arithmetic is recomputed at the needed coordinates: broadcasting a
// range over rows needs no shared memory.
// CHECK-LABEL: llvm.func @outer_index
// CHECK-SAME: dsv2.shared_bytes = 0 : i64
// CHECK-NOT: nvvm.barrier0
// CHECK: llvm.store
func.func @outer_index(%y: !tile.ptr<i32>) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %r = tile.range <0, 16> : tensor<16xi32>
  %col = tile.expand_dims %r axis 0 : tensor<16xi32> -> tensor<1x16xi32>
  %b = tile.broadcast %col : tensor<1x16xi32> -> tensor<8x16xi32>
  %row = tile.expand_dims %r axis 1 : tensor<16xi32> -> tensor<16x1xi32>
  %flat = tile.range <0, 128> : tensor<128xi32>
  %flat2 = tile.expand_dims %flat axis 0 : tensor<128xi32> -> tensor<1x128xi32>
  %p = tile.addptr %y, %b : !tile.ptr<i32>, tensor<8x16xi32> -> tensor<8x16x!tile.ptr<i32>>
  tile.store %p, %b : tensor<8x16x!tile.ptr<i32>>, tensor<8x16xi32>
  return
}

// -----

// A dot: A and B go to shared memory (A at 0, B 16-byte aligned after it),
// then every thread accumulates its C elements in K order with fma.
// CHECK-LABEL: llvm.func @small_dot
// CHECK-SAME: dsv2.shared_bytes = 1024 : i64, dsv2.threads = 128 : i64
// CHECK: nvvm.barrier0
// CHECK: scf.for
// CHECK: math.fma
// CHECK: nvvm.barrier0
func.func @small_dot(%a: !tile.ptr<f32>, %b: !tile.ptr<f32>, %c: !tile.ptr<f32>) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %r16 = tile.range <0, 128> : tensor<128xi32>
  %ap = tile.addptr %a, %r16 : !tile.ptr<f32>, tensor<128xi32> -> tensor<128x!tile.ptr<f32>>
  %bp = tile.addptr %b, %r16 : !tile.ptr<f32>, tensor<128xi32> -> tensor<128x!tile.ptr<f32>>
  %av = tile.load %ap : tensor<128x!tile.ptr<f32>> -> tensor<128xf32>
  %bv = tile.load %bp : tensor<128x!tile.ptr<f32>> -> tensor<128xf32>
  %am = tile.expand_dims %av axis 0 : tensor<128xf32> -> tensor<1x128xf32>
  %bm = tile.expand_dims %bv axis 1 : tensor<128xf32> -> tensor<128x1xf32>
  %acc = arith.constant dense<0.0> : tensor<1x1xf32>
  %d = tile.dot %am, %bm, %acc : tensor<1x128xf32>, tensor<128x1xf32>, tensor<1x1xf32> -> tensor<1x1xf32>
  %cp = tile.splat %c : !tile.ptr<f32> -> tensor<1x1x!tile.ptr<f32>>
  tile.store %cp, %d : tensor<1x1x!tile.ptr<f32>>, tensor<1x1xf32>
  return
}

// -----

// Refused loudly: a non-uniform constant tile.
func.func @iota_constant(%y: !tile.ptr<f32>) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  // expected-error @+1 {{non-uniform tile constant}}
  %c = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %p = tile.splat %y : !tile.ptr<f32> -> tensor<2x!tile.ptr<f32>>
  tile.store %p, %c : tensor<2x!tile.ptr<f32>>, tensor<2xf32>
  return
}

// -----

// A bf16 dot of one 16 x 8 x 16 block: tensor cores. Warp w takes the
// blocks w, w + 4 (only warp 0 has one here); the fragments are packed
// pairs of bf16 (i16 bit patterns) and the intrinsic returns D.
// CHECK-LABEL: llvm.func @mma_block
// CHECK-SAME: dsv2.shared_bytes = 1280 : i64, dsv2.threads = 128 : i64
// CHECK: nvvm.barrier0
// CHECK: scf.for
// CHECK: scf.for
// CHECK: arith.shli {{.*}} : i32
// CHECK: llvm.call_intrinsic "llvm.nvvm.mma.m16n8k16.row.col.bf16"({{.*}}) : (i32, i32, i32, i32, i32, i32, f32, f32, f32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK: nvvm.barrier0
func.func @mma_block(%a: !tile.ptr<bf16>, %b: !tile.ptr<bf16>, %c: !tile.ptr<f32>) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  // a: 16 x 16 row-major, b: 16 x 8 row-major, c: 16 x 8 row-major.
  %r16 = tile.range <0, 16> : tensor<16xi32>
  %r8 = tile.range <0, 8> : tensor<8xi32>
  %rows = tile.expand_dims %r16 axis 1 : tensor<16xi32> -> tensor<16x1xi32>
  %c16 = arith.constant dense<16> : tensor<16x1xi32>
  %c8 = arith.constant dense<8> : tensor<16x1xi32>
  %aRow = arith.muli %rows, %c16 : tensor<16x1xi32>
  %bRow = arith.muli %rows, %c8 : tensor<16x1xi32>
  %aCols = tile.expand_dims %r16 axis 0 : tensor<16xi32> -> tensor<1x16xi32>
  %bCols = tile.expand_dims %r8 axis 0 : tensor<8xi32> -> tensor<1x8xi32>
  %aRowB = tile.broadcast %aRow : tensor<16x1xi32> -> tensor<16x16xi32>
  %aColB = tile.broadcast %aCols : tensor<1x16xi32> -> tensor<16x16xi32>
  %bRowB = tile.broadcast %bRow : tensor<16x1xi32> -> tensor<16x8xi32>
  %bColB = tile.broadcast %bCols : tensor<1x8xi32> -> tensor<16x8xi32>
  %aOff = arith.addi %aRowB, %aColB : tensor<16x16xi32>
  %bOff = arith.addi %bRowB, %bColB : tensor<16x8xi32>
  %ap = tile.addptr %a, %aOff : !tile.ptr<bf16>, tensor<16x16xi32> -> tensor<16x16x!tile.ptr<bf16>>
  %bp = tile.addptr %b, %bOff : !tile.ptr<bf16>, tensor<16x8xi32> -> tensor<16x8x!tile.ptr<bf16>>
  %cp = tile.addptr %c, %bOff : !tile.ptr<f32>, tensor<16x8xi32> -> tensor<16x8x!tile.ptr<f32>>
  %av = tile.load %ap : tensor<16x16x!tile.ptr<bf16>> -> tensor<16x16xbf16>
  %bv = tile.load %bp : tensor<16x8x!tile.ptr<bf16>> -> tensor<16x8xbf16>
  %acc = arith.constant dense<0.0> : tensor<16x8xf32>
  %d = tile.dot %av, %bv, %acc : tensor<16x16xbf16>, tensor<16x8xbf16>, tensor<16x8xf32> -> tensor<16x8xf32>
  tile.store %cp, %d : tensor<16x8x!tile.ptr<f32>>, tensor<16x8xf32>
  return
}

// -----

// A dot of a transposed bf16 weight (c = a @ w^T): w's rows load as runs
// (two bf16 in one i32, a's four in one i64), the transpose is never
// materialized (one barrier, the dot's own, before the mma: B is staged as
// w's rows), and each fragment register is one 32-bit shared read.
// CHECK-LABEL: llvm.func @mma_transposed_b
// CHECK: llvm.load %{{.*}} {alignment = 8 : i64} : !llvm.ptr -> i64
// CHECK: llvm.load %{{.*}} {alignment = 4 : i64} : !llvm.ptr -> i32
// CHECK: nvvm.barrier0
// CHECK-NOT: nvvm.barrier0
// CHECK: scf.for
// CHECK-COUNT-6: llvm.load %{{.*}} : !llvm.ptr -> i32
// CHECK-NEXT: llvm.call_intrinsic "llvm.nvvm.mma.m16n8k16.row.col.bf16"
func.func @mma_transposed_b(%a: !tile.ptr<bf16>, %w: !tile.ptr<bf16>, %c: !tile.ptr<f32>) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  // a: 16 x 32 row-major, w: 8 x 32 row-major (c = a @ w^T), c: 16 x 8.
  %r16 = tile.range <0, 16> : tensor<16xi32>
  %r8 = tile.range <0, 8> : tensor<8xi32>
  %r32 = tile.range <0, 32> : tensor<32xi32>
  %c32a = arith.constant dense<32> : tensor<16x1xi32>
  %c32w = arith.constant dense<32> : tensor<8x1xi32>
  %c8 = arith.constant dense<8> : tensor<16x1xi32>
  %aRows = tile.expand_dims %r16 axis 1 : tensor<16xi32> -> tensor<16x1xi32>
  %wRows = tile.expand_dims %r8 axis 1 : tensor<8xi32> -> tensor<8x1xi32>
  %aRow = arith.muli %aRows, %c32a : tensor<16x1xi32>
  %wRow = arith.muli %wRows, %c32w : tensor<8x1xi32>
  %cRow = arith.muli %aRows, %c8 : tensor<16x1xi32>
  %kCols = tile.expand_dims %r32 axis 0 : tensor<32xi32> -> tensor<1x32xi32>
  %nCols = tile.expand_dims %r8 axis 0 : tensor<8xi32> -> tensor<1x8xi32>
  %aRowB = tile.broadcast %aRow : tensor<16x1xi32> -> tensor<16x32xi32>
  %aColB = tile.broadcast %kCols : tensor<1x32xi32> -> tensor<16x32xi32>
  %wRowB = tile.broadcast %wRow : tensor<8x1xi32> -> tensor<8x32xi32>
  %wColB = tile.broadcast %kCols : tensor<1x32xi32> -> tensor<8x32xi32>
  %cRowB = tile.broadcast %cRow : tensor<16x1xi32> -> tensor<16x8xi32>
  %cColB = tile.broadcast %nCols : tensor<1x8xi32> -> tensor<16x8xi32>
  %aOff = arith.addi %aRowB, %aColB : tensor<16x32xi32>
  %wOff = arith.addi %wRowB, %wColB : tensor<8x32xi32>
  %cOff = arith.addi %cRowB, %cColB : tensor<16x8xi32>
  %ap = tile.addptr %a, %aOff : !tile.ptr<bf16>, tensor<16x32xi32> -> tensor<16x32x!tile.ptr<bf16>>
  %wp = tile.addptr %w, %wOff : !tile.ptr<bf16>, tensor<8x32xi32> -> tensor<8x32x!tile.ptr<bf16>>
  %cp = tile.addptr %c, %cOff : !tile.ptr<f32>, tensor<16x8xi32> -> tensor<16x8x!tile.ptr<f32>>
  %av = tile.load %ap : tensor<16x32x!tile.ptr<bf16>> -> tensor<16x32xbf16>
  %wv = tile.load %wp : tensor<8x32x!tile.ptr<bf16>> -> tensor<8x32xbf16>
  %wT = tile.trans %wv : tensor<8x32xbf16> -> tensor<32x8xbf16>
  %acc = arith.constant dense<0.0> : tensor<16x8xf32>
  %d = tile.dot %av, %wT, %acc : tensor<16x32xbf16>, tensor<32x8xbf16>, tensor<16x8xf32> -> tensor<16x8xf32>
  tile.store %cp, %d : tensor<16x8x!tile.ptr<f32>>, tensor<16x8xf32>
  return
}

// -----

// A transpose that is not (only) a dot operand goes through shared memory:
// the input written in its layout, a barrier, every thread reading its
// elements at the transposed positions, a barrier.
// CHECK-LABEL: llvm.func @trans_store
// CHECK-SAME: dsv2.shared_bytes = 1024 : i64, dsv2.threads = 128 : i64
// CHECK: nvvm.barrier0
// CHECK: arith.remui
// CHECK: llvm.load %{{.*}} : !llvm.ptr -> f32
// CHECK: nvvm.barrier0
// CHECK: llvm.store
// BROKEN-LABEL: llvm.func @trans_store
// BROKEN-NOT: nvvm.barrier0
// BROKEN: arith.remui
func.func @trans_store(%p: !tile.ptr<f32>, %q: !tile.ptr<f32>) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %r8 = tile.range <0, 8> : tensor<8xi32>
  %r32 = tile.range <0, 32> : tensor<32xi32>
  %c32 = arith.constant dense<32> : tensor<8x1xi32>
  %c8 = arith.constant dense<8> : tensor<32x1xi32>
  %rows = tile.expand_dims %r8 axis 1 : tensor<8xi32> -> tensor<8x1xi32>
  %rowOff = arith.muli %rows, %c32 : tensor<8x1xi32>
  %rowOffB = tile.broadcast %rowOff : tensor<8x1xi32> -> tensor<8x32xi32>
  %cols = tile.expand_dims %r32 axis 0 : tensor<32xi32> -> tensor<1x32xi32>
  %colsB = tile.broadcast %cols : tensor<1x32xi32> -> tensor<8x32xi32>
  %off = arith.addi %rowOffB, %colsB : tensor<8x32xi32>
  %ps = tile.addptr %p, %off : !tile.ptr<f32>, tensor<8x32xi32> -> tensor<8x32x!tile.ptr<f32>>
  %v = tile.load %ps : tensor<8x32x!tile.ptr<f32>> -> tensor<8x32xf32>
  %t = tile.trans %v : tensor<8x32xf32> -> tensor<32x8xf32>
  %tRows = tile.expand_dims %r32 axis 1 : tensor<32xi32> -> tensor<32x1xi32>
  %tRowOff = arith.muli %tRows, %c8 : tensor<32x1xi32>
  %tRowOffB = tile.broadcast %tRowOff : tensor<32x1xi32> -> tensor<32x8xi32>
  %tCols = tile.expand_dims %r8 axis 0 : tensor<8xi32> -> tensor<1x8xi32>
  %tColsB = tile.broadcast %tCols : tensor<1x8xi32> -> tensor<32x8xi32>
  %tOff = arith.addi %tRowOffB, %tColsB : tensor<32x8xi32>
  %qs = tile.addptr %q, %tOff : !tile.ptr<f32>, tensor<32x8xi32> -> tensor<32x8x!tile.ptr<f32>>
  tile.store %qs, %t : tensor<32x8x!tile.ptr<f32>>, tensor<32x8xf32>
  return
}
