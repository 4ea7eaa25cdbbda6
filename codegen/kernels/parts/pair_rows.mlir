  // Part `pair_rows` (codegen/kernels/parts): offsets of a K step of BK
  // pairs over one column panel (the *_i16 expert GEMVs). %xOff [BK, 1]:
  // activation pair r of the step; %stepRowB [BK, 2, BN]: row 2r + u of
  // the step; %wOff [BK, 2, BN]: its weights, (2r + u)*BN + j; %rn: the
  // lanes 0 .. BN-1. Uses %c2 and %cBN.
  %rk = tile.range <0, {{BK}}> : tensor<{{BK}}xi32>
  %rn = tile.range <0, {{BN}}> : tensor<{{BN}}xi32>
  %xOff = tile.expand_dims %rk axis 1 : tensor<{{BK}}xi32> -> tensor<{{BK}}x1xi32>
  %twoCol = tile.splat %c2 : i32 -> tensor<{{BK}}x1xi32>
  %pairRow = arith.muli %xOff, %twoCol : tensor<{{BK}}x1xi32>
  %pairRowB = tile.broadcast %pairRow : tensor<{{BK}}x1xi32> -> tensor<{{BK}}x2xi32>
  %ru = tile.range <0, 2> : tensor<2xi32>
  %ruRow = tile.expand_dims %ru axis 0 : tensor<2xi32> -> tensor<1x2xi32>
  %ruB = tile.broadcast %ruRow : tensor<1x2xi32> -> tensor<{{BK}}x2xi32>
  %stepRow = arith.addi %pairRowB, %ruB : tensor<{{BK}}x2xi32>
  %stepRow3 = tile.expand_dims %stepRow axis 2 : tensor<{{BK}}x2xi32> -> tensor<{{BK}}x2x1xi32>
  %stepRowB = tile.broadcast %stepRow3 : tensor<{{BK}}x2x1xi32> -> tensor<{{BK}}x2x{{BN}}xi32>
  %bnV = tile.splat %cBN : i32 -> tensor<{{BK}}x2x{{BN}}xi32>
  %rowOff = arith.muli %stepRowB, %bnV : tensor<{{BK}}x2x{{BN}}xi32>
  %rn2 = tile.expand_dims %rn axis 0 : tensor<{{BN}}xi32> -> tensor<1x{{BN}}xi32>
  %rn3 = tile.expand_dims %rn2 axis 0 : tensor<1x{{BN}}xi32> -> tensor<1x1x{{BN}}xi32>
  %rnB = tile.broadcast %rn3 : tensor<1x1x{{BN}}xi32> -> tensor<{{BK}}x2x{{BN}}xi32>
  %wOff = arith.addi %rowOff, %rnB : tensor<{{BK}}x2x{{BN}}xi32>
