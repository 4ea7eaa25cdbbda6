// Kernel template `linear` (docs/kernels.md): y = x @ w^T for the m rows of
// x, w in the nn.Linear layout [N, K].
//
//   args: x: ptr<f32> [m, K] (rows x_stride apart),
//         w: ptr<W> [N, K] (contiguous),
//         ws: ptr<f32> [N] (int8 weights only: each row's scale),
//         y: ptr<f32> [m, N] (rows y_stride apart),
//         m: i32, x_stride: i32, y_stride: i32
//   grid: (ceil(m / BM), ceil(N / BN), 1); program (i, j) owns the BM x BN
//         block of y at rows i*BM, columns j*BN.
//   params: W (f32, bf16 or i8), N, K, BM, BN, BK (tile sizes, powers of two
//           on a GPU; any positive size on the CPU).
//
// The K loop steps over BK-deep slices and accumulates with tile.dot in f32.
// Every partial tile is masked: rows >= m, columns >= N and, in the last K
// slice, k >= K read zeros (which add nothing to the dot product) and rows or
// columns outside y are not stored. Weights are widened to f32 before the
// dot (w is loaded as BN x BK rows, its memory order, so the loads are wide,
// and tile.trans hands the dot w^T; the extf to f64 + truncf to f32 pair is exact for f32 and bf16 and
// lets one template serve both; canonicalization / LLVM fold it to a single
// extf or nothing); int8 weights by sitofp (exact in bf16 too, so tensor
// cores take them), each column then times its row's scale. Block base pointers are advanced with 64-bit offsets;
// offsets inside a block are i32.
module {
  func.func @{{KERNEL}}(%x: !tile.ptr<f32>, %w: !tile.ptr<{{W}}>,{{#W=i8}} %ws: !tile.ptr<f32>,{{/W=i8}} %y: !tile.ptr<f32>,
                        %m: i32, %x_stride: i32, %y_stride: i32) attributes {
      tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv {{BM}}, {{N}} ceildiv {{BN}}, 1),
                                 grid_symbols = ["tokens"],
                                 block = [{{BM}}, {{BN}}, {{BK}}]>} {
    %c0 = arith.constant 0 : i32
    %cN = arith.constant {{N}} : i32
    %cK = arith.constant {{K}} : i32
    %cBM = arith.constant {{BM}} : i32
    %cBN = arith.constant {{BN}} : i32
    %cBK = arith.constant {{BK}} : i32
    %pm = tile.program_id x : i32
    %pn = tile.program_id y : i32
    %m0 = arith.muli %pm, %cBM : i32
    %n0 = arith.muli %pn, %cBN : i32

    // Base pointers of this block: x + m0*x_stride, w + n0*K,
    // y + m0*y_stride + n0 (64-bit).
    %m0w = arith.extsi %m0 : i32 to i64
    %n0w = arith.extsi %n0 : i32 to i64
    %xsw = arith.extsi %x_stride : i32 to i64
    %ysw = arith.extsi %y_stride : i32 to i64
    %cKw = arith.extsi %cK : i32 to i64
    %xBase = arith.muli %m0w, %xsw : i64
    %wBase = arith.muli %n0w, %cKw : i64
    %yRows = arith.muli %m0w, %ysw : i64
    %yBase = arith.addi %yRows, %n0w : i64
    %xBlock = tile.addptr %x, %xBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %wBlock = tile.addptr %w, %wBase : !tile.ptr<{{W}}>, i64 -> !tile.ptr<{{W}}>
    %yBlock = tile.addptr %y, %yBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

    // Lane indices inside the block and the row / column masks.
    %rm = tile.range <0, {{BM}}> : tensor<{{BM}}xi32>
    %rn = tile.range <0, {{BN}}> : tensor<{{BN}}xi32>
    %rk = tile.range <0, {{BK}}> : tensor<{{BK}}xi32>
    %mLeft = arith.subi %m, %m0 : i32
    %nLeft = arith.subi %cN, %n0 : i32
    %mLeftV = tile.splat %mLeft : i32 -> tensor<{{BM}}xi32>
    %nLeftV = tile.splat %nLeft : i32 -> tensor<{{BN}}xi32>
    %rowOk = arith.cmpi slt, %rm, %mLeftV : tensor<{{BM}}xi32>
    %colOk = arith.cmpi slt, %rn, %nLeftV : tensor<{{BN}}xi32>
    %rowOkCol = tile.expand_dims %rowOk axis 1 : tensor<{{BM}}xi1> -> tensor<{{BM}}x1xi1>
    %colOkRow = tile.expand_dims %colOk axis 0 : tensor<{{BN}}xi1> -> tensor<1x{{BN}}xi1>

    // x tile pointers (BM x BK): xBlock + rm[:, None] * x_stride + rk[None, :].
    %rmCol = tile.expand_dims %rm axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %xsCol = tile.splat %x_stride : i32 -> tensor<{{BM}}x1xi32>
    %xRowOff = arith.muli %rmCol, %xsCol : tensor<{{BM}}x1xi32>
    %xRowOffB = tile.broadcast %xRowOff : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BK}}xi32>
    %rkRow = tile.expand_dims %rk axis 0 : tensor<{{BK}}xi32> -> tensor<1x{{BK}}xi32>
    %rkRowB = tile.broadcast %rkRow : tensor<1x{{BK}}xi32> -> tensor<{{BM}}x{{BK}}xi32>
    %xOff = arith.addi %xRowOffB, %rkRowB : tensor<{{BM}}x{{BK}}xi32>
    %xPtrs = tile.addptr %xBlock, %xOff : !tile.ptr<f32>, tensor<{{BM}}x{{BK}}xi32> -> tensor<{{BM}}x{{BK}}x!tile.ptr<f32>>
    %xRowMask = tile.broadcast %rowOkCol : tensor<{{BM}}x1xi1> -> tensor<{{BM}}x{{BK}}xi1>

    // w tile pointers (BN x BK, w's rows: contiguous, so wide loads):
    // wBlock + rn[:, None] * K + rk[None, :]; the dot takes its transpose.
    %rnCol = tile.expand_dims %rn axis 1 : tensor<{{BN}}xi32> -> tensor<{{BN}}x1xi32>
    %kCol = tile.splat %cK : i32 -> tensor<{{BN}}x1xi32>
    %wRowOff = arith.muli %rnCol, %kCol : tensor<{{BN}}x1xi32>
    %wRowOffB = tile.broadcast %wRowOff : tensor<{{BN}}x1xi32> -> tensor<{{BN}}x{{BK}}xi32>
    %rkRowW = tile.broadcast %rkRow : tensor<1x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}xi32>
    %wOff = arith.addi %wRowOffB, %rkRowW : tensor<{{BN}}x{{BK}}xi32>
    %wPtrs = tile.addptr %wBlock, %wOff : !tile.ptr<{{W}}>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>
    %colOkCol = tile.expand_dims %colOk axis 1 : tensor<{{BN}}xi1> -> tensor<{{BN}}x1xi1>
    %wRowMask = tile.broadcast %colOkCol : tensor<{{BN}}x1xi1> -> tensor<{{BN}}x{{BK}}xi1>

    // K loop: acc += x[:, k:k+BK] @ w^T[k:k+BK, :] in f32.
    %acc0 = arith.constant dense<0.0> : tensor<{{BM}}x{{BN}}xf32>
    %acc = scf.for %k = %c0 to %cK step %cBK
        iter_args(%a = %acc0) -> (tensor<{{BM}}x{{BN}}xf32>) : i32 {
      %kLeft = arith.subi %cK, %k : i32
      %kLeftV = tile.splat %kLeft : i32 -> tensor<{{BK}}xi32>
      %kOk = arith.cmpi slt, %rk, %kLeftV : tensor<{{BK}}xi32>
      %kOkRow = tile.expand_dims %kOk axis 0 : tensor<{{BK}}xi1> -> tensor<1x{{BK}}xi1>
      %kOkRowB = tile.broadcast %kOkRow : tensor<1x{{BK}}xi1> -> tensor<{{BM}}x{{BK}}xi1>
      %xMask = arith.andi %xRowMask, %kOkRowB : tensor<{{BM}}x{{BK}}xi1>
      %kOkRowW = tile.broadcast %kOkRow : tensor<1x{{BK}}xi1> -> tensor<{{BN}}x{{BK}}xi1>
      %wMask = arith.andi %wRowMask, %kOkRowW : tensor<{{BN}}x{{BK}}xi1>
      %kX = tile.splat %k : i32 -> tensor<{{BM}}x{{BK}}xi32>
      %kW = tile.splat %k : i32 -> tensor<{{BN}}x{{BK}}xi32>
      %xp = tile.addptr %xPtrs, %kX : tensor<{{BM}}x{{BK}}x!tile.ptr<f32>>, tensor<{{BM}}x{{BK}}xi32> -> tensor<{{BM}}x{{BK}}x!tile.ptr<f32>>
      %wp = tile.addptr %wPtrs, %kW : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>
      %xt = tile.load %xp mask %xMask : tensor<{{BM}}x{{BK}}x!tile.ptr<f32>> -> tensor<{{BM}}x{{BK}}xf32>
      %wt = tile.load %wp mask %wMask : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>> -> tensor<{{BN}}x{{BK}}x{{W}}>
{{#W=i8}}
      %wr = arith.sitofp %wt : tensor<{{BN}}x{{BK}}xi8> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}{{^W=i8}}
      %wWide = arith.extf %wt : tensor<{{BN}}x{{BK}}x{{W}}> to tensor<{{BN}}x{{BK}}xf64>
      %wr = arith.truncf %wWide : tensor<{{BN}}x{{BK}}xf64> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}
      %wf = tile.trans %wr : tensor<{{BN}}x{{BK}}xf32> -> tensor<{{BK}}x{{BN}}xf32>
      %a2 = tile.dot %xt, %wf, %a : tensor<{{BM}}x{{BK}}xf32>, tensor<{{BK}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      scf.yield %a2 : tensor<{{BM}}x{{BN}}xf32>
    }

    // y tile (BM x BN): yBlock + rm[:, None] * y_stride + rn[None, :].
    %ysCol = tile.splat %y_stride : i32 -> tensor<{{BM}}x1xi32>
    %yRowOff = arith.muli %rmCol, %ysCol : tensor<{{BM}}x1xi32>
    %yRowOffB = tile.broadcast %yRowOff : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BN}}xi32>
    %rnRow = tile.expand_dims %rn axis 0 : tensor<{{BN}}xi32> -> tensor<1x{{BN}}xi32>
    %rnRowB = tile.broadcast %rnRow : tensor<1x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
    %yOff = arith.addi %yRowOffB, %rnRowB : tensor<{{BM}}x{{BN}}xi32>
    %yPtrs = tile.addptr %yBlock, %yOff : !tile.ptr<f32>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}x!tile.ptr<f32>>
    %yRowMask = tile.broadcast %rowOkCol : tensor<{{BM}}x1xi1> -> tensor<{{BM}}x{{BN}}xi1>
    %yColMask = tile.broadcast %colOkRow : tensor<1x{{BN}}xi1> -> tensor<{{BM}}x{{BN}}xi1>
    %yMask = arith.andi %yRowMask, %yColMask : tensor<{{BM}}x{{BN}}xi1>
{{#W=i8}}
    // Column j times the scale of w's row n0 + j.
    %wsBlock = tile.addptr %ws, %n0 : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %sp = tile.addptr %wsBlock, %rn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
    %st = tile.load %sp mask %colOk : tensor<{{BN}}x!tile.ptr<f32>> -> tensor<{{BN}}xf32>
    %stRow = tile.expand_dims %st axis 0 : tensor<{{BN}}xf32> -> tensor<1x{{BN}}xf32>
    %stB = tile.broadcast %stRow : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
    %scaled = arith.mulf %acc, %stB : tensor<{{BM}}x{{BN}}xf32>
{{/W=i8}}
    tile.store %yPtrs, {{#W=i8}}%scaled{{/W=i8}}{{^W=i8}}%acc{{/W=i8}} mask %yMask : tensor<{{BM}}x{{BN}}x!tile.ptr<f32>>, tensor<{{BM}}x{{BN}}xf32>
    return
  }
}
