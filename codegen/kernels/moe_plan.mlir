// moe_plan: the dispatch plan of reference/MoeDispatch (planMoeDispatch),
// one program (grid (1)), scalar loops.
//
//   indices    [T, K] i32   experts chosen by moe_route
//   weights    [T, K] f32   their routing weights
//   tokens     i32          T
//   offsets    [E+1] i32    expert e owns rows [offsets[e], offsets[e+1]),
//                           its count rounded up to a multiple of BLOCK
//   row_token  [ROWS_MAX]   token of each row, -1 for padding
//   row_weight [ROWS_MAX]   routing weight of each row, 0 for padding
//   token_row  [T, K] i32   the row of (t, k)
//
// Pairs with expert -1 (held by another rank, see moe_route) get no row:
// token_row -1, and they are not counted.
//
// ROWS_MAX = T*K + E*(BLOCK-1) >= offsets[E]; every row past offsets[E] is
// padding too. Steps (offsets doubles as the scratch for counts and
// cursors):
//   1. offsets[0..E] = 0;
//   2. counts: offsets[e+1] += 1 for every (t, k) routed to e;
//   3. offsets[e] = padded exclusive prefix sum, offsets[E] = total;
//   4. every row of [0, ROWS_MAX) becomes padding (BLOCK lanes at a time);
//   5. token-major scan (t, then k): row = offsets[e]++ (a counting sort,
//      so each expert's rows come out in token order, like the reference);
//   6. offsets[e] (now the end of e's real rows) goes back to e's start.
func.func @{{KERNEL}}(%indices: !tile.ptr<i32>, %weights: !tile.ptr<f32>,
                      %tokens: i32, %offsets: !tile.ptr<i32>,
                      %row_token: !tile.ptr<i32>, %row_weight: !tile.ptr<f32>,
                      %token_row: !tile.ptr<i32>) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = [],
                               block = [{{BLOCK}}]>} {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %cE = arith.constant {{E}} : i32
  %cK = arith.constant {{K}} : i32
  %cBlock = arith.constant {{BLOCK}} : i32
  %cBlockM1 = arith.subi %cBlock, %c1 : i32
  %cE1 = arith.addi %cE, %c1 : i32
  %pairs = arith.muli %tokens, %cK : i32

  // 1. Zero the counts.
  scf.for %e = %c0 to %cE1 step %c1 : i32 {
    %p = tile.addptr %offsets, %e : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
    tile.store %p, %c0 : !tile.ptr<i32>, i32
  }

  // 2. Rows per expert, in offsets[e+1].
  scf.for %i = %c0 to %pairs step %c1 : i32 {
    %ip = tile.addptr %indices, %i : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
    %e = tile.load %ip : !tile.ptr<i32> -> i32
    %isHere = arith.cmpi sge, %e, %c0 : i32
    scf.if %isHere {
      %e1 = arith.addi %e, %c1 : i32
      %cp = tile.addptr %offsets, %e1 : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
      %count = tile.load %cp : !tile.ptr<i32> -> i32
      %count1 = arith.addi %count, %c1 : i32
      tile.store %cp, %count1 : !tile.ptr<i32>, i32
    }
  }

  // 3. Padded exclusive prefix sum: offsets[e] is read after offsets[e+1]
  // (the count of e) and before it is overwritten.
  %total = scf.for %e = %c0 to %cE step %c1
      iter_args(%start = %c0) -> (i32) : i32 {
    %e1 = arith.addi %e, %c1 : i32
    %cp = tile.addptr %offsets, %e1 : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
    %count = tile.load %cp : !tile.ptr<i32> -> i32
    %sp = tile.addptr %offsets, %e : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
    tile.store %sp, %start : !tile.ptr<i32>, i32
    %up = arith.addi %count, %cBlockM1 : i32
    %blocks = arith.divsi %up, %cBlock : i32
    %padded = arith.muli %blocks, %cBlock : i32
    %next = arith.addi %start, %padded : i32
    scf.yield %next : i32
  }
  %endp = tile.addptr %offsets, %cE : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
  tile.store %endp, %total : !tile.ptr<i32>, i32

  // 4. Every row is padding until step 5 fills it: up to T*K + E*(BLOCK-1).
  %slack = arith.muli %cE, %cBlockM1 : i32
  %rowsMax = arith.addi %pairs, %slack : i32
  %lanes = tile.range <0, {{BLOCK}}> : tensor<{{BLOCK}}xi32>
  %limit = tile.splat %rowsMax : i32 -> tensor<{{BLOCK}}xi32>
  %noToken = arith.constant dense<-1> : tensor<{{BLOCK}}xi32>
  %noWeight = arith.constant dense<0.000000e+00> : tensor<{{BLOCK}}xf32>
  scf.for %r0 = %c0 to %rowsMax step %cBlock : i32 {
    %first = tile.splat %r0 : i32 -> tensor<{{BLOCK}}xi32>
    %rows = arith.addi %first, %lanes : tensor<{{BLOCK}}xi32>
    %inRange = arith.cmpi slt, %rows, %limit : tensor<{{BLOCK}}xi32>
    %tp = tile.addptr %row_token, %rows : !tile.ptr<i32>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<i32>>
    %wp = tile.addptr %row_weight, %rows : !tile.ptr<f32>, tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x!tile.ptr<f32>>
    tile.store %tp, %noToken mask %inRange : tensor<{{BLOCK}}x!tile.ptr<i32>>, tensor<{{BLOCK}}xi32>
    tile.store %wp, %noWeight mask %inRange : tensor<{{BLOCK}}x!tile.ptr<f32>>, tensor<{{BLOCK}}xf32>
  }

  // 5. Token-major scan: offsets[e] is expert e's cursor.
  scf.for %t = %c0 to %tokens step %c1 : i32 {
    %base = arith.muli %t, %cK : i32
    scf.for %k = %c0 to %cK step %c1 : i32 {
      %i = arith.addi %base, %k : i32
      %ip = tile.addptr %indices, %i : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
      %e = tile.load %ip : !tile.ptr<i32> -> i32
      %trp = tile.addptr %token_row, %i : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
      %isHere = arith.cmpi sge, %e, %c0 : i32
      scf.if %isHere {
        %cp = tile.addptr %offsets, %e : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
        %row = tile.load %cp : !tile.ptr<i32> -> i32
        %row1 = arith.addi %row, %c1 : i32
        tile.store %cp, %row1 : !tile.ptr<i32>, i32
        %wip = tile.addptr %weights, %i : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
        %w = tile.load %wip : !tile.ptr<f32> -> f32
        %rtp = tile.addptr %row_token, %row : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
        tile.store %rtp, %t : !tile.ptr<i32>, i32
        %rwp = tile.addptr %row_weight, %row : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
        tile.store %rwp, %w : !tile.ptr<f32>, f32
        tile.store %trp, %row : !tile.ptr<i32>, i32
      } else {
        %noRow = arith.constant -1 : i32
        tile.store %trp, %noRow : !tile.ptr<i32>, i32
      }
    }
  }

  // 6. Cursors back to starts: e's start is known (the running padded sum),
  // its count is cursor - start.
  %unused = scf.for %e = %c0 to %cE step %c1
      iter_args(%start = %c0) -> (i32) : i32 {
    %sp = tile.addptr %offsets, %e : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
    %end = tile.load %sp : !tile.ptr<i32> -> i32
    tile.store %sp, %start : !tile.ptr<i32>, i32
    %count = arith.subi %end, %start : i32
    %up = arith.addi %count, %cBlockM1 : i32
    %blocks = arith.divsi %up, %cBlock : i32
    %padded = arith.muli %blocks, %cBlock : i32
    %next = arith.addi %start, %padded : i32
    scf.yield %next : i32
  }
  return
}
