//===- SafetensorsLayout.h - Validated safetensors header -------*- C++ -*-===//
//
// Parses and validates the header of a safetensors file held in memory:
//
//   [u64 little-endian N][N bytes of JSON header][data section]
//
// Every tensor's dtype, shape and byte range are checked against the bytes
// actually present, so the views it returns never point outside `bytes`.
// Works on any input (it is the fuzzing entry point for the format).
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_SAFETENSORS_SAFETENSORSLAYOUT_H
#define RUNTIME_SAFETENSORS_SAFETENSORSLAYOUT_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "runtime/safetensors/TensorView.h"

namespace dsv2::runtime {

/// The largest JSON header accepted, in bytes (the limit the reference
/// safetensors implementation uses).
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

/// The tensors and metadata of one safetensors file.
struct SafetensorsLayout {
  /// All tensors, sorted by name; their `data` points into the parsed bytes.
  std::vector<TensorView> tensors;
  /// The optional `__metadata__` string map.
  std::map<std::string, std::string> metadata;
};

/// Validates `bytes` as a safetensors file. `path` only labels the messages:
/// every error is one line "PATH: problem" with code DataLoss (the bytes end
/// too early or a range lies outside them) or InvalidArgument (anything
/// else malformed or unsupported).
absl::StatusOr<SafetensorsLayout> parseSafetensorsLayout(
    absl::string_view path, absl::Span<const uint8_t> bytes);

}  // namespace dsv2::runtime

#endif  // RUNTIME_SAFETENSORS_SAFETENSORSLAYOUT_H
