//===- StreamingDecoderTest.cpp - Incremental decoding --------------------===//
//
// Fed one id at a time, the decoder returns only valid UTF-8 (never half a
// character), and all its output together equals decode() of all ids.
//
//===----------------------------------------------------------------------===//

#include <fstream>

#include "gtest/gtest.h"
#include "runtime/tokenizer/ByteLevel.h"
#include "runtime/tokenizer/Utf8.h"
#include "test/unit/tokenizer/FixtureFiles.h"

namespace dsv2::tokenizer::testing {
namespace {

void expectStreamsLikeDecode(const Tokenizer& tokenizer,
                             const std::vector<int32_t>& ids, bool skipSpecial,
                             const std::string& where) {
  StreamingDecoder decoder(tokenizer, skipSpecial);
  std::string streamed;
  for (int32_t id : ids) {
    std::string chunk = decoder.add(id);
    ASSERT_TRUE(isValidUtf8(chunk)) << where;
    streamed += chunk;
  }
  std::string rest = decoder.flush();
  ASSERT_TRUE(isValidUtf8(rest)) << where;
  streamed += rest;
  EXPECT_EQ(streamed, tokenizer.decode(ids, skipSpecial)) << where;
}

TEST(StreamingDecoderTest, ConcatenationEqualsDecodeOnAllFixtureIds) {
  for (const char* name : kFixtureNames) {
    Tokenizer tokenizer = loadFixtureTokenizer(name);
    for (const char* file : {"/ids.jsonl", "/decode-cases.jsonl"}) {
      std::vector<std::vector<int32_t>> all = readIds(name + std::string(file));
      ASSERT_FALSE(all.empty());
      for (size_t i = 0; i < all.size(); ++i)
        for (bool skip : {true, false})
          expectStreamsLikeDecode(tokenizer, all[i], skip,
                                  std::string(name) + file + " line " +
                                      std::to_string(i + 1));
    }
  }
}

TEST(StreamingDecoderTest, HoldsACharacterSplitAcrossByteTokens) {
  Tokenizer tokenizer = loadFixtureTokenizer("deepseek-v2");
  // "中" is E4 B8 AD: the ids of the three byte tokens, from the vocabulary.
  std::ifstream file(fixturePath("deepseek-v2/tokenizer.json"));
  nlohmann::json json = nlohmann::json::parse(file);
  std::vector<int32_t> bytes;
  for (unsigned char b : std::string("\xE4\xB8\xAD"))
    bytes.push_back(json["model"]["vocab"][bytesToByteLevel(std::string(1, char(b)))]);
  StreamingDecoder decoder(tokenizer);
  EXPECT_EQ(decoder.add(bytes[0]), "");
  EXPECT_EQ(decoder.add(bytes[1]), "");
  EXPECT_EQ(decoder.add(bytes[2]), "\xE4\xB8\xAD");
  EXPECT_EQ(decoder.flush(), "");

  // Cut short: the held bytes come out as one U+FFFD at the end.
  StreamingDecoder truncated(tokenizer);
  EXPECT_EQ(truncated.add(bytes[0]), "");
  EXPECT_EQ(truncated.add(bytes[1]), "");
  EXPECT_EQ(truncated.flush(), kReplacementCharacter);

  // An ASCII byte after the lead settles it as invalid right away.
  StreamingDecoder interrupted(tokenizer);
  EXPECT_EQ(interrupted.add(bytes[0]), "");
  std::vector<int32_t> x = tokenizer.encode("x");
  ASSERT_EQ(x.size(), 1u);
  EXPECT_EQ(interrupted.add(x[0]), std::string(kReplacementCharacter) + "x");
}

TEST(StreamingDecoderTest, SkipsSpecialTokensLikeDecode) {
  Tokenizer tokenizer = loadFixtureTokenizer("deepseek-v3");
  StreamingDecoder skipping(tokenizer);
  EXPECT_EQ(skipping.add(tokenizer.bosId()), "");
  StreamingDecoder keeping(tokenizer, /*skipSpecialTokens=*/false);
  EXPECT_EQ(keeping.add(tokenizer.bosId()), "<｜begin▁of▁sentence｜>");
}

}  // namespace
}  // namespace dsv2::tokenizer::testing
