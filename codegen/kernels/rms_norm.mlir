// Kernel template `rms_norm` (docs/kernels.md): one program per row,
//   out[r, :DIM] = x[r, :DIM] * rsqrt(mean(x[r, :DIM]^2) + EPS) * w.
//
//   args: x: ptr<f32> (row r at x + r*x_stride), w: ptr<W> [DIM],
//         out: ptr<OUT> (row r at out + r*out_stride),
//         x_stride: i32, out_stride: i32
//   grid: (rows, 1, 1)
//   params: W (f32 or bf16), OUT (f32 or bf16), DIM, BLOCK (power of two;
//           BLOCK >= DIM covers the row with one tile, a smaller BLOCK
//           loops over the row), EPS (an f32 literal such as 1.000000e-06).
//
// Two passes over the row in BLOCK-wide chunks (one chunk when BLOCK >= DIM):
// the first accumulates x^2 lane-wise in f32 and reduces it to the mean of
// squares, the second normalizes in f32, multiplies by the weight (widened to
// f32) and stores, converted to OUT. The chunk that overhangs the row is
// masked (loads read 0, stores skip). out may alias x: each lane of the
// second pass reads its element before writing it. Conversions go through
// an exact extf to f64 + truncf pair so one template serves f32 and bf16
// (canonicalization / LLVM fold it to one extf, one truncf or nothing).
// Used for the c part of kv_a's [c, k_pe] rows, writing the latent cache.
module {
  func.func @{{KERNEL}}(%x: !tile.ptr<f32>, %w: !tile.ptr<{{W}}>, %out: !tile.ptr<{{OUT}}>,
                        %x_stride: i32, %out_stride: i32) attributes {
      tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, 1, 1),
                                 grid_symbols = ["tokens"], block = [{{BLOCK}}]>} {
    %c0 = arith.constant 0 : i32
    %cDim = arith.constant {{DIM}} : i32
    %cBlock = arith.constant {{BLOCK}} : i32
    %dimF = arith.constant {{DIM}}.0 : f32
    %eps = arith.constant {{EPS}} : f32
    %zero = arith.constant dense<0.0> : tensor<{{BLOCK}}xf32>
    %row = tile.program_id x : i32
    %roww = arith.extsi %row : i32 to i64
    %xsw = arith.extsi %x_stride : i32 to i64
    %osw = arith.extsi %out_stride : i32 to i64
    %xOff = arith.muli %roww, %xsw : i64
    %oOff = arith.muli %roww, %osw : i64
    %xRow = tile.addptr %x, %xOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %oRow = tile.addptr %out, %oOff : !tile.ptr<{{OUT}}>, i64 -> !tile.ptr<{{OUT}}>
    %lanes = tile.range <0, {{BLOCK}}> : tensor<{{BLOCK}}xi32>
    %limit = tile.splat %cDim : i32 -> tensor<{{BLOCK}}xi32>

    // Pass 1: sum of squares, lane-wise, then across lanes; mean in f32.
    %sumsq = scf.for %col = %c0 to %cDim step %cBlock
        iter_args(%acc = %zero) -> (tensor<{{BLOCK}}xf32>) : i32 {
      %first = tile.splat %col : i32 -> tensor<{{BLOCK}}xi32>
      %cols = arith.addi %first, %lanes : tensor<{{BLOCK}}xi32>
      %inRow = arith.cmpi slt, %cols, %limit : tensor<{{BLOCK}}xi32>
      %ptrs = tile.addptr %xRow, %cols : !tile.ptr<f32>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<f32>>
      %v = tile.load %ptrs mask %inRow other %zero : tensor<{{BLOCK}}x!tile.ptr<f32>> -> tensor<{{BLOCK}}xf32>
      %sq = arith.mulf %v, %v : tensor<{{BLOCK}}xf32>
      %next = arith.addf %acc, %sq : tensor<{{BLOCK}}xf32>
      scf.yield %next : tensor<{{BLOCK}}xf32>
    }
    %total = tile.reduce sum %sumsq axis 0 : tensor<{{BLOCK}}xf32> -> f32
    %mean = arith.divf %total, %dimF : f32
    %shifted = arith.addf %mean, %eps : f32
    %rstd = math.rsqrt %shifted : f32
    %scale = tile.splat %rstd : f32 -> tensor<{{BLOCK}}xf32>

    // Pass 2: normalize, scale by the weight in f32, store as OUT.
    scf.for %col = %c0 to %cDim step %cBlock : i32 {
      %first = tile.splat %col : i32 -> tensor<{{BLOCK}}xi32>
      %cols = arith.addi %first, %lanes : tensor<{{BLOCK}}xi32>
      %inRow = arith.cmpi slt, %cols, %limit : tensor<{{BLOCK}}xi32>
      %xPtrs = tile.addptr %xRow, %cols : !tile.ptr<f32>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<f32>>
      %wPtrs = tile.addptr %w, %cols : !tile.ptr<{{W}}>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<{{W}}>>
      %oPtrs = tile.addptr %oRow, %cols : !tile.ptr<{{OUT}}>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<{{OUT}}>>
      %v = tile.load %xPtrs mask %inRow : tensor<{{BLOCK}}x!tile.ptr<f32>> -> tensor<{{BLOCK}}xf32>
      %wt = tile.load %wPtrs mask %inRow : tensor<{{BLOCK}}x!tile.ptr<{{W}}>> -> tensor<{{BLOCK}}x{{W}}>
      %wWide = arith.extf %wt : tensor<{{BLOCK}}x{{W}}> to tensor<{{BLOCK}}xf64>
      %wf = arith.truncf %wWide : tensor<{{BLOCK}}xf64> to tensor<{{BLOCK}}xf32>
      %normed = arith.mulf %v, %scale : tensor<{{BLOCK}}xf32>
      %y = arith.mulf %normed, %wf : tensor<{{BLOCK}}xf32>
      %yWide = arith.extf %y : tensor<{{BLOCK}}xf32> to tensor<{{BLOCK}}xf64>
      %yOut = arith.truncf %yWide : tensor<{{BLOCK}}xf64> to tensor<{{BLOCK}}x{{OUT}}>
      tile.store %oPtrs, %yOut mask %inRow : tensor<{{BLOCK}}x!tile.ptr<{{OUT}}>>, tensor<{{BLOCK}}x{{OUT}}>
    }
    return
  }
}
