//===- TokenizerFuzzer.cpp - Fuzzes the tokenizer -------------------------===//
//
// The first byte picks what the rest is:
//   even: a candidate tokenizer.json. Tokenizer::fromJson returns a tokenizer
//         or a one-line error; a tokenizer it accepts must encode and decode
//         a fixed mixed-script text without crashing.
//   odd:  text (any bytes, invalid UTF-8 included) for the tiny preset's
//         tokenizer: encode (with bos), decode, and the streaming decoder's
//         output must equal decode and be valid UTF-8; then the same bytes
//         read as ids (known or not) must decode without crashing.
//
//===----------------------------------------------------------------------===//

#include "models/deepseek_v2/Presets.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using dsv2::tokenizer::StreamingDecoder;
using dsv2::tokenizer::Tokenizer;

/// Whether `text` is well-formed UTF-8 (what every decode must return).
bool isUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = text[i];
    size_t length = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3
                               : (c >> 3) == 30 ? 4 : 0;
    if (length == 0 || i + length > text.size())
      return false;
    for (size_t k = 1; k < length; ++k)
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 2)
        return false;
    i += length;
  }
  return true;
}

void roundTrip(const Tokenizer &tokenizer, std::string_view text) {
  std::vector<int32_t> ids = tokenizer.encode(text, /*addBos=*/true);
  for (int32_t id : ids)
    if (!tokenizer.isKnownId(id))
      std::abort(); // encode produced an id of no token
  std::string decoded = tokenizer.decode(ids);
  StreamingDecoder streaming(tokenizer);
  std::string streamed;
  for (int32_t id : ids) {
    std::string piece = streaming.add(id);
    if (!isUtf8(piece))
      std::abort(); // half a character escaped the streaming decoder
    streamed += piece;
  }
  streamed += streaming.flush();
  if (streamed != decoded || !isUtf8(decoded))
    std::abort();
}

const Tokenizer &tinyTokenizer() {
  static const Tokenizer tokenizer = [] {
    auto parsed = Tokenizer::fromJson(*dsv2::model::presetTokenizerJson("tiny"),
                                      "tiny preset");
    if (!parsed.ok())
      std::abort();
    return std::move(*parsed);
  }();
  return tokenizer;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  std::string_view rest(reinterpret_cast<const char *>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    auto tokenizer = Tokenizer::fromJson(rest, "fuzz/tokenizer.json");
    if (!tokenizer.ok()) {
      if (tokenizer.status().message().find('\n') != std::string_view::npos)
        std::abort();
      return 0;
    }
    roundTrip(*tokenizer, "Hello, 世界! 123 \xF0\x9F\x98\x80  \n\tx");
    return 0;
  }
  const Tokenizer &tokenizer = tinyTokenizer();
  roundTrip(tokenizer, rest);
  std::vector<int32_t> ids;
  for (size_t i = 0; i + 1 < rest.size(); i += 2)
    ids.push_back(static_cast<int32_t>(
        (static_cast<uint8_t>(rest[i]) << 8 | static_cast<uint8_t>(rest[i + 1])) %
        (tokenizer.vocabSize() + 8)));
  if (!isUtf8(tokenizer.decode(ids, /*skipSpecialTokens=*/false)))
    std::abort();
  return 0;
}
