//===- SafetensorsLayout.cpp - Validated safetensors header ---------------===//
//
// The checks, in order: preamble length, header length bounds, JSON syntax
// (with a nesting limit), header structure, each tensor's dtype / shape /
// offsets / byte count, and finally that no two byte ranges overlap.
//
//===----------------------------------------------------------------------===//

#include "runtime/safetensors/SafetensorsLayout.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/io/PrintableText.h"

namespace dsv2::runtime {
namespace {

using Json = nlohmann::json;

constexpr size_t kLengthPrefixBytes = 8;
/// A safetensors header nests three levels deep; anything far deeper is
/// refused before it can cost memory or time.
constexpr int kMaxJsonDepth = 32;
/// Ranks above this are refused (real checkpoints use at most 4).
constexpr size_t kMaxRank = 64;

/// Thrown by the parse callback to stop parsing an over-deep document.
struct JsonTooDeep {};

/// Builds "PATH: what" errors for one file.
class ErrorReporter {
 public:
  explicit ErrorReporter(absl::string_view path) : path_(path) {}
  absl::Status invalid(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": ", what));
  }
  absl::Status dataLoss(absl::string_view what) const {
    return absl::DataLossError(absl::StrCat(path_, ": ", what));
  }

 private:
  absl::string_view path_;
};

/// "'name'" with the name made printable.
std::string quotedName(absl::string_view name) {
  return absl::StrCat("'", printableText(name), "'");
}

/// The value of a JSON non-negative integer, or nullopt for anything else
/// (negative, fractional, non-number).
std::optional<uint64_t> nonNegativeInteger(const Json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0) {
    return static_cast<uint64_t>(value.get<int64_t>());
  }
  return std::nullopt;
}

absl::StatusOr<std::map<std::string, std::string>> parseMetadata(
    const Json& value, const ErrorReporter& report) {
  if (!value.is_object()) {
    return report.invalid("__metadata__ is not a JSON object");
  }
  std::map<std::string, std::string> metadata;
  for (const auto& [key, entry] : value.items()) {
    if (!entry.is_string()) {
      return report.invalid(absl::StrCat("__metadata__ entry ", quotedName(key),
                                         " is not a string"));
    }
    metadata.emplace(key, entry.get<std::string>());
  }
  return metadata;
}

/// The tensor a header entry describes, with `data` still unset and
/// `numBytes` checked against the offsets. `begin` receives the start
/// offset within the data section.
absl::StatusOr<TensorView> parseTensorEntry(const std::string& name,
                                            const Json& entry,
                                            uint64_t dataSectionBytes,
                                            const ErrorReporter& report,
                                            uint64_t& begin) {
  const std::string tensor = absl::StrCat("tensor ", quotedName(name));
  if (!entry.is_object()) {
    return report.invalid(absl::StrCat(tensor, " is not a JSON object"));
  }

  TensorView view;
  view.name = name;

  const auto dtypeIt = entry.find("dtype");
  if (dtypeIt == entry.end() || !dtypeIt->is_string()) {
    return report.invalid(
        absl::StrCat(tensor, " has no \"dtype\" string"));
  }
  const std::string& dtypeText = dtypeIt->get_ref<const std::string&>();
  const std::optional<DType> dtype = parseDType(dtypeText);
  if (!dtype.has_value()) {
    return report.invalid(absl::StrCat(tensor, " has dtype ",
                                       printableText(dtypeText, 40),
                                       "; supported: ", kSupportedDTypeNames));
  }
  view.dtype = *dtype;

  const auto shapeIt = entry.find("shape");
  if (shapeIt == entry.end() || !shapeIt->is_array()) {
    return report.invalid(absl::StrCat(tensor, " has no \"shape\" array"));
  }
  if (shapeIt->size() > kMaxRank) {
    return report.invalid(absl::StrCat(tensor, " has ", shapeIt->size(),
                                       " dimensions; at most ", kMaxRank,
                                       " are supported"));
  }
  for (const Json& dim : *shapeIt) {
    const std::optional<uint64_t> size = nonNegativeInteger(dim);
    if (!size.has_value() ||
        *size > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return report.invalid(absl::StrCat(
          tensor, " has a shape entry that is not a non-negative integer"));
    }
    view.shape.push_back(static_cast<int64_t>(*size));
  }

  const auto offsetsIt = entry.find("data_offsets");
  std::optional<uint64_t> first, last;
  if (offsetsIt != entry.end() && offsetsIt->is_array() &&
      offsetsIt->size() == 2) {
    first = nonNegativeInteger((*offsetsIt)[0]);
    last = nonNegativeInteger((*offsetsIt)[1]);
  }
  if (!first.has_value() || !last.has_value()) {
    return report.invalid(absl::StrCat(
        tensor, " has no \"data_offsets\" pair of non-negative integers"));
  }
  const std::string range = absl::StrCat("[", *first, ", ", *last, ")");
  if (*first > *last) {
    return report.invalid(absl::StrCat("offsets ", range, " of ", tensor,
                                       " begin after they end"));
  }
  if (*last > dataSectionBytes) {
    return report.dataLoss(absl::StrCat("offsets ", range, " of ", tensor,
                                        " lie outside the data section (",
                                        dataSectionBytes, " bytes)"));
  }

  // Element count times element size, guarding overflow; a zero dimension
  // makes the tensor empty whatever the other dimensions are.
  const uint64_t span = *last - *first;
  const bool empty = std::find(view.shape.begin(), view.shape.end(), 0) !=
                     view.shape.end();
  uint64_t needed = empty ? 0 : dtypeSize(view.dtype);
  bool overflow = false;
  if (!empty) {
    for (int64_t dim : view.shape) {
      overflow = overflow || __builtin_mul_overflow(
                                 needed, static_cast<uint64_t>(dim), &needed);
    }
  }
  const std::string described = absl::StrCat(
      tensor, ": shape ", formatShape(view.shape), " x ",
      dtypeName(view.dtype), " needs ");
  if (overflow) {
    return report.invalid(absl::StrCat(
        described, "more than 2^64 bytes but data_offsets span ", span));
  }
  if (needed != span) {
    return report.invalid(absl::StrCat(described, needed,
                                       " bytes but data_offsets span ", span));
  }
  view.numBytes = static_cast<size_t>(span);
  begin = *first;
  return view;
}

/// Finds two tensors whose non-empty byte ranges overlap.
absl::Status checkNoOverlap(const std::vector<TensorView>& tensors,
                            const std::vector<uint64_t>& begins,
                            const ErrorReporter& report) {
  std::vector<size_t> order(tensors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto end = [&](size_t i) { return begins[i] + tensors[i].numBytes; };
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return begins[a] != begins[b] ? begins[a] < begins[b] : end(a) < end(b);
  });
  std::optional<size_t> furthest;  // The tensor reaching furthest so far.
  for (size_t i : order) {
    if (tensors[i].numBytes == 0) continue;
    if (furthest.has_value() && begins[i] < end(*furthest)) {
      const size_t j = *furthest;
      return report.invalid(absl::StrCat(
          "byte ranges of tensors ", quotedName(tensors[j].name), " [", begins[j],
          ", ", end(j), ") and ", quotedName(tensors[i].name), " [", begins[i],
          ", ", end(i), ") overlap"));
    }
    if (!furthest.has_value() || end(i) > end(*furthest)) furthest = i;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SafetensorsLayout> parseSafetensorsLayout(
    absl::string_view path, absl::Span<const uint8_t> bytes) {
  const ErrorReporter report(path);
  if (bytes.size() < kLengthPrefixBytes) {
    return report.dataLoss(absl::StrCat(
        "file is ", bytes.size(),
        " bytes, too short for the 8-byte safetensors header length"));
  }
  uint64_t headerBytes = 0;
  for (size_t i = kLengthPrefixBytes; i-- > 0;) {
    headerBytes = (headerBytes << 8) | bytes[i];
  }
  if (headerBytes > kMaxSafetensorsHeaderBytes) {
    return report.invalid(absl::StrCat("header length ", headerBytes,
                                       " exceeds the limit of ",
                                       kMaxSafetensorsHeaderBytes, " bytes"));
  }
  if (headerBytes > bytes.size() - kLengthPrefixBytes) {
    return report.dataLoss(absl::StrCat(
        "header length ", headerBytes,
        " runs past the end of the file (size ", bytes.size(), ")"));
  }
  const uint8_t* headerBegin = bytes.data() + kLengthPrefixBytes;
  const uint8_t* dataBegin = headerBegin + headerBytes;
  const uint64_t dataSectionBytes =
      bytes.size() - kLengthPrefixBytes - headerBytes;

  Json header;
  try {
    Json::parser_callback_t limitDepth = [](int depth,
                                            Json::parse_event_t event,
                                            Json&) -> bool {
      if (depth > kMaxJsonDepth &&
          (event == Json::parse_event_t::object_start ||
           event == Json::parse_event_t::array_start)) {
        throw JsonTooDeep{};
      }
      return true;
    };
    header = Json::parse(headerBegin, dataBegin, limitDepth);
  } catch (const Json::exception& error) {
    return report.invalid(absl::StrCat("header is not valid JSON: ",
                                       printableText(error.what(), 300)));
  } catch (const JsonTooDeep&) {
    return report.invalid(absl::StrCat("header JSON nests deeper than ",
                                       kMaxJsonDepth, " levels"));
  }
  if (!header.is_object()) {
    return report.invalid("header is not a JSON object");
  }

  SafetensorsLayout layout;
  std::vector<uint64_t> begins;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      absl::StatusOr<std::map<std::string, std::string>> metadata =
          parseMetadata(entry, report);
      if (!metadata.ok()) return metadata.status();
      layout.metadata = *std::move(metadata);
      continue;
    }
    uint64_t begin = 0;
    absl::StatusOr<TensorView> view =
        parseTensorEntry(name, entry, dataSectionBytes, report, begin);
    if (!view.ok()) return view.status();
    view->data = dataBegin + begin;
    layout.tensors.push_back(*std::move(view));
    begins.push_back(begin);
  }
  if (absl::Status status = checkNoOverlap(layout.tensors, begins, report);
      !status.ok()) {
    return status;
  }
  // Object keys come out of nlohmann::json in sorted order already; sort
  // anyway so that `find` may rely on it whatever the container.
  std::sort(layout.tensors.begin(), layout.tensors.end(),
            [](const TensorView& a, const TensorView& b) {
              return a.name < b.name;
            });
  return layout;
}

}  // namespace dsv2::runtime
