//===- PrintableText.cpp - Untrusted text made safe for messages ----------===//
//
// Implementation of `printableText`.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/PrintableText.h"

#include "absl/strings/str_format.h"

namespace dsv2::runtime {

std::string printableText(absl::string_view text, size_t maxBytes) {
  const bool cut = text.size() > maxBytes;
  if (cut) text = text.substr(0, maxBytes);
  std::string out;
  out.reserve(text.size() + 3);
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", byte);
    } else if (c == '\\') {
      out += "\\\\";
    } else {
      out += c;
    }
  }
  if (cut) out += "...";
  return out;
}

}  // namespace dsv2::runtime
