//===- Npy.cpp - float32 arrays in NumPy's .npy format --------------------===//
//
// The writer reproduces numpy's `_write_array_header` (sorted dict keys,
// spare room after the first dimension, space padding to 64 bytes, final
// newline). The reader accepts exactly the Python literal subset numpy emits
// for the header dict and checks every length against the file size.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Npy.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "runtime/io/MappedFile.h"
#include "runtime/io/PrintableText.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the .npy reader and writer assume a little-endian host");

namespace dsv2::runtime {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
/// numpy aligns the start of the data to this many bytes.
constexpr size_t kDataAlignment = 64;
/// numpy leaves room for the first dimension to grow to this many digits.
constexpr size_t kGrowthAxisMaxDigits = 21;

/// "(3, 256)", "(5,)" or "()": Python's repr of the shape tuple.
std::string shapeTuple(absl::Span<const int64_t> shape) {
  std::string text = absl::StrCat("(", absl::StrJoin(shape, ", "));
  if (shape.size() == 1) text += ",";
  text += ")";
  return text;
}

/// The element count of `shape`, or nullopt when a dimension is negative or
/// the count does not fit in int64.
std::optional<int64_t> elementCount(absl::Span<const int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0) return std::nullopt;
  }
  for (int64_t dim : shape) {
    if (dim == 0) return 0;
  }
  for (int64_t dim : shape) {
    if (__builtin_mul_overflow(count, dim, &count)) return std::nullopt;
  }
  return count;
}

//===----------------------------------------------------------------------===//
// Header dict parsing
//===----------------------------------------------------------------------===//

/// The fields of a .npy header dict.
struct NpyHeaderFields {
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
};

/// A recursive-descent parser for the header dict, e.g.
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 256), }`.
class NpyHeaderParser {
 public:
  explicit NpyHeaderParser(absl::string_view text) : text_(text) {}

  /// Parses the dict; on failure returns a description of the problem.
  absl::StatusOr<NpyHeaderFields> parse() {
    NpyHeaderFields fields;
    bool seenDescr = false, seenFortran = false, seenShape = false;
    skipSpace();
    if (!consume('{')) return problem("expected '{'");
    skipSpace();
    while (!consume('}')) {
      absl::StatusOr<std::string> key = parseString();
      if (!key.ok()) return key.status();
      skipSpace();
      if (!consume(':')) return problem("expected ':' after a key");
      skipSpace();
      if (*key == "descr") {
        if (seenDescr) return problem("duplicate key 'descr'");
        seenDescr = true;
        absl::StatusOr<std::string> descr = parseString();
        if (!descr.ok()) return descr.status();
        fields.descr = *std::move(descr);
      } else if (*key == "fortran_order") {
        if (seenFortran) return problem("duplicate key 'fortran_order'");
        seenFortran = true;
        if (consumeWord("True")) {
          fields.fortranOrder = true;
        } else if (consumeWord("False")) {
          fields.fortranOrder = false;
        } else {
          return problem("'fortran_order' is not True or False");
        }
      } else if (*key == "shape") {
        if (seenShape) return problem("duplicate key 'shape'");
        seenShape = true;
        absl::StatusOr<std::vector<int64_t>> shape = parseShape();
        if (!shape.ok()) return shape.status();
        fields.shape = *std::move(shape);
      } else {
        return problem(
            absl::StrCat("unexpected key '", printableText(*key, 40), "'"));
      }
      skipSpace();
      if (consume(',')) {
        skipSpace();
      } else if (!lookingAt('}')) {
        return problem("expected ',' or '}' after a value");
      }
    }
    skipSpace();
    if (pos_ != text_.size()) return problem("unexpected text after '}'");
    if (!seenDescr || !seenFortran || !seenShape) {
      return absl::InvalidArgumentError(
          "header dict lacks one of 'descr', 'fortran_order', 'shape'");
    }
    return fields;
  }

 private:
  absl::Status problem(absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed header dict: ", what, " at offset ", pos_));
  }
  bool lookingAt(char c) const {
    return pos_ < text_.size() && text_[pos_] == c;
  }
  bool consume(char c) {
    if (!lookingAt(c)) return false;
    ++pos_;
    return true;
  }
  bool consumeWord(absl::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  void skipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' ||
            text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  absl::StatusOr<std::string> parseString() {
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) {
      return problem("expected a quoted string");
    }
    const char quote = text_[pos_++];
    const size_t begin = pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\') return problem("escapes are not supported");
      ++pos_;
    }
    if (pos_ >= text_.size()) return problem("unterminated string");
    std::string value(text_.substr(begin, pos_ - begin));
    ++pos_;
    return value;
  }

  absl::StatusOr<int64_t> parseDimension() {
    if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') {
      return problem("expected a non-negative integer dimension");
    }
    int64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      const int digit = text_[pos_] - '0';
      if (__builtin_mul_overflow(value, int64_t{10}, &value) ||
          __builtin_add_overflow(value, int64_t{digit}, &value)) {
        return problem("dimension does not fit in 64 bits");
      }
      ++pos_;
    }
    consume('L');  // Python 2 long literals, as old numpy wrote them.
    return value;
  }

  absl::StatusOr<std::vector<int64_t>> parseShape() {
    if (!consume('(')) return problem("'shape' is not a tuple");
    std::vector<int64_t> shape;
    skipSpace();
    while (!consume(')')) {
      if (shape.size() >= 64) return problem("more than 64 dimensions");
      absl::StatusOr<int64_t> dim = parseDimension();
      if (!dim.ok()) return dim.status();
      shape.push_back(*dim);
      skipSpace();
      if (consume(',')) {
        skipSpace();
      } else if (!lookingAt(')')) {
        return problem("expected ',' or ')' in 'shape'");
      }
    }
    return shape;
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

uint32_t readLittleEndian(const uint8_t* bytes, size_t count) {
  uint32_t value = 0;
  for (size_t i = count; i-- > 0;) value = (value << 8) | bytes[i];
  return value;
}

absl::Status writeAll(int fd, const char* bytes, size_t size) {
  while (size > 0) {
    const ssize_t written = ::write(fd, bytes, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, "write failed");
    }
    bytes += written;
    size -= static_cast<size_t>(written);
  }
  return absl::OkStatus();
}

}  // namespace

std::string npyF32Header(absl::Span<const int64_t> shape) {
  std::string dict = absl::StrCat("{'descr': '<f4', 'fortran_order': False, ",
                                  "'shape': ", shapeTuple(shape), ", }");
  if (!shape.empty()) {
    const size_t firstDimDigits = absl::StrCat(shape[0]).size();
    if (firstDimDigits < kGrowthAxisMaxDigits) {
      dict.append(kGrowthAxisMaxDigits - firstDimDigits, ' ');
    }
  }
  // Version 1.0 stores the header length in 2 bytes; 2.0 (only needed for
  // enormous ranks) in 4. The padding makes magic + version + length + dict
  // + padding + '\n' a multiple of kDataAlignment.
  auto paddingFor = [&](size_t lengthSize) {
    const size_t unpadded = kMagicSize + 2 + lengthSize + dict.size() + 1;
    return kDataAlignment - unpadded % kDataAlignment;
  };
  const bool fitsVersion1 = dict.size() + paddingFor(2) + 1 <= 0xffff;
  const size_t lengthSize = fitsVersion1 ? 2 : 4;
  const size_t padding = paddingFor(lengthSize);
  const size_t headerLength = dict.size() + padding + 1;

  std::string header(kMagic, kMagicSize);
  header += static_cast<char>(fitsVersion1 ? 1 : 2);
  header += static_cast<char>(0);
  for (size_t i = 0; i < lengthSize; ++i) {
    header += static_cast<char>((headerLength >> (8 * i)) & 0xff);
  }
  header += dict;
  header.append(padding, ' ');
  header += '\n';
  return header;
}

absl::Status writeNpyF32(const std::string& path,
                         absl::Span<const int64_t> shape,
                         absl::Span<const float> data) {
  const std::optional<int64_t> count = elementCount(shape);
  if (!count.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot write ", path, ": shape ", shapeTuple(shape),
                     " has a negative or too large dimension"));
  }
  if (static_cast<uint64_t>(*count) != data.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot write ", path, ": shape ", shapeTuple(shape), " holds ",
        *count, " elements but ", data.size(), " were given"));
  }

  const std::string header = npyF32Header(shape);
  const std::string tempPath =
      absl::StrCat(path, ".tmp.", static_cast<long>(::getpid()));
  int fd;
  do {
    fd = ::open(tempPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot create ", tempPath));
  }
  absl::Status status = writeAll(fd, header.data(), header.size());
  if (status.ok()) {
    status = writeAll(fd, reinterpret_cast<const char*>(data.data()),
                      data.size() * sizeof(float));
  }
  if (::close(fd) != 0 && status.ok()) {
    status = absl::ErrnoToStatus(errno, "close failed");
  }
  if (status.ok() && ::rename(tempPath.c_str(), path.c_str()) != 0) {
    status = absl::ErrnoToStatus(
        errno, absl::StrCat("cannot rename ", tempPath, " to ", path));
  }
  if (!status.ok()) {
    ::unlink(tempPath.c_str());
    return absl::Status(status.code(), absl::StrCat("cannot write ", path,
                                                    ": ", status.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<NpyArray> parseNpyF32(const std::string& path,
                                     absl::Span<const uint8_t> bytes) {
  auto error = [&](absl::StatusCode code, absl::string_view what) {
    return absl::Status(code, absl::StrCat(path, ": ", what));
  };
  constexpr size_t kVersionOffset = kMagicSize;
  if (bytes.size() < kMagicSize + 2 + 2 ||
      std::memcmp(bytes.data(), kMagic, kMagicSize) != 0) {
    if (bytes.size() >= kMagicSize &&
        std::memcmp(bytes.data(), kMagic, kMagicSize) == 0) {
      return error(absl::StatusCode::kDataLoss,
                   "file ends inside the .npy preamble");
    }
    return error(absl::StatusCode::kInvalidArgument,
                 "not a .npy file (no \\x93NUMPY magic)");
  }
  const uint8_t major = bytes[kVersionOffset];
  const uint8_t minor = bytes[kVersionOffset + 1];
  if ((major != 1 && major != 2 && major != 3) || minor != 0) {
    return error(absl::StatusCode::kInvalidArgument,
                 absl::StrCat(".npy format version ", int{major}, ".", int{minor},
                              " is not supported (1.0, 2.0, 3.0 are)"));
  }
  const size_t lengthSize = major == 1 ? 2 : 4;
  const size_t prefixSize = kMagicSize + 2 + lengthSize;
  if (bytes.size() < prefixSize) {
    return error(absl::StatusCode::kDataLoss,
                 "file ends inside the .npy preamble");
  }
  const size_t headerLength =
      readLittleEndian(bytes.data() + kMagicSize + 2, lengthSize);
  if (headerLength > bytes.size() - prefixSize) {
    return error(absl::StatusCode::kDataLoss,
                 absl::StrCat("header length ", headerLength,
                              " runs past the end of the file (size ",
                              bytes.size(), ")"));
  }
  const absl::string_view headerText(
      reinterpret_cast<const char*>(bytes.data() + prefixSize), headerLength);
  absl::StatusOr<NpyHeaderFields> fields =
      NpyHeaderParser(headerText).parse();
  if (!fields.ok()) {
    return error(fields.status().code(), fields.status().message());
  }
  if (fields->descr != "<f4") {
    return error(absl::StatusCode::kInvalidArgument,
                 absl::StrCat("dtype '", printableText(fields->descr, 40),
                              "' is not supported; only '<f4' (little-endian "
                              "float32) is"));
  }
  if (fields->fortranOrder) {
    return error(absl::StatusCode::kInvalidArgument,
                 "Fortran-ordered arrays are not supported; save the array "
                 "in C order");
  }
  const std::optional<int64_t> count = elementCount(fields->shape);
  const size_t available = bytes.size() - prefixSize - headerLength;
  if (!count.has_value() ||
      static_cast<uint64_t>(*count) > available / sizeof(float)) {
    const bool countable =
        count.has_value() && *count <= std::numeric_limits<int64_t>::max() / 4;
    return error(absl::StatusCode::kDataLoss,
                 absl::StrCat("data is truncated: shape ",
                              shapeTuple(fields->shape), " of float32 needs ",
                              countable ? absl::StrCat(*count * 4)
                                        : std::string("more than 2^63"),
                              " bytes but ", available,
                              " follow the header"));
  }

  NpyArray array;
  array.shape = std::move(fields->shape);
  array.data.resize(static_cast<size_t>(*count));
  if (*count > 0) {
    std::memcpy(array.data.data(), bytes.data() + prefixSize + headerLength,
                array.data.size() * sizeof(float));
  }
  return array;
}

absl::StatusOr<NpyArray> readNpyF32(const std::string& path) {
  absl::StatusOr<std::unique_ptr<MappedFile>> file = MappedFile::open(path);
  if (!file.ok()) return file.status();
  return parseNpyF32(path, (*file)->bytes());
}

}  // namespace dsv2::runtime
