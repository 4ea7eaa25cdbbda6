//===- TestFiles.h - Scratch files for runtime unit tests -------*- C++ -*-===//
//
// A temporary directory that removes itself, and a builder for small
// safetensors files whose header a test may corrupt at will.
//
//===----------------------------------------------------------------------===//

#ifndef TEST_UNIT_RUNTIME_TESTFILES_H
#define TEST_UNIT_RUNTIME_TESTFILES_H

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dsv2::runtime::testing {

/// A fresh directory under the test temp dir, deleted (recursively) on
/// destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  /// `path()/name`.
  std::string file(const std::string& name) const;
  /// Writes `bytes` to `path()/name` and returns that path.
  std::string write(const std::string& name, const std::string& bytes) const;

 private:
  std::string path_;
};

/// Reads a whole file (empty string when it cannot be read).
std::string readFileBytes(const std::string& path);

/// Little-endian bytes of float32 values.
std::string f32Bytes(const std::vector<float>& values);
/// Little-endian bytes of 16-bit patterns (bf16 or f16).
std::string u16Bytes(const std::vector<uint16_t>& values);

/// One tensor of a test safetensors file.
struct TestTensor {
  std::string name;
  /// The header's dtype string; may be any text, supported or not.
  std::string dtype;
  std::vector<int64_t> shape;
  /// The tensor's raw bytes in the data section.
  std::string bytes;
  /// When set, written as data_offsets instead of the tensor's real range.
  std::optional<std::pair<uint64_t, uint64_t>> offsetsOverride;
};

/// The JSON header for `tensors`, laid out back to back in the given order,
/// with an optional `__metadata__` entry first.
std::string safetensorsHeaderJson(const std::vector<TestTensor>& tensors,
                                  const std::string& metadataJson = "");

/// The concatenated data section of `tensors`.
std::string safetensorsData(const std::vector<TestTensor>& tensors);

/// `[u64 length][header][data]`; `lengthOverride` replaces the length field.
std::string assembleSafetensors(const std::string& header,
                                const std::string& data,
                                std::optional<uint64_t> lengthOverride = {});

/// A complete, valid safetensors file holding `tensors`.
std::string buildSafetensors(const std::vector<TestTensor>& tensors);

}  // namespace dsv2::runtime::testing

#endif  // TEST_UNIT_RUNTIME_TESTFILES_H
