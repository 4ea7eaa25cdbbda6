//===- TokenizerConfigErrorTest.cpp - Malformed tokenizer.json files ------===//
//
// Each malformed or unsupported file is an InvalidArgument error of one line
// that names the JSON path and what is wrong, never a crash.
//
//===----------------------------------------------------------------------===//

#include <functional>

#include "gtest/gtest.h"
#include "test/unit/tokenizer/FixtureFiles.h"

namespace dsv2::tokenizer::testing {
namespace {

using Json = nlohmann::json;

void expectError(const std::string& text, absl::StatusCode code,
                 const std::vector<std::string>& parts) {
  absl::StatusOr<Tokenizer> tokenizer = Tokenizer::fromJson(text, "tok.json");
  ASSERT_FALSE(tokenizer.ok()) << "expected an error containing '"
                               << parts.back() << "'";
  EXPECT_EQ(tokenizer.status().code(), code) << tokenizer.status();
  std::string message(tokenizer.status().message());
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(message.rfind("tok.json: ", 0), 0u) << message;
  for (const std::string& part : parts)
    EXPECT_NE(message.find(part), std::string::npos)
        << "missing '" << part << "' in: " << message;
}

void expectInvalid(const std::function<void(Json&)>& edit,
                   const std::vector<std::string>& parts) {
  Json json = tinyTokenizerJson();
  edit(json);
  expectError(json.dump(), absl::StatusCode::kInvalidArgument, parts);
}

TEST(TokenizerConfigErrorTest, TheBaseFileLoads) {
  EXPECT_TRUE(Tokenizer::fromJson(tinyTokenizerJson().dump()).ok());
}

TEST(TokenizerConfigErrorTest, NotJsonOrNotATokenizer) {
  expectError("{\"model\": ", absl::StatusCode::kInvalidArgument,
              {"not valid JSON", "line 1"});
  expectError("", absl::StatusCode::kInvalidArgument, {"not valid JSON"});
  expectError("[1, 2]", absl::StatusCode::kInvalidArgument,
              {"expected a JSON object at the top, got array"});
  expectError("{\"version\": \"1.0\"}", absl::StatusCode::kInvalidArgument,
              {"no \"model\""});
}

TEST(TokenizerConfigErrorTest, UnsupportedKindsAreNamed) {
  expectInvalid([](Json& j) { j["model"]["type"] = "Unigram"; },
                {"model.type", "model type \"Unigram\" is not supported (only BPE)"});
  expectInvalid([](Json& j) { j["normalizer"] = {{"type", "NFKC"}}; },
                {"normalizer: normalizer type 'NFKC' is not supported"});
  expectInvalid(
      [](Json& j) {
        j["normalizer"] = {{"type", "Sequence"},
                           {"normalizers", Json::array({{{"type", "Lowercase"}}})}};
      },
      {"normalizer.normalizers[0]", "'Lowercase' is not supported"});
  expectInvalid(
      [](Json& j) { j["pre_tokenizer"]["pretokenizers"][0] = {{"type", "Whitespace"}}; },
      {"pre_tokenizer.pretokenizers[0]", "pre_tokenizer type 'Whitespace' is not supported"});
  expectInvalid([](Json& j) { j["decoder"] = {{"type", "WordPiece"}}; },
                {"decoder type 'WordPiece' is not supported (supported: ByteLevel)"});
  expectInvalid([](Json& j) { j["decoder"] = nullptr; },
                {"decoder: null"});
  expectInvalid([](Json& j) { j["post_processor"] = {{"type", "BertProcessing"}}; },
                {"post_processor type 'BertProcessing' is not supported"});
  expectInvalid([](Json& j) { j["model"]["dropout"] = 0.1; },
                {"model.dropout", "BPE dropout is not supported"});
  expectInvalid([](Json& j) { j["model"]["continuing_subword_prefix"] = "##"; },
                {"model.continuing_subword_prefix"});
}

TEST(TokenizerConfigErrorTest, PreTokenizerMistakes) {
  expectInvalid([](Json& j) { j["pre_tokenizer"] = nullptr; },
                {"pre_tokenizer: null"});
  expectInvalid(
      [](Json& j) { j["pre_tokenizer"]["pretokenizers"].erase(1); },
      {"pre_tokenizer: has no ByteLevel step"});
  expectInvalid(
      [](Json& j) {
        j["pre_tokenizer"]["pretokenizers"].push_back(
            j["pre_tokenizer"]["pretokenizers"][0]);
      },
      {"pre_tokenizer.pretokenizers[2]", "after ByteLevel"});
  expectInvalid(
      [](Json& j) {
        j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(\\p{L}";
      },
      {"pre_tokenizer.pretokenizers[0].pattern",
       "the pattern does not compile", "at offset"});
  expectInvalid(
      [](Json& j) { j["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Sideways"; },
      {"pre_tokenizer.pretokenizers[0].behavior", "'Sideways' is not one of"});
  expectInvalid(
      [](Json& j) { j["pre_tokenizer"]["pretokenizers"][0]["pattern"] = {{"Glob", "*"}}; },
      {"pre_tokenizer.pretokenizers[0].pattern", "{\"Regex\": \"...\"}"});
  expectInvalid(
      [](Json& j) { j["pre_tokenizer"]["pretokenizers"][1]["use_regex"] = "yes"; },
      {"pre_tokenizer.pretokenizers[1].use_regex", "expected true or false"});
}

TEST(TokenizerConfigErrorTest, VocabularyAndMergeMistakes) {
  expectInvalid([](Json& j) { j["model"]["vocab"] = Json::array(); },
                {"model.vocab: missing"});
  expectInvalid([](Json& j) { j["model"]["vocab"]["zz"] = -1; },
                {"model.vocab[\"zz\"]", "token id -1 is out of range"});
  expectInvalid([](Json& j) { j["model"]["vocab"]["zz"] = "7"; },
                {"model.vocab[\"zz\"]", "expected a token id, got string"});
  expectInvalid([](Json& j) { j["model"]["vocab"]["zz"] = 256; },
                {"id 256 is given to two tokens"});
  expectInvalid([](Json& j) { j["model"]["merges"][0] = "z QQ"; },
                {"model.merges[0]", "token 'QQ' is not in the vocabulary"});
  expectInvalid([](Json& j) { j["model"]["merges"][1] = "l o"; },
                {"model.merges[1]", "the merged token 'lo' is not in the vocabulary"});
  expectInvalid([](Json& j) { j["model"]["merges"][0] = "h e l"; },
                {"model.merges[0]", "is not two tokens separated by one space"});
  expectInvalid([](Json& j) { j["model"]["merges"][0] = Json::array({"h"}); },
                {"model.merges[0]", "expected \"a b\" or [\"a\", \"b\"]"});
  expectInvalid([](Json& j) { j["model"]["merges"] = nullptr; },
                {"model.merges: missing"});
  expectInvalid([](Json& j) { j["model"]["unk_token"] = "<unk>"; },
                {"model.unk_token", "'<unk>' is not in the vocabulary"});
}

TEST(TokenizerConfigErrorTest, AddedTokenAndTemplateMistakes) {
  expectInvalid([](Json& j) { j["added_tokens"][0].erase("content"); },
                {"added_tokens[0].content: missing"});
  expectInvalid([](Json& j) { j["added_tokens"][1]["id"] = "x"; },
                {"added_tokens[1].id", "expected a token id"});
  expectInvalid([](Json& j) { j["added_tokens"][1]["special"] = 1; },
                {"added_tokens[1].special", "expected true or false, got number"});
  expectInvalid(
      [](Json& j) {
        j["post_processor"] = {
            {"type", "TemplateProcessing"},
            {"single", Json::array({{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                                    {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
            {"special_tokens", Json::object()}};
      },
      {"post_processor.single[0]", "special token '<s>' has no ids in special_tokens"});
  expectInvalid(
      [](Json& j) {
        j["post_processor"] = {{"type", "TemplateProcessing"},
                               {"single", Json::array()},
                               {"special_tokens", Json::object()}};
      },
      {"post_processor.single", "has no {\"Sequence\": ...}"});
}

TEST(TokenizerConfigErrorTest, MissingFileIsNotFound) {
  absl::StatusOr<Tokenizer> tokenizer =
      Tokenizer::fromFile("/nonexistent/dir/tokenizer.json");
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(tokenizer.status().message().find("/nonexistent/dir/tokenizer.json"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace dsv2::tokenizer::testing
