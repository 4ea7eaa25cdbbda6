// grouped_down_panel: the CPU's grouped_down over expert weights in column
// panels: the second half of every routed expert over the expert-grouped
// rows of moe_plan, grid (ceil(rows/BM), ceil(H/BN)).
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
// Params as grouped_gate_up_panel (W f32, bf16 or i8; BM divides the plan's BLOCK; BN is the
// panel width). A block past offsets[E], or of padding rows only, writes
// zeros without reading weights. Per K step h[r, k] of the BM rows (rows
// past `rows` read row rows - 1) broadcast along panel row k of down_e into
// a [BM, BN] f32 accumulator, stored as it is.
func.func @{{KERNEL}}(%h: !tile.ptr<f32>, %row_token: !tile.ptr<i32>,
                      %offsets: !tile.ptr<i32>, %down: !tile.ptr<{{W}}>,{{#W=i8}}
                      %down_scale: !tile.ptr<f32>,{{/W=i8}}
                      %out: !tile.ptr<f32>, %rows: i32) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv {{BM}}, {{H}} ceildiv {{BN}}, 1),
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

  // This program's row block %pm and panel %pn.
  {{>program_groups}}
  %row0 = arith.muli %pm, %cBM : i32
  %col0 = arith.muli %pn, %cBN : i32

  // The expert of this block: the first e with offsets[e+1] > row0.
  {{>expert_of_rows}}
  %hasExpert = arith.cmpi slt, %search#0, %cE : i32

  // Rows of the block and their tokens; padding rows of h are 0.
  {{>dispatch_block}}

  %acc0 = arith.constant dense<0.000000e+00> : tensor<{{BM}}x{{BN}}xf32>
  %value = scf.if %work -> (tensor<{{BM}}x{{BN}}xf32>) {
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
    %pOff = arith.muli %col064, %cI64 : i64
    %wOff = arith.addi %eOff, %pOff : i64
    %downP = tile.addptr %down, %wOff : !tile.ptr<{{W}}>, i64 -> !tile.ptr<{{W}}>

    // acc[i, :] += h[r_i, k] * down panel[k, :].
    %accD = scf.for %k = %c0 to %cI step %c1
        iter_args(%a = %acc0) -> (tensor<{{BM}}x{{BN}}xf32>) : i32 {
      %xk = tile.addptr %h, %k : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %kw = arith.muli %k, %cBN : i32
      %wk = tile.addptr %downP, %kw : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
      %xp = tile.addptr %xk, %hOff : !tile.ptr<f32>, tensor<{{BM}}x1xi32> -> tensor<{{BM}}x1x!tile.ptr<f32>>
      %wp = tile.addptr %wk, %lanes : !tile.ptr<{{W}}>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<{{W}}>>
      %xt = tile.load %xp : tensor<{{BM}}x1x!tile.ptr<f32>> -> tensor<{{BM}}x1xf32>
      %wt = tile.load %wp : tensor<1x{{BN}}x!tile.ptr<{{W}}>> -> tensor<1x{{BN}}x{{W}}>
{{#W=i8}}
      %wf = arith.sitofp %wt : tensor<1x{{BN}}xi8> to tensor<1x{{BN}}xf32>
{{/W=i8}}{{^W=i8}}
      %wWide = arith.extf %wt : tensor<1x{{BN}}x{{W}}> to tensor<1x{{BN}}xf64>
      %wf = arith.truncf %wWide : tensor<1x{{BN}}xf64> to tensor<1x{{BN}}xf32>
{{/W=i8}}
      %xB = tile.broadcast %xt : tensor<{{BM}}x1xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %wB = tile.broadcast %wf : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %a2 = math.fma %xB, %wB, %a : tensor<{{BM}}x{{BN}}xf32>
      scf.yield %a2 : tensor<{{BM}}x{{BN}}xf32>
    }
{{#W=i8}}
    // Int8 weights: the sums times expert e's scales of columns col0 + j.
    %sBase = arith.muli %expert64, %hPadded : i64
    %sBlock = arith.addi %sBase, %col064 : i64
    %sRow = tile.addptr %down_scale, %sBlock : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %sp = tile.addptr %sRow, %lanes : !tile.ptr<f32>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<f32>>
    %st = tile.load %sp : tensor<1x{{BN}}x!tile.ptr<f32>> -> tensor<1x{{BN}}xf32>
    %sB = tile.broadcast %st : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
    %accDs = arith.mulf %accD, %sB : tensor<{{BM}}x{{BN}}xf32>
    scf.yield %accDs : tensor<{{BM}}x{{BN}}xf32>
{{/W=i8}}{{^W=i8}}
    scf.yield %accD : tensor<{{BM}}x{{BN}}xf32>
{{/W=i8}}
  } else {
    scf.yield %acc0 : tensor<{{BM}}x{{BN}}xf32>
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
  tile.store %outPtrs, %value mask %outMask : tensor<{{BM}}x{{BN}}x!tile.ptr<f32>>, tensor<{{BM}}x{{BN}}xf32>
  return
}
