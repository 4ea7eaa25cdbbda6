//===- HfParityTest.cpp - Same ids and texts as HF tokenizers -------------===//
//
// Every corpus line encodes to the ids HF `tokenizers` produced (with and
// without bos), and every id sequence decodes to HF's text, for both the
// DeepSeek-V2 and the DeepSeek-V3 structure.
//
//===----------------------------------------------------------------------===//

#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "test/unit/tokenizer/FixtureFiles.h"

namespace dsv2::tokenizer::testing {
namespace {

class HfParityTest : public ::testing::TestWithParam<const char*> {
 protected:
  std::string name() const { return GetParam(); }
};

std::string show(const std::string& text) {
  return "\"" + absl::CHexEscape(text) + "\"";
}

TEST_P(HfParityTest, EncodeMatchesHfOnTheCorpus) {
  Tokenizer tokenizer = loadFixtureTokenizer(name());
  std::vector<std::string> texts = corpusTexts();
  std::vector<std::vector<int32_t>> expected = readIds(name() + "/ids.jsonl");
  ASSERT_EQ(texts.size(), expected.size());
  ASSERT_GE(texts.size(), 2000u);
  int failures = 0;
  for (size_t i = 0; i < texts.size() && failures < 10; ++i) {
    std::vector<int32_t> ids = tokenizer.encode(texts[i]);
    if (ids != expected[i]) ++failures;
    EXPECT_EQ(ids, expected[i]) << "corpus line " << i + 1 << ": " << show(texts[i]);
  }
}

TEST_P(HfParityTest, EncodeWithBosMatchesHf) {
  Tokenizer tokenizer = loadFixtureTokenizer(name());
  std::vector<std::string> texts = corpusTexts();
  std::vector<std::vector<int32_t>> expected = readIds(name() + "/ids-bos.jsonl");
  ASSERT_GE(expected.size(), 100u);
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(tokenizer.encode(texts[i], /*addBos=*/true), expected[i])
        << "corpus line " << i + 1 << ": " << show(texts[i]);
    ASSERT_FALSE(expected[i].empty());
    EXPECT_EQ(expected[i].front(), tokenizer.bosId());
  }
}

TEST_P(HfParityTest, DecodeMatchesHfOnTheCorpusIds) {
  Tokenizer tokenizer = loadFixtureTokenizer(name());
  std::vector<std::vector<int32_t>> ids = readIds(name() + "/ids.jsonl");
  std::vector<std::string> expected = readTexts(name() + "/decoded.jsonl");
  ASSERT_EQ(ids.size(), expected.size());
  for (size_t i = 0; i < ids.size(); ++i)
    EXPECT_EQ(tokenizer.decode(ids[i]), expected[i]) << "line " << i + 1;
}

TEST_P(HfParityTest, DecodeMatchesHfOnRandomIds) {
  Tokenizer tokenizer = loadFixtureTokenizer(name());
  std::vector<std::vector<int32_t>> ids = readIds(name() + "/decode-cases.jsonl");
  std::vector<std::string> skipping =
      readTexts(name() + "/decode-cases-decoded.jsonl");
  std::vector<std::string> keeping =
      readTexts(name() + "/decode-cases-decoded-special.jsonl");
  ASSERT_EQ(ids.size(), skipping.size());
  ASSERT_EQ(ids.size(), keeping.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(tokenizer.decode(ids[i]), skipping[i]) << "line " << i + 1;
    EXPECT_EQ(tokenizer.decode(ids[i], /*skipSpecialTokens=*/false), keeping[i])
        << "line " << i + 1;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, HfParityTest,
                         ::testing::ValuesIn(kFixtureNames),
                         [](const auto& info) {
                           std::string name = info.param;
                           return name == "deepseek-v2" ? std::string("V2")
                                                        : std::string("V3");
                         });

}  // namespace
}  // namespace dsv2::tokenizer::testing
