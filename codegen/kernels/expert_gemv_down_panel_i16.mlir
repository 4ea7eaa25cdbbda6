// expert_gemv_down_panel_i16 (docs/kernels.md): expert_gemv_down_panel for
// int8 expert weights with int16 activations in integer arithmetic
// (docs/quantization.md, "int16 activations"): the second half of the
// routed experts of single-token steps fused with the weighted combine,
// grid (ceil(H/BN), T, 1).
//
//   hq      [T*K, ceil(I/2)] i32   expert_gemv_gate_up's rows as int16 pairs
//   hs      [T*K] f32              their scales (quantize_rows_i16)
//   indices [T, K] i32, weights [T, K] f32   moe_route's experts, weights
//   down    [E, ceil(H/BN), I, BN] i8   stacked down_proj panels
//   down_scale [E, ceil(H/BN)*BN] f32   their output scales
//   shared  [T, H] f32             the shared experts' output (HAS_SHARED)
//   out     [T, H] f32             sum_s weights[t, s] * (down_e @ h[t, s])
//                                  (+ shared[t])
//
// Program (j, t): for each of the K slots in order, panel j of down_e read
// front to back as expert_gemv_gate_up_panel_i16 reads its panels (BK
// pairs of rows per iteration into a [BK, BN] i32 sum, flushed into f32
// every CHUNK iterations, the rows summed at the end), times hs[t, s] and
// the expert's scales, then weights[t, s] times it added to the routed sum
// (f32, slots in order); the shared experts' output is added last. A slot
// of another rank (-1, weight 0) reads no weights. Params: E, H, I, K, BN
// (16), BK, CHUNK, HAS_SHARED.
func.func @{{KERNEL}}(%hq: !tile.ptr<i32>, %hs: !tile.ptr<f32>, %indices: !tile.ptr<i32>,
                      %weights: !tile.ptr<f32>, %down: !tile.ptr<i8>,
                      %down_scale: !tile.ptr<f32>,
                      %shared: !tile.ptr<f32>, %out: !tile.ptr<f32>) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> ({{H}} ceildiv {{BN}}, s0, 1),
                               grid_symbols = ["tokens"],
                               block = [{{BK}}, 2, {{BN}}]>} {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c2 = arith.constant 2 : i32
  %cH = arith.constant {{H}} : i32
  %cI = arith.constant {{I}} : i32
  %cK = arith.constant {{K}} : i32
  %cE = arith.constant {{E}} : i32
  %cBN = arith.constant {{BN}} : i32
  %cBK = arith.constant {{BK}} : i32
  %cChunk = arith.constant {{CHUNK}} : i32
  %cShared = arith.constant {{HAS_SHARED}} : i32
  %iPlus = arith.addi %cI, %c1 : i32
  %cPairs = arith.divsi %iPlus, %c2 : i32
  %pairsWhole = arith.divsi %cI, %c2 : i32
  %steps = arith.divsi %pairsWhole, %cBK : i32
  %pFull = arith.muli %steps, %cBK : i32
  %chunkPairs = arith.muli %cChunk, %cBK : i32
  %pn = tile.program_id x : i32
  %t = tile.program_id y : i32
  %n0 = arith.muli %pn, %cBN : i32

  // One expert's panels: ceil(H / BN) * BN * I elements; panel j at n0 * I.
  %cBNw = arith.constant {{BN}} : i64
  %c1w = arith.constant 1 : i64
  %n0w = arith.extsi %n0 : i32 to i64
  %cHw = arith.extsi %cH : i32 to i64
  %cIw = arith.extsi %cI : i32 to i64
  %pairsw = arith.extsi %cPairs : i32 to i64
  %hRound = arith.addi %cHw, %cBNw : i64
  %hRound1 = arith.subi %hRound, %c1w : i64
  %panels = arith.divsi %hRound1, %cBNw : i64
  %hPadded = arith.muli %panels, %cBNw : i64
  %matrix = arith.muli %hPadded, %cIw : i64
  %panelBase = arith.muli %n0w, %cIw : i64
  %tK = arith.muli %t, %cK : i32
  %eLast = arith.subi %cE, %c1 : i32

  {{>pair_rows}}
  %izero = arith.constant dense<0> : tensor<{{BK}}x{{BN}}xi32>
  %fzero = arith.constant dense<0.0> : tensor<{{BK}}x{{BN}}xf32>
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
    %dPanel = tile.addptr %down, %wBase : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
    %pairw = arith.extsi %pair : i32 to i64
    %hBase = arith.muli %pairw, %pairsw : i64
    %hRow = tile.addptr %hq, %hBase : !tile.ptr<i32>, i64 -> !tile.ptr<i32>

    // A slot routed to another rank (index -1, weight 0) reads no weights.
    %isHere = arith.cmpi sge, %eRaw, %c0 : i32
    %pMain = arith.select %isHere, %pFull, %c0 : i32
    %pEnd = arith.select %isHere, %cPairs, %c0 : i32
    %main = scf.for %c = %c0 to %pMain step %chunkPairs
        iter_args(%f = %fzero) -> (tensor<{{BK}}x{{BN}}xf32>) : i32 {
      %cNext = arith.addi %c, %chunkPairs : i32
      %cEnd = arith.minsi %cNext, %pMain : i32
      %sums = scf.for %kp = %c to %cEnd step %cBK
          iter_args(%a = %izero) -> (tensor<{{BK}}x{{BN}}xi32>) : i32 {
        %xk = tile.addptr %hRow, %kp : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
        %xp = tile.addptr %xk, %xOff : !tile.ptr<i32>, tensor<{{BK}}x1xi32> -> tensor<{{BK}}x1x!tile.ptr<i32>>
        %xt = tile.load %xp : tensor<{{BK}}x1x!tile.ptr<i32>> -> tensor<{{BK}}x1xi32>
        %xB = tile.broadcast %xt : tensor<{{BK}}x1xi32> -> tensor<{{BK}}x{{BN}}xi32>
        %kRow = arith.muli %kp, %c2 : i32
        %kw = arith.muli %kRow, %cBN : i32
        %dk = tile.addptr %dPanel, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
        %dp = tile.addptr %dk, %wOff : !tile.ptr<i8>, tensor<{{BK}}x2x{{BN}}xi32> -> tensor<{{BK}}x2x{{BN}}x!tile.ptr<i8>>
        %dw = tile.load %dp : tensor<{{BK}}x2x{{BN}}x!tile.ptr<i8>> -> tensor<{{BK}}x2x{{BN}}xi8>
        %a2 = tile.pair_dot %xB, %dw, %a : tensor<{{BK}}x{{BN}}xi32>, tensor<{{BK}}x2x{{BN}}xi8>, tensor<{{BK}}x{{BN}}xi32> -> tensor<{{BK}}x{{BN}}xi32>
        scf.yield %a2 : tensor<{{BK}}x{{BN}}xi32>
      }
      %sumsF = arith.sitofp %sums : tensor<{{BK}}x{{BN}}xi32> to tensor<{{BK}}x{{BN}}xf32>
      %f2 = arith.addf %f, %sumsF : tensor<{{BK}}x{{BN}}xf32>
      scf.yield %f2 : tensor<{{BK}}x{{BN}}xf32>
    }
    // The rest (zero or one step): pairs < ceil(I/2), rows < I.
    %acc = scf.for %kp = %pMain to %pEnd step %cBK
        iter_args(%f = %main) -> (tensor<{{BK}}x{{BN}}xf32>) : i32 {
      %pLeft = arith.subi %cPairs, %kp : i32
      %pLeftV = tile.splat %pLeft : i32 -> tensor<{{BK}}x1xi32>
      %xMask = arith.cmpi slt, %xOff, %pLeftV : tensor<{{BK}}x1xi32>
      %kRow = arith.muli %kp, %c2 : i32
      %rowsLeft = arith.subi %cI, %kRow : i32
      %rowsLeftV = tile.splat %rowsLeft : i32 -> tensor<{{BK}}x2x{{BN}}xi32>
      %wMask = arith.cmpi slt, %stepRowB, %rowsLeftV : tensor<{{BK}}x2x{{BN}}xi32>
      %xk = tile.addptr %hRow, %kp : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
      %xp = tile.addptr %xk, %xOff : !tile.ptr<i32>, tensor<{{BK}}x1xi32> -> tensor<{{BK}}x1x!tile.ptr<i32>>
      %xt = tile.load %xp mask %xMask : tensor<{{BK}}x1x!tile.ptr<i32>> -> tensor<{{BK}}x1xi32>
      %xB = tile.broadcast %xt : tensor<{{BK}}x1xi32> -> tensor<{{BK}}x{{BN}}xi32>
      %kw = arith.muli %kRow, %cBN : i32
      %dk = tile.addptr %dPanel, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
      %dp = tile.addptr %dk, %wOff : !tile.ptr<i8>, tensor<{{BK}}x2x{{BN}}xi32> -> tensor<{{BK}}x2x{{BN}}x!tile.ptr<i8>>
      %dw = tile.load %dp mask %wMask : tensor<{{BK}}x2x{{BN}}x!tile.ptr<i8>> -> tensor<{{BK}}x2x{{BN}}xi8>
      %sums = tile.pair_dot %xB, %dw, %izero : tensor<{{BK}}x{{BN}}xi32>, tensor<{{BK}}x2x{{BN}}xi8>, tensor<{{BK}}x{{BN}}xi32> -> tensor<{{BK}}x{{BN}}xi32>
      %sumsF = arith.sitofp %sums : tensor<{{BK}}x{{BN}}xi32> to tensor<{{BK}}x{{BN}}xf32>
      %f2 = arith.addf %f, %sumsF : tensor<{{BK}}x{{BN}}xf32>
      scf.yield %f2 : tensor<{{BK}}x{{BN}}xf32>
    }
    // y = hs[t, s] * scale * the BK rows' sum; the routed sum += w * y.
    %y = tile.reduce sum %acc axis 0 : tensor<{{BK}}x{{BN}}xf32> -> tensor<{{BN}}xf32>
    %hsp = tile.addptr %hs, %pair : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %hScale = tile.load %hsp : !tile.ptr<f32> -> f32
    %hScaleV = tile.splat %hScale : f32 -> tensor<{{BN}}xf32>
    %sBase = arith.muli %ew, %hPadded : i64
    %sBlock = arith.addi %sBase, %n0w : i64
    %sRow = tile.addptr %down_scale, %sBlock : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %sp = tile.addptr %sRow, %rn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
    %scale = tile.load %sp : tensor<{{BN}}x!tile.ptr<f32>> -> tensor<{{BN}}xf32>
    %yRow = arith.mulf %y, %hScaleV : tensor<{{BN}}xf32>
    %yScaled = arith.mulf %yRow, %scale : tensor<{{BN}}xf32>
    %rwv = tile.splat %rw : f32 -> tensor<{{BN}}xf32>
    %term = arith.mulf %rwv, %yScaled : tensor<{{BN}}xf32>
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
