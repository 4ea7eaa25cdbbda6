// grouped_down: the second half of every routed expert over the
// expert-grouped rows of moe_plan, grid (ceil(rows/BM), ceil(H/BN)).
//
//   h       [rows, I] f32   grouped_gate_up's output (padding rows are 0)
//   offsets [E+1] i32       expert e owns rows [offsets[e], offsets[e+1])
//   down    [E, H, I] W     stacked down_proj weights (int8: followed by
//                           its rows' scales [E, H] f32)
//   out     [rows, H] f32   h[r] @ down_e^T
//   rows    i32             rows of the dispatch buffers (ROWS_MAX)
//
// BM must equal the plan's BLOCK, so the BM rows of a program belong to
// one expert e: the first e with offsets[e+1] > row0 (a binary search over
// the nondecreasing offsets). A block past offsets[E] has no expert and
// writes zeros. The K loop over I accumulates in f32. W is f32 or bf16: a
// weight tile goes to f32 through f64 (extf then truncf), which is exact
// for both and folds away for f32; i8: sitofp, the sums then scaled.
func.func @{{KERNEL}}(%h: !tile.ptr<f32>, %offsets: !tile.ptr<i32>,
                      %down: !tile.ptr<{{W}}>,{{#W=i8}} %down_scale: !tile.ptr<f32>,{{/W=i8}}
                      %out: !tile.ptr<f32>,
                      %rows: i32) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv {{BM}}, {{H}} ceildiv {{BN}}, 1),
                               grid_symbols = ["rows"],
                               block = [{{BM}}, {{BN}}, {{BK}}]>} {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c2 = arith.constant 2 : i32
  %cE = arith.constant {{E}} : i32
  %cH = arith.constant {{H}} : i32
  %cI = arith.constant {{I}} : i32
  %cBM = arith.constant {{BM}} : i32
  %cBN = arith.constant {{BN}} : i32
  %cBK = arith.constant {{BK}} : i32
  %cH64 = arith.constant {{H}} : i64
  %cI64 = arith.constant {{I}} : i64
  %expertSize = arith.muli %cH64, %cI64 : i64

  %pm = tile.program_id x : i32
  %pn = tile.program_id y : i32
  %row0 = arith.muli %pm, %cBM : i32
  %col0 = arith.muli %pn, %cBN : i32

  // The expert of this block: the first e with offsets[e+1] > row0.
  {{>expert_of_rows}}
  %hasExpert = arith.cmpi slt, %search#0, %cE : i32

  // Rows and columns of the block.
  %rBM = tile.range <0, {{BM}}> : tensor<{{BM}}xi32>
  %rBN = tile.range <0, {{BN}}> : tensor<{{BN}}xi32>
  %rBK = tile.range <0, {{BK}}> : tensor<{{BK}}xi32>
  %row0v = tile.splat %row0 : i32 -> tensor<{{BM}}xi32>
  %rm = arith.addi %row0v, %rBM : tensor<{{BM}}xi32>
  %col0v = tile.splat %col0 : i32 -> tensor<{{BN}}xi32>
  %rn = arith.addi %col0v, %rBN : tensor<{{BN}}xi32>
  %rowsv = tile.splat %rows : i32 -> tensor<{{BM}}xi32>
  %rowOk = arith.cmpi slt, %rm, %rowsv : tensor<{{BM}}xi32>
  %hv = tile.splat %cH : i32 -> tensor<{{BN}}xi32>
  %colOk = arith.cmpi slt, %rn, %hv : tensor<{{BN}}xi32>
  %rmCol = tile.expand_dims %rm axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
  %rowOkCol = tile.expand_dims %rowOk axis 1 : tensor<{{BM}}xi1> -> tensor<{{BM}}x1xi1>
  %rnRow = tile.expand_dims %rn axis 0 : tensor<{{BN}}xi32> -> tensor<1x{{BN}}xi32>
  %colOkRow = tile.expand_dims %colOk axis 0 : tensor<{{BN}}xi1> -> tensor<1x{{BN}}xi1>

  %zeroAcc = arith.constant dense<0.000000e+00> : tensor<{{BM}}x{{BN}}xf32>
  %acc = scf.if %hasExpert -> (tensor<{{BM}}x{{BN}}xf32>) {
    // h rows: h + r * I + k.
    %iCol = tile.splat %cI : i32 -> tensor<{{BM}}x1xi32>
    %hRowOff = arith.muli %rmCol, %iCol : tensor<{{BM}}x1xi32>
    %hRowOffB = tile.broadcast %hRowOff : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BK}}xi32>
    %rowOkB = tile.broadcast %rowOkCol : tensor<{{BM}}x1xi1> -> tensor<{{BM}}x{{BK}}xi1>
    // down_e blocks as BN x BK rows (down_e + n * I + k: contiguous, so the
    // loads are wide); the dot takes their transposes.
    %expert64 = arith.extsi %search#0 : i32 to i64
    %eOff = arith.muli %expert64, %expertSize : i64
    %downE = tile.addptr %down, %eOff : !tile.ptr<{{W}}>, i64 -> !tile.ptr<{{W}}>
    %rnCol = tile.expand_dims %rn axis 1 : tensor<{{BN}}xi32> -> tensor<{{BN}}x1xi32>
    %iRows = tile.splat %cI : i32 -> tensor<{{BN}}x1xi32>
    %wRowOff = arith.muli %rnCol, %iRows : tensor<{{BN}}x1xi32>
    %wRowOffB = tile.broadcast %wRowOff : tensor<{{BN}}x1xi32> -> tensor<{{BN}}x{{BK}}xi32>
    %colOkCol = tile.expand_dims %colOk axis 1 : tensor<{{BN}}xi1> -> tensor<{{BN}}x1xi1>
    %colOkB = tile.broadcast %colOkCol : tensor<{{BN}}x1xi1> -> tensor<{{BN}}x{{BK}}xi1>
    %iK = tile.splat %cI : i32 -> tensor<{{BK}}xi32>
    %aZero = arith.constant dense<0.000000e+00> : tensor<{{BM}}x{{BK}}xf32>
    %wZero = arith.constant {{#W=i8}}dense<0>{{/W=i8}}{{^W=i8}}dense<0.000000e+00>{{/W=i8}} : tensor<{{BN}}x{{BK}}x{{W}}>
    %sum = scf.for %k0 = %c0 to %cI step %cBK
        iter_args(%accD = %zeroAcc) -> (tensor<{{BM}}x{{BN}}xf32>) : i32 {
      %k0v = tile.splat %k0 : i32 -> tensor<{{BK}}xi32>
      %rk = arith.addi %k0v, %rBK : tensor<{{BK}}xi32>
      %kOk = arith.cmpi slt, %rk, %iK : tensor<{{BK}}xi32>
      // h[r, k0:k0+BK]: BM x BK.
      %rkRow = tile.expand_dims %rk axis 0 : tensor<{{BK}}xi32> -> tensor<1x{{BK}}xi32>
      %rkRowB = tile.broadcast %rkRow : tensor<1x{{BK}}xi32> -> tensor<{{BM}}x{{BK}}xi32>
      %kOkRow = tile.expand_dims %kOk axis 0 : tensor<{{BK}}xi1> -> tensor<1x{{BK}}xi1>
      %kOkRowB = tile.broadcast %kOkRow : tensor<1x{{BK}}xi1> -> tensor<{{BM}}x{{BK}}xi1>
      %aOff = arith.addi %hRowOffB, %rkRowB : tensor<{{BM}}x{{BK}}xi32>
      %aMask = arith.andi %rowOkB, %kOkRowB : tensor<{{BM}}x{{BK}}xi1>
      %aPtrs = tile.addptr %h, %aOff : !tile.ptr<f32>, tensor<{{BM}}x{{BK}}xi32> -> tensor<{{BM}}x{{BK}}x!tile.ptr<f32>>
      %at = tile.load %aPtrs mask %aMask other %aZero : tensor<{{BM}}x{{BK}}x!tile.ptr<f32>> -> tensor<{{BM}}x{{BK}}xf32>
      // down_e block: BN x BK rows.
      %rkRowW = tile.broadcast %rkRow : tensor<1x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}xi32>
      %kOkRowW = tile.broadcast %kOkRow : tensor<1x{{BK}}xi1> -> tensor<{{BN}}x{{BK}}xi1>
      %wOff = arith.addi %wRowOffB, %rkRowW : tensor<{{BN}}x{{BK}}xi32>
      %wMask = arith.andi %kOkRowW, %colOkB : tensor<{{BN}}x{{BK}}xi1>
      %wPtrs = tile.addptr %downE, %wOff : !tile.ptr<{{W}}>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>
      %ww = tile.load %wPtrs mask %wMask other %wZero : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>> -> tensor<{{BN}}x{{BK}}x{{W}}>
{{#W=i8}}
      %wr = arith.sitofp %ww : tensor<{{BN}}x{{BK}}xi8> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}{{^W=i8}}
      %wWide = arith.extf %ww : tensor<{{BN}}x{{BK}}x{{W}}> to tensor<{{BN}}x{{BK}}xf64>
      %wr = arith.truncf %wWide : tensor<{{BN}}x{{BK}}xf64> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}
      %wt = tile.trans %wr : tensor<{{BN}}x{{BK}}xf32> -> tensor<{{BK}}x{{BN}}xf32>
      %accD2 = tile.dot %at, %wt, %accD : tensor<{{BM}}x{{BK}}xf32>, tensor<{{BK}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      scf.yield %accD2 : tensor<{{BM}}x{{BN}}xf32>
    }
{{#W=i8}}
    // Int8 weights: the sums times expert e's scales of columns col0 + j.
    %sOff = arith.muli %search#0, %cH : i32
    %dsE = tile.addptr %down_scale, %sOff : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %dsP = tile.addptr %dsE, %rn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
    %ds = tile.load %dsP mask %colOk : tensor<{{BN}}x!tile.ptr<f32>> -> tensor<{{BN}}xf32>
    %dsRow = tile.expand_dims %ds axis 0 : tensor<{{BN}}xf32> -> tensor<1x{{BN}}xf32>
    %dsB = tile.broadcast %dsRow : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
    %scaled = arith.mulf %sum, %dsB : tensor<{{BM}}x{{BN}}xf32>
    scf.yield %scaled : tensor<{{BM}}x{{BN}}xf32>
{{/W=i8}}{{^W=i8}}
    scf.yield %sum : tensor<{{BM}}x{{BN}}xf32>
{{/W=i8}}
  } else {
    scf.yield %zeroAcc : tensor<{{BM}}x{{BN}}xf32>
  }

  // out[r, n] for the rows and columns in range.
  %hCol = tile.splat %cH : i32 -> tensor<{{BM}}x1xi32>
  %outRowOff = arith.muli %rmCol, %hCol : tensor<{{BM}}x1xi32>
  %outRowOffB = tile.broadcast %outRowOff : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BN}}xi32>
  %rnRowB = tile.broadcast %rnRow : tensor<1x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
  %outOff = arith.addi %outRowOffB, %rnRowB : tensor<{{BM}}x{{BN}}xi32>
  %outPtrs = tile.addptr %out, %outOff : !tile.ptr<f32>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}x!tile.ptr<f32>>
  %rowOkOut = tile.broadcast %rowOkCol : tensor<{{BM}}x1xi1> -> tensor<{{BM}}x{{BN}}xi1>
  %colOkOut = tile.broadcast %colOkRow : tensor<1x{{BN}}xi1> -> tensor<{{BM}}x{{BN}}xi1>
  %outMask = arith.andi %rowOkOut, %colOkOut : tensor<{{BM}}x{{BN}}xi1>
  tile.store %outPtrs, %acc mask %outMask : tensor<{{BM}}x{{BN}}x!tile.ptr<f32>>, tensor<{{BM}}x{{BN}}xf32>
  return
}
