  // Part `expert_of_rows` (codegen/kernels/parts): the expert of the
  // dispatch rows from %row0 on, the first e with offsets[e+1] > %row0, by
  // a binary search over the nondecreasing %offsets; %search#0 is E when
  // %row0 is past offsets[E]. Uses %offsets, %row0, %c1, %c2, %c0 and %cE.
  %search:2 = scf.while (%lo = %c0, %hi = %cE) : (i32, i32) -> (i32, i32) {
    %more = arith.cmpi slt, %lo, %hi : i32
    scf.condition(%more) %lo, %hi : i32, i32
  } do {
  ^bb0(%lo: i32, %hi: i32):
    %sum = arith.addi %lo, %hi : i32
    %mid = arith.divsi %sum, %c2 : i32
    %mid1 = arith.addi %mid, %c1 : i32
    %ep = tile.addptr %offsets, %mid1 : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
    %end = tile.load %ep : !tile.ptr<i32> -> i32
    %before = arith.cmpi sle, %end, %row0 : i32
    %lo2 = arith.select %before, %mid1, %lo : i32
    %hi2 = arith.select %before, %hi, %mid : i32
    scf.yield %lo2, %hi2 : i32, i32
  }
