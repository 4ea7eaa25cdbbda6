// Kernel template `silu_mul` (docs/kernels.md): the gated activation of the
// dense MLP and the shared experts,
//   out[r, :COLS] = silu(gate[r, :COLS]) * up[r, :COLS]   (f32)
//
//   args: gate: ptr<f32> (row r at gate + r*gate_stride),
//         up: ptr<f32> (row r at up + r*up_stride),
//         out: ptr<f32> (row r at out + r*out_stride),
//         gate_stride: i32, up_stride: i32, out_stride: i32
//   grid: (rows, ceil(COLS / BLOCK), 1); program (r, b) owns the columns
//         b*BLOCK .. b*BLOCK + BLOCK - 1 of row r.
//   params: COLS, BLOCK (power of two on a GPU).
//
// The block that overhangs the row is masked. out may alias gate or up
// (each lane reads before it writes). Row offsets are 64-bit.
module {
  func.func @{{KERNEL}}(%gate: !tile.ptr<f32>, %up: !tile.ptr<f32>, %out: !tile.ptr<f32>,
                        %gate_stride: i32, %up_stride: i32, %out_stride: i32) attributes {
      tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, {{COLS}} ceildiv {{BLOCK}}, 1),
                                 grid_symbols = ["tokens"], block = [{{BLOCK}}]>} {
    %cCols = arith.constant {{COLS}} : i32
    %cBlock = arith.constant {{BLOCK}} : i32
    %r = tile.program_id x : i32
    %blk = tile.program_id y : i32
    %col0 = arith.muli %blk, %cBlock : i32
    %rw = arith.extsi %r : i32 to i64
    %col0w = arith.extsi %col0 : i32 to i64
    %gsw = arith.extsi %gate_stride : i32 to i64
    %usw = arith.extsi %up_stride : i32 to i64
    %osw = arith.extsi %out_stride : i32 to i64
    %gRowOff = arith.muli %rw, %gsw : i64
    %uRowOff = arith.muli %rw, %usw : i64
    %oRowOff = arith.muli %rw, %osw : i64
    %gOff = arith.addi %gRowOff, %col0w : i64
    %uOff = arith.addi %uRowOff, %col0w : i64
    %oOff = arith.addi %oRowOff, %col0w : i64
    %gBase = tile.addptr %gate, %gOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %uBase = tile.addptr %up, %uOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %oBase = tile.addptr %out, %oOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %lanes = tile.range <0, {{BLOCK}}> : tensor<{{BLOCK}}xi32>
    %left = arith.subi %cCols, %col0 : i32
    %leftV = tile.splat %left : i32 -> tensor<{{BLOCK}}xi32>
    %inRow = arith.cmpi slt, %lanes, %leftV : tensor<{{BLOCK}}xi32>
    %gPtrs = tile.addptr %gBase, %lanes : !tile.ptr<f32>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<f32>>
    %uPtrs = tile.addptr %uBase, %lanes : !tile.ptr<f32>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<f32>>
    %oPtrs = tile.addptr %oBase, %lanes : !tile.ptr<f32>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<f32>>
    %g = tile.load %gPtrs mask %inRow : tensor<{{BLOCK}}x!tile.ptr<f32>> -> tensor<{{BLOCK}}xf32>
    %u = tile.load %uPtrs mask %inRow : tensor<{{BLOCK}}x!tile.ptr<f32>> -> tensor<{{BLOCK}}xf32>
    %sg = tile.silu %g : tensor<{{BLOCK}}xf32>
    %h = arith.mulf %sg, %u : tensor<{{BLOCK}}xf32>
    tile.store %oPtrs, %h mask %inRow : tensor<{{BLOCK}}x!tile.ptr<f32>>, tensor<{{BLOCK}}xf32>
    return
  }
}
