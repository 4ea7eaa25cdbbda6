// expert_gemv_gate_up_i4 (docs/kernels.md, docs/quantization.md): the GPU's
// expert_gemv_gate_up over int4 expert weights (--quantize int4-experts),
// for single-token (decode) steps, grid (ceil(I/BN), K, T).
//
//   x       [T, H] f32      the normalized hidden states
//   indices [T, K] i32      moe_route's experts of each token
//   gate, up [E, I, H/2] i8 stacked gate_proj / up_proj rows, two int4
//                           values per byte (runtime/io/WeightPanels.h,
//                           int4RowByte): byte j of a row holds inputs 2j
//                           (low nibble) and 2j + 1 (high)
//   gate_scale, up_scale [E, I, H/G] f32   a scale per row and G inputs
//   out     [T, K, I] f32   out[t, s] = silu(gate_e @ x[t]) * (up_e @ x[t]),
//                           e = indices[t, s]
//
// Program (j, s, t) owns out[t, s, j*BN : j*BN+BN). Each step loads BK
// bytes of each of the BN rows (a contiguous [BN, BK] i8 tile: wide loads),
// sign-extends the nibbles by shifts (low: left 4 then arithmetic right 4;
// high: arithmetic right 4), multiplies them by x's even and odd inputs and
// adds the step's products times the rows' scales of the step's group to
// lane-wise f32 sums (2*BK divides G: one group per step); the rows are
// reduced after the loop. Rows beyond I are clamped to row I-1 (read, never
// stored). Params: E, H, I, K, BN, BK, G (G divides H). An index of another
// rank (-1) reads no weights and stores silu(0) * 0 = 0; other indices are
// clamped into [0, E).
func.func @{{KERNEL}}(%x: !tile.ptr<f32>, %indices: !tile.ptr<i32>,
                      %gate: !tile.ptr<i8>, %gate_scale: !tile.ptr<f32>,
                      %up: !tile.ptr<i8>, %up_scale: !tile.ptr<f32>,
                      %out: !tile.ptr<f32>) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> ({{I}} ceildiv {{BN}}, {{K}}, s0),
                               grid_symbols = ["tokens"],
                               block = [{{BN}}, {{BK}}]>} {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c2 = arith.constant 2 : i32
  %cH = arith.constant {{H}} : i32
  %cI = arith.constant {{I}} : i32
  %cK = arith.constant {{K}} : i32
  %cBN = arith.constant {{BN}} : i32
  %cBK = arith.constant {{BK}} : i32
  %cE = arith.constant {{E}} : i32
  %cG = arith.constant {{G}} : i32
  %rowBytes = arith.divsi %cH, %c2 : i32
  %rowGroups = arith.divsi %cH, %cG : i32
  %pn = tile.program_id x : i32
  %slot = tile.program_id y : i32
  %t = tile.program_id z : i32
  %n0 = arith.muli %pn, %cBN : i32

  // The expert of (t, slot), clamped into [0, E).
  %tK = arith.muli %t, %cK : i32
  %pair = arith.addi %tK, %slot : i32
  %ip = tile.addptr %indices, %pair : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
  %eRaw = tile.load %ip : !tile.ptr<i32> -> i32
  %eLast = arith.subi %cE, %c1 : i32
  %eHi = arith.minsi %eRaw, %eLast : i32
  %expert = arith.maxsi %eHi, %c0 : i32

  // Bases: expert e's rows at e*I*H/2 bytes and e*I*H/G scales; x + t*H;
  // out + (t*K + slot)*I + n0.
  %ew = arith.extsi %expert : i32 to i64
  %cIw = arith.extsi %cI : i32 to i64
  %cHw = arith.extsi %cH : i32 to i64
  %rowBytesW = arith.extsi %rowBytes : i32 to i64
  %rowGroupsW = arith.extsi %rowGroups : i32 to i64
  %eRows = arith.muli %ew, %cIw : i64
  %wBase = arith.muli %eRows, %rowBytesW : i64
  %sBase = arith.muli %eRows, %rowGroupsW : i64
  %gE = tile.addptr %gate, %wBase : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
  %uE = tile.addptr %up, %wBase : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
  %gsE = tile.addptr %gate_scale, %sBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
  %usE = tile.addptr %up_scale, %sBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
  %tw = arith.extsi %t : i32 to i64
  %xBase = arith.muli %tw, %cHw : i64
  %xRow = tile.addptr %x, %xBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
  %pairw = arith.extsi %pair : i32 to i64
  %n0w = arith.extsi %n0 : i32 to i64
  %oRow = arith.muli %pairw, %cIw : i64
  %oBase = arith.addi %oRow, %n0w : i64
  %oBlock = tile.addptr %out, %oBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

  // Rows of the block (n0 + r, clamped to the last row): byte offsets
  // [BN, BK], scale offsets [BN, 1]; x's even inputs 2j, odd 2j + 1.
  %rn = tile.range <0, {{BN}}> : tensor<{{BN}}xi32>
  %rk = tile.range <0, {{BK}}> : tensor<{{BK}}xi32>
  %n0v = tile.splat %n0 : i32 -> tensor<{{BN}}xi32>
  %rowAt = arith.addi %n0v, %rn : tensor<{{BN}}xi32>
  %lastRow = arith.subi %cI, %c1 : i32
  %lastRowV = tile.splat %lastRow : i32 -> tensor<{{BN}}xi32>
  %rowIn = arith.minsi %rowAt, %lastRowV : tensor<{{BN}}xi32>
  %rowCol = tile.expand_dims %rowIn axis 1 : tensor<{{BN}}xi32> -> tensor<{{BN}}x1xi32>
  %bytesCol = tile.splat %rowBytes : i32 -> tensor<{{BN}}x1xi32>
  %rowOff = arith.muli %rowCol, %bytesCol : tensor<{{BN}}x1xi32>
  %rowOffB = tile.broadcast %rowOff : tensor<{{BN}}x1xi32> -> tensor<{{BN}}x{{BK}}xi32>
  %rkRow = tile.expand_dims %rk axis 0 : tensor<{{BK}}xi32> -> tensor<1x{{BK}}xi32>
  %rkRowB = tile.broadcast %rkRow : tensor<1x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}xi32>
  %wOff = arith.addi %rowOffB, %rkRowB : tensor<{{BN}}x{{BK}}xi32>
  %groupsCol = tile.splat %rowGroups : i32 -> tensor<{{BN}}x1xi32>
  %sOff = arith.muli %rowCol, %groupsCol : tensor<{{BN}}x1xi32>
  %twoK = tile.splat %c2 : i32 -> tensor<{{BK}}xi32>
  %xEvenOff = arith.muli %rk, %twoK : tensor<{{BK}}xi32>
  %oneK = tile.splat %c1 : i32 -> tensor<{{BK}}xi32>
  %xOddOff = arith.addi %xEvenOff, %oneK : tensor<{{BK}}xi32>
  %four = arith.constant dense<4> : tensor<{{BN}}x{{BK}}xi8>

  // A slot routed to another rank (index -1, expert parallelism) reads no
  // weights: the loop runs empty and the block stores silu(0) * 0 = 0.
  %steps = arith.divsi %rowBytes, %cBK : i32
  %isHere = arith.cmpi sge, %eRaw, %c0 : i32
  %sEnd = arith.select %isHere, %steps, %c0 : i32
  %acc0 = arith.constant dense<0.0> : tensor<{{BN}}x{{BK}}xf32>
  %acc:2 = scf.for %s = %c0 to %sEnd step %c1
      iter_args(%ag = %acc0, %au = %acc0)
      -> (tensor<{{BN}}x{{BK}}xf32>, tensor<{{BN}}x{{BK}}xf32>) : i32 {
    %b0 = arith.muli %s, %cBK : i32
    %k0 = arith.muli %b0, %c2 : i32
    %g = arith.divsi %k0, %cG : i32
    %xStep = tile.addptr %xRow, %k0 : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %xep = tile.addptr %xStep, %xEvenOff : !tile.ptr<f32>, tensor<{{BK}}xi32> -> tensor<{{BK}}x!tile.ptr<f32>>
    %xop = tile.addptr %xStep, %xOddOff : !tile.ptr<f32>, tensor<{{BK}}xi32> -> tensor<{{BK}}x!tile.ptr<f32>>
    %xe = tile.load %xep : tensor<{{BK}}x!tile.ptr<f32>> -> tensor<{{BK}}xf32>
    %xo = tile.load %xop : tensor<{{BK}}x!tile.ptr<f32>> -> tensor<{{BK}}xf32>
    %xeRow = tile.expand_dims %xe axis 0 : tensor<{{BK}}xf32> -> tensor<1x{{BK}}xf32>
    %xoRow = tile.expand_dims %xo axis 0 : tensor<{{BK}}xf32> -> tensor<1x{{BK}}xf32>
    %xeB = tile.broadcast %xeRow : tensor<1x{{BK}}xf32> -> tensor<{{BN}}x{{BK}}xf32>
    %xoB = tile.broadcast %xoRow : tensor<1x{{BK}}xf32> -> tensor<{{BN}}x{{BK}}xf32>
    %gStep = tile.addptr %gE, %b0 : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
    %uStep = tile.addptr %uE, %b0 : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
    %gp = tile.addptr %gStep, %wOff : !tile.ptr<i8>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<i8>>
    %upp = tile.addptr %uStep, %wOff : !tile.ptr<i8>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<i8>>
    %gb = tile.load %gp : tensor<{{BN}}x{{BK}}x!tile.ptr<i8>> -> tensor<{{BN}}x{{BK}}xi8>
    %ub = tile.load %upp : tensor<{{BN}}x{{BK}}x!tile.ptr<i8>> -> tensor<{{BN}}x{{BK}}xi8>
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
    %gOdd = arith.mulf %gHi, %xoB : tensor<{{BN}}x{{BK}}xf32>
    %uOdd = arith.mulf %uHi, %xoB : tensor<{{BN}}x{{BK}}xf32>
    %pg = math.fma %gLo, %xeB, %gOdd : tensor<{{BN}}x{{BK}}xf32>
    %pu = math.fma %uLo, %xeB, %uOdd : tensor<{{BN}}x{{BK}}xf32>
    // The rows' scales of group g, along the step's bytes.
    %gsG = tile.addptr %gsE, %g : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %usG = tile.addptr %usE, %g : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %gsp = tile.addptr %gsG, %sOff : !tile.ptr<f32>, tensor<{{BN}}x1xi32> -> tensor<{{BN}}x1x!tile.ptr<f32>>
    %usp = tile.addptr %usG, %sOff : !tile.ptr<f32>, tensor<{{BN}}x1xi32> -> tensor<{{BN}}x1x!tile.ptr<f32>>
    %gs = tile.load %gsp : tensor<{{BN}}x1x!tile.ptr<f32>> -> tensor<{{BN}}x1xf32>
    %us = tile.load %usp : tensor<{{BN}}x1x!tile.ptr<f32>> -> tensor<{{BN}}x1xf32>
    %gsB = tile.broadcast %gs : tensor<{{BN}}x1xf32> -> tensor<{{BN}}x{{BK}}xf32>
    %usB = tile.broadcast %us : tensor<{{BN}}x1xf32> -> tensor<{{BN}}x{{BK}}xf32>
    %ag2 = math.fma %pg, %gsB, %ag : tensor<{{BN}}x{{BK}}xf32>
    %au2 = math.fma %pu, %usB, %au : tensor<{{BN}}x{{BK}}xf32>
    scf.yield %ag2, %au2 : tensor<{{BN}}x{{BK}}xf32>, tensor<{{BN}}x{{BK}}xf32>
  }

  %gv = tile.reduce sum %acc#0 axis 1 : tensor<{{BN}}x{{BK}}xf32> -> tensor<{{BN}}xf32>
  %uv = tile.reduce sum %acc#1 axis 1 : tensor<{{BN}}x{{BK}}xf32> -> tensor<{{BN}}xf32>
  %act = tile.silu %gv : tensor<{{BN}}xf32>
  %hv = arith.mulf %act, %uv : tensor<{{BN}}xf32>
  %nLeft = arith.subi %cI, %n0 : i32
  %nLeftV = tile.splat %nLeft : i32 -> tensor<{{BN}}xi32>
  %rowOk = arith.cmpi slt, %rn, %nLeftV : tensor<{{BN}}xi32>
  %oPtrs = tile.addptr %oBlock, %rn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
  tile.store %oPtrs, %hv mask %rowOk : tensor<{{BN}}x!tile.ptr<f32>>, tensor<{{BN}}xf32>
  return
}
