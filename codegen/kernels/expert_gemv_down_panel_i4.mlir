// expert_gemv_down_panel_i4 (docs/kernels.md, docs/quantization.md):
// expert_gemv_down_panel over int4 expert weights with one f32 scale per
// group of G inputs (--quantize int4-experts): the second half of the
// routed experts of single-token (decode) steps fused with the weighted
// combine, grid (ceil(H/BN), T, 1).
//
//   h       [T, K, I] f32   expert_gemv_gate_up_panel_i4's output
//   indices [T, K] i32      moe_route's experts of each token
//   weights [T, K] f32      moe_route's routing weights
//   down    [E, ceil(H/BN), I/2, BN] i8   stacked down_proj, two int4 values
//                           per byte (runtime/io/WeightPanels.h): byte row
//                           k of a panel holds inputs 2k (low nibble) and
//                           2k + 1 (high)
//   down_scale [E, ceil(H/BN), I/G, BN] f32   the group scales
//   shared  [T, H] f32      the shared experts' output (HAS_SHARED = 1)
//   out     [T, H] f32      sum_s weights[t, s] * (down_e @ h[t, s])
//                           (+ shared[t]), e = indices[t, s]
//
// Program (j, t) owns out[t, j*BN : j*BN+BN). For each of the K routed
// experts in order it sums, per group g, h[t, s, k] * q[n, k] over the
// group's G inputs (BK byte rows, 2*BK inputs, per step, a [BK, BN] f32
// tile), adds that tile times the group's scales to the expert's sums, and
// adds weights[t, s] times the expert's reduced sums to the routed sum (f32,
// experts in order, as moe_combine); the shared experts' output is added
// last. HAS_SHARED = 0 never reads `shared` (it may be null). An index of
// another rank (-1, weight 0) reads no weights. Params: E, H, I, K, BN (16),
// BK, G (G divides I and 2*BK divides G, so no step is masked), HAS_SHARED.
func.func @{{KERNEL}}(%h: !tile.ptr<f32>, %indices: !tile.ptr<i32>,
                      %weights: !tile.ptr<f32>, %down: !tile.ptr<i8>,
                      %down_scale: !tile.ptr<f32>,
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
  %c2 = arith.constant 2 : i32
  %cG = arith.constant {{G}} : i32
  %cHalfG = arith.divsi %cG, %c2 : i32
  %groups = arith.divsi %cI, %cG : i32
  %cShared = arith.constant {{HAS_SHARED}} : i32
  %pn = tile.program_id x : i32
  %t = tile.program_id y : i32
  %n0 = arith.muli %pn, %cBN : i32

  // Rows (outputs) of one expert's panels: ceil(H / BN) * BN; panel j of
  // expert e at (e * ceil(H/BN)*BN + n0) * I/2 bytes, its scales at
  // (e * ceil(H/BN)*BN + n0) * I/G.
  %cBNw = arith.constant {{BN}} : i64
  %c1w = arith.constant 1 : i64
  %n0w = arith.extsi %n0 : i32 to i64
  %cHw = arith.extsi %cH : i32 to i64
  %cIw = arith.extsi %cI : i32 to i64
  %hRound = arith.addi %cHw, %cBNw : i64
  %hRound1 = arith.subi %hRound, %c1w : i64
  %panels = arith.divsi %hRound1, %cBNw : i64
  %hPadded = arith.muli %panels, %cBNw : i64
  %cGw = arith.constant {{G}} : i64
  %c2w = arith.constant 2 : i64
  %rowBytes = arith.divsi %cIw, %c2w : i64
  %rowGroups = arith.divsi %cIw, %cGw : i64
  %tK = arith.muli %t, %cK : i32
  %eLast = arith.subi %cE, %c1 : i32

  // Offsets of h[2r] ([BK, 1]: byte row r's low nibble; the high one's is
  // the next) and of byte row r, lane j (r*BN + j).
  %rk = tile.range <0, {{BK}}> : tensor<{{BK}}xi32>
  %rn = tile.range <0, {{BN}}> : tensor<{{BN}}xi32>
  %xOff = tile.expand_dims %rk axis 1 : tensor<{{BK}}xi32> -> tensor<{{BK}}x1xi32>
  %twoCol = tile.splat %c2 : i32 -> tensor<{{BK}}x1xi32>
  %xPairOff = arith.muli %xOff, %twoCol : tensor<{{BK}}x1xi32>
  %bnCol = tile.splat %cBN : i32 -> tensor<{{BK}}x1xi32>
  %wRowOff = arith.muli %xOff, %bnCol : tensor<{{BK}}x1xi32>
  %wRowOffB = tile.broadcast %wRowOff : tensor<{{BK}}x1xi32> -> tensor<{{BK}}x{{BN}}xi32>
  %rnRow = tile.expand_dims %rn axis 0 : tensor<{{BN}}xi32> -> tensor<1x{{BN}}xi32>
  %rnRowB = tile.broadcast %rnRow : tensor<1x{{BN}}xi32> -> tensor<{{BK}}x{{BN}}xi32>
  %wOff = arith.addi %wRowOffB, %rnRowB : tensor<{{BK}}x{{BN}}xi32>
  %sPtrOff = tile.expand_dims %rn axis 0 : tensor<{{BN}}xi32> -> tensor<1x{{BN}}xi32>
  %c4v = arith.constant dense<4> : tensor<{{BK}}x{{BN}}xi32>
  %c28v = arith.constant dense<28> : tensor<{{BK}}x{{BN}}xi32>
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
    %eRows = arith.muli %ew, %hPadded : i64
    %firstRow = arith.addi %eRows, %n0w : i64
    %wBase = arith.muli %firstRow, %rowBytes : i64
    %sBase = arith.muli %firstRow, %rowGroups : i64
    %dPanel = tile.addptr %down, %wBase : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
    %dScales = tile.addptr %down_scale, %sBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %pairw = arith.extsi %pair : i32 to i64
    %hBase = arith.muli %pairw, %cIw : i64
    %hRow = tile.addptr %h, %hBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

    // A slot routed to another rank (index -1, weight 0) reads no weights.
    %isHere = arith.cmpi sge, %eRaw, %c0 : i32
    %gEnd = arith.select %isHere, %groups, %c0 : i32
    %acc = scf.for %g = %c0 to %gEnd step %c1
        iter_args(%a = %acc0) -> (tensor<{{BK}}x{{BN}}xf32>) : i32 {
      %k0 = arith.muli %g, %cG : i32
      %xGroup = tile.addptr %hRow, %k0 : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %b0 = arith.muli %g, %cHalfG : i32
      %b0w = arith.muli %b0, %cBN : i32
      %dGroup = tile.addptr %dPanel, %b0w : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
      %groupSum = scf.for %r = %c0 to %cHalfG step %cBK
          iter_args(%sd = %acc0) -> (tensor<{{BK}}x{{BN}}xf32>) : i32 {
        %r2 = arith.muli %r, %c2 : i32
        %xlk = tile.addptr %xGroup, %r2 : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
        %xhk = tile.addptr %xlk, %c1 : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
        %xlp = tile.addptr %xlk, %xPairOff : !tile.ptr<f32>, tensor<{{BK}}x1xi32> -> tensor<{{BK}}x1x!tile.ptr<f32>>
        %xhp = tile.addptr %xhk, %xPairOff : !tile.ptr<f32>, tensor<{{BK}}x1xi32> -> tensor<{{BK}}x1x!tile.ptr<f32>>
        %xl = tile.load %xlp : tensor<{{BK}}x1x!tile.ptr<f32>> -> tensor<{{BK}}x1xf32>
        %xh = tile.load %xhp : tensor<{{BK}}x1x!tile.ptr<f32>> -> tensor<{{BK}}x1xf32>
        %xlB = tile.broadcast %xl : tensor<{{BK}}x1xf32> -> tensor<{{BK}}x{{BN}}xf32>
        %xhB = tile.broadcast %xh : tensor<{{BK}}x1xf32> -> tensor<{{BK}}x{{BN}}xf32>
        %rw8 = arith.muli %r, %cBN : i32
        %dk = tile.addptr %dGroup, %rw8 : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
        %dp = tile.addptr %dk, %wOff : !tile.ptr<i8>, tensor<{{BK}}x{{BN}}xi32> -> tensor<{{BK}}x{{BN}}x!tile.ptr<i8>>
        %db = tile.load %dp : tensor<{{BK}}x{{BN}}x!tile.ptr<i8>> -> tensor<{{BK}}x{{BN}}xi8>
        // Widened to i32 first (x86 has no byte shifts): the low nibble
        // sign-extended by shifting it to the top and back, the high
        // nibble by the arithmetic shift alone.
        %dw = arith.extsi %db : tensor<{{BK}}x{{BN}}xi8> to tensor<{{BK}}x{{BN}}xi32>
        %dShift = arith.shli %dw, %c28v : tensor<{{BK}}x{{BN}}xi32>
        %loQ = arith.shrsi %dShift, %c28v : tensor<{{BK}}x{{BN}}xi32>
        %hiQ = arith.shrsi %dw, %c4v : tensor<{{BK}}x{{BN}}xi32>
        %lo = arith.sitofp %loQ : tensor<{{BK}}x{{BN}}xi32> to tensor<{{BK}}x{{BN}}xf32>
        %hi = arith.sitofp %hiQ : tensor<{{BK}}x{{BN}}xi32> to tensor<{{BK}}x{{BN}}xf32>
        %sd1 = math.fma %xlB, %lo, %sd : tensor<{{BK}}x{{BN}}xf32>
        %sd2 = math.fma %xhB, %hi, %sd1 : tensor<{{BK}}x{{BN}}xf32>
        scf.yield %sd2 : tensor<{{BK}}x{{BN}}xf32>
      }
      %sOff = arith.muli %g, %cBN : i32
      %sRow = tile.addptr %dScales, %sOff : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %sp = tile.addptr %sRow, %sPtrOff : !tile.ptr<f32>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<f32>>
      %sv = tile.load %sp : tensor<1x{{BN}}x!tile.ptr<f32>> -> tensor<1x{{BN}}xf32>
      %sB = tile.broadcast %sv : tensor<1x{{BN}}xf32> -> tensor<{{BK}}x{{BN}}xf32>
      %a2 = math.fma %groupSum, %sB, %a : tensor<{{BK}}x{{BN}}xf32>
      scf.yield %a2 : tensor<{{BK}}x{{BN}}xf32>
    }
    %y = tile.reduce sum %acc axis 0 : tensor<{{BK}}x{{BN}}xf32> -> tensor<{{BN}}xf32>
    %rwv = tile.splat %rw : f32 -> tensor<{{BN}}xf32>

    %term = arith.mulf %rwv, %y : tensor<{{BN}}xf32>
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
