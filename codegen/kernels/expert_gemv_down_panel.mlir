// expert_gemv_down_panel (docs/kernels.md): expert_gemv_down over expert
// weights in column panels, the layout of grouped_down_panel (CPU engines):
// the second half of the routed experts of single-token (decode) steps
// fused with the weighted combine, grid (ceil(H/BN), T, 1).
//
//   h       [T, K, I] f32   expert_gemv_gate_up_panel's output
//   indices [T, K] i32      moe_route's experts of each token
//   weights [T, K] f32      moe_route's routing weights
//   down    [E, ceil(H/BN), I, BN] W   stacked down_proj, each expert's
//                           [H, I] in column panels
//                           (runtime/io/WeightPanels.h)
//   down_scale [E, ceil(H/BN)*BN] f32   int8 weights only: each expert's
//                           output scales (down_e = scale * q)
//   shared  [T, H] f32      the shared experts' output (HAS_SHARED = 1)
//   out     [T, H] f32      sum_s weights[t, s] * (down_e @ h[t, s])
//                           (+ shared[t]), e = indices[t, s]
//
// Program (j, t) owns out[t, j*BN : j*BN+BN). For each of the K routed
// experts in order it reads panel j of down_e front to back as gemv_panel
// does ([BK, BN] panel rows times h[t, s, k .. k+BK-1] broadcast along
// them, the BK accumulator rows summed at the end, a masked step for I %
// BK), then adds weights[t, s] times it to the routed sum (f32, experts in
// order, as moe_combine); the shared experts' output is added last.
// HAS_SHARED = 0 never reads `shared` (it may be null). An index of another
// rank (-1, weight 0) reads no weights. W: f32, bf16 or i8 (widened by
// sitofp, each expert's sums scaled before its routing weight).
func.func @{{KERNEL}}(%h: !tile.ptr<f32>, %indices: !tile.ptr<i32>,
                      %weights: !tile.ptr<f32>, %down: !tile.ptr<{{W}}>,{{#W=i8}}
                      %down_scale: !tile.ptr<f32>,{{/W=i8}}
                      %shared: !tile.ptr<f32>, %out: !tile.ptr<f32>) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> ({{H}} ceildiv {{BN}}, s0, 1),
                               grid_symbols = ["tokens"],
                               block = [{{BK}}, {{BN}}]>} {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %cH = arith.constant {{H}} : i32
  %cI = arith.constant {{I}} : i32
  %cK = arith.constant {{K}} : i32
  %cE = arith.constant {{E}} : i32
  %cBN = arith.constant {{BN}} : i32
  %cBK = arith.constant {{BK}} : i32
  %cShared = arith.constant {{HAS_SHARED}} : i32
  %pn = tile.program_id x : i32
  %t = tile.program_id y : i32
  %n0 = arith.muli %pn, %cBN : i32

  // One expert's panels: ceil(H / BN) * BN * I elements; panel j at n0 * I.
  %cBNw = arith.constant {{BN}} : i64
  %c1w = arith.constant 1 : i64
  %n0w = arith.extsi %n0 : i32 to i64
  %cHw = arith.extsi %cH : i32 to i64
  %cIw = arith.extsi %cI : i32 to i64
  %hRound = arith.addi %cHw, %cBNw : i64
  %hRound1 = arith.subi %hRound, %c1w : i64
  %panels = arith.divsi %hRound1, %cBNw : i64
  %hPadded = arith.muli %panels, %cBNw : i64
  %matrix = arith.muli %hPadded, %cIw : i64
  %panelBase = arith.muli %n0w, %cIw : i64
  %tK = arith.muli %t, %cK : i32
  %eLast = arith.subi %cE, %c1 : i32

  // Offsets of h[k + r] ([BK, 1]) and of panel row k + r, lane j (r*BN + j).
  %rk = tile.range <0, {{BK}}> : tensor<{{BK}}xi32>
  %rn = tile.range <0, {{BN}}> : tensor<{{BN}}xi32>
  %xOff = tile.expand_dims %rk axis 1 : tensor<{{BK}}xi32> -> tensor<{{BK}}x1xi32>
  %bnCol = tile.splat %cBN : i32 -> tensor<{{BK}}x1xi32>
  %wRowOff = arith.muli %xOff, %bnCol : tensor<{{BK}}x1xi32>
  %wRowOffB = tile.broadcast %wRowOff : tensor<{{BK}}x1xi32> -> tensor<{{BK}}x{{BN}}xi32>
  %rnRow = tile.expand_dims %rn axis 0 : tensor<{{BN}}xi32> -> tensor<1x{{BN}}xi32>
  %rnRowB = tile.broadcast %rnRow : tensor<1x{{BN}}xi32> -> tensor<{{BK}}x{{BN}}xi32>
  %wOff = arith.addi %wRowOffB, %rnRowB : tensor<{{BK}}x{{BN}}xi32>
  %steps = arith.divsi %cI, %cBK : i32
  %kFull = arith.muli %steps, %cBK : i32
  %acc0 = arith.constant dense<0.0> : tensor<{{BK}}x{{BN}}xf32>
  %zero = arith.constant dense<0.0> : tensor<{{BN}}xf32>

  %routed = scf.for %s = %c0 to %cK step %c1
      iter_args(%sum = %zero) -> (tensor<{{BN}}xf32>) : i32 {
    %pair = arith.addi %tK, %s : i32
    %ip = tile.addptr %indices, %pair : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
    %eRaw = tile.load %ip : !tile.ptr<i32> -> i32
    %eHi = arith.minsi %eRaw, %eLast : i32
    %expert = arith.maxsi %eHi, %c0 : i32
    %wp = tile.addptr %weights, %pair : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %rw = tile.load %wp : !tile.ptr<f32> -> f32
    %ew = arith.extsi %expert : i32 to i64
    %eBase = arith.muli %ew, %matrix : i64
    %wBase = arith.addi %eBase, %panelBase : i64
    %dPanel = tile.addptr %down, %wBase : !tile.ptr<{{W}}>, i64 -> !tile.ptr<{{W}}>
    %pairw = arith.extsi %pair : i32 to i64
    %hBase = arith.muli %pairw, %cIw : i64
    %hRow = tile.addptr %h, %hBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

    // A slot routed to another rank (index -1, weight 0) reads no weights.
    %isHere = arith.cmpi sge, %eRaw, %c0 : i32
    %kMain = arith.select %isHere, %kFull, %c0 : i32
    %kEnd = arith.select %isHere, %cI, %c0 : i32
    %main = scf.for %k = %c0 to %kMain step %cBK
        iter_args(%a = %acc0) -> (tensor<{{BK}}x{{BN}}xf32>) : i32 {
      %xk = tile.addptr %hRow, %k : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %kw = arith.muli %k, %cBN : i32
      %dk = tile.addptr %dPanel, %kw : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
      %xp = tile.addptr %xk, %xOff : !tile.ptr<f32>, tensor<{{BK}}x1xi32> -> tensor<{{BK}}x1x!tile.ptr<f32>>
      %dp = tile.addptr %dk, %wOff : !tile.ptr<{{W}}>, tensor<{{BK}}x{{BN}}xi32> -> tensor<{{BK}}x{{BN}}x!tile.ptr<{{W}}>>
      %xt = tile.load %xp : tensor<{{BK}}x1x!tile.ptr<f32>> -> tensor<{{BK}}x1xf32>
      %dw = tile.load %dp : tensor<{{BK}}x{{BN}}x!tile.ptr<{{W}}>> -> tensor<{{BK}}x{{BN}}x{{W}}>
{{#W=i8}}
      %df = arith.sitofp %dw : tensor<{{BK}}x{{BN}}xi8> to tensor<{{BK}}x{{BN}}xf32>
{{/W=i8}}{{^W=i8}}
      %dWide = arith.extf %dw : tensor<{{BK}}x{{BN}}x{{W}}> to tensor<{{BK}}x{{BN}}xf64>
      %df = arith.truncf %dWide : tensor<{{BK}}x{{BN}}xf64> to tensor<{{BK}}x{{BN}}xf32>
{{/W=i8}}
      %xB = tile.broadcast %xt : tensor<{{BK}}x1xf32> -> tensor<{{BK}}x{{BN}}xf32>
      %a2 = math.fma %xB, %df, %a : tensor<{{BK}}x{{BN}}xf32>
      scf.yield %a2 : tensor<{{BK}}x{{BN}}xf32>
    }
    %acc = scf.for %k = %kMain to %kEnd step %cBK
        iter_args(%a = %main) -> (tensor<{{BK}}x{{BN}}xf32>) : i32 {
      %kLeft = arith.subi %cI, %k : i32
      %kLeftV = tile.splat %kLeft : i32 -> tensor<{{BK}}x1xi32>
      %xMask = arith.cmpi slt, %xOff, %kLeftV : tensor<{{BK}}x1xi32>
      %wMask = tile.broadcast %xMask : tensor<{{BK}}x1xi1> -> tensor<{{BK}}x{{BN}}xi1>
      %xk = tile.addptr %hRow, %k : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %kw = arith.muli %k, %cBN : i32
      %dk = tile.addptr %dPanel, %kw : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
      %xp = tile.addptr %xk, %xOff : !tile.ptr<f32>, tensor<{{BK}}x1xi32> -> tensor<{{BK}}x1x!tile.ptr<f32>>
      %dp = tile.addptr %dk, %wOff : !tile.ptr<{{W}}>, tensor<{{BK}}x{{BN}}xi32> -> tensor<{{BK}}x{{BN}}x!tile.ptr<{{W}}>>
      %xt = tile.load %xp mask %xMask : tensor<{{BK}}x1x!tile.ptr<f32>> -> tensor<{{BK}}x1xf32>
      %dw = tile.load %dp mask %wMask : tensor<{{BK}}x{{BN}}x!tile.ptr<{{W}}>> -> tensor<{{BK}}x{{BN}}x{{W}}>
{{#W=i8}}
      %df = arith.sitofp %dw : tensor<{{BK}}x{{BN}}xi8> to tensor<{{BK}}x{{BN}}xf32>
{{/W=i8}}{{^W=i8}}
      %dWide = arith.extf %dw : tensor<{{BK}}x{{BN}}x{{W}}> to tensor<{{BK}}x{{BN}}xf64>
      %df = arith.truncf %dWide : tensor<{{BK}}x{{BN}}xf64> to tensor<{{BK}}x{{BN}}xf32>
{{/W=i8}}
      %xB = tile.broadcast %xt : tensor<{{BK}}x1xf32> -> tensor<{{BK}}x{{BN}}xf32>
      %a2 = math.fma %xB, %df, %a : tensor<{{BK}}x{{BN}}xf32>
      scf.yield %a2 : tensor<{{BK}}x{{BN}}xf32>
    }
    %y = tile.reduce sum %acc axis 0 : tensor<{{BK}}x{{BN}}xf32> -> tensor<{{BN}}xf32>
    %rwv = tile.splat %rw : f32 -> tensor<{{BN}}xf32>
{{#W=i8}}
    %sBase = arith.muli %ew, %hPadded : i64
    %sBlock = arith.addi %sBase, %n0w : i64
    %sRow = tile.addptr %down_scale, %sBlock : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %sp = tile.addptr %sRow, %rn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
    %scale = tile.load %sp : tensor<{{BN}}x!tile.ptr<f32>> -> tensor<{{BN}}xf32>
    %yScaled = arith.mulf %y, %scale : tensor<{{BN}}xf32>
    %term = arith.mulf %rwv, %yScaled : tensor<{{BN}}xf32>
{{/W=i8}}{{^W=i8}}
    %term = arith.mulf %rwv, %y : tensor<{{BN}}xf32>
{{/W=i8}}
    %sum2 = arith.addf %sum, %term : tensor<{{BN}}xf32>
    scf.yield %sum2 : tensor<{{BN}}xf32>
  }

  %tw = arith.extsi %t : i32 to i64
  %tRow = arith.muli %tw, %cHw : i64
  %oBase = arith.addi %tRow, %n0w : i64
  %nLeft = arith.subi %cH, %n0 : i32
  %nLeftV = tile.splat %nLeft : i32 -> tensor<{{BN}}xi32>
  %colOk = arith.cmpi slt, %rn, %nLeftV : tensor<{{BN}}xi32>
  %hasShared = arith.cmpi ne, %cShared, %c0 : i32
  %total = scf.if %hasShared -> (tensor<{{BN}}xf32>) {
    %sBlock = tile.addptr %shared, %oBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %sPtrs = tile.addptr %sBlock, %rn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
    %sv = tile.load %sPtrs mask %colOk other %zero : tensor<{{BN}}x!tile.ptr<f32>> -> tensor<{{BN}}xf32>
    %withShared = arith.addf %routed, %sv : tensor<{{BN}}xf32>
    scf.yield %withShared : tensor<{{BN}}xf32>
  } else {
    scf.yield %routed : tensor<{{BN}}xf32>
  }
  %oBlock = tile.addptr %out, %oBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
  %oPtrs = tile.addptr %oBlock, %rn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
  tile.store %oPtrs, %total mask %colOk : tensor<{{BN}}x!tile.ptr<f32>>, tensor<{{BN}}xf32>
  return
}
