    // Part `panel_offsets` (codegen/kernels/parts): %pOff3 [P, 1, 1], the
    // element offset of each of a program's P weight panels from its
    // first: panel p at p*K*BN, clamped to the last panel of w (%lastPanel,
    // %panelsLeft of them from the first), so panels past N read valid
    // memory; their columns are not stored. Uses %nLeft (columns from the
    // program's first to N), %rp (0 .. P-1), %cK, %cBN and %c1.
    %nPad = arith.addi %nLeft, %cBN : i32
    %nPad1 = arith.subi %nPad, %c1 : i32
    %panelsLeft = arith.divsi %nPad1, %cBN : i32
    %lastPanel = arith.subi %panelsLeft, %c1 : i32
    %lastV = tile.splat %lastPanel : i32 -> tensor<{{P}}xi32>
    %rpIn = arith.minsi %rp, %lastV : tensor<{{P}}xi32>
    %panelSize = arith.muli %cK, %cBN : i32
    %panelSizeV = tile.splat %panelSize : i32 -> tensor<{{P}}xi32>
    %pOff = arith.muli %rpIn, %panelSizeV : tensor<{{P}}xi32>
    %pOff2 = tile.expand_dims %pOff axis 1 : tensor<{{P}}xi32> -> tensor<{{P}}x1xi32>
    %pOff3 = tile.expand_dims %pOff2 axis 2 : tensor<{{P}}x1xi32> -> tensor<{{P}}x1x1xi32>
