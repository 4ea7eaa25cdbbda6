// expert_gemv_down_i4 (docs/kernels.md, docs/quantization.md): the GPU's
// expert_gemv_down over int4 expert weights (--quantize int4-experts), for
// single-token (decode) steps, fused with the weighted combine, grid
// (ceil(H/BN), T, 1).
//
//   h       [T, K, I] f32   expert_gemv_gate_up_i4's output
//   indices [T, K] i32      moe_route's experts of each token
//   weights [T, K] f32      moe_route's routing weights
//   down    [E, H, I/2] i8  stacked down_proj rows, two int4 values per
//                           byte: byte j of a row holds inputs 2j (low
//                           nibble) and 2j + 1 (high)
//   down_scale [E, H, I/G] f32   a scale per row and G inputs
//   shared  [T, H] f32      the shared experts' output (HAS_SHARED = 1)
//   out     [T, H] f32      sum_s weights[t, s] * (down_e @ h[t, s])
//                           (+ shared[t]), e = indices[t, s]
//
// Program (j, t) owns out[t, j*BN : j*BN+BN). For each of the K routed
// experts in order it computes the BN rows of down_e @ h[t, s] as
// expert_gemv_gate_up_i4 does (BK bytes of each row per step, nibbles by
// shifts, the step's products times the rows' scales of its group, one row
// reduction at the end), then adds weights[t, s] times them to the routed
// sum (f32, experts in order, as moe_combine); the shared experts' output
// is added last. Rows beyond H are clamped to row H-1 and not stored.
// Params: E, H, I, K, BN, BK, G (G divides I, 2*BK divides G), HAS_SHARED
// (0 never reads `shared`, which may be null).
func.func @{{KERNEL}}(%h: !tile.ptr<f32>, %indices: !tile.ptr<i32>,
                      %weights: !tile.ptr<f32>, %down: !tile.ptr<i8>,
                      %down_scale: !tile.ptr<f32>,
                      %shared: !tile.ptr<f32>, %out: !tile.ptr<f32>) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> ({{H}} ceildiv {{BN}}, s0, 1),
                               grid_symbols = ["tokens"],
                               block = [{{BN}}, {{BK}}]>} {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c2 = arith.constant 2 : i32
  %cH = arith.constant {{H}} : i32
  %cI = arith.constant {{I}} : i32
  %cK = arith.constant {{K}} : i32
  %cE = arith.constant {{E}} : i32
  %cBN = arith.constant {{BN}} : i32
  %cBK = arith.constant {{BK}} : i32
  %cG = arith.constant {{G}} : i32
  %cShared = arith.constant {{HAS_SHARED}} : i32
  %rowBytes = arith.divsi %cI, %c2 : i32
  %rowGroups = arith.divsi %cI, %cG : i32
  %pn = tile.program_id x : i32
  %t = tile.program_id y : i32
  %n0 = arith.muli %pn, %cBN : i32
  %tK = arith.muli %t, %cK : i32
  %eLast = arith.subi %cE, %c1 : i32
  %cHw = arith.extsi %cH : i32 to i64
  %cIw = arith.extsi %cI : i32 to i64
  %rowBytesW = arith.extsi %rowBytes : i32 to i64
  %rowGroupsW = arith.extsi %rowGroups : i32 to i64

  // Rows of the block (n0 + r, clamped to the last row): byte offsets
  // [BN, BK], scale offsets [BN, 1]; h's even inputs 2j, odd 2j + 1.
  %rn = tile.range <0, {{BN}}> : tensor<{{BN}}xi32>
  %rk = tile.range <0, {{BK}}> : tensor<{{BK}}xi32>
  %n0v = tile.splat %n0 : i32 -> tensor<{{BN}}xi32>
  %rowAt = arith.addi %n0v, %rn : tensor<{{BN}}xi32>
  %lastRow = arith.subi %cH, %c1 : i32
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
  %hEvenOff = arith.muli %rk, %twoK : tensor<{{BK}}xi32>
  %oneK = tile.splat %c1 : i32 -> tensor<{{BK}}xi32>
  %hOddOff = arith.addi %hEvenOff, %oneK : tensor<{{BK}}xi32>
  %four = arith.constant dense<4> : tensor<{{BN}}x{{BK}}xi8>
  %steps = arith.divsi %rowBytes, %cBK : i32
  %acc0 = arith.constant dense<0.0> : tensor<{{BN}}x{{BK}}xf32>
  %zero = arith.constant dense<0.0> : tensor<{{BN}}xf32>

  %routed = scf.for %slot = %c0 to %cK step %c1
      iter_args(%sum = %zero) -> (tensor<{{BN}}xf32>) : i32 {
    %pair = arith.addi %tK, %slot : i32
    %ip = tile.addptr %indices, %pair : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
    %eRaw = tile.load %ip : !tile.ptr<i32> -> i32
    %eHi = arith.minsi %eRaw, %eLast : i32
    %expert = arith.maxsi %eHi, %c0 : i32
    %wp = tile.addptr %weights, %pair : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %rw = tile.load %wp : !tile.ptr<f32> -> f32
    // Expert e's rows at e*H*I/2 bytes and e*H*I/G scales; h + (t*K + s)*I.
    %ew = arith.extsi %expert : i32 to i64
    %eRows = arith.muli %ew, %cHw : i64
    %wBase = arith.muli %eRows, %rowBytesW : i64
    %sBase = arith.muli %eRows, %rowGroupsW : i64
    %dE = tile.addptr %down, %wBase : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
    %dsE = tile.addptr %down_scale, %sBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %pairw = arith.extsi %pair : i32 to i64
    %hBase = arith.muli %pairw, %cIw : i64
    %hRow = tile.addptr %h, %hBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

    // A slot routed to another rank (index -1, weight 0) reads no weights.
    %isHere = arith.cmpi sge, %eRaw, %c0 : i32
    %sEnd = arith.select %isHere, %steps, %c0 : i32
    %acc = scf.for %s = %c0 to %sEnd step %c1
        iter_args(%a = %acc0) -> (tensor<{{BN}}x{{BK}}xf32>) : i32 {
      %b0 = arith.muli %s, %cBK : i32
      %k0 = arith.muli %b0, %c2 : i32
      %g = arith.divsi %k0, %cG : i32
      %hStep = tile.addptr %hRow, %k0 : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %hep = tile.addptr %hStep, %hEvenOff : !tile.ptr<f32>, tensor<{{BK}}xi32> -> tensor<{{BK}}x!tile.ptr<f32>>
      %hop = tile.addptr %hStep, %hOddOff : !tile.ptr<f32>, tensor<{{BK}}xi32> -> tensor<{{BK}}x!tile.ptr<f32>>
      %he = tile.load %hep : tensor<{{BK}}x!tile.ptr<f32>> -> tensor<{{BK}}xf32>
      %ho = tile.load %hop : tensor<{{BK}}x!tile.ptr<f32>> -> tensor<{{BK}}xf32>
      %heRow = tile.expand_dims %he axis 0 : tensor<{{BK}}xf32> -> tensor<1x{{BK}}xf32>
      %hoRow = tile.expand_dims %ho axis 0 : tensor<{{BK}}xf32> -> tensor<1x{{BK}}xf32>
      %heB = tile.broadcast %heRow : tensor<1x{{BK}}xf32> -> tensor<{{BN}}x{{BK}}xf32>
      %hoB = tile.broadcast %hoRow : tensor<1x{{BK}}xf32> -> tensor<{{BN}}x{{BK}}xf32>
      %dStep = tile.addptr %dE, %b0 : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
      %dp = tile.addptr %dStep, %wOff : !tile.ptr<i8>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<i8>>
      %db = tile.load %dp : tensor<{{BN}}x{{BK}}x!tile.ptr<i8>> -> tensor<{{BN}}x{{BK}}xi8>
      %dShift = arith.shli %db, %four : tensor<{{BN}}x{{BK}}xi8>
      %dLoQ = arith.shrsi %dShift, %four : tensor<{{BN}}x{{BK}}xi8>
      %dHiQ = arith.shrsi %db, %four : tensor<{{BN}}x{{BK}}xi8>
      %dLo = arith.sitofp %dLoQ : tensor<{{BN}}x{{BK}}xi8> to tensor<{{BN}}x{{BK}}xf32>
      %dHi = arith.sitofp %dHiQ : tensor<{{BN}}x{{BK}}xi8> to tensor<{{BN}}x{{BK}}xf32>
      %odd = arith.mulf %dHi, %hoB : tensor<{{BN}}x{{BK}}xf32>
      %prod = math.fma %dLo, %heB, %odd : tensor<{{BN}}x{{BK}}xf32>
      // The rows' scales of group g, along the step's bytes.
      %dsG = tile.addptr %dsE, %g : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %dsp = tile.addptr %dsG, %sOff : !tile.ptr<f32>, tensor<{{BN}}x1xi32> -> tensor<{{BN}}x1x!tile.ptr<f32>>
      %ds = tile.load %dsp : tensor<{{BN}}x1x!tile.ptr<f32>> -> tensor<{{BN}}x1xf32>
      %dsB = tile.broadcast %ds : tensor<{{BN}}x1xf32> -> tensor<{{BN}}x{{BK}}xf32>
      %a2 = math.fma %prod, %dsB, %a : tensor<{{BN}}x{{BK}}xf32>
      scf.yield %a2 : tensor<{{BN}}x{{BK}}xf32>
    }
    %y = tile.reduce sum %acc axis 1 : tensor<{{BN}}x{{BK}}xf32> -> tensor<{{BN}}xf32>
    %rwv = tile.splat %rw : f32 -> tensor<{{BN}}xf32>
    %term = arith.mulf %rwv, %y : tensor<{{BN}}xf32>
    %sum2 = arith.addf %sum, %term : tensor<{{BN}}xf32>
    scf.yield %sum2 : tensor<{{BN}}xf32>
  }

  %tw = arith.extsi %t : i32 to i64
  %n0w = arith.extsi %n0 : i32 to i64
  %tRow = arith.muli %tw, %cHw : i64
  %oBase = arith.addi %tRow, %n0w : i64
  %nLeft = arith.subi %cH, %n0 : i32
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
