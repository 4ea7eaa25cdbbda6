//===- EngineFuzzer.cpp - Fuzzes the engine loader and verifier -----------===//
//
// Any byte string is a candidate engine file: parseEngine returns a checked
// engine or a one-line error, never crash, leak or hang. Each input is parsed
// twice: as it is, and with the header's flatbuffer checksum recomputed.
// Without the second pass nearly every mutation would stop at "checksum
// mismatch"; with it the flatbuffers verifier and the plan checks behind it
// see the mutated bytes.
//
//===----------------------------------------------------------------------===//

#include "runtime/engine/Checksum.h"
#include "runtime/engine/EngineReader.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace dsv2::runtime;

namespace {

[[noreturn]] void broken(const char *promise) {
  std::fprintf(stderr, "parseEngine broke its promise: %s\n", promise);
  std::abort();
}

void parseAndCheck(absl::Span<const uint8_t> file) {
  absl::StatusOr<ParsedEngine> parsed = parseEngine(file, "fuzz.dsv2");
  if (!parsed.ok()) {
    if (parsed.status().message().find('\n') != absl::string_view::npos)
      broken("errors are one line");
    return;
  }
  // What the executor relies on without checking again.
  const LaunchPlan &plan = parsed->description.plan;
  const uint8_t *image = parsed->kernelImage.data();
  if (!parsed->kernelImage.empty() &&
      (image < file.data() ||
       image + parsed->kernelImage.size() > file.data() + file.size()))
    broken("the kernel image lies inside the file");
  for (const StepProgram *program : {&plan.prefill, &plan.decode})
    for (const Launch &launch : program->launches)
      for (const KernelArg &arg : launch.args)
        if (arg.kind == KernelArg::Kind::Buffer &&
            (arg.buffer < 0 ||
             static_cast<size_t>(arg.buffer) >= plan.buffers.size()))
          broken("buffer arguments name plan buffers");
  for (const PackedWeight &weight : parsed->weights)
    if (weight.offset > parsed->weightFileBytes ||
        weight.bytes > parsed->weightFileBytes - weight.offset)
      broken("weights lie inside the weight file");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  parseAndCheck(absl::Span<const uint8_t>(data, size));
  if (size < kEngineHeaderBytes)
    return 0;
  std::vector<uint8_t> patched(data, data + size);
  EngineHeader header;
  std::memcpy(&header, patched.data(), sizeof header);
  header.flatbufferChecksum =
      checksum64(patched.data() + kEngineHeaderBytes,
                 size - kEngineHeaderBytes, kFlatbufferChecksumSeed);
  // The size field too, or most mutations that grow or shrink the input stop
  // at "truncated" instead of reaching the flatbuffer.
  header.flatbufferBytes = size - kEngineHeaderBytes;
  std::memcpy(patched.data(), &header, sizeof header);
  parseAndCheck(patched);
  return 0;
}
