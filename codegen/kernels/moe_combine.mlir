// moe_combine: back to token order, grid (T, ceil(H/BLOCK)).
//
//   y          [rows, H] f32   grouped_down's output
//   token_row  [T, K] i32      the dispatch row of (t, k)
//   row_weight [rows] f32      the routing weight of each row
//   shared     [T, H] f32      the shared experts' output (HAS_SHARED = 1)
//   out        [T, H] f32      sum_k row_weight[r] * y[r] (+ shared[t])
//
// The weighted rows are summed in f32 in k order, then the shared experts'
// output is added (as the reference does). HAS_SHARED = 0 never reads
// `shared` (it may be null). A pair without a row (token_row -1: its expert
// is on another rank) adds nothing; its row index is clamped to 0 only to
// keep the loads in bounds.
func.func @{{KERNEL}}(%y: !tile.ptr<f32>, %token_row: !tile.ptr<i32>,
                      %row_weight: !tile.ptr<f32>, %shared: !tile.ptr<f32>,
                      %out: !tile.ptr<f32>) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, {{H}} ceildiv {{BLOCK}}, 1),
                               grid_symbols = ["tokens"], block = [{{BLOCK}}]>} {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %cH = arith.constant {{H}} : i32
  %cK = arith.constant {{K}} : i32
  %cBlock = arith.constant {{BLOCK}} : i32
  %cShared = arith.constant {{HAS_SHARED}} : i32
  %zero = arith.constant dense<0.000000e+00> : tensor<{{BLOCK}}xf32>

  %t = tile.program_id x : i32
  %pb = tile.program_id y : i32
  %col0 = arith.muli %pb, %cBlock : i32
  %lanes = tile.range <0, {{BLOCK}}> : tensor<{{BLOCK}}xi32>
  %col0v = tile.splat %col0 : i32 -> tensor<{{BLOCK}}xi32>
  %cols = arith.addi %col0v, %lanes : tensor<{{BLOCK}}xi32>
  %hv = tile.splat %cH : i32 -> tensor<{{BLOCK}}xi32>
  %inRow = arith.cmpi slt, %cols, %hv : tensor<{{BLOCK}}xi32>

  // sum_k row_weight[r] * y[r, cols], r = token_row[t, k], k in order.
  %pairStart = arith.muli %t, %cK : i32
  %routed = scf.for %k = %c0 to %cK step %c1
      iter_args(%acc = %zero) -> (tensor<{{BLOCK}}xf32>) : i32 {
    %i = arith.addi %pairStart, %k : i32
    %rp = tile.addptr %token_row, %i : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
    %rRaw = tile.load %rp : !tile.ptr<i32> -> i32
    %hasRow = arith.cmpi sge, %rRaw, %c0 : i32
    %r = arith.select %hasRow, %rRaw, %c0 : i32
    %wp = tile.addptr %row_weight, %r : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %w = tile.load %wp : !tile.ptr<f32> -> f32
    %rowStart = arith.muli %r, %cH : i32
    %yRow = tile.addptr %y, %rowStart : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %yPtrs = tile.addptr %yRow, %cols : !tile.ptr<f32>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<f32>>
    %v = tile.load %yPtrs mask %inRow other %zero : tensor<{{BLOCK}}x!tile.ptr<f32>> -> tensor<{{BLOCK}}xf32>
    %wv = tile.splat %w : f32 -> tensor<{{BLOCK}}xf32>
    %product = arith.mulf %wv, %v : tensor<{{BLOCK}}xf32>
    %term = arith.select %hasRow, %product, %zero : tensor<{{BLOCK}}xf32>
    %acc2 = arith.addf %acc, %term : tensor<{{BLOCK}}xf32>
    scf.yield %acc2 : tensor<{{BLOCK}}xf32>
  }

  %tokenStart = arith.muli %t, %cH : i32
  %hasShared = arith.cmpi ne, %cShared, %c0 : i32
  %total = scf.if %hasShared -> (tensor<{{BLOCK}}xf32>) {
    %sRow = tile.addptr %shared, %tokenStart : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %sPtrs = tile.addptr %sRow, %cols : !tile.ptr<f32>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<f32>>
    %s = tile.load %sPtrs mask %inRow other %zero : tensor<{{BLOCK}}x!tile.ptr<f32>> -> tensor<{{BLOCK}}xf32>
    %sum = arith.addf %routed, %s : tensor<{{BLOCK}}xf32>
    scf.yield %sum : tensor<{{BLOCK}}xf32>
  } else {
    scf.yield %routed : tensor<{{BLOCK}}xf32>
  }
  %oRow = tile.addptr %out, %tokenStart : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
  %oPtrs = tile.addptr %oRow, %cols : !tile.ptr<f32>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<f32>>
  tile.store %oPtrs, %total mask %inRow : tensor<{{BLOCK}}x!tile.ptr<f32>>, tensor<{{BLOCK}}xf32>
  return
}
