//===- MappedFileTest.cpp - Read-only mmap tests --------------------------===//
//
// Contents, empty files, and the errors for missing paths and directories.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/MappedFile.h"

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
