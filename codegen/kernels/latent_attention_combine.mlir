// latent_attention_combine: merges the SPLITS records [m, l, acc (C)] that
// latent_attention with SPLITS > 1 wrote for each (token t, head h), at
// part + ((t*HEADS + h)*SPLITS + s) * (C + 2), into
//   out[t, h] = sum_s exp(m_s - M) acc_s / sum_s exp(m_s - M) l_s
// with M = max_s m_s (the online softmax's merge; records of empty shares
// have m = -inf and l = 0 and count for nothing; out is 0 when every share
// was empty). One program per (t, h); grid (tokens, HEADS). params: C, CB
// (C's power of two), HEADS, SPLITS.
module {
  func.func @{{KERNEL}}(%part: !tile.ptr<f32>, %out: !tile.ptr<f32>) attributes {
      tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, {{HEADS}}, 1),
                                 grid_symbols = ["tokens"],
                                 block = [{{CB}}]>} {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %c2 = arith.constant 2 : i32
    %cC = arith.constant {{C}} : i32
    %cHeads = arith.constant {{HEADS}} : i32
    %cSplits = arith.constant {{SPLITS}} : i32
    %negInf = arith.constant 0xFF800000 : f32
    %zero = arith.constant 0.0 : f32
    %one = arith.constant 1.0 : f32
    %t = tile.program_id x : i32
    %h = tile.program_id y : i32

    // The records of (t, h), C + 2 floats apart.
    %tHeads = arith.muli %t, %cHeads : i32
    %th = arith.addi %tHeads, %h : i32
    %th64 = arith.extsi %th : i32 to i64
    %cC64 = arith.extsi %cC : i32 to i64
    %c2w = arith.constant 2 : i64
    %recW = arith.addi %cC64, %c2w : i64
    %recW32 = arith.addi %cC, %c2 : i32
    %cSplits64 = arith.extsi %cSplits : i32 to i64
    %first = arith.muli %th64, %cSplits64 : i64
    %firstOff = arith.muli %first, %recW : i64
    %recs = tile.addptr %part, %firstOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

    // M = max_s m_s.
    %mMax = scf.for %s = %c0 to %cSplits step %c1 iter_args(%mx = %negInf) -> (f32) : i32 {
      %off = arith.muli %s, %recW32 : i32
      %mp = tile.addptr %recs, %off : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %ms = tile.load %mp : !tile.ptr<f32> -> f32
      %mx2 = arith.maximumf %mx, %ms : f32
      scf.yield %mx2 : f32
    }
    %allEmpty = arith.cmpf oeq, %mMax, %negInf : f32
    %mSafe = arith.select %allEmpty, %zero, %mMax : f32

    // acc = sum_s w_s acc_s, l = sum_s w_s l_s, w_s = exp(m_s - M) (0 for
    // an empty share).
    %lanes = tile.range <0, {{CB}}> : tensor<{{CB}}xi32>
    %limit = tile.splat %cC : i32 -> tensor<{{CB}}xi32>
    %ok = arith.cmpi slt, %lanes, %limit : tensor<{{CB}}xi32>
    %acc0 = arith.constant dense<0.0> : tensor<{{CB}}xf32>
    %sums:2 = scf.for %s = %c0 to %cSplits step %c1
        iter_args(%l = %zero, %acc = %acc0) -> (f32, tensor<{{CB}}xf32>) : i32 {
      %off = arith.muli %s, %recW32 : i32
      %mp = tile.addptr %recs, %off : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %ms = tile.load %mp : !tile.ptr<f32> -> f32
      %lp = tile.addptr %mp, %c1 : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %ls = tile.load %lp : !tile.ptr<f32> -> f32
      %diff = arith.subf %ms, %mSafe : f32
      %wE = math.exp %diff : f32
      %empty = arith.cmpf oeq, %ms, %negInf : f32
      %w = arith.select %empty, %zero, %wE : f32
      %lw = arith.mulf %ls, %w : f32
      %l2 = arith.addf %l, %lw : f32
      %ap = tile.addptr %mp, %c2 : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %aPtrs = tile.addptr %ap, %lanes : !tile.ptr<f32>, tensor<{{CB}}xi32> -> tensor<{{CB}}x!tile.ptr<f32>>
      %as = tile.load %aPtrs mask %ok : tensor<{{CB}}x!tile.ptr<f32>> -> tensor<{{CB}}xf32>
      %wV = tile.splat %w : f32 -> tensor<{{CB}}xf32>
      %aw = arith.mulf %as, %wV : tensor<{{CB}}xf32>
      %acc2 = arith.addf %acc, %aw : tensor<{{CB}}xf32>
      scf.yield %l2, %acc2 : f32, tensor<{{CB}}xf32>
    }

    // out[t, h] = acc / l (0 when no row was visible).
    %lPos = arith.cmpf ogt, %sums#0, %zero : f32
    %invL = arith.divf %one, %sums#0 : f32
    %inv = arith.select %lPos, %invL, %zero : f32
    %invV = tile.splat %inv : f32 -> tensor<{{CB}}xf32>
    %o = arith.mulf %sums#1, %invV : tensor<{{CB}}xf32>
    %oOff = arith.muli %th64, %cC64 : i64
    %oRow = tile.addptr %out, %oOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %oPtrs = tile.addptr %oRow, %lanes : !tile.ptr<f32>, tensor<{{CB}}xi32> -> tensor<{{CB}}x!tile.ptr<f32>>
    tile.store %oPtrs, %o mask %ok : tensor<{{CB}}x!tile.ptr<f32>>, tensor<{{CB}}xf32>
    return
  }
}
