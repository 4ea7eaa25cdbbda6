// expert_gemv_gate_up_panel (docs/kernels.md): expert_gemv_gate_up over
// expert weights in column panels, the layout of grouped_gate_up_panel
// (CPU engines): the first half of the K experts each token was routed to,
// for single-token (decode) steps, grid (ceil(I/BN), K, T).
//
//   x       [T, H] f32      the normalized hidden states
//   indices [T, K] i32      moe_route's experts of each token
//   gate, up [E, ceil(I/BN), H, BN] W   stacked gate_proj / up_proj, each
//                           expert's [I, H] in column panels
//                           (runtime/io/WeightPanels.h)
//   gate_scale, up_scale [E, ceil(I/BN)*BN] f32   int8 weights only (after
//                           gate and after up): each expert's output
//                           scales (gate_e = scale * q)
//   out     [T, K, I] f32   out[t, s] = silu(gate_e @ x[t]) * (up_e @ x[t]),
//                           e = indices[t, s]
//
// Program (j, s, t) owns out[t, s, j*BN : j*BN+BN), panel j of gate_e and
// up_e, each read front to back as gemv_panel does: per iteration BK panel
// rows ([BK, BN]) times x[t, k .. k+BK-1] (a scalar per row, broadcast
// along it), two [BK, BN] f32 accumulators, the BK rows summed at the end;
// one masked step covers H % BK. Params: W (f32, bf16 or i8: widened
// by sitofp, the sums scaled before silu), E, H, I, K, BN (the panel
// width, 16), BK. An index of another rank (-1) reads no weights and
// stores silu(0) * 0 = 0; other indices are clamped into [0, E).
func.func @{{KERNEL}}(%x: !tile.ptr<f32>, %indices: !tile.ptr<i32>,
                      %gate: !tile.ptr<{{W}}>,{{#W=i8}} %gate_scale: !tile.ptr<f32>,{{/W=i8}}
                      %up: !tile.ptr<{{W}}>,{{#W=i8}} %up_scale: !tile.ptr<f32>,{{/W=i8}}
                      %out: !tile.ptr<f32>) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> ({{I}} ceildiv {{BN}}, {{K}}, s0),
                               grid_symbols = ["tokens"],
                               block = [{{BK}}, {{BN}}]>} {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %cH = arith.constant {{H}} : i32
  %cI = arith.constant {{I}} : i32
  %cK = arith.constant {{K}} : i32
  %cBN = arith.constant {{BN}} : i32
  %cBK = arith.constant {{BK}} : i32
  %cE = arith.constant {{E}} : i32
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

  // Bases: panel j of expert e at e * ceil(I/BN)*BN*H + n0*H, x + t*H,
  // out + (t*K + slot)*I + n0.
  %cBNw = arith.constant {{BN}} : i64
  %c1w = arith.constant 1 : i64
  %ew = arith.extsi %expert : i32 to i64
  %n0w = arith.extsi %n0 : i32 to i64
  %cHw = arith.extsi %cH : i32 to i64
  %cIw = arith.extsi %cI : i32 to i64
  %tw = arith.extsi %t : i32 to i64
  %pairw = arith.extsi %pair : i32 to i64
  %iRound = arith.addi %cIw, %cBNw : i64
  %iRound1 = arith.subi %iRound, %c1w : i64
  %panels = arith.divsi %iRound1, %cBNw : i64
  %iPadded = arith.muli %panels, %cBNw : i64
  %matrix = arith.muli %iPadded, %cHw : i64
  %eBase = arith.muli %ew, %matrix : i64
  %panelBase = arith.muli %n0w, %cHw : i64
  %wBase = arith.addi %eBase, %panelBase : i64
  %gPanel = tile.addptr %gate, %wBase : !tile.ptr<{{W}}>, i64 -> !tile.ptr<{{W}}>
  %uPanel = tile.addptr %up, %wBase : !tile.ptr<{{W}}>, i64 -> !tile.ptr<{{W}}>
  %xBase = arith.muli %tw, %cHw : i64
  %xRow = tile.addptr %x, %xBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
  %oRow = arith.muli %pairw, %cIw : i64
  %oBase = arith.addi %oRow, %n0w : i64
  %oBlock = tile.addptr %out, %oBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

  // Offsets of x[k + r] ([BK, 1]) and of panel row k + r, lane j (r*BN + j).
  %rk = tile.range <0, {{BK}}> : tensor<{{BK}}xi32>
  %rn = tile.range <0, {{BN}}> : tensor<{{BN}}xi32>
  %xOff = tile.expand_dims %rk axis 1 : tensor<{{BK}}xi32> -> tensor<{{BK}}x1xi32>
  %bnCol = tile.splat %cBN : i32 -> tensor<{{BK}}x1xi32>
  %wRowOff = arith.muli %xOff, %bnCol : tensor<{{BK}}x1xi32>
  %wRowOffB = tile.broadcast %wRowOff : tensor<{{BK}}x1xi32> -> tensor<{{BK}}x{{BN}}xi32>
  %rnRow = tile.expand_dims %rn axis 0 : tensor<{{BN}}xi32> -> tensor<1x{{BN}}xi32>
  %rnRowB = tile.broadcast %rnRow : tensor<1x{{BN}}xi32> -> tensor<{{BK}}x{{BN}}xi32>
  %wOff = arith.addi %wRowOffB, %rnRowB : tensor<{{BK}}x{{BN}}xi32>

  %steps = arith.divsi %cH, %cBK : i32
  %kFull = arith.muli %steps, %cBK : i32
  // A slot routed to another rank (index -1, expert parallelism) reads no
  // weights: both loops run empty and the block stores silu(0) * 0 = 0.
  %isHere = arith.cmpi sge, %eRaw, %c0 : i32
  %kMain = arith.select %isHere, %kFull, %c0 : i32
  %kEnd = arith.select %isHere, %cH, %c0 : i32
  %acc0 = arith.constant dense<0.0> : tensor<{{BK}}x{{BN}}xf32>
  %main:2 = scf.for %k = %c0 to %kMain step %cBK
      iter_args(%ag = %acc0, %au = %acc0)
      -> (tensor<{{BK}}x{{BN}}xf32>, tensor<{{BK}}x{{BN}}xf32>) : i32 {
    %xk = tile.addptr %xRow, %k : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %kw = arith.muli %k, %cBN : i32
    %gk = tile.addptr %gPanel, %kw : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
    %uk = tile.addptr %uPanel, %kw : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
    %xp = tile.addptr %xk, %xOff : !tile.ptr<f32>, tensor<{{BK}}x1xi32> -> tensor<{{BK}}x1x!tile.ptr<f32>>
    %gp = tile.addptr %gk, %wOff : !tile.ptr<{{W}}>, tensor<{{BK}}x{{BN}}xi32> -> tensor<{{BK}}x{{BN}}x!tile.ptr<{{W}}>>
    %upp = tile.addptr %uk, %wOff : !tile.ptr<{{W}}>, tensor<{{BK}}x{{BN}}xi32> -> tensor<{{BK}}x{{BN}}x!tile.ptr<{{W}}>>
    %xt = tile.load %xp : tensor<{{BK}}x1x!tile.ptr<f32>> -> tensor<{{BK}}x1xf32>
    %gw = tile.load %gp : tensor<{{BK}}x{{BN}}x!tile.ptr<{{W}}>> -> tensor<{{BK}}x{{BN}}x{{W}}>
    %uw = tile.load %upp : tensor<{{BK}}x{{BN}}x!tile.ptr<{{W}}>> -> tensor<{{BK}}x{{BN}}x{{W}}>
{{#W=i8}}
    %gf = arith.sitofp %gw : tensor<{{BK}}x{{BN}}xi8> to tensor<{{BK}}x{{BN}}xf32>
{{/W=i8}}{{^W=i8}}
    %gWide = arith.extf %gw : tensor<{{BK}}x{{BN}}x{{W}}> to tensor<{{BK}}x{{BN}}xf64>
    %gf = arith.truncf %gWide : tensor<{{BK}}x{{BN}}xf64> to tensor<{{BK}}x{{BN}}xf32>
{{/W=i8}}
{{#W=i8}}
    %uf = arith.sitofp %uw : tensor<{{BK}}x{{BN}}xi8> to tensor<{{BK}}x{{BN}}xf32>
{{/W=i8}}{{^W=i8}}
    %uWide = arith.extf %uw : tensor<{{BK}}x{{BN}}x{{W}}> to tensor<{{BK}}x{{BN}}xf64>
    %uf = arith.truncf %uWide : tensor<{{BK}}x{{BN}}xf64> to tensor<{{BK}}x{{BN}}xf32>
{{/W=i8}}
    %xB = tile.broadcast %xt : tensor<{{BK}}x1xf32> -> tensor<{{BK}}x{{BN}}xf32>
    %ag2 = math.fma %xB, %gf, %ag : tensor<{{BK}}x{{BN}}xf32>
    %au2 = math.fma %xB, %uf, %au : tensor<{{BK}}x{{BN}}xf32>
    scf.yield %ag2, %au2 : tensor<{{BK}}x{{BN}}xf32>, tensor<{{BK}}x{{BN}}xf32>
  }
  %acc:2 = scf.for %k = %kMain to %kEnd step %cBK
      iter_args(%ag = %main#0, %au = %main#1)
      -> (tensor<{{BK}}x{{BN}}xf32>, tensor<{{BK}}x{{BN}}xf32>) : i32 {
    %kLeft = arith.subi %cH, %k : i32
    %kLeftV = tile.splat %kLeft : i32 -> tensor<{{BK}}x1xi32>
    %xMask = arith.cmpi slt, %xOff, %kLeftV : tensor<{{BK}}x1xi32>
    %wMask = tile.broadcast %xMask : tensor<{{BK}}x1xi1> -> tensor<{{BK}}x{{BN}}xi1>
    %xk = tile.addptr %xRow, %k : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %kw = arith.muli %k, %cBN : i32
    %gk = tile.addptr %gPanel, %kw : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
    %uk = tile.addptr %uPanel, %kw : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
    %xp = tile.addptr %xk, %xOff : !tile.ptr<f32>, tensor<{{BK}}x1xi32> -> tensor<{{BK}}x1x!tile.ptr<f32>>
    %gp = tile.addptr %gk, %wOff : !tile.ptr<{{W}}>, tensor<{{BK}}x{{BN}}xi32> -> tensor<{{BK}}x{{BN}}x!tile.ptr<{{W}}>>
    %upp = tile.addptr %uk, %wOff : !tile.ptr<{{W}}>, tensor<{{BK}}x{{BN}}xi32> -> tensor<{{BK}}x{{BN}}x!tile.ptr<{{W}}>>
    %xt = tile.load %xp mask %xMask : tensor<{{BK}}x1x!tile.ptr<f32>> -> tensor<{{BK}}x1xf32>
    %gw = tile.load %gp mask %wMask : tensor<{{BK}}x{{BN}}x!tile.ptr<{{W}}>> -> tensor<{{BK}}x{{BN}}x{{W}}>
    %uw = tile.load %upp mask %wMask : tensor<{{BK}}x{{BN}}x!tile.ptr<{{W}}>> -> tensor<{{BK}}x{{BN}}x{{W}}>
{{#W=i8}}
    %gf = arith.sitofp %gw : tensor<{{BK}}x{{BN}}xi8> to tensor<{{BK}}x{{BN}}xf32>
{{/W=i8}}{{^W=i8}}
    %gWide = arith.extf %gw : tensor<{{BK}}x{{BN}}x{{W}}> to tensor<{{BK}}x{{BN}}xf64>
    %gf = arith.truncf %gWide : tensor<{{BK}}x{{BN}}xf64> to tensor<{{BK}}x{{BN}}xf32>
{{/W=i8}}
{{#W=i8}}
    %uf = arith.sitofp %uw : tensor<{{BK}}x{{BN}}xi8> to tensor<{{BK}}x{{BN}}xf32>
{{/W=i8}}{{^W=i8}}
    %uWide = arith.extf %uw : tensor<{{BK}}x{{BN}}x{{W}}> to tensor<{{BK}}x{{BN}}xf64>
    %uf = arith.truncf %uWide : tensor<{{BK}}x{{BN}}xf64> to tensor<{{BK}}x{{BN}}xf32>
{{/W=i8}}
    %xB = tile.broadcast %xt : tensor<{{BK}}x1xf32> -> tensor<{{BK}}x{{BN}}xf32>
    %ag2 = math.fma %xB, %gf, %ag : tensor<{{BK}}x{{BN}}xf32>
    %au2 = math.fma %xB, %uf, %au : tensor<{{BK}}x{{BN}}xf32>
    scf.yield %ag2, %au2 : tensor<{{BK}}x{{BN}}xf32>, tensor<{{BK}}x{{BN}}xf32>
  }

  %g = tile.reduce sum %acc#0 axis 0 : tensor<{{BK}}x{{BN}}xf32> -> tensor<{{BN}}xf32>
  %u = tile.reduce sum %acc#1 axis 0 : tensor<{{BK}}x{{BN}}xf32> -> tensor<{{BN}}xf32>
{{#W=i8}}
  // Int8 weights: the sums times expert e's scales of outputs n0 + j.
  %sBase = arith.muli %ew, %iPadded : i64
  %sBlock = arith.addi %sBase, %n0w : i64
  %gsRow = tile.addptr %gate_scale, %sBlock : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
  %usRow = tile.addptr %up_scale, %sBlock : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
  %gsp = tile.addptr %gsRow, %rn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
  %usp = tile.addptr %usRow, %rn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
  %gs = tile.load %gsp : tensor<{{BN}}x!tile.ptr<f32>> -> tensor<{{BN}}xf32>
  %us = tile.load %usp : tensor<{{BN}}x!tile.ptr<f32>> -> tensor<{{BN}}xf32>
  %gScaled = arith.mulf %g, %gs : tensor<{{BN}}xf32>
  %uScaled = arith.mulf %u, %us : tensor<{{BN}}xf32>
  %act = tile.silu %gScaled : tensor<{{BN}}xf32>
  %hv = arith.mulf %act, %uScaled : tensor<{{BN}}xf32>
{{/W=i8}}{{^W=i8}}
  %act = tile.silu %g : tensor<{{BN}}xf32>
  %hv = arith.mulf %act, %u : tensor<{{BN}}xf32>
{{/W=i8}}
  %nLeft = arith.subi %cI, %n0 : i32
  %nLeftV = tile.splat %nLeft : i32 -> tensor<{{BN}}xi32>
  %colOk = arith.cmpi slt, %rn, %nLeftV : tensor<{{BN}}xi32>
  %oPtrs = tile.addptr %oBlock, %rn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
  tile.store %oPtrs, %hv mask %colOk : tensor<{{BN}}x!tile.ptr<f32>>, tensor<{{BN}}xf32>
  return
}
