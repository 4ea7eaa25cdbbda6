func.func @rms_norm_rows(%x: !tile.ptr<f32>, %w: !tile.ptr<bf16>, %y: !tile.ptr<f32>,
                         %hidden: i32, %eps: f32) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, 1, 1),
                               grid_symbols = ["tokens"], num_warps = 8,
                               block = [1024]>} {
  %c0 = arith.constant 0 : i32
  %c1024 = arith.constant 1024 : i32
  %zero = arith.constant dense<0.0> : tensor<1024xf32>
  %row = tile.program_id x : i32
  %rowStart = arith.muli %row, %hidden : i32
  %xRow = tile.addptr %x, %rowStart : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
  %yRow = tile.addptr %y, %rowStart : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
  %lanes = tile.range <0, 1024> : tensor<1024xi32>
  %limit = tile.splat %hidden : i32 -> tensor<1024xi32>
  // Pass 1: sum of squares of the row, lane-wise, then across lanes.
  %sumsq = scf.for %col = %c0 to %hidden step %c1024
      iter_args(%acc = %zero) -> (tensor<1024xf32>) : i32 {
    %first = tile.splat %col : i32 -> tensor<1024xi32>
    %cols = arith.addi %first, %lanes : tensor<1024xi32>
    %inRow = arith.cmpi slt, %cols, %limit : tensor<1024xi32>
    %ptrs = tile.addptr %xRow, %cols : !tile.ptr<f32>, tensor<1024xi32> -> tensor<1024x!tile.ptr<f32>>
    %v = tile.load %ptrs mask %inRow other %zero : tensor<1024x!tile.ptr<f32>> -> tensor<1024xf32>
    %sq = arith.mulf %v, %v : tensor<1024xf32>
    %next = arith.addf %acc, %sq : tensor<1024xf32>
    scf.yield %next : tensor<1024xf32>
  }
  %total = tile.reduce sum %sumsq axis 0 : tensor<1024xf32> -> f32
  %n = arith.sitofp %hidden : i32 to f32
  %mean = arith.divf %total, %n : f32
  %shifted = arith.addf %mean, %eps : f32
  %rstd = math.rsqrt %shifted : f32
  %scale = tile.splat %rstd : f32 -> tensor<1024xf32>
  // Pass 2: normalize, scale by the bf16 weight in f32, store.
  scf.for %col = %c0 to %hidden step %c1024 : i32 {
    %first = tile.splat %col : i32 -> tensor<1024xi32>
    %cols = arith.addi %first, %lanes : tensor<1024xi32>
    %inRow = arith.cmpi slt, %cols, %limit : tensor<1024xi32>
    %xPtrs = tile.addptr %xRow, %cols : !tile.ptr<f32>, tensor<1024xi32> -> tensor<1024x!tile.ptr<f32>>
    %wPtrs = tile.addptr %w, %cols : !tile.ptr<bf16>, tensor<1024xi32> -> tensor<1024x!tile.ptr<bf16>>
    %yPtrs = tile.addptr %yRow, %cols : !tile.ptr<f32>, tensor<1024xi32> -> tensor<1024x!tile.ptr<f32>>
    %v = tile.load %xPtrs mask %inRow : tensor<1024x!tile.ptr<f32>> -> tensor<1024xf32>
    %wb = tile.load %wPtrs mask %inRow : tensor<1024x!tile.ptr<bf16>> -> tensor<1024xbf16>
    %wf = arith.extf %wb : tensor<1024xbf16> to tensor<1024xf32>
    %normed = arith.mulf %v, %scale : tensor<1024xf32>
    %out = arith.mulf %normed, %wf : tensor<1024xf32>
    tile.store %yPtrs, %out mask %inRow : tensor<1024x!tile.ptr<f32>>, tensor<1024xf32>
  }
  return
}
