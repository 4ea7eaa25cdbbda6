// A kernel with an op no LLVM lowering knows (integer power on a tile), for
// the error path of dsv2-translate-cpu (unsupported.mlir).
func.func @no_llvm_lowering(%x: !tile.ptr<i32>) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %lanes = tile.range <0, 8> : tensor<8xi32>
  %p = tile.addptr %x, %lanes : !tile.ptr<i32>, tensor<8xi32> -> tensor<8x!tile.ptr<i32>>
  %v = tile.load %p : tensor<8x!tile.ptr<i32>> -> tensor<8xi32>
  %y = math.ipowi %v, %lanes : tensor<8xi32>
  tile.store %p, %y : tensor<8x!tile.ptr<i32>>, tensor<8xi32>
  return
}
