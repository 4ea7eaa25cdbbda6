//===- MappedFileTest.cpp - Read-only mmap tests --------------------------===//
//
// Contents, empty files, and the errors for missing paths and directories,
// for the mapping and for the huge-page copy.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/MappedFile.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "test/unit/runtime/TestFiles.h"

namespace dsv2::runtime {
namespace {

using testing::ScratchDir;

TEST(MappedFile, MapsTheWholeFile) {
  ScratchDir dir;
  const std::string path = dir.write("bytes.bin", std::string("abc\0def", 7));
  absl::StatusOr<std::unique_ptr<MappedFile>> file = MappedFile::open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ((*file)->size(), 7u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>((*file)->data()), 7),
            std::string("abc\0def", 7));
  EXPECT_EQ((*file)->path(), path);
}

TEST(MappedFile, EmptyFileHasNoData) {
  ScratchDir dir;
  absl::StatusOr<std::unique_ptr<MappedFile>> file =
      MappedFile::open(dir.write("empty.bin", ""));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->size(), 0u);
  EXPECT_EQ((*file)->data(), nullptr);
  EXPECT_TRUE((*file)->bytes().empty());
}

TEST(MappedFile, MissingFileNamesPathAndReason) {
  ScratchDir dir;
  const std::string path = dir.file("absent.bin");
  absl::StatusOr<std::unique_ptr<MappedFile>> file = MappedFile::open(path);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(file.status().message().find(path), std::string::npos);
  EXPECT_NE(file.status().message().find("No such file or directory"),
            std::string::npos)
      << file.status();
}

// Over 2 MiB and not a multiple of it: the copy starts on a huge-page
// boundary and holds exactly the file's bytes.
TEST(MappedFile, HugePageCopyHoldsTheWholeFile) {
  ScratchDir dir;
  std::string bytes((size_t{3} << 20) + 5, '\0');
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<char>((i * 2654435761u) >> 13);
  const std::string path = dir.write("big.bin", bytes);
  auto file = MappedFile::open(path, FileMemory::HugePageCopy);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->memory(), FileMemory::HugePageCopy);
  ASSERT_EQ((*file)->size(), bytes.size());
  EXPECT_EQ(reinterpret_cast<uintptr_t>((*file)->data()) % (size_t{2} << 20),
            0u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>((*file)->data()),
                        bytes.size()),
            bytes);
  auto mapped = MappedFile::open(path);
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  EXPECT_EQ((*mapped)->memory(), FileMemory::Mapped);
}

TEST(MappedFile, HugePageCopyOfEmptyAndMissingFiles) {
  ScratchDir dir;
  auto empty =
      MappedFile::open(dir.write("empty.bin", ""), FileMemory::HugePageCopy);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ((*empty)->size(), 0u);
  EXPECT_EQ((*empty)->data(), nullptr);
  const std::string path = dir.file("absent.bin");
  auto missing = MappedFile::open(path, FileMemory::HugePageCopy);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(path), std::string::npos);
  auto directory = MappedFile::open(dir.path(), FileMemory::HugePageCopy);
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MappedFile, DirectoryIsRejected) {
  ScratchDir dir;
  absl::StatusOr<std::unique_ptr<MappedFile>> file =
      MappedFile::open(dir.path());
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(file.status().message().find("not a regular file"),
            std::string::npos);
}

}  // namespace
}  // namespace dsv2::runtime
