//===- WeightPacking.cpp - Weights in the engine's layouts ----------------===//

#include "tools/dsv2c/WeightPacking.h"

#include "dialect/dsv2/WeightQuantization.h"
#include "runtime/io/Bf16.h"
#include "runtime/io/WeightPanels.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstring>
#include <numeric>

namespace dsv2::tools {
namespace rt = ::dsv2::runtime;

namespace {

absl::Status toStatus(llvm::Error error) {
  return absl::InvalidArgumentError(llvm::toString(std::move(error)));
}

/// Converts `values` to `type` at element `offset` of `destination`.
void store(const std::vector<float> &values, rt::ElementType type,
           void *destination, int64_t offset = 0) {
  if (type == rt::ElementType::F32) {
    std::memcpy(static_cast<float *>(destination) + offset, values.data(),
                values.size() * sizeof(float));
    return;
  }
  auto *out = static_cast<uint16_t *>(destination) + offset;
  for (size_t i = 0; i < values.size(); ++i)
    out[i] = rt::float32ToBf16(values[i]);
}

/// Converts W [n, k] (`values`) to `type` in column panels at element
/// `offset` of `destination`, padding rows zero, without a second copy of W
/// (a V2 lm_head is 2 GB in f32).
void storePanels(const std::vector<float> &values, int64_t n, int64_t k,
                 rt::ElementType type, void *destination, int64_t offset) {
  auto *f32 = static_cast<float *>(destination) + offset;
  auto *bf16 = static_cast<uint16_t *>(destination) + offset;
  const int64_t rows = rt::panelElements(n, k) / k;
  for (int64_t row = 0; row < rows; ++row)
    for (int64_t col = 0; col < k; ++col) {
      const int64_t at = rt::panelOffset(row, col, k);
      const float value = row < n ? values[row * k + col] : 0.0f;
      if (type == rt::ElementType::F32)
        f32[at] = value;
      else
        bf16[at] = rt::float32ToBf16(value);
    }
}

/// Reads a tensor, or the slice a reference names (WeightReference.h), as
/// f32.
absl::Status readFloat(mlir::dsv2::WeightProvider &weights,
                       llvm::StringRef reference, llvm::ArrayRef<int64_t> shape,
                       float *out) {
  auto parsed = mlir::dsv2::WeightReference::parse(reference);
  if (!parsed)
    return toStatus(parsed.takeError());
  if (llvm::Error error =
          mlir::dsv2::readWeightReference(weights, *parsed, shape, out))
    return toStatus(std::move(error));
  return absl::OkStatus();
}

/// Packs the routed experts of a "{e}" reference stacked along dimension 0,
/// one expert at a time (a V2 layer's stacked experts are gigabytes in f32);
/// `panels`: each expert's [N, K] in column panels.
absl::Status packStacked(mlir::dsv2::WeightProvider &weights,
                         llvm::StringRef reference,
                         llvm::ArrayRef<int64_t> shape, rt::ElementType type,
                         void *destination, bool panels = false) {
  auto parsed = mlir::dsv2::WeightReference::parse(reference);
  if (!parsed)
    return toStatus(parsed.takeError());
  if (!parsed->isStacked())
    return absl::InvalidArgumentError("stacked weight " + reference.str() +
                                      " has no {e} in its name");
  int64_t perExpert = std::accumulate(shape.begin() + 1, shape.end(),
                                      int64_t{1}, std::multiplies<int64_t>());
  if (panels && shape.size() != 3)
    return absl::InvalidArgumentError("stacked panels of " + reference.str() +
                                      " need an [E, N, K] shape");
  const int64_t stored =
      panels ? rt::panelElements(shape[1], shape[2]) : perExpert;
  std::vector<float> expert(static_cast<size_t>(perExpert));
  for (int64_t e = 0; e < shape[0]; ++e) {
    // One expert of the stack: the same slice of checkpoint expert F + e.
    if (llvm::Error error = mlir::dsv2::readWeightReference(
            weights, parsed->expertReference(e), shape.drop_front(),
            expert.data()))
      return toStatus(std::move(error));
    if (panels)
      storePanels(expert, shape[1], shape[2], type, destination, e * stored);
    else
      store(expert, type, destination, e * stored);
  }
  return absl::OkStatus();
}

/// The matrices [n, k] an int8 recipe ("tensor:REF" or "stacked:REF")
/// covers, one checkpoint tensor (or its slice) each: REF itself, or expert
/// e of a stack.
llvm::Expected<std::vector<mlir::dsv2::WeightReference>>
int8Matrices(llvm::StringRef inner, int64_t matrices) {
  auto [kind, reference] = inner.split(':');
  if (kind != "tensor" && kind != "stacked")
    return llvm::createStringError(
        "int8 weights come from checkpoint tensors, not " + inner.str());
  auto parsed = mlir::dsv2::WeightReference::parse(reference);
  if (!parsed)
    return parsed.takeError();
  std::vector<mlir::dsv2::WeightReference> out;
  for (int64_t e = 0; e < matrices; ++e)
    out.push_back(kind == "stacked" ? parsed->expertReference(e) : *parsed);
  return out;
}

/// Reads one [n, k] matrix (`values`) and the int8 scale of each of its
/// rows over the whole checkpoint row: a shard that slices the columns
/// (row-parallel weights) keeps the scales of the unsliced rows, so every
/// rank's q times its scale is the same value the reference reads.
absl::Status readInt8Rows(mlir::dsv2::WeightProvider &weights,
                          const mlir::dsv2::WeightReference &reference,
                          int64_t n, int64_t k, std::vector<float> &values,
                          std::vector<float> &scales) {
  values.assign(static_cast<size_t>(n * k), 0.0f);
  if (llvm::Error error =
          mlir::dsv2::readWeightReference(weights, reference, {n, k},
                                          values.data()))
    return toStatus(std::move(error));
  const float *rows = values.data();
  int64_t width = k;
  std::vector<float> whole;
  if (reference.isSliced() && reference.sliceDim == 1) {
    mlir::dsv2::WeightReference unsliced = reference;
    unsliced.sliceDim = -1;
    unsliced.part = 0;
    unsliced.parts = 1;
    width = reference.fullShape({n, k})[1];
    whole.assign(static_cast<size_t>(n * width), 0.0f);
    if (llvm::Error error = mlir::dsv2::readWeightReference(
            weights, unsliced, {n, width}, whole.data()))
      return toStatus(std::move(error));
    rows = whole.data();
  }
  scales.resize(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r)
    scales[r] = mlir::dsv2::int8RowScale(
        {rows + r * width, static_cast<size_t>(width)});
  return absl::OkStatus();
}

/// Where a quantized weight's values and scales go: CPU engines' column
/// panels (int8: "panels:16:INNER" / "scales:16:INNER", padding rows zero,
/// scales padded to whole panels) or GPU engines' rows (int8:
/// "int8_rows:INNER", the nn.Linear layout, and "row_scales:INNER", n per
/// matrix). Int4 recipes: packInt4.
enum class QuantizedLayout { Panels, Rows };

/// An int8 weight (q) or its rows' scales ([matrices, rows] f32): INNER is
/// "tensor:REF" or "stacked:REF" over [N, K] or [E, N, K].
absl::Status packInt8(mlir::dsv2::WeightProvider &weights,
                      const rt::BufferSpec &spec, llvm::StringRef inner,
                      QuantizedLayout layout, bool scalesOnly, void *destination,
                      PackingCache *cache) {
  const bool stacked = spec.shape.size() == 3;
  if (spec.shape.size() != 2 && !stacked)
    return absl::InvalidArgumentError("int8 weight " + spec.name +
                                      " needs an [N, K] or [E, N, K] shape");
  const bool panels = layout == QuantizedLayout::Panels;
  const int64_t matrices = stacked ? spec.shape[0] : 1;
  const int64_t n = spec.shape[stacked ? 1 : 0], k = spec.shape[stacked ? 2 : 1];
  const int64_t paddedRows = panels ? rt::panelElements(n, 1) : n;
  const int64_t perMatrix = scalesOnly ? paddedRows
                            : panels   ? rt::panelElements(n, k)
                                       : n * k;
  if (spec.elements.evaluate(0, 0) != matrices * perMatrix)
    return absl::InvalidArgumentError(
        "weight " + spec.name + " holds " +
        std::to_string(spec.elements.evaluate(0, 0)) + " elements, not " +
        std::to_string(matrices * perMatrix));
  auto storeScales = [&](int64_t e, const float *scales) {
    float *out = static_cast<float *>(destination) + e * perMatrix;
    std::fill_n(out, paddedRows, 0.0f);
    std::copy_n(scales, n, out);
  };
  // The values of this weight were packed first: their scales are cached.
  if (scalesOnly && cache) {
    auto cached = cache->scales.find(inner.str());
    if (cached != cache->scales.end() &&
        static_cast<int64_t>(cached->second.size()) == matrices * n) {
      for (int64_t e = 0; e < matrices; ++e)
        storeScales(e, cached->second.data() + e * n);
      cache->scales.erase(cached);
      return absl::OkStatus();
    }
  }
  auto references = int8Matrices(inner, matrices);
  if (!references)
    return toStatus(references.takeError());
  std::vector<float> values, scales, allScales;
  for (int64_t e = 0; e < matrices; ++e) {
    if (absl::Status status =
            readInt8Rows(weights, (*references)[e], n, k, values, scales);
        !status.ok())
      return status;
    if (scalesOnly) {
      storeScales(e, scales.data());
      continue;
    }
    if (cache)
      allScales.insert(allScales.end(), scales.begin(), scales.end());
    auto *out = static_cast<int8_t *>(destination) + e * perMatrix;
    for (int64_t row = 0; row < paddedRows; ++row)
      for (int64_t col = 0; col < k; ++col)
        out[panels ? rt::panelOffset(row, col, k) : row * k + col] =
            row < n ? mlir::dsv2::quantizeInt8(values[row * k + col],
                                               scales[row])
                    : 0;
  }
  if (cache && !scalesOnly)
    cache->scales[inner.str()] = std::move(allScales);
  return absl::OkStatus();
}

/// The bytes or group scales of an int4 weight: CPU engines' column panels
/// ("int4_panels:16:G:INNER", "int4_scales:16:G:INNER") or GPU engines' rows
/// ("int4_rows:G:INNER", "int4_row_scales:G:INNER"), runtime/io/WeightPanels.h.
/// INNER is a [N, K] or stacked [E, N, K] weight. The values read are the
/// provider's (QuantizedWeightProvider: already scale * q), so recomputing
/// each group's scale recovers the same q.
absl::Status packInt4(mlir::dsv2::WeightProvider &weights,
                      const rt::BufferSpec &spec, llvm::StringRef rest,
                      QuantizedLayout layout, bool scalesOnly, void *destination,
                      PackingCache *cache) {
  const bool panels = layout == QuantizedLayout::Panels;
  llvm::SmallVector<llvm::StringRef, 3> fields;
  rest.split(fields, ':', /*MaxSplit=*/panels ? 2 : 1);
  if (panels) {
    int64_t columns = 0;
    if (fields.size() != 3 || fields[0].getAsInteger(10, columns) ||
        columns != rt::kWeightPanelColumns)
      return absl::InvalidArgumentError("bad weight recipe " + spec.source);
    fields.erase(fields.begin());
  }
  int64_t group = 0;
  const bool stacked = spec.shape.size() == 3;
  if (fields.size() != 2 || fields[0].getAsInteger(10, group) ||
      (spec.shape.size() != 2 && !stacked) ||
      spec.type != (scalesOnly ? rt::ElementType::F32 : rt::ElementType::I8))
    return absl::InvalidArgumentError("bad weight recipe " + spec.source);
  llvm::StringRef inner = fields[1];
  const int64_t matrices = stacked ? spec.shape[0] : 1;
  const int64_t n = spec.shape[stacked ? 1 : 0], k = spec.shape[stacked ? 2 : 1];
  if (group != mlir::dsv2::int4GroupSize(k))
    return absl::InvalidArgumentError(
        "weight " + spec.name + ": int4 groups of " + std::to_string(group) +
        " inputs do not fit rows of " + std::to_string(k));
  const int64_t perMatrix = scalesOnly ? panels ? rt::int4PanelScales(n, k, group)
                                                : n * (k / group)
                            : panels   ? rt::int4PanelBytes(n, k)
                                       : n * (k / 2);
  auto scaleAt = [&](int64_t row, int64_t g) {
    return panels ? rt::int4PanelScale(row, g, k, group)
                  : rt::int4RowScale(row, g, k, group);
  };
  auto byteAt = [&](int64_t row, int64_t col, bool &high) {
    return panels ? rt::int4PanelByte(row, col, k, high)
                  : rt::int4RowByte(row, col, k, high);
  };
  if (spec.elements.evaluate(0, 0) != matrices * perMatrix)
    return absl::InvalidArgumentError(
        "weight " + spec.name + " holds " +
        std::to_string(spec.elements.evaluate(0, 0)) + " elements, not " +
        std::to_string(matrices * perMatrix));
  const int64_t groups = k / group;
  auto storeScales = [&](int64_t e, const float *scales) {
    float *out = static_cast<float *>(destination) + e * perMatrix;
    std::fill_n(out, perMatrix, 0.0f);
    for (int64_t row = 0; row < n; ++row)
      for (int64_t g = 0; g < groups; ++g)
        out[scaleAt(row, g)] = scales[row * groups + g];
  };
  // The bytes of this weight were packed first: their scales are cached.
  const std::string key = "int4:" + inner.str();
  if (scalesOnly && cache) {
    auto cached = cache->scales.find(key);
    if (cached != cache->scales.end() &&
        static_cast<int64_t>(cached->second.size()) == matrices * n * groups) {
      for (int64_t e = 0; e < matrices; ++e)
        storeScales(e, cached->second.data() + e * n * groups);
      cache->scales.erase(cached);
      return absl::OkStatus();
    }
  }
  auto references = int8Matrices(inner, matrices);
  if (!references)
    return toStatus(references.takeError());
  std::vector<float> values(static_cast<size_t>(n * k)), scales, allScales;
  for (int64_t e = 0; e < matrices; ++e) {
    if (llvm::Error error = mlir::dsv2::readWeightReference(
            weights, (*references)[e], {n, k}, values.data()))
      return toStatus(std::move(error));
    scales.assign(static_cast<size_t>(n * groups), 0.0f);
    for (int64_t row = 0; row < n; ++row)
      for (int64_t g = 0; g < groups; ++g)
        scales[row * groups + g] = mlir::dsv2::int4GroupScale(
            {values.data() + row * k + g * group, static_cast<size_t>(group)});
    if (scalesOnly) {
      storeScales(e, scales.data());
      continue;
    }
    if (cache)
      allScales.insert(allScales.end(), scales.begin(), scales.end());
    auto *out = static_cast<uint8_t *>(destination) + e * perMatrix;
    std::fill_n(out, perMatrix, uint8_t{0});
    for (int64_t row = 0; row < n; ++row)
      for (int64_t col = 0; col < k; ++col) {
        const int8_t q = mlir::dsv2::quantizeInt4(
            values[row * k + col], scales[row * groups + col / group]);
        bool high = false;
        const int64_t at = byteAt(row, col, high);
        const uint8_t nibble = static_cast<uint8_t>(q) & 0x0f;
        out[at] |= high ? static_cast<uint8_t>(nibble << 4) : nibble;
      }
  }
  if (cache && !scalesOnly)
    cache->scales[key] = std::move(allScales);
  return absl::OkStatus();
}

/// "panels:16:INNER": the [N, K] weight of recipe INNER (spec.shape) in
/// column panels of 16 (runtime/io/WeightPanels.h); "panels:16:stacked:REF"
/// each expert of an [E, N, K] stack.
absl::Status packPanels(mlir::dsv2::WeightProvider &weights,
                        const rt::BufferSpec &spec,
                        llvm::StringRef widthAndInner, void *destination,
                        PackingCache *cache) {
  auto [width, inner] = widthAndInner.split(':');
  auto [innerKind, innerRest] = inner.split(':');
  const bool stacked = innerKind == "stacked";
  int64_t columns = 0;
  if (width.getAsInteger(10, columns) || columns != rt::kWeightPanelColumns ||
      spec.shape.size() != (stacked ? 3u : 2u))
    return absl::InvalidArgumentError(
        "bad weight recipe " + spec.source + " (panels of " +
        std::to_string(rt::kWeightPanelColumns) +
        " over an [N, K] or stacked [E, N, K] shape)");
  const int64_t matrices = stacked ? spec.shape[0] : 1;
  const int64_t n = spec.shape[stacked ? 1 : 0], k = spec.shape[stacked ? 2 : 1];
  if (spec.type == rt::ElementType::I8)
    return packInt8(weights, spec, inner, QuantizedLayout::Panels,
                    /*scalesOnly=*/false, destination, cache);
  if (spec.elements.evaluate(0, 0) != matrices * rt::panelElements(n, k))
    return absl::InvalidArgumentError("weight " + spec.name + " holds " +
                                      std::to_string(spec.elements.evaluate(0, 0)) +
                                      " elements, not the panels of [" +
                                      std::to_string(n) + ", " +
                                      std::to_string(k) + "]");
  if (stacked)
    return packStacked(weights, innerRest, spec.shape, spec.type, destination,
                       /*panels=*/true);
  rt::BufferSpec rows = spec;
  rows.source = inner.str();
  rows.type = rt::ElementType::F32;
  rows.elements = rt::StepExpr::of(n * k);
  std::vector<float> values(static_cast<size_t>(n * k));
  if (absl::Status status = packWeight(weights, rows, values.data());
      !status.ok())
    return status;
  storePanels(values, n, k, spec.type, destination, 0);
  return absl::OkStatus();
}

} // namespace

absl::Status packWeight(mlir::dsv2::WeightProvider &weights,
                        const rt::BufferSpec &spec, void *destination,
                        PackingCache *cache) {
  llvm::StringRef recipe = spec.source;
  auto [kind, rest] = recipe.split(':');
  if (kind == "int4_panels" || kind == "int4_scales")
    return packInt4(weights, spec, rest, QuantizedLayout::Panels,
                    kind == "int4_scales", destination, cache);
  if (kind == "int4_rows" || kind == "int4_row_scales")
    return packInt4(weights, spec, rest, QuantizedLayout::Rows,
                    kind == "int4_row_scales", destination, cache);
  if (spec.type == rt::ElementType::I8 && kind != "panels" &&
      kind != "int8_rows")
    return absl::UnimplementedError(
        "weight " + spec.name +
        ": int8 weights are column panels or int8_rows");
  if (kind == "int8_rows" || kind == "row_scales") {
    const bool scalesOnly = kind == "row_scales";
    if (spec.type != (scalesOnly ? rt::ElementType::F32 : rt::ElementType::I8))
      return absl::InvalidArgumentError("bad weight recipe " + spec.source +
                                        " for a " +
                                        rt::elementTypeName(spec.type) +
                                        " buffer");
    return packInt8(weights, spec, rest, QuantizedLayout::Rows, scalesOnly,
                    destination, cache);
  }
  if (spec.type != rt::ElementType::F32 && spec.type != rt::ElementType::BF16 &&
      spec.type != rt::ElementType::I8)
    return absl::UnimplementedError("weight " + spec.name +
                                    ": only f32, bf16 and int8 weights exist");
  if (kind == "scales") {
    auto [width, inner] = rest.split(':');
    if (width != std::to_string(rt::kWeightPanelColumns) ||
        spec.type != rt::ElementType::F32)
      return absl::InvalidArgumentError("bad weight recipe " + spec.source);
    return packInt8(weights, spec, inner, QuantizedLayout::Panels,
                    /*scalesOnly=*/true, destination, cache);
  }
  int64_t count = spec.elements.evaluate(0, 0);
  if (kind == "stacked")
    return packStacked(weights, rest, spec.shape, spec.type, destination);
  if (kind == "panels")
    return packPanels(weights, spec, rest, destination, cache);
  std::vector<float> values(static_cast<size_t>(count));
  if (kind == "tensor") {
    if (absl::Status status = readFloat(weights, rest, spec.shape, values.data());
        !status.ok())
      return status;
  } else if (kind == "w_uk_t" || kind == "w_uv" || kind == "kv_b_k" ||
             kind == "kv_b_v") {
    // Derived from kv_b_proj [heads*(nope+v), C]: head n owns nope key rows
    // then v value rows.
    llvm::SmallVector<llvm::StringRef> fields;
    rest.split(fields, ':');
    int64_t heads, nope, v;
    if (fields.size() != 4 || fields[1].getAsInteger(10, heads) ||
        fields[2].getAsInteger(10, nope) || fields[3].getAsInteger(10, v))
      return absl::InvalidArgumentError("bad weight recipe " + spec.source);
    bool valueRows = kind == "w_uv" || kind == "kv_b_v";
    int64_t latent = count / (heads * (valueRows ? v : nope));
    std::vector<float> kvB(static_cast<size_t>(heads * (nope + v) * latent));
    if (absl::Status status =
            readFloat(weights, fields[0], {heads * (nope + v), latent}, kvB.data());
        !status.ok())
      return status;
    for (int64_t n = 0; n < heads; ++n) {
      const float *head = kvB.data() + n * (nope + v) * latent;
      if (valueRows) {
        // [heads, v, C] (= [heads*v, C]): the value rows as they are.
        std::memcpy(values.data() + n * v * latent, head + nope * latent,
                    v * latent * sizeof(float));
      } else if (kind == "kv_b_k") {
        // [heads*nope, C]: the key rows as they are.
        std::memcpy(values.data() + n * nope * latent, head,
                    nope * latent * sizeof(float));
      } else {
        // [heads, C, nope]: W_UK[n]^T, so q_lat = q_nope @ W_UK is x @ W^T.
        for (int64_t j = 0; j < nope; ++j)
          for (int64_t c = 0; c < latent; ++c)
            values[(n * latent + c) * nope + j] = head[j * latent + c];
      }
    }
  } else {
    return absl::InvalidArgumentError("weight " + spec.name +
                                      " has no recipe the packer knows (" +
                                      spec.source + ")");
  }
  store(values, spec.type, destination);
  return absl::OkStatus();
}

} // namespace dsv2::tools
