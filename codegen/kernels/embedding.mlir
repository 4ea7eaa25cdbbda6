// Kernel template `embedding` (docs/kernels.md): the token embedding, a row
// gather from the table (no scaling, as in DeepSeek-V2):
//   out[t, :] = table[ids[t], :]
//
//   args: ids: ptr<i32> [T], table: ptr<W> [vocab, HIDDEN],
//         out: ptr<f32> [T, HIDDEN]
//   grid: (T, ceil(HIDDEN / BLOCK), 1); program (t, b) copies the columns
//         b*BLOCK .. b*BLOCK + BLOCK - 1 of row t.
//   params: W (f32 or bf16), HIDDEN, BLOCK (power of two on a GPU).
//
// The block that overhangs the row is masked. Ids are not range-checked
// here (the runtime validates the step's tokens). The table row offset is
// 64-bit. The row is widened to f32 by an exact extf to f64 + truncf pair
// (one template for f32 and bf16 tables; it folds to one extf or nothing).
module {
  func.func @{{KERNEL}}(%ids: !tile.ptr<i32>, %table: !tile.ptr<{{W}}>, %out: !tile.ptr<f32>) attributes {
      tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, {{HIDDEN}} ceildiv {{BLOCK}}, 1),
                                 grid_symbols = ["tokens"], block = [{{BLOCK}}]>} {
    %cHidden = arith.constant {{HIDDEN}} : i32
    %cBlock = arith.constant {{BLOCK}} : i32
    %t = tile.program_id x : i32
    %blk = tile.program_id y : i32
    %idPtr = tile.addptr %ids, %t : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
    %id = tile.load %idPtr : !tile.ptr<i32> -> i32
    %col0 = arith.muli %blk, %cBlock : i32
    %idw = arith.extsi %id : i32 to i64
    %tw = arith.extsi %t : i32 to i64
    %cHiddenw = arith.extsi %cHidden : i32 to i64
    %col0w = arith.extsi %col0 : i32 to i64
    %srcRow = arith.muli %idw, %cHiddenw : i64
    %srcOff = arith.addi %srcRow, %col0w : i64
    %dstRow = arith.muli %tw, %cHiddenw : i64
    %dstOff = arith.addi %dstRow, %col0w : i64
    %src = tile.addptr %table, %srcOff : !tile.ptr<{{W}}>, i64 -> !tile.ptr<{{W}}>
    %dst = tile.addptr %out, %dstOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %lanes = tile.range <0, {{BLOCK}}> : tensor<{{BLOCK}}xi32>
    %left = arith.subi %cHidden, %col0 : i32
    %leftV = tile.splat %left : i32 -> tensor<{{BLOCK}}xi32>
    %inRow = arith.cmpi slt, %lanes, %leftV : tensor<{{BLOCK}}xi32>
    %srcPtrs = tile.addptr %src, %lanes : !tile.ptr<{{W}}>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<{{W}}>>
    %dstPtrs = tile.addptr %dst, %lanes : !tile.ptr<f32>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<f32>>
    %v = tile.load %srcPtrs mask %inRow : tensor<{{BLOCK}}x!tile.ptr<{{W}}>> -> tensor<{{BLOCK}}x{{W}}>
    %vWide = arith.extf %v : tensor<{{BLOCK}}x{{W}}> to tensor<{{BLOCK}}xf64>
    %vf = arith.truncf %vWide : tensor<{{BLOCK}}xf64> to tensor<{{BLOCK}}xf32>
    tile.store %dstPtrs, %vf mask %inRow : tensor<{{BLOCK}}x!tile.ptr<f32>>, tensor<{{BLOCK}}xf32>
    return
  }
}
