// grouped_gate_up: the first half of every routed expert over the
// expert-grouped rows of moe_plan, grid (ceil(rows/BM), ceil(I/BN)).
//
//   x         [T, H] f32        the normalized hidden states
//   row_token [rows] i32        token of each dispatch row, -1 for padding
//   offsets   [E+1] i32         expert e owns rows [offsets[e], offsets[e+1])
//   gate, up  [E, I, H] W       stacked gate_proj / up_proj weights (int8:
//                               each followed by its rows' scales [E, I] f32)
//   out       [rows, I] f32     silu(x[tok] @ gate_e^T) * (x[tok] @ up_e^T)
//   rows      i32               rows of the dispatch buffers (ROWS_MAX)
//
// BM must equal the plan's BLOCK, so the BM rows of a program belong to
// one expert e: the first e with offsets[e+1] > row0 (a binary search over
// the nondecreasing offsets). A block past offsets[E] has no expert and
// writes zeros. Row tokens are gathered (padding rows load zeros, so they
// compute silu(0) * 0 = 0); the K loop over H accumulates both products in
// f32. W is f32 or bf16: a weight tile goes to f32 through f64 (extf then
// truncf), which is exact for both and folds away for f32; or i8: sitofp,
// and the sums are scaled by the expert's row scales before silu.
func.func @{{KERNEL}}(%x: !tile.ptr<f32>, %row_token: !tile.ptr<i32>,
                      %offsets: !tile.ptr<i32>, %gate: !tile.ptr<{{W}}>,{{#W=i8}}
                      %gate_scale: !tile.ptr<f32>,{{/W=i8}}
                      %up: !tile.ptr<{{W}}>,{{#W=i8}} %up_scale: !tile.ptr<f32>,{{/W=i8}}
                      %out: !tile.ptr<f32>,
                      %rows: i32) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv {{BM}}, {{I}} ceildiv {{BN}}, 1),
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
  %cI64 = arith.constant {{I}} : i64
  %cH64 = arith.constant {{H}} : i64
  %expertSize = arith.muli %cI64, %cH64 : i64

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
  %iv = tile.splat %cI : i32 -> tensor<{{BN}}xi32>
  %colOk = arith.cmpi slt, %rn, %iv : tensor<{{BN}}xi32>
  %rmCol = tile.expand_dims %rm axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
  %rowOkCol = tile.expand_dims %rowOk axis 1 : tensor<{{BM}}xi1> -> tensor<{{BM}}x1xi1>
  %rnRow = tile.expand_dims %rn axis 0 : tensor<{{BN}}xi32> -> tensor<1x{{BN}}xi32>
  %colOkRow = tile.expand_dims %colOk axis 0 : tensor<{{BN}}xi1> -> tensor<1x{{BN}}xi1>

  %zeroAcc = arith.constant dense<0.000000e+00> : tensor<{{BM}}x{{BN}}xf32>
  %acc:2 = scf.if %hasExpert -> (tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>) {
    // Token of each row; padding rows (-1) and rows past `rows` load zeros.
    %noToken = arith.constant dense<-1> : tensor<{{BM}}xi32>
    %zeroTok = arith.constant dense<0> : tensor<{{BM}}xi32>
    %tokPtrs = tile.addptr %row_token, %rm : !tile.ptr<i32>, tensor<{{BM}}xi32> -> tensor<{{BM}}x!tile.ptr<i32>>
    %tok = tile.load %tokPtrs mask %rowOk other %noToken : tensor<{{BM}}x!tile.ptr<i32>> -> tensor<{{BM}}xi32>
    %valid = arith.cmpi sge, %tok, %zeroTok : tensor<{{BM}}xi32>
    %safeTok = arith.select %valid, %tok, %zeroTok : tensor<{{BM}}xi1>, tensor<{{BM}}xi32>
    %tokCol = tile.expand_dims %safeTok axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %hCol = tile.splat %cH : i32 -> tensor<{{BM}}x1xi32>
    %xRowOff = arith.muli %tokCol, %hCol : tensor<{{BM}}x1xi32>
    %xRowOffB = tile.broadcast %xRowOff : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BK}}xi32>
    %validCol = tile.expand_dims %valid axis 1 : tensor<{{BM}}xi1> -> tensor<{{BM}}x1xi1>
    %validB = tile.broadcast %validCol : tensor<{{BM}}x1xi1> -> tensor<{{BM}}x{{BK}}xi1>
    // Weight tiles of expert e as BN x BK rows (w_e + n * H + k: contiguous,
    // so the loads are wide); the dots take their transposes.
    %expert64 = arith.extsi %search#0 : i32 to i64
    %eOff = arith.muli %expert64, %expertSize : i64
    %gateE = tile.addptr %gate, %eOff : !tile.ptr<{{W}}>, i64 -> !tile.ptr<{{W}}>
    %upE = tile.addptr %up, %eOff : !tile.ptr<{{W}}>, i64 -> !tile.ptr<{{W}}>
    %rnCol = tile.expand_dims %rn axis 1 : tensor<{{BN}}xi32> -> tensor<{{BN}}x1xi32>
    %hRows = tile.splat %cH : i32 -> tensor<{{BN}}x1xi32>
    %wRowOff = arith.muli %rnCol, %hRows : tensor<{{BN}}x1xi32>
    %wRowOffB = tile.broadcast %wRowOff : tensor<{{BN}}x1xi32> -> tensor<{{BN}}x{{BK}}xi32>
    %colOkCol = tile.expand_dims %colOk axis 1 : tensor<{{BN}}xi1> -> tensor<{{BN}}x1xi1>
    %colOkB = tile.broadcast %colOkCol : tensor<{{BN}}x1xi1> -> tensor<{{BN}}x{{BK}}xi1>
    %hK = tile.splat %cH : i32 -> tensor<{{BK}}xi32>
    %xZero = arith.constant dense<0.000000e+00> : tensor<{{BM}}x{{BK}}xf32>
    %wZero = arith.constant {{#W=i8}}dense<0>{{/W=i8}}{{^W=i8}}dense<0.000000e+00>{{/W=i8}} : tensor<{{BN}}x{{BK}}x{{W}}>
    %sums:2 = scf.for %k0 = %c0 to %cH step %cBK
        iter_args(%accG = %zeroAcc, %accU = %zeroAcc)
        -> (tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>) : i32 {
      %k0v = tile.splat %k0 : i32 -> tensor<{{BK}}xi32>
      %rk = arith.addi %k0v, %rBK : tensor<{{BK}}xi32>
      %kOk = arith.cmpi slt, %rk, %hK : tensor<{{BK}}xi32>
      // x[tok, k0:k0+BK]: BM x BK.
      %rkRow = tile.expand_dims %rk axis 0 : tensor<{{BK}}xi32> -> tensor<1x{{BK}}xi32>
      %rkRowB = tile.broadcast %rkRow : tensor<1x{{BK}}xi32> -> tensor<{{BM}}x{{BK}}xi32>
      %kOkRow = tile.expand_dims %kOk axis 0 : tensor<{{BK}}xi1> -> tensor<1x{{BK}}xi1>
      %kOkRowB = tile.broadcast %kOkRow : tensor<1x{{BK}}xi1> -> tensor<{{BM}}x{{BK}}xi1>
      %xOff = arith.addi %xRowOffB, %rkRowB : tensor<{{BM}}x{{BK}}xi32>
      %xMask = arith.andi %validB, %kOkRowB : tensor<{{BM}}x{{BK}}xi1>
      %xPtrs = tile.addptr %x, %xOff : !tile.ptr<f32>, tensor<{{BM}}x{{BK}}xi32> -> tensor<{{BM}}x{{BK}}x!tile.ptr<f32>>
      %xt = tile.load %xPtrs mask %xMask other %xZero : tensor<{{BM}}x{{BK}}x!tile.ptr<f32>> -> tensor<{{BM}}x{{BK}}xf32>
      // gate_e and up_e blocks: BN x BK rows.
      %rkRowW = tile.broadcast %rkRow : tensor<1x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}xi32>
      %kOkRowW = tile.broadcast %kOkRow : tensor<1x{{BK}}xi1> -> tensor<{{BN}}x{{BK}}xi1>
      %wOff = arith.addi %wRowOffB, %rkRowW : tensor<{{BN}}x{{BK}}xi32>
      %wMask = arith.andi %kOkRowW, %colOkB : tensor<{{BN}}x{{BK}}xi1>
      %gPtrs = tile.addptr %gateE, %wOff : !tile.ptr<{{W}}>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>
      %uPtrs = tile.addptr %upE, %wOff : !tile.ptr<{{W}}>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>
      %gw = tile.load %gPtrs mask %wMask other %wZero : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>> -> tensor<{{BN}}x{{BK}}x{{W}}>
      %uw = tile.load %uPtrs mask %wMask other %wZero : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>> -> tensor<{{BN}}x{{BK}}x{{W}}>
{{#W=i8}}
      %gr = arith.sitofp %gw : tensor<{{BN}}x{{BK}}xi8> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}{{^W=i8}}
      %gWide = arith.extf %gw : tensor<{{BN}}x{{BK}}x{{W}}> to tensor<{{BN}}x{{BK}}xf64>
      %gr = arith.truncf %gWide : tensor<{{BN}}x{{BK}}xf64> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}
{{#W=i8}}
      %ur = arith.sitofp %uw : tensor<{{BN}}x{{BK}}xi8> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}{{^W=i8}}
      %uWide = arith.extf %uw : tensor<{{BN}}x{{BK}}x{{W}}> to tensor<{{BN}}x{{BK}}xf64>
      %ur = arith.truncf %uWide : tensor<{{BN}}x{{BK}}xf64> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}
      %gt = tile.trans %gr : tensor<{{BN}}x{{BK}}xf32> -> tensor<{{BK}}x{{BN}}xf32>
      %ut = tile.trans %ur : tensor<{{BN}}x{{BK}}xf32> -> tensor<{{BK}}x{{BN}}xf32>
      %accG2 = tile.dot %xt, %gt, %accG : tensor<{{BM}}x{{BK}}xf32>, tensor<{{BK}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %accU2 = tile.dot %xt, %ut, %accU : tensor<{{BM}}x{{BK}}xf32>, tensor<{{BK}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      scf.yield %accG2, %accU2 : tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>
    }
{{#W=i8}}
    // Int8 weights: the sums times expert e's scales of columns col0 + j.
    %sOff = arith.muli %search#0, %cI : i32
    %gsE = tile.addptr %gate_scale, %sOff : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %usE = tile.addptr %up_scale, %sOff : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %gsP = tile.addptr %gsE, %rn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
    %usP = tile.addptr %usE, %rn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
    %gs = tile.load %gsP mask %colOk : tensor<{{BN}}x!tile.ptr<f32>> -> tensor<{{BN}}xf32>
    %us = tile.load %usP mask %colOk : tensor<{{BN}}x!tile.ptr<f32>> -> tensor<{{BN}}xf32>
    %gsRow = tile.expand_dims %gs axis 0 : tensor<{{BN}}xf32> -> tensor<1x{{BN}}xf32>
    %usRow = tile.expand_dims %us axis 0 : tensor<{{BN}}xf32> -> tensor<1x{{BN}}xf32>
    %gsB = tile.broadcast %gsRow : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
    %usB = tile.broadcast %usRow : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
    %gScaled = arith.mulf %sums#0, %gsB : tensor<{{BM}}x{{BN}}xf32>
    %uScaled = arith.mulf %sums#1, %usB : tensor<{{BM}}x{{BN}}xf32>
    scf.yield %gScaled, %uScaled : tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>
{{/W=i8}}{{^W=i8}}
    scf.yield %sums#0, %sums#1 : tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>
{{/W=i8}}
  } else {
    scf.yield %zeroAcc, %zeroAcc : tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>
  }

  // out[r, n] = silu(gate) * up; padding rows hold silu(0) * 0 = 0.
  %act = tile.silu %acc#0 : tensor<{{BM}}x{{BN}}xf32>
  %h = arith.mulf %act, %acc#1 : tensor<{{BM}}x{{BN}}xf32>
  %iCol = tile.splat %cI : i32 -> tensor<{{BM}}x1xi32>
  %outRowOff = arith.muli %rmCol, %iCol : tensor<{{BM}}x1xi32>
  %outRowOffB = tile.broadcast %outRowOff : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BN}}xi32>
  %rnRowB = tile.broadcast %rnRow : tensor<1x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
  %outOff = arith.addi %outRowOffB, %rnRowB : tensor<{{BM}}x{{BN}}xi32>
  %outPtrs = tile.addptr %out, %outOff : !tile.ptr<f32>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}x!tile.ptr<f32>>
  %rowOkB = tile.broadcast %rowOkCol : tensor<{{BM}}x1xi1> -> tensor<{{BM}}x{{BN}}xi1>
  %colOkRowB = tile.broadcast %colOkRow : tensor<1x{{BN}}xi1> -> tensor<{{BM}}x{{BN}}xi1>
  %outMask = arith.andi %rowOkB, %colOkRowB : tensor<{{BM}}x{{BN}}xi1>
  tile.store %outPtrs, %h mask %outMask : tensor<{{BM}}x{{BN}}x!tile.ptr<f32>>, tensor<{{BM}}x{{BN}}xf32>
  return
}
