// grouped_gate_up_panel_i4_i16: grouped_gate_up_panel_i4 with int16
// activations in integer arithmetic (docs/quantization.md, "Int4 routed
// experts"), grid (ceil(rows/BM), ceil(I/BN)).
//
//   xq        [T, H/2] i32         the tokens' hidden states as int16 pairs
//   xs        [T] f32              their scales (quantize_rows_i16)
//   row_token, offsets             as grouped_gate_up_panel (moe_plan)
//   gate, up  [E, ceil(I/BN), H/2, BN] i8   stacked gate_proj / up_proj, two
//                                  int4 values per byte: byte row j of a
//                                  panel holds inputs 2j (low nibble) and
//                                  2j + 1 (high), the pair j of xq
//   gate_scale, up_scale [E, ceil(I/BN), H/G, BN] f32   the group scales
//   out       [rows, I] f32        silu(gate) * up of each dispatch row
//   rows      i32                  rows of the dispatch buffers (ROWS_MAX)
//
// Params: E, H, I, BM (divides the plan's BLOCK: one expert per program),
// BN (16), GROUP, G (inputs per scale: divides H, even). Per byte row j the
// low and high nibbles become the two weight rows of tile.pair_dot (the
// byte loaded as both rows, each row's nibble sign-extended by shifts), so
// the activation pair j times them is one vpdpwssd per row and matrix into
// [BM, BN] i32 sums; after each group's G/2 pairs the sums go to f32 times
// the group's scales (|sum| <= G/2 * 2 * 32767 * 7 < 2^31 for G <= 128);
// gate = xs[tok] * the f32 sum, likewise up, then silu(gate) * up. A block
// past offsets[E], or of padding rows only, writes zeros without reading
// weights.
func.func @{{KERNEL}}(%xq: !tile.ptr<i32>, %xs: !tile.ptr<f32>, %row_token: !tile.ptr<i32>,
                      %offsets: !tile.ptr<i32>, %gate: !tile.ptr<i8>, %gate_scale: !tile.ptr<f32>,
                      %up: !tile.ptr<i8>, %up_scale: !tile.ptr<f32>, %out: !tile.ptr<f32>,
                      %rows: i32) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv {{BM}}, {{I}} ceildiv {{BN}}, 1),
                               grid_symbols = ["rows"],
                               block = [{{BM}}, 2, {{BN}}]>} {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c2 = arith.constant 2 : i32
  %cE = arith.constant {{E}} : i32
  %cH = arith.constant {{H}} : i32
  %cN = arith.constant {{I}} : i32
  %cBM = arith.constant {{BM}} : i32
  %cBN = arith.constant {{BN}} : i32
  %cG = arith.constant {{G}} : i32
  %cHalfG = arith.divsi %cG, %c2 : i32
  %groups = arith.divsi %cH, %cG : i32
  %cPairs = arith.divsi %cH, %c2 : i32
  // Rows (outputs) of one expert's panels: ceil(I / BN) * BN.
  %cPanels64 = arith.constant {{I}} : i64
  %cBN64 = arith.constant {{BN}} : i64
  %cH64 = arith.constant {{H}} : i64
  %c1w = arith.constant 1 : i64
  %iRound = arith.addi %cPanels64, %cBN64 : i64
  %iRound1 = arith.subi %iRound, %c1w : i64
  %panels = arith.divsi %iRound1, %cBN64 : i64
  %iPadded = arith.muli %panels, %cBN64 : i64
  %cG64 = arith.constant {{G}} : i64
  %c2w = arith.constant 2 : i64
  %rowBytes = arith.divsi %cH64, %c2w : i64
  %rowGroups = arith.divsi %cH64, %cG64 : i64

  // This program's row block %pm and panel %pn.
  {{>program_groups}}
  %row0 = arith.muli %pm, %cBM : i32
  %col0 = arith.muli %pn, %cBN : i32

  // The expert of this block: the first e with offsets[e+1] > row0.
  {{>expert_of_rows}}
  %hasExpert = arith.cmpi slt, %search#0, %cE : i32

  // Rows of the block and their tokens; padding rows (-1) and rows past
  // `rows` read token 0's pairs (valid memory) and are zeroed at the end.
  {{>dispatch_block}}

  %acc0 = arith.constant dense<0.000000e+00> : tensor<{{BM}}x{{BN}}xf32>
  %izero = arith.constant dense<0> : tensor<{{BM}}x{{BN}}xi32>
  %sums:2 = scf.if %work -> (tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>) {
    // Pairs of the tokens' rows (tok * H/2); byte row j, lane l: j*BN + l,
    // loaded as both rows of a [1, 2, BN] tile; the panels of gate_e / up_e
    // at (e * ceil(I/BN)*BN + col0) * H/2 bytes, their scales at
    // (e * ceil(I/BN)*BN + col0) * H/G.
    %safeTok = arith.select %valid, %tok, %zeroTok : tensor<{{BM}}xi1>, tensor<{{BM}}xi32>
    %tokCol = tile.expand_dims %safeTok axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %pairsCol = tile.splat %cPairs : i32 -> tensor<{{BM}}x1xi32>
    %xOff = arith.muli %tokCol, %pairsCol : tensor<{{BM}}x1xi32>
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
    %eRows = arith.muli %expert64, %iPadded : i64
    %col064 = arith.extsi %col0 : i32 to i64
    %firstRow = arith.addi %eRows, %col064 : i64
    %panelOff = arith.muli %firstRow, %rowBytes : i64
    %scaleOff = arith.muli %firstRow, %rowGroups : i64
    %gateP = tile.addptr %gate, %panelOff : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
    %upP = tile.addptr %up, %panelOff : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
    %gateS = tile.addptr %gate_scale, %scaleOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %upS = tile.addptr %up_scale, %scaleOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

    // Group by group (gate and up side by side): the pairs' i32 sums, then
    // f32 times the group's scales.
    %all:2 = scf.for %g = %c0 to %groups step %c1
        iter_args(%fg = %acc0, %fu = %acc0) -> (tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>) : i32 {
      %p0 = arith.muli %g, %cHalfG : i32
      %pEnd = arith.addi %p0, %cHalfG : i32
      %chunk:2 = scf.for %kp = %p0 to %pEnd step %c1
          iter_args(%ag = %izero, %au = %izero) -> (tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x{{BN}}xi32>) : i32 {
        %xk = tile.addptr %xq, %kp : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
        %xp = tile.addptr %xk, %xOff : !tile.ptr<i32>, tensor<{{BM}}x1xi32> -> tensor<{{BM}}x1x!tile.ptr<i32>>
        %xt = tile.load %xp : tensor<{{BM}}x1x!tile.ptr<i32>> -> tensor<{{BM}}x1xi32>
        %xB = tile.broadcast %xt : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BN}}xi32>
        %kw = arith.muli %kp, %cBN : i32
        %gk = tile.addptr %gateP, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
        %uk = tile.addptr %upP, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
        %gp = tile.addptr %gk, %wOff : !tile.ptr<i8>, tensor<1x2x{{BN}}xi32> -> tensor<1x2x{{BN}}x!tile.ptr<i8>>
        %up2 = tile.addptr %uk, %wOff : !tile.ptr<i8>, tensor<1x2x{{BN}}xi32> -> tensor<1x2x{{BN}}x!tile.ptr<i8>>
        %gb = tile.load %gp : tensor<1x2x{{BN}}x!tile.ptr<i8>> -> tensor<1x2x{{BN}}xi8>
        %ub = tile.load %up2 : tensor<1x2x{{BN}}x!tile.ptr<i8>> -> tensor<1x2x{{BN}}xi8>
        // Low nibble: shifted to the top and back; high: the arithmetic
        // shift alone.
        %gShift = arith.shli %gb, %four : tensor<1x2x{{BN}}xi8>
        %gLo = arith.shrsi %gShift, %four : tensor<1x2x{{BN}}xi8>
        %gHi = arith.shrsi %gb, %four : tensor<1x2x{{BN}}xi8>
        %gt = arith.select %isHigh, %gHi, %gLo : tensor<1x2x{{BN}}xi1>, tensor<1x2x{{BN}}xi8>
        %uShift = arith.shli %ub, %four : tensor<1x2x{{BN}}xi8>
        %uLo = arith.shrsi %uShift, %four : tensor<1x2x{{BN}}xi8>
        %uHi = arith.shrsi %ub, %four : tensor<1x2x{{BN}}xi8>
        %ut = arith.select %isHigh, %uHi, %uLo : tensor<1x2x{{BN}}xi1>, tensor<1x2x{{BN}}xi8>
        %gB = tile.broadcast %gt : tensor<1x2x{{BN}}xi8> -> tensor<{{BM}}x2x{{BN}}xi8>
        %uB = tile.broadcast %ut : tensor<1x2x{{BN}}xi8> -> tensor<{{BM}}x2x{{BN}}xi8>
        %ag2 = tile.pair_dot %xB, %gB, %ag : tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x2x{{BN}}xi8>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
        %au2 = tile.pair_dot %xB, %uB, %au : tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x2x{{BN}}xi8>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
        scf.yield %ag2, %au2 : tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x{{BN}}xi32>
      }
      %gw = arith.muli %g, %cBN : i32
      %gsRow = tile.addptr %gateS, %gw : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %usRow = tile.addptr %upS, %gw : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %gsp = tile.addptr %gsRow, %lanes : !tile.ptr<f32>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<f32>>
      %usp = tile.addptr %usRow, %lanes : !tile.ptr<f32>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<f32>>
      %gs = tile.load %gsp : tensor<1x{{BN}}x!tile.ptr<f32>> -> tensor<1x{{BN}}xf32>
      %us = tile.load %usp : tensor<1x{{BN}}x!tile.ptr<f32>> -> tensor<1x{{BN}}xf32>
      %gsB = tile.broadcast %gs : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %usB = tile.broadcast %us : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %gF = arith.sitofp %chunk#0 : tensor<{{BM}}x{{BN}}xi32> to tensor<{{BM}}x{{BN}}xf32>
      %uF = arith.sitofp %chunk#1 : tensor<{{BM}}x{{BN}}xi32> to tensor<{{BM}}x{{BN}}xf32>
      %fg2 = math.fma %gF, %gsB, %fg : tensor<{{BM}}x{{BN}}xf32>
      %fu2 = math.fma %uF, %usB, %fu : tensor<{{BM}}x{{BN}}xf32>
      scf.yield %fg2, %fu2 : tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>
    }

    // The tokens' scales (rows).
    %xsp = tile.addptr %xs, %tokCol : !tile.ptr<f32>, tensor<{{BM}}x1xi32> -> tensor<{{BM}}x1x!tile.ptr<f32>>
    %xst = tile.load %xsp : tensor<{{BM}}x1x!tile.ptr<f32>> -> tensor<{{BM}}x1xf32>
    %xsB = tile.broadcast %xst : tensor<{{BM}}x1xf32> -> tensor<{{BM}}x{{BN}}xf32>
    %gOut = arith.mulf %all#0, %xsB : tensor<{{BM}}x{{BN}}xf32>
    %uOut = arith.mulf %all#1, %xsB : tensor<{{BM}}x{{BN}}xf32>
    scf.yield %gOut, %uOut : tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>
  } else {
    scf.yield %acc0, %acc0 : tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>
  }

  // silu(gate) * up.
  %act = tile.silu %sums#0 : tensor<{{BM}}x{{BN}}xf32>
  %value = arith.mulf %act, %sums#1 : tensor<{{BM}}x{{BN}}xf32>

  // out[r, n] for the rows and columns in range; padding rows get 0.
  %validCol = tile.expand_dims %valid axis 1 : tensor<{{BM}}xi1> -> tensor<{{BM}}x1xi1>
  %validOut = tile.broadcast %validCol : tensor<{{BM}}x1xi1> -> tensor<{{BM}}x{{BN}}xi1>
  %result = arith.select %validOut, %value, %acc0 : tensor<{{BM}}x{{BN}}xi1>, tensor<{{BM}}x{{BN}}xf32>
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
  tile.store %outPtrs, %result mask %outMask : tensor<{{BM}}x{{BN}}x!tile.ptr<f32>>, tensor<{{BM}}x{{BN}}xf32>
  return
}
