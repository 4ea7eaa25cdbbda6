// grouped_gate_up_panel: the CPU's grouped_gate_up over expert weights in
// column panels: the first half of every routed expert over the
// expert-grouped rows of moe_plan, grid (ceil(rows/BM), ceil(I/BN)).
//
//   x         [T, H] f32        the normalized hidden states
//   row_token [rows] i32        token of each dispatch row, -1 for padding
//   offsets   [E+1] i32         expert e owns rows [offsets[e], offsets[e+1])
//   gate, up  [E, ceil(I/BN), H, BN] W   stacked gate_proj / up_proj, each
//                               expert's [I, H] in column panels
//                               (runtime/io/WeightPanels.h)
//   gate_scale, up_scale [E, ceil(I/BN)*BN] f32   int8 weights only (after
//                               gate and after up): each expert's output
//                               scales (gate_e = scale * q)
//   out       [rows, I] f32     silu(x[tok] @ gate_e^T) * (x[tok] @ up_e^T)
//   rows      i32               rows of the dispatch buffers (ROWS_MAX)
//
// Params: W (f32, bf16 or i8: widened by sitofp, the sums scaled before
// silu), E, H, I, BM (must divide the plan's BLOCK, so the BM rows of a
// program belong to one expert e, found by the binary search of
// parts/expert_of_rows), BN (the panel width, 16), GROUP (row blocks per
// group of the program order, parts/program_groups). A block past
// offsets[E], or of padding rows only, writes zeros without reading
// weights. The products are linear_panel's: per K step x[tok, k] of the BM
// rows broadcast along panel row k of gate_e and of up_e, one [BM, BN] f32
// accumulator each, stored without horizontal sums. Gate and up share the
// K loop so each core reads two weight streams (one stream stalls at every
// page of the file-mapped weights: TileHeuristics.h, kPanelGemvPanels);
// BM is 8 where two [8, 16] accumulators fit AVX-512's registers, 2 with
// AVX2 (choosePanelGroupedRows).
func.func @{{KERNEL}}(%x: !tile.ptr<f32>, %row_token: !tile.ptr<i32>,
                      %offsets: !tile.ptr<i32>, %gate: !tile.ptr<{{W}}>,{{#W=i8}}
                      %gate_scale: !tile.ptr<f32>,{{/W=i8}}
                      %up: !tile.ptr<{{W}}>,{{#W=i8}} %up_scale: !tile.ptr<f32>,{{/W=i8}}
                      %out: !tile.ptr<f32>,
                      %rows: i32) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv {{BM}}, {{I}} ceildiv {{BN}}, 1),
                               grid_symbols = ["rows"],
                               block = [{{BM}}, {{BN}}]>} {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c2 = arith.constant 2 : i32
  %cE = arith.constant {{E}} : i32
  %cH = arith.constant {{H}} : i32
  %cN = arith.constant {{I}} : i32
  %cBM = arith.constant {{BM}} : i32
  %cBN = arith.constant {{BN}} : i32
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
  // `rows` read token 0's row (valid memory) and are zeroed at the end.
  {{>dispatch_block}}

  %acc0 = arith.constant dense<0.000000e+00> : tensor<{{BM}}x{{BN}}xf32>
  %sums:2 = scf.if %work -> (tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>) {
    // Offsets of the x rows (tok * H); the panel of gate_e / up_e at
    // e * expertSize + col0 * H.
    %safeTok = arith.select %valid, %tok, %zeroTok : tensor<{{BM}}xi1>, tensor<{{BM}}xi32>
    %tokCol = tile.expand_dims %safeTok axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %hCol = tile.splat %cH : i32 -> tensor<{{BM}}x1xi32>
    %xOff = arith.muli %tokCol, %hCol : tensor<{{BM}}x1xi32>
    %expert64 = arith.extsi %search#0 : i32 to i64
    %eOff = arith.muli %expert64, %expertSize : i64
    %col064 = arith.extsi %col0 : i32 to i64
    %pOff = arith.muli %col064, %cH64 : i64
    %wOff = arith.addi %eOff, %pOff : i64
    %gateP = tile.addptr %gate, %wOff : !tile.ptr<{{W}}>, i64 -> !tile.ptr<{{W}}>
    %upP = tile.addptr %up, %wOff : !tile.ptr<{{W}}>, i64 -> !tile.ptr<{{W}}>

    // acc_g[i, :] += x[tok_i, k] * gate panel[k, :] and acc_u likewise
    // over up_e's panel, in one K loop: two weight streams per core.
    %accs:2 = scf.for %k = %c0 to %cH step %c1
        iter_args(%ag = %acc0, %au = %acc0)
        -> (tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>) : i32 {
      %xk = tile.addptr %x, %k : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %kw = arith.muli %k, %cBN : i32
      %gk = tile.addptr %gateP, %kw : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
      %uk = tile.addptr %upP, %kw : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
      %xp = tile.addptr %xk, %xOff : !tile.ptr<f32>, tensor<{{BM}}x1xi32> -> tensor<{{BM}}x1x!tile.ptr<f32>>
      %gp = tile.addptr %gk, %lanes : !tile.ptr<{{W}}>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<{{W}}>>
      %upp = tile.addptr %uk, %lanes : !tile.ptr<{{W}}>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<{{W}}>>
      %xt = tile.load %xp : tensor<{{BM}}x1x!tile.ptr<f32>> -> tensor<{{BM}}x1xf32>
      %gt = tile.load %gp : tensor<1x{{BN}}x!tile.ptr<{{W}}>> -> tensor<1x{{BN}}x{{W}}>
      %ut = tile.load %upp : tensor<1x{{BN}}x!tile.ptr<{{W}}>> -> tensor<1x{{BN}}x{{W}}>
{{#W=i8}}
      %gf = arith.sitofp %gt : tensor<1x{{BN}}xi8> to tensor<1x{{BN}}xf32>
      %uf = arith.sitofp %ut : tensor<1x{{BN}}xi8> to tensor<1x{{BN}}xf32>
{{/W=i8}}{{^W=i8}}
      %gWide = arith.extf %gt : tensor<1x{{BN}}x{{W}}> to tensor<1x{{BN}}xf64>
      %gf = arith.truncf %gWide : tensor<1x{{BN}}xf64> to tensor<1x{{BN}}xf32>
      %uWide = arith.extf %ut : tensor<1x{{BN}}x{{W}}> to tensor<1x{{BN}}xf64>
      %uf = arith.truncf %uWide : tensor<1x{{BN}}xf64> to tensor<1x{{BN}}xf32>
{{/W=i8}}
      %xB = tile.broadcast %xt : tensor<{{BM}}x1xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %gB = tile.broadcast %gf : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %uB = tile.broadcast %uf : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %ag2 = math.fma %xB, %gB, %ag : tensor<{{BM}}x{{BN}}xf32>
      %au2 = math.fma %xB, %uB, %au : tensor<{{BM}}x{{BN}}xf32>
      scf.yield %ag2, %au2 : tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>
    }
{{#W=i8}}
    // Int8 weights: the sums times expert e's scales of columns col0 + j.
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
    %accGs = arith.mulf %accs#0, %gsB : tensor<{{BM}}x{{BN}}xf32>
    %accUs = arith.mulf %accs#1, %usB : tensor<{{BM}}x{{BN}}xf32>
    scf.yield %accGs, %accUs : tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>
{{/W=i8}}{{^W=i8}}
    scf.yield %accs#0, %accs#1 : tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>
{{/W=i8}}
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
