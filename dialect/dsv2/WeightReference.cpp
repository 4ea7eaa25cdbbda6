//===- WeightReference.cpp - A checkpoint tensor, or a shard of one -------===//

#include "dialect/dsv2/WeightReference.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::dsv2 {

namespace {

constexpr llvm::StringLiteral kExperts = "{e}";

llvm::Error badReference(llvm::StringRef text, const llvm::Twine &why) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "bad weight reference '" + text + "': " + why);
}

} // namespace

std::string WeightReference::str() const {
  std::string text = name;
  size_t at = text.find(kExperts);
  if (at != std::string::npos && firstExpert != 0)
    text.replace(at, kExperts.size(),
                 llvm::formatv("{{e+{0}}", firstExpert).str());
  if (isSliced())
    text += llvm::formatv("@{0}={1}/{2}", sliceDim == 0 ? "rows" : "cols",
                          part, parts)
                .str();
  return text;
}

llvm::Expected<WeightReference> WeightReference::parse(llvm::StringRef text) {
  WeightReference ref;
  auto [base, slice] = text.split('@');
  if (!slice.empty()) {
    auto [dim, fraction] = slice.split('=');
    auto [part, parts] = fraction.split('/');
    if (dim != "rows" && dim != "cols")
      return badReference(text, "the slice must be rows=P/N or cols=P/N");
    ref.sliceDim = dim == "rows" ? 0 : 1;
    if (part.getAsInteger(10, ref.part) || parts.getAsInteger(10, ref.parts) ||
        ref.parts < 1 || ref.part < 0 || ref.part >= ref.parts)
      return badReference(text, "the slice must be P/N with 0 <= P < N");
  }
  ref.name = base.str();
  size_t open = ref.name.find("{e+");
  if (open != std::string::npos) {
    size_t close = ref.name.find('}', open);
    if (close == std::string::npos ||
        llvm::StringRef(ref.name)
            .slice(open + 3, close)
            .getAsInteger(10, ref.firstExpert) ||
        ref.firstExpert < 0)
      return badReference(text, "stacked experts must be {e} or {e+F}");
    ref.name.replace(open, close + 1 - open, kExperts.str());
  }
  return ref;
}

std::string WeightReference::expertName(int64_t index) const {
  size_t at = name.find(kExperts);
  return name.substr(0, at) + std::to_string(firstExpert + index) +
         name.substr(at + kExperts.size());
}

WeightReference WeightReference::expertReference(int64_t index) const {
  WeightReference one = *this;
  one.name = expertName(index);
  one.firstExpert = 0;
  return one;
}

llvm::SmallVector<int64_t>
WeightReference::fullShape(llvm::ArrayRef<int64_t> sliceShape) const {
  llvm::SmallVector<int64_t> shape(sliceShape);
  if (isSliced() && sliceDim < static_cast<int>(shape.size()))
    shape[sliceDim] *= parts;
  return shape;
}

} // namespace mlir::dsv2
