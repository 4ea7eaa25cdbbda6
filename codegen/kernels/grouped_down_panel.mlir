// grouped_down_panel: the CPU's grouped_down over expert weights in column
// panels: the second half of every routed expert over the expert-grouped
// rows of moe_plan, grid (ceil(rows/BM), ceil(H/(2*BN))).
//
//   h         [rows, I] f32   grouped_gate_up_panel's output (padding rows 0)
//   row_token [rows] i32      token of each dispatch row, -1 for padding
//   offsets   [E+1] i32       expert e owns rows [offsets[e], offsets[e+1])
//   down      [E, ceil(H/BN), I, BN] W   stacked down_proj, each expert's
//                             [H, I] in column panels
//                             (runtime/io/WeightPanels.h)
//   down_scale [E, ceil(H/BN)*BN] f32   int8 weights only: each expert's
//                             output scales (down_e = scale * q)
//   out       [rows, H] f32   h[r] @ down_e^T (0 on padding rows)
//   rows      i32             rows of the dispatch buffers (ROWS_MAX)
//
// Params as grouped_gate_up_panel (W f32, bf16 or i8; BM divides the plan's
// BLOCK; BN is the panel width). A block past offsets[E], or of padding
// rows only, writes zeros without reading weights. A program owns two
// neighbouring panels of down_e (columns col0 .. col0+2*BN-1), read side by
// side in one K loop: two weight streams per core, as grouped_gate_up_panel
// reads gate and up (one stream stalls at every page of the file-mapped
// weights). Per K step h[r, k] of the BM rows (rows past `rows` read row
// rows - 1) broadcast along panel row k of both panels into two [BM, BN]
// f32 accumulators, stored as they are (BM 8 with AVX-512, 2 with AVX2:
// choosePanelGroupedRows). Where H has an odd number of panels
// the last program's second panel is clamped to the last one (read, not
// stored).
func.func @{{KERNEL}}(%h: !tile.ptr<f32>, %row_token: !tile.ptr<i32>,
                      %offsets: !tile.ptr<i32>, %down: !tile.ptr<{{W}}>,{{#W=i8}}
                      %down_scale: !tile.ptr<f32>,{{/W=i8}}
                      %out: !tile.ptr<f32>, %rows: i32) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv {{BM}}, {{H}} ceildiv (2 * {{BN}}), 1),
                               grid_symbols = ["rows"],
                               block = [{{BM}}, {{BN}}]>} {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c2 = arith.constant 2 : i32
  %cE = arith.constant {{E}} : i32
  %cI = arith.constant {{I}} : i32
  %cN = arith.constant {{H}} : i32
  %cBM = arith.constant {{BM}} : i32
  %cBN = arith.constant {{BN}} : i32
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
  %value:2 = scf.if %work -> (tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>) {
    // Offsets of the h rows (r * I, r clamped below `rows`); the panel of
    // down_e at e * expertSize + col0 * I.
    %rowsLast = arith.subi %rows, %c1 : i32
    %rowsLastV = tile.splat %rowsLast : i32 -> tensor<{{BM}}xi32>
    %rowIn = arith.minsi %rm, %rowsLastV : tensor<{{BM}}xi32>
    %rowCol = tile.expand_dims %rowIn axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %iCol = tile.splat %cI : i32 -> tensor<{{BM}}x1xi32>
    %hOff = arith.muli %rowCol, %iCol : tensor<{{BM}}x1xi32>
    %expert64 = arith.extsi %search#0 : i32 to i64
    %eOff = arith.muli %expert64, %expertSize : i64
    %col064 = arith.extsi %col0 : i32 to i64
    %readCol164 = arith.extsi %readCol1 : i32 to i64
    %pOff0 = arith.muli %col064, %cI64 : i64
    %pOff1 = arith.muli %readCol164, %cI64 : i64
    %wOff0 = arith.addi %eOff, %pOff0 : i64
    %wOff1 = arith.addi %eOff, %pOff1 : i64
    %downP0 = tile.addptr %down, %wOff0 : !tile.ptr<{{W}}>, i64 -> !tile.ptr<{{W}}>
    %downP1 = tile.addptr %down, %wOff1 : !tile.ptr<{{W}}>, i64 -> !tile.ptr<{{W}}>

    // acc_p[i, :] += h[r_i, k] * panel p of down_e [k, :], p = 0, 1.
    %accD:2 = scf.for %k = %c0 to %cI step %c1
        iter_args(%a = %acc0, %b = %acc0)
        -> (tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>) : i32 {
      %xk = tile.addptr %h, %k : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %kw = arith.muli %k, %cBN : i32
      %wk0 = tile.addptr %downP0, %kw : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
      %wk1 = tile.addptr %downP1, %kw : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
      %xp = tile.addptr %xk, %hOff : !tile.ptr<f32>, tensor<{{BM}}x1xi32> -> tensor<{{BM}}x1x!tile.ptr<f32>>
      %wp0 = tile.addptr %wk0, %lanes : !tile.ptr<{{W}}>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<{{W}}>>
      %wp1 = tile.addptr %wk1, %lanes : !tile.ptr<{{W}}>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<{{W}}>>
      %xt = tile.load %xp : tensor<{{BM}}x1x!tile.ptr<f32>> -> tensor<{{BM}}x1xf32>
      %wt0 = tile.load %wp0 : tensor<1x{{BN}}x!tile.ptr<{{W}}>> -> tensor<1x{{BN}}x{{W}}>
      %wt1 = tile.load %wp1 : tensor<1x{{BN}}x!tile.ptr<{{W}}>> -> tensor<1x{{BN}}x{{W}}>
{{#W=i8}}
      %wf0 = arith.sitofp %wt0 : tensor<1x{{BN}}xi8> to tensor<1x{{BN}}xf32>
      %wf1 = arith.sitofp %wt1 : tensor<1x{{BN}}xi8> to tensor<1x{{BN}}xf32>
{{/W=i8}}{{^W=i8}}
      %wWide0 = arith.extf %wt0 : tensor<1x{{BN}}x{{W}}> to tensor<1x{{BN}}xf64>
      %wf0 = arith.truncf %wWide0 : tensor<1x{{BN}}xf64> to tensor<1x{{BN}}xf32>
      %wWide1 = arith.extf %wt1 : tensor<1x{{BN}}x{{W}}> to tensor<1x{{BN}}xf64>
      %wf1 = arith.truncf %wWide1 : tensor<1x{{BN}}xf64> to tensor<1x{{BN}}xf32>
{{/W=i8}}
      %xB = tile.broadcast %xt : tensor<{{BM}}x1xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %wB0 = tile.broadcast %wf0 : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %wB1 = tile.broadcast %wf1 : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %a2 = math.fma %xB, %wB0, %a : tensor<{{BM}}x{{BN}}xf32>
      %b2 = math.fma %xB, %wB1, %b : tensor<{{BM}}x{{BN}}xf32>
      scf.yield %a2, %b2 : tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>
    }
{{#W=i8}}
    // Int8 weights: the sums times expert e's scales of the panels' columns.
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
    %accD0s = arith.mulf %accD#0, %sB0 : tensor<{{BM}}x{{BN}}xf32>
    %accD1s = arith.mulf %accD#1, %sB1 : tensor<{{BM}}x{{BN}}xf32>
    scf.yield %accD0s, %accD1s : tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>
{{/W=i8}}{{^W=i8}}
    scf.yield %accD#0, %accD#1 : tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>
{{/W=i8}}
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
