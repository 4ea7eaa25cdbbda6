// grouped_down_i4 (docs/kernels.md, docs/quantization.md): the GPU's
// grouped_down over int4 expert weights (--quantize int4-experts), grid
// (ceil(rows/BM), ceil(H/BN)).
//
//   h       [rows, I] f32   grouped_gate_up_i4's output (padding rows are 0)
//   offsets [E+1] i32       expert e owns rows [offsets[e], offsets[e+1])
//   down    [E, H, I/2] i8  stacked down_proj rows, two int4 values per
//                           byte: byte j of a row holds inputs 2j (low
//                           nibble) and 2j + 1 (high)
//   down_scale [E, H, I/G] f32   a scale per row and G inputs
//   out     [rows, H] f32   h[r] @ down_e^T
//   rows    i32             rows of the dispatch buffers (ROWS_MAX)
//
// As grouped_down (BM = the plan's BLOCK: one expert per program; a block
// past offsets[E] writes zeros), with the int4 steps of grouped_gate_up_i4:
// BK bytes of BN rows per step inside one group, the low and high nibbles'
// transposes times h's even and odd inputs in two dots, the step's sums
// times the rows' scales of its group added to the accumulator. Params: E,
// H, I, BM, BN, BK, G (G divides I, 2*BK divides G).
func.func @{{KERNEL}}(%h: !tile.ptr<f32>, %offsets: !tile.ptr<i32>,
                      %down: !tile.ptr<i8>, %down_scale: !tile.ptr<f32>,
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
  %cG = arith.constant {{G}} : i32
  %rowBytes = arith.divsi %cI, %c2 : i32
  %rowGroups = arith.divsi %cI, %cG : i32

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
    // h's even and odd inputs of a step: h + r * I + k0 + 2j (+ 1).
    %iCol = tile.splat %cI : i32 -> tensor<{{BM}}x1xi32>
    %hRowOff = arith.muli %rmCol, %iCol : tensor<{{BM}}x1xi32>
    %hRowOffB = tile.broadcast %hRowOff : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BK}}xi32>
    %rowOkB = tile.broadcast %rowOkCol : tensor<{{BM}}x1xi1> -> tensor<{{BM}}x{{BK}}xi1>
    %twoK = tile.splat %c2 : i32 -> tensor<{{BK}}xi32>
    %evenK = arith.muli %rBK, %twoK : tensor<{{BK}}xi32>
    %evenRow = tile.expand_dims %evenK axis 0 : tensor<{{BK}}xi32> -> tensor<1x{{BK}}xi32>
    %evenRowB = tile.broadcast %evenRow : tensor<1x{{BK}}xi32> -> tensor<{{BM}}x{{BK}}xi32>
    %hEvenOff = arith.addi %hRowOffB, %evenRowB : tensor<{{BM}}x{{BK}}xi32>
    %oneB = arith.constant dense<1> : tensor<{{BM}}x{{BK}}xi32>
    %hOddOff = arith.addi %hEvenOff, %oneB : tensor<{{BM}}x{{BK}}xi32>
    // down_e's byte rows as BN x BK tiles (row n at n * I/2: contiguous)
    // and its scales of rows col0 + j.
    %expert64 = arith.extsi %search#0 : i32 to i64
    %cHw = arith.extsi %cH : i32 to i64
    %rowBytesW = arith.extsi %rowBytes : i32 to i64
    %rowGroupsW = arith.extsi %rowGroups : i32 to i64
    %eRows = arith.muli %expert64, %cHw : i64
    %wBase = arith.muli %eRows, %rowBytesW : i64
    %sBase = arith.muli %eRows, %rowGroupsW : i64
    %downE = tile.addptr %down, %wBase : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
    %dsE = tile.addptr %down_scale, %sBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
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
    %aZero = arith.constant dense<0.000000e+00> : tensor<{{BM}}x{{BK}}xf32>
    %wZero = arith.constant dense<0> : tensor<{{BN}}x{{BK}}xi8>
    %four = arith.constant dense<4> : tensor<{{BN}}x{{BK}}xi8>
    %steps = arith.divsi %rowBytes, %cBK : i32
    %sum = scf.for %s = %c0 to %steps step %c1
        iter_args(%accD = %zeroAcc) -> (tensor<{{BM}}x{{BN}}xf32>) : i32 {
      %b0 = arith.muli %s, %cBK : i32
      %k0 = arith.muli %b0, %c2 : i32
      %g = arith.divsi %k0, %cG : i32
      %hStep = tile.addptr %h, %k0 : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %heP = tile.addptr %hStep, %hEvenOff : !tile.ptr<f32>, tensor<{{BM}}x{{BK}}xi32> -> tensor<{{BM}}x{{BK}}x!tile.ptr<f32>>
      %hoP = tile.addptr %hStep, %hOddOff : !tile.ptr<f32>, tensor<{{BM}}x{{BK}}xi32> -> tensor<{{BM}}x{{BK}}x!tile.ptr<f32>>
      %he = tile.load %heP mask %rowOkB other %aZero : tensor<{{BM}}x{{BK}}x!tile.ptr<f32>> -> tensor<{{BM}}x{{BK}}xf32>
      %ho = tile.load %hoP mask %rowOkB other %aZero : tensor<{{BM}}x{{BK}}x!tile.ptr<f32>> -> tensor<{{BM}}x{{BK}}xf32>
      %dStep = tile.addptr %downE, %b0 : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
      %dPtrs = tile.addptr %dStep, %wOff : !tile.ptr<i8>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<i8>>
      %db = tile.load %dPtrs mask %colOkB other %wZero : tensor<{{BN}}x{{BK}}x!tile.ptr<i8>> -> tensor<{{BN}}x{{BK}}xi8>
      %dShift = arith.shli %db, %four : tensor<{{BN}}x{{BK}}xi8>
      %dLoQ = arith.shrsi %dShift, %four : tensor<{{BN}}x{{BK}}xi8>
      %dHiQ = arith.shrsi %db, %four : tensor<{{BN}}x{{BK}}xi8>
      %dLo = arith.sitofp %dLoQ : tensor<{{BN}}x{{BK}}xi8> to tensor<{{BN}}x{{BK}}xf32>
      %dHi = arith.sitofp %dHiQ : tensor<{{BN}}x{{BK}}xi8> to tensor<{{BN}}x{{BK}}xf32>
      %dLoT = tile.trans %dLo : tensor<{{BN}}x{{BK}}xf32> -> tensor<{{BK}}x{{BN}}xf32>
      %dHiT = tile.trans %dHi : tensor<{{BN}}x{{BK}}xf32> -> tensor<{{BK}}x{{BN}}xf32>
      %step0 = tile.dot %he, %dLoT, %zeroAcc : tensor<{{BM}}x{{BK}}xf32>, tensor<{{BK}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %step = tile.dot %ho, %dHiT, %step0 : tensor<{{BM}}x{{BK}}xf32>, tensor<{{BK}}x{{BN}}xf32>, tensor<{{BM}}x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      // The rows' scales of group g (columns col0 + j of the sums).
      %dsG = tile.addptr %dsE, %g : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %dsP = tile.addptr %dsG, %sOff : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
      %ds = tile.load %dsP mask %colOk : tensor<{{BN}}x!tile.ptr<f32>> -> tensor<{{BN}}xf32>
      %dsRow = tile.expand_dims %ds axis 0 : tensor<{{BN}}xf32> -> tensor<1x{{BN}}xf32>
      %dsB = tile.broadcast %dsRow : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %accD2 = math.fma %step, %dsB, %accD : tensor<{{BM}}x{{BN}}xf32>
      scf.yield %accD2 : tensor<{{BM}}x{{BN}}xf32>
    }
    scf.yield %sum : tensor<{{BM}}x{{BN}}xf32>
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
