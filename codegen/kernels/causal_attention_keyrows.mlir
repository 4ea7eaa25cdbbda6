// causal_attention_keyrows: a CPU form of causal_attention (same arguments,
// grid and results; docs/kernels.md): decompressed MLA attention for a
// prefill, flash style, one program per (block of BM query tokens, head h),
// grid (ceil(tokens/BM), HEADS).
//
// The scores are formed transposed, keys as the rows of the dots, as
// latent_attention_grouped forms them for a group of heads: per block of
// BL keys,
//   s^T = k_nope @ q_nope^T + k_pe @ q_pe^T      [BL, BM]   (tile.dot)
// with q_nope^T [P, BM] and q_pe^T [R, BM] loaded transposed once before
// the key loop. On a CPU each K step of a dot broadcasts one key element
// against a vector of the BM queries (BM = one register of lanes), so the
// scores need no horizontal sums, and the softmax runs down the BL rows:
// maxima and sums across registers. Then p = trans(p^T) ([BM, BL], one
// small transpose per block) and acc += p V with tile.dot. Query rows past
// `tokens` and keys past the causal end read the last valid row (their
// scores are masked, their outputs not stored). The accumulator is
// rescaled by exp(m_old - m_new) only in blocks where some query's max grew
// (otherwise that factor is exp(0) = 1: same result; after the first
// blocks it is rare), and the key loop stops at past + (last token of the
// block) + 1. Why this shape (2 cores, Lite widths, 2032 tokens): BM = two
// registers of queries makes the score dot 16 independent FMA chains of a
// [16, BM] block (TileHeuristics.h: 1.5x the row-dot form it replaced on
// AVX-512, 1.4x on AVX2); the CPU's tile.dot reads the key and value blocks
// where they lie and copies q^T once (codegen/cpu/ContractThroughMemory.cpp).
// Block bases are i64, lane offsets within a block i32.
// params: CT, HEADS, P, R, V, C, VB (V rounded up to a power of two), BM,
// BL, SCALE.
module {
  func.func @{{KERNEL}}(%q: !tile.ptr<f32>, %kNope: !tile.ptr<f32>,
                        %kPe: !tile.ptr<{{CT}}>, %v: !tile.ptr<f32>,
                        %out: !tile.ptr<f32>, %past: i32,
                        %tokens: i32) attributes {
      tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv {{BM}}, {{HEADS}}, 1),
                                 grid_symbols = ["tokens"],
                                 block = [{{BM}}, {{BL}}, {{VB}}]>} {
    %c0i = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %cP = arith.constant {{P}} : i32
    %cR = arith.constant {{R}} : i32
    %cV = arith.constant {{V}} : i32
    %cC = arith.constant {{C}} : i32
    %cHeads = arith.constant {{HEADS}} : i32
    %cBM = arith.constant {{BM}} : i32
    %cBL = arith.constant {{BL}} : i32
    %scale = arith.constant {{SCALE}} : f32
    %zeroF = arith.constant 0.0 : f32

    %qb = tile.program_id x : i32
    %h = tile.program_id y : i32
    %t0 = arith.muli %qb, %cBM : i32
    %t0End = arith.addi %t0, %cBM : i32
    %tEnd = arith.minsi %t0End, %tokens : i32
    // Keys 0 .. kEnd-1 are visible to some query of this block.
    %kEnd = arith.addi %past, %tEnd : i32
    %kLastAll = arith.subi %kEnd, %c1 : i32

    // Row strides (elements) of q, k_nope, the cache, v and out.
    %qW = arith.addi %cP, %cR : i32
    %qTokW = arith.muli %cHeads, %qW : i32
    %kTokW = arith.muli %cHeads, %cP : i32
    %cacheW = arith.addi %cC, %cR : i32
    %vTokW = arith.muli %cHeads, %cV : i32
    %qW64 = arith.extsi %qW : i32 to i64
    %cP64 = arith.extsi %cP : i32 to i64
    %cV64 = arith.extsi %cV : i32 to i64
    %cacheW64 = arith.extsi %cacheW : i32 to i64
    %heads64 = arith.extsi %cHeads : i32 to i64
    %h64 = arith.extsi %h : i32 to i64

    // Query lanes of the block: token t0 + i, valid while < tokens; rows
    // past the last valid one read it.
    %mLanes = tile.range <0, {{BM}}> : tensor<{{BM}}xi32>
    %t0v = tile.splat %t0 : i32 -> tensor<{{BM}}xi32>
    %tq = arith.addi %t0v, %mLanes : tensor<{{BM}}xi32>
    %tokV = tile.splat %tokens : i32 -> tensor<{{BM}}xi32>
    %qOk = arith.cmpi slt, %tq, %tokV : tensor<{{BM}}xi32>
    %pastV = tile.splat %past : i32 -> tensor<{{BM}}xi32>
    %qPos = arith.addi %pastV, %tq : tensor<{{BM}}xi32>
    %qPosRow = tile.expand_dims %qPos axis 0 : tensor<{{BM}}xi32> -> tensor<1x{{BM}}xi32>
    %qPosB = tile.broadcast %qPosRow : tensor<1x{{BM}}xi32> -> tensor<{{BL}}x{{BM}}xi32>
    %qRowsLeft = arith.subi %tEnd, %t0 : i32
    %qLastRow = arith.subi %qRowsLeft, %c1 : i32
    %qLastV = tile.splat %qLastRow : i32 -> tensor<{{BM}}xi32>
    %qRowIn = arith.minsi %mLanes, %qLastV : tensor<{{BM}}xi32>
    %qTokWv = tile.splat %qTokW : i32 -> tensor<{{BM}}xi32>
    %qRowOff = arith.muli %qRowIn, %qTokWv : tensor<{{BM}}xi32>
    %qRowOff2 = tile.expand_dims %qRowOff axis 0 : tensor<{{BM}}xi32> -> tensor<1x{{BM}}xi32>

    // q_nope^T [P, BM] and q_pe^T [R, BM] of the block's rows of head h.
    %t064 = arith.extsi %t0 : i32 to i64
    %qTok = arith.muli %t064, %heads64 : i64
    %qTh = arith.addi %qTok, %h64 : i64
    %qOff = arith.muli %qTh, %qW64 : i64
    %qBase = tile.addptr %q, %qOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %qPeBase = tile.addptr %qBase, %cP : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %pLanes = tile.range <0, {{P}}> : tensor<{{P}}xi32>
    %pCol = tile.expand_dims %pLanes axis 1 : tensor<{{P}}xi32> -> tensor<{{P}}x1xi32>
    %pColB = tile.broadcast %pCol : tensor<{{P}}x1xi32> -> tensor<{{P}}x{{BM}}xi32>
    %qRowOffP = tile.broadcast %qRowOff2 : tensor<1x{{BM}}xi32> -> tensor<{{P}}x{{BM}}xi32>
    %qnOffs = arith.addi %pColB, %qRowOffP : tensor<{{P}}x{{BM}}xi32>
    %qnPtrs = tile.addptr %qBase, %qnOffs : !tile.ptr<f32>, tensor<{{P}}x{{BM}}xi32> -> tensor<{{P}}x{{BM}}x!tile.ptr<f32>>
    %qnT = tile.load %qnPtrs : tensor<{{P}}x{{BM}}x!tile.ptr<f32>> -> tensor<{{P}}x{{BM}}xf32>
    %rLanes = tile.range <0, {{R}}> : tensor<{{R}}xi32>
    %rCol = tile.expand_dims %rLanes axis 1 : tensor<{{R}}xi32> -> tensor<{{R}}x1xi32>
    %rColB = tile.broadcast %rCol : tensor<{{R}}x1xi32> -> tensor<{{R}}x{{BM}}xi32>
    %qRowOffR = tile.broadcast %qRowOff2 : tensor<1x{{BM}}xi32> -> tensor<{{R}}x{{BM}}xi32>
    %qrOffs = arith.addi %rColB, %qRowOffR : tensor<{{R}}x{{BM}}xi32>
    %qrPtrs = tile.addptr %qPeBase, %qrOffs : !tile.ptr<f32>, tensor<{{R}}x{{BM}}xi32> -> tensor<{{R}}x{{BM}}x!tile.ptr<f32>>
    %qrT = tile.load %qrPtrs : tensor<{{R}}x{{BM}}x!tile.ptr<f32>> -> tensor<{{R}}x{{BM}}xf32>

    // Key-block offsets: key row (clamped) * row stride + column.
    %lLanes = tile.range <0, {{BL}}> : tensor<{{BL}}xi32>
    %pRow = tile.expand_dims %pLanes axis 0 : tensor<{{P}}xi32> -> tensor<1x{{P}}xi32>
    %pRowB = tile.broadcast %pRow : tensor<1x{{P}}xi32> -> tensor<{{BL}}x{{P}}xi32>
    %rRow = tile.expand_dims %rLanes axis 0 : tensor<{{R}}xi32> -> tensor<1x{{R}}xi32>
    %rRowB = tile.broadcast %rRow : tensor<1x{{R}}xi32> -> tensor<{{BL}}x{{R}}xi32>
    %vLanes = tile.range <0, {{VB}}> : tensor<{{VB}}xi32>
    %vLimit = tile.splat %cV : i32 -> tensor<{{VB}}xi32>
    %vOk = arith.cmpi slt, %vLanes, %vLimit : tensor<{{VB}}xi32>
    %vCol = tile.expand_dims %vLanes axis 0 : tensor<{{VB}}xi32> -> tensor<1x{{VB}}xi32>
    %vColB = tile.broadcast %vCol : tensor<1x{{VB}}xi32> -> tensor<{{BL}}x{{VB}}xi32>
    %vOk2 = tile.expand_dims %vOk axis 0 : tensor<{{VB}}xi1> -> tensor<1x{{VB}}xi1>
    %vOkB = tile.broadcast %vOk2 : tensor<1x{{VB}}xi1> -> tensor<{{BL}}x{{VB}}xi1>
    %kTokWCol = tile.splat %kTokW : i32 -> tensor<{{BL}}x1xi32>
    %cacheWCol = tile.splat %cacheW : i32 -> tensor<{{BL}}x1xi32>
    %vTokWCol = tile.splat %vTokW : i32 -> tensor<{{BL}}x1xi32>

    %kEndV = tile.splat %kEnd : i32 -> tensor<{{BL}}xi32>
    %scaleV = tile.splat %scale : f32 -> tensor<{{BL}}x{{BM}}xf32>
    %negInfS = arith.constant dense<0xFF800000> : tensor<{{BL}}x{{BM}}xf32>
    %zeroS = arith.constant dense<0.0> : tensor<{{BL}}x{{BM}}xf32>
    %negInfM = arith.constant dense<0xFF800000> : tensor<{{BM}}xf32>
    %zeroM = arith.constant dense<0.0> : tensor<{{BM}}xf32>
    %oneM = arith.constant dense<1.0> : tensor<{{BM}}xf32>
    %sT0 = arith.constant dense<0.0> : tensor<{{BL}}x{{BM}}xf32>
    %acc0 = arith.constant dense<0.0> : tensor<{{BM}}x{{VB}}xf32>

    %res:3 = scf.for %j0 = %c0i to %kEnd step %cBL
        iter_args(%m = %negInfM, %l = %zeroM, %acc = %acc0)
        -> (tensor<{{BM}}xf32>, tensor<{{BM}}xf32>, tensor<{{BM}}x{{VB}}xf32>) : i32 {
      %j0v = tile.splat %j0 : i32 -> tensor<{{BL}}xi32>
      %keys = arith.addi %j0v, %lLanes : tensor<{{BL}}xi32>
      %kOk = arith.cmpi slt, %keys, %kEndV : tensor<{{BL}}xi32>
      %kLast = arith.subi %kLastAll, %j0 : i32
      %kLastV = tile.splat %kLast : i32 -> tensor<{{BL}}xi32>
      %keyIn = arith.minsi %lLanes, %kLastV : tensor<{{BL}}xi32>
      %keyCol = tile.expand_dims %keyIn axis 1 : tensor<{{BL}}xi32> -> tensor<{{BL}}x1xi32>
      %j064 = arith.extsi %j0 : i32 to i64
      %jHeads = arith.muli %j064, %heads64 : i64
      %jh = arith.addi %jHeads, %h64 : i64

      // k_nope [BL, P] and k_pe [BL, R] of the block's keys (rows).
      %knRow = arith.muli %keyCol, %kTokWCol : tensor<{{BL}}x1xi32>
      %knRowB = tile.broadcast %knRow : tensor<{{BL}}x1xi32> -> tensor<{{BL}}x{{P}}xi32>
      %knOffs = arith.addi %knRowB, %pRowB : tensor<{{BL}}x{{P}}xi32>
      %knOff = arith.muli %jh, %cP64 : i64
      %knBase = tile.addptr %kNope, %knOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
      %knPtrs = tile.addptr %knBase, %knOffs : !tile.ptr<f32>, tensor<{{BL}}x{{P}}xi32> -> tensor<{{BL}}x{{P}}x!tile.ptr<f32>>
      %knBlk = tile.load %knPtrs : tensor<{{BL}}x{{P}}x!tile.ptr<f32>> -> tensor<{{BL}}x{{P}}xf32>
      %krRow = arith.muli %keyCol, %cacheWCol : tensor<{{BL}}x1xi32>
      %krRowB = tile.broadcast %krRow : tensor<{{BL}}x1xi32> -> tensor<{{BL}}x{{R}}xi32>
      %krOffs = arith.addi %krRowB, %rRowB : tensor<{{BL}}x{{R}}xi32>
      %krOff = arith.muli %j064, %cacheW64 : i64
      %krBase = tile.addptr %kPe, %krOff : !tile.ptr<{{CT}}>, i64 -> !tile.ptr<{{CT}}>
      %krPtrs = tile.addptr %krBase, %krOffs : !tile.ptr<{{CT}}>, tensor<{{BL}}x{{R}}xi32> -> tensor<{{BL}}x{{R}}x!tile.ptr<{{CT}}>>
      %krRaw = tile.load %krPtrs : tensor<{{BL}}x{{R}}x!tile.ptr<{{CT}}>> -> tensor<{{BL}}x{{R}}x{{CT}}>
      %krWide = arith.extf %krRaw : tensor<{{BL}}x{{R}}x{{CT}}> to tensor<{{BL}}x{{R}}xf64>
      %krBlk = arith.truncf %krWide : tensor<{{BL}}x{{R}}xf64> to tensor<{{BL}}x{{R}}xf32>

      // s^T = (k_nope q_nope^T + k_pe q_pe^T) * SCALE; invisible -inf:
      // key j is visible to query i when j < kEnd and j <= past + t0 + i.
      %sTn = tile.dot %knBlk, %qnT, %sT0 : tensor<{{BL}}x{{P}}xf32>, tensor<{{P}}x{{BM}}xf32>, tensor<{{BL}}x{{BM}}xf32> -> tensor<{{BL}}x{{BM}}xf32>
      %sT = tile.dot %krBlk, %qrT, %sTn : tensor<{{BL}}x{{R}}xf32>, tensor<{{R}}x{{BM}}xf32>, tensor<{{BL}}x{{BM}}xf32> -> tensor<{{BL}}x{{BM}}xf32>
      %sScaled = arith.mulf %sT, %scaleV : tensor<{{BL}}x{{BM}}xf32>
      %keysCol = tile.expand_dims %keys axis 1 : tensor<{{BL}}xi32> -> tensor<{{BL}}x1xi32>
      %keysB = tile.broadcast %keysCol : tensor<{{BL}}x1xi32> -> tensor<{{BL}}x{{BM}}xi32>
      %causal = arith.cmpi sge, %qPosB, %keysB : tensor<{{BL}}x{{BM}}xi32>
      %kOkCol = tile.expand_dims %kOk axis 1 : tensor<{{BL}}xi1> -> tensor<{{BL}}x1xi1>
      %kOkS = tile.broadcast %kOkCol : tensor<{{BL}}x1xi1> -> tensor<{{BL}}x{{BM}}xi1>
      %visible = arith.andi %causal, %kOkS : tensor<{{BL}}x{{BM}}xi1>
      %s = arith.select %visible, %sScaled, %negInfS : tensor<{{BL}}x{{BM}}xi1>, tensor<{{BL}}x{{BM}}xf32>

      // Online softmax per query, down the BL key rows; the accumulator is
      // rescaled only when some query's max grew.
      %bMax = tile.reduce max %s axis 0 : tensor<{{BL}}x{{BM}}xf32> -> tensor<{{BM}}xf32>
      %grew = arith.cmpf ogt, %bMax, %m : tensor<{{BM}}xf32>
      %grewF = arith.select %grew, %oneM, %zeroM : tensor<{{BM}}xi1>, tensor<{{BM}}xf32>
      %anyGrew = tile.reduce max %grewF axis 0 : tensor<{{BM}}xf32> -> f32
      %rescale = arith.cmpf ogt, %anyGrew, %zeroF : f32
      %upd:3 = scf.if %rescale -> (tensor<{{BM}}xf32>, tensor<{{BM}}xf32>, tensor<{{BM}}x{{VB}}xf32>) {
        %mNew = arith.maximumf %m, %bMax : tensor<{{BM}}xf32>
        %noMax = arith.cmpf oeq, %mNew, %negInfM : tensor<{{BM}}xf32>
        %mSafe = arith.select %noMax, %zeroM, %mNew : tensor<{{BM}}xi1>, tensor<{{BM}}xf32>
        %mDiff = arith.subf %m, %mSafe : tensor<{{BM}}xf32>
        %alphaE = math.exp %mDiff : tensor<{{BM}}xf32>
        %noOld = arith.cmpf oeq, %m, %negInfM : tensor<{{BM}}xf32>
        %alpha = arith.select %noOld, %zeroM, %alphaE : tensor<{{BM}}xi1>, tensor<{{BM}}xf32>
        %lScaled = arith.mulf %l, %alpha : tensor<{{BM}}xf32>
        %alpha2 = tile.expand_dims %alpha axis 1 : tensor<{{BM}}xf32> -> tensor<{{BM}}x1xf32>
        %alphaB = tile.broadcast %alpha2 : tensor<{{BM}}x1xf32> -> tensor<{{BM}}x{{VB}}xf32>
        %accScaled = arith.mulf %acc, %alphaB : tensor<{{BM}}x{{VB}}xf32>
        scf.yield %mNew, %lScaled, %accScaled : tensor<{{BM}}xf32>, tensor<{{BM}}xf32>, tensor<{{BM}}x{{VB}}xf32>
      } else {
        scf.yield %m, %l, %acc : tensor<{{BM}}xf32>, tensor<{{BM}}xf32>, tensor<{{BM}}x{{VB}}xf32>
      }
      %noMaxC = arith.cmpf oeq, %upd#0, %negInfM : tensor<{{BM}}xf32>
      %mSafeC = arith.select %noMaxC, %zeroM, %upd#0 : tensor<{{BM}}xi1>, tensor<{{BM}}xf32>
      %mSafeRow = tile.expand_dims %mSafeC axis 0 : tensor<{{BM}}xf32> -> tensor<1x{{BM}}xf32>
      %mSafeB = tile.broadcast %mSafeRow : tensor<1x{{BM}}xf32> -> tensor<{{BL}}x{{BM}}xf32>
      %sShift = arith.subf %s, %mSafeB : tensor<{{BL}}x{{BM}}xf32>
      %pE = math.exp %sShift : tensor<{{BL}}x{{BM}}xf32>
      %pT = arith.select %visible, %pE, %zeroS : tensor<{{BL}}x{{BM}}xi1>, tensor<{{BL}}x{{BM}}xf32>
      %pSum = tile.reduce sum %pT axis 0 : tensor<{{BL}}x{{BM}}xf32> -> tensor<{{BM}}xf32>
      %lNew = arith.addf %upd#1, %pSum : tensor<{{BM}}xf32>

      // acc += p V; keys past kEnd read row kEnd - 1 (their p is 0).
      %p = tile.trans %pT : tensor<{{BL}}x{{BM}}xf32> -> tensor<{{BM}}x{{BL}}xf32>
      %vKeyOff = arith.muli %keyCol, %vTokWCol : tensor<{{BL}}x1xi32>
      %vKeyOffB = tile.broadcast %vKeyOff : tensor<{{BL}}x1xi32> -> tensor<{{BL}}x{{VB}}xi32>
      %vOffs = arith.addi %vKeyOffB, %vColB : tensor<{{BL}}x{{VB}}xi32>
      %vOff = arith.muli %jh, %cV64 : i64
      %vBase = tile.addptr %v, %vOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
      %vPtrs = tile.addptr %vBase, %vOffs : !tile.ptr<f32>, tensor<{{BL}}x{{VB}}xi32> -> tensor<{{BL}}x{{VB}}x!tile.ptr<f32>>
      %vBlk = tile.load %vPtrs mask %vOkB : tensor<{{BL}}x{{VB}}x!tile.ptr<f32>> -> tensor<{{BL}}x{{VB}}xf32>
      %accNew = tile.dot %p, %vBlk, %upd#2 : tensor<{{BM}}x{{BL}}xf32>, tensor<{{BL}}x{{VB}}xf32>, tensor<{{BM}}x{{VB}}xf32> -> tensor<{{BM}}x{{VB}}xf32>
      scf.yield %upd#0, %lNew, %accNew : tensor<{{BM}}xf32>, tensor<{{BM}}xf32>, tensor<{{BM}}x{{VB}}xf32>
    }

    // out = acc / l (rows that saw no key: 0); padding rows not stored.
    %lPos = arith.cmpf ogt, %res#1, %zeroM : tensor<{{BM}}xf32>
    %invL = arith.divf %oneM, %res#1 : tensor<{{BM}}xf32>
    %inv = arith.select %lPos, %invL, %zeroM : tensor<{{BM}}xi1>, tensor<{{BM}}xf32>
    %inv2 = tile.expand_dims %inv axis 1 : tensor<{{BM}}xf32> -> tensor<{{BM}}x1xf32>
    %invB = tile.broadcast %inv2 : tensor<{{BM}}x1xf32> -> tensor<{{BM}}x{{VB}}xf32>
    %o = arith.mulf %res#2, %invB : tensor<{{BM}}x{{VB}}xf32>
    %oOff = arith.muli %qTh, %cV64 : i64
    %oBase = tile.addptr %out, %oOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %oTokWv = tile.splat %vTokW : i32 -> tensor<{{BM}}xi32>
    %oLaneOff = arith.muli %mLanes, %oTokWv : tensor<{{BM}}xi32>
    %oLaneOff2 = tile.expand_dims %oLaneOff axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %oRowB = tile.broadcast %oLaneOff2 : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{VB}}xi32>
    %oColB = tile.broadcast %vCol : tensor<1x{{VB}}xi32> -> tensor<{{BM}}x{{VB}}xi32>
    %oOffs = arith.addi %oRowB, %oColB : tensor<{{BM}}x{{VB}}xi32>
    %qOk2 = tile.expand_dims %qOk axis 1 : tensor<{{BM}}xi1> -> tensor<{{BM}}x1xi1>
    %qOkV = tile.broadcast %qOk2 : tensor<{{BM}}x1xi1> -> tensor<{{BM}}x{{VB}}xi1>
    %vOkO = tile.broadcast %vOk2 : tensor<1x{{VB}}xi1> -> tensor<{{BM}}x{{VB}}xi1>
    %oMask = arith.andi %qOkV, %vOkO : tensor<{{BM}}x{{VB}}xi1>
    %oPtrs = tile.addptr %oBase, %oOffs : !tile.ptr<f32>, tensor<{{BM}}x{{VB}}xi32> -> tensor<{{BM}}x{{VB}}x!tile.ptr<f32>>
    tile.store %oPtrs, %o mask %oMask : tensor<{{BM}}x{{VB}}x!tile.ptr<f32>>, tensor<{{BM}}x{{VB}}xf32>
    return
  }
}
