// Kernel template `linear_rowdot` (docs/kernels.md): the CPU form of
// `linear`, y = x @ w^T for the m rows of x, w in the nn.Linear layout
// [N, K]; same arguments, grid and masking contract.
//
//   args: x: ptr<f32> [m, K] (rows x_stride apart),
//         w: ptr<W> [N, K] (contiguous),
//         y: ptr<f32> [m, N] (rows y_stride apart),
//         m: i32, x_stride: i32, y_stride: i32
//   grid: (ceil(m / BM), ceil(N / BN), 1); every BM x BN block of y is
//         owned by one program, in GROUP-row-block groups (below).
//   params: W (f32 or bf16), N, K, BM, BN (any positive sizes), BK (the
//           vector width: 8 f32 lanes on AVX2), GROUP (row blocks per
//           group of the program order, >= 1).
//
// Every output y[i, j] is the dot product of row i of x and row j of w, and
// both rows are contiguous along K. So instead of tile.dot (whose W^T operand
// would be loaded column by column and transposed on the CPU), each K step
// loads a [BM, BK] tile of x and a [BN, BK] tile of w, one vector per row,
// and adds x[i, k:k+BK] * w[j, k:k+BK] lane-wise into a [BM, BN, BK] f32
// accumulator: BM*BN vector FMAs for BM + BN loads, all in registers (4 x 3
// x 8 is 12 AVX2 accumulators). After the K loop each lane vector is
// summed (tile.reduce, a horizontal sum whose order is unspecified). The K
// loop runs unmasked over whole BK slices and one masked step covers the
// K % BK tail. Rows past m and columns past N are clamped to the last valid
// row / column (they read valid memory and are not stored), so the loads
// need no row or column mask. Weights are widened to f32 by an exact extf to
// f64 + truncf pair (one template for f32 and bf16; it folds away). Block
// bases are 64-bit; offsets inside a block are i32.
module {
  func.func @{{KERNEL}}(%x: !tile.ptr<f32>, %w: !tile.ptr<{{W}}>, %y: !tile.ptr<f32>,
                        %m: i32, %x_stride: i32, %y_stride: i32) attributes {
      tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv {{BM}}, {{N}} ceildiv {{BN}}, 1),
                                 grid_symbols = ["tokens"],
                                 block = [{{BM}}, {{BN}}, {{BK}}]>} {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %cN = arith.constant {{N}} : i32
    %cK = arith.constant {{K}} : i32
    %cBM = arith.constant {{BM}} : i32
    %cBN = arith.constant {{BN}} : i32
    %cBK = arith.constant {{BK}} : i32
    // This program's row block %pm and column block %pn, in groups of GROUP
    // row blocks.
    {{>program_groups}}
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

    // Rows and columns of the block, clamped to the last row of x / of w.
    %rm = tile.range <0, {{BM}}> : tensor<{{BM}}xi32>
    %rn = tile.range <0, {{BN}}> : tensor<{{BN}}xi32>
    %rk = tile.range <0, {{BK}}> : tensor<{{BK}}xi32>
    %mLeft = arith.subi %m, %m0 : i32
    %nLeft = arith.subi %cN, %n0 : i32
    %mLast = arith.subi %mLeft, %c1 : i32
    %nLast = arith.subi %nLeft, %c1 : i32
    %mLastV = tile.splat %mLast : i32 -> tensor<{{BM}}xi32>
    %nLastV = tile.splat %nLast : i32 -> tensor<{{BN}}xi32>
    %rowIn = arith.minsi %rm, %mLastV : tensor<{{BM}}xi32>
    %colIn = arith.minsi %rn, %nLastV : tensor<{{BN}}xi32>

    // Offsets of the x tile (BM x BK): row[:, None] * x_stride + rk[None, :];
    // of the w tile (BN x BK): col[:, None] * K + rk[None, :]. Each K step
    // adds them to the block bases advanced by k (scalar pointers, so the
    // CPU lowering addresses every row from a scalar register).
    %rkRow = tile.expand_dims %rk axis 0 : tensor<{{BK}}xi32> -> tensor<1x{{BK}}xi32>
    %xRowCol = tile.expand_dims %rowIn axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %xsCol = tile.splat %x_stride : i32 -> tensor<{{BM}}x1xi32>
    %xRowOff = arith.muli %xRowCol, %xsCol : tensor<{{BM}}x1xi32>
    %xRowOffB = tile.broadcast %xRowOff : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BK}}xi32>
    %rkX = tile.broadcast %rkRow : tensor<1x{{BK}}xi32> -> tensor<{{BM}}x{{BK}}xi32>
    %xOff = arith.addi %xRowOffB, %rkX : tensor<{{BM}}x{{BK}}xi32>

    %wRowCol = tile.expand_dims %colIn axis 1 : tensor<{{BN}}xi32> -> tensor<{{BN}}x1xi32>
    %kCol = tile.splat %cK : i32 -> tensor<{{BN}}x1xi32>
    %wRowOff = arith.muli %wRowCol, %kCol : tensor<{{BN}}x1xi32>
    %wRowOffB = tile.broadcast %wRowOff : tensor<{{BN}}x1xi32> -> tensor<{{BN}}x{{BK}}xi32>
    %rkW = tile.broadcast %rkRow : tensor<1x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}xi32>
    %wOff = arith.addi %wRowOffB, %rkW : tensor<{{BN}}x{{BK}}xi32>

    // Whole BK slices, unmasked: acc[i, j, :] += x[i, k:k+BK] * w[j, k:k+BK].
    %steps = arith.divsi %cK, %cBK : i32
    %kMain = arith.muli %steps, %cBK : i32
    %acc0 = arith.constant dense<0.0> : tensor<{{BM}}x{{BN}}x{{BK}}xf32>
    %accMain = scf.for %k = %c0 to %kMain step %cBK
        iter_args(%a = %acc0) -> (tensor<{{BM}}x{{BN}}x{{BK}}xf32>) : i32 {
      %xk = tile.addptr %xBlock, %k : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %wk = tile.addptr %wBlock, %k : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
      %xp = tile.addptr %xk, %xOff : !tile.ptr<f32>, tensor<{{BM}}x{{BK}}xi32> -> tensor<{{BM}}x{{BK}}x!tile.ptr<f32>>
      %wp = tile.addptr %wk, %wOff : !tile.ptr<{{W}}>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>
      %xt = tile.load %xp : tensor<{{BM}}x{{BK}}x!tile.ptr<f32>> -> tensor<{{BM}}x{{BK}}xf32>
      %wt = tile.load %wp : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>> -> tensor<{{BN}}x{{BK}}x{{W}}>
      %wWide = arith.extf %wt : tensor<{{BN}}x{{BK}}x{{W}}> to tensor<{{BN}}x{{BK}}xf64>
      %wf = arith.truncf %wWide : tensor<{{BN}}x{{BK}}xf64> to tensor<{{BN}}x{{BK}}xf32>
      %x3 = tile.expand_dims %xt axis 1 : tensor<{{BM}}x{{BK}}xf32> -> tensor<{{BM}}x1x{{BK}}xf32>
      %w3 = tile.expand_dims %wf axis 0 : tensor<{{BN}}x{{BK}}xf32> -> tensor<1x{{BN}}x{{BK}}xf32>
      %xB = tile.broadcast %x3 : tensor<{{BM}}x1x{{BK}}xf32> -> tensor<{{BM}}x{{BN}}x{{BK}}xf32>
      %wB = tile.broadcast %w3 : tensor<1x{{BN}}x{{BK}}xf32> -> tensor<{{BM}}x{{BN}}x{{BK}}xf32>
      %a2 = math.fma %xB, %wB, %a : tensor<{{BM}}x{{BN}}x{{BK}}xf32>
      scf.yield %a2 : tensor<{{BM}}x{{BN}}x{{BK}}xf32>
    }

    // The K % BK tail (zero or one step), masked along K.
    %acc = scf.for %k = %kMain to %cK step %cBK
        iter_args(%a = %accMain) -> (tensor<{{BM}}x{{BN}}x{{BK}}xf32>) : i32 {
      %kLeft = arith.subi %cK, %k : i32
      %kLeftV = tile.splat %kLeft : i32 -> tensor<1x{{BK}}xi32>
      %kOkRow = arith.cmpi slt, %rkRow, %kLeftV : tensor<1x{{BK}}xi32>
      %xMask = tile.broadcast %kOkRow : tensor<1x{{BK}}xi1> -> tensor<{{BM}}x{{BK}}xi1>
      %wMask = tile.broadcast %kOkRow : tensor<1x{{BK}}xi1> -> tensor<{{BN}}x{{BK}}xi1>
      %xk = tile.addptr %xBlock, %k : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %wk = tile.addptr %wBlock, %k : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
      %xp = tile.addptr %xk, %xOff : !tile.ptr<f32>, tensor<{{BM}}x{{BK}}xi32> -> tensor<{{BM}}x{{BK}}x!tile.ptr<f32>>
      %wp = tile.addptr %wk, %wOff : !tile.ptr<{{W}}>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>
      %xt = tile.load %xp mask %xMask : tensor<{{BM}}x{{BK}}x!tile.ptr<f32>> -> tensor<{{BM}}x{{BK}}xf32>
      %wt = tile.load %wp mask %wMask : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>> -> tensor<{{BN}}x{{BK}}x{{W}}>
      %wWide = arith.extf %wt : tensor<{{BN}}x{{BK}}x{{W}}> to tensor<{{BN}}x{{BK}}xf64>
      %wf = arith.truncf %wWide : tensor<{{BN}}x{{BK}}xf64> to tensor<{{BN}}x{{BK}}xf32>
      %x3 = tile.expand_dims %xt axis 1 : tensor<{{BM}}x{{BK}}xf32> -> tensor<{{BM}}x1x{{BK}}xf32>
      %w3 = tile.expand_dims %wf axis 0 : tensor<{{BN}}x{{BK}}xf32> -> tensor<1x{{BN}}x{{BK}}xf32>
      %xB = tile.broadcast %x3 : tensor<{{BM}}x1x{{BK}}xf32> -> tensor<{{BM}}x{{BN}}x{{BK}}xf32>
      %wB = tile.broadcast %w3 : tensor<1x{{BN}}x{{BK}}xf32> -> tensor<{{BM}}x{{BN}}x{{BK}}xf32>
      %a2 = math.fma %xB, %wB, %a : tensor<{{BM}}x{{BN}}x{{BK}}xf32>
      scf.yield %a2 : tensor<{{BM}}x{{BN}}x{{BK}}xf32>
    }

    // y[i, j] = sum of the lanes of acc[i, j], stored for rows < m, columns < N.
    %sum = tile.reduce sum %acc axis 2 : tensor<{{BM}}x{{BN}}x{{BK}}xf32> -> tensor<{{BM}}x{{BN}}xf32>

    %rmCol = tile.expand_dims %rm axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %ysCol = tile.splat %y_stride : i32 -> tensor<{{BM}}x1xi32>
    %yRowOff = arith.muli %rmCol, %ysCol : tensor<{{BM}}x1xi32>
    %yRowOffB = tile.broadcast %yRowOff : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BN}}xi32>
    %rnRow = tile.expand_dims %rn axis 0 : tensor<{{BN}}xi32> -> tensor<1x{{BN}}xi32>
    %rnRowB = tile.broadcast %rnRow : tensor<1x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
    %yOff = arith.addi %yRowOffB, %rnRowB : tensor<{{BM}}x{{BN}}xi32>
    %yPtrs = tile.addptr %yBlock, %yOff : !tile.ptr<f32>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}x!tile.ptr<f32>>
    %mLeftV = tile.splat %mLeft : i32 -> tensor<{{BM}}xi32>
    %nLeftV = tile.splat %nLeft : i32 -> tensor<{{BN}}xi32>
    %rowOk = arith.cmpi slt, %rm, %mLeftV : tensor<{{BM}}xi32>
    %colOk = arith.cmpi slt, %rn, %nLeftV : tensor<{{BN}}xi32>
    %rowOkCol = tile.expand_dims %rowOk axis 1 : tensor<{{BM}}xi1> -> tensor<{{BM}}x1xi1>
    %colOkRow = tile.expand_dims %colOk axis 0 : tensor<{{BN}}xi1> -> tensor<1x{{BN}}xi1>
    %yRowMask = tile.broadcast %rowOkCol : tensor<{{BM}}x1xi1> -> tensor<{{BM}}x{{BN}}xi1>
    %yColMask = tile.broadcast %colOkRow : tensor<1x{{BN}}xi1> -> tensor<{{BM}}x{{BN}}xi1>
    %yMask = arith.andi %yRowMask, %yColMask : tensor<{{BM}}x{{BN}}xi1>
    tile.store %yPtrs, %sum mask %yMask : tensor<{{BM}}x{{BN}}x!tile.ptr<f32>>, tensor<{{BM}}x{{BN}}xf32>
    return
  }
}
