//===- Tokenizer.cpp - DeepSeek's byte-level BPE tokenizer ----------------===//
//
// The encode pipeline of HF `tokenizers` (TokenizerImpl::encode_single_sequence)
// for what tokenizer.json files of byte-level BPE models contain. Words are
// cached: natural text repeats its words, and BPE is the costly step.
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/Tokenizer.h"

#include <fstream>
#include <mutex>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runtime/tokenizer/AddedTokens.h"
#include "runtime/tokenizer/TokenizerConfig.h"
#include "runtime/tokenizer/Utf8.h"

namespace dsv2::tokenizer {
namespace {

// Words longer than this are not cached (long runs of CJK or spaces are
// rare and would crowd out the rest).
constexpr size_t kMaxCachedWordBytes = 64;
// The cache is dropped when it holds this many words.
constexpr size_t kMaxCachedWords = 1 << 17;

}  // namespace

struct Tokenizer::State {
  TokenizerConfig config;
  AddedTokenMatcher rawTokens;         // normalized: false
  AddedTokenMatcher normalizedTokens;  // normalized: true
  mutable std::mutex cacheMutex;
  mutable absl::flat_hash_map<std::string, std::vector<int32_t>> cache;

  explicit State(TokenizerConfig parsed)
      : config(std::move(parsed)),
        rawTokens(config.addedTokens, /*normalizedGroup=*/false),
        normalizedTokens(config.addedTokens, /*normalizedGroup=*/true) {}
};

Tokenizer::Tokenizer(std::unique_ptr<State> state) : state_(std::move(state)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

absl::StatusOr<Tokenizer> Tokenizer::fromJson(std::string_view json,
                                              std::string_view source) {
  absl::StatusOr<TokenizerConfig> config = parseTokenizerJson(json, source);
  if (!config.ok()) return config.status();
  return Tokenizer(std::make_unique<State>(*std::move(config)));
}

absl::StatusOr<Tokenizer> Tokenizer::fromFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open the tokenizer file"));
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad())
    return absl::DataLossError(absl::StrCat(path, ": read error"));
  return fromJson(text.str(), path);
}

std::vector<int32_t> Tokenizer::encode(std::string_view input,
                                       bool addBos) const {
  const TokenizerConfig& config = state_->config;
  std::string repaired;
  std::string_view text = input;
  if (!isValidUtf8(input)) {
    repaired = toValidUtf8Lossy(input);
    text = repaired;
  }
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  if (addBos) {
    if (config.hasTemplate)
      ids.insert(ids.end(), config.templatePrefix.begin(), config.templatePrefix.end());
    else if (config.bosId >= 0)
      ids.push_back(config.bosId);
  }
  // Non-normalized added tokens on the raw text, then the normalized ones
  // on the rest (the normalizers we accept change nothing).
  std::vector<Segment> raw, segments;
  state_->rawTokens.split(text, 0, text.size(), raw);
  for (const Segment& segment : raw) {
    if (segment.id >= 0)
      segments.push_back(segment);
    else
      state_->normalizedTokens.split(text, segment.begin, segment.end, segments);
  }
  for (const Segment& segment : segments) {
    if (segment.id >= 0)
      ids.push_back(segment.id);
    else
      encodeText(text, segment.begin, segment.end, ids);
  }
  if (addBos && config.hasTemplate)
    ids.insert(ids.end(), config.templateSuffix.begin(), config.templateSuffix.end());
  return ids;
}

void Tokenizer::encodeText(std::string_view text, size_t begin, size_t end,
                           std::vector<int32_t>& ids) const {
  const TokenizerConfig& config = state_->config;
  std::vector<Piece> pieces{{begin, end}}, next;
  std::vector<std::pair<size_t, size_t>> scratch;
  for (const SplitStep& step : config.splits) {
    applySplit(step, text, pieces, next, scratch);
    pieces.swap(next);
  }
  std::string prefixed;
  for (const Piece& piece : pieces) {
    std::string_view word = text.substr(piece.first, piece.second - piece.first);
    if (config.byteLevel.addPrefixSpace && word.front() != ' ') {
      prefixed.assign(" ");
      prefixed.append(word);
      word = prefixed;
    }
    if (!config.byteLevel.wordPattern) {
      encodeWord(word, ids);
      continue;
    }
    scratch.clear();
    config.byteLevel.wordPattern->findAll(word, scratch);
    // Isolated: matches and the gaps between them are all words.
    size_t previous = 0;
    for (auto [matchBegin, matchEnd] : scratch) {
      if (previous != matchBegin)
        encodeWord(word.substr(previous, matchBegin - previous), ids);
      encodeWord(word.substr(matchBegin, matchEnd - matchBegin), ids);
      previous = matchEnd;
    }
    if (previous != word.size()) encodeWord(word.substr(previous), ids);
  }
}

void Tokenizer::encodeWord(std::string_view word, std::vector<int32_t>& ids) const {
  if (word.empty()) return;
  if (word.size() > kMaxCachedWordBytes) {
    state_->config.model->encodeWord(word, ids);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(state_->cacheMutex);
    auto it = state_->cache.find(absl::string_view(word.data(), word.size()));
    if (it != state_->cache.end()) {
      ids.insert(ids.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  size_t first = ids.size();
  state_->config.model->encodeWord(word, ids);
  std::lock_guard<std::mutex> lock(state_->cacheMutex);
  if (state_->cache.size() >= kMaxCachedWords) state_->cache.clear();
  state_->cache.emplace(std::string(word),
                        std::vector<int32_t>(ids.begin() + first, ids.end()));
}

void Tokenizer::appendTokenBytes(int32_t id, bool skipSpecialTokens,
                                 std::string& bytes) const {
  if (!isKnownId(id)) return;
  if (skipSpecialTokens && state_->config.special[id]) return;
  bytes.append(state_->config.idBytes[id]);
}

std::string Tokenizer::decode(absl::Span<const int32_t> ids,
                              bool skipSpecialTokens) const {
  std::string bytes;
  for (int32_t id : ids) appendTokenBytes(id, skipSpecialTokens, bytes);
  return toValidUtf8Lossy(bytes);
}

int32_t Tokenizer::vocabSize() const {
  return static_cast<int32_t>(state_->config.idBytes.size());
}

bool Tokenizer::isKnownId(int32_t id) const {
  return id >= 0 && id < vocabSize() && state_->config.known[id];
}

bool Tokenizer::isSpecialId(int32_t id) const {
  return isKnownId(id) && state_->config.special[id];
}

int32_t Tokenizer::bosId() const { return state_->config.bosId; }
int32_t Tokenizer::eosId() const { return state_->config.eosId; }

}  // namespace dsv2::tokenizer
