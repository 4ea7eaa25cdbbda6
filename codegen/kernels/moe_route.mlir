// moe_route: DeepSeek-V2's MoE gate after the gate projection, one program
// per token (grid (T)).
//
//   logits  [T, E] f32   the gate projection x @ W_gate^T
//   weights [T, K] f32   routing weights, descending score order
//   indices [T, K] i32   chosen experts, same order (lower index on ties),
//                        relative to FIRST (-1: held by another rank)
//
// 1. softmax over the E logits in f32 (one EB-lane tile, masked lanes
//    hold -inf and get probability 0);
// 2. group-limited greedy (GREEDY = 0): group score = MAX probability in
//    each of the NG contiguous groups of E/NG experts; the TG best groups
//    are picked by repeated argmax (the first maximum lane belongs to the
//    lowest group, so ties go to the lower group); the other experts'
//    scores become 0, as in the reference (they stay eligible, at 0);
//    greedy (GREEDY = 1) keeps every expert;
// 3. top-K by K rounds of argmax, the chosen lane knocked out to -inf
//    (tile.reduce argmax returns the first maximum: ties to the lower
//    index); each lane remembers its rank;
// 4. NORM = 1 and K > 1: w = score / (sum of the K scores + 1e-20), else
//    w = score * SCALE (SCALE is a float literal, e.g. 1.600000e+01);
// 5. one masked scatter writes weights[t, rank] and indices[t, rank].
//
// Expert parallelism: this rank holds experts [FIRST, FIRST + LOCAL) of the
// E the router scores (FIRST = 0, LOCAL = E without it). Indices are written
// relative to FIRST; a pair routed to an expert held elsewhere gets index
// -1 and weight 0, so moe_plan / moe_combine skip it and the expert GEMVs
// add nothing for it.
func.func @{{KERNEL}}(%logits: !tile.ptr<f32>, %weights: !tile.ptr<f32>,
                      %indices: !tile.ptr<i32>) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, 1, 1),
                               grid_symbols = ["tokens"], block = [{{EB}}]>} {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %cE = arith.constant {{E}} : i32
  %cK = arith.constant {{K}} : i32
  %cNG = arith.constant {{NG}} : i32
  %cTG = arith.constant {{TG}} : i32
  %cGreedy = arith.constant {{GREEDY}} : i32
  %cNorm = arith.constant {{NORM}} : i32
  %scale = arith.constant {{SCALE}} : f32
  %tiny = arith.constant 1.000000e-20 : f32
  %zeroF = arith.constant 0.000000e+00 : f32
  %negInf = arith.constant dense<0xFF800000> : tensor<{{EB}}xf32>
  %zeros = arith.constant dense<0.000000e+00> : tensor<{{EB}}xf32>
  %noRank = arith.constant dense<-1> : tensor<{{EB}}xi32>
  %zeroI = arith.constant dense<0> : tensor<{{EB}}xi32>
  %noGroup = arith.constant dense<false> : tensor<{{EB}}xi1>

  %t = tile.program_id x : i32
  %lanes = tile.range <0, {{EB}}> : tensor<{{EB}}xi32>
  %eSplat = tile.splat %cE : i32 -> tensor<{{EB}}xi32>
  %inE = arith.cmpi slt, %lanes, %eSplat : tensor<{{EB}}xi32>

  // 1. Softmax over the E logits of token t, in f32.
  %rowStart = arith.muli %t, %cE : i32
  %row = tile.addptr %logits, %rowStart : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
  %ptrs = tile.addptr %row, %lanes : !tile.ptr<f32>, tensor<{{EB}}xi32> -> tensor<{{EB}}x!tile.ptr<f32>>
  %x = tile.load %ptrs mask %inE other %negInf : tensor<{{EB}}x!tile.ptr<f32>> -> tensor<{{EB}}xf32>
  %max = tile.reduce max %x axis 0 : tensor<{{EB}}xf32> -> f32
  %maxSplat = tile.splat %max : f32 -> tensor<{{EB}}xf32>
  %shifted = arith.subf %x, %maxSplat : tensor<{{EB}}xf32>
  %expAll = math.exp %shifted : tensor<{{EB}}xf32>
  %exp = arith.select %inE, %expAll, %zeros : tensor<{{EB}}xi1>, tensor<{{EB}}xf32>
  %sum = tile.reduce sum %exp axis 0 : tensor<{{EB}}xf32> -> f32
  %sumSplat = tile.splat %sum : f32 -> tensor<{{EB}}xf32>
  %prob = arith.divf %exp, %sumSplat : tensor<{{EB}}xf32>

  // 2. Group-limited greedy: keep the TG groups with the largest maximum,
  // zero the scores of the others. Padding lanes never join a group.
  %isGreedy = arith.cmpi ne, %cGreedy, %c0 : i32
  %masked = scf.if %isGreedy -> (tensor<{{EB}}xf32>) {
    scf.yield %prob : tensor<{{EB}}xf32>
  } else {
    %groupSize = arith.divsi %cE, %cNG : i32
    %gsSplat = tile.splat %groupSize : i32 -> tensor<{{EB}}xi32>
    %group = arith.divsi %lanes, %gsSplat : tensor<{{EB}}xi32>
    // Every lane of group g holds the group's score; padding lanes -inf.
    %groupMax = scf.for %g = %c0 to %cNG step %c1
        iter_args(%acc = %negInf) -> (tensor<{{EB}}xf32>) : i32 {
      %gSplat = tile.splat %g : i32 -> tensor<{{EB}}xi32>
      %isG = arith.cmpi eq, %group, %gSplat : tensor<{{EB}}xi32>
      %inG = arith.andi %isG, %inE : tensor<{{EB}}xi1>
      %vals = arith.select %inG, %prob, %negInf : tensor<{{EB}}xi1>, tensor<{{EB}}xf32>
      %gmax = tile.reduce max %vals axis 0 : tensor<{{EB}}xf32> -> f32
      %gmaxSplat = tile.splat %gmax : f32 -> tensor<{{EB}}xf32>
      %next = arith.select %inG, %gmaxSplat, %acc : tensor<{{EB}}xi1>, tensor<{{EB}}xf32>
      scf.yield %next : tensor<{{EB}}xf32>
    }
    %picked:2 = scf.for %i = %c0 to %cTG step %c1
        iter_args(%work = %groupMax, %kept = %noGroup)
        -> (tensor<{{EB}}xf32>, tensor<{{EB}}xi1>) : i32 {
      %bestLane = tile.reduce argmax %work axis 0 : tensor<{{EB}}xf32> -> i32
      %bestGroup = arith.divsi %bestLane, %groupSize : i32
      %bgSplat = tile.splat %bestGroup : i32 -> tensor<{{EB}}xi32>
      %isBest = arith.cmpi eq, %group, %bgSplat : tensor<{{EB}}xi32>
      %inBest = arith.andi %isBest, %inE : tensor<{{EB}}xi1>
      %kept2 = arith.ori %kept, %inBest : tensor<{{EB}}xi1>
      %work2 = arith.select %inBest, %negInf, %work : tensor<{{EB}}xi1>, tensor<{{EB}}xf32>
      scf.yield %work2, %kept2 : tensor<{{EB}}xf32>, tensor<{{EB}}xi1>
    }
    %zeroed = arith.select %picked#1, %prob, %zeros : tensor<{{EB}}xi1>, tensor<{{EB}}xf32>
    scf.yield %zeroed : tensor<{{EB}}xf32>
  }
  // Padding lanes can never be chosen.
  %scores = arith.select %inE, %masked, %negInf : tensor<{{EB}}xi1>, tensor<{{EB}}xf32>

  // 3. Top-K: the first maximum each round, then knocked out to -inf.
  %top:3 = scf.for %k = %c0 to %cK step %c1
      iter_args(%work = %scores, %rank = %noRank, %total = %zeroF)
      -> (tensor<{{EB}}xf32>, tensor<{{EB}}xi32>, f32) : i32 {
    %best = tile.reduce argmax %work axis 0 : tensor<{{EB}}xf32> -> i32
    %bestScore = tile.reduce max %work axis 0 : tensor<{{EB}}xf32> -> f32
    %bestSplat = tile.splat %best : i32 -> tensor<{{EB}}xi32>
    %isBest = arith.cmpi eq, %lanes, %bestSplat : tensor<{{EB}}xi32>
    %kSplat = tile.splat %k : i32 -> tensor<{{EB}}xi32>
    %rank2 = arith.select %isBest, %kSplat, %rank : tensor<{{EB}}xi1>, tensor<{{EB}}xi32>
    %work2 = arith.select %isBest, %negInf, %work : tensor<{{EB}}xi1>, tensor<{{EB}}xf32>
    %total2 = arith.addf %total, %bestScore : f32
    scf.yield %work2, %rank2, %total2 : tensor<{{EB}}xf32>, tensor<{{EB}}xi32>, f32
  }

  // 4. Renormalize or scale (never both).
  %normFlag = arith.cmpi ne, %cNorm, %c0 : i32
  %manyK = arith.cmpi sgt, %cK, %c1 : i32
  %renormalize = arith.andi %normFlag, %manyK : i1
  %weight = scf.if %renormalize -> (tensor<{{EB}}xf32>) {
    %denom = arith.addf %top#2, %tiny : f32
    %denomSplat = tile.splat %denom : f32 -> tensor<{{EB}}xf32>
    %w = arith.divf %scores, %denomSplat : tensor<{{EB}}xf32>
    scf.yield %w : tensor<{{EB}}xf32>
  } else {
    %scaleSplat = tile.splat %scale : f32 -> tensor<{{EB}}xf32>
    %w = arith.mulf %scores, %scaleSplat : tensor<{{EB}}xf32>
    scf.yield %w : tensor<{{EB}}xf32>
  }

  // Experts of this rank: local index, others -1 with weight 0.
  %first = arith.constant {{FIRST}} : i32
  %local = arith.constant {{LOCAL}} : i32
  %firstSplat = tile.splat %first : i32 -> tensor<{{EB}}xi32>
  %localSplat = tile.splat %local : i32 -> tensor<{{EB}}xi32>
  %localIndex = arith.subi %lanes, %firstSplat : tensor<{{EB}}xi32>
  %atOrAbove = arith.cmpi sge, %localIndex, %zeroI : tensor<{{EB}}xi32>
  %below = arith.cmpi slt, %localIndex, %localSplat : tensor<{{EB}}xi32>
  %here = arith.andi %atOrAbove, %below : tensor<{{EB}}xi1>
  %storedIndex = arith.select %here, %localIndex, %noRank : tensor<{{EB}}xi1>, tensor<{{EB}}xi32>
  %storedWeight = arith.select %here, %weight, %zeros : tensor<{{EB}}xi1>, tensor<{{EB}}xf32>

  // 5. weights[t, rank] and indices[t, rank] for the K chosen lanes.
  %chosen = arith.cmpi sge, %top#1, %zeroI : tensor<{{EB}}xi32>
  %slot = arith.select %chosen, %top#1, %zeroI : tensor<{{EB}}xi1>, tensor<{{EB}}xi32>
  %outStart = arith.muli %t, %cK : i32
  %wRow = tile.addptr %weights, %outStart : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
  %iRow = tile.addptr %indices, %outStart : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
  %wPtrs = tile.addptr %wRow, %slot : !tile.ptr<f32>, tensor<{{EB}}xi32> -> tensor<{{EB}}x!tile.ptr<f32>>
  %iPtrs = tile.addptr %iRow, %slot : !tile.ptr<i32>, tensor<{{EB}}xi32> -> tensor<{{EB}}x!tile.ptr<i32>>
  tile.store %wPtrs, %storedWeight mask %chosen : tensor<{{EB}}x!tile.ptr<f32>>, tensor<{{EB}}xf32>
  tile.store %iPtrs, %storedIndex mask %chosen : tensor<{{EB}}x!tile.ptr<i32>>, tensor<{{EB}}xi32>
  return
}
