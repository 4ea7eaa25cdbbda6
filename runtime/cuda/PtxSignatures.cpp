//===- PtxSignatures.cpp - Kernel parameter lists read from PTX -----------===//

#include "runtime/cuda/PtxSignatures.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include <cctype>

namespace dsv2::runtime::cuda {

namespace {

bool isTypeToken(std::string_view token) {
  if (token.size() < 3 || token[0] != '.' ||
      std::string_view("usbf").find(token[1]) == std::string_view::npos)
    return false;
  std::string_view bits = token.substr(2);
  return bits == "8" || bits == "16" || bits == "32" || bits == "64";
}

/// The first type token of one ".param ..." declaration.
std::string paramType(std::string_view declaration) {
  size_t i = 0;
  while (i < declaration.size()) {
    while (i < declaration.size() && std::isspace(static_cast<unsigned char>(declaration[i])))
      ++i;
    size_t start = i;
    while (i < declaration.size() && !std::isspace(static_cast<unsigned char>(declaration[i])))
      ++i;
    std::string_view token = declaration.substr(start, i - start);
    if (isTypeToken(token))
      return std::string(token);
  }
  return "?";
}

const char *argKind(const KernelArg &arg) {
  switch (arg.kind) {
  case KernelArg::Kind::Buffer:
    return "buffer";
  case KernelArg::Kind::Int32:
    return "i32";
  case KernelArg::Kind::Float32:
    return "f32";
  }
  return "?";
}

bool matches(const KernelArg &arg, const std::string &type) {
  switch (arg.kind) {
  case KernelArg::Kind::Buffer:
    return type == ".u64" || type == ".b64" || type == ".s64";
  case KernelArg::Kind::Int32:
    return type == ".u32" || type == ".s32" || type == ".b32";
  case KernelArg::Kind::Float32:
    return type == ".f32" || type == ".b32";
  }
  return false;
}

} // namespace

std::map<std::string, std::vector<std::string>> ptxEntryParams(std::string_view ptx) {
  std::map<std::string, std::vector<std::string>> entries;
  for (size_t at = ptx.find(".entry"); at != std::string_view::npos;
       at = ptx.find(".entry", at + 6)) {
    size_t i = at + 6;
    if (i >= ptx.size() || !std::isspace(static_cast<unsigned char>(ptx[i])))
      continue;
    while (i < ptx.size() && std::isspace(static_cast<unsigned char>(ptx[i])))
      ++i;
    size_t nameStart = i;
    while (i < ptx.size() && ptx[i] != '(' && ptx[i] != '{' &&
           !std::isspace(static_cast<unsigned char>(ptx[i])))
      ++i;
    std::string name(ptx.substr(nameStart, i - nameStart));
    while (i < ptx.size() && std::isspace(static_cast<unsigned char>(ptx[i])))
      ++i;
    std::vector<std::string> params;
    if (i < ptx.size() && ptx[i] == '(') {
      size_t close = ptx.find(')', i);
      std::string_view list = ptx.substr(i + 1, close == std::string_view::npos
                                                    ? std::string_view::npos
                                                    : close - i - 1);
      for (size_t p = list.find(".param"); p != std::string_view::npos;) {
        size_t next = list.find(".param", p + 6);
        params.push_back(paramType(list.substr(p + 6, next == std::string_view::npos
                                                          ? std::string_view::npos
                                                          : next - p - 6)));
        p = next;
      }
    }
    entries[name] = std::move(params);
  }
  return entries;
}

absl::Status checkLaunchSignatures(
    const LaunchPlan &plan,
    const std::map<std::string, std::vector<std::string>> &entries) {
  for (const StepProgram *program :
       {&plan.prefill, &plan.decode, &plan.prefillLastRow})
    for (const Launch &launch : program->launches) {
      if (launch.isCollective())
        continue; // NCCL, not a kernel of the PTX.
      auto entry = entries.find(launch.kernel);
      if (entry == entries.end())
        return absl::NotFoundError(absl::StrCat(
            "kernel ", launch.kernel, " is not an entry of the engine's PTX"));
      const std::vector<std::string> &params = entry->second;
      bool ok = params.size() == launch.args.size();
      for (size_t i = 0; ok && i < params.size(); ++i)
        ok = matches(launch.args[i], params[i]);
      if (!ok) {
        std::vector<std::string> kinds;
        for (const KernelArg &arg : launch.args)
          kinds.push_back(argKind(arg));
        return absl::InvalidArgumentError(absl::StrCat(
            "kernel ", launch.kernel, " (", launch.origin, ") takes ",
            params.size(), " parameters (", absl::StrJoin(params, ", "),
            "); the launch plan passes ", launch.args.size(), " (",
            absl::StrJoin(kinds, ", "), ")"));
      }
    }
  return absl::OkStatus();
}

} // namespace dsv2::runtime::cuda
