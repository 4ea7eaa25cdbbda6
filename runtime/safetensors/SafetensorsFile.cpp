//===- SafetensorsFile.cpp - One memory-mapped safetensors file -----------===//
//
// mmap + parseSafetensorsLayout; lookup by binary search over sorted names.
//
//===----------------------------------------------------------------------===//

#include "runtime/safetensors/SafetensorsFile.h"

#include <algorithm>

#include "runtime/safetensors/SafetensorsLayout.h"

namespace dsv2::runtime {

absl::StatusOr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<MappedFile>> file = MappedFile::open(path);
  if (!file.ok()) return file.status();
  absl::StatusOr<SafetensorsLayout> layout =
      parseSafetensorsLayout(path, (*file)->bytes());
  if (!layout.ok()) return layout.status();
  return SafetensorsFile(*std::move(file), std::move(layout->tensors),
                         std::move(layout->metadata));
}

const TensorView* SafetensorsFile::find(absl::string_view name) const {
  auto it = std::lower_bound(
      tensors_.begin(), tensors_.end(), name,
      [](const TensorView& tensor, absl::string_view key) {
        return absl::string_view(tensor.name) < key;
      });
  if (it == tensors_.end() || it->name != name) return nullptr;
  return &*it;
}

}  // namespace dsv2::runtime
