//===- TokenizerConfig.cpp - A validated tokenizer.json -------------------===//
//
// One function per top-level section. Defaults follow HF's serde defaults
// (ByteLevel: add_prefix_space, trim_offsets, use_regex all true; Split:
// invert false). Merges may be "a b" strings (tokenizers < 0.20, as in
// DeepSeek's files) or ["a", "b"] pairs (newer files).
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/TokenizerConfig.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "runtime/io/PrintableText.h"
#include "runtime/tokenizer/ByteLevel.h"

namespace dsv2::tokenizer {
namespace {

using Json = nlohmann::json;

// GPT-2's word pattern, which ByteLevel(use_regex=true) splits with.
constexpr std::string_view kGpt2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+"
    "|\\s+(?!\\S)|\\s+";

/// File text in a message: one line, bounded.
std::string shown(const std::string& text) {
  return dsv2::runtime::printableText(text, 80);
}

class Parser {
 public:
  explicit Parser(std::string_view source) : source_(source) {}

  absl::Status error(const std::string& path, const std::string& message) const {
    return absl::InvalidArgumentError(
        absl::StrCat(source_, ": ", path, ": ", message));
  }

  /// The type name of a JSON value, for messages.
  static std::string kind(const Json& value) { return value.type_name(); }

  absl::StatusOr<bool> getBool(const Json& object, const std::string& key,
                               const std::string& path, bool fallback) const {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return fallback;
    if (!it->is_boolean())
      return error(absl::StrCat(path, ".", key),
                   absl::StrCat("expected true or false, got ", kind(*it)));
    return it->get<bool>();
  }

  absl::StatusOr<std::string> getType(const Json& object,
                                      const std::string& path) const {
    if (!object.is_object())
      return error(path, absl::StrCat("expected an object, got ", kind(object)));
    auto it = object.find("type");
    if (it == object.end() || !it->is_string())
      return error(absl::StrCat(path, ".type"), "missing (a string naming the kind)");
    return it->get<std::string>();
  }

  absl::StatusOr<int32_t> getId(const Json& value, const std::string& path) const {
    if (!value.is_number_integer())
      return error(path, absl::StrCat("expected a token id, got ", kind(value)));
    int64_t id = value.get<int64_t>();
    if (id < 0 || id >= std::numeric_limits<int32_t>::max())
      return error(path, absl::StrCat("token id ", id, " is out of range"));
    return static_cast<int32_t>(id);
  }

  absl::Status parseNormalizer(const Json& value, const std::string& path) const;
  absl::Status parsePreTokenizer(const Json& value, std::string path,
                                 TokenizerConfig& config, bool& sawByteLevel) const;
  absl::Status parseModel(const Json& value, TokenizerConfig& config) const;
  absl::Status parseAddedTokens(const Json& value, TokenizerConfig& config) const;
  absl::Status parseDecoder(const Json& value) const;
  absl::Status parsePostProcessor(const Json& value, std::string path,
                                  TokenizerConfig& config) const;

 private:
  std::string source_;
};

absl::Status Parser::parseNormalizer(const Json& value,
                                     const std::string& path) const {
  if (value.is_null()) return absl::OkStatus();
  absl::StatusOr<std::string> type = getType(value, path);
  if (!type.ok()) return type.status();
  // Only normalizers that change nothing: DeepSeek ships an empty Sequence.
  if (*type != "Sequence")
    return error(path, absl::StrCat("normalizer type '", shown(*type),
                                    "' is not supported (supported: null, "
                                    "Sequence of supported normalizers)"));
  auto it = value.find("normalizers");
  if (it == value.end() || !it->is_array())
    return error(absl::StrCat(path, ".normalizers"), "missing (an array)");
  for (size_t i = 0; i < it->size(); ++i) {
    absl::Status status =
        parseNormalizer((*it)[i], absl::StrCat(path, ".normalizers[", i, "]"));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status Parser::parsePreTokenizer(const Json& value, std::string path,
                                       TokenizerConfig& config,
                                       bool& sawByteLevel) const {
  if (value.is_null())
    return error(path, "null, but byte-level BPE needs a ByteLevel pre_tokenizer");
  absl::StatusOr<std::string> type = getType(value, path);
  if (!type.ok()) return type.status();
  if (sawByteLevel)
    return error(path, absl::StrCat("a ", shown(*type),
                                    " step after ByteLevel is not supported "
                                    "(ByteLevel must come last)"));
  if (*type == "Sequence") {
    auto it = value.find("pretokenizers");
    if (it == value.end() || !it->is_array())
      return error(path + ".pretokenizers", "missing (an array)");
    for (size_t i = 0; i < it->size(); ++i) {
      absl::Status status =
          parsePreTokenizer((*it)[i], absl::StrCat(path, ".pretokenizers[", i, "]"),
                            config, sawByteLevel);
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  }
  if (*type == "Split") {
    auto pattern = value.find("pattern");
    if (pattern == value.end() || !pattern->is_object() || pattern->size() != 1 ||
        !(pattern->contains("Regex") || pattern->contains("String")) ||
        !pattern->begin()->is_string())
      return error(path + ".pattern",
                   "expected {\"Regex\": \"...\"} or {\"String\": \"...\"}");
    bool literal = pattern->contains("String");
    std::string text = pattern->begin()->get<std::string>();
    absl::StatusOr<Regex> regex = Regex::compile(
        text, literal, absl::StrCat(source_, ": ", path, ".pattern"));
    if (!regex.ok()) return regex.status();
    auto behavior = value.find("behavior");
    if (behavior == value.end() || !behavior->is_string())
      return error(path + ".behavior", "missing (a string)");
    static const std::pair<const char*, SplitBehavior> kBehaviors[] = {
        {"Removed", SplitBehavior::kRemoved},
        {"Isolated", SplitBehavior::kIsolated},
        {"MergedWithPrevious", SplitBehavior::kMergedWithPrevious},
        {"MergedWithNext", SplitBehavior::kMergedWithNext},
        {"Contiguous", SplitBehavior::kContiguous},
    };
    std::string name = behavior->get<std::string>();
    const auto* found =
        std::find_if(std::begin(kBehaviors), std::end(kBehaviors),
                     [&](const auto& entry) { return name == entry.first; });
    if (found == std::end(kBehaviors))
      return error(path + ".behavior",
                   absl::StrCat("'", shown(name),
                                "' is not one of Removed, Isolated, "
                                "MergedWithPrevious, MergedWithNext, Contiguous"));
    absl::StatusOr<bool> invert = getBool(value, "invert", path, false);
    if (!invert.ok()) return invert.status();
    config.splits.push_back({*std::move(regex), found->second, *invert});
    return absl::OkStatus();
  }
  if (*type == "Digits") {
    absl::StatusOr<bool> individual =
        getBool(value, "individual_digits", path, false);
    if (!individual.ok()) return individual.status();
    // HF tests char::is_numeric: general categories Nd, Nl, No = \p{N}.
    absl::StatusOr<Regex> regex = Regex::compile("\\p{N}", false, path);
    if (!regex.ok()) return regex.status();
    config.splits.push_back({*std::move(regex),
                             *individual ? SplitBehavior::kIsolated
                                         : SplitBehavior::kContiguous,
                             false});
    return absl::OkStatus();
  }
  if (*type == "ByteLevel") {
    absl::StatusOr<bool> prefix = getBool(value, "add_prefix_space", path, true);
    if (!prefix.ok()) return prefix.status();
    absl::StatusOr<bool> useRegex = getBool(value, "use_regex", path, true);
    if (!useRegex.ok()) return useRegex.status();
    config.byteLevel.addPrefixSpace = *prefix;
    if (*useRegex) {
      absl::StatusOr<Regex> regex = Regex::compile(kGpt2Pattern, false, path);
      if (!regex.ok()) return regex.status();
      config.byteLevel.wordPattern = std::make_unique<Regex>(*std::move(regex));
    }
    sawByteLevel = true;
    return absl::OkStatus();
  }
  return error(path, absl::StrCat("pre_tokenizer type '", shown(*type),
                                  "' is not supported (supported: Sequence, "
                                  "Split, Digits, ByteLevel)"));
}

absl::Status Parser::parseModel(const Json& value, TokenizerConfig& config) const {
  if (!value.is_object())
    return error("model", absl::StrCat("expected an object, got ", kind(value)));
  auto type = value.find("type");
  // Files written before tokenizers 0.10 may omit the type of a BPE model.
  if (type != value.end() && !(type->is_string() && *type == "BPE"))
    return error("model.type",
                 absl::StrCat("model type ", type->dump(),
                              " is not supported (only BPE)"));
  auto dropout = value.find("dropout");
  if (dropout != value.end() && !dropout->is_null() &&
      !(dropout->is_number() && dropout->get<double>() == 0.0))
    return error("model.dropout",
                 "BPE dropout is not supported (it makes encoding random)");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    auto it = value.find(key);
    if (it != value.end() && !it->is_null() &&
        !(it->is_string() && it->get<std::string>().empty()))
      return error(absl::StrCat("model.", key),
                   "is not supported by byte-level BPE (expected null)");
  }
  absl::StatusOr<bool> ignoreMerges = getBool(value, "ignore_merges", "model", false);
  if (!ignoreMerges.ok()) return ignoreMerges.status();
  absl::StatusOr<bool> byteFallback = getBool(value, "byte_fallback", "model", false);
  if (!byteFallback.ok()) return byteFallback.status();
  absl::StatusOr<bool> fuseUnk = getBool(value, "fuse_unk", "model", false);
  if (!fuseUnk.ok()) return fuseUnk.status();

  auto vocabJson = value.find("vocab");
  if (vocabJson == value.end() || !vocabJson->is_object())
    return error("model.vocab", "missing (an object of token: id)");
  absl::flat_hash_map<std::string, int32_t> modelVocab;
  absl::flat_hash_map<std::string, int32_t> words;  // Bytes -> id.
  modelVocab.reserve(vocabJson->size());
  for (auto it = vocabJson->begin(); it != vocabJson->end(); ++it) {
    absl::StatusOr<int32_t> id =
        getId(it.value(), absl::StrCat("model.vocab[\"", shown(it.key()), "\"]"));
    if (!id.ok()) return id.status();
    modelVocab[it.key()] = *id;
    if (static_cast<size_t>(*id) >= config.idBytes.size()) {
      config.idBytes.resize(*id + 1);
      config.known.resize(*id + 1, false);
    }
    if (config.known[*id])
      return error(absl::StrCat("model.vocab[\"", shown(it.key()), "\"]"),
                   absl::StrCat("id ", *id, " is given to two tokens"));
    config.known[*id] = true;
    std::optional<std::string> bytes = byteLevelToBytes(it.key());
    if (bytes) {
      words.emplace(*bytes, *id);
      config.idBytes[*id] = *std::move(bytes);
    } else {
      config.idBytes[*id] = it.key();
    }
  }

  int32_t unkId = -1;
  auto unk = value.find("unk_token");
  if (unk != value.end() && !unk->is_null()) {
    if (!unk->is_string()) return error("model.unk_token", "expected a string or null");
    auto found = modelVocab.find(unk->get<std::string>());
    if (found == modelVocab.end())
      return error("model.unk_token",
                   absl::StrCat("'", shown(unk->get<std::string>()),
                                "' is not in the vocabulary"));
    unkId = found->second;
  }

  std::array<int32_t, 256> byteIds;
  for (int b = 0; b < 256; ++b) {
    auto it = words.find(std::string(1, static_cast<char>(b)));
    byteIds[b] = it == words.end() ? -1 : it->second;
  }
  // byte_fallback: a byte without a token becomes the <0xXX> tokens of its
  // byte-level character's UTF-8, as HF falls back per character.
  std::array<std::vector<int32_t>, 256> fallback;
  if (*byteFallback) {
    for (int b = 0; b < 256; ++b) {
      if (byteIds[b] >= 0) continue;
      std::string spelled = bytesToByteLevel(std::string(1, static_cast<char>(b)));
      std::vector<int32_t> ids;
      for (unsigned char u : spelled) {
        char name[8];
        std::snprintf(name, sizeof(name), "<0x%02X>", u);
        auto it = modelVocab.find(name);
        if (it == modelVocab.end()) {
          ids.clear();
          break;
        }
        ids.push_back(it->second);
      }
      fallback[b] = std::move(ids);
    }
  }

  auto mergesJson = value.find("merges");
  if (mergesJson == value.end() || !mergesJson->is_array())
    return error("model.merges", "missing (an array)");
  std::vector<std::array<int32_t, 3>> merges;
  merges.reserve(mergesJson->size());
  for (size_t i = 0; i < mergesJson->size(); ++i) {
    const Json& entry = (*mergesJson)[i];
    std::string path = absl::StrCat("model.merges[", i, "]");
    std::string left, right;
    if (entry.is_string()) {
      const std::string& text = entry.get_ref<const std::string&>();
      size_t space = text.find(' ');
      if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos)
        return error(path, absl::StrCat("'", shown(text),
                                        "' is not two tokens separated by one space"));
      left = text.substr(0, space);
      right = text.substr(space + 1);
    } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() &&
               entry[1].is_string()) {
      left = entry[0].get<std::string>();
      right = entry[1].get<std::string>();
    } else {
      return error(path, absl::StrCat("expected \"a b\" or [\"a\", \"b\"], got ",
                                      entry.dump()));
    }
    std::array<int32_t, 3> merge;
    for (int k = 0; k < 3; ++k) {
      std::string token = k == 0 ? left : k == 1 ? right : left + right;
      auto it = modelVocab.find(token);
      if (it == modelVocab.end())
        return error(path, absl::StrCat(k == 2 ? "the merged token '" : "token '",
                                        shown(token), "' is not in the vocabulary"));
      merge[k] = it->second;
    }
    merges.push_back(merge);
  }
  config.model = std::make_unique<BpeModel>(byteIds, std::move(fallback), merges,
                                            std::move(words), *ignoreMerges,
                                            unkId, *fuseUnk);
  return absl::OkStatus();
}

absl::Status Parser::parseAddedTokens(const Json& value,
                                      TokenizerConfig& config) const {
  if (value.is_null()) return absl::OkStatus();
  if (!value.is_array())
    return error("added_tokens", absl::StrCat("expected an array, got ", kind(value)));
  for (size_t i = 0; i < value.size(); ++i) {
    const Json& entry = value[i];
    std::string path = absl::StrCat("added_tokens[", i, "]");
    if (!entry.is_object())
      return error(path, absl::StrCat("expected an object, got ", kind(entry)));
    AddedToken token;
    auto id = entry.find("id");
    if (id == entry.end()) return error(path + ".id", "missing");
    absl::StatusOr<int32_t> parsedId = getId(*id, path + ".id");
    if (!parsedId.ok()) return parsedId.status();
    token.id = *parsedId;
    auto content = entry.find("content");
    if (content == entry.end() || !content->is_string() ||
        content->get_ref<const std::string&>().empty())
      return error(path + ".content", "missing (a non-empty string)");
    token.content = content->get<std::string>();
    struct Flag {
      const char* key;
      bool* target;
      bool fallback;
    };
    for (Flag flag : {Flag{"special", &token.special, false},
                      Flag{"single_word", &token.singleWord, false},
                      Flag{"lstrip", &token.lstrip, false},
                      Flag{"rstrip", &token.rstrip, false},
                      Flag{"normalized", &token.normalized, true}}) {
      absl::StatusOr<bool> parsed = getBool(entry, flag.key, path, flag.fallback);
      if (!parsed.ok()) return parsed.status();
      *flag.target = *parsed;
    }
    if (static_cast<size_t>(token.id) >= config.idBytes.size()) {
      config.idBytes.resize(token.id + 1);
      config.known.resize(token.id + 1, false);
    }
    // HF decodes an added token's content through the decoder.
    std::optional<std::string> bytes = byteLevelToBytes(token.content);
    config.idBytes[token.id] = bytes ? *bytes : token.content;
    config.known[token.id] = true;
    if (token.content == kBosContent) config.bosId = token.id;
    if (token.content == kEosContent) config.eosId = token.id;
    config.addedTokens.push_back(std::move(token));
  }
  config.special.assign(config.idBytes.size(), false);
  for (const AddedToken& token : config.addedTokens)
    if (token.special) config.special[token.id] = true;
  return absl::OkStatus();
}

absl::Status Parser::parseDecoder(const Json& value) const {
  if (value.is_null())
    return error("decoder", "null, but byte-level BPE needs the ByteLevel decoder");
  absl::StatusOr<std::string> type = getType(value, "decoder");
  if (!type.ok()) return type.status();
  if (*type != "ByteLevel")
    return error("decoder", absl::StrCat("decoder type '", shown(*type),
                                         "' is not supported (supported: ByteLevel)"));
  return absl::OkStatus();
}

absl::Status Parser::parsePostProcessor(const Json& value, std::string path,
                                        TokenizerConfig& config) const {
  if (value.is_null()) return absl::OkStatus();
  absl::StatusOr<std::string> type = getType(value, path);
  if (!type.ok()) return type.status();
  if (*type == "ByteLevel") return absl::OkStatus();  // Offsets only.
  if (*type == "Sequence") {
    auto it = value.find("processors");
    if (it == value.end() || !it->is_array())
      return error(path + ".processors", "missing (an array)");
    for (size_t i = 0; i < it->size(); ++i) {
      absl::Status status = parsePostProcessor(
          (*it)[i], absl::StrCat(path, ".processors[", i, "]"), config);
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  }
  if (*type != "TemplateProcessing")
    return error(path, absl::StrCat("post_processor type '", shown(*type),
                                    "' is not supported (supported: "
                                    "TemplateProcessing, ByteLevel, Sequence)"));
  if (config.hasTemplate)
    return error(path, "a second TemplateProcessing is not supported");
  auto single = value.find("single");
  if (single == value.end() || !single->is_array())
    return error(path + ".single", "missing (an array)");
  auto specials = value.find("special_tokens");
  bool sawSequence = false;
  for (size_t i = 0; i < single->size(); ++i) {
    const Json& piece = (*single)[i];
    std::string piecePath = absl::StrCat(path, ".single[", i, "]");
    if (piece.is_object() && piece.contains("Sequence")) {
      if (sawSequence) return error(piecePath, "a second Sequence in the template");
      sawSequence = true;
      continue;
    }
    if (!piece.is_object() || !piece.contains("SpecialToken") ||
        !piece["SpecialToken"].is_object() ||
        !piece["SpecialToken"].contains("id") ||
        !piece["SpecialToken"]["id"].is_string())
      return error(piecePath,
                   "expected {\"SpecialToken\": {\"id\": ...}} or {\"Sequence\": ...}");
    std::string name = piece["SpecialToken"]["id"].get<std::string>();
    if (specials == value.end() || !specials->is_object() ||
        !specials->contains(name) || !(*specials)[name].contains("ids") ||
        !(*specials)[name]["ids"].is_array())
      return error(piecePath, absl::StrCat("special token '", shown(name),
                                           "' has no ids in special_tokens"));
    for (const Json& id : (*specials)[name]["ids"]) {
      absl::StatusOr<int32_t> parsed =
          getId(id, absl::StrCat(path, ".special_tokens[\"", name, "\"].ids"));
      if (!parsed.ok()) return parsed.status();
      (sawSequence ? config.templateSuffix : config.templatePrefix).push_back(*parsed);
    }
  }
  if (!sawSequence) return error(path + ".single", "has no {\"Sequence\": ...}");
  config.hasTemplate = true;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TokenizerConfig> parseTokenizerJson(std::string_view json,
                                                   std::string_view sourceView) {
  std::string source(sourceView);
  Parser parser(source);
  Json root;
  try {
    root = Json::parse(json.begin(), json.end());
  } catch (const Json::exception& e) {  // parse_error, or out_of_range for 1e999
    // nlohmann's message: "[json.exception.parse_error.101] parse error at
    // line 1, column 2: ..."; keep what follows the bracketed id.
    std::string message = e.what();
    size_t close = message.find("] ");
    if (close != std::string::npos) message = message.substr(close + 2);
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": not valid JSON: ", message));
  }
  if (!root.is_object())
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": expected a JSON object at the top, got ", root.type_name()));
  auto section = [&](const char* key) -> const Json& {
    static const Json kNull;
    auto it = root.find(key);
    return it == root.end() ? kNull : *it;
  };
  if (!root.contains("model"))
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": no \"model\": not a Hugging Face tokenizer.json"));

  TokenizerConfig config;
  // The model first: a file of another kind of model fails on that.
  absl::Status status = parser.parseModel(section("model"), config);
  if (!status.ok()) return status;
  status = parser.parseNormalizer(section("normalizer"), "normalizer");
  if (!status.ok()) return status;
  bool sawByteLevel = false;
  status = parser.parsePreTokenizer(section("pre_tokenizer"), "pre_tokenizer",
                                    config, sawByteLevel);
  if (!status.ok()) return status;
  if (!sawByteLevel)
    return parser.error("pre_tokenizer",
                        "has no ByteLevel step (only byte-level BPE is supported)");
  status = parser.parseAddedTokens(section("added_tokens"), config);
  if (!status.ok()) return status;
  status = parser.parseDecoder(section("decoder"));
  if (!status.ok()) return status;
  status = parser.parsePostProcessor(section("post_processor"), "post_processor",
                                     config);
  if (!status.ok()) return status;
  // Without an added bos, the template's first special token is the bos.
  if (config.bosId < 0 && !config.templatePrefix.empty())
    config.bosId = config.templatePrefix.front();
  config.special.resize(config.idBytes.size(), false);
  return config;
}

}  // namespace dsv2::tokenizer
