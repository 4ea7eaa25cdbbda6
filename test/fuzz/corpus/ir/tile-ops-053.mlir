func.func @silu_gate(%gate: !tile.ptr<bf16>, %up: !tile.ptr<bf16>, %h: !tile.ptr<bf16>) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, 2, 1), grid_symbols = ["tokens"]>} {
  %cInter = arith.constant 1408 : i32
  %cBlock = arith.constant 1024 : i32
  %t = tile.program_id x : i32
  %blk = tile.program_id y : i32
  %rowStart = arith.muli %t, %cInter : i32
  %colStart = arith.muli %blk, %cBlock : i32
  %start = arith.addi %rowStart, %colStart : i32
  %lanes = tile.range <0, 1024> : tensor<1024xi32>
  %first = tile.splat %colStart : i32 -> tensor<1024xi32>
  %cols = arith.addi %first, %lanes : tensor<1024xi32>
  %limit = tile.splat %cInter : i32 -> tensor<1024xi32>
  %inRow = arith.cmpi slt, %cols, %limit : tensor<1024xi32>
  %gRow = tile.addptr %gate, %start : !tile.ptr<bf16>, i32 -> !tile.ptr<bf16>
  %uRow = tile.addptr %up, %start : !tile.ptr<bf16>, i32 -> !tile.ptr<bf16>
  %hRow = tile.addptr %h, %start : !tile.ptr<bf16>, i32 -> !tile.ptr<bf16>
  %gPtrs = tile.addptr %gRow, %lanes : !tile.ptr<bf16>, tensor<1024xi32> -> tensor<1024x!tile.ptr<bf16>>
  %uPtrs = tile.addptr %uRow, %lanes : !tile.ptr<bf16>, tensor<1024xi32> -> tensor<1024x!tile.ptr<bf16>>
  %hPtrs = tile.addptr %hRow, %lanes : !tile.ptr<bf16>, tensor<1024xi32> -> tensor<1024x!tile.ptr<bf16>>
  %gb = tile.load %gPtrs mask %inRow : tensor<1024x!tile.ptr<bf16>> -> tensor<1024xbf16>
  %ub = tile.load %uPtrs mask %inRow : tensor<1024x!tile.ptr<bf16>> -> tensor<1024xbf16>
  %g = arith.extf %gb : tensor<1024xbf16> to tensor<1024xf32>
  %u = arith.extf %ub : tensor<1024xbf16> to tensor<1024xf32>
  %sg = tile.silu %g : tensor<1024xf32>
  %prod = arith.mulf %sg, %u : tensor<1024xf32>
  %hb = arith.truncf %prod : tensor<1024xf32> to tensor<1024xbf16>
  tile.store %hPtrs, %hb mask %inRow : tensor<1024x!tile.ptr<bf16>>, tensor<1024xbf16>
  return
}
