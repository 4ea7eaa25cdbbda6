//===- TileOps.td - tile operations -----------------------*- tablegen -*-===//
//
// Ops of a kernel body. Every op checks its operands against each other and
// says which operand is wrong in the kernel's terms (tile shapes, pointee
// types, the fp32 accumulator of tile.dot ...).
//
//===----------------------------------------------------------------------===//

#ifndef TILE_OPS_TD
#define TILE_OPS_TD

include "dialect/tile/TileDialect.td"
include "dialect/tile/TileAttrs.td"
include "dialect/tile/TileTypes.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"

//===----------------------------------------------------------------------===//
// The launch grid
//===----------------------------------------------------------------------===//

def Tile_ProgramIdOp : Tile_Op<"program_id", [Pure]> {
  let summary = "Index of this program along one axis of the launch grid";
  let description = [{
    In `0 .. extent-1`, where `extent` is the axis' result of the kernel's
    `grid`. Only meaningful inside a kernel, so the enclosing `func.func`
    must carry `tile.kernel`.

    ```mlir
    %row = tile.program_id x : i32
    ```
  }];
  let arguments = (ins Tile_Axis:$axis);
  let results = (outs I32:$result);
  let assemblyFormat = "$axis attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Tile_NumProgramsOp : Tile_Op<"num_programs", [Pure]> {
  let summary = "Number of programs along one axis of the launch grid";
  let description = [{
    The axis' extent of the kernel's `grid`, evaluated for this launch.
    The enclosing `func.func` must carry `tile.kernel`.

    ```mlir
    %programs = tile.num_programs y : i32
    ```
  }];
  let arguments = (ins Tile_Axis:$axis);
  let results = (outs I32:$result);
  let assemblyFormat = "$axis attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Building tiles
//===----------------------------------------------------------------------===//

def Tile_RangeOp : Tile_Op<"range", [Pure]> {
  let summary = "The i32 tile start, start+1, ..., end-1";
  let description = [{
    A 1-D tile of `end - start` consecutive i32 values: the lane indices of
    a block. The size need not be a power of two but must be positive.

    ```mlir
    %lanes = tile.range <0, 128> : tensor<128xi32>
    ```
  }];
  let arguments = (ins I32Attr:$start, I32Attr:$end);
  let results = (outs StaticShapeTensorOf<[I32]>:$result);
  let assemblyFormat = "` ` `<` $start `,` $end `>` attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Tile_SplatOp : Tile_Op<"splat", [Pure]> {
  let summary = "A tile with every lane equal to a scalar";
  let description = [{
    ```mlir
    %limit = tile.splat %n : i32 -> tensor<128xi32>
    %base = tile.splat %x : !tile.ptr<f32> -> tensor<16x128x!tile.ptr<f32>>
    ```
  }];
  let arguments = (ins Tile_Scalar:$input);
  let results = (outs Tile_Tile:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Tile_BroadcastOp : Tile_Op<"broadcast", [Pure]> {
  let summary = "Stretch a tile to a larger shape by numpy broadcasting";
  let description = [{
    Shapes are aligned at their trailing dimension; every input dimension
    must equal the result's or be 1 (and is then repeated), and missing
    leading dimensions are added. The element type does not change.

    ```mlir
    %rows = tile.broadcast %col : tensor<16x1xi32> -> tensor<16x64xi32>
    %same = tile.broadcast %row : tensor<64xf32> -> tensor<16x64xf32>
    ```
  }];
  let arguments = (ins Tile_Tile:$input);
  let results = (outs Tile_Tile:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Tile_ExpandDimsOp : Tile_Op<"expand_dims", [Pure]> {
  let summary = "Insert a dimension of size 1 at `axis`";
  let description = [{
    `axis` is in `0 .. rank` (rank inserts a trailing dimension). With
    `tile.broadcast` it builds 2-D index tiles from two 1-D ranges.

    ```mlir
    %col = tile.expand_dims %rows axis 1 : tensor<16xi32> -> tensor<16x1xi32>
    ```
  }];
  let arguments = (ins Tile_Tile:$input,
                       ConfinedAttr<I32Attr, [IntNonNegative]>:$axis);
  let results = (outs Tile_Tile:$result);
  let assemblyFormat = [{
    $input `axis` $axis attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tile_TransOp : Tile_Op<"trans", [Pure]> {
  let summary = "Transpose a 2-D tile";
  let description = [{
    `result[j, i] = input[i, j]`. Kernels load a weight in its memory order
    (`[N, K]` rows, contiguous, so the loads are wide) and hand the dot its
    transpose `[K, N]`; code generators stage a dot operand that is a
    transpose straight into the layout the dot reads, so the transpose
    itself costs nothing there.

    ```mlir
    %wT = tile.trans %w : tensor<64x32xf32> -> tensor<32x64xf32>
    ```
  }];
  let arguments = (ins Tile_Tile:$input);
  let results = (outs Tile_Tile:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Pointers and memory
//===----------------------------------------------------------------------===//

def Tile_AddPtrOp : Tile_Op<"addptr", [Pure]> {
  let summary = "Advance pointers by element offsets";
  let description = [{
    `result[i] = ptr[i] + offset[i]` counted in elements of the pointee.
    Either both operands are tiles of the same shape, or `ptr` is a scalar
    and the result has the shape of `offset` (a base pointer plus lane
    offsets), or both are scalars.

    ```mlir
    %row = tile.addptr %x, %rowStart : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %ptrs = tile.addptr %row, %lanes : !tile.ptr<f32>, tensor<128xi32> -> tensor<128x!tile.ptr<f32>>
    %next = tile.addptr %ptrs, %step : tensor<128x!tile.ptr<f32>>, tensor<128xi32> -> tensor<128x!tile.ptr<f32>>
    ```
  }];
  let arguments = (ins Tile_PtrLike:$ptr, Tile_Offsets:$offset);
  let results = (outs Tile_PtrLike:$result);
  let assemblyFormat = [{
    $ptr `,` $offset attr-dict `:` type($ptr) `,` type($offset) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tile_LoadOp : Tile_Op<"load", [AttrSizedOperandSegments,
                                   MemoryEffects<[MemRead]>]> {
  let summary = "Read one element per lane through a pointer tile";
  let description = [{
    Syntax: `tile.load %ptrs [mask %m] [other %o] attr-dict : ptr-type ->
    result-type`; the types of `mask` and `other` follow from those two.

    `result[i] = mask[i] ? *ptrs[i] : other[i]`. Masked-off lanes are never
    read and hold `other`, or zero when `other` is absent; `other` therefore
    needs a `mask`. The mask is i1 of the pointer tile's shape; `other` and
    the result are the pointee type in that shape. `ptrs` may also be a
    scalar pointer (then mask and result are scalars).

    ```mlir
    %x = tile.load %ptrs mask %inRow other %zero : tensor<128x!tile.ptr<bf16>> -> tensor<128xbf16>
    %s = tile.load %scale : !tile.ptr<f32> -> f32
    ```
  }];
  let arguments = (ins Tile_PtrLike:$ptrs, Optional<Tile_Mask>:$mask,
                       Optional<Tile_ScalarOrTile>:$other);
  let results = (outs Tile_ScalarOrTile:$result);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
}

def Tile_StoreOp : Tile_Op<"store", [MemoryEffects<[MemWrite]>]> {
  let summary = "Write one element per lane through a pointer tile";
  let description = [{
    Syntax: `tile.store %ptrs, %value [mask %m] attr-dict : ptr-type,
    value-type`; the mask type follows from the pointer type.

    `if (mask[i]) *ptrs[i] = value[i]`. `value` is the pointee type in the
    pointer tile's shape; lanes whose mask is false write nothing.

    ```mlir
    tile.store %ptrs, %y mask %inRow : tensor<128x!tile.ptr<f32>>, tensor<128xf32>
    ```
  }];
  let arguments = (ins Tile_PtrLike:$ptrs, Tile_ScalarOrTile:$value,
                       Optional<Tile_Mask>:$mask);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Compute
//===----------------------------------------------------------------------===//

def Tile_DotOp : Tile_Op<"dot", [Pure]> {
  let summary = "Tile matrix product accumulated in fp32: `a @ b + acc`";
  let description = [{
    `a` is `M x K`, `b` is `K x N`, `acc` and the result are `M x N`.
    `a` and `b` share an element type (bf16, f16 or f32; f32 inputs may run
    as tf32 on tensor cores); the accumulator and the result are always f32,
    so long K loops do not lose precision. Cast the result with
    `arith.truncf` to store it narrower.

    ```mlir
    %acc1 = tile.dot %a, %b, %acc : tensor<32x64xbf16>, tensor<64x128xbf16>, tensor<32x128xf32> -> tensor<32x128xf32>
    ```
  }];
  let arguments = (ins StaticShapeTensorOf<[AnyType]>:$a,
                       StaticShapeTensorOf<[AnyType]>:$b,
                       StaticShapeTensorOf<[AnyType]>:$acc);
  let results = (outs StaticShapeTensorOf<[AnyType]>:$result);
  let assemblyFormat = [{
    $a `,` $b `,` $acc attr-dict `:` type($a) `,` type($b) `,` type($acc) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tile_PairDotOp : Tile_Op<"pair_dot", [Pure]> {
  let summary = "Integer dot over K pairs: int16 activation pairs x int8 weight rows";
  let description = [{
    The inner step of an int8-weight GEMV with int16 activations (x86
    `vpmaddwd` / `vpdpwssd`). `x` holds two int16 activations per i32 lane
    (element 2k in the low half, 2k+1 in the high half, as memory lays out
    an int16 array); `w` holds the two weight rows they multiply, row 2k
    at index 0 of its second-to-last axis and row 2k+1 at index 1:

      result[..., j] = acc[..., j] + lo16(x[..., j]) * w[..., 0, j]
                                   + hi16(x[..., j]) * w[..., 1, j]

    in i32 with two's-complement wrap-around; kernels keep each lane's
    number of pairs small enough not to wrap (|x| <= 32767 and |w| <= 127:
    258 pairs at worst) and flush to f32 between chunks.

    ```mlir
    %acc1 = tile.pair_dot %x, %w, %acc : tensor<4x16xi32>, tensor<4x2x16xi8>, tensor<4x16xi32> -> tensor<4x16xi32>
    ```
  }];
  let arguments = (ins StaticShapeTensorOf<[I32]>:$x,
                       StaticShapeTensorOf<[I8]>:$w,
                       StaticShapeTensorOf<[I32]>:$acc);
  let results = (outs StaticShapeTensorOf<[I32]>:$result);
  let assemblyFormat = [{
    $x `,` $w `,` $acc attr-dict `:` type($x) `,` type($w) `,` type($acc) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tile_ReduceOp : Tile_Op<"reduce", [Pure]> {
  let summary = "Reduce a tile along one axis: sum, max, min or argmax";
  let description = [{
    Removes dimension `axis`; reducing a 1-D tile gives a scalar. `sum`,
    `max` and `min` keep the element type (`max`/`min` of floats propagate
    NaN like `arith.maximumf`); `argmax` returns the i32 position of the
    largest element along `axis`, the first one on ties.

    ```mlir
    %sumsq = tile.reduce sum %sq axis 0 : tensor<1024xf32> -> f32
    %best = tile.reduce argmax %logits axis 1 : tensor<4x256xf32> -> tensor<4xi32>
    ```
  }];
  let arguments = (ins Tile_ReduceKind:$kind, Tile_Tile:$input,
                       ConfinedAttr<I32Attr, [IntNonNegative]>:$axis);
  let results = (outs Tile_ScalarOrTile:$result);
  let assemblyFormat = [{
    $kind $input `axis` $axis attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tile_SiluOp : Tile_Op<"silu", [Pure, Elementwise,
                                   SameOperandsAndResultType]> {
  let summary = "SiLU activation `x * sigmoid(x)`, elementwise";
  let description = [{
    The gate activation of DeepSeek-V2's MLPs and experts (`math` has
    `exp` but no sigmoid or SiLU). Narrow floats (bf16, f16) are computed
    in f32 and rounded once.

    ```mlir
    %g = tile.silu %gate : tensor<256xf32>
    ```
  }];
  let arguments = (ins Tile_FloatLike:$input);
  let results = (outs Tile_FloatLike:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

#endif // TILE_OPS_TD
