// expert_gemv_gate_up_panel_i16 (docs/kernels.md): expert_gemv_gate_up_panel
// for int8 expert weights with int16 activations in integer arithmetic
// (docs/quantization.md, "int16 activations"): the first half of the K
// experts each token was routed to, single-token steps, grid
// (ceil(I/BN), K, T).
//
//   xq      [T, ceil(H/2)] i32   the tokens' hidden states as int16 pairs
//   xs      [T] f32              their scales (quantize_rows_i16)
//   indices [T, K] i32           moe_route's experts of each token
//   gate, up [E, ceil(I/BN), H, BN] i8   stacked gate_proj / up_proj panels
//   gate_scale, up_scale [E, ceil(I/BN)*BN] f32   their output scales
//   out     [T, K, I] f32        silu(gate_e @ x[t]) * (up_e @ x[t])
//
// Program (j, s, t) reads panel j of gate_e and up_e front to back: per
// iteration BK pairs of panel rows ([BK, 2, BN] int8 each) times the BK
// activation pairs of token t (broadcast along them), tile.pair_dot into
// two [BK, BN] i32 sums, flushed into f32 every CHUNK iterations; the BK
// rows summed at the end, times xs[t] and the expert's scales. One masked
// step covers the pairs past the last whole BK step (an odd H's last row
// pairs with a zero activation). An index of another rank (-1) reads no
// weights and stores silu(0) * 0 = 0; other indices are clamped into
// [0, E). Params: E, H, I, K, BN (16), BK, CHUNK.
func.func @{{KERNEL}}(%xq: !tile.ptr<i32>, %xs: !tile.ptr<f32>, %indices: !tile.ptr<i32>,
                      %gate: !tile.ptr<i8>, %gate_scale: !tile.ptr<f32>,
                      %up: !tile.ptr<i8>, %up_scale: !tile.ptr<f32>,
                      %out: !tile.ptr<f32>) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> ({{I}} ceildiv {{BN}}, {{K}}, s0),
                               grid_symbols = ["tokens"],
                               block = [{{BK}}, 2, {{BN}}]>} {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c2 = arith.constant 2 : i32
  %cH = arith.constant {{H}} : i32
  %cI = arith.constant {{I}} : i32
  %cK = arith.constant {{K}} : i32
  %cBN = arith.constant {{BN}} : i32
  %cBK = arith.constant {{BK}} : i32
  %cE = arith.constant {{E}} : i32
  %cChunk = arith.constant {{CHUNK}} : i32
  %hPlus = arith.addi %cH, %c1 : i32
  %cPairs = arith.divsi %hPlus, %c2 : i32
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

  // Bases: panel j of expert e at e * ceil(I/BN)*BN*H + n0*H, xq + t *
  // ceil(H/2), out + (t*K + slot)*I + n0.
  %cBNw = arith.constant {{BN}} : i64
  %c1w = arith.constant 1 : i64
  %ew = arith.extsi %expert : i32 to i64
  %n0w = arith.extsi %n0 : i32 to i64
  %cHw = arith.extsi %cH : i32 to i64
  %cIw = arith.extsi %cI : i32 to i64
  %tw = arith.extsi %t : i32 to i64
  %pairw = arith.extsi %pair : i32 to i64
  %pairsw = arith.extsi %cPairs : i32 to i64
  %iRound = arith.addi %cIw, %cBNw : i64
  %iRound1 = arith.subi %iRound, %c1w : i64
  %panels = arith.divsi %iRound1, %cBNw : i64
  %iPadded = arith.muli %panels, %cBNw : i64
  %matrix = arith.muli %iPadded, %cHw : i64
  %eBase = arith.muli %ew, %matrix : i64
  %panelBase = arith.muli %n0w, %cHw : i64
  %wBase = arith.addi %eBase, %panelBase : i64
  %gPanel = tile.addptr %gate, %wBase : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
  %uPanel = tile.addptr %up, %wBase : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
  %xBase = arith.muli %tw, %pairsw : i64
  %xRow = tile.addptr %xq, %xBase : !tile.ptr<i32>, i64 -> !tile.ptr<i32>
  %oRow = arith.muli %pairw, %cIw : i64
  %oBase = arith.addi %oRow, %n0w : i64
  %oBlock = tile.addptr %out, %oBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

  // Offsets: activation pair r ([BK, 1]); row 2r + u of the step, lane j
  // ((2r + u)*BN + j, [BK, 2, BN]).
  {{>pair_rows}}

  // Whole BK steps of whole pairs, unmasked, flushed every CHUNK steps.
  // A slot routed to another rank (index -1) reads no weights.
  %isHere = arith.cmpi sge, %eRaw, %c0 : i32
  %pairsWhole = arith.divsi %cH, %c2 : i32
  %steps = arith.divsi %pairsWhole, %cBK : i32
  %pFull = arith.muli %steps, %cBK : i32
  %pMain = arith.select %isHere, %pFull, %c0 : i32
  %pEnd = arith.select %isHere, %cPairs, %c0 : i32
  %chunkPairs = arith.muli %cChunk, %cBK : i32
  %izero = arith.constant dense<0> : tensor<{{BK}}x{{BN}}xi32>
  %fzero = arith.constant dense<0.0> : tensor<{{BK}}x{{BN}}xf32>
  %main:2 = scf.for %c = %c0 to %pMain step %chunkPairs
      iter_args(%fg = %fzero, %fu = %fzero)
      -> (tensor<{{BK}}x{{BN}}xf32>, tensor<{{BK}}x{{BN}}xf32>) : i32 {
    %cNext = arith.addi %c, %chunkPairs : i32
    %cEnd = arith.minsi %cNext, %pMain : i32
    %sums:2 = scf.for %kp = %c to %cEnd step %cBK
        iter_args(%ag = %izero, %au = %izero)
        -> (tensor<{{BK}}x{{BN}}xi32>, tensor<{{BK}}x{{BN}}xi32>) : i32 {
      %xk = tile.addptr %xRow, %kp : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
      %xp = tile.addptr %xk, %xOff : !tile.ptr<i32>, tensor<{{BK}}x1xi32> -> tensor<{{BK}}x1x!tile.ptr<i32>>
      %xt = tile.load %xp : tensor<{{BK}}x1x!tile.ptr<i32>> -> tensor<{{BK}}x1xi32>
      %xB = tile.broadcast %xt : tensor<{{BK}}x1xi32> -> tensor<{{BK}}x{{BN}}xi32>
      %kRow = arith.muli %kp, %c2 : i32
      %kw = arith.muli %kRow, %cBN : i32
      %gk = tile.addptr %gPanel, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
      %uk = tile.addptr %uPanel, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
      %gp = tile.addptr %gk, %wOff : !tile.ptr<i8>, tensor<{{BK}}x2x{{BN}}xi32> -> tensor<{{BK}}x2x{{BN}}x!tile.ptr<i8>>
      %upp = tile.addptr %uk, %wOff : !tile.ptr<i8>, tensor<{{BK}}x2x{{BN}}xi32> -> tensor<{{BK}}x2x{{BN}}x!tile.ptr<i8>>
      %gw = tile.load %gp : tensor<{{BK}}x2x{{BN}}x!tile.ptr<i8>> -> tensor<{{BK}}x2x{{BN}}xi8>
      %uw = tile.load %upp : tensor<{{BK}}x2x{{BN}}x!tile.ptr<i8>> -> tensor<{{BK}}x2x{{BN}}xi8>
      %ag2 = tile.pair_dot %xB, %gw, %ag : tensor<{{BK}}x{{BN}}xi32>, tensor<{{BK}}x2x{{BN}}xi8>, tensor<{{BK}}x{{BN}}xi32> -> tensor<{{BK}}x{{BN}}xi32>
      %au2 = tile.pair_dot %xB, %uw, %au : tensor<{{BK}}x{{BN}}xi32>, tensor<{{BK}}x2x{{BN}}xi8>, tensor<{{BK}}x{{BN}}xi32> -> tensor<{{BK}}x{{BN}}xi32>
      scf.yield %ag2, %au2 : tensor<{{BK}}x{{BN}}xi32>, tensor<{{BK}}x{{BN}}xi32>
    }
    %gF = arith.sitofp %sums#0 : tensor<{{BK}}x{{BN}}xi32> to tensor<{{BK}}x{{BN}}xf32>
    %uF = arith.sitofp %sums#1 : tensor<{{BK}}x{{BN}}xi32> to tensor<{{BK}}x{{BN}}xf32>
    %fg2 = arith.addf %fg, %gF : tensor<{{BK}}x{{BN}}xf32>
    %fu2 = arith.addf %fu, %uF : tensor<{{BK}}x{{BN}}xf32>
    scf.yield %fg2, %fu2 : tensor<{{BK}}x{{BN}}xf32>, tensor<{{BK}}x{{BN}}xf32>
  }
  // The rest (zero or one step): pairs < ceil(H/2), rows < H.
  %acc:2 = scf.for %kp = %pMain to %pEnd step %cBK
      iter_args(%fg = %main#0, %fu = %main#1)
      -> (tensor<{{BK}}x{{BN}}xf32>, tensor<{{BK}}x{{BN}}xf32>) : i32 {
    %pLeft = arith.subi %cPairs, %kp : i32
    %pLeftV = tile.splat %pLeft : i32 -> tensor<{{BK}}x1xi32>
    %xMask = arith.cmpi slt, %xOff, %pLeftV : tensor<{{BK}}x1xi32>
    %kRow = arith.muli %kp, %c2 : i32
    %rowsLeft = arith.subi %cH, %kRow : i32
    %rowsLeftV = tile.splat %rowsLeft : i32 -> tensor<{{BK}}x2x{{BN}}xi32>
    %wMask = arith.cmpi slt, %stepRowB, %rowsLeftV : tensor<{{BK}}x2x{{BN}}xi32>
    %xk = tile.addptr %xRow, %kp : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
    %xp = tile.addptr %xk, %xOff : !tile.ptr<i32>, tensor<{{BK}}x1xi32> -> tensor<{{BK}}x1x!tile.ptr<i32>>
    %xt = tile.load %xp mask %xMask : tensor<{{BK}}x1x!tile.ptr<i32>> -> tensor<{{BK}}x1xi32>
    %xB = tile.broadcast %xt : tensor<{{BK}}x1xi32> -> tensor<{{BK}}x{{BN}}xi32>
    %kw = arith.muli %kRow, %cBN : i32
    %gk = tile.addptr %gPanel, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
    %uk = tile.addptr %uPanel, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
    %gp = tile.addptr %gk, %wOff : !tile.ptr<i8>, tensor<{{BK}}x2x{{BN}}xi32> -> tensor<{{BK}}x2x{{BN}}x!tile.ptr<i8>>
    %upp = tile.addptr %uk, %wOff : !tile.ptr<i8>, tensor<{{BK}}x2x{{BN}}xi32> -> tensor<{{BK}}x2x{{BN}}x!tile.ptr<i8>>
    %gw = tile.load %gp mask %wMask : tensor<{{BK}}x2x{{BN}}x!tile.ptr<i8>> -> tensor<{{BK}}x2x{{BN}}xi8>
    %uw = tile.load %upp mask %wMask : tensor<{{BK}}x2x{{BN}}x!tile.ptr<i8>> -> tensor<{{BK}}x2x{{BN}}xi8>
    %ag = tile.pair_dot %xB, %gw, %izero : tensor<{{BK}}x{{BN}}xi32>, tensor<{{BK}}x2x{{BN}}xi8>, tensor<{{BK}}x{{BN}}xi32> -> tensor<{{BK}}x{{BN}}xi32>
    %au = tile.pair_dot %xB, %uw, %izero : tensor<{{BK}}x{{BN}}xi32>, tensor<{{BK}}x2x{{BN}}xi8>, tensor<{{BK}}x{{BN}}xi32> -> tensor<{{BK}}x{{BN}}xi32>
    %gF = arith.sitofp %ag : tensor<{{BK}}x{{BN}}xi32> to tensor<{{BK}}x{{BN}}xf32>
    %uF = arith.sitofp %au : tensor<{{BK}}x{{BN}}xi32> to tensor<{{BK}}x{{BN}}xf32>
    %fg2 = arith.addf %fg, %gF : tensor<{{BK}}x{{BN}}xf32>
    %fu2 = arith.addf %fu, %uF : tensor<{{BK}}x{{BN}}xf32>
    scf.yield %fg2, %fu2 : tensor<{{BK}}x{{BN}}xf32>, tensor<{{BK}}x{{BN}}xf32>
  }

  // The BK rows summed, times xs[t] and expert e's scales of outputs n0 + j.
  %g = tile.reduce sum %acc#0 axis 0 : tensor<{{BK}}x{{BN}}xf32> -> tensor<{{BN}}xf32>
  %u = tile.reduce sum %acc#1 axis 0 : tensor<{{BK}}x{{BN}}xf32> -> tensor<{{BN}}xf32>
  %xsp = tile.addptr %xs, %t : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
  %xScale = tile.load %xsp : !tile.ptr<f32> -> f32
  %xScaleV = tile.splat %xScale : f32 -> tensor<{{BN}}xf32>
  %sBase = arith.muli %ew, %iPadded : i64
  %sBlock = arith.addi %sBase, %n0w : i64
  %gsRow = tile.addptr %gate_scale, %sBlock : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
  %usRow = tile.addptr %up_scale, %sBlock : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
  %gsp = tile.addptr %gsRow, %rn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
  %usp = tile.addptr %usRow, %rn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
  %gs = tile.load %gsp : tensor<{{BN}}x!tile.ptr<f32>> -> tensor<{{BN}}xf32>
  %us = tile.load %usp : tensor<{{BN}}x!tile.ptr<f32>> -> tensor<{{BN}}xf32>
  %gRow = arith.mulf %g, %xScaleV : tensor<{{BN}}xf32>
  %uRow = arith.mulf %u, %xScaleV : tensor<{{BN}}xf32>
  %gScaled = arith.mulf %gRow, %gs : tensor<{{BN}}xf32>
  %uScaled = arith.mulf %uRow, %us : tensor<{{BN}}xf32>
  %act = tile.silu %gScaled : tensor<{{BN}}xf32>
  %value = arith.mulf %act, %uScaled : tensor<{{BN}}xf32>

  // out[t, s, n0 + j] for the columns < I.
  %nLeft = arith.subi %cI, %n0 : i32
  %nLeftV = tile.splat %nLeft : i32 -> tensor<{{BN}}xi32>
  %colOk = arith.cmpi slt, %rn, %nLeftV : tensor<{{BN}}xi32>
  %oPtrs = tile.addptr %oBlock, %rn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
  tile.store %oPtrs, %value mask %colOk : tensor<{{BN}}x!tile.ptr<f32>>, tensor<{{BN}}xf32>
  return
}
