//===- TileTypes.td - tile types --------------------------*- tablegen -*-===//

#ifndef TILE_TYPES_TD
#define TILE_TYPES_TD

include "dialect/tile/TileDialect.td"

class Tile_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<Tile_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

def Tile_PtrType : Tile_Type<"Ptr", "ptr"> {
  let summary = "Pointer to one element in global memory";
  let description = [{
    A pointer into a kernel argument buffer. Pointer arithmetic
    (`tile.addptr`) counts in elements of `pointee`, not in bytes. Tiles of
    pointers (`tensor<16x!tile.ptr<bf16>>`) address one element per lane.

    The pointee is a type a kernel stores in memory: `f32`, `bf16`, `f16`,
    `i32` or `i64`.

    Example: `!tile.ptr<bf16>`
  }];
  let parameters = (ins "::mlir::Type":$pointee);
  let assemblyFormat = "`<` $pointee `>`";
  let genVerifyDecl = 1;
}

// Static-shape tiles. Shapes are checked again by the op verifiers, which
// say which operand is wrong and why.
def Tile_PtrTile : StaticShapeTensorOf<[Tile_PtrType]>;
def Tile_PtrLike : AnyTypeOf<[Tile_PtrType, Tile_PtrTile],
                             "a !tile.ptr or a static-shape tile of them">;
def Tile_Tile : StaticShapeTensorOf<[AnyType]>;
def Tile_Scalar : AnyTypeOf<[AnySignlessInteger, AnyFloat, Index, Tile_PtrType],
                            "an integer, float, index or !tile.ptr scalar">;
def Tile_ScalarOrTile : AnyTypeOf<[Tile_Scalar, Tile_Tile],
                                  "a scalar or a static-shape tile">;
def Tile_Offsets : AnyTypeOf<[I32, I64, StaticShapeTensorOf<[I32, I64]>],
                             "i32/i64 offsets (a scalar or a static-shape tile)">;
def Tile_Mask : AnyTypeOf<[I1, StaticShapeTensorOf<[I1]>],
                          "an i1 mask (a scalar or a static-shape tile)">;
def Tile_FloatLike : AnyTypeOf<[AnyFloat, StaticShapeTensorOf<[AnyFloat]>],
                               "a float scalar or a static-shape float tile">;

#endif // TILE_TYPES_TD
