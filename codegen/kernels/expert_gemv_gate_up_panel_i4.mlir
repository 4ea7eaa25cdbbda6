// expert_gemv_gate_up_panel_i4 (docs/kernels.md, docs/quantization.md):
// expert_gemv_gate_up_panel over int4 expert weights with one f32 scale per
// group of G inputs (--quantize int4-experts), for single-token (decode)
// steps, grid (ceil(I/BN), K, T).
//
//   x       [T, H] f32      the normalized hidden states
//   indices [T, K] i32      moe_route's experts of each token
//   gate, up [E, ceil(I/BN), H/2, BN] i8   stacked gate_proj / up_proj, two
//                           int4 values per byte (runtime/io/WeightPanels.h):
//                           byte row k of a panel holds inputs 2k (low
//                           nibble) and 2k + 1 (high)
//   gate_scale, up_scale [E, ceil(I/BN), H/G, BN] f32   the group scales
//   out     [T, K, I] f32   out[t, s] = silu(gate_e @ x[t]) * (up_e @ x[t]),
//                           e = indices[t, s]
//
// Program (j, s, t) owns out[t, s, j*BN : j*BN+BN). Per group g it sums
// x[k] * q[n, k] over the group's G inputs, BK byte rows (2*BK inputs) per
// step into a [BK, BN] f32 tile, then adds that tile times the group's
// scales to the running sums: one multiply per group, not per weight.
// Params: E, H, I, K, BN (the panel width, 16), BK, G (G divides H and
// 2*BK divides G, so no step is masked). An index of another rank (-1)
// reads no weights and stores silu(0) * 0 = 0; other indices are clamped
// into [0, E).
func.func @{{KERNEL}}(%x: !tile.ptr<f32>, %indices: !tile.ptr<i32>,
                      %gate: !tile.ptr<i8>, %gate_scale: !tile.ptr<f32>,
                      %up: !tile.ptr<i8>, %up_scale: !tile.ptr<f32>,
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
  %cG = arith.constant {{G}} : i32
  %c2 = arith.constant 2 : i32
  %cHalfG = arith.divsi %cG, %c2 : i32
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

  // Bases: expert e's panel j at (e * ceil(I/BN)*BN + n0) * H/2 bytes and
  // its scales at (e * ceil(I/BN)*BN + n0) * H/G; x + t*H;
  // out + (t*K + slot)*I + n0.
  %cBNw = arith.constant {{BN}} : i64
  %c1w = arith.constant 1 : i64
  %ew = arith.extsi %expert : i32 to i64
  %n0w = arith.extsi %n0 : i32 to i64
  %cHw = arith.extsi %cH : i32 to i64
  %cIw = arith.extsi %cI : i32 to i64
  %cGw = arith.extsi %cG : i32 to i64
  %c2w = arith.constant 2 : i64
  %tw = arith.extsi %t : i32 to i64
  %pairw = arith.extsi %pair : i32 to i64
  %iRound = arith.addi %cIw, %cBNw : i64
  %iRound1 = arith.subi %iRound, %c1w : i64
  %panels = arith.divsi %iRound1, %cBNw : i64
  %iPadded = arith.muli %panels, %cBNw : i64
  %eRows = arith.muli %ew, %iPadded : i64
  %firstRow = arith.addi %eRows, %n0w : i64
  %rowBytes = arith.divsi %cHw, %c2w : i64
  %rowGroups = arith.divsi %cHw, %cGw : i64
  %wBase = arith.muli %firstRow, %rowBytes : i64
  %sBase = arith.muli %firstRow, %rowGroups : i64
  %gPanel = tile.addptr %gate, %wBase : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
  %uPanel = tile.addptr %up, %wBase : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
  %gsPanel = tile.addptr %gate_scale, %sBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
  %usPanel = tile.addptr %up_scale, %sBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
  %xBase = arith.muli %tw, %cHw : i64
  %xRow = tile.addptr %x, %xBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
  %oRow = arith.muli %pairw, %cIw : i64
  %oBase = arith.addi %oRow, %n0w : i64
  %oBlock = tile.addptr %out, %oBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

  // Offsets of x[2r] ([BK, 1]: byte row r's low nibble; the high one's is
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

  // A slot routed to another rank (index -1, expert parallelism) reads no
  // weights: the group loop runs empty and the block stores silu(0) * 0 = 0.
  %groups = arith.divsi %cH, %cG : i32
  %isHere = arith.cmpi sge, %eRaw, %c0 : i32
  %gEnd = arith.select %isHere, %groups, %c0 : i32
  %acc0 = arith.constant dense<0.0> : tensor<{{BK}}x{{BN}}xf32>
  %acc:2 = scf.for %g = %c0 to %gEnd step %c1
      iter_args(%ag = %acc0, %au = %acc0)
      -> (tensor<{{BK}}x{{BN}}xf32>, tensor<{{BK}}x{{BN}}xf32>) : i32 {
    %k0 = arith.muli %g, %cG : i32
    %xGroup = tile.addptr %xRow, %k0 : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %b0 = arith.muli %g, %cHalfG : i32
    %b0w = arith.muli %b0, %cBN : i32
    %gGroup = tile.addptr %gPanel, %b0w : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
    %uGroup = tile.addptr %uPanel, %b0w : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
    %sums:2 = scf.for %r = %c0 to %cHalfG step %cBK
        iter_args(%sg = %acc0, %su = %acc0)
        -> (tensor<{{BK}}x{{BN}}xf32>, tensor<{{BK}}x{{BN}}xf32>) : i32 {
      %r2 = arith.muli %r, %c2 : i32
      %xlk = tile.addptr %xGroup, %r2 : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %xhk = tile.addptr %xlk, %c1 : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %xlp = tile.addptr %xlk, %xPairOff : !tile.ptr<f32>, tensor<{{BK}}x1xi32> -> tensor<{{BK}}x1x!tile.ptr<f32>>
      %xhp = tile.addptr %xhk, %xPairOff : !tile.ptr<f32>, tensor<{{BK}}x1xi32> -> tensor<{{BK}}x1x!tile.ptr<f32>>
      %xl = tile.load %xlp : tensor<{{BK}}x1x!tile.ptr<f32>> -> tensor<{{BK}}x1xf32>
      %xh = tile.load %xhp : tensor<{{BK}}x1x!tile.ptr<f32>> -> tensor<{{BK}}x1xf32>
      %xlB = tile.broadcast %xl : tensor<{{BK}}x1xf32> -> tensor<{{BK}}x{{BN}}xf32>
      %xhB = tile.broadcast %xh : tensor<{{BK}}x1xf32> -> tensor<{{BK}}x{{BN}}xf32>
      %rw = arith.muli %r, %cBN : i32
      %gk = tile.addptr %gGroup, %rw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
      %uk = tile.addptr %uGroup, %rw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
      %gp = tile.addptr %gk, %wOff : !tile.ptr<i8>, tensor<{{BK}}x{{BN}}xi32> -> tensor<{{BK}}x{{BN}}x!tile.ptr<i8>>
      %upp = tile.addptr %uk, %wOff : !tile.ptr<i8>, tensor<{{BK}}x{{BN}}xi32> -> tensor<{{BK}}x{{BN}}x!tile.ptr<i8>>
      %gb = tile.load %gp : tensor<{{BK}}x{{BN}}x!tile.ptr<i8>> -> tensor<{{BK}}x{{BN}}xi8>
      %ub = tile.load %upp : tensor<{{BK}}x{{BN}}x!tile.ptr<i8>> -> tensor<{{BK}}x{{BN}}xi8>
      // Widened to i32 first (x86 has no byte shifts): the low nibble
      // sign-extended by shifting it to the top and back, the high nibble
      // by the arithmetic shift alone.
      %gw = arith.extsi %gb : tensor<{{BK}}x{{BN}}xi8> to tensor<{{BK}}x{{BN}}xi32>
      %uw = arith.extsi %ub : tensor<{{BK}}x{{BN}}xi8> to tensor<{{BK}}x{{BN}}xi32>
      %gShift = arith.shli %gw, %c28v : tensor<{{BK}}x{{BN}}xi32>
      %gLoQ = arith.shrsi %gShift, %c28v : tensor<{{BK}}x{{BN}}xi32>
      %gHiQ = arith.shrsi %gw, %c4v : tensor<{{BK}}x{{BN}}xi32>
      %uShift = arith.shli %uw, %c28v : tensor<{{BK}}x{{BN}}xi32>
      %uLoQ = arith.shrsi %uShift, %c28v : tensor<{{BK}}x{{BN}}xi32>
      %uHiQ = arith.shrsi %uw, %c4v : tensor<{{BK}}x{{BN}}xi32>
      %gLo = arith.sitofp %gLoQ : tensor<{{BK}}x{{BN}}xi32> to tensor<{{BK}}x{{BN}}xf32>
      %gHi = arith.sitofp %gHiQ : tensor<{{BK}}x{{BN}}xi32> to tensor<{{BK}}x{{BN}}xf32>
      %uLo = arith.sitofp %uLoQ : tensor<{{BK}}x{{BN}}xi32> to tensor<{{BK}}x{{BN}}xf32>
      %uHi = arith.sitofp %uHiQ : tensor<{{BK}}x{{BN}}xi32> to tensor<{{BK}}x{{BN}}xf32>
      %sg1 = math.fma %xlB, %gLo, %sg : tensor<{{BK}}x{{BN}}xf32>
      %sg2 = math.fma %xhB, %gHi, %sg1 : tensor<{{BK}}x{{BN}}xf32>
      %su1 = math.fma %xlB, %uLo, %su : tensor<{{BK}}x{{BN}}xf32>
      %su2 = math.fma %xhB, %uHi, %su1 : tensor<{{BK}}x{{BN}}xf32>
      scf.yield %sg2, %su2 : tensor<{{BK}}x{{BN}}xf32>, tensor<{{BK}}x{{BN}}xf32>
    }
    // The group's scales of outputs n0 + j, broadcast along the BK rows.
    %sOff = arith.muli %g, %cBN : i32
    %gsRow = tile.addptr %gsPanel, %sOff : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %usRow = tile.addptr %usPanel, %sOff : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %gsp = tile.addptr %gsRow, %sPtrOff : !tile.ptr<f32>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<f32>>
    %usp = tile.addptr %usRow, %sPtrOff : !tile.ptr<f32>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<f32>>
    %gs = tile.load %gsp : tensor<1x{{BN}}x!tile.ptr<f32>> -> tensor<1x{{BN}}xf32>
    %us = tile.load %usp : tensor<1x{{BN}}x!tile.ptr<f32>> -> tensor<1x{{BN}}xf32>
    %gsB = tile.broadcast %gs : tensor<1x{{BN}}xf32> -> tensor<{{BK}}x{{BN}}xf32>
    %usB = tile.broadcast %us : tensor<1x{{BN}}xf32> -> tensor<{{BK}}x{{BN}}xf32>
    %ag2 = math.fma %sums#0, %gsB, %ag : tensor<{{BK}}x{{BN}}xf32>
    %au2 = math.fma %sums#1, %usB, %au : tensor<{{BK}}x{{BN}}xf32>
    scf.yield %ag2, %au2 : tensor<{{BK}}x{{BN}}xf32>, tensor<{{BK}}x{{BN}}xf32>
  }

  %gv = tile.reduce sum %acc#0 axis 0 : tensor<{{BK}}x{{BN}}xf32> -> tensor<{{BN}}xf32>
  %uv = tile.reduce sum %acc#1 axis 0 : tensor<{{BK}}x{{BN}}xf32> -> tensor<{{BN}}xf32>
  %act = tile.silu %gv : tensor<{{BN}}xf32>
  %hv = arith.mulf %act, %uv : tensor<{{BN}}xf32>
  %nLeft = arith.subi %cI, %n0 : i32
  %nLeftV = tile.splat %nLeft : i32 -> tensor<{{BN}}xi32>
  %colOk = arith.cmpi slt, %rn, %nLeftV : tensor<{{BN}}xi32>
  %oPtrs = tile.addptr %oBlock, %rn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
  tile.store %oPtrs, %hv mask %colOk : tensor<{{BN}}x!tile.ptr<f32>>, tensor<{{BN}}xf32>
  return
}
