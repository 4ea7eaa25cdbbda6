//===- JsonLines.cpp - The JSONL contract of tokenize/detokenize ----------===//
//
// Kept in the tokenizer library because nlohmann reports parse errors with
// exceptions, which dsv2c (built with LLVM's -fno-exceptions) cannot catch.
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/JsonLines.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace dsv2::tokenizer {
namespace {

using Json = nlohmann::json;

absl::StatusOr<Json> parseObject(std::string_view line) {
  Json value;
  try {
    value = Json::parse(line.begin(), line.end());
  } catch (const Json::exception& e) {  // parse_error, or out_of_range for 1e999
    std::string message = e.what();
    size_t close = message.find("] ");
    if (close != std::string::npos) message = message.substr(close + 2);
    return absl::InvalidArgumentError(absl::StrCat("not valid JSON: ", message));
  }
  if (!value.is_object())
    return absl::InvalidArgumentError(
        absl::StrCat("expected a JSON object, got ", value.type_name()));
  return value;
}

}  // namespace

absl::StatusOr<std::string> parseTextLine(std::string_view line) {
  absl::StatusOr<Json> object = parseObject(line);
  if (!object.ok()) return object.status();
  auto text = object->find("text");
  if (text != object->end()) {
    if (!text->is_string())
      return absl::InvalidArgumentError(
          absl::StrCat("\"text\" must be a string, got ", text->type_name()));
    return text->get<std::string>();
  }
  auto encoded = object->find("text_base64");
  if (encoded != object->end()) {
    std::string bytes;
    if (!encoded->is_string() ||
        !absl::Base64Unescape(encoded->get<std::string>(), &bytes))
      return absl::InvalidArgumentError("\"text_base64\" is not a base64 string");
    return bytes;
  }
  return absl::InvalidArgumentError(
      "expected an object with a \"text\" (or \"text_base64\") field");
}

absl::StatusOr<std::vector<int64_t>> parseIdsLine(std::string_view line) {
  absl::StatusOr<Json> object = parseObject(line);
  if (!object.ok()) return object.status();
  auto ids = object->find("ids");
  if (ids == object->end() || !ids->is_array())
    return absl::InvalidArgumentError(
        "expected an object with an \"ids\" array");
  std::vector<int64_t> result;
  result.reserve(ids->size());
  for (size_t i = 0; i < ids->size(); ++i) {
    const Json& id = (*ids)[i];
    if (!id.is_number_integer())
      return absl::InvalidArgumentError(absl::StrCat(
          "\"ids\"[", i, "] is ", id.dump(), ", not a token id (an integer)"));
    // Unsigned values beyond int64 read as negative and fail the caller's
    // range check with the value shown, so clamp them visibly instead.
    if (id.is_number_unsigned() && id.get<uint64_t>() > INT64_MAX)
      return absl::InvalidArgumentError(
          absl::StrCat("\"ids\"[", i, "] is ", id.dump(), ", too large"));
    result.push_back(id.get<int64_t>());
  }
  return result;
}

std::string formatIdsLine(absl::Span<const int32_t> ids) {
  std::string line = "{\"ids\":[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) line.push_back(',');
    absl::StrAppend(&line, ids[i]);
  }
  line += "]}";
  return line;
}

std::string formatTextLine(std::string_view text) {
  Json object = Json::object();
  object["text"] = std::string(text);
  return object.dump();
}

}  // namespace dsv2::tokenizer
