// Kernel template `add_rms_norm` (docs/kernels.md): the residual add fused
// with the next norm, one program per token row of DIM contiguous elements:
//   sum[t, :] = x[t, :] + delta[t, :]
//   out[t, :] = sum[t, :] * rsqrt(mean(sum[t, :]^2) + EPS) * w
//
//   args: x: ptr<f32> [T, DIM], delta: ptr<f32> [T, DIM], w: ptr<W> [DIM],
//         sum: ptr<f32> [T, DIM], out: ptr<f32> [T, DIM]
//   grid: (T, 1, 1)
//   params: W (f32 or bf16), DIM, BLOCK (power of two; BLOCK >= DIM covers
//           the row with one tile, a smaller BLOCK loops over the row),
//           EPS (an f32 literal such as 1.000000e-06).
//
// Two passes over the row in BLOCK-wide chunks: the first accumulates
// (x + delta)^2 lane-wise in f32 and reduces it to the mean of squares; the
// second recomputes x + delta, stores it to sum, normalizes in f32 and
// multiplies by the weight (widened to f32 by an exact extf to f64 + truncf
// pair that folds away, so one template serves f32 and bf16). sum may alias
// x or delta (the residual updated in place): nothing is written before the
// second pass, where each lane reads its elements before writing them. The
// chunk that overhangs the row is masked.
module {
  func.func @{{KERNEL}}(%x: !tile.ptr<f32>, %delta: !tile.ptr<f32>, %w: !tile.ptr<{{W}}>,
                        %sum: !tile.ptr<f32>, %out: !tile.ptr<f32>) attributes {
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
    %cDimw = arith.extsi %cDim : i32 to i64
    %rowOff = arith.muli %roww, %cDimw : i64
    %xRow = tile.addptr %x, %rowOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %dRow = tile.addptr %delta, %rowOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %sRow = tile.addptr %sum, %rowOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %oRow = tile.addptr %out, %rowOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %lanes = tile.range <0, {{BLOCK}}> : tensor<{{BLOCK}}xi32>
    %limit = tile.splat %cDim : i32 -> tensor<{{BLOCK}}xi32>

    // Pass 1: sum of squares of x + delta; mean in f32.
    %sumsq = scf.for %col = %c0 to %cDim step %cBlock
        iter_args(%acc = %zero) -> (tensor<{{BLOCK}}xf32>) : i32 {
      %first = tile.splat %col : i32 -> tensor<{{BLOCK}}xi32>
      %cols = arith.addi %first, %lanes : tensor<{{BLOCK}}xi32>
      %inRow = arith.cmpi slt, %cols, %limit : tensor<{{BLOCK}}xi32>
      %xPtrs = tile.addptr %xRow, %cols : !tile.ptr<f32>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<f32>>
      %dPtrs = tile.addptr %dRow, %cols : !tile.ptr<f32>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<f32>>
      %xv = tile.load %xPtrs mask %inRow other %zero : tensor<{{BLOCK}}x!tile.ptr<f32>> -> tensor<{{BLOCK}}xf32>
      %dv = tile.load %dPtrs mask %inRow other %zero : tensor<{{BLOCK}}x!tile.ptr<f32>> -> tensor<{{BLOCK}}xf32>
      %s = arith.addf %xv, %dv : tensor<{{BLOCK}}xf32>
      %sq = arith.mulf %s, %s : tensor<{{BLOCK}}xf32>
      %next = arith.addf %acc, %sq : tensor<{{BLOCK}}xf32>
      scf.yield %next : tensor<{{BLOCK}}xf32>
    }
    %total = tile.reduce sum %sumsq axis 0 : tensor<{{BLOCK}}xf32> -> f32
    %mean = arith.divf %total, %dimF : f32
    %shifted = arith.addf %mean, %eps : f32
    %rstd = math.rsqrt %shifted : f32
    %scale = tile.splat %rstd : f32 -> tensor<{{BLOCK}}xf32>

    // Pass 2: sum = x + delta, out = sum * rstd * w.
    scf.for %col = %c0 to %cDim step %cBlock : i32 {
      %first = tile.splat %col : i32 -> tensor<{{BLOCK}}xi32>
      %cols = arith.addi %first, %lanes : tensor<{{BLOCK}}xi32>
      %inRow = arith.cmpi slt, %cols, %limit : tensor<{{BLOCK}}xi32>
      %xPtrs = tile.addptr %xRow, %cols : !tile.ptr<f32>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<f32>>
      %dPtrs = tile.addptr %dRow, %cols : !tile.ptr<f32>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<f32>>
      %sPtrs = tile.addptr %sRow, %cols : !tile.ptr<f32>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<f32>>
      %oPtrs = tile.addptr %oRow, %cols : !tile.ptr<f32>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<f32>>
      %wPtrs = tile.addptr %w, %cols : !tile.ptr<{{W}}>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<{{W}}>>
      %xv = tile.load %xPtrs mask %inRow : tensor<{{BLOCK}}x!tile.ptr<f32>> -> tensor<{{BLOCK}}xf32>
      %dv = tile.load %dPtrs mask %inRow : tensor<{{BLOCK}}x!tile.ptr<f32>> -> tensor<{{BLOCK}}xf32>
      %wt = tile.load %wPtrs mask %inRow : tensor<{{BLOCK}}x!tile.ptr<{{W}}>> -> tensor<{{BLOCK}}x{{W}}>
      %s = arith.addf %xv, %dv : tensor<{{BLOCK}}xf32>
      tile.store %sPtrs, %s mask %inRow : tensor<{{BLOCK}}x!tile.ptr<f32>>, tensor<{{BLOCK}}xf32>
      %wWide = arith.extf %wt : tensor<{{BLOCK}}x{{W}}> to tensor<{{BLOCK}}xf64>
      %wf = arith.truncf %wWide : tensor<{{BLOCK}}xf64> to tensor<{{BLOCK}}xf32>
      %normed = arith.mulf %s, %scale : tensor<{{BLOCK}}xf32>
      %y = arith.mulf %normed, %wf : tensor<{{BLOCK}}xf32>
      tile.store %oPtrs, %y mask %inRow : tensor<{{BLOCK}}x!tile.ptr<f32>>, tensor<{{BLOCK}}xf32>
    }
    return
  }
}
