// Round trip of every tile op, type and attribute, and of realistic kernels
// written in the dialect: parse, print, parse again (also in generic form).
// RUN: dsv2-opt %s | dsv2-opt | FileCheck %s
// RUN: dsv2-opt %s --mlir-print-op-generic | dsv2-opt | FileCheck %s

// CHECK-LABEL: func.func @grid_ops
// CHECK-SAME: tile.kernel = #tile.kernel<grid = ()[s0, s1] -> (s0 ceildiv 16, s1 ceildiv 64, 2), grid_symbols = ["tokens", "context"], num_warps = 8, block = [16, 64]>
func.func @grid_ops(%out: !tile.ptr<i32>) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0, s1] -> (s0 ceildiv 16, s1 ceildiv 64, 2),
                               grid_symbols = ["tokens", "context"], num_warps = 8,
                               block = [16, 64]>} {
  // CHECK: tile.program_id x : i32
  %x = tile.program_id x : i32
  // CHECK: tile.program_id y : i32
  %y = tile.program_id y : i32
  // CHECK: tile.program_id z : i32
  %z = tile.program_id z : i32
  // CHECK: tile.num_programs x : i32
  %nx = tile.num_programs x : i32
  // CHECK: tile.num_programs y : i32
  %ny = tile.num_programs y : i32
  // CHECK: tile.num_programs z : i32
  %nz = tile.num_programs z : i32
  %a = arith.addi %x, %y : i32
  %b = arith.addi %a, %z : i32
  %c = arith.addi %nx, %ny : i32
  %d = arith.addi %c, %nz : i32
  %e = arith.addi %b, %d : i32
  // CHECK: tile.store %{{.*}}, %{{.*}} : !tile.ptr<i32>, i32
  tile.store %out, %e : !tile.ptr<i32>, i32
  return
}

// The default num_warps (4) is not printed; no block hint.
// CHECK-LABEL: func.func @default_hints
// CHECK-SAME: tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>}
func.func @default_hints() attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = [], num_warps = 4>} {
  return
}

// CHECK-LABEL: func.func @building_tiles
func.func @building_tiles(%p: !tile.ptr<f32>, %s: f32, %n: i32) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  // CHECK: %[[R:.*]] = tile.range <0, 16> : tensor<16xi32>
  %r = tile.range <0, 16> : tensor<16xi32>
  // CHECK: tile.range <8, 11> : tensor<3xi32>
  %r3 = tile.range <8, 11> : tensor<3xi32>
  // CHECK: tile.splat %{{.*}} : f32 -> tensor<8x16xf32>
  %sv = tile.splat %s : f32 -> tensor<8x16xf32>
  // CHECK: tile.splat %{{.*}} : i32 -> tensor<3xi32>
  %nv = tile.splat %n : i32 -> tensor<3xi32>
  // CHECK: %[[PS:.*]] = tile.splat %{{.*}} : !tile.ptr<f32> -> tensor<8x16x!tile.ptr<f32>>
  %ps = tile.splat %p : !tile.ptr<f32> -> tensor<8x16x!tile.ptr<f32>>
  // CHECK: %[[COL:.*]] = tile.expand_dims %[[R]] axis 0 : tensor<16xi32> -> tensor<1x16xi32>
  %col = tile.expand_dims %r axis 0 : tensor<16xi32> -> tensor<1x16xi32>
  // CHECK: tile.expand_dims %[[R]] axis 1 : tensor<16xi32> -> tensor<16x1xi32>
  %row = tile.expand_dims %r axis 1 : tensor<16xi32> -> tensor<16x1xi32>
  // CHECK: %[[B:.*]] = tile.broadcast %[[COL]] : tensor<1x16xi32> -> tensor<8x16xi32>
  %b = tile.broadcast %col : tensor<1x16xi32> -> tensor<8x16xi32>
  // CHECK: tile.trans %[[B]] : tensor<8x16xi32> -> tensor<16x8xi32>
  %bt = tile.trans %b : tensor<8x16xi32> -> tensor<16x8xi32>
  // Numpy rules also add leading dimensions.
  // CHECK: tile.broadcast %[[R]] : tensor<16xi32> -> tensor<2x8x16xi32>
  %b3 = tile.broadcast %r : tensor<16xi32> -> tensor<2x8x16xi32>
  // CHECK: %[[PT:.*]] = tile.addptr %[[PS]], %[[B]] : tensor<8x16x!tile.ptr<f32>>, tensor<8x16xi32> -> tensor<8x16x!tile.ptr<f32>>
  %pt = tile.addptr %ps, %b : tensor<8x16x!tile.ptr<f32>>, tensor<8x16xi32> -> tensor<8x16x!tile.ptr<f32>>
  // CHECK: tile.store %[[PT]], %{{.*}} : tensor<8x16x!tile.ptr<f32>>, tensor<8x16xf32>
  tile.store %pt, %sv : tensor<8x16x!tile.ptr<f32>>, tensor<8x16xf32>
  return
}

// CHECK-LABEL: func.func @pointers_and_memory
func.func @pointers_and_memory(%p: !tile.ptr<bf16>, %q: !tile.ptr<i64>, %o: i64, %n: i32) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, 1, 1), grid_symbols = ["tokens"]>} {
  // Scalar pointer + scalar offset, then + a tile of i32 or i64 offsets.
  // CHECK: %[[ROW:.*]] = tile.addptr %{{.*}}, %{{.*}} : !tile.ptr<bf16>, i32 -> !tile.ptr<bf16>
  %row = tile.addptr %p, %n : !tile.ptr<bf16>, i32 -> !tile.ptr<bf16>
  %r = tile.range <0, 64> : tensor<64xi32>
  // CHECK: %[[PTRS:.*]] = tile.addptr %[[ROW]], %{{.*}} : !tile.ptr<bf16>, tensor<64xi32> -> tensor<64x!tile.ptr<bf16>>
  %ptrs = tile.addptr %row, %r : !tile.ptr<bf16>, tensor<64xi32> -> tensor<64x!tile.ptr<bf16>>
  %wide = arith.extsi %r : tensor<64xi32> to tensor<64xi64>
  // CHECK: tile.addptr %[[PTRS]], %{{.*}} : tensor<64x!tile.ptr<bf16>>, tensor<64xi64> -> tensor<64x!tile.ptr<bf16>>
  %far = tile.addptr %ptrs, %wide : tensor<64x!tile.ptr<bf16>>, tensor<64xi64> -> tensor<64x!tile.ptr<bf16>>
  %limit = tile.splat %n : i32 -> tensor<64xi32>
  %m = arith.cmpi slt, %r, %limit : tensor<64xi32>
  %fill = arith.constant dense<-1.0> : tensor<64xbf16>
  // CHECK: tile.load %[[PTRS]] : tensor<64x!tile.ptr<bf16>> -> tensor<64xbf16>
  %v0 = tile.load %ptrs : tensor<64x!tile.ptr<bf16>> -> tensor<64xbf16>
  // CHECK: tile.load %[[PTRS]] mask %[[M:.*]] : tensor<64x!tile.ptr<bf16>> -> tensor<64xbf16>
  %v1 = tile.load %ptrs mask %m : tensor<64x!tile.ptr<bf16>> -> tensor<64xbf16>
  // CHECK: tile.load %[[PTRS]] mask %[[M]] other %{{.*}} : tensor<64x!tile.ptr<bf16>> -> tensor<64xbf16>
  %v2 = tile.load %ptrs mask %m other %fill : tensor<64x!tile.ptr<bf16>> -> tensor<64xbf16>
  // CHECK: tile.store %[[PTRS]], %{{.*}} mask %[[M]] : tensor<64x!tile.ptr<bf16>>, tensor<64xbf16>
  %v3 = arith.addf %v0, %v1 : tensor<64xbf16>
  %v4 = arith.addf %v3, %v2 : tensor<64xbf16>
  tile.store %ptrs, %v4 mask %m : tensor<64x!tile.ptr<bf16>>, tensor<64xbf16>
  // Scalar loads and stores, with a scalar mask.
  // CHECK: %[[QO:.*]] = tile.addptr %{{.*}}, %{{.*}} : !tile.ptr<i64>, i64 -> !tile.ptr<i64>
  %qo = tile.addptr %q, %o : !tile.ptr<i64>, i64 -> !tile.ptr<i64>
  // CHECK: tile.load %[[QO]] : !tile.ptr<i64> -> i64
  %s = tile.load %qo : !tile.ptr<i64> -> i64
  %pid = tile.program_id x : i32
  %c0 = arith.constant 0 : i32
  %first = arith.cmpi eq, %pid, %c0 : i32
  // CHECK: tile.store %{{.*}}, %{{.*}} mask %{{.*}} : !tile.ptr<i64>, i64
  tile.store %q, %s mask %first : !tile.ptr<i64>, i64
  // CHECK: tile.load %{{.*}} mask %{{.*}} other %{{.*}} : !tile.ptr<i64> -> i64
  %t = tile.load %q mask %first other %o : !tile.ptr<i64> -> i64
  tile.store %qo, %t : !tile.ptr<i64>, i64
  return
}

// CHECK-LABEL: func.func @compute
func.func @compute(%x: !tile.ptr<f32>, %out: !tile.ptr<i32>) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %a = arith.constant dense<1.0> : tensor<16x32xbf16>
  %b = arith.constant dense<2.0> : tensor<32x8xbf16>
  %acc = arith.constant dense<0.0> : tensor<16x8xf32>
  // CHECK: %[[D:.*]] = tile.dot %{{.*}}, %{{.*}}, %{{.*}} : tensor<16x32xbf16>, tensor<32x8xbf16>, tensor<16x8xf32> -> tensor<16x8xf32>
  %d = tile.dot %a, %b, %acc : tensor<16x32xbf16>, tensor<32x8xbf16>, tensor<16x8xf32> -> tensor<16x8xf32>
  %ah = arith.constant dense<1.0> : tensor<16x16xf16>
  %bh = arith.constant dense<1.0> : tensor<16x8xf16>
  // CHECK: tile.dot %{{.*}}, %{{.*}}, %[[D]] : tensor<16x16xf16>, tensor<16x8xf16>, tensor<16x8xf32> -> tensor<16x8xf32>
  %dh = tile.dot %ah, %bh, %d : tensor<16x16xf16>, tensor<16x8xf16>, tensor<16x8xf32> -> tensor<16x8xf32>
  %af = arith.constant dense<1.0> : tensor<16x4xf32>
  %bf = arith.constant dense<1.0> : tensor<4x8xf32>
  // CHECK: %[[DF:.*]] = tile.dot %{{.*}}, %{{.*}}, %{{.*}} : tensor<16x4xf32>, tensor<4x8xf32>, tensor<16x8xf32> -> tensor<16x8xf32>
  %df = tile.dot %af, %bf, %dh : tensor<16x4xf32>, tensor<4x8xf32>, tensor<16x8xf32> -> tensor<16x8xf32>
  %px = arith.constant dense<65537> : tensor<2x16xi32>
  %pw = arith.constant dense<3> : tensor<2x2x16xi8>
  %pacc = arith.constant dense<0> : tensor<2x16xi32>
  // CHECK: tile.pair_dot %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x16xi32>, tensor<2x2x16xi8>, tensor<2x16xi32> -> tensor<2x16xi32>
  %pd = tile.pair_dot %px, %pw, %pacc : tensor<2x16xi32>, tensor<2x2x16xi8>, tensor<2x16xi32> -> tensor<2x16xi32>
  %px1 = arith.constant dense<1> : tensor<8xi32>
  %pw1 = arith.constant dense<1> : tensor<2x8xi8>
  // CHECK: tile.pair_dot %{{.*}}, %{{.*}}, %{{.*}} : tensor<8xi32>, tensor<2x8xi8>, tensor<8xi32> -> tensor<8xi32>
  %pd1 = tile.pair_dot %px1, %pw1, %px1 : tensor<8xi32>, tensor<2x8xi8>, tensor<8xi32> -> tensor<8xi32>
  // CHECK: tile.reduce sum %[[DF]] axis 1 : tensor<16x8xf32> -> tensor<16xf32>
  %rs = tile.reduce sum %df axis 1 : tensor<16x8xf32> -> tensor<16xf32>
  // CHECK: tile.reduce max %[[DF]] axis 0 : tensor<16x8xf32> -> tensor<8xf32>
  %rmax = tile.reduce max %df axis 0 : tensor<16x8xf32> -> tensor<8xf32>
  // CHECK: tile.reduce min %{{.*}} axis 0 : tensor<16xf32> -> f32
  %rmin = tile.reduce min %rs axis 0 : tensor<16xf32> -> f32
  // CHECK: tile.reduce argmax %[[DF]] axis 1 : tensor<16x8xf32> -> tensor<16xi32>
  %best = tile.reduce argmax %df axis 1 : tensor<16x8xf32> -> tensor<16xi32>
  // CHECK: tile.reduce argmax %{{.*}} axis 0 : tensor<8xf32> -> i32
  %top = tile.reduce argmax %rmax axis 0 : tensor<8xf32> -> i32
  %ints = tile.range <0, 8> : tensor<8xi32>
  // CHECK: tile.reduce sum %{{.*}} axis 0 : tensor<8xi32> -> i32
  %isum = tile.reduce sum %ints axis 0 : tensor<8xi32> -> i32
  // CHECK: tile.silu %{{.*}} : tensor<16xf32>
  %act = tile.silu %rs : tensor<16xf32>
  // CHECK: tile.silu %{{.*}} : f32
  %sact = tile.silu %rmin : f32
  // CHECK: tile.silu %{{.*}} : tensor<16x32xbf16>
  %bact = tile.silu %a : tensor<16x32xbf16>
  %sum = tile.reduce sum %act axis 0 : tensor<16xf32> -> f32
  %total = arith.addf %sum, %sact : f32
  tile.store %x, %total : !tile.ptr<f32>, f32
  %i = arith.addi %top, %isum : i32
  tile.store %out, %i : !tile.ptr<i32>, i32
  return
}

//===----------------------------------------------------------------------===//
// Example kernels
//===----------------------------------------------------------------------===//

// RMSNorm, one program per token row:
//   y[t, :] = x[t, :] * rsqrt(mean(x[t, :]^2) + eps) * w
// over column blocks of 1024 lanes. When `hidden` is not a multiple of 1024
// (DeepSeek-V2-Lite: 2048 is, a 1400-wide test model is not) the last block
// overhangs the row: its loads are masked with fill 0, so the sum of squares
// is exact, and its stores are masked.
// CHECK-LABEL: func.func @rms_norm_rows
// CHECK-SAME: tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, 1, 1), grid_symbols = ["tokens"], num_warps = 8, block = [1024]>
// CHECK: %[[SUMSQ:.*]] = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (tensor<1024xf32>)  : i32 {
// CHECK:   tile.load %{{.*}} mask %{{.*}} other %{{.*}} : tensor<1024x!tile.ptr<f32>> -> tensor<1024xf32>
// CHECK: tile.reduce sum %[[SUMSQ]] axis 0 : tensor<1024xf32> -> f32
// CHECK: math.rsqrt %{{.*}} : f32
// CHECK: scf.for
// CHECK:   tile.load %{{.*}} mask %{{.*}} : tensor<1024x!tile.ptr<bf16>> -> tensor<1024xbf16>
// CHECK:   arith.extf %{{.*}} : tensor<1024xbf16> to tensor<1024xf32>
// CHECK:   tile.store %{{.*}}, %{{.*}} mask %{{.*}} : tensor<1024x!tile.ptr<f32>>, tensor<1024xf32>
func.func @rms_norm_rows(%x: !tile.ptr<f32>, %w: !tile.ptr<bf16>, %y: !tile.ptr<f32>,
                         %hidden: i32, %eps: f32) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, 1, 1),
                               grid_symbols = ["tokens"], num_warps = 8,
                               block = [1024]>} {
  %c0 = arith.constant 0 : i32
  %c1024 = arith.constant 1024 : i32
  %zero = arith.constant dense<0.0> : tensor<1024xf32>
  %row = tile.program_id x : i32
  %rowStart = arith.muli %row, %hidden : i32
  %xRow = tile.addptr %x, %rowStart : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
  %yRow = tile.addptr %y, %rowStart : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
  %lanes = tile.range <0, 1024> : tensor<1024xi32>
  %limit = tile.splat %hidden : i32 -> tensor<1024xi32>
  // Pass 1: sum of squares of the row, lane-wise, then across lanes.
  %sumsq = scf.for %col = %c0 to %hidden step %c1024
      iter_args(%acc = %zero) -> (tensor<1024xf32>) : i32 {
    %first = tile.splat %col : i32 -> tensor<1024xi32>
    %cols = arith.addi %first, %lanes : tensor<1024xi32>
    %inRow = arith.cmpi slt, %cols, %limit : tensor<1024xi32>
    %ptrs = tile.addptr %xRow, %cols : !tile.ptr<f32>, tensor<1024xi32> -> tensor<1024x!tile.ptr<f32>>
    %v = tile.load %ptrs mask %inRow other %zero : tensor<1024x!tile.ptr<f32>> -> tensor<1024xf32>
    %sq = arith.mulf %v, %v : tensor<1024xf32>
    %next = arith.addf %acc, %sq : tensor<1024xf32>
    scf.yield %next : tensor<1024xf32>
  }
  %total = tile.reduce sum %sumsq axis 0 : tensor<1024xf32> -> f32
  %n = arith.sitofp %hidden : i32 to f32
  %mean = arith.divf %total, %n : f32
  %shifted = arith.addf %mean, %eps : f32
  %rstd = math.rsqrt %shifted : f32
  %scale = tile.splat %rstd : f32 -> tensor<1024xf32>
  // Pass 2: normalize, scale by the bf16 weight in f32, store.
  scf.for %col = %c0 to %hidden step %c1024 : i32 {
    %first = tile.splat %col : i32 -> tensor<1024xi32>
    %cols = arith.addi %first, %lanes : tensor<1024xi32>
    %inRow = arith.cmpi slt, %cols, %limit : tensor<1024xi32>
    %xPtrs = tile.addptr %xRow, %cols : !tile.ptr<f32>, tensor<1024xi32> -> tensor<1024x!tile.ptr<f32>>
    %wPtrs = tile.addptr %w, %cols : !tile.ptr<bf16>, tensor<1024xi32> -> tensor<1024x!tile.ptr<bf16>>
    %yPtrs = tile.addptr %yRow, %cols : !tile.ptr<f32>, tensor<1024xi32> -> tensor<1024x!tile.ptr<f32>>
    %v = tile.load %xPtrs mask %inRow : tensor<1024x!tile.ptr<f32>> -> tensor<1024xf32>
    %wb = tile.load %wPtrs mask %inRow : tensor<1024x!tile.ptr<bf16>> -> tensor<1024xbf16>
    %wf = arith.extf %wb : tensor<1024xbf16> to tensor<1024xf32>
    %normed = arith.mulf %v, %scale : tensor<1024xf32>
    %out = arith.mulf %normed, %wf : tensor<1024xf32>
    tile.store %yPtrs, %out mask %inRow : tensor<1024x!tile.ptr<f32>>, tensor<1024xf32>
  }
  return
}

// A linear layer y = x @ W^T as a tiled GEMM: x is [tokens, 5120] bf16, W is
// [1536, 5120] bf16 (nn.Linear layout, so the K x N tile of W^T is loaded by
// pointer arithmetic), y is [tokens, 1536] f32. Each program owns a 32 x 64
// block of y; the K loop advances the pointer tiles by 32 and accumulates
// with tile.dot in f32. Rows past `tokens` are masked.
// CHECK-LABEL: func.func @linear_bf16
// CHECK-SAME: tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv 32, 24, 1), grid_symbols = ["tokens"], block = [32, 64, 32]>
// CHECK: %[[ACC:.*]]:3 = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[A:.*]] = %{{.*}}, %[[XP:.*]] = %{{.*}}, %[[WP:.*]] = %{{.*}}) -> (tensor<32x64xf32>, tensor<32x32x!tile.ptr<bf16>>, tensor<32x64x!tile.ptr<bf16>>)  : i32 {
// CHECK:   %[[XT:.*]] = tile.load %[[XP]] mask %{{.*}} other %{{.*}} : tensor<32x32x!tile.ptr<bf16>> -> tensor<32x32xbf16>
// CHECK:   %[[WT:.*]] = tile.load %[[WP]] : tensor<32x64x!tile.ptr<bf16>> -> tensor<32x64xbf16>
// CHECK:   tile.dot %[[XT]], %[[WT]], %[[A]] : tensor<32x32xbf16>, tensor<32x64xbf16>, tensor<32x64xf32> -> tensor<32x64xf32>
// CHECK:   tile.addptr %[[XP]], %{{.*}} : tensor<32x32x!tile.ptr<bf16>>, tensor<32x32xi32> -> tensor<32x32x!tile.ptr<bf16>>
// CHECK: tile.store %{{.*}}, %[[ACC]]#0 mask %{{.*}} : tensor<32x64x!tile.ptr<f32>>, tensor<32x64xf32>
func.func @linear_bf16(%x: !tile.ptr<bf16>, %w: !tile.ptr<bf16>, %y: !tile.ptr<f32>,
                       %tokens: i32) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv 32, 24, 1),
                               grid_symbols = ["tokens"], num_warps = 4,
                               block = [32, 64, 32]>} {
  %c0 = arith.constant 0 : i32
  %c32 = arith.constant 32 : i32
  %c64 = arith.constant 64 : i32
  %cK = arith.constant 5120 : i32
  %cN = arith.constant 1536 : i32
  %pm = tile.program_id x : i32
  %pn = tile.program_id y : i32
  %m0 = arith.muli %pm, %c32 : i32
  %n0 = arith.muli %pn, %c64 : i32
  // Row, column and K lane indices of this block.
  %r32 = tile.range <0, 32> : tensor<32xi32>
  %r64 = tile.range <0, 64> : tensor<64xi32>
  %m0v = tile.splat %m0 : i32 -> tensor<32xi32>
  %rm = arith.addi %m0v, %r32 : tensor<32xi32>
  %n0v = tile.splat %n0 : i32 -> tensor<64xi32>
  %rn = arith.addi %n0v, %r64 : tensor<64xi32>
  // x block pointers: x + rm[:, None] * K + rk[None, :]   (32 x 32)
  %rmCol = tile.expand_dims %rm axis 1 : tensor<32xi32> -> tensor<32x1xi32>
  %kCol = tile.splat %cK : i32 -> tensor<32x1xi32>
  %xRowOff = arith.muli %rmCol, %kCol : tensor<32x1xi32>
  %xRowOffB = tile.broadcast %xRowOff : tensor<32x1xi32> -> tensor<32x32xi32>
  %rkRow = tile.expand_dims %r32 axis 0 : tensor<32xi32> -> tensor<1x32xi32>
  %rkRowB = tile.broadcast %rkRow : tensor<1x32xi32> -> tensor<32x32xi32>
  %xOff = arith.addi %xRowOffB, %rkRowB : tensor<32x32xi32>
  %xPtrs = tile.addptr %x, %xOff : !tile.ptr<bf16>, tensor<32x32xi32> -> tensor<32x32x!tile.ptr<bf16>>
  // W^T block pointers: w + rn[None, :] * K + rk[:, None]   (32 x 64)
  %rkCol = tile.expand_dims %r32 axis 1 : tensor<32xi32> -> tensor<32x1xi32>
  %rkColB = tile.broadcast %rkCol : tensor<32x1xi32> -> tensor<32x64xi32>
  %rnRow = tile.expand_dims %rn axis 0 : tensor<64xi32> -> tensor<1x64xi32>
  %kRow = tile.splat %cK : i32 -> tensor<1x64xi32>
  %wColOff = arith.muli %rnRow, %kRow : tensor<1x64xi32>
  %wColOffB = tile.broadcast %wColOff : tensor<1x64xi32> -> tensor<32x64xi32>
  %wOff = arith.addi %rkColB, %wColOffB : tensor<32x64xi32>
  %wPtrs = tile.addptr %w, %wOff : !tile.ptr<bf16>, tensor<32x64xi32> -> tensor<32x64x!tile.ptr<bf16>>
  // Rows past the last token read zeros and are not stored.
  %tokCol = tile.splat %tokens : i32 -> tensor<32x1xi32>
  %rowOk = arith.cmpi slt, %rmCol, %tokCol : tensor<32x1xi32>
  %xMask = tile.broadcast %rowOk : tensor<32x1xi1> -> tensor<32x32xi1>
  %xZero = arith.constant dense<0.0> : tensor<32x32xbf16>
  %acc0 = arith.constant dense<0.0> : tensor<32x64xf32>
  %stepX = arith.constant dense<32> : tensor<32x32xi32>
  %stepW = arith.constant dense<32> : tensor<32x64xi32>
  %acc:3 = scf.for %k = %c0 to %cK step %c32
      iter_args(%a = %acc0, %xp = %xPtrs, %wp = %wPtrs)
      -> (tensor<32x64xf32>, tensor<32x32x!tile.ptr<bf16>>, tensor<32x64x!tile.ptr<bf16>>) : i32 {
    %xt = tile.load %xp mask %xMask other %xZero : tensor<32x32x!tile.ptr<bf16>> -> tensor<32x32xbf16>
    %wt = tile.load %wp : tensor<32x64x!tile.ptr<bf16>> -> tensor<32x64xbf16>
    %a2 = tile.dot %xt, %wt, %a : tensor<32x32xbf16>, tensor<32x64xbf16>, tensor<32x64xf32> -> tensor<32x64xf32>
    %xn = tile.addptr %xp, %stepX : tensor<32x32x!tile.ptr<bf16>>, tensor<32x32xi32> -> tensor<32x32x!tile.ptr<bf16>>
    %wn = tile.addptr %wp, %stepW : tensor<32x64x!tile.ptr<bf16>>, tensor<32x64xi32> -> tensor<32x64x!tile.ptr<bf16>>
    scf.yield %a2, %xn, %wn : tensor<32x64xf32>, tensor<32x32x!tile.ptr<bf16>>, tensor<32x64x!tile.ptr<bf16>>
  }
  // y block: y + rm[:, None] * N + rn[None, :]
  %nCol = tile.splat %cN : i32 -> tensor<32x1xi32>
  %yRowOff = arith.muli %rmCol, %nCol : tensor<32x1xi32>
  %yRowOffB = tile.broadcast %yRowOff : tensor<32x1xi32> -> tensor<32x64xi32>
  %rnRowB = tile.broadcast %rnRow : tensor<1x64xi32> -> tensor<32x64xi32>
  %yOff = arith.addi %yRowOffB, %rnRowB : tensor<32x64xi32>
  %yPtrs = tile.addptr %y, %yOff : !tile.ptr<f32>, tensor<32x64xi32> -> tensor<32x64x!tile.ptr<f32>>
  %yMask = tile.broadcast %rowOk : tensor<32x1xi1> -> tensor<32x64xi1>
  tile.store %yPtrs, %acc#0 mask %yMask : tensor<32x64x!tile.ptr<f32>>, tensor<32x64xf32>
  return
}

// The gated activation of a DeepSeek-V2-Lite expert, h = silu(g) * u, over
// [tokens, 1408] bf16: grid x walks the tokens, grid y the 1024-wide column
// blocks (1408 = 1024 + 384, so the second block is masked). Math in f32.
// CHECK-LABEL: func.func @silu_gate
// CHECK-SAME: tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, 2, 1), grid_symbols = ["tokens"]>
// CHECK: %[[G:.*]] = arith.extf %{{.*}} : tensor<1024xbf16> to tensor<1024xf32>
// CHECK: %[[S:.*]] = tile.silu %[[G]] : tensor<1024xf32>
// CHECK: arith.truncf %{{.*}} : tensor<1024xf32> to tensor<1024xbf16>
func.func @silu_gate(%gate: !tile.ptr<bf16>, %up: !tile.ptr<bf16>, %h: !tile.ptr<bf16>) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, 2, 1), grid_symbols = ["tokens"]>} {
  %cInter = arith.constant 1408 : i32
  %cBlock = arith.constant 1024 : i32
  %t = tile.program_id x : i32
  %blk = tile.program_id y : i32
  %rowStart = arith.muli %t, %cInter : i32
  %colStart = arith.muli %blk, %cBlock : i32
  %start = arith.addi %rowStart, %colStart : i32
  %lanes = tile.range <0, 1024> : tensor<1024xi32>
  %first = tile.splat %colStart : i32 -> tensor<1024xi32>
  %cols = arith.addi %first, %lanes : tensor<1024xi32>
  %limit = tile.splat %cInter : i32 -> tensor<1024xi32>
  %inRow = arith.cmpi slt, %cols, %limit : tensor<1024xi32>
  %gRow = tile.addptr %gate, %start : !tile.ptr<bf16>, i32 -> !tile.ptr<bf16>
  %uRow = tile.addptr %up, %start : !tile.ptr<bf16>, i32 -> !tile.ptr<bf16>
  %hRow = tile.addptr %h, %start : !tile.ptr<bf16>, i32 -> !tile.ptr<bf16>
  %gPtrs = tile.addptr %gRow, %lanes : !tile.ptr<bf16>, tensor<1024xi32> -> tensor<1024x!tile.ptr<bf16>>
  %uPtrs = tile.addptr %uRow, %lanes : !tile.ptr<bf16>, tensor<1024xi32> -> tensor<1024x!tile.ptr<bf16>>
  %hPtrs = tile.addptr %hRow, %lanes : !tile.ptr<bf16>, tensor<1024xi32> -> tensor<1024x!tile.ptr<bf16>>
  %gb = tile.load %gPtrs mask %inRow : tensor<1024x!tile.ptr<bf16>> -> tensor<1024xbf16>
  %ub = tile.load %uPtrs mask %inRow : tensor<1024x!tile.ptr<bf16>> -> tensor<1024xbf16>
  %g = arith.extf %gb : tensor<1024xbf16> to tensor<1024xf32>
  %u = arith.extf %ub : tensor<1024xbf16> to tensor<1024xf32>
  %sg = tile.silu %g : tensor<1024xf32>
  %prod = arith.mulf %sg, %u : tensor<1024xf32>
  %hb = arith.truncf %prod : tensor<1024xf32> to tensor<1024xbf16>
  tile.store %hPtrs, %hb mask %inRow : tensor<1024x!tile.ptr<bf16>>, tensor<1024xbf16>
  return
}
