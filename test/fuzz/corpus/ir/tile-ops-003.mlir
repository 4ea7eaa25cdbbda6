func.func @grid_ops(%out: !tile.ptr<i32>) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0, s1] -> (s0 ceildiv 16, s1 ceildiv 64, 2),
                               grid_symbols = ["tokens", "context"], num_warps = 8,
                               block = [16, 64]>} {
  %x = tile.program_id x : i32
  %y = tile.program_id y : i32
  %z = tile.program_id z : i32
  %nx = tile.num_programs x : i32
  %ny = tile.num_programs y : i32
  %nz = tile.num_programs z : i32
  %a = arith.addi %x, %y : i32
  %b = arith.addi %a, %z : i32
  %c = arith.addi %nx, %ny : i32
  %d = arith.addi %c, %nz : i32
  %e = arith.addi %b, %d : i32
  tile.store %out, %e : !tile.ptr<i32>, i32
  return
}
