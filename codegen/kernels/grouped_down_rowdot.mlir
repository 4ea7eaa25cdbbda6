// grouped_down_rowdot: the CPU form of grouped_down, which also takes the
// plan's row_token: the second half of every routed expert over the
// expert-grouped rows of moe_plan, grid (ceil(rows/BM), ceil(H/BN)).
//
//   h         [rows, I] f32   grouped_gate_up's output (padding rows are 0)
//   row_token [rows] i32      token of each dispatch row, -1 for padding
//   offsets   [E+1] i32       expert e owns rows [offsets[e], offsets[e+1])
//   down      [E, H, I] W     stacked down_proj weights
//   out       [rows, H] f32   h[r] @ down_e^T (0 on padding rows)
//   rows      i32             rows of the dispatch buffers (ROWS_MAX)
//
// Params: those of the tile.dot form, plus GROUP (row blocks per group of
// the program order, as in linear_rowdot). BM must divide the plan's
// BLOCK, so the BM rows of a program belong to
// one expert e (the binary search of grouped_down). A block past
// offsets[E], or of padding rows only, writes zeros without reading
// weights. The product is row-dot as in linear_rowdot: [BM, BK] of h and
// [BN, BK] of down_e per K step, both contiguous along I, a [BM, BN, BK]
// f32 accumulator reduced after the loop; whole BK slices unmasked, one
// masked step for the I % BK tail. Rows past `rows` read row rows - 1. W is
// f32 or bf16 (an exact extf to f64 + truncf pair).
func.func @{{KERNEL}}(%h: !tile.ptr<f32>, %row_token: !tile.ptr<i32>,
                      %offsets: !tile.ptr<i32>, %down: !tile.ptr<{{W}}>,
                      %out: !tile.ptr<f32>, %rows: i32) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv {{BM}}, {{H}} ceildiv {{BN}}, 1),
                               grid_symbols = ["rows"],
                               block = [{{BM}}, {{BN}}, {{BK}}]>} {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c2 = arith.constant 2 : i32
  %cE = arith.constant {{E}} : i32
  %cH = arith.constant {{H}} : i32
  %cI = arith.constant {{I}} : i32
  %cN = arith.constant {{H}} : i32
  %cBM = arith.constant {{BM}} : i32
  %cBN = arith.constant {{BN}} : i32
  %cBK = arith.constant {{BK}} : i32
  %cI64 = arith.constant {{I}} : i64
  %cH64 = arith.constant {{H}} : i64
  %expertSize = arith.muli %cI64, %cH64 : i64

  // This program's row block %pm and column block %pn, in groups of GROUP
  // row blocks.
  {{>program_groups}}
  %row0 = arith.muli %pm, %cBM : i32
  %col0 = arith.muli %pn, %cBN : i32

  // The expert of this block: the first e with offsets[e+1] > row0.
  {{>expert_of_rows}}
  %hasExpert = arith.cmpi slt, %search#0, %cE : i32

  // Rows of the block and their tokens (-1: padding, or past `rows`); a
  // block of padding rows only skips the K loop.
  %rBM = tile.range <0, {{BM}}> : tensor<{{BM}}xi32>
  %rBN = tile.range <0, {{BN}}> : tensor<{{BN}}xi32>
  %rBK = tile.range <0, {{BK}}> : tensor<{{BK}}xi32>
  %row0v = tile.splat %row0 : i32 -> tensor<{{BM}}xi32>
  %rm = arith.addi %row0v, %rBM : tensor<{{BM}}xi32>
  %rowsv = tile.splat %rows : i32 -> tensor<{{BM}}xi32>
  %rowOk = arith.cmpi slt, %rm, %rowsv : tensor<{{BM}}xi32>
  %noToken = arith.constant dense<-1> : tensor<{{BM}}xi32>
  %zeroTok = arith.constant dense<0> : tensor<{{BM}}xi32>
  %tokPtrs = tile.addptr %row_token, %rm : !tile.ptr<i32>, tensor<{{BM}}xi32> -> tensor<{{BM}}x!tile.ptr<i32>>
  %tok = tile.load %tokPtrs mask %rowOk other %noToken : tensor<{{BM}}x!tile.ptr<i32>> -> tensor<{{BM}}xi32>
  %valid = arith.cmpi sge, %tok, %zeroTok : tensor<{{BM}}xi32>
  %validInt = arith.extui %valid : tensor<{{BM}}xi1> to tensor<{{BM}}xi32>
  %validRows = tile.reduce sum %validInt axis 0 : tensor<{{BM}}xi32> -> i32
  %anyValid = arith.cmpi sgt, %validRows, %c0 : i32
  %work = arith.andi %hasExpert, %anyValid : i1

  // Columns of the block, clamped to the last column (not stored past it).
  %col0v = tile.splat %col0 : i32 -> tensor<{{BN}}xi32>
  %rn = arith.addi %col0v, %rBN : tensor<{{BN}}xi32>
  %nv = tile.splat %cN : i32 -> tensor<{{BN}}xi32>
  %colOk = arith.cmpi slt, %rn, %nv : tensor<{{BN}}xi32>
  %nLast = arith.subi %cN, %c1 : i32
  %nLastV = tile.splat %nLast : i32 -> tensor<{{BN}}xi32>
  %colIn = arith.minsi %rn, %nLastV : tensor<{{BN}}xi32>
  %rkRow = tile.expand_dims %rBK axis 0 : tensor<{{BK}}xi32> -> tensor<1x{{BK}}xi32>
  %rkX = tile.broadcast %rkRow : tensor<1x{{BK}}xi32> -> tensor<{{BM}}x{{BK}}xi32>
  %rkW = tile.broadcast %rkRow : tensor<1x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}xi32>

  %acc0 = arith.constant dense<0.000000e+00> : tensor<{{BM}}x{{BN}}x{{BK}}xf32>
  %zeroAcc = arith.constant dense<0.000000e+00> : tensor<{{BM}}x{{BN}}xf32>
  %value = scf.if %work -> (tensor<{{BM}}x{{BN}}xf32>) {
    // Offsets of the h rows (r * I + k, r clamped below `rows`) and of the
    // down_e rows (n * I + k), added each K step to the scalar bases
    // advanced by k.
    %rowsLast = arith.subi %rows, %c1 : i32
    %rowsLastV = tile.splat %rowsLast : i32 -> tensor<{{BM}}xi32>
    %rowIn = arith.minsi %rm, %rowsLastV : tensor<{{BM}}xi32>
    %rowCol = tile.expand_dims %rowIn axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %iCol = tile.splat %cI : i32 -> tensor<{{BM}}x1xi32>
    %hRowOff = arith.muli %rowCol, %iCol : tensor<{{BM}}x1xi32>
    %hRowOffB = tile.broadcast %hRowOff : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BK}}xi32>
    %hOff = arith.addi %hRowOffB, %rkX : tensor<{{BM}}x{{BK}}xi32>
    %expert64 = arith.extsi %search#0 : i32 to i64
    %eOff = arith.muli %expert64, %expertSize : i64
    %downE = tile.addptr %down, %eOff : !tile.ptr<{{W}}>, i64 -> !tile.ptr<{{W}}>
    %colCol = tile.expand_dims %colIn axis 1 : tensor<{{BN}}xi32> -> tensor<{{BN}}x1xi32>
    %iColW = tile.splat %cI : i32 -> tensor<{{BN}}x1xi32>
    %wRowOff = arith.muli %colCol, %iColW : tensor<{{BN}}x1xi32>
    %wRowOffB = tile.broadcast %wRowOff : tensor<{{BN}}x1xi32> -> tensor<{{BN}}x{{BK}}xi32>
    %wOff = arith.addi %wRowOffB, %rkW : tensor<{{BN}}x{{BK}}xi32>
    %iSteps = arith.divsi %cI, %cBK : i32
    %iMain = arith.muli %iSteps, %cBK : i32
    %accDMain = scf.for %k = %c0 to %iMain step %cBK
        iter_args(%a = %acc0) -> (tensor<{{BM}}x{{BN}}x{{BK}}xf32>) : i32 {
      %xk = tile.addptr %h, %k : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %wk = tile.addptr %downE, %k : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
      %xp = tile.addptr %xk, %hOff : !tile.ptr<f32>, tensor<{{BM}}x{{BK}}xi32> -> tensor<{{BM}}x{{BK}}x!tile.ptr<f32>>
      %wp = tile.addptr %wk, %wOff : !tile.ptr<{{W}}>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>
      %xt = tile.load %xp : tensor<{{BM}}x{{BK}}x!tile.ptr<f32>> -> tensor<{{BM}}x{{BK}}xf32>
      %wt = tile.load %wp : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>> -> tensor<{{BN}}x{{BK}}x{{W}}>
      %wWide = arith.extf %wt : tensor<{{BN}}x{{BK}}x{{W}}> to tensor<{{BN}}x{{BK}}xf64>
      %wf = arith.truncf %wWide : tensor<{{BN}}x{{BK}}xf64> to tensor<{{BN}}x{{BK}}xf32>
      %x3 = tile.expand_dims %xt axis 1 : tensor<{{BM}}x{{BK}}xf32> -> tensor<{{BM}}x1x{{BK}}xf32>
      %w3 = tile.expand_dims %wf axis 0 : tensor<{{BN}}x{{BK}}xf32> -> tensor<1x{{BN}}x{{BK}}xf32>
      %xB = tile.broadcast %x3 : tensor<{{BM}}x1x{{BK}}xf32> -> tensor<{{BM}}x{{BN}}x{{BK}}xf32>
      %wB = tile.broadcast %w3 : tensor<1x{{BN}}x{{BK}}xf32> -> tensor<{{BM}}x{{BN}}x{{BK}}xf32>
      %a2 = math.fma %xB, %wB, %a : tensor<{{BM}}x{{BN}}x{{BK}}xf32>
      scf.yield %a2 : tensor<{{BM}}x{{BN}}x{{BK}}xf32>
    }
    %accD = scf.for %k = %iMain to %cI step %cBK
        iter_args(%a = %accDMain) -> (tensor<{{BM}}x{{BN}}x{{BK}}xf32>) : i32 {
      %kLeft = arith.subi %cI, %k : i32
      %kLeftV = tile.splat %kLeft : i32 -> tensor<1x{{BK}}xi32>
      %kOkRow = arith.cmpi slt, %rkRow, %kLeftV : tensor<1x{{BK}}xi32>
      %xMask = tile.broadcast %kOkRow : tensor<1x{{BK}}xi1> -> tensor<{{BM}}x{{BK}}xi1>
      %wMask = tile.broadcast %kOkRow : tensor<1x{{BK}}xi1> -> tensor<{{BN}}x{{BK}}xi1>
      %xk = tile.addptr %h, %k : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %wk = tile.addptr %downE, %k : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
      %xp = tile.addptr %xk, %hOff : !tile.ptr<f32>, tensor<{{BM}}x{{BK}}xi32> -> tensor<{{BM}}x{{BK}}x!tile.ptr<f32>>
      %wp = tile.addptr %wk, %wOff : !tile.ptr<{{W}}>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>
      %xt = tile.load %xp mask %xMask : tensor<{{BM}}x{{BK}}x!tile.ptr<f32>> -> tensor<{{BM}}x{{BK}}xf32>
      %wt = tile.load %wp mask %wMask : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>> -> tensor<{{BN}}x{{BK}}x{{W}}>
      %wWide = arith.extf %wt : tensor<{{BN}}x{{BK}}x{{W}}> to tensor<{{BN}}x{{BK}}xf64>
      %wf = arith.truncf %wWide : tensor<{{BN}}x{{BK}}xf64> to tensor<{{BN}}x{{BK}}xf32>
      %x3 = tile.expand_dims %xt axis 1 : tensor<{{BM}}x{{BK}}xf32> -> tensor<{{BM}}x1x{{BK}}xf32>
      %w3 = tile.expand_dims %wf axis 0 : tensor<{{BN}}x{{BK}}xf32> -> tensor<1x{{BN}}x{{BK}}xf32>
      %xB = tile.broadcast %x3 : tensor<{{BM}}x1x{{BK}}xf32> -> tensor<{{BM}}x{{BN}}x{{BK}}xf32>
      %wB = tile.broadcast %w3 : tensor<1x{{BN}}x{{BK}}xf32> -> tensor<{{BM}}x{{BN}}x{{BK}}xf32>
      %a2 = math.fma %xB, %wB, %a : tensor<{{BM}}x{{BN}}x{{BK}}xf32>
      scf.yield %a2 : tensor<{{BM}}x{{BN}}x{{BK}}xf32>
    }

    %dSum = tile.reduce sum %accD axis 2 : tensor<{{BM}}x{{BN}}x{{BK}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
    scf.yield %dSum : tensor<{{BM}}x{{BN}}xf32>
  } else {
    scf.yield %zeroAcc : tensor<{{BM}}x{{BN}}xf32>
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
