//===- TestFiles.cpp - Scratch files for runtime unit tests ---------------===//
//
// Implementation of the scratch directory and the safetensors builder.
//
//===----------------------------------------------------------------------===//

#include "test/unit/runtime/TestFiles.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dsv2::runtime::testing {

ScratchDir::ScratchDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(
      base != nullptr && *base != '\0' ? base : "/tmp", "/dsv2-rt-XXXXXX");
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed for " + pattern);
  }
  path_ = buffer.data();
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string ScratchDir::file(const std::string& name) const {
  return path_ + "/" + name;
}

std::string ScratchDir::write(const std::string& name,
                              const std::string& bytes) const {
  const std::string path = file(name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
  return path;
}

std::string readFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::string f32Bytes(const std::vector<float>& values) {
  std::string bytes(values.size() * sizeof(float), '\0');
  if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

std::string u16Bytes(const std::vector<uint16_t>& values) {
  std::string bytes;
  for (uint16_t value : values) {
    bytes += static_cast<char>(value & 0xff);
    bytes += static_cast<char>(value >> 8);
  }
  return bytes;
}

std::string safetensorsHeaderJson(const std::vector<TestTensor>& tensors,
                                  const std::string& metadataJson) {
  std::vector<std::string> entries;
  if (!metadataJson.empty()) {
    entries.push_back(absl::StrCat("\"__metadata__\":", metadataJson));
  }
  uint64_t offset = 0;
  for (const TestTensor& tensor : tensors) {
    uint64_t begin = offset, end = offset + tensor.bytes.size();
    offset = end;
    if (tensor.offsetsOverride.has_value()) {
      begin = tensor.offsetsOverride->first;
      end = tensor.offsetsOverride->second;
    }
    entries.push_back(absl::StrCat(
        "\"", tensor.name, "\":{\"dtype\":\"", tensor.dtype, "\",\"shape\":[",
        absl::StrJoin(tensor.shape, ","), "],\"data_offsets\":[", begin, ",",
        end, "]}"));
  }
  return absl::StrCat("{", absl::StrJoin(entries, ","), "}");
}

std::string safetensorsData(const std::vector<TestTensor>& tensors) {
  std::string data;
  for (const TestTensor& tensor : tensors) data += tensor.bytes;
  return data;
}

std::string assembleSafetensors(const std::string& header,
                                const std::string& data,
                                std::optional<uint64_t> lengthOverride) {
  const uint64_t length = lengthOverride.value_or(header.size());
  std::string bytes;
  for (int i = 0; i < 8; ++i) {
    bytes += static_cast<char>((length >> (8 * i)) & 0xff);
  }
  return bytes + header + data;
}

std::string buildSafetensors(const std::vector<TestTensor>& tensors) {
  return assembleSafetensors(safetensorsHeaderJson(tensors),
                             safetensorsData(tensors));
}

}  // namespace dsv2::runtime::testing
