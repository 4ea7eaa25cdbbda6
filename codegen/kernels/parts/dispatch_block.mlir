  // Part `dispatch_block` (codegen/kernels/parts): the rows and columns of
  // a grouped-expert program over moe_plan's dispatch rows. %rm: its rows
  // %row0 .. %row0+BM-1; %tok: their tokens (-1: padding, or past `rows`);
  // %valid: a token; %work: the block has an expert and a valid row (a
  // block of padding rows skips its K loops). %rn: the columns %col0 ..
  // %col0+BN-1 of the output (%colOk: < %cN); %lanes: 0 .. BN-1 as [1, BN].
  // Uses %row_token, %rows, %row0, %col0, %cN, %c0 and %hasExpert.
  %rBM = tile.range <0, {{BM}}> : tensor<{{BM}}xi32>
  %rBN = tile.range <0, {{BN}}> : tensor<{{BN}}xi32>
  %row0v = tile.splat %row0 : i32 -> tensor<{{BM}}xi32>
  %rm = arith.addi %row0v, %rBM : tensor<{{BM}}xi32>
  %rowsv = tile.splat %rows : i32 -> tensor<{{BM}}xi32>
  %rowOk = arith.cmpi slt, %rm, %rowsv : tensor<{{BM}}xi32>
  %noToken = arith.constant dense<-1> : tensor<{{BM}}xi32>
  %zeroTok = arith.constant dense<0> : tensor<{{BM}}xi32>
  %tokPtrs = tile.addptr %row_token, %rm : !tile.ptr<i32>, tensor<{{BM}}xi32> -> tensor<{{BM}}x!tile.ptr<i32>>
  %tok = tile.load %tokPtrs mask %rowOk other %noToken : tensor<{{BM}}x!tile.ptr<i32>> -> tensor<{{BM}}xi32>
  %valid = arith.cmpi sge, %tok, %zeroTok : tensor<{{BM}}xi32>
  %validInt = arith.extui %valid : tensor<{{BM}}xi1> to tensor<{{BM}}xi32>
  %validRows = tile.reduce sum %validInt axis 0 : tensor<{{BM}}xi32> -> i32
  %anyValid = arith.cmpi sgt, %validRows, %c0 : i32
  %work = arith.andi %hasExpert, %anyValid : i1
  %col0v = tile.splat %col0 : i32 -> tensor<{{BN}}xi32>
  %rn = arith.addi %col0v, %rBN : tensor<{{BN}}xi32>
  %nv = tile.splat %cN : i32 -> tensor<{{BN}}xi32>
  %colOk = arith.cmpi slt, %rn, %nv : tensor<{{BN}}xi32>
  %lanes = tile.expand_dims %rBN axis 0 : tensor<{{BN}}xi32> -> tensor<1x{{BN}}xi32>
