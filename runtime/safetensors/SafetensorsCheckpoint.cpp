//===- SafetensorsCheckpoint.cpp - A whole safetensors checkpoint ---------===//
//
// Directory discovery, index parsing and validation, and the name table.
//
//===----------------------------------------------------------------------===//

#include "runtime/safetensors/SafetensorsCheckpoint.h"

#include <sys/stat.h>

#include <cerrno>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "runtime/io/MappedFile.h"
#include "runtime/io/PrintableText.h"
#include "runtime/safetensors/SafetensorsLayout.h"

namespace dsv2::runtime {
namespace {

using Json = nlohmann::json;

enum class PathKind { Missing, RegularFile, Directory, Other };

PathKind pathKind(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) return PathKind::Missing;
  if (S_ISREG(info.st_mode)) return PathKind::RegularFile;
  if (S_ISDIR(info.st_mode)) return PathKind::Directory;
  return PathKind::Other;
}

std::string joinPath(absl::string_view dir, absl::string_view name) {
  if (dir.empty()) return std::string(name);
  if (dir.back() == '/') return absl::StrCat(dir, name);
  return absl::StrCat(dir, "/", name);
}

/// Whether an index's shard name stays inside the checkpoint directory.
bool isSafeShardName(absl::string_view name) {
  if (name.empty() || name.front() == '/') return false;
  for (absl::string_view part : absl::StrSplit(name, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  return name.find('\0') == absl::string_view::npos;
}

std::string quotedName(absl::string_view text) {
  return absl::StrCat("'", printableText(text), "'");
}

/// The `weight_map` of the index file at `indexPath`: tensor -> shard.
absl::StatusOr<std::map<std::string, std::string>> readWeightMap(
    const std::string& indexPath) {
  auto invalid = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(indexPath, ": ", what));
  };
  absl::StatusOr<std::unique_ptr<MappedFile>> file =
      MappedFile::open(indexPath);
  if (!file.ok()) return file.status();
  if ((*file)->size() > kMaxSafetensorsHeaderBytes) {
    return invalid(absl::StrCat("index is ", (*file)->size(),
                                " bytes, more than the limit of ",
                                kMaxSafetensorsHeaderBytes));
  }
  Json index;
  try {
    const uint8_t* begin = (*file)->data();
    index = Json::parse(begin, begin + (*file)->size());
  } catch (const Json::exception& error) {
    return invalid(absl::StrCat("index is not valid JSON: ",
                                printableText(error.what(), 300)));
  }
  if (!index.is_object()) return invalid("index is not a JSON object");
  const auto weightMapIt = index.find("weight_map");
  if (weightMapIt == index.end() || !weightMapIt->is_object()) {
    return invalid("index has no \"weight_map\" object");
  }
  if (weightMapIt->empty()) return invalid("index's weight_map is empty");
  std::map<std::string, std::string> weightMap;
  for (const auto& [name, shard] : weightMapIt->items()) {
    if (!shard.is_string()) {
      return invalid(absl::StrCat("weight_map entry for tensor ", quotedName(name),
                                  " is not a file name string"));
    }
    const std::string& shardName = shard.get_ref<const std::string&>();
    if (!isSafeShardName(shardName)) {
      return invalid(absl::StrCat("weight_map sends tensor ", quotedName(name),
                                  " to ", quotedName(shardName),
                                  ", which is not a file name inside the "
                                  "checkpoint directory"));
    }
    weightMap.emplace(name, shardName);
  }
  return weightMap;
}

}  // namespace

absl::StatusOr<SafetensorsCheckpoint> SafetensorsCheckpoint::openDirectory(
    const std::string& dir) {
  switch (pathKind(dir)) {
    case PathKind::Missing:
      return absl::NotFoundError(
          absl::StrCat("checkpoint directory ", dir, " does not exist"));
    case PathKind::Directory:
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("checkpoint path ", dir, " is not a directory"));
  }
  const std::string indexPath = joinPath(dir, kSafetensorsIndexFileName);
  if (pathKind(indexPath) != PathKind::Missing) {
    return openIndex(dir, indexPath);
  }
  const std::string singlePath = joinPath(dir, kSafetensorsSingleFileName);
  if (pathKind(singlePath) != PathKind::Missing) {
    absl::StatusOr<SafetensorsCheckpoint> checkpoint = openFile(singlePath);
    if (checkpoint.ok()) checkpoint->source_ = dir;
    return checkpoint;
  }
  return absl::NotFoundError(
      absl::StrCat("no ", kSafetensorsSingleFileName, " or ",
                   kSafetensorsIndexFileName, " in ", dir));
}

absl::StatusOr<SafetensorsCheckpoint> SafetensorsCheckpoint::openFile(
    const std::string& path) {
  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::open(path);
  if (!file.ok()) return file.status();
  std::vector<SafetensorsFile> files;
  files.push_back(*std::move(file));
  std::map<std::string, const TensorView*, std::less<>> tensors;
  for (const TensorView& tensor : files.front().tensors()) {
    tensors.emplace(tensor.name, &tensor);
  }
  return SafetensorsCheckpoint(path, std::move(files), std::move(tensors));
}

absl::StatusOr<SafetensorsCheckpoint> SafetensorsCheckpoint::openIndex(
    const std::string& dir, const std::string& indexPath) {
  absl::StatusOr<std::map<std::string, std::string>> weightMap =
      readWeightMap(indexPath);
  if (!weightMap.ok()) return weightMap.status();

  // Every shard must exist before any is mapped, so the first error names
  // the missing file rather than a later, unrelated problem.
  std::map<std::string, std::string> exampleTensorOfShard;
  for (const auto& [name, shard] : *weightMap) {
    exampleTensorOfShard.emplace(shard, name);
  }
  for (const auto& [shard, name] : exampleTensorOfShard) {
    if (pathKind(joinPath(dir, shard)) == PathKind::Missing) {
      return absl::NotFoundError(absl::StrCat(
          indexPath, ": weight_map sends tensor ", quotedName(name), " to ",
          quotedName(shard), ", which does not exist in ", dir));
    }
  }

  std::vector<SafetensorsFile> files;
  std::map<std::string, size_t> fileIndexOfShard;
  files.reserve(exampleTensorOfShard.size());
  for (const auto& entry : exampleTensorOfShard) {
    absl::StatusOr<SafetensorsFile> file =
        SafetensorsFile::open(joinPath(dir, entry.first));
    if (!file.ok()) return file.status();
    fileIndexOfShard.emplace(entry.first, files.size());
    files.push_back(*std::move(file));
  }

  std::map<std::string, const TensorView*, std::less<>> tensors;
  for (const auto& [name, shard] : *weightMap) {
    const TensorView* tensor = files[fileIndexOfShard.at(shard)].find(name);
    if (tensor == nullptr) {
      return absl::NotFoundError(absl::StrCat(
          indexPath, ": weight_map sends tensor ", quotedName(name), " to ",
          quotedName(shard), ", but that file has no such tensor"));
    }
    tensors.emplace(name, tensor);
  }
  return SafetensorsCheckpoint(dir, std::move(files), std::move(tensors));
}

const TensorView* SafetensorsCheckpoint::find(absl::string_view name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : it->second;
}

std::vector<std::string> SafetensorsCheckpoint::names() const {
  std::vector<std::string> result;
  result.reserve(tensors_.size());
  for (const auto& entry : tensors_) result.push_back(entry.first);
  return result;
}

}  // namespace dsv2::runtime
