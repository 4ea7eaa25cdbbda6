//===- Dsv2Attrs.td - dsv2 attributes and enums -----------*- tablegen -*-===//

#ifndef DSV2_ATTRS_TD
#define DSV2_ATTRS_TD

include "dialect/dsv2/Dsv2Dialect.td"
include "mlir/IR/EnumAttr.td"

// An f64 value printed in shortest round-trip form, without a type suffix.
class Dsv2_DoubleParameter<string desc>
    : AttrOrTypeParameter<"::llvm::APFloat", desc> {
  let comparator = "$_lhs.bitwiseIsEqual($_rhs)";
  let parser = [{ [&]() -> ::mlir::FailureOr<::llvm::APFloat> {
    double value;
    if (failed($_parser.parseFloat(value)))
      return ::mlir::failure();
    return ::llvm::APFloat(value);
  }() }];
  let printer = [{ $_printer.printFloat($_self) }];
}

class Dsv2_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Dsv2_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Dsv2_YarnAttr : Dsv2_Attr<"Yarn", "yarn"> {
  let summary = "YaRN context-extension parameters of the rotary embedding";
  let description = [{
    The `rope_scaling` block of a DeepSeek-V2 config.json with type `yarn`.
    Frequencies interpolate between extrapolation (`theta^(-2j/dim)`) and
    interpolation (divided by `factor`) over the correction range given by
    `beta_fast` and `beta_slow`; cos/sin are scaled by
    `mscale(factor, mscale) / mscale(factor, mscale_all_dim)`.
  }];
  let parameters = (ins
    Dsv2_DoubleParameter<"">:$factor,
    "int64_t":$original_max_position,
    Dsv2_DoubleParameter<"">:$beta_fast,
    Dsv2_DoubleParameter<"">:$beta_slow,
    Dsv2_DoubleParameter<"">:$mscale,
    Dsv2_DoubleParameter<"">:$mscale_all_dim);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Dsv2_RopeAttr : Dsv2_Attr<"Rope", "rope"> {
  let summary = "Rotary position embedding on adjacent element pairs";
  let description = [{
    RoPE as DeepSeek-V2 applies it: the pair `(2j, 2j+1)` of the raw
    projection output is rotated by `pos * inv_freq[j]` (GPT-J style, not the
    NeoX half rotation). `dim` is `qk_rope_head_dim`; `yarn` is present when
    the checkpoint uses YaRN scaling.

    Example: `#dsv2.rope<dim = 64, theta = 1.000000e+04>`
  }];
  let parameters = (ins
    "int64_t":$dim,
    Dsv2_DoubleParameter<"">:$theta,
    OptionalParameter<"::mlir::dsv2::YarnAttr">:$yarn);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Dsv2_TopkMethod : I32EnumAttr<"TopkMethod", "MoE expert selection method", [
    I32EnumAttrCase<"greedy", 0>,
    I32EnumAttrCase<"group_limited_greedy", 1>]> {
  let cppNamespace = "::mlir::dsv2";
}

def Dsv2_Absorption : I32EnumAttr<"Absorption",
    "when dsv2.mla_attention runs in the weight-absorbed form", [
    I32EnumAttrCase<"never", 0>,
    I32EnumAttrCase<"always", 1>,
    I32EnumAttrCase<"decode", 2>,
    I32EnumAttrCase<"auto_", 3, "auto">]> {
  let cppNamespace = "::mlir::dsv2";
}

def Dsv2_CollectiveGroup : I32EnumAttr<"CollectiveGroup",
    "the ranks a collective spans (rank r is tensor rank r % tp of expert "
    "group r / tp)", [
    I32EnumAttrCase<"tensor", 0>,
    I32EnumAttrCase<"world", 1>]> {
  let cppNamespace = "::mlir::dsv2";
}

#endif // DSV2_ATTRS_TD
