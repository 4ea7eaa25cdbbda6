//===- FixtureFiles.h - The committed tokenizer fixtures --------*- C++ -*-===//
//
// Paths and loaders for test/fixtures/tokenizer (written by
// make_tokenizer_fixtures.py with HF `tokenizers`).
//
//===----------------------------------------------------------------------===//

#ifndef TEST_UNIT_TOKENIZER_FIXTUREFILES_H
#define TEST_UNIT_TOKENIZER_FIXTUREFILES_H

#include <cstdint>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "runtime/tokenizer/Tokenizer.h"

namespace dsv2::tokenizer::testing {

/// The fixture folders, one per tokenizer structure.
inline const char* const kFixtureNames[] = {"deepseek-v2", "deepseek-v3"};

/// `DSV2_TOKENIZER_FIXTURES/relative`.
std::string fixturePath(const std::string& relative);

/// The lines of a fixture file (fails the test when unreadable).
std::vector<std::string> readLines(const std::string& relative);

/// The corpus texts (raw bytes; text_base64 cases decoded).
std::vector<std::string> corpusTexts();

/// The ids of each line of an {"ids": [...]} file.
std::vector<std::vector<int32_t>> readIds(const std::string& relative);

/// The "text" of each line of a {"text": ...} file.
std::vector<std::string> readTexts(const std::string& relative);

/// The tokenizer of a fixture folder (aborts the test on error).
Tokenizer loadFixtureTokenizer(const std::string& name);

/// A small byte-level BPE tokenizer.json to vary in tests: the 256 byte
/// tokens (id = byte value), merges h+e, l+l, he+ll, hell+o (ids 256..259,
/// "a b" strings), pre_tokenizer Sequence[Split(" ?\\p{L}+|\\p{N}|\\s+",
/// Isolated), ByteLevel(no prefix space, no regex)], ByteLevel decoder,
/// added tokens "<a>" (1000, special), "<a><b>" (1001, not special).
nlohmann::json tinyTokenizerJson();

/// Tokenizer::fromJson of `json` (aborts the test on error).
Tokenizer tinyTokenizer(const nlohmann::json& json);

}  // namespace dsv2::tokenizer::testing

#endif  // TEST_UNIT_TOKENIZER_FIXTUREFILES_H
