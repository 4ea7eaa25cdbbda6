func.func @pointers_and_memory(%p: !tile.ptr<bf16>, %q: !tile.ptr<i64>, %o: i64, %n: i32) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, 1, 1), grid_symbols = ["tokens"]>} {
  // Scalar pointer + scalar offset, then + a tile of i32 or i64 offsets.
  %row = tile.addptr %p, %n : !tile.ptr<bf16>, i32 -> !tile.ptr<bf16>
  %r = tile.range <0, 64> : tensor<64xi32>
  %ptrs = tile.addptr %row, %r : !tile.ptr<bf16>, tensor<64xi32> -> tensor<64x!tile.ptr<bf16>>
  %wide = arith.extsi %r : tensor<64xi32> to tensor<64xi64>
  %far = tile.addptr %ptrs, %wide : tensor<64x!tile.ptr<bf16>>, tensor<64xi64> -> tensor<64x!tile.ptr<bf16>>
  %limit = tile.splat %n : i32 -> tensor<64xi32>
  %m = arith.cmpi slt, %r, %limit : tensor<64xi32>
  %fill = arith.constant dense<-1.0> : tensor<64xbf16>
  %v0 = tile.load %ptrs : tensor<64x!tile.ptr<bf16>> -> tensor<64xbf16>
  %v1 = tile.load %ptrs mask %m : tensor<64x!tile.ptr<bf16>> -> tensor<64xbf16>
  %v2 = tile.load %ptrs mask %m other %fill : tensor<64x!tile.ptr<bf16>> -> tensor<64xbf16>
  %v3 = arith.addf %v0, %v1 : tensor<64xbf16>
  %v4 = arith.addf %v3, %v2 : tensor<64xbf16>
  tile.store %ptrs, %v4 mask %m : tensor<64x!tile.ptr<bf16>>, tensor<64xbf16>
  // Scalar loads and stores, with a scalar mask.
  %qo = tile.addptr %q, %o : !tile.ptr<i64>, i64 -> !tile.ptr<i64>
  %s = tile.load %qo : !tile.ptr<i64> -> i64
  %pid = tile.program_id x : i32
  %c0 = arith.constant 0 : i32
  %first = arith.cmpi eq, %pid, %c0 : i32
  tile.store %q, %s mask %first : !tile.ptr<i64>, i64
  %t = tile.load %q mask %first other %o : !tile.ptr<i64> -> i64
  tile.store %qo, %t : !tile.ptr<i64>, i64
  return
}
