// grouped_gate_up_i4 (docs/kernels.md, docs/quantization.md): the GPU's
// grouped_gate_up over int4 expert weights (--quantize int4-experts), grid
// (ceil(rows/BM), ceil(I/BN)).
//
//   x         [T, H] f32        the normalized hidden states
//   row_token [rows] i32        token of each dispatch row, -1 for padding
//   offsets   [E+1] i32         expert e owns rows [offsets[e], offsets[e+1])
//   gate, up  [E, I, H/2] i8    stacked gate_proj / up_proj rows, two int4
//                               values per byte: byte j of a row holds
//                               inputs 2j (low nibble) and 2j + 1 (high)
//   gate_scale, up_scale [E, I, H/G] f32   a scale per row and G inputs
//   out       [rows, I] f32     silu(x[tok] @ gate_e^T) * (x[tok] @ up_e^T)
//   rows      i32               rows of the dispatch buffers (ROWS_MAX)
//
// As grouped_gate_up (BM = the plan's BLOCK, so a program's rows belong to
// one expert; padding rows compute silu(0) * 0 = 0), with BK bytes of BN
// weight rows per step (2*BK inputs, inside one group: 2*BK divides G): the
// nibbles, sign-extended by shifts, are two [BN, BK] i8 tiles converted to
// f32, whose transposes multiply x's even and odd inputs ([BM, BK] each) in
// two dots into the step's sums; the sums times the rows' scales of the
// step's group are added to the accumulators. The nibbles' values (-8..7)
// are exact in bf16, so bf16 engines run the dots on tensor cores as the
// int8 GEMMs do. Params: E, H, I, BM, BN, BK, G (G divides H).
func.func @{{KERNEL}}(%x: !tile.ptr<f32>, %row_token: !tile.ptr<i32>,
                      %offsets: !tile.ptr<i32>, %gate: !tile.ptr<i8>,
                      %gate_scale: !tile.ptr<f32>,
                      %up: !tile.ptr<i8>, %up_scale: !tile.ptr<f32>,
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
  %cG = arith.constant {{G}} : i32
  %rowBytes = arith.divsi %cH, %c2 : i32
  %rowGroups = arith.divsi %cH, %cG : i32

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
    // x's even and odd inputs of a step: 2j and 2j + 1 of its 2*BK.
    %twoK = tile.splat %c2 : i32 -> tensor<{{BK}}xi32>
    %evenK = arith.muli %rBK, %twoK : tensor<{{BK}}xi32>
    %evenRow = tile.expand_dims %evenK axis 0 : tensor<{{BK}}xi32> -> tensor<1x{{BK}}xi32>
    %evenRowB = tile.broadcast %evenRow : tensor<1x{{BK}}xi32> -> tensor<{{BM}}x{{BK}}xi32>
    %xEvenOff = arith.addi %xRowOffB, %evenRowB : tensor<{{BM}}x{{BK}}xi32>
    %oneB = arith.constant dense<1> : tensor<{{BM}}x{{BK}}xi32>
    %xOddOff = arith.addi %xEvenOff, %oneB : tensor<{{BM}}x{{BK}}xi32>
    // Expert e's byte rows as BN x BK tiles (row n at n * H/2: contiguous,
    // so the loads are wide) and its scales of rows col0 + j.
    %expert64 = arith.extsi %search#0 : i32 to i64
    %cIw = arith.extsi %cI : i32 to i64
    %rowBytesW = arith.extsi %rowBytes : i32 to i64
    %rowGroupsW = arith.extsi %rowGroups : i32 to i64
    %eRows = arith.muli %expert64, %cIw : i64
    %wBase = arith.muli %eRows, %rowBytesW : i64
    %sBase = arith.muli %eRows, %rowGroupsW : i64
    %gateE = tile.addptr %gate, %wBase : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
    %upE = tile.addptr %up, %wBase : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
    %gsE = tile.addptr %gate_scale, %sBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %usE = tile.addptr %up_scale, %sBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %rnCol = tile.expand_dims %rn axis 1 : tensor<{{BN}}xi32> -> tensor<{{BN}}x1xi32>
    %bytesRows = tile.splat %rowBytes : i32 -> tensor<{{BN}}x1xi32>
    %wRowOff = arith.muli %rnCol, %bytesRows : tensor<{{BN}}x1xi32>
    %wRowOffB = tile.broadcast %wRowOff : tensor<{{BN}}x1xi32> -> tensor<{{BN}}x{{BK}}xi32>
    %rkRow = tile.expand_dims %rBK axis 0 : tensor<{{BK}}xi32> -> tensor<1x{{BK}}xi32>
    %rkRowW = tile.broadcast %rkRow : tensor<1x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}xi32>
    %wOff = arith.addi %wRowOffB, %rkRowW : tensor<{{BN}}x{{BK}}xi32>
    %colOkCol = tile.expand_dims %colOk axis 1 : tensor<{{BN}}xi1> -> tensor<{{BN}}x1xi1>
    %colOkB = tile.broadcast %colOkCol : tensor<{{BN}}x1xi1> -> tensor<{{BN}}x{{BK}}xi1>
    %groupsN = tile.splat %rowGroups : i32 -> tensor<{{BN}}xi32>
    %sOff = arith.muli %rn, %groupsN : tensor<{{BN}}xi32>
    %xZero = arith.constant dense<0.000000e+00> : tensor<{{BM}}x{{BK}}xf32>
    %wZero = arith.constant dense<0> : tensor<{{BN}}x{{BK}}xi8>
    %four = arith.constant dense<4> : tensor<{{BN}}x{{BK}}xi8>
    %steps = arith.divsi %rowBytes, %cBK : i32
    %sums:2 = scf.for %s = %c0 to %steps step %c1
        iter_args(%accG = %zeroAcc, %accU = %zeroAcc)
        -> (tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>) : i32 {
      %b0 = arith.muli %s, %cBK : i32
      %k0 = arith.muli %b0, %c2 : i32
      %g = arith.divsi %k0, %cG : i32
      // x[tok, k0 + 2j] and x[tok, k0 + 2j + 1]: BM x BK each.
      %xStep = tile.addptr %x, %k0 : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %xeP = tile.addptr %xStep, %xEvenOff : !tile.ptr<f32>, tensor<{{BM}}x{{BK}}xi32> -> tensor<{{BM}}x{{BK}}x!tile.ptr<f32>>
      %xoP = tile.addptr %xStep, %xOddOff : !tile.ptr<f32>, tensor<{{BM}}x{{BK}}xi32> -> tensor<{{BM}}x{{BK}}x!tile.ptr<f32>>
      %xe = tile.load %xeP mask %validB other %xZero : tensor<{{BM}}x{{BK}}x!tile.ptr<f32>> -> tensor<{{BM}}x{{BK}}xf32>
      %xo = tile.load %xoP mask %validB other %xZero : tensor<{{BM}}x{{BK}}x!tile.ptr<f32>> -> tensor<{{BM}}x{{BK}}xf32>
      // gate_e and up_e bytes: BN x BK rows, their nibbles.
      %gStep = tile.addptr %gateE, %b0 : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
      %uStep = tile.addptr %upE, %b0 : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
      %gPtrs = tile.addptr %gStep, %wOff : !tile.ptr<i8>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<i8>>
      %uPtrs = tile.addptr %uStep, %wOff : !tile.ptr<i8>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<i8>>
      %gb = tile.load %gPtrs mask %colOkB other %wZero : tensor<{{BN}}x{{BK}}x!tile.ptr<i8>> -> tensor<{{BN}}x{{BK}}xi8>
      %ub = tile.load %uPtrs mask %colOkB other %wZero : tensor<{{BN}}x{{BK}}x!tile.ptr<i8>> -> tensor<{{BN}}x{{BK}}xi8>
      %gShift = arith.shli %gb, %four : tensor<{{BN}}x{{BK}}xi8>
      %gLoQ = arith.shrsi %gShift, %four : tensor<{{BN}}x{{BK}}xi8>
      %gHiQ = arith.shrsi %gb, %four : tensor<{{BN}}x{{BK}}xi8>
      %uShift = arith.shli %ub, %four : tensor<{{BN}}x{{BK}}xi8>
      %uLoQ = arith.shrsi %uShift, %four : tensor<{{BN}}x{{BK}}xi8>
      %uHiQ = arith.shrsi %ub, %four : tensor<{{BN}}x{{BK}}xi8>
      %gLo = arith.sitofp %gLoQ : tensor<{{BN}}x{{BK}}xi8> to tensor<{{BN}}x{{BK}}xf32>
      %gHi = arith.sitofp %gHiQ : tensor<{{BN}}x{{BK}}xi8> to tensor<{{BN}}x{{BK}}xf32>
      %uLo = arith.sitofp %uLoQ : tensor<{{BN}}x{{BK}}xi8> to tensor<{{BN}}x{{BK}}xf32>
      %uHi = arith.sitofp %uHiQ : tensor<{{BN}}x{{BK}}xi8> to tensor<{{BN}}x{{BK}}xf32>
      %gLoT = tile.trans %gLo : tensor<{{BN}}x{{BK}}xf32> -> tensor<{{BK}}x{{BN}}xf32>
      %gHiT = tile.trans %gHi : tensor<{{BN}}x{{BK}}xf32> -> tensor<{{BK}}x{{BN}}xf32>
      %uLoT = tile.trans %uLo : tensor<{{BN}}x{{BK}}xf32> -> tensor<{{BK}}x{{BN}}xf32>
      %uHiT = tile.trans %uHi : tensor<{{BN}}x{{BK}}xf32> -> tensor<{{BK}}x{{BN}}xf32>
      %stepG0 = tile.dot %xe, %gLoT, %zeroAcc : tensor<{{BM}}x{{BK}}xf32>, tensor<{{BK}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %stepG = tile.dot %xo, %gHiT, %stepG0 : tensor<{{BM}}x{{BK}}xf32>, tensor<{{BK}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %stepU0 = tile.dot %xe, %uLoT, %zeroAcc : tensor<{{BM}}x{{BK}}xf32>, tensor<{{BK}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %stepU = tile.dot %xo, %uHiT, %stepU0 : tensor<{{BM}}x{{BK}}xf32>, tensor<{{BK}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      // The rows' scales of group g (columns col0 + j of the sums).
      %gsG = tile.addptr %gsE, %g : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %usG = tile.addptr %usE, %g : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %gsP = tile.addptr %gsG, %sOff : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
      %usP = tile.addptr %usG, %sOff : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
      %gs = tile.load %gsP mask %colOk : tensor<{{BN}}x!tile.ptr<f32>> -> tensor<{{BN}}xf32>
      %us = tile.load %usP mask %colOk : tensor<{{BN}}x!tile.ptr<f32>> -> tensor<{{BN}}xf32>
      %gsRow = tile.expand_dims %gs axis 0 : tensor<{{BN}}xf32> -> tensor<1x{{BN}}xf32>
      %usRow = tile.expand_dims %us axis 0 : tensor<{{BN}}xf32> -> tensor<1x{{BN}}xf32>
      %gsB = tile.broadcast %gsRow : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %usB = tile.broadcast %usRow : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %accG2 = math.fma %stepG, %gsB, %accG : tensor<{{BM}}x{{BN}}xf32>
      %accU2 = math.fma %stepU, %usB, %accU : tensor<{{BM}}x{{BN}}xf32>
      scf.yield %accG2, %accU2 : tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>
    }
    scf.yield %sums#0, %sums#1 : tensor<{{BM}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32>
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
