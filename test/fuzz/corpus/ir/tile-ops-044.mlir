func.func @linear_bf16(%x: !tile.ptr<bf16>, %w: !tile.ptr<bf16>, %y: !tile.ptr<f32>,
                       %tokens: i32) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv 32, 24, 1),
                               grid_symbols = ["tokens"], num_warps = 4,
                               block = [32, 64, 32]>} {
  %c0 = arith.constant 0 : i32
  %c32 = arith.constant 32 : i32
  %c64 = arith.constant 64 : i32
  %cK = arith.constant 5120 : i32
  %cN = arith.constant 1536 : i32
  %pm = tile.program_id x : i32
  %pn = tile.program_id y : i32
  %m0 = arith.muli %pm, %c32 : i32
  %n0 = arith.muli %pn, %c64 : i32
  // Row, column and K lane indices of this block.
  %r32 = tile.range <0, 32> : tensor<32xi32>
  %r64 = tile.range <0, 64> : tensor<64xi32>
  %m0v = tile.splat %m0 : i32 -> tensor<32xi32>
  %rm = arith.addi %m0v, %r32 : tensor<32xi32>
  %n0v = tile.splat %n0 : i32 -> tensor<64xi32>
  %rn = arith.addi %n0v, %r64 : tensor<64xi32>
  // x block pointers: x + rm[:, None] * K + rk[None, :]   (32 x 32)
  %rmCol = tile.expand_dims %rm axis 1 : tensor<32xi32> -> tensor<32x1xi32>
  %kCol = tile.splat %cK : i32 -> tensor<32x1xi32>
  %xRowOff = arith.muli %rmCol, %kCol : tensor<32x1xi32>
  %xRowOffB = tile.broadcast %xRowOff : tensor<32x1xi32> -> tensor<32x32xi32>
  %rkRow = tile.expand_dims %r32 axis 0 : tensor<32xi32> -> tensor<1x32xi32>
  %rkRowB = tile.broadcast %rkRow : tensor<1x32xi32> -> tensor<32x32xi32>
  %xOff = arith.addi %xRowOffB, %rkRowB : tensor<32x32xi32>
  %xPtrs = tile.addptr %x, %xOff : !tile.ptr<bf16>, tensor<32x32xi32> -> tensor<32x32x!tile.ptr<bf16>>
  // W^T block pointers: w + rn[None, :] * K + rk[:, None]   (32 x 64)
  %rkCol = tile.expand_dims %r32 axis 1 : tensor<32xi32> -> tensor<32x1xi32>
  %rkColB = tile.broadcast %rkCol : tensor<32x1xi32> -> tensor<32x64xi32>
  %rnRow = tile.expand_dims %rn axis 0 : tensor<64xi32> -> tensor<1x64xi32>
  %kRow = tile.splat %cK : i32 -> tensor<1x64xi32>
  %wColOff = arith.muli %rnRow, %kRow : tensor<1x64xi32>
  %wColOffB = tile.broadcast %wColOff : tensor<1x64xi32> -> tensor<32x64xi32>
  %wOff = arith.addi %rkColB, %wColOffB : tensor<32x64xi32>
  %wPtrs = tile.addptr %w, %wOff : !tile.ptr<bf16>, tensor<32x64xi32> -> tensor<32x64x!tile.ptr<bf16>>
  // Rows past the last token read zeros and are not stored.
  %tokCol = tile.splat %tokens : i32 -> tensor<32x1xi32>
  %rowOk = arith.cmpi slt, %rmCol, %tokCol : tensor<32x1xi32>
  %xMask = tile.broadcast %rowOk : tensor<32x1xi1> -> tensor<32x32xi1>
  %xZero = arith.constant dense<0.0> : tensor<32x32xbf16>
  %acc0 = arith.constant dense<0.0> : tensor<32x64xf32>
  %stepX = arith.constant dense<32> : tensor<32x32xi32>
  %stepW = arith.constant dense<32> : tensor<32x64xi32>
  %acc:3 = scf.for %k = %c0 to %cK step %c32
      iter_args(%a = %acc0, %xp = %xPtrs, %wp = %wPtrs)
      -> (tensor<32x64xf32>, tensor<32x32x!tile.ptr<bf16>>, tensor<32x64x!tile.ptr<bf16>>) : i32 {
    %xt = tile.load %xp mask %xMask other %xZero : tensor<32x32x!tile.ptr<bf16>> -> tensor<32x32xbf16>
    %wt = tile.load %wp : tensor<32x64x!tile.ptr<bf16>> -> tensor<32x64xbf16>
    %a2 = tile.dot %xt, %wt, %a : tensor<32x32xbf16>, tensor<32x64xbf16>, tensor<32x64xf32> -> tensor<32x64xf32>
    %xn = tile.addptr %xp, %stepX : tensor<32x32x!tile.ptr<bf16>>, tensor<32x32xi32> -> tensor<32x32x!tile.ptr<bf16>>
    %wn = tile.addptr %wp, %stepW : tensor<32x64x!tile.ptr<bf16>>, tensor<32x64xi32> -> tensor<32x64x!tile.ptr<bf16>>
    scf.yield %a2, %xn, %wn : tensor<32x64xf32>, tensor<32x32x!tile.ptr<bf16>>, tensor<32x64x!tile.ptr<bf16>>
  }
  // y block: y + rm[:, None] * N + rn[None, :]
  %nCol = tile.splat %cN : i32 -> tensor<32x1xi32>
  %yRowOff = arith.muli %rmCol, %nCol : tensor<32x1xi32>
  %yRowOffB = tile.broadcast %yRowOff : tensor<32x1xi32> -> tensor<32x64xi32>
  %rnRowB = tile.broadcast %rnRow : tensor<1x64xi32> -> tensor<32x64xi32>
  %yOff = arith.addi %yRowOffB, %rnRowB : tensor<32x64xi32>
  %yPtrs = tile.addptr %y, %yOff : !tile.ptr<f32>, tensor<32x64xi32> -> tensor<32x64x!tile.ptr<f32>>
  %yMask = tile.broadcast %rowOk : tensor<32x1xi1> -> tensor<32x64xi1>
  tile.store %yPtrs, %acc#0 mask %yMask : tensor<32x64x!tile.ptr<f32>>, tensor<32x64xf32>
  return
}
