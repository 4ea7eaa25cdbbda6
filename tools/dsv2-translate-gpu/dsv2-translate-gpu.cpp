//===- dsv2-translate-gpu.cpp - tile kernels to PTX or emulated code ------===//
//
// Part of dsv2c. Lowers a module of tile kernels with
// dsv2-lower-tile-to-nvvm and writes:
//
//   dsv2-translate-gpu kernels.mlir --emit=ptx --chip=sm_90a [-o k.ptx]
//   dsv2-translate-gpu kernels.mlir --emit=nvvm        (the MLIR it lowered)
//   dsv2-translate-gpu kernels.mlir --emit=emu -o libk.so   (SIMT emulator)
//   dsv2-translate-gpu kernels.mlir --emit=launch      (threads, shared bytes)
//
// Errors go to stderr as "dsv2-translate-gpu: error: ..." with exit code 1.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/ObjectEmitter.h"
#include "codegen/gpu/Pipeline.h"
#include "dialect/tile/TileDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;

namespace {

enum class EmitKind { Ptx, Nvvm, Emulated, Launch };

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "dsv2-translate-gpu") << message << "\n";
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  static llvm::cl::opt<std::string> inputPath(llvm::cl::Positional,
                                              llvm::cl::desc("<input .mlir>"),
                                              llvm::cl::init("-"));
  static llvm::cl::opt<std::string> outputPath(
      "o", llvm::cl::desc("Output file ('-' is stdout; not for --emit=emu)"),
      llvm::cl::value_desc("path"), llvm::cl::init("-"));
  static llvm::cl::opt<EmitKind> emit(
      "emit", llvm::cl::desc("What to write"),
      llvm::cl::values(
          clEnumValN(EmitKind::Ptx, "ptx", "PTX text (default)"),
          clEnumValN(EmitKind::Nvvm, "nvvm",
                     "the NVVM-level LLVM dialect module"),
          clEnumValN(EmitKind::Emulated, "emu",
                     "a host shared library for the SIMT emulator"),
          clEnumValN(EmitKind::Launch, "launch",
                     "each kernel's block size and shared-memory bytes")),
      llvm::cl::init(EmitKind::Ptx));
  static llvm::cl::opt<std::string> chip(
      "chip", llvm::cl::desc("GPU: sm_80 or sm_90a"), llvm::cl::init("sm_90a"));
  static llvm::cl::opt<int64_t> maxThreads(
      "max-threads", llvm::cl::desc("Largest thread block"),
      llvm::cl::init(128));
  static llvm::cl::opt<bool> useMma(
      "use-mma", llvm::cl::desc("mma.sync for dots of bf16 tiles"),
      llvm::cl::init(true));
  static llvm::cl::opt<bool> bf16Activations(
      "bf16-activations",
      llvm::cl::desc("Round f32 activations to bf16 for mma.sync against "
                     "bf16 weights"),
      llvm::cl::init(false));
  static llvm::cl::opt<bool> injectBadMmaLayout(
      "inject-bad-mma-layout",
      llvm::cl::desc("Test only: swap the A-fragment rows of every mma.sync"),
      llvm::cl::init(false));
  static llvm::cl::opt<bool> injectMissingBarrier(
      "inject-missing-barrier",
      llvm::cl::desc("Test only: omit the barrier after shared-memory writes"),
      llvm::cl::init(false));
  llvm::cl::ParseCommandLineOptions(
      argc, argv, "dsv2-translate-gpu: tile kernels to PTX or emulated code\n");

  if (emit == EmitKind::Emulated && outputPath == "-")
    return fail("--emit=emu needs an output file (-o)");
  if (maxThreads < 32 || maxThreads > 1024)
    return fail("--max-threads must be between 32 and 1024");

  DialectRegistry registry;
  registry.insert<tile::TileDialect, func::FuncDialect, arith::ArithDialect,
                  math::MathDialect, scf::SCFDialect, LLVM::LLVMDialect,
                  NVVM::NVVMDialect>();
  MLIRContext context(registry);

  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> input = openInputFile(inputPath, &error);
  if (!input)
    return fail(error);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;

  dsv2::gpu::SimtOptions simt;
  simt.maxThreads = maxThreads;
  simt.useMma = useMma;
  simt.bf16Activations = bf16Activations;
  simt.injectMissingBarrier = injectMissingBarrier;
  simt.injectBadMmaLayout = injectBadMmaLayout;
  auto infos = dsv2::gpu::lowerTileToNVVM(*module, simt);
  if (failed(infos))
    return fail("lowering the tile kernels for the GPU failed");

  auto writeText = [&](const std::string &text) {
    std::unique_ptr<llvm::ToolOutputFile> output =
        openOutputFile(outputPath, &error);
    if (!output)
      return fail(error);
    output->os() << text;
    output->keep();
    return 0;
  };
  switch (emit) {
  case EmitKind::Ptx: {
    dsv2::gpu::GpuTargetOptions target;
    target.chip = chip;
    llvm::Expected<std::string> ptx = dsv2::gpu::emitPtx(*module, target);
    if (!ptx)
      return fail(llvm::toString(ptx.takeError()));
    return writeText(*ptx);
  }
  case EmitKind::Nvvm: {
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    return writeText(text);
  }
  case EmitKind::Launch: {
    std::string text;
    for (const dsv2::gpu::SimtKernelInfo &info : *infos)
      text += info.name + " threads=" + std::to_string(info.threads) +
              " shared_bytes=" + std::to_string(info.sharedBytes) + "\n";
    return writeText(text);
  }
  case EmitKind::Emulated: {
    if (failed(dsv2::gpu::lowerNVVMToEmulation(*module)))
      return fail("rewriting the kernels for the SIMT emulator failed");
    if (llvm::Error failure = dsv2::cpu::emitSharedLibrary(*module, outputPath))
      return fail(llvm::toString(std::move(failure)));
    return 0;
  }
  }
  return 0;
}
