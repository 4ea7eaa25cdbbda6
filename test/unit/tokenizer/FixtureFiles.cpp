//===- FixtureFiles.cpp - The committed tokenizer fixtures ----------------===//

#include "test/unit/tokenizer/FixtureFiles.h"

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "gtest/gtest.h"
#include "runtime/tokenizer/ByteLevel.h"
#include "runtime/tokenizer/JsonLines.h"

namespace dsv2::tokenizer::testing {
namespace {

std::string bytesToByteLevelForTests(unsigned char byte) {
  return bytesToByteLevel(std::string(1, static_cast<char>(byte)));
}

}  // namespace

std::string fixturePath(const std::string& relative) {
  return std::string(DSV2_TOKENIZER_FIXTURES) + "/" + relative;
}

std::vector<std::string> readLines(const std::string& relative) {
  std::ifstream file(fixturePath(relative), std::ios::binary);
  EXPECT_TRUE(file.good()) << "cannot read " << fixturePath(relative);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(file, line)) lines.push_back(line);
  return lines;
}

std::vector<std::string> corpusTexts() {
  std::vector<std::string> texts;
  for (const std::string& line : readLines("corpus.jsonl")) {
    absl::StatusOr<std::string> text = parseTextLine(line);
    EXPECT_TRUE(text.ok()) << text.status();
    texts.push_back(text.ok() ? *text : std::string());
  }
  return texts;
}

std::vector<std::vector<int32_t>> readIds(const std::string& relative) {
  std::vector<std::vector<int32_t>> all;
  for (const std::string& line : readLines(relative)) {
    absl::StatusOr<std::vector<int64_t>> ids = parseIdsLine(line);
    EXPECT_TRUE(ids.ok()) << ids.status();
    all.emplace_back();
    if (ids.ok()) all.back().assign(ids->begin(), ids->end());
  }
  return all;
}

std::vector<std::string> readTexts(const std::string& relative) {
  std::vector<std::string> texts;
  for (const std::string& line : readLines(relative)) {
    absl::StatusOr<std::string> text = parseTextLine(line);
    EXPECT_TRUE(text.ok()) << text.status();
    texts.push_back(text.ok() ? *text : std::string());
  }
  return texts;
}

Tokenizer loadFixtureTokenizer(const std::string& name) {
  absl::StatusOr<Tokenizer> tokenizer =
      Tokenizer::fromFile(fixturePath(name + "/tokenizer.json"));
  if (!tokenizer.ok()) {
    std::cerr << "cannot load fixture " << name << ": " << tokenizer.status()
              << "\n";
    std::abort();
  }
  return *std::move(tokenizer);
}

nlohmann::json tinyTokenizerJson() {
  using Json = nlohmann::json;
  Json vocab = Json::object();
  for (int b = 0; b < 256; ++b) {
    std::string token = bytesToByteLevelForTests(static_cast<unsigned char>(b));
    vocab[token] = b;
  }
  vocab["he"] = 256;
  vocab["ll"] = 257;
  vocab["hell"] = 258;
  vocab["hello"] = 259;
  Json added = Json::array();
  added.push_back({{"id", 1000}, {"content", "<a>"}, {"special", true},
                   {"single_word", false}, {"lstrip", false},
                   {"rstrip", false}, {"normalized", false}});
  added.push_back({{"id", 1001}, {"content", "<a><b>"}, {"special", false},
                   {"single_word", false}, {"lstrip", false},
                   {"rstrip", false}, {"normalized", true}});
  return Json{
      {"version", "1.0"},
      {"added_tokens", added},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         Json::array({{{"type", "Split"},
                       {"pattern", {{"Regex", " ?\\p{L}+|\\p{N}|\\s+"}}},
                       {"behavior", "Isolated"},
                       {"invert", false}},
                      {{"type", "ByteLevel"},
                       {"add_prefix_space", false},
                       {"trim_offsets", true},
                       {"use_regex", false}}})}}},
      {"post_processor", nullptr},
      {"decoder",
       {{"type", "ByteLevel"}, {"add_prefix_space", true},
        {"trim_offsets", true}, {"use_regex", true}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"vocab", vocab},
        {"merges", Json::array({"h e", "l l", "he ll", "hell o"})}}}};
}

Tokenizer tinyTokenizer(const nlohmann::json& json) {
  absl::StatusOr<Tokenizer> tokenizer = Tokenizer::fromJson(json.dump());
  if (!tokenizer.ok()) {
    std::cerr << "cannot load the test tokenizer: " << tokenizer.status() << "\n";
    std::abort();
  }
  return *std::move(tokenizer);
}

}  // namespace dsv2::tokenizer::testing
