//===- Dsv2Dialect.td - The dsv2 model-level dialect ------*- tablegen -*-===//
//
// The dsv2 dialect describes a DeepSeek-V2 forward step at the level of the
// paper: Multi-head Latent Attention and DeepSeekMoE are single ops, weights are
// checkpoint tensors referenced by name, and the KV cache is a value.
//
//===----------------------------------------------------------------------===//

#ifndef DSV2_DIALECT_TD
#define DSV2_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Dsv2_Dialect : Dialect {
  let name = "dsv2";
  let cppNamespace = "::mlir::dsv2";
  let summary = "DeepSeek-V2 at the model level: MLA, DeepSeekMoE, RoPE, KV cache";
  let description = [{
    A `dsv2` module holds one `func.func @step` that runs T tokens at
    positions `start .. start+T-1` on top of a KV cache holding `start` past
    tokens, and returns the logits of the T tokens and the updated cache.
    Activations are fp32 tensors whose leading dimension is the token count
    (dynamic). Weights are `dsv2.weight` ops naming checkpoint tensors; their
    element type is the storage dtype (f32, bf16 or f16) and math is fp32.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::func::FuncDialect"];
  let extraClassDeclaration = [{
    void registerTypes();
    void registerAttributes();
  }];
}

class Dsv2_Op<string mnemonic, list<Trait> traits = []>
    : Op<Dsv2_Dialect, mnemonic, traits>;

#endif // DSV2_DIALECT_TD
