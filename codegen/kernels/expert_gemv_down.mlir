// expert_gemv_down (docs/kernels.md): the second half of the routed
// experts of single-token (decode) steps fused with the weighted combine,
// grid (ceil(H/BN), T, 1).
//
//   h       [T, K, I] f32   expert_gemv_gate_up's output
//   indices [T, K] i32      moe_route's experts of each token
//   weights [T, K] f32      moe_route's routing weights
//   down    [E, H, I] W     stacked down_proj weights (int8: followed by
//                           its rows' scales [E, H] f32)
//   shared  [T, H] f32      the shared experts' output (HAS_SHARED = 1)
//   out     [T, H] f32      sum_s weights[t, s] * (down_e @ h[t, s])
//                           (+ shared[t]), e = indices[t, s]
//
// Program (j, t) owns out[t, j*BN : j*BN+BN). For each of the K routed
// experts in order it computes the BN rows of down_e @ h[t, s] as `gemv`
// does (contiguous [BN, BK] row slices, lane-wise f32 accumulation, one
// row reduction at the end, a masked step for I % BK, rows beyond H clamped
// and not stored), then adds weights[t, s] times them to the routed sum
// (f32, experts in order, as moe_combine); the shared experts' output is
// added last. HAS_SHARED = 0 never reads `shared` (it may be null). Weights
// are widened to f32 by an exact extf to f64 + truncf pair (int8 ones by
// sitofp, each row's sum then times its scale before the routing weight). Meant for
// T = 1: each token re-reads its experts' weights.
func.func @{{KERNEL}}(%h: !tile.ptr<f32>, %indices: !tile.ptr<i32>,
                      %weights: !tile.ptr<f32>, %down: !tile.ptr<{{W}}>,{{#W=i8}}
                      %down_scale: !tile.ptr<f32>,{{/W=i8}}
                      %shared: !tile.ptr<f32>, %out: !tile.ptr<f32>) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> ({{H}} ceildiv {{BN}}, s0, 1),
                               grid_symbols = ["tokens"],
                               block = [{{BN}}, {{BK}}]>} {
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

  %n0w = arith.extsi %n0 : i32 to i64
  %cHw = arith.extsi %cH : i32 to i64
  %cIw = arith.extsi %cI : i32 to i64
  %matrix = arith.muli %cHw, %cIw : i64
  %rowsBase = arith.muli %n0w, %cIw : i64
  %tK = arith.muli %t, %cK : i32
  %eLast = arith.subi %cE, %c1 : i32

  // Rows of the block, clamped to the last row; [BN, BK] tile offsets.
  %rn = tile.range <0, {{BN}}> : tensor<{{BN}}xi32>
  %rk = tile.range <0, {{BK}}> : tensor<{{BK}}xi32>
  %nLeft = arith.subi %cH, %n0 : i32
  %nLast = arith.subi %nLeft, %c1 : i32
  %nLastV = tile.splat %nLast : i32 -> tensor<{{BN}}xi32>
  %rowIn = arith.minsi %rn, %nLastV : tensor<{{BN}}xi32>
  %rowCol = tile.expand_dims %rowIn axis 1 : tensor<{{BN}}xi32> -> tensor<{{BN}}x1xi32>
  %iCol = tile.splat %cI : i32 -> tensor<{{BN}}x1xi32>
  %rowOff = arith.muli %rowCol, %iCol : tensor<{{BN}}x1xi32>
  %rowOffB = tile.broadcast %rowOff : tensor<{{BN}}x1xi32> -> tensor<{{BN}}x{{BK}}xi32>
  %rkRow = tile.expand_dims %rk axis 0 : tensor<{{BK}}xi32> -> tensor<1x{{BK}}xi32>
  %rkRowB = tile.broadcast %rkRow : tensor<1x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}xi32>
  %wOff = arith.addi %rowOffB, %rkRowB : tensor<{{BN}}x{{BK}}xi32>
  %steps = arith.divsi %cI, %cBK : i32
  %kMain = arith.muli %steps, %cBK : i32
  %acc0 = arith.constant dense<0.0> : tensor<{{BN}}x{{BK}}xf32>
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
    %wBase = arith.addi %eBase, %rowsBase : i64
    %dBlock = tile.addptr %down, %wBase : !tile.ptr<{{W}}>, i64 -> !tile.ptr<{{W}}>
    %dPtrs = tile.addptr %dBlock, %wOff : !tile.ptr<{{W}}>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>
    %pairw = arith.extsi %pair : i32 to i64
    %hBase = arith.muli %pairw, %cIw : i64
    %hRow = tile.addptr %h, %hBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %hPtrs = tile.addptr %hRow, %rk : !tile.ptr<f32>, tensor<{{BK}}xi32> -> tensor<{{BK}}x!tile.ptr<f32>>

    // A slot routed to another rank (index -1, weight 0) reads no weights.
    %isHere = arith.cmpi sge, %eRaw, %c0 : i32
    %kMainHere = arith.select %isHere, %kMain, %c0 : i32
    %kEnd = arith.select %isHere, %cI, %c0 : i32
    %main = scf.for %k = %c0 to %kMainHere step %cBK
        iter_args(%a = %acc0) -> (tensor<{{BN}}x{{BK}}xf32>) : i32 {
      %kX = tile.splat %k : i32 -> tensor<{{BK}}xi32>
      %kW = tile.splat %k : i32 -> tensor<{{BN}}x{{BK}}xi32>
      %xp = tile.addptr %hPtrs, %kX : tensor<{{BK}}x!tile.ptr<f32>>, tensor<{{BK}}xi32> -> tensor<{{BK}}x!tile.ptr<f32>>
      %dp = tile.addptr %dPtrs, %kW : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>
      %xt = tile.load %xp : tensor<{{BK}}x!tile.ptr<f32>> -> tensor<{{BK}}xf32>
      %dw = tile.load %dp : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>> -> tensor<{{BN}}x{{BK}}x{{W}}>
{{#W=i8}}
      %df = arith.sitofp %dw : tensor<{{BN}}x{{BK}}xi8> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}{{^W=i8}}
      %dWide = arith.extf %dw : tensor<{{BN}}x{{BK}}x{{W}}> to tensor<{{BN}}x{{BK}}xf64>
      %df = arith.truncf %dWide : tensor<{{BN}}x{{BK}}xf64> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}
      %xRow = tile.expand_dims %xt axis 0 : tensor<{{BK}}xf32> -> tensor<1x{{BK}}xf32>
      %xB = tile.broadcast %xRow : tensor<1x{{BK}}xf32> -> tensor<{{BN}}x{{BK}}xf32>
      %prod = arith.mulf %df, %xB : tensor<{{BN}}x{{BK}}xf32>
      %a2 = arith.addf %a, %prod : tensor<{{BN}}x{{BK}}xf32>
      scf.yield %a2 : tensor<{{BN}}x{{BK}}xf32>
    }
    %acc = scf.for %k = %kMainHere to %kEnd step %cBK
        iter_args(%a = %main) -> (tensor<{{BN}}x{{BK}}xf32>) : i32 {
      %kLeft = arith.subi %cI, %k : i32
      %kLeftV = tile.splat %kLeft : i32 -> tensor<{{BK}}xi32>
      %kOk = arith.cmpi slt, %rk, %kLeftV : tensor<{{BK}}xi32>
      %kOkRow = tile.expand_dims %kOk axis 0 : tensor<{{BK}}xi1> -> tensor<1x{{BK}}xi1>
      %wMask = tile.broadcast %kOkRow : tensor<1x{{BK}}xi1> -> tensor<{{BN}}x{{BK}}xi1>
      %kX = tile.splat %k : i32 -> tensor<{{BK}}xi32>
      %kW = tile.splat %k : i32 -> tensor<{{BN}}x{{BK}}xi32>
      %xp = tile.addptr %hPtrs, %kX : tensor<{{BK}}x!tile.ptr<f32>>, tensor<{{BK}}xi32> -> tensor<{{BK}}x!tile.ptr<f32>>
      %dp = tile.addptr %dPtrs, %kW : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>
      %xt = tile.load %xp mask %kOk : tensor<{{BK}}x!tile.ptr<f32>> -> tensor<{{BK}}xf32>
      %dw = tile.load %dp mask %wMask : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>> -> tensor<{{BN}}x{{BK}}x{{W}}>
{{#W=i8}}
      %df = arith.sitofp %dw : tensor<{{BN}}x{{BK}}xi8> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}{{^W=i8}}
      %dWide = arith.extf %dw : tensor<{{BN}}x{{BK}}x{{W}}> to tensor<{{BN}}x{{BK}}xf64>
      %df = arith.truncf %dWide : tensor<{{BN}}x{{BK}}xf64> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}
      %xRow = tile.expand_dims %xt axis 0 : tensor<{{BK}}xf32> -> tensor<1x{{BK}}xf32>
      %xB = tile.broadcast %xRow : tensor<1x{{BK}}xf32> -> tensor<{{BN}}x{{BK}}xf32>
      %prod = arith.mulf %df, %xB : tensor<{{BN}}x{{BK}}xf32>
      %a2 = arith.addf %a, %prod : tensor<{{BN}}x{{BK}}xf32>
      scf.yield %a2 : tensor<{{BN}}x{{BK}}xf32>
    }
    %y = tile.reduce sum %acc axis 1 : tensor<{{BN}}x{{BK}}xf32> -> tensor<{{BN}}xf32>
    %rwv = tile.splat %rw : f32 -> tensor<{{BN}}xf32>
{{#W=i8}}
    // Int8 weights: each row's sum times expert e's scale of that row.
    %eRows = arith.muli %expert, %cH : i32
    %sAt = arith.addi %eRows, %n0 : i32
    %dsBlock = tile.addptr %down_scale, %sAt : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %dsP = tile.addptr %dsBlock, %rowIn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
    %ds = tile.load %dsP : tensor<{{BN}}x!tile.ptr<f32>> -> tensor<{{BN}}xf32>
    %yScaled = arith.mulf %y, %ds : tensor<{{BN}}xf32>
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
  %nLeftV = tile.splat %nLeft : i32 -> tensor<{{BN}}xi32>
  %rowOk = arith.cmpi slt, %rn, %nLeftV : tensor<{{BN}}xi32>
  %hasShared = arith.cmpi ne, %cShared, %c0 : i32
  %total = scf.if %hasShared -> (tensor<{{BN}}xf32>) {
    %sBlock = tile.addptr %shared, %oBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %sPtrs = tile.addptr %sBlock, %rn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
    %sv = tile.load %sPtrs mask %rowOk other %zero : tensor<{{BN}}x!tile.ptr<f32>> -> tensor<{{BN}}xf32>
    %withShared = arith.addf %routed, %sv : tensor<{{BN}}xf32>
    scf.yield %withShared : tensor<{{BN}}xf32>
  } else {
    scf.yield %routed : tensor<{{BN}}xf32>
  }
  %oBlock = tile.addptr %out, %oBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
  %oPtrs = tile.addptr %oBlock, %rn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
  tile.store %oPtrs, %total mask %rowOk : tensor<{{BN}}x!tile.ptr<f32>>, tensor<{{BN}}xf32>
  return
}
