func.func @weights_and_norms(%ids: tensor<?xi32>) -> tensor<?x64xf32> {
  %table = dsv2.weight "model.embed_tokens.weight" : tensor<512x64xbf16>
  %norm = dsv2.weight "model.norm.weight" : tensor<64xf32>
  %stacked = dsv2.weight "model.layers.1.mlp.experts.{e}.gate_proj.weight" : tensor<8x32x64xf16>
  %x = dsv2.embedding %ids, %table : tensor<?xi32>, tensor<512x64xbf16> -> tensor<?x64xf32>
  %y = dsv2.rms_norm %x, %norm epsilon 1.0e-06 : tensor<?x64xf32>, tensor<64xf32>
  %z = dsv2.add %x, %y : tensor<?x64xf32>
  return %z : tensor<?x64xf32>
}
