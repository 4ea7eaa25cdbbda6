// latent_attention: weight-absorbed MLA over the latent KV cache.
//
// One program per (token t, head h); grid (tokens, HEADS). The query row
// q[t, h] = [q_lat (C) | q_pe (R)] attends, as one shared (MQA) key/value
// head, to the cache rows [c (C) | k_pe (R)] at positions 0 .. past+t (the
// causal mask; the cache already holds this step's rows):
//   s[j]  = (q_lat . c[j] + q_pe . k_pe[j]) * SCALE   (f32; the model's
//           softmax_scale, m^2 included, NOT (C+R)^-0.5)
//   out[t, h] = sum_j softmax(s)[j] * c[j]              ([T, HEADS, C])
// with an online softmax over blocks of BL cache rows: a running max m, a
// running sum l and an accumulator rescaled by exp(m_old - m_new). The c
// block is loaded once per block and used for both the scores and the
// weighted sum. The c and k_pe parts are separate tiles (CB and RB lanes,
// masked beyond C and R). Cache elements of type CT (f32 or bf16) are
// widened through f64 (extf, truncf): exact, valid for f32 too (arith.extf
// f32 -> f32 does not verify), and folded by canonicalization / LLVM into a
// single extension. Rows past past+t read nothing and get weight 0; the
// running max is guarded so a fully masked block cannot produce NaN.
// Block base addresses are i64, lane offsets within a block i32.
//
// SPLITS > 1 (split-context decoding: more programs than heads for GPUs):
// grid (tokens, HEADS, SPLITS); program (t, h, s) takes its share of the
// visible rows (ceil(rows / SPLITS), rounded up to BL; the last shares may
// be empty) and writes, instead of out[t, h], the record
// [m, l, acc (C)] of its online softmax at out + ((t*HEADS + h)*SPLITS + s)
// * (C + 2); `latent_attention_combine` merges the records of (t, h).
module {
  func.func @{{KERNEL}}(%q: !tile.ptr<f32>, %cache: !tile.ptr<{{CT}}>,
                        %out: !tile.ptr<f32>, %past: i32) attributes {
      tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, {{HEADS}}, {{SPLITS}}),
                                 grid_symbols = ["tokens"],
                                 block = [{{BL}}, {{CB}}, {{RB}}]>} {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %cC = arith.constant {{C}} : i32
    %cR = arith.constant {{R}} : i32
    %cHeads = arith.constant {{HEADS}} : i32
    %cBL = arith.constant {{BL}} : i32
    %scale = arith.constant {{SCALE}} : f32
    %negInf = arith.constant 0xFF800000 : f32
    %zero = arith.constant 0.0 : f32
    %one = arith.constant 1.0 : f32

    %t = tile.program_id x : i32
    %h = tile.program_id y : i32
    %split = tile.program_id z : i32
    // Query position and the number of visible cache rows.
    %pos = arith.addi %past, %t : i32
    %nKeys = arith.addi %pos, %c1 : i32
    // This program's rows [lo, hi): its share of the visible ones, whole
    // blocks of BL (all of them when SPLITS is 1).
    %cSplits = arith.constant {{SPLITS}} : i32
    %share0 = arith.addi %nKeys, %cSplits : i32
    %share1 = arith.subi %share0, %c1 : i32
    %shareRows = arith.divsi %share1, %cSplits : i32
    %shareB0 = arith.addi %shareRows, %cBL : i32
    %shareB1 = arith.subi %shareB0, %c1 : i32
    %shareBlocks = arith.divsi %shareB1, %cBL : i32
    %share = arith.muli %shareBlocks, %cBL : i32
    %lo = arith.muli %split, %share : i32
    %hiRaw = arith.addi %lo, %share : i32
    %hi = arith.minsi %hiRaw, %nKeys : i32
    %rowW = arith.addi %cC, %cR : i32
    %rowW64 = arith.extsi %rowW : i32 to i64
    %cC64 = arith.extsi %cC : i32 to i64

    // Row (t, h) of q and of out.
    %tHeads = arith.muli %t, %cHeads : i32
    %th = arith.addi %tHeads, %h : i32
    %th64 = arith.extsi %th : i32 to i64
    %qOff = arith.muli %th64, %rowW64 : i64
    %qRow = tile.addptr %q, %qOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %qPeRow = tile.addptr %qRow, %cC : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %oOff = arith.muli %th64, %cC64 : i64
    %oRow = tile.addptr %out, %oOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

    // Column lanes of the c part (CB) and the k_pe part (RB).
    %cLanes = tile.range <0, {{CB}}> : tensor<{{CB}}xi32>
    %cLimit = tile.splat %cC : i32 -> tensor<{{CB}}xi32>
    %cOk = arith.cmpi slt, %cLanes, %cLimit : tensor<{{CB}}xi32>
    %rLanes = tile.range <0, {{RB}}> : tensor<{{RB}}xi32>
    %rLimit = tile.splat %cR : i32 -> tensor<{{RB}}xi32>
    %rOk = arith.cmpi slt, %rLanes, %rLimit : tensor<{{RB}}xi32>

    // q_lat and q_pe of this (t, h), broadcast over the BL rows of a block.
    %qcPtrs = tile.addptr %qRow, %cLanes : !tile.ptr<f32>, tensor<{{CB}}xi32> -> tensor<{{CB}}x!tile.ptr<f32>>
    %qc = tile.load %qcPtrs mask %cOk : tensor<{{CB}}x!tile.ptr<f32>> -> tensor<{{CB}}xf32>
    %qrPtrs = tile.addptr %qPeRow, %rLanes : !tile.ptr<f32>, tensor<{{RB}}xi32> -> tensor<{{RB}}x!tile.ptr<f32>>
    %qr = tile.load %qrPtrs mask %rOk : tensor<{{RB}}x!tile.ptr<f32>> -> tensor<{{RB}}xf32>
    %qc2 = tile.expand_dims %qc axis 0 : tensor<{{CB}}xf32> -> tensor<1x{{CB}}xf32>
    %qcB = tile.broadcast %qc2 : tensor<1x{{CB}}xf32> -> tensor<{{BL}}x{{CB}}xf32>
    %qr2 = tile.expand_dims %qr axis 0 : tensor<{{RB}}xf32> -> tensor<1x{{RB}}xf32>
    %qrB = tile.broadcast %qr2 : tensor<1x{{RB}}xf32> -> tensor<{{BL}}x{{RB}}xf32>

    // Block-relative cache offsets: lane row * (C+R) + column (k_pe: + C).
    %lLanes = tile.range <0, {{BL}}> : tensor<{{BL}}xi32>
    %rowWv = tile.splat %rowW : i32 -> tensor<{{BL}}xi32>
    %lRowOff = arith.muli %lLanes, %rowWv : tensor<{{BL}}xi32>
    %lRowOff2 = tile.expand_dims %lRowOff axis 1 : tensor<{{BL}}xi32> -> tensor<{{BL}}x1xi32>
    %lRowOffC = tile.broadcast %lRowOff2 : tensor<{{BL}}x1xi32> -> tensor<{{BL}}x{{CB}}xi32>
    %lRowOffR = tile.broadcast %lRowOff2 : tensor<{{BL}}x1xi32> -> tensor<{{BL}}x{{RB}}xi32>
    %cCol = tile.expand_dims %cLanes axis 0 : tensor<{{CB}}xi32> -> tensor<1x{{CB}}xi32>
    %cColB = tile.broadcast %cCol : tensor<1x{{CB}}xi32> -> tensor<{{BL}}x{{CB}}xi32>
    %cOffs = arith.addi %lRowOffC, %cColB : tensor<{{BL}}x{{CB}}xi32>
    %cLimitR = tile.splat %cC : i32 -> tensor<{{RB}}xi32>
    %rLanesC = arith.addi %rLanes, %cLimitR : tensor<{{RB}}xi32>
    %rCol = tile.expand_dims %rLanesC axis 0 : tensor<{{RB}}xi32> -> tensor<1x{{RB}}xi32>
    %rColB = tile.broadcast %rCol : tensor<1x{{RB}}xi32> -> tensor<{{BL}}x{{RB}}xi32>
    %rOffs = arith.addi %lRowOffR, %rColB : tensor<{{BL}}x{{RB}}xi32>
    %cOk2 = tile.expand_dims %cOk axis 0 : tensor<{{CB}}xi1> -> tensor<1x{{CB}}xi1>
    %cOkB = tile.broadcast %cOk2 : tensor<1x{{CB}}xi1> -> tensor<{{BL}}x{{CB}}xi1>
    %rOk2 = tile.expand_dims %rOk axis 0 : tensor<{{RB}}xi1> -> tensor<1x{{RB}}xi1>
    %rOkB = tile.broadcast %rOk2 : tensor<1x{{RB}}xi1> -> tensor<{{BL}}x{{RB}}xi1>

    %hiV = tile.splat %hi : i32 -> tensor<{{BL}}xi32>
    %scaleV = tile.splat %scale : f32 -> tensor<{{BL}}xf32>
    %negInfV = tile.splat %negInf : f32 -> tensor<{{BL}}xf32>
    %zeroV = arith.constant dense<0.0> : tensor<{{BL}}xf32>
    %acc0 = arith.constant dense<0.0> : tensor<1x{{CB}}xf32>

    %res:3 = scf.for %j0 = %lo to %hi step %cBL
        iter_args(%m = %negInf, %l = %zero, %acc = %acc0)
        -> (f32, f32, tensor<1x{{CB}}xf32>) : i32 {
      // Cache rows j0 .. j0+BL-1; the causal mask: row <= past + t (and
      // the share's end: hi <= past + t + 1).
      %j0v = tile.splat %j0 : i32 -> tensor<{{BL}}xi32>
      %rows = arith.addi %j0v, %lLanes : tensor<{{BL}}xi32>
      %visible = arith.cmpi slt, %rows, %hiV : tensor<{{BL}}xi32>
      %vis2 = tile.expand_dims %visible axis 1 : tensor<{{BL}}xi1> -> tensor<{{BL}}x1xi1>
      %visC = tile.broadcast %vis2 : tensor<{{BL}}x1xi1> -> tensor<{{BL}}x{{CB}}xi1>
      %visR = tile.broadcast %vis2 : tensor<{{BL}}x1xi1> -> tensor<{{BL}}x{{RB}}xi1>
      %cMask = arith.andi %visC, %cOkB : tensor<{{BL}}x{{CB}}xi1>
      %rMask = arith.andi %visR, %rOkB : tensor<{{BL}}x{{RB}}xi1>
      %j064 = arith.extsi %j0 : i32 to i64
      %blockOff = arith.muli %j064, %rowW64 : i64
      %block = tile.addptr %cache, %blockOff : !tile.ptr<{{CT}}>, i64 -> !tile.ptr<{{CT}}>

      // c block [BL, CB] and k_pe block [BL, RB], widened to f32.
      %cPtrs = tile.addptr %block, %cOffs : !tile.ptr<{{CT}}>, tensor<{{BL}}x{{CB}}xi32> -> tensor<{{BL}}x{{CB}}x!tile.ptr<{{CT}}>>
      %cRaw = tile.load %cPtrs mask %cMask : tensor<{{BL}}x{{CB}}x!tile.ptr<{{CT}}>> -> tensor<{{BL}}x{{CB}}x{{CT}}>
      %cWide = arith.extf %cRaw : tensor<{{BL}}x{{CB}}x{{CT}}> to tensor<{{BL}}x{{CB}}xf64>
      %cBlk = arith.truncf %cWide : tensor<{{BL}}x{{CB}}xf64> to tensor<{{BL}}x{{CB}}xf32>
      %rPtrs = tile.addptr %block, %rOffs : !tile.ptr<{{CT}}>, tensor<{{BL}}x{{RB}}xi32> -> tensor<{{BL}}x{{RB}}x!tile.ptr<{{CT}}>>
      %rRaw = tile.load %rPtrs mask %rMask : tensor<{{BL}}x{{RB}}x!tile.ptr<{{CT}}>> -> tensor<{{BL}}x{{RB}}x{{CT}}>
      %rWide = arith.extf %rRaw : tensor<{{BL}}x{{RB}}x{{CT}}> to tensor<{{BL}}x{{RB}}xf64>
      %rBlk = arith.truncf %rWide : tensor<{{BL}}x{{RB}}xf64> to tensor<{{BL}}x{{RB}}xf32>

      // Scores s = (q_lat . c + q_pe . k_pe) * SCALE; invisible rows -inf.
      %pc = arith.mulf %cBlk, %qcB : tensor<{{BL}}x{{CB}}xf32>
      %sc = tile.reduce sum %pc axis 1 : tensor<{{BL}}x{{CB}}xf32> -> tensor<{{BL}}xf32>
      %pr = arith.mulf %rBlk, %qrB : tensor<{{BL}}x{{RB}}xf32>
      %sr = tile.reduce sum %pr axis 1 : tensor<{{BL}}x{{RB}}xf32> -> tensor<{{BL}}xf32>
      %sum = arith.addf %sc, %sr : tensor<{{BL}}xf32>
      %scaled = arith.mulf %sum, %scaleV : tensor<{{BL}}xf32>
      %s = arith.select %visible, %scaled, %negInfV : tensor<{{BL}}xi1>, tensor<{{BL}}xf32>

      // Online softmax: new running max (guarded: -inf -> 0 as the shift),
      // rescale factor exp(m_old - m_new) (0 while nothing was seen).
      %bMax = tile.reduce max %s axis 0 : tensor<{{BL}}xf32> -> f32
      %mNew = arith.maximumf %m, %bMax : f32
      %noMax = arith.cmpf oeq, %mNew, %negInf : f32
      %mSafe = arith.select %noMax, %zero, %mNew : f32
      %mDiff = arith.subf %m, %mSafe : f32
      %alphaE = math.exp %mDiff : f32
      %noOld = arith.cmpf oeq, %m, %negInf : f32
      %alpha = arith.select %noOld, %zero, %alphaE : f32
      %mSafeV = tile.splat %mSafe : f32 -> tensor<{{BL}}xf32>
      %sShift = arith.subf %s, %mSafeV : tensor<{{BL}}xf32>
      %pE = math.exp %sShift : tensor<{{BL}}xf32>
      %p = arith.select %visible, %pE, %zeroV : tensor<{{BL}}xi1>, tensor<{{BL}}xf32>
      %pSum = tile.reduce sum %p axis 0 : tensor<{{BL}}xf32> -> f32
      %lScaled = arith.mulf %l, %alpha : f32
      %lNew = arith.addf %lScaled, %pSum : f32

      // acc = acc * alpha + p @ c   (f32 accumulation).
      %alphaV = tile.splat %alpha : f32 -> tensor<1x{{CB}}xf32>
      %accScaled = arith.mulf %acc, %alphaV : tensor<1x{{CB}}xf32>
      %p2 = tile.expand_dims %p axis 0 : tensor<{{BL}}xf32> -> tensor<1x{{BL}}xf32>
      %accNew = tile.dot %p2, %cBlk, %accScaled : tensor<1x{{BL}}xf32>, tensor<{{BL}}x{{CB}}xf32>, tensor<1x{{CB}}xf32> -> tensor<1x{{CB}}xf32>
      scf.yield %mNew, %lNew, %accNew : f32, f32, tensor<1x{{CB}}xf32>
    }

{{^SPLITS=1}}
    // The record [m, l, acc] of (t, h, split) for latent_attention_combine.
    %c2w = arith.constant 2 : i64
    %recW = arith.addi %cC64, %c2w : i64
    %cSplits64 = arith.extsi %cSplits : i32 to i64
    %split64 = arith.extsi %split : i32 to i64
    %thSplits = arith.muli %th64, %cSplits64 : i64
    %recIndex = arith.addi %thSplits, %split64 : i64
    %recOff = arith.muli %recIndex, %recW : i64
    %rec = tile.addptr %out, %recOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    tile.store %rec, %res#0 : !tile.ptr<f32>, f32
    %recL = tile.addptr %rec, %c1 : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    tile.store %recL, %res#1 : !tile.ptr<f32>, f32
    %c2 = arith.constant 2 : i32
    %recAcc = tile.addptr %rec, %c2 : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %accPtrs = tile.addptr %recAcc, %cCol : !tile.ptr<f32>, tensor<1x{{CB}}xi32> -> tensor<1x{{CB}}x!tile.ptr<f32>>
    tile.store %accPtrs, %res#2 mask %cOk2 : tensor<1x{{CB}}x!tile.ptr<f32>>, tensor<1x{{CB}}xf32>
{{/SPLITS=1}}{{#SPLITS=1}}
    // out[t, h] = acc / l (0 when no row was visible).
    %lPos = arith.cmpf ogt, %res#1, %zero : f32
    %invL = arith.divf %one, %res#1 : f32
    %inv = arith.select %lPos, %invL, %zero : f32
    %invV = tile.splat %inv : f32 -> tensor<1x{{CB}}xf32>
    %o = arith.mulf %res#2, %invV : tensor<1x{{CB}}xf32>
    %oPtrs = tile.addptr %oRow, %cCol : !tile.ptr<f32>, tensor<1x{{CB}}xi32> -> tensor<1x{{CB}}x!tile.ptr<f32>>
    tile.store %oPtrs, %o mask %cOk2 : tensor<1x{{CB}}x!tile.ptr<f32>>, tensor<1x{{CB}}xf32>
{{/SPLITS=1}}
    return
  }
}
