// expert_gemv_gate_up (docs/kernels.md): the first half of the routed
// experts of single-token (decode) steps, as matrix-vector products over
// only the K experts each token was routed to (no dispatch plan, no
// padding rows), grid (ceil(I/BN), K, T).
//
//   x       [T, H] f32      the normalized hidden states
//   indices [T, K] i32      moe_route's experts of each token
//   gate, up [E, I, H] W    stacked gate_proj / up_proj weights (int8: each
//                           followed by its rows' scales [E, I] f32)
//   out     [T, K, I] f32   out[t, s] = silu(gate_e @ x[t]) * (up_e @ x[t]),
//                           e = indices[t, s]
//
// Program (j, s, t) owns out[t, s, j*BN : j*BN+BN). As in `gemv`, each K
// step loads [BN, BK] tiles of gate_e and up_e, one contiguous row slice
// per output row, multiplies them by x[t, k:k+BK] broadcast over the rows
// and accumulates lane-wise in f32; the rows are reduced after the loop
// (tile.reduce sum, order unspecified). Whole BK slices run unmasked, one
// masked step covers H % BK, and rows beyond I are clamped to row I-1 (read,
// never stored). Weights are widened to f32 by an exact extf to f64 +
// truncf pair; int8 ones by sitofp, the sums then times the rows' scales. Every routed expert's weights are read once per token, so
// the kernel is meant for T = 1 (the decode program).
func.func @{{KERNEL}}(%x: !tile.ptr<f32>, %indices: !tile.ptr<i32>,
                      %gate: !tile.ptr<{{W}}>,{{#W=i8}} %gate_scale: !tile.ptr<f32>,{{/W=i8}}
                      %up: !tile.ptr<{{W}}>,{{#W=i8}} %up_scale: !tile.ptr<f32>,{{/W=i8}}
                      %out: !tile.ptr<f32>) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> ({{I}} ceildiv {{BN}}, {{K}}, s0),
                               grid_symbols = ["tokens"],
                               block = [{{BN}}, {{BK}}]>} {
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

  // The expert of (t, slot), clamped into [0, E) so a bad index cannot
  // read outside the weights (-1: held by another rank, see moe_route).
  %tK = arith.muli %t, %cK : i32
  %pair = arith.addi %tK, %slot : i32
  %ip = tile.addptr %indices, %pair : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
  %eRaw = tile.load %ip : !tile.ptr<i32> -> i32
  %eLast = arith.subi %cE, %c1 : i32
  %eHi = arith.minsi %eRaw, %eLast : i32
  %expert = arith.maxsi %eHi, %c0 : i32

  // Bases: gate/up + e*I*H + n0*H, x + t*H, out + (t*K + slot)*I + n0.
  %ew = arith.extsi %expert : i32 to i64
  %n0w = arith.extsi %n0 : i32 to i64
  %cHw = arith.extsi %cH : i32 to i64
  %cIw = arith.extsi %cI : i32 to i64
  %tw = arith.extsi %t : i32 to i64
  %pairw = arith.extsi %pair : i32 to i64
  %matrix = arith.muli %cIw, %cHw : i64
  %eBase = arith.muli %ew, %matrix : i64
  %rowsBase = arith.muli %n0w, %cHw : i64
  %wBase = arith.addi %eBase, %rowsBase : i64
  %gBlock = tile.addptr %gate, %wBase : !tile.ptr<{{W}}>, i64 -> !tile.ptr<{{W}}>
  %uBlock = tile.addptr %up, %wBase : !tile.ptr<{{W}}>, i64 -> !tile.ptr<{{W}}>
  %xBase = arith.muli %tw, %cHw : i64
  %xBlock = tile.addptr %x, %xBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
  %oRow = arith.muli %pairw, %cIw : i64
  %oBase = arith.addi %oRow, %n0w : i64
  %oBlock = tile.addptr %out, %oBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

  // Rows of the block, clamped to the last row; [BN, BK] tile offsets.
  %rn = tile.range <0, {{BN}}> : tensor<{{BN}}xi32>
  %rk = tile.range <0, {{BK}}> : tensor<{{BK}}xi32>
  %nLeft = arith.subi %cI, %n0 : i32
  %nLast = arith.subi %nLeft, %c1 : i32
  %nLastV = tile.splat %nLast : i32 -> tensor<{{BN}}xi32>
  %rowIn = arith.minsi %rn, %nLastV : tensor<{{BN}}xi32>
  %rowCol = tile.expand_dims %rowIn axis 1 : tensor<{{BN}}xi32> -> tensor<{{BN}}x1xi32>
  %hCol = tile.splat %cH : i32 -> tensor<{{BN}}x1xi32>
  %rowOff = arith.muli %rowCol, %hCol : tensor<{{BN}}x1xi32>
  %rowOffB = tile.broadcast %rowOff : tensor<{{BN}}x1xi32> -> tensor<{{BN}}x{{BK}}xi32>
  %rkRow = tile.expand_dims %rk axis 0 : tensor<{{BK}}xi32> -> tensor<1x{{BK}}xi32>
  %rkRowB = tile.broadcast %rkRow : tensor<1x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}xi32>
  %wOff = arith.addi %rowOffB, %rkRowB : tensor<{{BN}}x{{BK}}xi32>
  %gPtrs = tile.addptr %gBlock, %wOff : !tile.ptr<{{W}}>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>
  %uPtrs = tile.addptr %uBlock, %wOff : !tile.ptr<{{W}}>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>
  %xPtrs = tile.addptr %xBlock, %rk : !tile.ptr<f32>, tensor<{{BK}}xi32> -> tensor<{{BK}}x!tile.ptr<f32>>

  %steps = arith.divsi %cH, %cBK : i32
  %kFull = arith.muli %steps, %cBK : i32
  // A slot routed to another rank (index -1, expert parallelism) reads no
  // weights: both loops run empty and the block stores silu(0) * 0 = 0.
  %isHere = arith.cmpi sge, %eRaw, %c0 : i32
  %kMain = arith.select %isHere, %kFull, %c0 : i32
  %kEnd = arith.select %isHere, %cH, %c0 : i32
  %acc0 = arith.constant dense<0.0> : tensor<{{BN}}x{{BK}}xf32>
  %main:2 = scf.for %k = %c0 to %kMain step %cBK
      iter_args(%ag = %acc0, %au = %acc0)
      -> (tensor<{{BN}}x{{BK}}xf32>, tensor<{{BN}}x{{BK}}xf32>) : i32 {
    %kX = tile.splat %k : i32 -> tensor<{{BK}}xi32>
    %kW = tile.splat %k : i32 -> tensor<{{BN}}x{{BK}}xi32>
    %xp = tile.addptr %xPtrs, %kX : tensor<{{BK}}x!tile.ptr<f32>>, tensor<{{BK}}xi32> -> tensor<{{BK}}x!tile.ptr<f32>>
    %gp = tile.addptr %gPtrs, %kW : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>
    %up2 = tile.addptr %uPtrs, %kW : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>
    %xt = tile.load %xp : tensor<{{BK}}x!tile.ptr<f32>> -> tensor<{{BK}}xf32>
    %gw = tile.load %gp : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>> -> tensor<{{BN}}x{{BK}}x{{W}}>
    %uw = tile.load %up2 : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>> -> tensor<{{BN}}x{{BK}}x{{W}}>
{{#W=i8}}
    %gf = arith.sitofp %gw : tensor<{{BN}}x{{BK}}xi8> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}{{^W=i8}}
    %gWide = arith.extf %gw : tensor<{{BN}}x{{BK}}x{{W}}> to tensor<{{BN}}x{{BK}}xf64>
    %gf = arith.truncf %gWide : tensor<{{BN}}x{{BK}}xf64> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}
{{#W=i8}}
    %uf = arith.sitofp %uw : tensor<{{BN}}x{{BK}}xi8> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}{{^W=i8}}
    %uWide = arith.extf %uw : tensor<{{BN}}x{{BK}}x{{W}}> to tensor<{{BN}}x{{BK}}xf64>
    %uf = arith.truncf %uWide : tensor<{{BN}}x{{BK}}xf64> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}
    %xRow = tile.expand_dims %xt axis 0 : tensor<{{BK}}xf32> -> tensor<1x{{BK}}xf32>
    %xB = tile.broadcast %xRow : tensor<1x{{BK}}xf32> -> tensor<{{BN}}x{{BK}}xf32>
    %pg = arith.mulf %gf, %xB : tensor<{{BN}}x{{BK}}xf32>
    %pu = arith.mulf %uf, %xB : tensor<{{BN}}x{{BK}}xf32>
    %ag2 = arith.addf %ag, %pg : tensor<{{BN}}x{{BK}}xf32>
    %au2 = arith.addf %au, %pu : tensor<{{BN}}x{{BK}}xf32>
    scf.yield %ag2, %au2 : tensor<{{BN}}x{{BK}}xf32>, tensor<{{BN}}x{{BK}}xf32>
  }
  %acc:2 = scf.for %k = %kMain to %kEnd step %cBK
      iter_args(%ag = %main#0, %au = %main#1)
      -> (tensor<{{BN}}x{{BK}}xf32>, tensor<{{BN}}x{{BK}}xf32>) : i32 {
    %kLeft = arith.subi %cH, %k : i32
    %kLeftV = tile.splat %kLeft : i32 -> tensor<{{BK}}xi32>
    %kOk = arith.cmpi slt, %rk, %kLeftV : tensor<{{BK}}xi32>
    %kOkRow = tile.expand_dims %kOk axis 0 : tensor<{{BK}}xi1> -> tensor<1x{{BK}}xi1>
    %wMask = tile.broadcast %kOkRow : tensor<1x{{BK}}xi1> -> tensor<{{BN}}x{{BK}}xi1>
    %kX = tile.splat %k : i32 -> tensor<{{BK}}xi32>
    %kW = tile.splat %k : i32 -> tensor<{{BN}}x{{BK}}xi32>
    %xp = tile.addptr %xPtrs, %kX : tensor<{{BK}}x!tile.ptr<f32>>, tensor<{{BK}}xi32> -> tensor<{{BK}}x!tile.ptr<f32>>
    %gp = tile.addptr %gPtrs, %kW : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>
    %up2 = tile.addptr %uPtrs, %kW : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>
    %xt = tile.load %xp mask %kOk : tensor<{{BK}}x!tile.ptr<f32>> -> tensor<{{BK}}xf32>
    %gw = tile.load %gp mask %wMask : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>> -> tensor<{{BN}}x{{BK}}x{{W}}>
    %uw = tile.load %up2 mask %wMask : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>> -> tensor<{{BN}}x{{BK}}x{{W}}>
{{#W=i8}}
    %gf = arith.sitofp %gw : tensor<{{BN}}x{{BK}}xi8> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}{{^W=i8}}
    %gWide = arith.extf %gw : tensor<{{BN}}x{{BK}}x{{W}}> to tensor<{{BN}}x{{BK}}xf64>
    %gf = arith.truncf %gWide : tensor<{{BN}}x{{BK}}xf64> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}
{{#W=i8}}
    %uf = arith.sitofp %uw : tensor<{{BN}}x{{BK}}xi8> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}{{^W=i8}}
    %uWide = arith.extf %uw : tensor<{{BN}}x{{BK}}x{{W}}> to tensor<{{BN}}x{{BK}}xf64>
    %uf = arith.truncf %uWide : tensor<{{BN}}x{{BK}}xf64> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}
    %xRow = tile.expand_dims %xt axis 0 : tensor<{{BK}}xf32> -> tensor<1x{{BK}}xf32>
    %xB = tile.broadcast %xRow : tensor<1x{{BK}}xf32> -> tensor<{{BN}}x{{BK}}xf32>
    %pg = arith.mulf %gf, %xB : tensor<{{BN}}x{{BK}}xf32>
    %pu = arith.mulf %uf, %xB : tensor<{{BN}}x{{BK}}xf32>
    %ag2 = arith.addf %ag, %pg : tensor<{{BN}}x{{BK}}xf32>
    %au2 = arith.addf %au, %pu : tensor<{{BN}}x{{BK}}xf32>
    scf.yield %ag2, %au2 : tensor<{{BN}}x{{BK}}xf32>, tensor<{{BN}}x{{BK}}xf32>
  }

  %g = tile.reduce sum %acc#0 axis 1 : tensor<{{BN}}x{{BK}}xf32> -> tensor<{{BN}}xf32>
  %u = tile.reduce sum %acc#1 axis 1 : tensor<{{BN}}x{{BK}}xf32> -> tensor<{{BN}}xf32>
{{#W=i8}}
  // Int8 weights: each row's sum times expert e's scale of that row.
  %eRows = arith.muli %expert, %cI : i32
  %sAt = arith.addi %eRows, %n0 : i32
  %gsBlock = tile.addptr %gate_scale, %sAt : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
  %usBlock = tile.addptr %up_scale, %sAt : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
  %gsP = tile.addptr %gsBlock, %rowIn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
  %usP = tile.addptr %usBlock, %rowIn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
  %gs = tile.load %gsP : tensor<{{BN}}x!tile.ptr<f32>> -> tensor<{{BN}}xf32>
  %us = tile.load %usP : tensor<{{BN}}x!tile.ptr<f32>> -> tensor<{{BN}}xf32>
  %gScaled = arith.mulf %g, %gs : tensor<{{BN}}xf32>
  %uScaled = arith.mulf %u, %us : tensor<{{BN}}xf32>
  %act = tile.silu %gScaled : tensor<{{BN}}xf32>
  %h = arith.mulf %act, %uScaled : tensor<{{BN}}xf32>
{{/W=i8}}{{^W=i8}}
  %act = tile.silu %g : tensor<{{BN}}xf32>
  %h = arith.mulf %act, %u : tensor<{{BN}}xf32>
{{/W=i8}}
  %nLeftV = tile.splat %nLeft : i32 -> tensor<{{BN}}xi32>
  %rowOk = arith.cmpi slt, %rn, %nLeftV : tensor<{{BN}}xi32>
  %oPtrs = tile.addptr %oBlock, %rn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
  tile.store %oPtrs, %h mask %rowOk : tensor<{{BN}}x!tile.ptr<f32>>, tensor<{{BN}}xf32>
  return
}
