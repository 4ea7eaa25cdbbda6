//===- SafetensorsFuzzer.cpp - Fuzzes the safetensors header parser -------===//
//
// Any byte string is a candidate safetensors file: parseSafetensorsLayout
// must return a layout or a one-line error, never crash, leak or hang. On
// success the promise of TensorView is checked, not trusted: every view lies
// inside the input and holds exactly shape x dtype bytes.
//
//===----------------------------------------------------------------------===//

#include "runtime/safetensors/SafetensorsLayout.h"

#include <cstdlib>

using dsv2::runtime::TensorView;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto layout = dsv2::runtime::parseSafetensorsLayout(
      "fuzz.safetensors", absl::Span<const uint8_t>(data, size));
  if (!layout.ok()) {
    if (layout.status().message().find('\n') != absl::string_view::npos)
      std::abort(); // errors are one line
    return 0;
  }
  for (const TensorView &tensor : layout->tensors) {
    if (tensor.numBytes != 0 &&
        (tensor.data < data || tensor.numBytes > size ||
         tensor.data - data > static_cast<ptrdiff_t>(size - tensor.numBytes)))
      std::abort(); // a view outside the input
    uint64_t elements = 1;
    for (int64_t dim : tensor.shape)
      elements *= static_cast<uint64_t>(dim); // checked sizes cannot wrap
    if (elements * dsv2::runtime::dtypeSize(tensor.dtype) != tensor.numBytes)
      std::abort();
  }
  return 0;
}
