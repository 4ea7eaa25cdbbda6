// Memory access patterns for the CPU code generator's unit test: a tile
// whose columns are contiguous (loaded and stored column by column) and a
// strided tile (gathered and scattered through lane loops).

// y[j, i] = w[j, i] for j < n, i < k over one 32 x 16 tile of w^T, w being
// [n, k] row-major: tile lane (i, j) addresses w + j * k + i.
func.func @copy_columns(%w: !tile.ptr<bf16>, %y: !tile.ptr<bf16>, %n: i32, %k: i32) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %r32 = tile.range <0, 32> : tensor<32xi32>
  %r16 = tile.range <0, 16> : tensor<16xi32>
  %rkCol = tile.expand_dims %r32 axis 1 : tensor<32xi32> -> tensor<32x1xi32>
  %rkColB = tile.broadcast %rkCol : tensor<32x1xi32> -> tensor<32x16xi32>
  %rnRow = tile.expand_dims %r16 axis 0 : tensor<16xi32> -> tensor<1x16xi32>
  %kRow = tile.splat %k : i32 -> tensor<1x16xi32>
  %colOff = arith.muli %rnRow, %kRow : tensor<1x16xi32>
  %colOffB = tile.broadcast %colOff : tensor<1x16xi32> -> tensor<32x16xi32>
  %off = arith.addi %rkColB, %colOffB : tensor<32x16xi32>
  %kCol = tile.splat %k : i32 -> tensor<32x1xi32>
  %kOk = arith.cmpi slt, %rkCol, %kCol : tensor<32x1xi32>
  %nRow = tile.splat %n : i32 -> tensor<1x16xi32>
  %nOk = arith.cmpi slt, %rnRow, %nRow : tensor<1x16xi32>
  %kOkB = tile.broadcast %kOk : tensor<32x1xi1> -> tensor<32x16xi1>
  %nOkB = tile.broadcast %nOk : tensor<1x16xi1> -> tensor<32x16xi1>
  %mask = arith.andi %kOkB, %nOkB : tensor<32x16xi1>
  %src = tile.addptr %w, %off : !tile.ptr<bf16>, tensor<32x16xi32> -> tensor<32x16x!tile.ptr<bf16>>
  %dst = tile.addptr %y, %off : !tile.ptr<bf16>, tensor<32x16xi32> -> tensor<32x16x!tile.ptr<bf16>>
  %v = tile.load %src mask %mask : tensor<32x16x!tile.ptr<bf16>> -> tensor<32x16xbf16>
  tile.store %dst, %v mask %mask : tensor<32x16x!tile.ptr<bf16>>, tensor<32x16xbf16>
  return
}

// y[2i] = 2 * x[2i] for i < n (64 lanes, stride 2).
func.func @strided_scale(%x: !tile.ptr<f32>, %y: !tile.ptr<f32>, %n: i32) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %lanes = tile.range <0, 64> : tensor<64xi32>
  %two = arith.constant dense<2> : tensor<64xi32>
  %off = arith.muli %lanes, %two : tensor<64xi32>
  %limit = tile.splat %n : i32 -> tensor<64xi32>
  %mask = arith.cmpi slt, %lanes, %limit : tensor<64xi32>
  %src = tile.addptr %x, %off : !tile.ptr<f32>, tensor<64xi32> -> tensor<64x!tile.ptr<f32>>
  %dst = tile.addptr %y, %off : !tile.ptr<f32>, tensor<64xi32> -> tensor<64x!tile.ptr<f32>>
  %fill = arith.constant dense<-1.0> : tensor<64xf32>
  %v = tile.load %src mask %mask other %fill : tensor<64x!tile.ptr<f32>> -> tensor<64xf32>
  %twof = arith.constant dense<2.0> : tensor<64xf32>
  %s = arith.mulf %v, %twof : tensor<64xf32>
  tile.store %dst, %s mask %mask : tensor<64x!tile.ptr<f32>>, tensor<64xf32>
  return
}

// The sum of x[r, c] for r < rows, c < 20 over 16 x 32 blocks of a
// [rows, 20] buffer: whole rows past the end and lanes 20..31 of every row
// are masked off (an LLVM x86 bug once read lanes 24..31 of such rows
// unmasked, past the end of the buffer).
func.func @masked_rows_tail(%x: !tile.ptr<f32>, %out: !tile.ptr<f32>, %rows: i32) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %c0 = arith.constant 0 : i32
  %c16 = arith.constant 16 : i32
  %c20 = arith.constant 20 : i32
  %rl = tile.range <0, 16> : tensor<16xi32>
  %rc = tile.range <0, 32> : tensor<32xi32>
  %rowsV = tile.splat %rows : i32 -> tensor<16xi32>
  %c20V = tile.splat %c20 : i32 -> tensor<32xi32>
  %colOk = arith.cmpi slt, %rc, %c20V : tensor<32xi32>
  %colOkRow = tile.expand_dims %colOk axis 0 : tensor<32xi1> -> tensor<1x32xi1>
  %colOkB = tile.broadcast %colOkRow : tensor<1x32xi1> -> tensor<16x32xi1>
  %rowCol = tile.expand_dims %rl axis 1 : tensor<16xi32> -> tensor<16x1xi32>
  %stride = tile.splat %c20 : i32 -> tensor<16x1xi32>
  %rowOff = arith.muli %rowCol, %stride : tensor<16x1xi32>
  %rowOffB = tile.broadcast %rowOff : tensor<16x1xi32> -> tensor<16x32xi32>
  %colRow = tile.expand_dims %rc axis 0 : tensor<32xi32> -> tensor<1x32xi32>
  %colB = tile.broadcast %colRow : tensor<1x32xi32> -> tensor<16x32xi32>
  %offs = arith.addi %rowOffB, %colB : tensor<16x32xi32>
  %zero = arith.constant dense<0.0> : tensor<16x32xf32>
  %acc = scf.for %r0 = %c0 to %rows step %c16 iter_args(%a = %zero) -> (tensor<16x32xf32>) : i32 {
    %r0V = tile.splat %r0 : i32 -> tensor<16xi32>
    %r = arith.addi %r0V, %rl : tensor<16xi32>
    %rowOk = arith.cmpi slt, %r, %rowsV : tensor<16xi32>
    %rowOkCol = tile.expand_dims %rowOk axis 1 : tensor<16xi1> -> tensor<16x1xi1>
    %rowOkB = tile.broadcast %rowOkCol : tensor<16x1xi1> -> tensor<16x32xi1>
    %mask = arith.andi %rowOkB, %colOkB : tensor<16x32xi1>
    %base = arith.muli %r0, %c20 : i32
    %block = tile.addptr %x, %base : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %p = tile.addptr %block, %offs : !tile.ptr<f32>, tensor<16x32xi32> -> tensor<16x32x!tile.ptr<f32>>
    %v = tile.load %p mask %mask : tensor<16x32x!tile.ptr<f32>> -> tensor<16x32xf32>
    %n = arith.addf %a, %v : tensor<16x32xf32>
    scf.yield %n : tensor<16x32xf32>
  }
  %s = tile.reduce sum %acc axis 1 : tensor<16x32xf32> -> tensor<16xf32>
  %t = tile.reduce sum %s axis 0 : tensor<16xf32> -> f32
  tile.store %out, %t : !tile.ptr<f32>, f32
  return
}
