//===- Dsv2Types.td - dsv2 types --------------------------*- tablegen -*-===//

#ifndef DSV2_TYPES_TD
#define DSV2_TYPES_TD

include "dialect/dsv2/Dsv2Dialect.td"

class Dsv2_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<Dsv2_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

def Dsv2_KvCacheType : Dsv2_Type<"KvCache", "kv_cache"> {
  let summary = "Per-head KV cache of the naive MLA form";
  let description = [{
    The cache of the reference model: for every layer and past token, each
    head's key (`key_dim` = qk_nope_head_dim + qk_rope_head_dim) and value
    (`value_dim` = v_head_dim), stored as `element_type`.

    Example: `!dsv2.kv_cache<layers = 60, heads = 128, key_dim = 192, value_dim = 128, element_type = bf16>`
  }];
  let parameters = (ins "int64_t":$layers, "int64_t":$heads,
                        "int64_t":$key_dim, "int64_t":$value_dim,
                        "::mlir::Type":$element_type);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Cached values per token, over all layers.
    int64_t getElementsPerToken() const {
      return getLayers() * getHeads() * (getKeyDim() + getValueDim());
    }
  }];
}

def Dsv2_LatentKvCacheType : Dsv2_Type<"LatentKvCache", "latent_kv_cache"> {
  let summary = "Compressed KV cache: the normalized latent and the roped key";
  let description = [{
    The paper's KV-latent cache: per layer and past token only the normalized
    latent `c` (`latent_dim` = kv_lora_rank) and the roped shared key `k_pe`
    (`rope_dim` = qk_rope_head_dim); 576 values for DeepSeek-V2.

    Example: `!dsv2.latent_kv_cache<layers = 60, latent_dim = 512, rope_dim = 64, element_type = bf16>`
  }];
  let parameters = (ins "int64_t":$layers, "int64_t":$latent_dim,
                        "int64_t":$rope_dim, "::mlir::Type":$element_type);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Cached values per token, over all layers.
    int64_t getElementsPerToken() const {
      return getLayers() * (getLatentDim() + getRopeDim());
    }
  }];
}

def Dsv2_AnyKvCache : AnyTypeOf<[Dsv2_KvCacheType, Dsv2_LatentKvCacheType],
                                "a dsv2 KV cache">;

#endif // DSV2_TYPES_TD
