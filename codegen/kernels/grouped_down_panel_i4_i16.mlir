// grouped_down_panel_i4_i16: grouped_down_panel_i4 with int16 activations
// in integer arithmetic (docs/quantization.md, "Int4 routed experts"), grid
// (ceil(rows/BM), ceil(H/(2*BN))).
//
//   hq         [rows, I/2] i32   the dispatch rows as int16 pairs
//   hs         [rows] f32        their scales (quantize_rows_i16)
//   row_token, offsets           as grouped_down_panel (moe_plan)
//   down       [E, ceil(H/BN), I/2, BN] i8   stacked down_proj, two int4
//                                values per byte: byte row j of a panel
//                                holds inputs 2j (low nibble) and 2j + 1
//                                (high), the pair j of hq
//   down_scale [E, ceil(H/BN), I/G, BN] f32   the group scales
//   out        [rows, H] f32     h[r] @ down_e^T (0 on padding rows)
//   rows       i32               rows of the dispatch buffers (ROWS_MAX)
//
// Params as grouped_gate_up_panel_i4_i16 (G divides I): per byte row the
// nibbles are the two weight rows of tile.pair_dot, the i32 sums go to f32
// times the group's scales after each group, then times hs[r]. A program
// owns two neighbouring panels, read side by side in one K loop (two
// weight streams, as grouped_down_panel; the last program's second panel
// clamped where H has an odd number of panels, read and not stored).
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
  %cG = arith.constant {{G}} : i32
  %cHalfG = arith.divsi %cG, %c2 : i32
  %groups = arith.divsi %cI, %cG : i32
  %cPairs = arith.divsi %cI, %c2 : i32
  // Rows (outputs) of one expert's panels: ceil(H / BN) * BN.
  %cH64 = arith.constant {{H}} : i64
  %cBN64 = arith.constant {{BN}} : i64
  %cI64 = arith.constant {{I}} : i64
  %c1w = arith.constant 1 : i64
  %hRound = arith.addi %cH64, %cBN64 : i64
  %hRound1 = arith.subi %hRound, %c1w : i64
  %panels = arith.divsi %hRound1, %cBN64 : i64
  %hPadded = arith.muli %panels, %cBN64 : i64
  %cG64 = arith.constant {{G}} : i64
  %c2w = arith.constant 2 : i64
  %rowBytes = arith.divsi %cI64, %c2w : i64
  %rowGroups = arith.divsi %cI64, %cG64 : i64

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
    // Pairs of the rows (r * I/2, r clamped below `rows`); byte row j,
    // lane l: j*BN + l, loaded as both rows of a [1, 2, BN] tile; the
    // panel of down_e at (e * ceil(H/BN)*BN + col0) * I/2 bytes, its scales
    // at (e * ceil(H/BN)*BN + col0) * I/G.
    %rowsLast = arith.subi %rows, %c1 : i32
    %rowsLastV = tile.splat %rowsLast : i32 -> tensor<{{BM}}xi32>
    %rowIn = arith.minsi %rm, %rowsLastV : tensor<{{BM}}xi32>
    %rowCol = tile.expand_dims %rowIn axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %pairsCol = tile.splat %cPairs : i32 -> tensor<{{BM}}x1xi32>
    %hOff = arith.muli %rowCol, %pairsCol : tensor<{{BM}}x1xi32>
    %lanes2 = tile.broadcast %lanes : tensor<1x{{BN}}xi32> -> tensor<2x{{BN}}xi32>
    %wOff = tile.expand_dims %lanes2 axis 0 : tensor<2x{{BN}}xi32> -> tensor<1x2x{{BN}}xi32>
    // Row 0 of a pair takes the low nibble, row 1 the high one.
    %rt = tile.range <0, 2> : tensor<2xi32>
    %rtCol = tile.expand_dims %rt axis 1 : tensor<2xi32> -> tensor<2x1xi32>
    %rtRow = tile.expand_dims %rtCol axis 0 : tensor<2x1xi32> -> tensor<1x2x1xi32>
    %rtB = tile.broadcast %rtRow : tensor<1x2x1xi32> -> tensor<1x2x{{BN}}xi32>
    %oneV = tile.splat %c1 : i32 -> tensor<1x2x{{BN}}xi32>
    %isHigh = arith.cmpi eq, %rtB, %oneV : tensor<1x2x{{BN}}xi32>
    %four = arith.constant dense<4> : tensor<1x2x{{BN}}xi8>
    %expert64 = arith.extsi %search#0 : i32 to i64
    %eRows = arith.muli %expert64, %hPadded : i64
    %col064 = arith.extsi %col0 : i32 to i64
    %readCol164 = arith.extsi %readCol1 : i32 to i64
    %firstRow0 = arith.addi %eRows, %col064 : i64
    %firstRow1 = arith.addi %eRows, %readCol164 : i64
    %panelOff0 = arith.muli %firstRow0, %rowBytes : i64
    %panelOff1 = arith.muli %firstRow1, %rowBytes : i64
    %scaleOff0 = arith.muli %firstRow0, %rowGroups : i64
    %scaleOff1 = arith.muli %firstRow1, %rowGroups : i64
    %downP0 = tile.addptr %down, %panelOff0 : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
    %downP1 = tile.addptr %down, %panelOff1 : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
    %downS0 = tile.addptr %down_scale, %scaleOff0 : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %downS1 = tile.addptr %down_scale, %scaleOff1 : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

    // Group by group, both panels side by side: the pairs' i32 sums, then
    // f32 times the group's scales.
    %all:2 = scf.for %g = %c0 to %groups step %c1
        iter_args(%f = %acc0, %h = %acc0)
        -> (tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>) : i32 {
      %p0 = arith.muli %g, %cHalfG : i32
      %pEnd = arith.addi %p0, %cHalfG : i32
      %chunk:2 = scf.for %kp = %p0 to %pEnd step %c1
          iter_args(%a = %izero, %b = %izero)
          -> (tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x{{BN}}xi32>) : i32 {
        %xk = tile.addptr %hq, %kp : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
        %xp = tile.addptr %xk, %hOff : !tile.ptr<i32>, tensor<{{BM}}x1xi32> -> tensor<{{BM}}x1x!tile.ptr<i32>>
        %xt = tile.load %xp : tensor<{{BM}}x1x!tile.ptr<i32>> -> tensor<{{BM}}x1xi32>
        %xB = tile.broadcast %xt : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BN}}xi32>
        %kw = arith.muli %kp, %cBN : i32
        %dk0 = tile.addptr %downP0, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
        %dk1 = tile.addptr %downP1, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
        %dp0 = tile.addptr %dk0, %wOff : !tile.ptr<i8>, tensor<1x2x{{BN}}xi32> -> tensor<1x2x{{BN}}x!tile.ptr<i8>>
        %dp1 = tile.addptr %dk1, %wOff : !tile.ptr<i8>, tensor<1x2x{{BN}}xi32> -> tensor<1x2x{{BN}}x!tile.ptr<i8>>
        %db0 = tile.load %dp0 : tensor<1x2x{{BN}}x!tile.ptr<i8>> -> tensor<1x2x{{BN}}xi8>
        %db1 = tile.load %dp1 : tensor<1x2x{{BN}}x!tile.ptr<i8>> -> tensor<1x2x{{BN}}xi8>
        // Low nibble: shifted to the top and back; high: the arithmetic
        // shift alone.
        %dShift0 = arith.shli %db0, %four : tensor<1x2x{{BN}}xi8>
        %dLo0 = arith.shrsi %dShift0, %four : tensor<1x2x{{BN}}xi8>
        %dHi0 = arith.shrsi %db0, %four : tensor<1x2x{{BN}}xi8>
        %dt0 = arith.select %isHigh, %dHi0, %dLo0 : tensor<1x2x{{BN}}xi1>, tensor<1x2x{{BN}}xi8>
        %dShift1 = arith.shli %db1, %four : tensor<1x2x{{BN}}xi8>
        %dLo1 = arith.shrsi %dShift1, %four : tensor<1x2x{{BN}}xi8>
        %dHi1 = arith.shrsi %db1, %four : tensor<1x2x{{BN}}xi8>
        %dt1 = arith.select %isHigh, %dHi1, %dLo1 : tensor<1x2x{{BN}}xi1>, tensor<1x2x{{BN}}xi8>
        %dB0 = tile.broadcast %dt0 : tensor<1x2x{{BN}}xi8> -> tensor<{{BM}}x2x{{BN}}xi8>
        %dB1 = tile.broadcast %dt1 : tensor<1x2x{{BN}}xi8> -> tensor<{{BM}}x2x{{BN}}xi8>
        %a2 = tile.pair_dot %xB, %dB0, %a : tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x2x{{BN}}xi8>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
        %b2 = tile.pair_dot %xB, %dB1, %b : tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x2x{{BN}}xi8>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
        scf.yield %a2, %b2 : tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x{{BN}}xi32>
      }
      %gw = arith.muli %g, %cBN : i32
      %sRow0 = tile.addptr %downS0, %gw : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %sRow1 = tile.addptr %downS1, %gw : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %sp0 = tile.addptr %sRow0, %lanes : !tile.ptr<f32>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<f32>>
      %sp1 = tile.addptr %sRow1, %lanes : !tile.ptr<f32>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<f32>>
      %st0 = tile.load %sp0 : tensor<1x{{BN}}x!tile.ptr<f32>> -> tensor<1x{{BN}}xf32>
      %st1 = tile.load %sp1 : tensor<1x{{BN}}x!tile.ptr<f32>> -> tensor<1x{{BN}}xf32>
      %sB0 = tile.broadcast %st0 : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %sB1 = tile.broadcast %st1 : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %cF0 = arith.sitofp %chunk#0 : tensor<{{BM}}x{{BN}}xi32> to tensor<{{BM}}x{{BN}}xf32>
      %cF1 = arith.sitofp %chunk#1 : tensor<{{BM}}x{{BN}}xi32> to tensor<{{BM}}x{{BN}}xf32>
      %f2 = math.fma %cF0, %sB0, %f : tensor<{{BM}}x{{BN}}xf32>
      %h2 = math.fma %cF1, %sB1, %h : tensor<{{BM}}x{{BN}}xf32>
      scf.yield %f2, %h2 : tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>
    }

    // The rows' scales.
    %hsp = tile.addptr %hs, %rowCol : !tile.ptr<f32>, tensor<{{BM}}x1xi32> -> tensor<{{BM}}x1x!tile.ptr<f32>>
    %hst = tile.load %hsp : tensor<{{BM}}x1x!tile.ptr<f32>> -> tensor<{{BM}}x1xf32>
    %hsB = tile.broadcast %hst : tensor<{{BM}}x1xf32> -> tensor<{{BM}}x{{BN}}xf32>
    %scaled0 = arith.mulf %all#0, %hsB : tensor<{{BM}}x{{BN}}xf32>
    %scaled1 = arith.mulf %all#1, %hsB : tensor<{{BM}}x{{BN}}xf32>
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
