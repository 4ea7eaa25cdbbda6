//===- TileDialect.td - The tile kernel dialect -----------*- tablegen -*-===//
//
// The tile dialect is the kernel IR of dsv2c, in the spirit of Triton: a
// kernel is a program that runs once per block of a launch grid, and it works
// on whole tiles (static-shape tensors) that the code generator maps to
// vector registers on the CPU and to threads of a CTA on the GPU.
//
//===----------------------------------------------------------------------===//

#ifndef TILE_DIALECT_TD
#define TILE_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Tile_Dialect : Dialect {
  let name = "tile";
  let cppNamespace = "::mlir::tile";
  let summary = "Block-level kernel IR: one program per block of a launch grid";
  let description = [{
    A kernel is a `func.func` carrying a `tile.kernel` attribute that gives
    its launch grid as three functions of runtime sizes (the tokens in the
    step, the context length, ...). The launcher runs the body once per
    point of the grid; inside, `tile.program_id` says which block a program
    instance owns and `tile.num_programs` how many there are.

    Values are scalars (`i32`, `f32`, `!tile.ptr<bf16>`, ...) and *tiles*:
    ranked tensors of static shape, of scalars or of pointers. Memory is
    reached only through pointer tiles: `tile.range` and `tile.splat` build
    index tiles, `tile.addptr` turns them into pointer tiles, and
    `tile.load` / `tile.store` read and write them under an optional mask,
    so a block that overhangs the end of a row (a hidden size that is not a
    multiple of the tile) reads a fill value and writes nothing there.

    Arithmetic uses the upstream `arith` and `math` ops on tiles
    (`arith.addf`, `arith.cmpi`, `arith.select`, `arith.extf`/`truncf`,
    `math.exp`, `math.rsqrt` ...), loops are `scf.for` with tiles as
    `iter_args`. This dialect adds only what upstream lacks: the grid, the
    pointers, masked memory access, layout ops (`splat`, `broadcast`,
    `expand_dims`), `tile.dot` with fp32 accumulation, `tile.reduce` and
    `tile.silu`.

    ```mlir
    func.func @scale(%x: !tile.ptr<f32>, %n: i32, %s: f32) attributes {
        tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv 256, 1, 1),
                                   grid_symbols = ["elements"]>} {
      %pid = tile.program_id x : i32
      %c256 = arith.constant 256 : i32
      %start = arith.muli %pid, %c256 : i32
      %lanes = tile.range <0, 256> : tensor<256xi32>
      %first = tile.splat %start : i32 -> tensor<256xi32>
      %offs = arith.addi %first, %lanes : tensor<256xi32>
      %limit = tile.splat %n : i32 -> tensor<256xi32>
      %mask = arith.cmpi slt, %offs, %limit : tensor<256xi32>
      %ptrs = tile.addptr %x, %offs : !tile.ptr<f32>, tensor<256xi32> -> tensor<256x!tile.ptr<f32>>
      %v = tile.load %ptrs mask %mask : tensor<256x!tile.ptr<f32>> -> tensor<256xf32>
      %sv = tile.splat %s : f32 -> tensor<256xf32>
      %y = arith.mulf %v, %sv : tensor<256xf32>
      tile.store %ptrs, %y mask %mask : tensor<256x!tile.ptr<f32>>, tensor<256xf32>
      return
    }
    ```
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let dependentDialects = [
    "::mlir::func::FuncDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
  ];
  let extraClassDeclaration = [{
    /// The name of the attribute that makes a func.func a kernel.
    static constexpr ::llvm::StringLiteral getKernelAttrName() {
      return ::llvm::StringLiteral("tile.kernel");
    }
    void registerTypes();
    void registerAttributes();
  }];
}

class Tile_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tile_Dialect, mnemonic, traits>;

#endif // TILE_DIALECT_TD
