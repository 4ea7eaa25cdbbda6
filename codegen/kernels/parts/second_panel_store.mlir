  // Part `second_panel_store` (codegen/kernels/parts): stores %value#1, a
  // two-panel program's [BM, BN] results of its second panel, at columns
  // %col1 .. %col1+BN-1 of its rows (%outOff + BN), masked by %rowOkOut and
  // the columns below %cN (none where the panel was clamped: panel_pair).
  // Uses %col1, %rBN, %nv, %outOff, %rowOkOut, %out and %cBN.
  %col1v = tile.splat %col1 : i32 -> tensor<{{BN}}xi32>
  %rn1 = arith.addi %col1v, %rBN : tensor<{{BN}}xi32>
  %colOk1 = arith.cmpi slt, %rn1, %nv : tensor<{{BN}}xi32>
  %colOk1Row = tile.expand_dims %colOk1 axis 0 : tensor<{{BN}}xi1> -> tensor<1x{{BN}}xi1>
  %colOk1Out = tile.broadcast %colOk1Row : tensor<1x{{BN}}xi1> -> tensor<{{BM}}x{{BN}}xi1>
  %outMask1 = arith.andi %rowOkOut, %colOk1Out : tensor<{{BM}}x{{BN}}xi1>
  %cBNOut = tile.splat %cBN : i32 -> tensor<{{BM}}x{{BN}}xi32>
  %outOff1 = arith.addi %outOff, %cBNOut : tensor<{{BM}}x{{BN}}xi32>
  %outPtrs1 = tile.addptr %out, %outOff1 : !tile.ptr<f32>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}x!tile.ptr<f32>>
  tile.store %outPtrs1, %value#1 mask %outMask1 : tensor<{{BM}}x{{BN}}x!tile.ptr<f32>>, tensor<{{BM}}x{{BN}}xf32>
