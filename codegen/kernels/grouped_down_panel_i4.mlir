// grouped_down_panel_i4 (docs/kernels.md, docs/quantization.md):
// grouped_down_panel over int4 expert weights with one f32 scale per group
// of G inputs (--quantize int4-experts): the second half of every routed
// expert over the expert-grouped rows of moe_plan, grid (ceil(rows/BM),
// ceil(H/BN)).
//
//   h          [rows, I] f32   grouped_gate_up_panel_i4's output (padding rows 0)
//   row_token  [rows] i32      token of each dispatch row, -1 for padding
//   offsets    [E+1] i32       expert e owns rows [offsets[e], offsets[e+1])
//   down       [E, ceil(H/BN), I/2, BN] i8   stacked down_proj, two int4
//                              values per byte (runtime/io/WeightPanels.h):
//                              byte row k of a panel holds inputs 2k (low
//                              nibble) and 2k + 1 (high)
//   down_scale [E, ceil(H/BN), I/G, BN] f32   the group scales
//   out        [rows, H] f32   h[r] @ down_e^T (0 on padding rows)
//   rows       i32             rows of the dispatch buffers (ROWS_MAX)
//
// Params as grouped_down_panel (BM divides the plan's BLOCK; BN is the panel
// width) and G (divides I, even). A block past offsets[E], or of padding
// rows only, writes zeros without reading weights. Per group g, per byte
// row: the two nibbles converted and multiplied by the group's scales once
// (for all BM rows), then h[r, 2k] and h[r, 2k + 1] of the BM rows (rows
// past `rows` read row rows - 1) broadcast along them into one [BM, BN] f32
// accumulator.
func.func @{{KERNEL}}(%h: !tile.ptr<f32>, %row_token: !tile.ptr<i32>,
                      %offsets: !tile.ptr<i32>, %down: !tile.ptr<i8>,
                      %down_scale: !tile.ptr<f32>,
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
  %cG = arith.constant {{G}} : i32
  %cHalfG = arith.divsi %cG, %c2 : i32
  %groups = arith.divsi %cI, %cG : i32
  // One expert's panels: ceil(H / BN) * BN * I elements.
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
    // down_e at (e * ceil(H/BN)*BN + col0) * I/2 bytes, its scales at
    // (e * ceil(H/BN)*BN + col0) * I/G.
    %rowsLast = arith.subi %rows, %c1 : i32
    %rowsLastV = tile.splat %rowsLast : i32 -> tensor<{{BM}}xi32>
    %rowIn = arith.minsi %rm, %rowsLastV : tensor<{{BM}}xi32>
    %rowCol = tile.expand_dims %rowIn axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %iCol = tile.splat %cI : i32 -> tensor<{{BM}}x1xi32>
    %hOff = arith.muli %rowCol, %iCol : tensor<{{BM}}x1xi32>
    %expert64 = arith.extsi %search#0 : i32 to i64
    %eRows = arith.muli %expert64, %hPadded : i64
    %col064 = arith.extsi %col0 : i32 to i64
    %firstRow = arith.addi %eRows, %col064 : i64
    %wOff = arith.muli %firstRow, %rowBytes : i64
    %sOff = arith.muli %firstRow, %rowGroups : i64
    %downP = tile.addptr %down, %wOff : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
    %scaleP = tile.addptr %down_scale, %sOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %c4v = arith.constant dense<4> : tensor<1x{{BN}}xi32>
    %c28v = arith.constant dense<28> : tensor<1x{{BN}}xi32>

    // acc[i, :] += h[r_i, k] * (scale_g * q[k, :]), group by group.
    %accD = scf.for %g = %c0 to %groups step %c1
        iter_args(%a = %acc0) -> (tensor<{{BM}}x{{BN}}xf32>) : i32 {
      %k0 = arith.muli %g, %cG : i32
      %b0 = arith.muli %g, %cHalfG : i32
      %gw = arith.muli %g, %cBN : i32
      %sRow = tile.addptr %scaleP, %gw : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %sp = tile.addptr %sRow, %lanes : !tile.ptr<f32>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<f32>>
      %st = tile.load %sp : tensor<1x{{BN}}x!tile.ptr<f32>> -> tensor<1x{{BN}}xf32>
      %a2 = scf.for %r = %c0 to %cHalfG step %c1
          iter_args(%s = %a) -> (tensor<{{BM}}x{{BN}}xf32>) : i32 {
        %r2 = arith.muli %r, %c2 : i32
        %kLo = arith.addi %k0, %r2 : i32
        %kHi = arith.addi %kLo, %c1 : i32
        %xlk = tile.addptr %h, %kLo : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
        %xhk = tile.addptr %h, %kHi : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
        %xlp = tile.addptr %xlk, %hOff : !tile.ptr<f32>, tensor<{{BM}}x1xi32> -> tensor<{{BM}}x1x!tile.ptr<f32>>
        %xhp = tile.addptr %xhk, %hOff : !tile.ptr<f32>, tensor<{{BM}}x1xi32> -> tensor<{{BM}}x1x!tile.ptr<f32>>
        %xl = tile.load %xlp : tensor<{{BM}}x1x!tile.ptr<f32>> -> tensor<{{BM}}x1xf32>
        %xh = tile.load %xhp : tensor<{{BM}}x1x!tile.ptr<f32>> -> tensor<{{BM}}x1xf32>
        %byteRow = arith.addi %b0, %r : i32
        %bw = arith.muli %byteRow, %cBN : i32
        %wk = tile.addptr %downP, %bw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
        %wp = tile.addptr %wk, %lanes : !tile.ptr<i8>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<i8>>
        %wb = tile.load %wp : tensor<1x{{BN}}x!tile.ptr<i8>> -> tensor<1x{{BN}}xi8>
        // Widened to i32 first (x86 has no byte shifts), then the nibbles
        // sign-extended by shifts.
        %ww = arith.extsi %wb : tensor<1x{{BN}}xi8> to tensor<1x{{BN}}xi32>
        %wShift = arith.shli %ww, %c28v : tensor<1x{{BN}}xi32>
        %loQ = arith.shrsi %wShift, %c28v : tensor<1x{{BN}}xi32>
        %hiQ = arith.shrsi %ww, %c4v : tensor<1x{{BN}}xi32>
        %lo = arith.sitofp %loQ : tensor<1x{{BN}}xi32> to tensor<1x{{BN}}xf32>
        %hi = arith.sitofp %hiQ : tensor<1x{{BN}}xi32> to tensor<1x{{BN}}xf32>
        // The group's scales applied to the byte row, once for all BM rows.
        %loS = arith.mulf %lo, %st : tensor<1x{{BN}}xf32>
        %hiS = arith.mulf %hi, %st : tensor<1x{{BN}}xf32>
        %xlB = tile.broadcast %xl : tensor<{{BM}}x1xf32> -> tensor<{{BM}}x{{BN}}xf32>
        %xhB = tile.broadcast %xh : tensor<{{BM}}x1xf32> -> tensor<{{BM}}x{{BN}}xf32>
        %loB = tile.broadcast %loS : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
        %hiB = tile.broadcast %hiS : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
        %s1 = math.fma %xlB, %loB, %s : tensor<{{BM}}x{{BN}}xf32>
        %s2 = math.fma %xhB, %hiB, %s1 : tensor<{{BM}}x{{BN}}xf32>
        scf.yield %s2 : tensor<{{BM}}x{{BN}}xf32>
      }
      scf.yield %a2 : tensor<{{BM}}x{{BN}}xf32>
    }
    scf.yield %accD : tensor<{{BM}}x{{BN}}xf32>
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
