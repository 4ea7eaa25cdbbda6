// Kernel template `quantize_rows_i16` (docs/kernels.md): the activations of
// an int8-weight GEMV as int16 with one f32 scale per row, the operands of
// `gemv_panel_i16` (docs/quantization.md, "int16 activations"):
//
//   scale[r] = max |x[r, :K]| / 32767
//   q[r, k]  = round_half_even(x[r, k] * 32767 / max |x[r, :K]|)   (0 if max is 0)
//   xq[r, j] = (q[r, 2j] & 0xFFFF) | (q[r, 2j+1] << 16)             (q[r, K] = 0)
//
//   args: x: ptr<f32> (row r at x + r*x_stride), xq: ptr<i32> [rows,
//         ceil(K / 2)], xs: ptr<f32> [rows], x_stride: i32
//   grid: (rows, 1, 1)
//   params: K, PAIRS (ceil(K / 2)), BLOCK (elements per chunk of the absmax
//           pass and pairs per chunk of the packing pass).
//
// xq is the int16 array q in memory order, read as i32 pairs by tile.pair_dot.
// A row holding NaN or an infinity gets a NaN or infinite scale (its q is
// 0), so the GEMV's outputs are NaN instead of silently finite.
module {
  func.func @{{KERNEL}}(%x: !tile.ptr<f32>, %xq: !tile.ptr<i32>, %xs: !tile.ptr<f32>,
                        %x_stride: i32) attributes {
      tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, 1, 1),
                                 grid_symbols = ["tokens"], block = [{{BLOCK}}]>} {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %cK = arith.constant {{K}} : i32
    %cPairs = arith.constant {{PAIRS}} : i32
    %cBlock = arith.constant {{BLOCK}} : i32
    %qMax = arith.constant 32767.0 : f32
    %fZero = arith.constant 0.0 : f32
    %zero = arith.constant dense<0.0> : tensor<{{BLOCK}}xf32>
    %low16 = arith.constant dense<65535> : tensor<{{BLOCK}}xi32>
    %sixteen = arith.constant dense<16> : tensor<{{BLOCK}}xi32>
    %two = arith.constant dense<2> : tensor<{{BLOCK}}xi32>
    %one = arith.constant dense<1> : tensor<{{BLOCK}}xi32>
    %row = tile.program_id x : i32
    %roww = arith.extsi %row : i32 to i64
    %xsw = arith.extsi %x_stride : i32 to i64
    %pairsw = arith.extsi %cPairs : i32 to i64
    %xOff = arith.muli %roww, %xsw : i64
    %qOff = arith.muli %roww, %pairsw : i64
    %xRow = tile.addptr %x, %xOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %qRow = tile.addptr %xq, %qOff : !tile.ptr<i32>, i64 -> !tile.ptr<i32>
    %lanes = tile.range <0, {{BLOCK}}> : tensor<{{BLOCK}}xi32>
    %kV = tile.splat %cK : i32 -> tensor<{{BLOCK}}xi32>
    %pairsV = tile.splat %cPairs : i32 -> tensor<{{BLOCK}}xi32>

    // Pass 1: max |x| over the row, lane-wise, then across lanes (NaN wins).
    %lanesMax = scf.for %col = %c0 to %cK step %cBlock
        iter_args(%m = %zero) -> (tensor<{{BLOCK}}xf32>) : i32 {
      %first = tile.splat %col : i32 -> tensor<{{BLOCK}}xi32>
      %cols = arith.addi %first, %lanes : tensor<{{BLOCK}}xi32>
      %inRow = arith.cmpi slt, %cols, %kV : tensor<{{BLOCK}}xi32>
      %ptrs = tile.addptr %xRow, %cols : !tile.ptr<f32>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<f32>>
      %v = tile.load %ptrs mask %inRow other %zero : tensor<{{BLOCK}}x!tile.ptr<f32>> -> tensor<{{BLOCK}}xf32>
      %a = math.absf %v : tensor<{{BLOCK}}xf32>
      %next = arith.maximumf %m, %a : tensor<{{BLOCK}}xf32>
      scf.yield %next : tensor<{{BLOCK}}xf32>
    }
    %absMax = tile.reduce max %lanesMax axis 0 : tensor<{{BLOCK}}xf32> -> f32
    %scale = arith.divf %absMax, %qMax : f32
    %sp = tile.addptr %xs, %row : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    tile.store %sp, %scale : !tile.ptr<f32>, f32
    // inv = 32767 / max, 0 for an all-zero (or NaN) row.
    %positive = arith.cmpf ogt, %absMax, %fZero : f32
    %ratio = arith.divf %qMax, %absMax : f32
    %inv = arith.select %positive, %ratio, %fZero : f32
    %invV = tile.splat %inv : f32 -> tensor<{{BLOCK}}xf32>

    // Pass 2: pairs j .. j+BLOCK-1: x[2j] and x[2j+1] rounded, packed.
    scf.for %p = %c0 to %cPairs step %cBlock : i32 {
      %first = tile.splat %p : i32 -> tensor<{{BLOCK}}xi32>
      %pj = arith.addi %first, %lanes : tensor<{{BLOCK}}xi32>
      %inPairs = arith.cmpi slt, %pj, %pairsV : tensor<{{BLOCK}}xi32>
      %even = arith.muli %pj, %two : tensor<{{BLOCK}}xi32>
      %odd = arith.addi %even, %one : tensor<{{BLOCK}}xi32>
      %oddIn = arith.cmpi slt, %odd, %kV : tensor<{{BLOCK}}xi32>
      %ep = tile.addptr %xRow, %even : !tile.ptr<f32>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<f32>>
      %op = tile.addptr %xRow, %odd : !tile.ptr<f32>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<f32>>
      %xe = tile.load %ep mask %inPairs other %zero : tensor<{{BLOCK}}x!tile.ptr<f32>> -> tensor<{{BLOCK}}xf32>
      %xo = tile.load %op mask %oddIn other %zero : tensor<{{BLOCK}}x!tile.ptr<f32>> -> tensor<{{BLOCK}}xf32>
      %se = arith.mulf %xe, %invV : tensor<{{BLOCK}}xf32>
      %so = arith.mulf %xo, %invV : tensor<{{BLOCK}}xf32>
      %re = math.roundeven %se : tensor<{{BLOCK}}xf32>
      %ro = math.roundeven %so : tensor<{{BLOCK}}xf32>
      %qe = arith.fptosi %re : tensor<{{BLOCK}}xf32> to tensor<{{BLOCK}}xi32>
      %qo = arith.fptosi %ro : tensor<{{BLOCK}}xf32> to tensor<{{BLOCK}}xi32>
      %lo = arith.andi %qe, %low16 : tensor<{{BLOCK}}xi32>
      %hi = arith.shli %qo, %sixteen : tensor<{{BLOCK}}xi32>
      %packed = arith.ori %lo, %hi : tensor<{{BLOCK}}xi32>
      %qp = tile.addptr %qRow, %pj : !tile.ptr<i32>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<i32>>
      tile.store %qp, %packed mask %inPairs : tensor<{{BLOCK}}x!tile.ptr<i32>>, tensor<{{BLOCK}}xi32>
    }
    return
  }
}
