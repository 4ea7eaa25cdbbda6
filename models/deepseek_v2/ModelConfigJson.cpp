//===- ModelConfigJson.cpp - config.json reader and writer ----------------===//
//
// Reads a DeepSeek-V2 Hugging Face config.json into a ModelConfig and writes
// one back. Defaults of optional fields are those of DeepSeek's reference
// `configuration_deepseek.py` (DeepseekV2Config.__init__) and of its
// `DeepseekV2YarnRotaryEmbedding`. Every error is one line naming the field
// and the offending value.
//
//===----------------------------------------------------------------------===//

#include "models/deepseek_v2/ModelConfig.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

namespace dsv2::model {
namespace {

using nlohmann::json;

/// A short, single-line rendering of a JSON value for error messages.
std::string describeJsonValue(const json &value) {
  constexpr size_t kMaxChars = 60;
  std::string text =
      value.dump(/*indent=*/-1, /*indent_char=*/' ', /*ensure_ascii=*/true,
                 json::error_handler_t::replace);
  if (text.size() > kMaxChars)
    text = text.substr(0, kMaxChars) + "...";
  return text;
}

/// Reads typed fields of one JSON object. The first failure is recorded and
/// every later read becomes a no-op, so a parser is a flat list of reads
/// followed by one status check.
class JsonFieldReader {
public:
  /// `fieldPrefix` qualifies the field names of a nested object in messages
  /// (e.g. "rope_scaling.").
  JsonFieldReader(const json &object, std::string fieldPrefix)
      : object(object), fieldPrefix(std::move(fieldPrefix)) {}

  bool ok() const { return error.empty(); }
  const std::string &errorMessage() const { return error; }

  /// The value of `key`, or nullptr when the key is absent.
  const json *find(absl::string_view key) const {
    auto it = object.find(std::string(key));
    return it == object.end() ? nullptr : &*it;
  }

  /// Whether `key` is absent or null.
  bool isAbsentOrNull(absl::string_view key) const {
    const json *value = find(key);
    return value == nullptr || value->is_null();
  }

  void fail(std::string message) {
    if (ok())
      error = std::move(message);
  }

  void failMissing(absl::string_view key) {
    fail(absl::StrCat("missing required field '", qualified(key), "'"));
  }

  void failType(absl::string_view key, absl::string_view expected,
                const json &value) {
    fail(absl::StrCat("field '", qualified(key), "' must be ", expected,
                      ", got ", describeJsonValue(value)));
  }

  void failUnsupported(absl::string_view key, const json &value,
                       std::initializer_list<absl::string_view> supported) {
    std::vector<std::string> quoted;
    for (absl::string_view name : supported)
      quoted.push_back(describeJsonValue(json(std::string(name))));
    fail(absl::StrCat("field '", qualified(key), "' has unsupported value ",
                      describeJsonValue(value),
                      " (supported: ", absl::StrJoin(quoted, ", "), ")"));
  }

  /// A required integer field: absent -> error, null -> type error.
  void requiredInt(absl::string_view key, int64_t &out) {
    if (!ok())
      return;
    if (const json *value = find(key))
      readInt(key, *value, out);
    else
      failMissing(key);
  }

  /// An optional integer: absent leaves `out` (the default) unchanged; null
  /// does too when `nullMeansDefault`, and is a type error otherwise.
  void optionalInt(absl::string_view key, int64_t &out,
                   bool nullMeansDefault = false) {
    if (!ok())
      return;
    const json *value = find(key);
    if (value == nullptr || (nullMeansDefault && value->is_null()))
      return;
    readInt(key, *value, out);
  }

  /// An optional integer whose null (or absence, when `absentValue` is
  /// nullopt) means "not set".
  void nullableInt(absl::string_view key, std::optional<int64_t> &out,
                   std::optional<int64_t> absentValue) {
    if (!ok())
      return;
    const json *value = find(key);
    if (value == nullptr) {
      out = absentValue;
      return;
    }
    if (value->is_null()) {
      out = std::nullopt;
      return;
    }
    int64_t parsed = 0;
    readInt(key, *value, parsed);
    out = parsed;
  }

  void requiredDouble(absl::string_view key, double &out) {
    if (!ok())
      return;
    if (const json *value = find(key))
      readDouble(key, *value, out);
    else
      failMissing(key);
  }

  void optionalDouble(absl::string_view key, double &out) {
    if (!ok())
      return;
    if (const json *value = find(key))
      readDouble(key, *value, out);
  }

  void optionalBool(absl::string_view key, bool &out) {
    if (!ok())
      return;
    const json *value = find(key);
    if (value == nullptr)
      return;
    if (!value->is_boolean()) {
      failType(key, "a boolean", *value);
      return;
    }
    out = value->get<bool>();
  }

  /// An optional string; returns false (and leaves `out`) when absent.
  bool optionalString(absl::string_view key, std::string &out) {
    if (!ok())
      return false;
    const json *value = find(key);
    if (value == nullptr)
      return false;
    if (!value->is_string()) {
      failType(key, "a string", *value);
      return false;
    }
    out = value->get<std::string>();
    return true;
  }

  /// An optional string that, when present, must be one of `supported`.
  void
  requireStringIfPresent(absl::string_view key,
                         std::initializer_list<absl::string_view> supported) {
    std::string text;
    if (!optionalString(key, text))
      return;
    for (absl::string_view name : supported)
      if (text == name)
        return;
    failUnsupported(key, *find(key), supported);
  }

  /// An optional boolean that, when present, must equal `supported`.
  void requireBoolIfPresent(absl::string_view key, bool supported) {
    bool value = supported;
    optionalBool(key, value);
    if (ok() && value != supported)
      fail(absl::StrCat("field '", qualified(key), "' has unsupported value ",
                        value ? "true" : "false",
                        " (supported: ", supported ? "true" : "false", ")"));
  }

private:
  std::string qualified(absl::string_view key) const {
    return absl::StrCat(fieldPrefix, key);
  }

  void readInt(absl::string_view key, const json &value, int64_t &out) {
    if (value.is_number_unsigned()) {
      uint64_t raw = value.get<uint64_t>();
      if (raw > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        failType(key, "a 64-bit signed integer", value);
        return;
      }
      out = static_cast<int64_t>(raw);
      return;
    }
    if (value.is_number_integer()) {
      out = value.get<int64_t>();
      return;
    }
    failType(key, "an integer", value);
  }

  void readDouble(absl::string_view key, const json &value, double &out) {
    if (!value.is_number()) {
      failType(key, "a number", value);
      return;
    }
    out = value.get<double>();
  }

  const json &object;
  std::string fieldPrefix;
  std::string error;
};

/// Reads the `rope_scaling` object (type "yarn" only).
void readRopeScaling(JsonFieldReader &parent, const json &value,
                     std::optional<YarnRopeScaling> &out) {
  if (value.is_null()) {
    out = std::nullopt;
    return;
  }
  if (!value.is_object()) {
    parent.failType("rope_scaling", "an object or null", value);
    return;
  }
  JsonFieldReader reader(value, "rope_scaling.");
  // Hugging Face writes "type"; newer transformers releases "rope_type".
  std::string typeKey = reader.find("type") ? "type" : "rope_type";
  std::string type;
  if (!reader.optionalString(typeKey, type)) {
    if (reader.ok())
      reader.failMissing("type");
  } else if (type != "yarn") {
    reader.failUnsupported(typeKey, *reader.find(typeKey), {"yarn"});
  }

  YarnRopeScaling yarn;
  reader.requiredDouble("factor", yarn.factor);
  reader.optionalInt("original_max_position_embeddings",
                     yarn.originalMaxPositionEmbeddings);
  reader.optionalDouble("beta_fast", yarn.betaFast);
  reader.optionalDouble("beta_slow", yarn.betaSlow);
  reader.optionalDouble("mscale", yarn.mscale);
  reader.optionalDouble("mscale_all_dim", yarn.mscaleAllDim);
  if (!reader.ok()) {
    parent.fail(reader.errorMessage());
    return;
  }
  out = yarn;
}

/// Reads every inference-relevant field of the top-level object.
void readModelConfig(JsonFieldReader &reader, ModelConfig &config) {
  reader.requiredInt("vocab_size", config.vocabSize);
  reader.requiredInt("hidden_size", config.hiddenSize);
  reader.requiredInt("intermediate_size", config.intermediateSize);
  reader.requiredInt("num_hidden_layers", config.numHiddenLayers);
  reader.requiredInt("num_attention_heads", config.numAttentionHeads);
  config.numKeyValueHeads = config.numAttentionHeads;
  reader.optionalInt("num_key_value_heads", config.numKeyValueHeads,
                     /*nullMeansDefault=*/true);

  // Absent means the reference default 1536; null means a plain q_proj.
  reader.nullableInt("q_lora_rank", config.qLoraRank, /*absentValue=*/1536);
  reader.requiredInt("kv_lora_rank", config.kvLoraRank);
  reader.requiredInt("qk_nope_head_dim", config.qkNopeHeadDim);
  reader.requiredInt("qk_rope_head_dim", config.qkRopeHeadDim);
  reader.requiredInt("v_head_dim", config.vHeadDim);

  // Mixture of experts: a null/absent n_routed_experts is a dense model.
  reader.optionalInt("n_routed_experts", config.nRoutedExperts,
                     /*nullMeansDefault=*/true);
  reader.optionalInt("n_shared_experts", config.nSharedExperts,
                     /*nullMeansDefault=*/true);
  if (reader.ok() && config.nRoutedExperts > 0) {
    for (absl::string_view key :
         {"moe_intermediate_size", "num_experts_per_tok"})
      if (reader.isAbsentOrNull(key))
        reader.failMissing(key);
    reader.requiredInt("moe_intermediate_size", config.moeIntermediateSize);
    reader.requiredInt("num_experts_per_tok", config.numExpertsPerTok);
  } else {
    reader.optionalInt("moe_intermediate_size", config.moeIntermediateSize,
                       /*nullMeansDefault=*/true);
    reader.optionalInt("num_experts_per_tok", config.numExpertsPerTok,
                       /*nullMeansDefault=*/true);
  }
  reader.optionalInt("first_k_dense_replace", config.firstKDenseReplace);
  reader.optionalInt("moe_layer_freq", config.moeLayerFreq);

  std::string topkMethod = "gready";
  if (reader.optionalString("topk_method", topkMethod)) {
    if (topkMethod == "greedy" || topkMethod == "gready")
      config.topkMethod = TopkMethod::Greedy;
    else if (topkMethod == "group_limited_greedy")
      config.topkMethod = TopkMethod::GroupLimitedGreedy;
    else
      reader.failUnsupported("topk_method", *reader.find("topk_method"),
                             {"greedy", "gready", "group_limited_greedy"});
  }
  reader.optionalInt("n_group", config.nGroup, /*nullMeansDefault=*/true);
  reader.optionalInt("topk_group", config.topkGroup,
                     /*nullMeansDefault=*/true);
  reader.optionalDouble("routed_scaling_factor", config.routedScalingFactor);
  reader.optionalBool("norm_topk_prob", config.normTopkProb);
  reader.requireStringIfPresent("scoring_func", {"softmax"});
  reader.requireStringIfPresent("hidden_act", {"silu"});
  // The checkpoint layout has no bias tensors and always uses MLA.
  reader.requireBoolIfPresent("attention_bias", false);
  reader.requireBoolIfPresent("use_mla", true);

  reader.optionalDouble("rope_theta", config.ropeTheta);
  if (reader.ok())
    if (const json *ropeScaling = reader.find("rope_scaling"))
      readRopeScaling(reader, *ropeScaling, config.ropeScaling);
  reader.optionalInt("max_position_embeddings", config.maxPositionEmbeddings);
  reader.optionalDouble("rms_norm_eps", config.rmsNormEps);
  reader.optionalBool("tie_word_embeddings", config.tieWordEmbeddings);
  reader.optionalInt("bos_token_id", config.bosTokenId);
  reader.optionalInt("eos_token_id", config.eosTokenId);
}

/// The explanation of a parse error without nlohmann's
/// "[json.exception.parse_error.101] " tag.
std::string parseErrorText(const json::exception &error) {
  std::string_view text = error.what();
  if (!text.empty() && text.front() == '[')
    if (size_t close = text.find("] "); close != std::string_view::npos)
      text.remove_prefix(close + 2);
  return std::string(text);
}

} // namespace

absl::StatusOr<ModelConfig> parseModelConfigJson(std::string_view jsonText,
                                                 std::string_view sourceName) {
  // Debian's abseil has its own string_view type, which absl::StrCat needs.
  absl::string_view source(sourceName.data(), sourceName.size());
  json root;
  try {
    root = json::parse(jsonText.begin(), jsonText.end());
  } catch (const json::parse_error &error) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": malformed JSON at byte ", error.byte, ": ",
                     parseErrorText(error)));
  } catch (const json::exception &error) {
    // A number too large for a double ("1e999") is out_of_range, not a
    // parse_error.
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": malformed JSON: ", parseErrorText(error)));
  }
  if (!root.is_object())
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": expected a JSON object at the top level, ",
                     "got ", describeJsonValue(root)));

  ModelConfig config;
  JsonFieldReader reader(root, /*fieldPrefix=*/"");
  readModelConfig(reader, config);
  if (!reader.ok())
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": ", reader.errorMessage()));
  if (absl::Status status = validateModelConfig(config); !status.ok())
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": ", status.message()));
  return config;
}

absl::StatusOr<ModelConfig> loadModelConfig(const std::string &modelDir) {
  std::string path = modelDir;
  if (!path.empty() && path.back() != '/')
    path += '/';
  path += "config.json";
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return absl::NotFoundError(
        absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad())
    return absl::DataLossError(absl::StrCat("error while reading ", path));
  return parseModelConfigJson(text.str(), path);
}

std::string modelConfigToJson(const ModelConfig &config) {
  using ordered = nlohmann::ordered_json;
  auto intOrNull = [](int64_t value) {
    return value == 0 ? ordered(nullptr) : ordered(value);
  };
  ordered root;
  root["architectures"] = {"DeepseekV2ForCausalLM"};
  root["model_type"] = "deepseek_v2";
  root["vocab_size"] = config.vocabSize;
  root["hidden_size"] = config.hiddenSize;
  root["intermediate_size"] = config.intermediateSize;
  root["moe_intermediate_size"] = config.moeIntermediateSize;
  root["num_hidden_layers"] = config.numHiddenLayers;
  root["num_attention_heads"] = config.numAttentionHeads;
  root["num_key_value_heads"] = config.numKeyValueHeads;
  root["q_lora_rank"] =
      config.qLoraRank ? ordered(*config.qLoraRank) : ordered(nullptr);
  root["kv_lora_rank"] = config.kvLoraRank;
  root["qk_nope_head_dim"] = config.qkNopeHeadDim;
  root["qk_rope_head_dim"] = config.qkRopeHeadDim;
  root["v_head_dim"] = config.vHeadDim;
  root["n_routed_experts"] = intOrNull(config.nRoutedExperts);
  root["n_shared_experts"] = intOrNull(config.nSharedExperts);
  root["num_experts_per_tok"] = intOrNull(config.numExpertsPerTok);
  root["first_k_dense_replace"] = config.firstKDenseReplace;
  root["moe_layer_freq"] = config.moeLayerFreq;
  root["topk_method"] = std::string(topkMethodName(config.topkMethod));
  root["n_group"] = config.nGroup;
  root["topk_group"] = config.topkGroup;
  root["routed_scaling_factor"] = config.routedScalingFactor;
  root["norm_topk_prob"] = config.normTopkProb;
  root["scoring_func"] = "softmax";
  root["hidden_act"] = "silu";
  root["attention_bias"] = false;
  root["rope_theta"] = config.ropeTheta;
  if (config.ropeScaling) {
    const YarnRopeScaling &yarn = *config.ropeScaling;
    ordered scaling;
    scaling["type"] = "yarn";
    scaling["factor"] = yarn.factor;
    scaling["original_max_position_embeddings"] =
        yarn.originalMaxPositionEmbeddings;
    scaling["beta_fast"] = yarn.betaFast;
    scaling["beta_slow"] = yarn.betaSlow;
    scaling["mscale"] = yarn.mscale;
    scaling["mscale_all_dim"] = yarn.mscaleAllDim;
    root["rope_scaling"] = scaling;
  } else {
    root["rope_scaling"] = nullptr;
  }
  root["max_position_embeddings"] = config.maxPositionEmbeddings;
  root["rms_norm_eps"] = config.rmsNormEps;
  root["tie_word_embeddings"] = config.tieWordEmbeddings;
  root["bos_token_id"] = config.bosTokenId;
  root["eos_token_id"] = config.eosTokenId;
  return root.dump(/*indent=*/2) + "\n";
}

} // namespace dsv2::model
