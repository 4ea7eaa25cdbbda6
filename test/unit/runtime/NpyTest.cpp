//===- NpyTest.cpp - .npy reader and writer tests -------------------------===//
//
// Byte-exact headers (as numpy.save writes them), round trips, format 2.0,
// atomic writes and every rejected input class.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Npy.h"

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "test/unit/runtime/ExpectError.h"
#include "test/unit/runtime/TestFiles.h"

namespace dsv2::runtime {
namespace {

using testing::expectError;
using testing::f32Bytes;
using testing::readFileBytes;
using testing::ScratchDir;

/// A .npy file with the given raw header dict (format 1.0), padded as numpy
/// pads it, followed by `data`.
std::string npyWithDict(const std::string& dict, const std::string& data,
                        int major = 1) {
  const size_t prefix = major == 1 ? 10 : 12;
  const size_t padding = 64 - (prefix + dict.size() + 1) % 64;
  const size_t length = dict.size() + padding + 1;
  std::string bytes = "\x93NUMPY";
  bytes += static_cast<char>(major);
  bytes += '\0';
  for (size_t i = 0; i < prefix - 8; ++i) {
    bytes += static_cast<char>((length >> (8 * i)) & 0xff);
  }
  return bytes + dict + std::string(padding, ' ') + "\n" + data;
}

TEST(Npy, HeaderMatchesNumpySaveByteForByte) {
  // numpy.save(np.zeros((3, 256), np.float32)) writes exactly this header.
  const std::string expected =
      std::string("\x93NUMPY\x01\x00\x76\x00", 10) +
      "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 256), }" +
      std::string(18 + 38, ' ') + "\n";
  ASSERT_EQ(expected.size(), 128u);
  EXPECT_EQ(npyF32Header({3, 256}), expected);
}

TEST(Npy, WrittenFileStartsWithMagicAndAlignsData) {
  ScratchDir dir;
  const std::string path = dir.file("logits.npy");
  std::vector<float> values(3 * 256);
  for (size_t i = 0; i < values.size(); ++i) values[i] = 0.5f * static_cast<float>(i) - 7;
  ASSERT_TRUE(writeNpyF32(path, {3, 256}, values).ok());

  const std::string bytes = readFileBytes(path);
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const size_t headerLength = static_cast<unsigned char>(bytes[8]) |
                              (static_cast<unsigned char>(bytes[9]) << 8);
  const size_t dataStart = 10 + headerLength;
  EXPECT_EQ(dataStart % 64, 0u);
  EXPECT_EQ(bytes[dataStart - 1], '\n');
  EXPECT_EQ(bytes.substr(10, 61),
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 256), }");
  EXPECT_EQ(bytes.size(), dataStart + values.size() * 4);
  EXPECT_EQ(bytes.substr(dataStart), f32Bytes(values));
}

TEST(Npy, HeaderSpellsTuplesLikePython) {
  EXPECT_NE(npyF32Header({5}).find("'shape': (5,), }"), std::string::npos);
  EXPECT_NE(npyF32Header({}).find("'shape': (), }"), std::string::npos);
  EXPECT_NE(npyF32Header({2, 3, 4}).find("'shape': (2, 3, 4), }"),
            std::string::npos);
  for (const std::vector<int64_t>& shape :
       {std::vector<int64_t>{}, {1}, {123456789012}, {2, 3, 4, 5, 6, 7}}) {
    EXPECT_EQ(npyF32Header(shape).size() % 64, 0u);
  }
}

TEST(Npy, RoundTripsShapesAndValues) {
  ScratchDir dir;
  const std::vector<std::pair<std::vector<int64_t>, std::vector<float>>>
      cases = {{{2, 3}, {1, 2, 3, 4, 5, -6.25f}},
               {{4}, {0.1f, -0.0f, 1e30f, -1e-30f}},
               {{}, {42}},
               {{0, 7}, {}},
               {{1, 1, 2}, {3, 4}}};
  for (const auto& [shape, values] : cases) {
    const std::string path = dir.file("a.npy");
    ASSERT_TRUE(writeNpyF32(path, shape, values).ok());
    absl::StatusOr<NpyArray> array = readNpyF32(path);
    ASSERT_TRUE(array.ok()) << array.status();
    EXPECT_EQ(array->shape, shape);
    EXPECT_EQ(f32Bytes(array->data), f32Bytes(values));
  }
}

TEST(Npy, ReadsNumpyWrittenFile) {
  // numpy.save of np.array([[1, 2, 3], [4, 5, 6]], np.float32).
  ScratchDir dir;
  const std::string path = dir.write(
      "numpy.npy",
      npyWithDict("{'descr': '<f4', 'fortran_order': False, 'shape': (2, "
                  "3), }" + std::string(20, ' '),
                  f32Bytes({1, 2, 3, 4, 5, 6})));
  ASSERT_EQ(readFileBytes(path).size(), 152u);
  absl::StatusOr<NpyArray> array = readNpyF32(path);
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_EQ(array->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(array->data, (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(Npy, ReadsFormatVersion2) {
  ScratchDir dir;
  const std::string path = dir.write(
      "v2.npy", npyWithDict("{'descr': '<f4', 'fortran_order': False, "
                            "'shape': (2,), }",
                            f32Bytes({1.5f, -2}), /*major=*/2));
  absl::StatusOr<NpyArray> array = readNpyF32(path);
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_EQ(array->shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(array->data, (std::vector<float>{1.5f, -2}));
}

TEST(Npy, AcceptsKeysInAnyOrderAndDoubleQuotes) {
  ScratchDir dir;
  const std::string path = dir.write(
      "order.npy", npyWithDict("{\"shape\": (1, 2), 'fortran_order': False, "
                               "'descr': '<f4'}",
                               f32Bytes({7, 8})));
  absl::StatusOr<NpyArray> array = readNpyF32(path);
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_EQ(array->data, (std::vector<float>{7, 8}));
}

TEST(Npy, RejectsFortranOrder) {
  ScratchDir dir;
  const std::string path = dir.write(
      "f.npy", npyWithDict("{'descr': '<f4', 'fortran_order': True, "
                           "'shape': (2, 2), }",
                           f32Bytes({1, 2, 3, 4})));
  expectError(readNpyF32(path).status(), absl::StatusCode::kInvalidArgument,
              {path, "Fortran"});
}

TEST(Npy, RejectsOtherDtypesByName) {
  ScratchDir dir;
  for (const std::string descr : {"<f8", ">f4", "<i4", "|u1", "<f2"}) {
    const std::string path = dir.write(
        "d.npy", npyWithDict("{'descr': '" + descr +
                                 "', 'fortran_order': False, 'shape': (2,), }",
                             std::string(16, '\0')));
    expectError(readNpyF32(path).status(), absl::StatusCode::kInvalidArgument,
                {path, "dtype '" + descr + "'", "'<f4'"});
  }
}

TEST(Npy, RejectsTruncatedData) {
  ScratchDir dir;
  const std::string path = dir.write(
      "t.npy", npyWithDict("{'descr': '<f4', 'fortran_order': False, "
                           "'shape': (3, 4), }",
                           f32Bytes({1, 2, 3, 4, 5})));
  expectError(readNpyF32(path).status(), absl::StatusCode::kDataLoss,
              {path, "truncated", "48 bytes", "20 follow"});
}

TEST(Npy, RejectsHugeShapeWithoutAllocating) {
  ScratchDir dir;
  const std::string path = dir.write(
      "h.npy", npyWithDict("{'descr': '<f4', 'fortran_order': False, "
                           "'shape': (4611686018427387904, 4), }",
                           ""));
  expectError(readNpyF32(path).status(), absl::StatusCode::kDataLoss,
              {path, "truncated"});
  const std::string overflow = dir.write(
      "o.npy", npyWithDict("{'descr': '<f4', 'fortran_order': False, "
                           "'shape': (99999999999999999999, 1), }",
                           ""));
  expectError(readNpyF32(overflow).status(),
              absl::StatusCode::kInvalidArgument, {overflow, "64 bits"});
}

TEST(Npy, RejectsBadMagicAndShortFiles) {
  ScratchDir dir;
  const std::string text = dir.write("text.npy", "hello, world");
  expectError(readNpyF32(text).status(), absl::StatusCode::kInvalidArgument,
              {text, "not a .npy file"});
  const std::string empty = dir.write("empty.npy", "");
  expectError(readNpyF32(empty).status(), absl::StatusCode::kInvalidArgument,
              {empty, "not a .npy file"});
  const std::string preamble =
      dir.write("short.npy", std::string("\x93NUMPY\x01", 7));
  expectError(readNpyF32(preamble).status(), absl::StatusCode::kDataLoss,
              {preamble, "preamble"});
}

TEST(Npy, RejectsHeaderLengthPastEnd) {
  ScratchDir dir;
  const std::string path = dir.write(
      "p.npy", std::string("\x93NUMPY\x01\x00\xff\x7f{'descr'", 17));
  expectError(readNpyF32(path).status(), absl::StatusCode::kDataLoss,
              {path, "header length 32767 runs past the end"});
}

TEST(Npy, RejectsUnsupportedVersion) {
  ScratchDir dir;
  std::string bytes = npyWithDict(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
      f32Bytes({1}));
  bytes[6] = 9;
  const std::string path = dir.write("v.npy", bytes);
  expectError(readNpyF32(path).status(), absl::StatusCode::kInvalidArgument,
              {path, "version 9.0"});
}

TEST(Npy, RejectsMalformedHeaderDicts) {
  ScratchDir dir;
  for (const std::string dict :
       {"{'descr': '<f4', 'fortran_order': False}",
        "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': [1]}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}",
        "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
        "'shape': (1,)}",
        "{'descr': '<f4 , 'fortran_order': False, 'shape': (1,)}",
        "'descr': '<f4', 'fortran_order': False, 'shape': (1,)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} junk"}) {
    const std::string path = dir.write("m.npy", npyWithDict(dict, "\0\0\0\0"));
    absl::Status status = readNpyF32(path).status();
    expectError(status, absl::StatusCode::kInvalidArgument, {path});
  }
}

TEST(Npy, WriteRejectsShapeDataMismatch) {
  ScratchDir dir;
  const std::string path = dir.file("x.npy");
  expectError(writeNpyF32(path, {2, 3}, std::vector<float>(5)),
              absl::StatusCode::kInvalidArgument,
              {path, "(2, 3) holds 6 elements but 5"});
  expectError(writeNpyF32(path, {-1}, std::vector<float>(1)),
              absl::StatusCode::kInvalidArgument, {path, "negative"});
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(Npy, WriteIsAtomicAndLeavesNoTemporary) {
  ScratchDir dir;
  const std::string path = dir.write("out.npy", "old contents");
  ASSERT_TRUE(writeNpyF32(path, {2}, std::vector<float>{1, 2}).ok());
  EXPECT_TRUE(readNpyF32(path).ok());
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
  EXPECT_FALSE(std::filesystem::exists(
      absl::StrCat(path, ".tmp.", static_cast<long>(::getpid()))));
}

TEST(Npy, WriteIntoMissingDirectoryNamesThePath) {
  ScratchDir dir;
  const std::string path = dir.file("no/such/dir/x.npy");
  expectError(writeNpyF32(path, {1}, std::vector<float>{1}),
              absl::StatusCode::kNotFound, {path});
}

}  // namespace
}  // namespace dsv2::runtime
