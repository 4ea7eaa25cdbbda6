// Kernel template `copy_rows` (docs/kernels.md): a strided row copy with a
// conversion, one program per row (e.g. k_pe into the latent cache, or a
// bf16 cache's latent rows widened for the decompressed attention):
//   dst[r, :COLS] = src[r, :COLS]   (SRC -> DST)
//
//   args: src: ptr<SRC> (row r at src + r*src_stride),
//         dst: ptr<DST> (row r at dst + r*dst_stride),
//         src_stride: i32, dst_stride: i32
//   grid: (rows, 1, 1)
//   params: SRC, DST (f32 or bf16), COLS, BLOCK (power of two; BLOCK >= COLS
//           copies the row with one tile, a smaller BLOCK loops over it).
//
// The chunk that overhangs the row is masked. The conversion is an exact
// extf to f64 + truncf to DST pair (one template for f32 and bf16; it folds
// to nothing, to one f32 -> bf16 truncf, round to nearest even, or to one
// exact bf16 -> f32 extf). Row
// offsets are 64-bit.
module {
  func.func @{{KERNEL}}(%src: !tile.ptr<{{SRC}}>, %dst: !tile.ptr<{{DST}}>,
                        %src_stride: i32, %dst_stride: i32) attributes {
      tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, 1, 1),
                                 grid_symbols = ["tokens"], block = [{{BLOCK}}]>} {
    %c0 = arith.constant 0 : i32
    %cCols = arith.constant {{COLS}} : i32
    %cBlock = arith.constant {{BLOCK}} : i32
    %r = tile.program_id x : i32
    %rw = arith.extsi %r : i32 to i64
    %ssw = arith.extsi %src_stride : i32 to i64
    %dsw = arith.extsi %dst_stride : i32 to i64
    %sOff = arith.muli %rw, %ssw : i64
    %dOff = arith.muli %rw, %dsw : i64
    %sRow = tile.addptr %src, %sOff : !tile.ptr<{{SRC}}>, i64 -> !tile.ptr<{{SRC}}>
    %dRow = tile.addptr %dst, %dOff : !tile.ptr<{{DST}}>, i64 -> !tile.ptr<{{DST}}>
    %lanes = tile.range <0, {{BLOCK}}> : tensor<{{BLOCK}}xi32>
    %limit = tile.splat %cCols : i32 -> tensor<{{BLOCK}}xi32>
    scf.for %col = %c0 to %cCols step %cBlock : i32 {
      %first = tile.splat %col : i32 -> tensor<{{BLOCK}}xi32>
      %cols = arith.addi %first, %lanes : tensor<{{BLOCK}}xi32>
      %inRow = arith.cmpi slt, %cols, %limit : tensor<{{BLOCK}}xi32>
      %sPtrs = tile.addptr %sRow, %cols : !tile.ptr<{{SRC}}>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<{{SRC}}>>
      %dPtrs = tile.addptr %dRow, %cols : !tile.ptr<{{DST}}>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<{{DST}}>>
      %v = tile.load %sPtrs mask %inRow : tensor<{{BLOCK}}x!tile.ptr<{{SRC}}>> -> tensor<{{BLOCK}}x{{SRC}}>
      %vWide = arith.extf %v : tensor<{{BLOCK}}x{{SRC}}> to tensor<{{BLOCK}}xf64>
      %vOut = arith.truncf %vWide : tensor<{{BLOCK}}xf64> to tensor<{{BLOCK}}x{{DST}}>
      tile.store %dPtrs, %vOut mask %inRow : tensor<{{BLOCK}}x!tile.ptr<{{DST}}>>, tensor<{{BLOCK}}x{{DST}}>
    }
    return
  }
}
