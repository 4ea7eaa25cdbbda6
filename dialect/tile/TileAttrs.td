//===- TileAttrs.td - tile attributes and enums -----------*- tablegen -*-===//

#ifndef TILE_ATTRS_TD
#define TILE_ATTRS_TD

include "dialect/tile/TileDialect.td"
include "mlir/IR/EnumAttr.td"

class Tile_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Tile_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Tile_KernelAttr : Tile_Attr<"Kernel", "kernel"> {
  let summary = "Launch description of a kernel: its grid and hints";
  let description = [{
    Attached to a `func.func` as `tile.kernel`, it makes the function a
    kernel. `grid` is an affine map with no dimensions and one symbol per
    runtime size named in `grid_symbols`; its three results are the number
    of programs along x, y and z. The launcher binds the symbols by name for
    every step (for example `tokens`, the tokens in the step, and `context`,
    the context length) and launches `grid(...)` programs; an extent that
    evaluates to zero or less launches nothing.

    `num_warps` (GPU: warps per program, a power of two up to 32; 4 when
    omitted) and `block` (the tile sizes the kernel was formed with, for
    reports and autotuning) are optional hints.

    ```mlir
    #tile.kernel<grid = ()[s0, s1] -> (s0 ceildiv 16, s1 ceildiv 64, 1),
                 grid_symbols = ["tokens", "context"], num_warps = 4,
                 block = [16, 64]>
    ```
  }];
  let parameters = (ins
    "::mlir::AffineMap":$grid,
    "::mlir::ArrayAttr":$grid_symbols,
    DefaultValuedParameter<"int64_t", "4">:$num_warps,
    OptionalParameter<"::mlir::DenseI64ArrayAttr">:$block);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The runtime size bound to grid symbol `index`.
    ::llvm::StringRef getGridSymbol(unsigned index) const {
      return ::llvm::cast<::mlir::StringAttr>(getGridSymbols()[index])
          .getValue();
    }
  }];
}

def Tile_Axis : I32EnumAttr<"Axis", "axis of the launch grid", [
    I32EnumAttrCase<"x", 0>,
    I32EnumAttrCase<"y", 1>,
    I32EnumAttrCase<"z", 2>]> {
  let cppNamespace = "::mlir::tile";
}

def Tile_ReduceKind : I32EnumAttr<"ReduceKind", "reduction of tile.reduce", [
    I32EnumAttrCase<"sum", 0>,
    I32EnumAttrCase<"max", 1>,
    I32EnumAttrCase<"min", 2>,
    I32EnumAttrCase<"argmax", 3>]> {
  let cppNamespace = "::mlir::tile";
}

#endif // TILE_ATTRS_TD
