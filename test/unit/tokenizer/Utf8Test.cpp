//===- Utf8Test.cpp - U+FFFD repair of invalid UTF-8 ----------------------===//
//
// The expected strings are Python's bytes.decode("utf-8", "replace") (the
// same maximal-subpart rule as Rust's String::from_utf8_lossy).
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/Utf8.h"

#include "gtest/gtest.h"

namespace dsv2::tokenizer {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(Utf8Test, ReplacesEachMaximalSubpartOnce) {
  struct Case {
    std::string input, expected;
  };
  const Case cases[] = {
      {"", ""},
      {"plain ascii", "plain ascii"},
      {"\xE4\xB8\xAD\xE6\x96\x87", "\xE4\xB8\xAD\xE6\x96\x87"},
      {"\xFF", kFffd},
      {"\xFE\xFF", kFffd + kFffd},
      {"abc\x80" "def", "abc" + kFffd + "def"},
      {"\xE4\xB8", kFffd},                    // Truncated: one subpart.
      {"\xE4\xB8 tail", kFffd + " tail"},
      {"\xF0\x9F\x98", kFffd},
      {"\xC0\xAF", kFffd + kFffd},            // Overlong lead, then a lone continuation.
      {"\xE0\x80\xAF", kFffd + kFffd + kFffd},  // E0 needs A0..BF next.
      {"\xED\xA0\x80", kFffd + kFffd + kFffd},  // Surrogate.
      {"\xF4\x90\x80\x80", kFffd + kFffd + kFffd + kFffd},  // > U+10FFFF.
      {"\xF0\x28\x8C\xBC", kFffd + "(" + kFffd + kFffd},
      {"\xE2\x82\x28", kFffd + "("},
      {"\xC3", kFffd},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(toValidUtf8Lossy(c.input), c.expected) << c.input;
    EXPECT_EQ(isValidUtf8(c.input), c.input == c.expected) << c.input;
  }
}

TEST(Utf8Test, SettledPrefixHoldsOnlyAnIncompleteCharacter) {
  EXPECT_EQ(settledUtf8Prefix(""), 0u);
  EXPECT_EQ(settledUtf8Prefix("abc"), 3u);
  EXPECT_EQ(settledUtf8Prefix("ab\xE4"), 2u);
  EXPECT_EQ(settledUtf8Prefix("ab\xE4\xB8"), 2u);
  EXPECT_EQ(settledUtf8Prefix("ab\xE4\xB8\xAD"), 5u);
  EXPECT_EQ(settledUtf8Prefix("\xF0\x9F\x98"), 0u);
  EXPECT_EQ(settledUtf8Prefix("\xF0\x9F\x98\x80"), 4u);
  // Already invalid: nothing later can change how these bytes read.
  EXPECT_EQ(settledUtf8Prefix("a\xFF"), 2u);
  EXPECT_EQ(settledUtf8Prefix("a\xE0\x80"), 3u);
  EXPECT_EQ(settledUtf8Prefix("a\x80"), 2u);
}

}  // namespace
}  // namespace dsv2::tokenizer
