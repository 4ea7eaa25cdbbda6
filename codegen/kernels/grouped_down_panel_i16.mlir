// grouped_down_panel_i16: grouped_down_panel for int8 expert weights with
// int16 activations in integer arithmetic (docs/quantization.md, "int16
// activations"), grid (ceil(rows/BM), ceil(H/(2*BN))).
//
//   hq        [rows, ceil(I/2)] i32   the dispatch rows of
//                                     grouped_gate_up_panel_i16's output
//                                     as int16 pairs
//   hs        [rows] f32              their scales (quantize_rows_i16)
//   row_token, offsets                as grouped_down_panel (moe_plan)
//   down      [E, ceil(H/BN), I, BN] i8   stacked down_proj panels
//   down_scale [E, ceil(H/BN)*BN] f32    their output scales
//   out       [rows, H] f32           h[r] @ down_e^T (0 on padding rows)
//   rows      i32                     rows of the dispatch buffers
//
// Params: E, H, I, BM (divides the plan's BLOCK), BN (16), GROUP, CHUNK.
// A program owns two neighbouring panels of down_e, read side by side in
// one K loop (two weight streams, as grouped_down_panel; the last
// program's second panel clamped to the last where H has an odd number of
// panels, read and not stored). Per K pair, the pair's two rows of each
// panel times each row's activation pair (tile.pair_dot) into a [BM, BN]
// i32 sum per panel, flushed into f32 every CHUNK pairs; out = hs[r] *
// down_scale * sum. Rows past `rows` read
// row rows - 1; an odd I's last row pairs with a zero activation. A block
// past offsets[E], or of padding rows only, writes zeros without reading
// weights.
func.func @{{KERNEL}}(%hq: !tile.ptr<i32>, %hs: !tile.ptr<f32>, %row_token: !tile.ptr<i32>,
                      %offsets: !tile.ptr<i32>, %down: !tile.ptr<i8>, %down_scale: !tile.ptr<f32>,
                      %out: !tile.ptr<f32>, %rows: i32) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv {{BM}}, {{H}} ceildiv (2 * {{BN}}), 1),
                               grid_symbols = ["rows"],
                               block = [{{BM}}, 2, {{BN}}]>} {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c2 = arith.constant 2 : i32
  %cE = arith.constant {{E}} : i32
  %cI = arith.constant {{I}} : i32
  %cN = arith.constant {{H}} : i32
  %cBM = arith.constant {{BM}} : i32
  %cBN = arith.constant {{BN}} : i32
  %cChunk = arith.constant {{CHUNK}} : i32
  %iPlus = arith.addi %cI, %c1 : i32
  %cPairs = arith.divsi %iPlus, %c2 : i32
  %pairsWhole = arith.divsi %cI, %c2 : i32
  // One expert's panels: ceil(H / BN) * BN * I elements.
  %cH64 = arith.constant {{H}} : i64
  %cBN64 = arith.constant {{BN}} : i64
  %cI64 = arith.constant {{I}} : i64
  %c1w = arith.constant 1 : i64
  %hRound = arith.addi %cH64, %cBN64 : i64
  %hRound1 = arith.subi %hRound, %c1w : i64
  %panels = arith.divsi %hRound1, %cBN64 : i64
  %hPadded = arith.muli %panels, %cBN64 : i64
  %expertSize = arith.muli %hPadded, %cI64 : i64

  // This program's row block %pm and panel pair %pn: panels 2*pn and
  // 2*pn + 1 (clamped to the last panel), columns col0 and col1 on.
  {{>program_groups}}
  %row0 = arith.muli %pm, %cBM : i32
  %cP = arith.constant 2 : i32
  {{>panel_pair}}

  // The expert of this block: the first e with offsets[e+1] > row0.
  {{>expert_of_rows}}
  %hasExpert = arith.cmpi slt, %search#0, %cE : i32

  // Rows of the block and their tokens; padding rows of h are 0.
  {{>dispatch_block}}

  %acc0 = arith.constant dense<0.000000e+00> : tensor<{{BM}}x{{BN}}xf32>
  %izero = arith.constant dense<0> : tensor<{{BM}}x{{BN}}xi32>
  %value:2 = scf.if %work -> (tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>) {
    // Pairs of the rows (r * ceil(I/2), r clamped below `rows`); the
    // pair's two panel rows, lane j: t*BN + j; the panels of down_e at
    // e * expertSize + col0 * I and + readCol1 * I.
    %rowsLast = arith.subi %rows, %c1 : i32
    %rowsLastV = tile.splat %rowsLast : i32 -> tensor<{{BM}}xi32>
    %rowIn = arith.minsi %rm, %rowsLastV : tensor<{{BM}}xi32>
    %rowCol = tile.expand_dims %rowIn axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %pairsCol = tile.splat %cPairs : i32 -> tensor<{{BM}}x1xi32>
    %hOff = arith.muli %rowCol, %pairsCol : tensor<{{BM}}x1xi32>
    %rt = tile.range <0, 2> : tensor<2xi32>
    %rtCol = tile.expand_dims %rt axis 1 : tensor<2xi32> -> tensor<2x1xi32>
    %bnCol = tile.splat %cBN : i32 -> tensor<2x1xi32>
    %tOff = arith.muli %rtCol, %bnCol : tensor<2x1xi32>
    %tOffB = tile.broadcast %tOff : tensor<2x1xi32> -> tensor<2x{{BN}}xi32>
    %lanesB = tile.broadcast %lanes : tensor<1x{{BN}}xi32> -> tensor<2x{{BN}}xi32>
    %wOff2 = arith.addi %tOffB, %lanesB : tensor<2x{{BN}}xi32>
    %wOff = tile.expand_dims %wOff2 axis 0 : tensor<2x{{BN}}xi32> -> tensor<1x2x{{BN}}xi32>
    %tRow = tile.expand_dims %rtCol axis 0 : tensor<2x1xi32> -> tensor<1x2x1xi32>
    %tRowB = tile.broadcast %tRow : tensor<1x2x1xi32> -> tensor<1x2x{{BN}}xi32>
    %expert64 = arith.extsi %search#0 : i32 to i64
    %eOff = arith.muli %expert64, %expertSize : i64
    %col064 = arith.extsi %col0 : i32 to i64
    %readCol164 = arith.extsi %readCol1 : i32 to i64
    %pOff0 = arith.muli %col064, %cI64 : i64
    %pOff1 = arith.muli %readCol164, %cI64 : i64
    %panelOff0 = arith.addi %eOff, %pOff0 : i64
    %panelOff1 = arith.addi %eOff, %pOff1 : i64
    %downP0 = tile.addptr %down, %panelOff0 : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
    %downP1 = tile.addptr %down, %panelOff1 : !tile.ptr<i8>, i64 -> !tile.ptr<i8>

    // Whole pairs in chunks, then the odd row.
    %whole:2 = scf.for %c = %c0 to %pairsWhole step %cChunk
        iter_args(%f = %acc0, %g = %acc0)
        -> (tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>) : i32 {
      %cNext = arith.addi %c, %cChunk : i32
      %cEnd = arith.minsi %cNext, %pairsWhole : i32
      %chunk:2 = scf.for %kp = %c to %cEnd step %c1
          iter_args(%a = %izero, %b = %izero)
          -> (tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x{{BN}}xi32>) : i32 {
        %xk = tile.addptr %hq, %kp : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
        %xp = tile.addptr %xk, %hOff : !tile.ptr<i32>, tensor<{{BM}}x1xi32> -> tensor<{{BM}}x1x!tile.ptr<i32>>
        %xt = tile.load %xp : tensor<{{BM}}x1x!tile.ptr<i32>> -> tensor<{{BM}}x1xi32>
        %xB = tile.broadcast %xt : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BN}}xi32>
        %kRow = arith.muli %kp, %c2 : i32
        %kw = arith.muli %kRow, %cBN : i32
        %wk0 = tile.addptr %downP0, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
        %wk1 = tile.addptr %downP1, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
        %wp0 = tile.addptr %wk0, %wOff : !tile.ptr<i8>, tensor<1x2x{{BN}}xi32> -> tensor<1x2x{{BN}}x!tile.ptr<i8>>
        %wp1 = tile.addptr %wk1, %wOff : !tile.ptr<i8>, tensor<1x2x{{BN}}xi32> -> tensor<1x2x{{BN}}x!tile.ptr<i8>>
        %wt0 = tile.load %wp0 : tensor<1x2x{{BN}}x!tile.ptr<i8>> -> tensor<1x2x{{BN}}xi8>
        %wt1 = tile.load %wp1 : tensor<1x2x{{BN}}x!tile.ptr<i8>> -> tensor<1x2x{{BN}}xi8>
        %wB0 = tile.broadcast %wt0 : tensor<1x2x{{BN}}xi8> -> tensor<{{BM}}x2x{{BN}}xi8>
        %wB1 = tile.broadcast %wt1 : tensor<1x2x{{BN}}xi8> -> tensor<{{BM}}x2x{{BN}}xi8>
        %a2 = tile.pair_dot %xB, %wB0, %a : tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x2x{{BN}}xi8>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
        %b2 = tile.pair_dot %xB, %wB1, %b : tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x2x{{BN}}xi8>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
        scf.yield %a2, %b2 : tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x{{BN}}xi32>
      }
      %chunkF0 = arith.sitofp %chunk#0 : tensor<{{BM}}x{{BN}}xi32> to tensor<{{BM}}x{{BN}}xf32>
      %chunkF1 = arith.sitofp %chunk#1 : tensor<{{BM}}x{{BN}}xi32> to tensor<{{BM}}x{{BN}}xf32>
      %f2 = arith.addf %f, %chunkF0 : tensor<{{BM}}x{{BN}}xf32>
      %g2 = arith.addf %g, %chunkF1 : tensor<{{BM}}x{{BN}}xf32>
      scf.yield %f2, %g2 : tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>
    }
    %all:2 = scf.for %kp = %pairsWhole to %cPairs step %c1
        iter_args(%f = %whole#0, %g = %whole#1)
        -> (tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>) : i32 {
      %xk = tile.addptr %hq, %kp : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
      %xp = tile.addptr %xk, %hOff : !tile.ptr<i32>, tensor<{{BM}}x1xi32> -> tensor<{{BM}}x1x!tile.ptr<i32>>
      %xt = tile.load %xp : tensor<{{BM}}x1x!tile.ptr<i32>> -> tensor<{{BM}}x1xi32>
      %xB = tile.broadcast %xt : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BN}}xi32>
      %kRow = arith.muli %kp, %c2 : i32
      %rowsLeft = arith.subi %cI, %kRow : i32
      %rowsLeftV = tile.splat %rowsLeft : i32 -> tensor<1x2x{{BN}}xi32>
      %wMask = arith.cmpi slt, %tRowB, %rowsLeftV : tensor<1x2x{{BN}}xi32>
      %kw = arith.muli %kRow, %cBN : i32
      %wk0 = tile.addptr %downP0, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
      %wk1 = tile.addptr %downP1, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
      %wp0 = tile.addptr %wk0, %wOff : !tile.ptr<i8>, tensor<1x2x{{BN}}xi32> -> tensor<1x2x{{BN}}x!tile.ptr<i8>>
      %wp1 = tile.addptr %wk1, %wOff : !tile.ptr<i8>, tensor<1x2x{{BN}}xi32> -> tensor<1x2x{{BN}}x!tile.ptr<i8>>
      %wt0 = tile.load %wp0 mask %wMask : tensor<1x2x{{BN}}x!tile.ptr<i8>> -> tensor<1x2x{{BN}}xi8>
      %wt1 = tile.load %wp1 mask %wMask : tensor<1x2x{{BN}}x!tile.ptr<i8>> -> tensor<1x2x{{BN}}xi8>
      %wB0 = tile.broadcast %wt0 : tensor<1x2x{{BN}}xi8> -> tensor<{{BM}}x2x{{BN}}xi8>
      %wB1 = tile.broadcast %wt1 : tensor<1x2x{{BN}}xi8> -> tensor<{{BM}}x2x{{BN}}xi8>
      %sums0 = tile.pair_dot %xB, %wB0, %izero : tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x2x{{BN}}xi8>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
      %sums1 = tile.pair_dot %xB, %wB1, %izero : tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x2x{{BN}}xi8>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
      %sumsF0 = arith.sitofp %sums0 : tensor<{{BM}}x{{BN}}xi32> to tensor<{{BM}}x{{BN}}xf32>
      %sumsF1 = arith.sitofp %sums1 : tensor<{{BM}}x{{BN}}xi32> to tensor<{{BM}}x{{BN}}xf32>
      %f2 = arith.addf %f, %sumsF0 : tensor<{{BM}}x{{BN}}xf32>
      %g2 = arith.addf %g, %sumsF1 : tensor<{{BM}}x{{BN}}xf32>
      scf.yield %f2, %g2 : tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>
    }

    // Scales: the rows' and expert e's of columns col0 + j.
    %hsp = tile.addptr %hs, %rowCol : !tile.ptr<f32>, tensor<{{BM}}x1xi32> -> tensor<{{BM}}x1x!tile.ptr<f32>>
    %hst = tile.load %hsp : tensor<{{BM}}x1x!tile.ptr<f32>> -> tensor<{{BM}}x1xf32>
    %hsB = tile.broadcast %hst : tensor<{{BM}}x1xf32> -> tensor<{{BM}}x{{BN}}xf32>
    %sBase = arith.muli %expert64, %hPadded : i64
    %sBlock0 = arith.addi %sBase, %col064 : i64
    %sBlock1 = arith.addi %sBase, %readCol164 : i64
    %sRow0 = tile.addptr %down_scale, %sBlock0 : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %sRow1 = tile.addptr %down_scale, %sBlock1 : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %sp0 = tile.addptr %sRow0, %lanes : !tile.ptr<f32>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<f32>>
    %sp1 = tile.addptr %sRow1, %lanes : !tile.ptr<f32>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<f32>>
    %st0 = tile.load %sp0 : tensor<1x{{BN}}x!tile.ptr<f32>> -> tensor<1x{{BN}}xf32>
    %st1 = tile.load %sp1 : tensor<1x{{BN}}x!tile.ptr<f32>> -> tensor<1x{{BN}}xf32>
    %sB0 = tile.broadcast %st0 : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
    %sB1 = tile.broadcast %st1 : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
    %rowScaled0 = arith.mulf %all#0, %hsB : tensor<{{BM}}x{{BN}}xf32>
    %rowScaled1 = arith.mulf %all#1, %hsB : tensor<{{BM}}x{{BN}}xf32>
    %scaled0 = arith.mulf %rowScaled0, %sB0 : tensor<{{BM}}x{{BN}}xf32>
    %scaled1 = arith.mulf %rowScaled1, %sB1 : tensor<{{BM}}x{{BN}}xf32>
    scf.yield %scaled0, %scaled1 : tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>
  } else {
    scf.yield %acc0, %acc0 : tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>
  }

  // out[r, n] for the rows and columns in range (padding rows of h are 0,
  // so theirs are too).
  %rmCol = tile.expand_dims %rm axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
  %nCol = tile.splat %cN : i32 -> tensor<{{BM}}x1xi32>
  %outRowOff = arith.muli %rmCol, %nCol : tensor<{{BM}}x1xi32>
  %outRowOffB = tile.broadcast %outRowOff : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BN}}xi32>
  %rnRow = tile.expand_dims %rn axis 0 : tensor<{{BN}}xi32> -> tensor<1x{{BN}}xi32>
  %rnRowB = tile.broadcast %rnRow : tensor<1x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
  %outOff = arith.addi %outRowOffB, %rnRowB : tensor<{{BM}}x{{BN}}xi32>
  %outPtrs = tile.addptr %out, %outOff : !tile.ptr<f32>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}x!tile.ptr<f32>>
  %rowOkCol = tile.expand_dims %rowOk axis 1 : tensor<{{BM}}xi1> -> tensor<{{BM}}x1xi1>
  %rowOkOut = tile.broadcast %rowOkCol : tensor<{{BM}}x1xi1> -> tensor<{{BM}}x{{BN}}xi1>
  %colOkRow = tile.expand_dims %colOk axis 0 : tensor<{{BN}}xi1> -> tensor<1x{{BN}}xi1>
  %colOkOut = tile.broadcast %colOkRow : tensor<1x{{BN}}xi1> -> tensor<{{BM}}x{{BN}}xi1>
  %outMask = arith.andi %rowOkOut, %colOkOut : tensor<{{BM}}x{{BN}}xi1>
  tile.store %outPtrs, %value#0 mask %outMask : tensor<{{BM}}x{{BN}}x!tile.ptr<f32>>, tensor<{{BM}}x{{BN}}xf32>
  {{>second_panel_store}}
  return
}
