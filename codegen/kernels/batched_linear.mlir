// Kernel template `batched_linear` (docs/kernels.md): BATCH independent
// linear layers, y_b = x_b @ w_b^T with w_b = w + b*N*K in the nn.Linear
// layout [N, K] (per-head q_nope @ W_UK and o_lat @ W_UV^T).
//
//   args: x: ptr<f32> (x_b[i, :] at x + b*x_batch_stride + i*x_row_stride),
//         w: ptr<W> [BATCH, N, K] (contiguous),
//         y: ptr<f32> (y_b[i, :] at y + b*y_batch_stride + i*y_row_stride),
//         m: i32, x_row_stride: i32, x_batch_stride: i32,
//         y_row_stride: i32, y_batch_stride: i32
//   grid: (ceil(m / BM), ceil(N / BN), BATCH); program (i, j, b) owns the
//         BM x BN block of y_b at rows i*BM, columns j*BN.
//   params: W (f32 or bf16), N, K, BATCH, BM, BN, BK (tile sizes, powers of
//           two on a GPU; any positive size on the CPU).
//
// As `linear`: the K loop steps over BK-deep slices and accumulates with
// tile.dot in f32; rows >= m, columns >= N and k >= K are masked (loads read
// zeros, stores skip them). w_b is loaded as BN x BK rows (its memory order,
// so the loads are wide) and tile.trans hands the dot w_b^T. Weights are widened to f32 by an exact extf to
// f64 + truncf to f32 pair (one template for f32 and bf16 weights; it folds
// away). Batch and block base offsets are 64-bit; offsets inside a block are
// i32.
module {
  func.func @{{KERNEL}}(%x: !tile.ptr<f32>, %w: !tile.ptr<{{W}}>, %y: !tile.ptr<f32>,
                        %m: i32, %x_row_stride: i32, %x_batch_stride: i32,
                        %y_row_stride: i32, %y_batch_stride: i32) attributes {
      tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv {{BM}}, {{N}} ceildiv {{BN}}, {{BATCH}}),
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
    %pb = tile.program_id z : i32
    %m0 = arith.muli %pm, %cBM : i32
    %n0 = arith.muli %pn, %cBN : i32

    // Base pointers of this block: x + b*x_batch_stride + m0*x_row_stride,
    // w + b*N*K + n0*K, y + b*y_batch_stride + m0*y_row_stride + n0 (64-bit).
    %bw = arith.extsi %pb : i32 to i64
    %m0w = arith.extsi %m0 : i32 to i64
    %n0w = arith.extsi %n0 : i32 to i64
    %xsw = arith.extsi %x_row_stride : i32 to i64
    %ysw = arith.extsi %y_row_stride : i32 to i64
    %xbw = arith.extsi %x_batch_stride : i32 to i64
    %ybw = arith.extsi %y_batch_stride : i32 to i64
    %cKw = arith.extsi %cK : i32 to i64
    %cNw = arith.extsi %cN : i32 to i64
    %cNKw = arith.muli %cNw, %cKw : i64
    %xBatch = arith.muli %bw, %xbw : i64
    %xRows = arith.muli %m0w, %xsw : i64
    %xBase = arith.addi %xBatch, %xRows : i64
    %wBatch = arith.muli %bw, %cNKw : i64
    %wRows = arith.muli %n0w, %cKw : i64
    %wBase = arith.addi %wBatch, %wRows : i64
    %yBatch = arith.muli %bw, %ybw : i64
    %yRows = arith.muli %m0w, %ysw : i64
    %yRowBase = arith.addi %yBatch, %yRows : i64
    %yBase = arith.addi %yRowBase, %n0w : i64
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

    // x tile pointers (BM x BK): xBlock + rm[:, None] * x_row_stride + rk[None, :].
    %rmCol = tile.expand_dims %rm axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %xsCol = tile.splat %x_row_stride : i32 -> tensor<{{BM}}x1xi32>
    %xRowOff = arith.muli %rmCol, %xsCol : tensor<{{BM}}x1xi32>
    %xRowOffB = tile.broadcast %xRowOff : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BK}}xi32>
    %rkRow = tile.expand_dims %rk axis 0 : tensor<{{BK}}xi32> -> tensor<1x{{BK}}xi32>
    %rkRowB = tile.broadcast %rkRow : tensor<1x{{BK}}xi32> -> tensor<{{BM}}x{{BK}}xi32>
    %xOff = arith.addi %xRowOffB, %rkRowB : tensor<{{BM}}x{{BK}}xi32>
    %xPtrs = tile.addptr %xBlock, %xOff : !tile.ptr<f32>, tensor<{{BM}}x{{BK}}xi32> -> tensor<{{BM}}x{{BK}}x!tile.ptr<f32>>
    %xRowMask = tile.broadcast %rowOkCol : tensor<{{BM}}x1xi1> -> tensor<{{BM}}x{{BK}}xi1>

    // w tile pointers (BN x BK, w_b's rows: contiguous, so wide loads):
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
      %wWide = arith.extf %wt : tensor<{{BN}}x{{BK}}x{{W}}> to tensor<{{BN}}x{{BK}}xf64>
      %wr = arith.truncf %wWide : tensor<{{BN}}x{{BK}}xf64> to tensor<{{BN}}x{{BK}}xf32>
      %wf = tile.trans %wr : tensor<{{BN}}x{{BK}}xf32> -> tensor<{{BK}}x{{BN}}xf32>
      %a2 = tile.dot %xt, %wf, %a : tensor<{{BM}}x{{BK}}xf32>, tensor<{{BK}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      scf.yield %a2 : tensor<{{BM}}x{{BN}}xf32>
    }

    // y tile (BM x BN): yBlock + rm[:, None] * y_row_stride + rn[None, :].
    %ysCol = tile.splat %y_row_stride : i32 -> tensor<{{BM}}x1xi32>
    %yRowOff = arith.muli %rmCol, %ysCol : tensor<{{BM}}x1xi32>
    %yRowOffB = tile.broadcast %yRowOff : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BN}}xi32>
    %rnRow = tile.expand_dims %rn axis 0 : tensor<{{BN}}xi32> -> tensor<1x{{BN}}xi32>
    %rnRowB = tile.broadcast %rnRow : tensor<1x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
    %yOff = arith.addi %yRowOffB, %rnRowB : tensor<{{BM}}x{{BN}}xi32>
    %yPtrs = tile.addptr %yBlock, %yOff : !tile.ptr<f32>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}x!tile.ptr<f32>>
    %yRowMask = tile.broadcast %rowOkCol : tensor<{{BM}}x1xi1> -> tensor<{{BM}}x{{BN}}xi1>
    %yColMask = tile.broadcast %colOkRow : tensor<1x{{BN}}xi1> -> tensor<{{BM}}x{{BN}}xi1>
    %yMask = arith.andi %yRowMask, %yColMask : tensor<{{BM}}x{{BN}}xi1>
    tile.store %yPtrs, %acc mask %yMask : tensor<{{BM}}x{{BN}}x!tile.ptr<f32>>, tensor<{{BM}}x{{BN}}xf32>
    return
  }
}
