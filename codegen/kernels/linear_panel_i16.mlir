// Kernel template `linear_panel_i16` (docs/kernels.md): `linear_panel` for
// int8 weights with int16 activations in integer arithmetic
// (docs/quantization.md, "int16 activations"): y[i, n] = xs[i] * ws[n] *
// sum_k xq[i, k] * q[n, k], the rows of x quantized by `quantize_rows_i16`.
//
//   args: xq: ptr<i32> [m, ceil(K / 2)] (int16 pairs, rows ceil(K / 2)
//         apart), xs: ptr<f32> [m] (the rows' scales), w: ptr<i8>
//         [ceil(N / BN), K, BN] (panels), ws: ptr<f32> [ceil(N / BN) * BN]
//         (the outputs' scales), y: ptr<f32> [m, N] (rows y_stride apart),
//         m: i32, y_stride: i32
//   grid: (ceil(m / BM), ceil(N / BN), 1), in GROUP-row-block groups
//         (parts/program_groups.mlir), as `linear_panel`.
//   params: N, K, BM, BN (16), GROUP, CHUNK (K pairs between flushes of
//           the i32 sums to f32, <= 128).
//
// Per K pair: the two panel rows (2 x BN int8, one 32-byte load), shared by
// the BM rows (the lowering interleaves and widens them once), and each
// row's activation pair broadcast along them: tile.pair_dot adds both
// products into a [BM, BN] i32 accumulator (one vpdpwssd per row: 32
// multiply-adds, where the f32 form needs two FMAs for 16 each plus the
// conversions). The i32 sums are added into an f32 accumulator every CHUNK
// pairs, before a lane could wrap (2 * 32767 * 127 per pair). An odd K's
// last row pairs with a zero activation; its partner row is masked. Rows
// past m are clamped to the last row (not stored); padding columns are
// zeros (not stored).
module {
  func.func @{{KERNEL}}(%xq: !tile.ptr<i32>, %xs: !tile.ptr<f32>, %w: !tile.ptr<i8>,
                        %ws: !tile.ptr<f32>, %y: !tile.ptr<f32>,
                        %m: i32, %y_stride: i32) attributes {
      tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv {{BM}}, {{N}} ceildiv {{BN}}, 1),
                                 grid_symbols = ["tokens"],
                                 block = [{{BM}}, 2, {{BN}}]>} {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %c2 = arith.constant 2 : i32
    %cN = arith.constant {{N}} : i32
    %cK = arith.constant {{K}} : i32
    %cBM = arith.constant {{BM}} : i32
    %cBN = arith.constant {{BN}} : i32
    %cChunk = arith.constant {{CHUNK}} : i32
    %kPlus = arith.addi %cK, %c1 : i32
    %cPairs = arith.divsi %kPlus, %c2 : i32
    // This program's row block %pm and panel %pn.
    {{>program_groups}}
    %m0 = arith.muli %pm, %cBM : i32
    %n0 = arith.muli %pn, %cBN : i32
    %m0w = arith.extsi %m0 : i32 to i64
    %n0w = arith.extsi %n0 : i32 to i64
    %ysw = arith.extsi %y_stride : i32 to i64
    %cKw = arith.extsi %cK : i32 to i64
    %pairsw = arith.extsi %cPairs : i32 to i64
    %xBase = arith.muli %m0w, %pairsw : i64
    %wBase = arith.muli %n0w, %cKw : i64
    %yRows = arith.muli %m0w, %ysw : i64
    %yBase = arith.addi %yRows, %n0w : i64
    %xBlock = tile.addptr %xq, %xBase : !tile.ptr<i32>, i64 -> !tile.ptr<i32>
    %sBlock = tile.addptr %xs, %m0w : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %wBlock = tile.addptr %w, %wBase : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
    %yBlock = tile.addptr %y, %yBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

    // Row i's pairs (clamped to row m-1): [BM, 1]; the pair's two panel
    // rows, lane j: t*BN + j, [1, 2, BN].
    %rm = tile.range <0, {{BM}}> : tensor<{{BM}}xi32>
    %rn = tile.range <0, {{BN}}> : tensor<{{BN}}xi32>
    %mLeft = arith.subi %m, %m0 : i32
    %nLeft = arith.subi %cN, %n0 : i32
    %mLast = arith.subi %mLeft, %c1 : i32
    %mLastV = tile.splat %mLast : i32 -> tensor<{{BM}}xi32>
    %rowIn = arith.minsi %rm, %mLastV : tensor<{{BM}}xi32>
    %xRowCol = tile.expand_dims %rowIn axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %pairsCol = tile.splat %cPairs : i32 -> tensor<{{BM}}x1xi32>
    %xOff = arith.muli %xRowCol, %pairsCol : tensor<{{BM}}x1xi32>
    %rt = tile.range <0, 2> : tensor<2xi32>
    %rtCol = tile.expand_dims %rt axis 1 : tensor<2xi32> -> tensor<2x1xi32>
    %bnCol = tile.splat %cBN : i32 -> tensor<2x1xi32>
    %tOff = arith.muli %rtCol, %bnCol : tensor<2x1xi32>
    %tOffB = tile.broadcast %tOff : tensor<2x1xi32> -> tensor<2x{{BN}}xi32>
    %rnRow = tile.expand_dims %rn axis 0 : tensor<{{BN}}xi32> -> tensor<1x{{BN}}xi32>
    %rnB = tile.broadcast %rnRow : tensor<1x{{BN}}xi32> -> tensor<2x{{BN}}xi32>
    %wOff2 = arith.addi %tOffB, %rnB : tensor<2x{{BN}}xi32>
    %wOff = tile.expand_dims %wOff2 axis 0 : tensor<2x{{BN}}xi32> -> tensor<1x2x{{BN}}xi32>
    %tRow = tile.expand_dims %rtCol axis 0 : tensor<2x1xi32> -> tensor<1x2x1xi32>
    %tRowB = tile.broadcast %tRow : tensor<1x2x1xi32> -> tensor<1x2x{{BN}}xi32>

    // Whole pairs, unmasked, flushed every CHUNK pairs; then the odd row.
    %pairsWhole = arith.divsi %cK, %c2 : i32
    %izero = arith.constant dense<0> : tensor<{{BM}}x{{BN}}xi32>
    %fzero = arith.constant dense<0.0> : tensor<{{BM}}x{{BN}}xf32>
    %accWhole = scf.for %c = %c0 to %pairsWhole step %cChunk
        iter_args(%f = %fzero) -> (tensor<{{BM}}x{{BN}}xf32>) : i32 {
      %cNext = arith.addi %c, %cChunk : i32
      %cEnd = arith.minsi %cNext, %pairsWhole : i32
      %sums = scf.for %kp = %c to %cEnd step %c1
          iter_args(%a = %izero) -> (tensor<{{BM}}x{{BN}}xi32>) : i32 {
        %xk = tile.addptr %xBlock, %kp : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
        %kRow = arith.muli %kp, %c2 : i32
        %kw = arith.muli %kRow, %cBN : i32
        %wk = tile.addptr %wBlock, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
        %xp = tile.addptr %xk, %xOff : !tile.ptr<i32>, tensor<{{BM}}x1xi32> -> tensor<{{BM}}x1x!tile.ptr<i32>>
        %wp = tile.addptr %wk, %wOff : !tile.ptr<i8>, tensor<1x2x{{BN}}xi32> -> tensor<1x2x{{BN}}x!tile.ptr<i8>>
        %xt = tile.load %xp : tensor<{{BM}}x1x!tile.ptr<i32>> -> tensor<{{BM}}x1xi32>
        %wt = tile.load %wp : tensor<1x2x{{BN}}x!tile.ptr<i8>> -> tensor<1x2x{{BN}}xi8>
        %xB = tile.broadcast %xt : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BN}}xi32>
        %wB = tile.broadcast %wt : tensor<1x2x{{BN}}xi8> -> tensor<{{BM}}x2x{{BN}}xi8>
        %a2 = tile.pair_dot %xB, %wB, %a : tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x2x{{BN}}xi8>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
        scf.yield %a2 : tensor<{{BM}}x{{BN}}xi32>
      }
      %sumsF = arith.sitofp %sums : tensor<{{BM}}x{{BN}}xi32> to tensor<{{BM}}x{{BN}}xf32>
      %f2 = arith.addf %f, %sumsF : tensor<{{BM}}x{{BN}}xf32>
      scf.yield %f2 : tensor<{{BM}}x{{BN}}xf32>
    }
    %acc = scf.for %kp = %pairsWhole to %cPairs step %c1
        iter_args(%f = %accWhole) -> (tensor<{{BM}}x{{BN}}xf32>) : i32 {
      %xk = tile.addptr %xBlock, %kp : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
      %kRow = arith.muli %kp, %c2 : i32
      %kw = arith.muli %kRow, %cBN : i32
      %wk = tile.addptr %wBlock, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
      %rowsLeft = arith.subi %cK, %kRow : i32
      %rowsLeftV = tile.splat %rowsLeft : i32 -> tensor<1x2x{{BN}}xi32>
      %wMask = arith.cmpi slt, %tRowB, %rowsLeftV : tensor<1x2x{{BN}}xi32>
      %xp = tile.addptr %xk, %xOff : !tile.ptr<i32>, tensor<{{BM}}x1xi32> -> tensor<{{BM}}x1x!tile.ptr<i32>>
      %wp = tile.addptr %wk, %wOff : !tile.ptr<i8>, tensor<1x2x{{BN}}xi32> -> tensor<1x2x{{BN}}x!tile.ptr<i8>>
      %xt = tile.load %xp : tensor<{{BM}}x1x!tile.ptr<i32>> -> tensor<{{BM}}x1xi32>
      %wt = tile.load %wp mask %wMask : tensor<1x2x{{BN}}x!tile.ptr<i8>> -> tensor<1x2x{{BN}}xi8>
      %xB = tile.broadcast %xt : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BN}}xi32>
      %wB = tile.broadcast %wt : tensor<1x2x{{BN}}xi8> -> tensor<{{BM}}x2x{{BN}}xi8>
      %sums = tile.pair_dot %xB, %wB, %izero : tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x2x{{BN}}xi8>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
      %sumsF = arith.sitofp %sums : tensor<{{BM}}x{{BN}}xi32> to tensor<{{BM}}x{{BN}}xf32>
      %f2 = arith.addf %f, %sumsF : tensor<{{BM}}x{{BN}}xf32>
      scf.yield %f2 : tensor<{{BM}}x{{BN}}xf32>
    }

    // acc[i, j] *= xs[i] * ws[n0 + j].
    %wsBlock = tile.addptr %ws, %n0 : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %wsp = tile.addptr %wsBlock, %rnRow : !tile.ptr<f32>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<f32>>
    %wst = tile.load %wsp : tensor<1x{{BN}}x!tile.ptr<f32>> -> tensor<1x{{BN}}xf32>
    %wsB = tile.broadcast %wst : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
    %xsp = tile.addptr %sBlock, %xRowCol : !tile.ptr<f32>, tensor<{{BM}}x1xi32> -> tensor<{{BM}}x1x!tile.ptr<f32>>
    %xst = tile.load %xsp : tensor<{{BM}}x1x!tile.ptr<f32>> -> tensor<{{BM}}x1xf32>
    %xsB = tile.broadcast %xst : tensor<{{BM}}x1xf32> -> tensor<{{BM}}x{{BN}}xf32>
    %colScaled = arith.mulf %acc, %wsB : tensor<{{BM}}x{{BN}}xf32>
    %accOut = arith.mulf %colScaled, %xsB : tensor<{{BM}}x{{BN}}xf32>

    // y[rows < m, columns < N] = acc.
    %rmCol = tile.expand_dims %rm axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %ysCol = tile.splat %y_stride : i32 -> tensor<{{BM}}x1xi32>
    %yRowOff = arith.muli %rmCol, %ysCol : tensor<{{BM}}x1xi32>
    %yRowOffB = tile.broadcast %yRowOff : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BN}}xi32>
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
    tile.store %yPtrs, %accOut mask %yMask : tensor<{{BM}}x{{BN}}x!tile.ptr<f32>>, tensor<{{BM}}x{{BN}}xf32>
    return
  }
}
