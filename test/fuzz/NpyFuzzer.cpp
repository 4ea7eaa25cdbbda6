//===- NpyFuzzer.cpp - Fuzzes the .npy reader -----------------------------===//
//
// Any byte string is a candidate .npy file: parseNpyF32 returns an array or a
// one-line error, never crash, leak or hang. An accepted array holds exactly
// the elements its shape promises, and writing its header back yields a file
// that reads back to the same array.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Npy.h"

#include <cstdlib>
#include <cstring>
#include <string>

using dsv2::runtime::NpyArray;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  absl::StatusOr<NpyArray> array = dsv2::runtime::parseNpyF32(
      "fuzz.npy", absl::Span<const uint8_t>(data, size));
  if (!array.ok()) {
    if (array.status().message().find('\n') != absl::string_view::npos)
      std::abort(); // errors are one line
    return 0;
  }
  uint64_t elements = 1;
  for (int64_t dim : array->shape) {
    if (dim < 0)
      std::abort();
    elements *= static_cast<uint64_t>(dim);
  }
  if (elements != array->data.size())
    std::abort();

  std::string file = dsv2::runtime::npyF32Header(array->shape);
  size_t headerBytes = file.size();
  file.resize(headerBytes + array->data.size() * sizeof(float));
  if (!array->data.empty())
    std::memcpy(&file[headerBytes], array->data.data(),
                array->data.size() * sizeof(float));
  absl::StatusOr<NpyArray> again = dsv2::runtime::parseNpyF32(
      "fuzz-round-trip.npy",
      absl::Span<const uint8_t>(reinterpret_cast<const uint8_t *>(file.data()),
                                file.size()));
  if (!again.ok() || again->shape != array->shape ||
      again->data.size() != array->data.size() ||
      (!array->data.empty() &&
       std::memcmp(again->data.data(), array->data.data(),
                   array->data.size() * sizeof(float)) != 0))
    std::abort(); // the writer and the reader disagree
  return 0;
}
