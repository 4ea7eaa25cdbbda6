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
//   grid: (ceil(m / BM), ceil(N / (P*BN)), 1), in GROUP-row-block groups
//         (parts/program_groups.mlir); program (i, q) owns rows
//         i*BM .. i*BM+BM-1 of panel qP and, with P = 2, qP + 1 (where N
//         has an odd number of panels, the last program's second panel is
//         clamped to the last one, read and not stored).
//   params: N, K, BM, BN (16), GROUP, CHUNK (K pairs between flushes of
//           the i32 sums to f32, <= 128), P (panels per program, 1 or 2).
//
// Per K pair and panel: the pair's two panel rows (2 x BN int8, one 32-byte
// load), shared by the BM rows (the lowering interleaves and widens them
// once), and each row's activation pair broadcast along them: tile.pair_dot
// adds both products into a [BM, BN] i32 accumulator per panel (one
// vpdpwssd per row and panel: 32 multiply-adds, where the f32 form needs
// two FMAs for 16 each plus the conversions). With P = 2 the panels share
// each activation broadcast and give each core two weight streams, as
// `linear_panel` on AVX-512 (TileHeuristics.h, choosePanelGemmPanelsInt16).
// The i32 sums are added into f32 accumulators every CHUNK pairs, before a
// lane could wrap (2 * 32767 * 127 per pair). An odd K's last row pairs
// with a zero activation; its partner row is masked. Rows past m are
// clamped to the last row (not stored); padding columns are zeros (not
// stored).
module {
  func.func @{{KERNEL}}(%xq: !tile.ptr<i32>, %xs: !tile.ptr<f32>, %w: !tile.ptr<i8>,
                        %ws: !tile.ptr<f32>, %y: !tile.ptr<f32>,
                        %m: i32, %y_stride: i32) attributes {
      tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv {{BM}}, {{N}} ceildiv ({{P}} * {{BN}}), 1),
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
    %cN64 = arith.constant {{N}} : i64
    %cBN64 = arith.constant {{BN}} : i64
    %c164 = arith.constant 1 : i64
    %nRound = arith.addi %cN64, %cBN64 : i64
    %nRound1 = arith.subi %nRound, %c164 : i64
    %panels = arith.divsi %nRound1, %cBN64 : i64
    // This program's row block %pm and panel group %pn: panels P*pn and
    // (P = 2) P*pn + 1, clamped to the last panel, columns col0 and col1 on
    // (col1 read at readCol1).
    {{>program_groups}}
    %cP = arith.constant {{P}} : i32
    {{>panel_pair}}
    %m0 = arith.muli %pm, %cBM : i32
    %m0w = arith.extsi %m0 : i32 to i64
    %ysw = arith.extsi %y_stride : i32 to i64
    %cKw = arith.extsi %cK : i32 to i64
    %pairsw = arith.extsi %cPairs : i32 to i64
    %col0w = arith.extsi %col0 : i32 to i64
    %readCol1w = arith.extsi %readCol1 : i32 to i64
    %xBase = arith.muli %m0w, %pairsw : i64
    %wBase0 = arith.muli %col0w, %cKw : i64
    %wBase1 = arith.muli %readCol1w, %cKw : i64
    %yBase = arith.muli %m0w, %ysw : i64
    // Block bases: xq + m0*ceil(K/2), xs + m0, each panel's K*BN weights
    // (panel p at p*BN*K), y + m0*y_stride.
    %xBlock = tile.addptr %xq, %xBase : !tile.ptr<i32>, i64 -> !tile.ptr<i32>
    %sBlock = tile.addptr %xs, %m0w : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %wBlock0 = tile.addptr %w, %wBase0 : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
    %wBlock1 = tile.addptr %w, %wBase1 : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
    %out = tile.addptr %y, %yBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

    // Row i's pairs (clamped to row m-1): [BM, 1]; the pair's two panel
    // rows, lane j: t*BN + j, [1, 2, BN].
    %rm = tile.range <0, {{BM}}> : tensor<{{BM}}xi32>
    %rBN = tile.range <0, {{BN}}> : tensor<{{BN}}xi32>
    %mLeft = arith.subi %m, %m0 : i32
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
    %rnRow = tile.expand_dims %rBN axis 0 : tensor<{{BN}}xi32> -> tensor<1x{{BN}}xi32>
    %rnB = tile.broadcast %rnRow : tensor<1x{{BN}}xi32> -> tensor<2x{{BN}}xi32>
    %wOff2 = arith.addi %tOffB, %rnB : tensor<2x{{BN}}xi32>
    %wOff = tile.expand_dims %wOff2 axis 0 : tensor<2x{{BN}}xi32> -> tensor<1x2x{{BN}}xi32>
    %tRow = tile.expand_dims %rtCol axis 0 : tensor<2x1xi32> -> tensor<1x2x1xi32>
    %tRowB = tile.broadcast %tRow : tensor<1x2x1xi32> -> tensor<1x2x{{BN}}xi32>

    // Whole pairs, unmasked, flushed every CHUNK pairs; then the odd row.
    %pairsWhole = arith.divsi %cK, %c2 : i32
    %izero = arith.constant dense<0> : tensor<{{BM}}x{{BN}}xi32>
    %fzero = arith.constant dense<0.0> : tensor<{{BM}}x{{BN}}xf32>
    %whole:{{P}} = scf.for %c = %c0 to %pairsWhole step %cChunk
        iter_args(%f = %fzero{{#P=2}}, %g = %fzero{{/P=2}})
        -> (tensor<{{BM}}x{{BN}}xf32>{{#P=2}}, tensor<{{BM}}x{{BN}}xf32>{{/P=2}}) : i32 {
      %cNext = arith.addi %c, %cChunk : i32
      %cEnd = arith.minsi %cNext, %pairsWhole : i32
      %sums:{{P}} = scf.for %kp = %c to %cEnd step %c1
          iter_args(%a = %izero{{#P=2}}, %b = %izero{{/P=2}})
          -> (tensor<{{BM}}x{{BN}}xi32>{{#P=2}}, tensor<{{BM}}x{{BN}}xi32>{{/P=2}}) : i32 {
        %xk = tile.addptr %xBlock, %kp : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
        %xp = tile.addptr %xk, %xOff : !tile.ptr<i32>, tensor<{{BM}}x1xi32> -> tensor<{{BM}}x1x!tile.ptr<i32>>
        %xt = tile.load %xp : tensor<{{BM}}x1x!tile.ptr<i32>> -> tensor<{{BM}}x1xi32>
        %xB = tile.broadcast %xt : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BN}}xi32>
        %kRow = arith.muli %kp, %c2 : i32
        %kw = arith.muli %kRow, %cBN : i32
        %wk0 = tile.addptr %wBlock0, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
        {{#P=2}}%wk1 = tile.addptr %wBlock1, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>{{/P=2}}
        %wp0 = tile.addptr %wk0, %wOff : !tile.ptr<i8>, tensor<1x2x{{BN}}xi32> -> tensor<1x2x{{BN}}x!tile.ptr<i8>>
        {{#P=2}}%wp1 = tile.addptr %wk1, %wOff : !tile.ptr<i8>, tensor<1x2x{{BN}}xi32> -> tensor<1x2x{{BN}}x!tile.ptr<i8>>{{/P=2}}
        %wt0 = tile.load %wp0 : tensor<1x2x{{BN}}x!tile.ptr<i8>> -> tensor<1x2x{{BN}}xi8>
        {{#P=2}}%wt1 = tile.load %wp1 : tensor<1x2x{{BN}}x!tile.ptr<i8>> -> tensor<1x2x{{BN}}xi8>{{/P=2}}
        %wB0 = tile.broadcast %wt0 : tensor<1x2x{{BN}}xi8> -> tensor<{{BM}}x2x{{BN}}xi8>
        {{#P=2}}%wB1 = tile.broadcast %wt1 : tensor<1x2x{{BN}}xi8> -> tensor<{{BM}}x2x{{BN}}xi8>{{/P=2}}
        %a2 = tile.pair_dot %xB, %wB0, %a : tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x2x{{BN}}xi8>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
        {{#P=2}}%b2 = tile.pair_dot %xB, %wB1, %b : tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x2x{{BN}}xi8>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>{{/P=2}}
        scf.yield %a2{{#P=2}}, %b2{{/P=2}} : tensor<{{BM}}x{{BN}}xi32>{{#P=2}}, tensor<{{BM}}x{{BN}}xi32>{{/P=2}}
      }
      %sumsF0 = arith.sitofp %sums#0 : tensor<{{BM}}x{{BN}}xi32> to tensor<{{BM}}x{{BN}}xf32>
      {{#P=2}}%sumsF1 = arith.sitofp %sums#1 : tensor<{{BM}}x{{BN}}xi32> to tensor<{{BM}}x{{BN}}xf32>{{/P=2}}
      %f2 = arith.addf %f, %sumsF0 : tensor<{{BM}}x{{BN}}xf32>
      {{#P=2}}%g2 = arith.addf %g, %sumsF1 : tensor<{{BM}}x{{BN}}xf32>{{/P=2}}
      scf.yield %f2{{#P=2}}, %g2{{/P=2}} : tensor<{{BM}}x{{BN}}xf32>{{#P=2}}, tensor<{{BM}}x{{BN}}xf32>{{/P=2}}
    }
    %acc:{{P}} = scf.for %kp = %pairsWhole to %cPairs step %c1
        iter_args(%f = %whole#0{{#P=2}}, %g = %whole#1{{/P=2}})
        -> (tensor<{{BM}}x{{BN}}xf32>{{#P=2}}, tensor<{{BM}}x{{BN}}xf32>{{/P=2}}) : i32 {
      %xk = tile.addptr %xBlock, %kp : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
      %xp = tile.addptr %xk, %xOff : !tile.ptr<i32>, tensor<{{BM}}x1xi32> -> tensor<{{BM}}x1x!tile.ptr<i32>>
      %xt = tile.load %xp : tensor<{{BM}}x1x!tile.ptr<i32>> -> tensor<{{BM}}x1xi32>
      %xB = tile.broadcast %xt : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BN}}xi32>
      %kRow = arith.muli %kp, %c2 : i32
      %rowsLeft = arith.subi %cK, %kRow : i32
      %rowsLeftV = tile.splat %rowsLeft : i32 -> tensor<1x2x{{BN}}xi32>
      %wMask = arith.cmpi slt, %tRowB, %rowsLeftV : tensor<1x2x{{BN}}xi32>
      %kw = arith.muli %kRow, %cBN : i32
      %wk0 = tile.addptr %wBlock0, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
      {{#P=2}}%wk1 = tile.addptr %wBlock1, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>{{/P=2}}
      %wp0 = tile.addptr %wk0, %wOff : !tile.ptr<i8>, tensor<1x2x{{BN}}xi32> -> tensor<1x2x{{BN}}x!tile.ptr<i8>>
      {{#P=2}}%wp1 = tile.addptr %wk1, %wOff : !tile.ptr<i8>, tensor<1x2x{{BN}}xi32> -> tensor<1x2x{{BN}}x!tile.ptr<i8>>{{/P=2}}
      %wt0 = tile.load %wp0 mask %wMask : tensor<1x2x{{BN}}x!tile.ptr<i8>> -> tensor<1x2x{{BN}}xi8>
      {{#P=2}}%wt1 = tile.load %wp1 mask %wMask : tensor<1x2x{{BN}}x!tile.ptr<i8>> -> tensor<1x2x{{BN}}xi8>{{/P=2}}
      %wB0 = tile.broadcast %wt0 : tensor<1x2x{{BN}}xi8> -> tensor<{{BM}}x2x{{BN}}xi8>
      {{#P=2}}%wB1 = tile.broadcast %wt1 : tensor<1x2x{{BN}}xi8> -> tensor<{{BM}}x2x{{BN}}xi8>{{/P=2}}
      %s0 = tile.pair_dot %xB, %wB0, %izero : tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x2x{{BN}}xi8>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
      {{#P=2}}%s1 = tile.pair_dot %xB, %wB1, %izero : tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x2x{{BN}}xi8>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>{{/P=2}}
      %sF0 = arith.sitofp %s0 : tensor<{{BM}}x{{BN}}xi32> to tensor<{{BM}}x{{BN}}xf32>
      {{#P=2}}%sF1 = arith.sitofp %s1 : tensor<{{BM}}x{{BN}}xi32> to tensor<{{BM}}x{{BN}}xf32>{{/P=2}}
      %f2 = arith.addf %f, %sF0 : tensor<{{BM}}x{{BN}}xf32>
      {{#P=2}}%g2 = arith.addf %g, %sF1 : tensor<{{BM}}x{{BN}}xf32>{{/P=2}}
      scf.yield %f2{{#P=2}}, %g2{{/P=2}} : tensor<{{BM}}x{{BN}}xf32>{{#P=2}}, tensor<{{BM}}x{{BN}}xf32>{{/P=2}}
    }

    // The panels' results, acc[i, j] * xs[i] * ws[col + j], as the results
    // of one op (second_panel_store takes %value#1; kernels have no
    // scf.execute_region, and an scf.if on true folds away).
    %true = arith.constant true
    %value:{{P}} = scf.if %true -> (tensor<{{BM}}x{{BN}}xf32>{{#P=2}}, tensor<{{BM}}x{{BN}}xf32>{{/P=2}}) {
      %xsp = tile.addptr %sBlock, %xRowCol : !tile.ptr<f32>, tensor<{{BM}}x1xi32> -> tensor<{{BM}}x1x!tile.ptr<f32>>
      %xst = tile.load %xsp : tensor<{{BM}}x1x!tile.ptr<f32>> -> tensor<{{BM}}x1xf32>
      %xsB = tile.broadcast %xst : tensor<{{BM}}x1xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %wsRow0 = tile.addptr %ws, %col0 : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      {{#P=2}}%wsRow1 = tile.addptr %ws, %readCol1 : !tile.ptr<f32>, i32 -> !tile.ptr<f32>{{/P=2}}
      %wsp0 = tile.addptr %wsRow0, %rnRow : !tile.ptr<f32>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<f32>>
      {{#P=2}}%wsp1 = tile.addptr %wsRow1, %rnRow : !tile.ptr<f32>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<f32>>{{/P=2}}
      %wst0 = tile.load %wsp0 : tensor<1x{{BN}}x!tile.ptr<f32>> -> tensor<1x{{BN}}xf32>
      {{#P=2}}%wst1 = tile.load %wsp1 : tensor<1x{{BN}}x!tile.ptr<f32>> -> tensor<1x{{BN}}xf32>{{/P=2}}
      %wsB0 = tile.broadcast %wst0 : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      {{#P=2}}%wsB1 = tile.broadcast %wst1 : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>{{/P=2}}
      %colScaled0 = arith.mulf %acc#0, %wsB0 : tensor<{{BM}}x{{BN}}xf32>
      {{#P=2}}%colScaled1 = arith.mulf %acc#1, %wsB1 : tensor<{{BM}}x{{BN}}xf32>{{/P=2}}
      %out0 = arith.mulf %colScaled0, %xsB : tensor<{{BM}}x{{BN}}xf32>
      {{#P=2}}%out1 = arith.mulf %colScaled1, %xsB : tensor<{{BM}}x{{BN}}xf32>{{/P=2}}
      scf.yield %out0{{#P=2}}, %out1{{/P=2}} : tensor<{{BM}}x{{BN}}xf32>{{#P=2}}, tensor<{{BM}}x{{BN}}xf32>{{/P=2}}
    } else {
      scf.yield %fzero{{#P=2}}, %fzero{{/P=2}} : tensor<{{BM}}x{{BN}}xf32>{{#P=2}}, tensor<{{BM}}x{{BN}}xf32>{{/P=2}}
    }

    // y[rows < m, columns < N] = acc: the first panel at columns col0 on,
    // the second (P = 2, second_panel_store) at col1 on.
    %rmCol = tile.expand_dims %rm axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %ysCol = tile.splat %y_stride : i32 -> tensor<{{BM}}x1xi32>
    %yRowOff = arith.muli %rmCol, %ysCol : tensor<{{BM}}x1xi32>
    %yRowOffB = tile.broadcast %yRowOff : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BN}}xi32>
    %col0v = tile.splat %col0 : i32 -> tensor<{{BN}}xi32>
    %rn0 = arith.addi %col0v, %rBN : tensor<{{BN}}xi32>
    %rn0Row = tile.expand_dims %rn0 axis 0 : tensor<{{BN}}xi32> -> tensor<1x{{BN}}xi32>
    %rn0B = tile.broadcast %rn0Row : tensor<1x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
    %outOff = arith.addi %yRowOffB, %rn0B : tensor<{{BM}}x{{BN}}xi32>
    %outPtrs = tile.addptr %out, %outOff : !tile.ptr<f32>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}x!tile.ptr<f32>>
    %mLeftV = tile.splat %mLeft : i32 -> tensor<{{BM}}xi32>
    %rowOk = arith.cmpi slt, %rm, %mLeftV : tensor<{{BM}}xi32>
    %nv = tile.splat %cN : i32 -> tensor<{{BN}}xi32>
    %colOk = arith.cmpi slt, %rn0, %nv : tensor<{{BN}}xi32>
    %rowOkCol = tile.expand_dims %rowOk axis 1 : tensor<{{BM}}xi1> -> tensor<{{BM}}x1xi1>
    %rowOkOut = tile.broadcast %rowOkCol : tensor<{{BM}}x1xi1> -> tensor<{{BM}}x{{BN}}xi1>
    %colOkRow = tile.expand_dims %colOk axis 0 : tensor<{{BN}}xi1> -> tensor<1x{{BN}}xi1>
    %colOkOut = tile.broadcast %colOkRow : tensor<1x{{BN}}xi1> -> tensor<{{BM}}x{{BN}}xi1>
    %outMask = arith.andi %rowOkOut, %colOkOut : tensor<{{BM}}x{{BN}}xi1>
    tile.store %outPtrs, %value#0 mask %outMask : tensor<{{BM}}x{{BN}}x!tile.ptr<f32>>, tensor<{{BM}}x{{BN}}xf32>
{{#P=2}}
    {{>second_panel_store}}
{{/P=2}}
    return
  }
}
