// grouped_gate_up_panel_i16: grouped_gate_up_panel for int8 expert weights
// with int16 activations in integer arithmetic (docs/quantization.md,
// "int16 activations"), grid (ceil(rows/BM), ceil(I/BN)).
//
//   xq        [T, ceil(H/2)] i32   the tokens' hidden states as int16 pairs
//   xs        [T] f32              their scales (quantize_rows_i16)
//   row_token, offsets             as grouped_gate_up_panel (moe_plan)
//   gate, up  [E, ceil(I/BN), H, BN] i8   stacked gate_proj / up_proj panels
//   gate_scale, up_scale [E, ceil(I/BN)*BN] f32   their output scales
//   out       [rows, I] f32        silu(gate) * up of each dispatch row
//   rows      i32                  rows of the dispatch buffers (ROWS_MAX)
//
// Params: E, H, I, BM (divides the plan's BLOCK: one expert per program),
// BN (16), GROUP, CHUNK (K pairs between flushes of the i32 sums, <= 128).
// One K loop over pairs feeds both products: the BM rows' activation pairs
// (each token's, broadcast along the panel) times the pair's two rows of
// gate_e and of up_e (tile.pair_dot: one vpdpwssd per row and matrix), two
// [BM, BN] i32 sums flushed into f32 every CHUNK pairs; then
// gate = xs[tok] * gate_scale * sum, likewise up, and silu(gate) * up. An
// odd H's last row pairs with a zero activation (its partner row masked).
// A block past offsets[E], or of padding rows only, writes zeros without
// reading weights.
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
  %cChunk = arith.constant {{CHUNK}} : i32
  %hPlus = arith.addi %cH, %c1 : i32
  %cPairs = arith.divsi %hPlus, %c2 : i32
  %pairsWhole = arith.divsi %cH, %c2 : i32
  // One expert's panels: ceil(I / BN) * BN * H elements.
  %cPanels64 = arith.constant {{I}} : i64
  %cBN64 = arith.constant {{BN}} : i64
  %cH64 = arith.constant {{H}} : i64
  %c1w = arith.constant 1 : i64
  %iRound = arith.addi %cPanels64, %cBN64 : i64
  %iRound1 = arith.subi %iRound, %c1w : i64
  %panels = arith.divsi %iRound1, %cBN64 : i64
  %iPadded = arith.muli %panels, %cBN64 : i64
  %expertSize = arith.muli %iPadded, %cH64 : i64

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
    // Pairs of the tokens' rows (tok * ceil(H/2)); the pair's two panel
    // rows, lane j: t*BN + j ([1, 2, BN]); the panel of gate_e / up_e at
    // e * expertSize + col0 * H.
    %safeTok = arith.select %valid, %tok, %zeroTok : tensor<{{BM}}xi1>, tensor<{{BM}}xi32>
    %tokCol = tile.expand_dims %safeTok axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %pairsCol = tile.splat %cPairs : i32 -> tensor<{{BM}}x1xi32>
    %xOff = arith.muli %tokCol, %pairsCol : tensor<{{BM}}x1xi32>
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
    %pOff = arith.muli %col064, %cH64 : i64
    %panelOff = arith.addi %eOff, %pOff : i64
    %gateP = tile.addptr %gate, %panelOff : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
    %upP = tile.addptr %up, %panelOff : !tile.ptr<i8>, i64 -> !tile.ptr<i8>

    // Whole pairs in chunks (gate and up side by side), then the odd row.
    %whole:2 = scf.for %c = %c0 to %pairsWhole step %cChunk
        iter_args(%fg = %acc0, %fu = %acc0) -> (tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>) : i32 {
      %cNext = arith.addi %c, %cChunk : i32
      %cEnd = arith.minsi %cNext, %pairsWhole : i32
      %chunk:2 = scf.for %kp = %c to %cEnd step %c1
          iter_args(%ag = %izero, %au = %izero) -> (tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x{{BN}}xi32>) : i32 {
        %xk = tile.addptr %xq, %kp : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
        %xp = tile.addptr %xk, %xOff : !tile.ptr<i32>, tensor<{{BM}}x1xi32> -> tensor<{{BM}}x1x!tile.ptr<i32>>
        %xt = tile.load %xp : tensor<{{BM}}x1x!tile.ptr<i32>> -> tensor<{{BM}}x1xi32>
        %xB = tile.broadcast %xt : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BN}}xi32>
        %kRow = arith.muli %kp, %c2 : i32
        %kw = arith.muli %kRow, %cBN : i32
        %gk = tile.addptr %gateP, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
        %uk = tile.addptr %upP, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
        %gp = tile.addptr %gk, %wOff : !tile.ptr<i8>, tensor<1x2x{{BN}}xi32> -> tensor<1x2x{{BN}}x!tile.ptr<i8>>
        %up2 = tile.addptr %uk, %wOff : !tile.ptr<i8>, tensor<1x2x{{BN}}xi32> -> tensor<1x2x{{BN}}x!tile.ptr<i8>>
        %gt = tile.load %gp : tensor<1x2x{{BN}}x!tile.ptr<i8>> -> tensor<1x2x{{BN}}xi8>
        %ut = tile.load %up2 : tensor<1x2x{{BN}}x!tile.ptr<i8>> -> tensor<1x2x{{BN}}xi8>
        %gB = tile.broadcast %gt : tensor<1x2x{{BN}}xi8> -> tensor<{{BM}}x2x{{BN}}xi8>
        %uB = tile.broadcast %ut : tensor<1x2x{{BN}}xi8> -> tensor<{{BM}}x2x{{BN}}xi8>
        %ag2 = tile.pair_dot %xB, %gB, %ag : tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x2x{{BN}}xi8>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
        %au2 = tile.pair_dot %xB, %uB, %au : tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x2x{{BN}}xi8>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
        scf.yield %ag2, %au2 : tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x{{BN}}xi32>
      }
      %gF = arith.sitofp %chunk#0 : tensor<{{BM}}x{{BN}}xi32> to tensor<{{BM}}x{{BN}}xf32>
      %uF = arith.sitofp %chunk#1 : tensor<{{BM}}x{{BN}}xi32> to tensor<{{BM}}x{{BN}}xf32>
      %fg2 = arith.addf %fg, %gF : tensor<{{BM}}x{{BN}}xf32>
      %fu2 = arith.addf %fu, %uF : tensor<{{BM}}x{{BN}}xf32>
      scf.yield %fg2, %fu2 : tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>
    }
    %all:2 = scf.for %kp = %pairsWhole to %cPairs step %c1
        iter_args(%fg = %whole#0, %fu = %whole#1) -> (tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>) : i32 {
      %xk = tile.addptr %xq, %kp : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
      %xp = tile.addptr %xk, %xOff : !tile.ptr<i32>, tensor<{{BM}}x1xi32> -> tensor<{{BM}}x1x!tile.ptr<i32>>
      %xt = tile.load %xp : tensor<{{BM}}x1x!tile.ptr<i32>> -> tensor<{{BM}}x1xi32>
      %xB = tile.broadcast %xt : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BN}}xi32>
      %kRow = arith.muli %kp, %c2 : i32
      %rowsLeft = arith.subi %cH, %kRow : i32
      %rowsLeftV = tile.splat %rowsLeft : i32 -> tensor<1x2x{{BN}}xi32>
      %wMask = arith.cmpi slt, %tRowB, %rowsLeftV : tensor<1x2x{{BN}}xi32>
      %kw = arith.muli %kRow, %cBN : i32
      %gk = tile.addptr %gateP, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
      %uk = tile.addptr %upP, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
      %gp = tile.addptr %gk, %wOff : !tile.ptr<i8>, tensor<1x2x{{BN}}xi32> -> tensor<1x2x{{BN}}x!tile.ptr<i8>>
      %up2 = tile.addptr %uk, %wOff : !tile.ptr<i8>, tensor<1x2x{{BN}}xi32> -> tensor<1x2x{{BN}}x!tile.ptr<i8>>
      %gt = tile.load %gp mask %wMask : tensor<1x2x{{BN}}x!tile.ptr<i8>> -> tensor<1x2x{{BN}}xi8>
      %ut = tile.load %up2 mask %wMask : tensor<1x2x{{BN}}x!tile.ptr<i8>> -> tensor<1x2x{{BN}}xi8>
      %gB = tile.broadcast %gt : tensor<1x2x{{BN}}xi8> -> tensor<{{BM}}x2x{{BN}}xi8>
      %uB = tile.broadcast %ut : tensor<1x2x{{BN}}xi8> -> tensor<{{BM}}x2x{{BN}}xi8>
      %ag = tile.pair_dot %xB, %gB, %izero : tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x2x{{BN}}xi8>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
      %au = tile.pair_dot %xB, %uB, %izero : tensor<{{BM}}x{{BN}}xi32>, tensor<{{BM}}x2x{{BN}}xi8>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
      %gF = arith.sitofp %ag : tensor<{{BM}}x{{BN}}xi32> to tensor<{{BM}}x{{BN}}xf32>
      %uF = arith.sitofp %au : tensor<{{BM}}x{{BN}}xi32> to tensor<{{BM}}x{{BN}}xf32>
      %fg2 = arith.addf %fg, %gF : tensor<{{BM}}x{{BN}}xf32>
      %fu2 = arith.addf %fu, %uF : tensor<{{BM}}x{{BN}}xf32>
      scf.yield %fg2, %fu2 : tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>
    }

    // Scales: the token's (rows) and expert e's of columns col0 + j.
    %xsp = tile.addptr %xs, %tokCol : !tile.ptr<f32>, tensor<{{BM}}x1xi32> -> tensor<{{BM}}x1x!tile.ptr<f32>>
    %xst = tile.load %xsp : tensor<{{BM}}x1x!tile.ptr<f32>> -> tensor<{{BM}}x1xf32>
    %xsB = tile.broadcast %xst : tensor<{{BM}}x1xf32> -> tensor<{{BM}}x{{BN}}xf32>
    %sBase = arith.muli %expert64, %iPadded : i64
    %sBlock = arith.addi %sBase, %col064 : i64
    %gsRow = tile.addptr %gate_scale, %sBlock : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %usRow = tile.addptr %up_scale, %sBlock : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %gsp = tile.addptr %gsRow, %lanes : !tile.ptr<f32>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<f32>>
    %usp = tile.addptr %usRow, %lanes : !tile.ptr<f32>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<f32>>
    %gs = tile.load %gsp : tensor<1x{{BN}}x!tile.ptr<f32>> -> tensor<1x{{BN}}xf32>
    %us = tile.load %usp : tensor<1x{{BN}}x!tile.ptr<f32>> -> tensor<1x{{BN}}xf32>
    %gsB = tile.broadcast %gs : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
    %usB = tile.broadcast %us : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
    %gRow = arith.mulf %all#0, %xsB : tensor<{{BM}}x{{BN}}xf32>
    %uRow = arith.mulf %all#1, %xsB : tensor<{{BM}}x{{BN}}xf32>
    %gOut = arith.mulf %gRow, %gsB : tensor<{{BM}}x{{BN}}xf32>
    %uOut = arith.mulf %uRow, %usB : tensor<{{BM}}x{{BN}}xf32>
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
