//===- SafetensorsFileTest.cpp - Single-file safetensors tests ------------===//
//
// Values of every supported dtype, and one test per class of bad input; a
// mutation sweep checks that no corruption crashes the reader.
//
//===----------------------------------------------------------------------===//

#include "runtime/safetensors/SafetensorsFile.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/safetensors/SafetensorsLayout.h"
#include "runtime/safetensors/TensorConversion.h"
#include "test/unit/runtime/ExpectError.h"
#include "test/unit/runtime/TestFiles.h"

namespace dsv2::runtime {
namespace {

using testing::assembleSafetensors;
using testing::buildSafetensors;
using testing::expectError;
using testing::f32Bytes;
using testing::safetensorsData;
using testing::safetensorsHeaderJson;
using testing::ScratchDir;
using testing::TestTensor;
using testing::u16Bytes;

/// Three small tensors, one of each supported dtype.
std::vector<TestTensor> oneOfEachDtype() {
  return {
      {"a.f32", "F32", {2, 2}, f32Bytes({1.5f, -2.0f, 3.25f, 1e-3f}), {}},
      // bf16: 1.0, -2.0, 0.5 (0x3f00), 3.0 (0x4040), -0.0, inf
      {"b.bf16", "BF16", {3, 2},
       u16Bytes({0x3f80, 0xc000, 0x3f00, 0x4040, 0x8000, 0x7f80}), {}},
      // f16: 1.0, -2.0, 65504, 2^-24
      {"c.f16", "F16", {4}, u16Bytes({0x3c00, 0xc000, 0x7bff, 0x0001}), {}},
  };
}

absl::StatusOr<SafetensorsFile> openBytes(const ScratchDir& dir,
                                          const std::string& bytes,
                                          std::string* path = nullptr) {
  const std::string written = dir.write("model.safetensors", bytes);
  if (path != nullptr) *path = written;
  return SafetensorsFile::open(written);
}

TEST(SafetensorsFile, ReadsEveryDtype) {
  ScratchDir dir;
  absl::StatusOr<SafetensorsFile> file =
      openBytes(dir, buildSafetensors(oneOfEachDtype()));
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(file->tensors().size(), 3u);

  const TensorView* f32 = file->find("a.f32");
  ASSERT_NE(f32, nullptr);
  EXPECT_EQ(f32->dtype, DType::F32);
  EXPECT_EQ(f32->shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(f32->numBytes, 16u);
  EXPECT_EQ(toFloat32(*f32), (std::vector<float>{1.5f, -2.0f, 3.25f, 1e-3f}));

  const TensorView* bf16 = file->find("b.bf16");
  ASSERT_NE(bf16, nullptr);
  EXPECT_EQ(bf16->dtype, DType::BF16);
  EXPECT_EQ(bf16->numElements(), 6u);
  const std::vector<float> bf16Values = toFloat32(*bf16);
  EXPECT_EQ(bf16Values, (std::vector<float>{1.0f, -2.0f, 0.5f, 3.0f, -0.0f,
                                            INFINITY}));
  EXPECT_TRUE(std::signbit(bf16Values[4]));

  const TensorView* f16 = file->find("c.f16");
  ASSERT_NE(f16, nullptr);
  EXPECT_EQ(f16->dtype, DType::F16);
  std::vector<float> f16Values(4);
  copyAsFloat32(*f16, f16Values.data());
  EXPECT_EQ(f16Values,
            (std::vector<float>{1.0f, -2.0f, 65504.0f, 5.9604644775390625e-8f}));

  EXPECT_EQ(file->find("missing"), nullptr);
  EXPECT_EQ(file->find("a"), nullptr);
}

TEST(SafetensorsFile, AcceptsMetadataScalarsAndEmptyTensors) {
  ScratchDir dir;
  const std::vector<TestTensor> tensors = {
      {"scalar", "F32", {}, f32Bytes({7}), {}},
      {"empty", "BF16", {0, 4096}, "", {}},
      {"after", "F16", {1}, u16Bytes({0x3c00}), {}},
  };
  absl::StatusOr<SafetensorsFile> file = openBytes(
      dir, assembleSafetensors(
               safetensorsHeaderJson(tensors, R"({"format":"pt"})") + "   ",
               safetensorsData(tensors)));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->metadata().at("format"), "pt");
  EXPECT_EQ(toFloat32(*file->find("scalar")), (std::vector<float>{7}));
  EXPECT_EQ(file->find("empty")->numElements(), 0u);
  EXPECT_TRUE(toFloat32(*file->find("empty")).empty());
  EXPECT_EQ(toFloat32(*file->find("after")), (std::vector<float>{1}));
}

TEST(SafetensorsFile, RejectsFileShorterThanEightBytes) {
  ScratchDir dir;
  std::string path;
  for (const std::string& bytes : {std::string(), std::string("\x10\0\0", 3),
                                  std::string(7, '\0')}) {
    expectError(openBytes(dir, bytes, &path).status(),
                absl::StatusCode::kDataLoss, {path, "too short"});
  }
}

TEST(SafetensorsFile, RejectsTruncatedDataSection) {
  ScratchDir dir;
  std::string path;
  std::string bytes = buildSafetensors(oneOfEachDtype());
  bytes.resize(bytes.size() - 3);
  expectError(openBytes(dir, bytes, &path).status(),
              absl::StatusCode::kDataLoss,
              {path, "offsets [28, 36) of tensor 'c.f16'",
               "lie outside the data section (33 bytes)"});
}

TEST(SafetensorsFile, RejectsHeaderLengthPastTheEnd) {
  ScratchDir dir;
  std::string path;
  const std::vector<TestTensor> tensors = oneOfEachDtype();
  const std::string header = safetensorsHeaderJson(tensors);
  const std::string bytes =
      assembleSafetensors(header, "", /*lengthOverride=*/header.size() + 1);
  expectError(openBytes(dir, bytes, &path).status(),
              absl::StatusCode::kDataLoss,
              {path, "header length " + std::to_string(header.size() + 1) +
                         " runs past the end of the file (size " +
                         std::to_string(bytes.size()) + ")"});
  // A length near 2^64 must not wrap around when added to 8.
  expectError(openBytes(dir, assembleSafetensors(header, "", ~uint64_t{0}),
                        &path)
                  .status(),
              absl::StatusCode::kInvalidArgument, {path, "exceeds the limit"});
  expectError(openBytes(dir, assembleSafetensors(header, "", 100'000'001),
                        &path)
                  .status(),
              absl::StatusCode::kInvalidArgument, {path, "exceeds the limit"});
}

TEST(SafetensorsFile, RejectsMalformedJson) {
  ScratchDir dir;
  std::string path;
  for (const std::string& header :
       {std::string("{\"a\": {\"dtype\": \"F32\""), std::string("not json"),
        std::string(""), std::string("{\"a\":1,}"),
        std::string("{\"a\":\n\x01}")}) {
    expectError(openBytes(dir, assembleSafetensors(header, ""), &path).status(),
                absl::StatusCode::kInvalidArgument,
                {path, "header is not valid JSON", "parse error"});
  }
}

TEST(SafetensorsFile, RejectsDeeplyNestedJson) {
  ScratchDir dir;
  std::string path;
  const std::string header = "{\"a\":" + std::string(100000, '[') +
                             std::string(100000, ']') + "}";
  expectError(openBytes(dir, assembleSafetensors(header, ""), &path).status(),
              absl::StatusCode::kInvalidArgument, {path, "nests deeper"});
}

TEST(SafetensorsFile, RejectsHeaderThatIsNotAnObject) {
  ScratchDir dir;
  std::string path;
  expectError(openBytes(dir, assembleSafetensors("[1, 2]", ""), &path).status(),
              absl::StatusCode::kInvalidArgument,
              {path, "header is not a JSON object"});
}

TEST(SafetensorsFile, RejectsOverlappingRanges) {
  ScratchDir dir;
  std::string path;
  std::vector<TestTensor> tensors = {
      {"first", "F32", {4}, f32Bytes({1, 2, 3, 4}), {}},
      {"second", "F32", {2}, f32Bytes({5, 6}), std::make_pair(8, 16)},
      {"third", "F32", {1}, f32Bytes({7}), std::make_pair(20, 24)},
  };
  expectError(openBytes(dir, buildSafetensors(tensors), &path).status(),
              absl::StatusCode::kInvalidArgument,
              {path, "'first' [0, 16)", "'second' [8, 16)", "overlap"});

  // A long tensor covering a later, shorter one is found too.
  tensors = {
      {"long", "F32", {6}, f32Bytes({1, 2, 3, 4, 5, 6}), {}},
      {"inner", "F32", {1}, f32Bytes({0}), std::make_pair(16, 20)},
      {"short", "F32", {1}, f32Bytes({0}), std::make_pair(0, 4)},
  };
  expectError(openBytes(dir, buildSafetensors(tensors), &path).status(),
              absl::StatusCode::kInvalidArgument, {"'long'", "overlap"});
}

TEST(SafetensorsFile, AllowsEmptyTensorsAtAnyOffset) {
  ScratchDir dir;
  std::vector<TestTensor> tensors = {
      {"data", "F32", {2}, f32Bytes({1, 2}), {}},
      {"empty", "F32", {0}, "", std::make_pair(4, 4)},
  };
  absl::StatusOr<SafetensorsFile> file =
      openBytes(dir, buildSafetensors(tensors));
  ASSERT_TRUE(file.ok()) << file.status();
}

TEST(SafetensorsFile, RejectsOffsetsOutsideTheDataSection) {
  ScratchDir dir;
  std::string path;
  std::vector<TestTensor> tensors = {
      {"w", "F32", {2}, f32Bytes({1, 2}), std::make_pair(4, 12)},
  };
  expectError(openBytes(dir, buildSafetensors(tensors), &path).status(),
              absl::StatusCode::kDataLoss,
              {path, "offsets [4, 12) of tensor 'w' lie outside the data "
                     "section (8 bytes)"});
  // Offsets near 2^64 must not wrap around.
  tensors[0].offsetsOverride =
      std::make_pair(uint64_t{18446744073709551608u}, ~uint64_t{0});
  expectError(openBytes(dir, buildSafetensors(tensors), &path).status(),
              absl::StatusCode::kDataLoss, {path, "outside the data section"});
}

TEST(SafetensorsFile, RejectsBeginAfterEnd) {
  ScratchDir dir;
  std::string path;
  const std::vector<TestTensor> tensors = {
      {"w", "F32", {1}, f32Bytes({1, 2}), std::make_pair(8, 4)},
  };
  expectError(openBytes(dir, buildSafetensors(tensors), &path).status(),
              absl::StatusCode::kInvalidArgument,
              {path, "offsets [8, 4) of tensor 'w' begin after they end"});
}

TEST(SafetensorsFile, RejectsUnsupportedDtypesByName) {
  ScratchDir dir;
  std::string path;
  for (const std::string dtype :
       {"I64", "F64", "I32", "I16", "I8", "U8", "U16", "U32", "U64", "BOOL",
        "F8_E4M3", "F8_E5M2", "f32", "bf16", "FLOAT"}) {
    const std::vector<TestTensor> tensors = {
        {"x", dtype, {1}, std::string(8, '\0'), {}},
    };
    expectError(openBytes(dir, buildSafetensors(tensors), &path).status(),
                absl::StatusCode::kInvalidArgument,
                {path, "tensor 'x' has dtype " + dtype +
                           "; supported: F32, BF16, F16"});
  }
}

TEST(SafetensorsFile, RejectsShapeSizeMismatch) {
  ScratchDir dir;
  std::string path;
  const std::vector<TestTensor> tensors = {
      {"x", "BF16", {2, 3}, std::string(10, '\0'), {}},
  };
  expectError(openBytes(dir, buildSafetensors(tensors), &path).status(),
              absl::StatusCode::kInvalidArgument,
              {path, "tensor 'x': shape [2, 3] x BF16 needs 12 bytes but "
                     "data_offsets span 10"});
}

TEST(SafetensorsFile, RejectsShapesWhoseByteCountOverflows) {
  ScratchDir dir;
  std::string path;
  const std::vector<TestTensor> tensors = {
      {"x", "F32", {4611686018427387904, 4611686018427387904}, "", {}},
  };
  expectError(openBytes(dir, buildSafetensors(tensors), &path).status(),
              absl::StatusCode::kInvalidArgument,
              {path, "tensor 'x'", "more than 2^64 bytes"});
  // 2^62 elements x 4 bytes overflows by itself too.
  const std::vector<TestTensor> single = {
      {"y", "F32", {4611686018427387904}, "", {}},
  };
  expectError(openBytes(dir, buildSafetensors(single), &path).status(),
              absl::StatusCode::kInvalidArgument, {"tensor 'y'", "2^64"});
}

TEST(SafetensorsFile, RejectsMalformedTensorEntries) {
  ScratchDir dir;
  std::string path;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"x": 5})", "tensor 'x' is not a JSON object"},
      {R"({"x": {"shape": [1], "data_offsets": [0, 4]}})", "\"dtype\""},
      {R"({"x": {"dtype": 3, "shape": [1], "data_offsets": [0, 4]}})",
       "\"dtype\""},
      {R"({"x": {"dtype": "F32", "data_offsets": [0, 4]}})", "\"shape\""},
      {R"({"x": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})",
       "not a non-negative integer"},
      {R"({"x": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})",
       "not a non-negative integer"},
      {R"({"x": {"dtype": "F32", "shape": [18446744073709551615],
                 "data_offsets": [0, 4]}})",
       "not a non-negative integer"},
      {R"({"x": {"dtype": "F32", "shape": [1]}})", "\"data_offsets\""},
      {R"({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})",
       "\"data_offsets\""},
      {R"({"x": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}})",
       "\"data_offsets\""},
      {R"({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}})",
       "\"data_offsets\""},
      {R"({"__metadata__": [1], "x": {}})", "__metadata__"},
      {R"({"__metadata__": {"k": 1}})", "__metadata__ entry 'k'"},
  };
  for (const auto& [header, fragment] : cases) {
    expectError(openBytes(dir, assembleSafetensors(header, std::string(4, 0)),
                          &path)
                    .status(),
                absl::StatusCode::kInvalidArgument, {path, fragment});
  }
}

TEST(SafetensorsFile, EscapesControlCharactersInNames) {
  ScratchDir dir;
  std::string path;
  const std::string header =
      "{\"bad\\nname\": {\"dtype\": \"I64\", \"shape\": [1], "
      "\"data_offsets\": [0, 8]}}";
  expectError(
      openBytes(dir, assembleSafetensors(header, std::string(8, 0)), &path)
          .status(),
      absl::StatusCode::kInvalidArgument, {"tensor 'bad\\x0aname' has dtype"});
}

TEST(SafetensorsFile, MissingFileIsNotFound) {
  ScratchDir dir;
  const std::string path = dir.file("absent.safetensors");
  expectError(SafetensorsFile::open(path).status(),
              absl::StatusCode::kNotFound, {path});
}

TEST(SafetensorsFile, SurvivesRandomCorruption) {
  // Every mutation either parses into views inside the buffer or fails with
  // a one-line error; none may crash (run under ASan to check reads).
  const std::string valid = buildSafetensors(oneOfEachDtype());
  std::mt19937 random(1234);
  int accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string bytes = valid;
    const int edits = 1 + static_cast<int>(random() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = random() % bytes.size();
      switch (random() % 4) {
        case 0:
          bytes[at] = static_cast<char>(random());
          break;
        case 1:
          bytes[at] = "0123456789[]{},:\"-"[random() % 18];
          break;
        case 2:
          bytes.resize(at);
          break;
        default:
          bytes.insert(at, 1, "9\"[{,"[random() % 5]);
          break;
      }
      if (bytes.empty()) bytes = "x";
    }
    const auto* begin = reinterpret_cast<const uint8_t*>(bytes.data());
    absl::StatusOr<SafetensorsLayout> layout =
        parseSafetensorsLayout("fuzz", {begin, bytes.size()});
    if (!layout.ok()) {
      ASSERT_EQ(layout.status().message().find('\n'), absl::string_view::npos);
      continue;
    }
    for (const TensorView& tensor : layout->tensors) {
      ASSERT_GE(tensor.data, begin);
      ASSERT_LE(tensor.data + tensor.numBytes, begin + bytes.size());
      ASSERT_EQ(toFloat32(tensor).size(), tensor.numElements());
    }
    ++accepted;
  }
  // The sweep must reach the success path too, not only early rejections.
  EXPECT_GT(accepted, 100);
}

}  // namespace
}  // namespace dsv2::runtime
