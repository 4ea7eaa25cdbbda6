//===- TokenizerTest.cpp - Pipeline behaviour on small tokenizers ---------===//
//
// What the HF parity fixtures do not isolate: merge formats, added-token
// matching (longest first, lstrip/rstrip), Split behaviors, ignore_merges,
// bos/eos lookup, and invalid UTF-8 input.
//
//===----------------------------------------------------------------------===//

#include <random>

#include "gtest/gtest.h"
#include "runtime/tokenizer/PreTokenizer.h"
#include "runtime/tokenizer/Utf8.h"
#include "test/unit/tokenizer/FixtureFiles.h"

namespace dsv2::tokenizer::testing {
namespace {

using Ids = std::vector<int32_t>;

TEST(TokenizerTest, MergesApplyLowestRankFirst) {
  Tokenizer tokenizer = tinyTokenizer(tinyTokenizerJson());
  EXPECT_EQ(tokenizer.encode("hello"), (Ids{259}));
  EXPECT_EQ(tokenizer.encode("hell"), (Ids{258}));
  EXPECT_EQ(tokenizer.encode("helo"), (Ids{256, 'l', 'o'}));
  // The Split isolates " hello" (with its space) and digits one by one.
  EXPECT_EQ(tokenizer.encode(" hello 42"), (Ids{' ', 259, ' ', '4', '2'}));
  EXPECT_EQ(tokenizer.decode(tokenizer.encode(" hello 42")), " hello 42");
}

TEST(TokenizerTest, MergesAsPairsEqualMergesAsStrings) {
  nlohmann::json json = tinyTokenizerJson();
  json["model"]["merges"] = nlohmann::json::array(
      {{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}});
  Tokenizer pairs = tinyTokenizer(json);
  Tokenizer strings = tinyTokenizer(tinyTokenizerJson());
  for (const char* text : {"hello", "hell", "he ll o", "hhee"})
    EXPECT_EQ(pairs.encode(text), strings.encode(text)) << text;
}

TEST(TokenizerTest, IgnoreMergesTakesWholeWordsFromTheVocabulary) {
  nlohmann::json json = tinyTokenizerJson();
  json["model"]["vocab"]["xyz"] = 300;  // No merge builds it.
  EXPECT_EQ(tinyTokenizer(json).encode("xyz"), (Ids{'x', 'y', 'z'}));
  json["model"]["ignore_merges"] = true;
  EXPECT_EQ(tinyTokenizer(json).encode("xyz"), (Ids{300}));
}

TEST(TokenizerTest, AddedTokensMatchLongestFirstBeforeSplitting) {
  nlohmann::json json = tinyTokenizerJson();
  json["added_tokens"][0]["normalized"] = true;
  Tokenizer sameGroup = tinyTokenizer(json);
  EXPECT_EQ(sameGroup.encode("<a><b>"), (Ids{1001}));
  EXPECT_EQ(sameGroup.encode("<a>hello"), (Ids{1000, 259}));
  EXPECT_EQ(sameGroup.encode("x<a><a><b>"), (Ids{'x', 1000, 1001}));
  EXPECT_EQ(sameGroup.encode("<a"), (Ids{'<', 'a'}));
  // Non-normalized tokens are matched first, on the raw text, so "<a>"
  // (normalized: false) wins over the longer "<a><b>" (normalized: true),
  // as in HF (checked with tokenizers 0.23.3).
  Tokenizer tokenizer = tinyTokenizer(tinyTokenizerJson());
  EXPECT_EQ(tokenizer.encode("<a><b>"), (Ids{1000, '<', 'b', '>'}));
  EXPECT_EQ(tokenizer.encode("x<a><a><b>"), (Ids{'x', 1000, 1000, '<', 'b', '>'}));
  // Special tokens are skipped by default when decoding; non-special kept.
  EXPECT_EQ(tokenizer.decode(Ids{1000, 'x', 1001}), "x<a><b>");
  EXPECT_EQ(tokenizer.decode(Ids{1000, 'x', 1001}, false), "<a>x<a><b>");
  EXPECT_TRUE(tokenizer.isSpecialId(1000));
  EXPECT_FALSE(tokenizer.isSpecialId(1001));
}

TEST(TokenizerTest, LstripAndRstripTakeTheSurroundingWhitespace) {
  nlohmann::json json = tinyTokenizerJson();
  json["added_tokens"][0]["lstrip"] = true;
  json["added_tokens"][0]["rstrip"] = true;
  Tokenizer tokenizer = tinyTokenizer(json);
  EXPECT_EQ(tokenizer.encode("x  <a>  y"), (Ids{'x', 1000, 'y'}));
  EXPECT_EQ(tokenizer.encode("x\u3000<a>\ty"), (Ids{'x', 1000, 'y'}));
}

TEST(TokenizerTest, SingleWordTokensDoNotMatchInsideWords) {
  nlohmann::json json = tinyTokenizerJson();
  json["added_tokens"][0]["single_word"] = true;
  Tokenizer tokenizer = tinyTokenizer(json);
  EXPECT_EQ(tokenizer.encode("x <a> y"), (Ids{'x', ' ', 1000, ' ', 'y'}));
  EXPECT_EQ(tokenizer.encode("x<a>"), (Ids{'x', '<', 'a', '>'}));
}

TEST(TokenizerTest, BosComesFromTheTemplateOrTheBosToken) {
  Tokenizer v2 = loadFixtureTokenizer("deepseek-v2");
  Tokenizer v3 = loadFixtureTokenizer("deepseek-v3");
  EXPECT_EQ(v3.bosId(), 0);
  EXPECT_EQ(v3.eosId(), 1);
  EXPECT_EQ(v2.bosId(), v2.eosId() - 1);
  EXPECT_GT(v2.bosId(), 2000);
  EXPECT_EQ(v2.encode("", true), (Ids{v2.bosId()}));
  EXPECT_EQ(v3.encode("", true), (Ids{0}));
  EXPECT_EQ(v3.encode(""), Ids{});
  // Without a post_processor, --bos still prepends the bos token.
  nlohmann::json json = tinyTokenizerJson();
  json["added_tokens"][0]["content"] = "<｜begin▁of▁sentence｜>";
  Tokenizer tiny = tinyTokenizer(json);
  EXPECT_EQ(tiny.bosId(), 1000);
  EXPECT_EQ(tiny.encode("hello", true), (Ids{1000, 259}));
  EXPECT_EQ(tiny.eosId(), -1);
}

TEST(TokenizerTest, InvalidUtf8IsReplacedBeforeEncoding) {
  Tokenizer tokenizer = loadFixtureTokenizer("deepseek-v2");
  EXPECT_EQ(tokenizer.encode("a\xFF" "b"), tokenizer.encode("a\uFFFD" "b"));
  EXPECT_EQ(tokenizer.encode("\xE4\xB8"), tokenizer.encode("\uFFFD"));
  // Byte-level BPE round-trips any text once it is valid UTF-8: random
  // bytes (mostly invalid) never crash and decode to their repaired form.
  std::mt19937 random(7);
  for (int i = 0; i < 2000; ++i) {
    std::string bytes(random() % 40, '\0');
    for (char& c : bytes) c = static_cast<char>(random() % 256);
    std::vector<int32_t> ids = tokenizer.encode(bytes);
    EXPECT_EQ(tokenizer.decode(ids, /*skipSpecialTokens=*/false),
              toValidUtf8Lossy(bytes));
  }
}

TEST(TokenizerTest, UnknownIdsDecodeToNothing) {
  Tokenizer tokenizer = tinyTokenizer(tinyTokenizerJson());
  EXPECT_EQ(tokenizer.vocabSize(), 1002);
  EXPECT_FALSE(tokenizer.isKnownId(500));  // A hole between vocab and added.
  EXPECT_FALSE(tokenizer.isKnownId(-1));
  EXPECT_EQ(tokenizer.decode(Ids{'a', 500, 5000, -3, 'b'}), "ab");
}

/// The pieces applySplit makes of `text` with `pattern`.
std::vector<std::string> splitPieces(const char* pattern, SplitBehavior behavior,
                                     bool invert, const std::string& text) {
  absl::StatusOr<Regex> regex = Regex::compile(pattern, false, "test");
  EXPECT_TRUE(regex.ok()) << regex.status();
  SplitStep step{*regex, behavior, invert};
  std::vector<Piece> pieces{{0, text.size()}}, out;
  std::vector<std::pair<size_t, size_t>> scratch;
  applySplit(step, text, pieces, out, scratch);
  std::vector<std::string> result;
  for (auto [begin, end] : out) result.push_back(text.substr(begin, end - begin));
  return result;
}

TEST(TokenizerTest, SplitBehaviorsMatchHfDocumentation) {
  // The example of HF's SplitDelimiterBehavior documentation.
  const std::string text = "the-final--countdown";
  using V = std::vector<std::string>;
  EXPECT_EQ(splitPieces("-", SplitBehavior::kRemoved, false, text),
            (V{"the", "final", "countdown"}));
  EXPECT_EQ(splitPieces("-", SplitBehavior::kIsolated, false, text),
            (V{"the", "-", "final", "-", "-", "countdown"}));
  EXPECT_EQ(splitPieces("-", SplitBehavior::kMergedWithPrevious, false, text),
            (V{"the-", "final-", "-", "countdown"}));
  EXPECT_EQ(splitPieces("-", SplitBehavior::kMergedWithNext, false, text),
            (V{"the", "-final", "-", "-countdown"}));
  EXPECT_EQ(splitPieces("-", SplitBehavior::kContiguous, false, text),
            (V{"the", "-", "final", "--", "countdown"}));
  // invert: the words are the delimiters (each "-" match stays its own piece).
  EXPECT_EQ(splitPieces("-", SplitBehavior::kRemoved, true, text),
            (V{"-", "-", "-"}));
  // (Expected pieces checked with tokenizers.pre_tokenizers.Split.)
  // Lookahead and Ruby's line-anchored $ (DeepSeek's \s+$ and \s+(?!\S)).
  EXPECT_EQ(splitPieces("\\s+(?!\\S)", SplitBehavior::kIsolated, false, "a   b  "),
            (V{"a", "  ", " b", "  "}));
  EXPECT_EQ(splitPieces("\\s+$", SplitBehavior::kIsolated, false, "a  \nb  "),
            (V{"a", "  ", "\nb", "  "}));
  // Empty matches split nothing.
  EXPECT_EQ(splitPieces("x*", SplitBehavior::kIsolated, false, "abxxc"),
            (V{"a", "b", "xx", "c"}));
}

}  // namespace
}  // namespace dsv2::tokenizer::testing
