//===- PrintableText.h - Untrusted text made safe for messages --*- C++ -*-===//
//
// File contents (tensor names, dtype strings, header fragments) end up in
// error messages. Those messages must stay one readable line of bounded
// length whatever the file holds, so untrusted text goes through
// `printableText` first.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_IO_PRINTABLETEXT_H
#define RUNTIME_IO_PRINTABLETEXT_H

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace dsv2::runtime {

/// `text` with control bytes (and DEL) written as `\xNN` and backslashes
/// doubled, cut to at most `maxBytes` input bytes (then "..." is appended).
/// Other bytes, including UTF-8 sequences, are kept as they are.
std::string printableText(absl::string_view text, size_t maxBytes = 200);

}  // namespace dsv2::runtime

#endif  // RUNTIME_IO_PRINTABLETEXT_H
