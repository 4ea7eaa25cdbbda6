//===- Npy.h - float32 arrays in NumPy's .npy format ------------*- C++ -*-===//
//
// Reads and writes float32 arrays as .npy files, the format `--dump-logits`
// produces and the golden fixtures use. Files written here are byte-identical
// to `numpy.save` of a C-ordered float32 array (format 1.0, '<f4', header
// padded so the data starts at a multiple of 64 bytes).
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_IO_NPY_H
#define RUNTIME_IO_NPY_H

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace dsv2::runtime {

/// A dense float32 array in C (row-major) order.
struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

/// The .npy header (magic, version, length, dict, padding) that numpy writes
/// for a C-ordered little-endian float32 array of `shape`. The data follows
/// it directly. Exposed for tests and for writers that stream the data.
std::string npyF32Header(absl::Span<const int64_t> shape);

/// Writes `data` with `shape` to `path` atomically: the bytes go to
/// `path.tmp.<pid>`, which is then renamed over `path`. InvalidArgument when
/// a dimension is negative or the element count does not match `data.size()`.
absl::Status writeNpyF32(const std::string& path,
                         absl::Span<const int64_t> shape,
                         absl::Span<const float> data);

/// Reads a .npy file holding a little-endian float32 ('<f4') array in C
/// order (format 1.0, 2.0 or 3.0). Other dtypes, Fortran order, malformed
/// headers and truncated data are errors that name the file and the problem.
absl::StatusOr<NpyArray> readNpyF32(const std::string& path);

/// As `readNpyF32`, on the bytes of a file already in memory; `path` only
/// labels error messages.
absl::StatusOr<NpyArray> parseNpyF32(const std::string& path,
                                     absl::Span<const uint8_t> bytes);

}  // namespace dsv2::runtime

#endif  // RUNTIME_IO_NPY_H
