//===- dsv2-translate-cpu.cpp - tile kernels to host code -----------------===//
//
// Part of dsv2c. Lowers a module of tile kernels with dsv2-lower-tile-to-llvm
// (a module already in the LLVM dialect passes through it unchanged) and
// prints its LLVM IR or writes an object file or a shared library:
//
//   dsv2-translate-cpu kernels.mlir --emit=llvm [--opt-level=0]
//   dsv2-translate-cpu kernels.mlir --emit=obj -o kernels.o --cpu=x86-64-v3
//   dsv2-translate-cpu kernels.mlir --emit=shared -o libkernels.so
//
// Errors go to stderr as "dsv2-translate-cpu: error: ..." with exit code 1.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/ConvertTileToLLVM.h"
#include "codegen/cpu/GridEntryPoints.h"
#include "codegen/cpu/ObjectEmitter.h"
#include "codegen/cpu/Pipeline.h"
#include "dialect/tile/TileDialect.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
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

enum class EmitKind { LLVMIR, Object, Shared };

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "dsv2-translate-cpu") << message << "\n";
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  static llvm::cl::opt<std::string> inputPath(llvm::cl::Positional,
                                              llvm::cl::desc("<input .mlir>"),
                                              llvm::cl::init("-"));
  static llvm::cl::opt<std::string> outputPath(
      "o", llvm::cl::desc("Output file ('-' is stdout, LLVM IR only)"),
      llvm::cl::value_desc("path"), llvm::cl::init("-"));
  static llvm::cl::opt<EmitKind> emit(
      "emit", llvm::cl::desc("What to write"),
      llvm::cl::values(
          clEnumValN(EmitKind::LLVMIR, "llvm", "textual LLVM IR (default)"),
          clEnumValN(EmitKind::Object, "obj", "a relocatable object file"),
          clEnumValN(EmitKind::Shared, "shared",
                     "a shared library linked with cc")),
      llvm::cl::init(EmitKind::LLVMIR));
  static llvm::cl::opt<std::string> cpu(
      "cpu", llvm::cl::desc("'host' or an LLVM CPU name such as x86-64-v3"),
      llvm::cl::init("host"));
  static llvm::cl::opt<std::string> features(
      "features", llvm::cl::desc("Extra LLVM target features (+avx2,...)"),
      llvm::cl::init(""));
  static llvm::cl::opt<unsigned> optLevel(
      "opt-level", llvm::cl::desc("LLVM optimization level 0-3"),
      llvm::cl::init(3));
  static llvm::cl::opt<bool> contiguousAccess(
      "contiguous-access",
      llvm::cl::desc("Per-row vector loads/stores for contiguous pointer "
                     "tiles"),
      llvm::cl::init(true));
  static llvm::cl::opt<bool> approximateMath(
      "approximate-math",
      llvm::cl::desc("Polynomial approximations of f32 exp/log/sin/cos"),
      llvm::cl::init(true));
  static llvm::cl::opt<std::string> pairDot(
      "pair-dot",
      llvm::cl::desc("Instructions of tile.pair_dot: target (the widest the "
                     "target CPU has), generic, avx2 or avx512bw"),
      llvm::cl::init("target"));
  static llvm::cl::opt<bool> reassociateFPReductions(
      "reassociate-fp-reductions",
      llvm::cl::desc("Tree-ordered lane sums in tile.reduce"),
      llvm::cl::init(true));
  llvm::cl::ParseCommandLineOptions(
      argc, argv, "dsv2-translate-cpu: tile kernels to host LLVM IR/objects\n");

  if (optLevel > 3)
    return fail("--opt-level must be 0, 1, 2 or 3");
  if (emit != EmitKind::LLVMIR && outputPath == "-")
    return fail("--emit=obj and --emit=shared need an output file (-o)");

  DialectRegistry registry;
  registry.insert<tile::TileDialect, func::FuncDialect, arith::ArithDialect,
                  math::MathDialect, scf::SCFDialect, vector::VectorDialect,
                  LLVM::LLVMDialect, cf::ControlFlowDialect, ub::UBDialect>();
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

  std::vector<std::string> kernels;
  for (auto function : module->getOps<func::FuncOp>())
    if (function->hasAttr(tile::TileDialect::getKernelAttrName()))
      kernels.push_back(function.getSymName().str());

  // The target's instructions, as dsv2c picks them.
  dsv2::cpu::CpuLoweringOptions lowering;
  {
    dsv2::cpu::CpuTargetOptions probe;
    probe.cpu = cpu;
    probe.features = features;
    auto described = dsv2::cpu::describeCpuTarget(
        probe, dsv2::cpu::cpuLoweringFeatures());
    if (!described)
      return fail(llvm::toString(described.takeError()));
    lowering = dsv2::cpu::cpuLoweringFor(described->features);
  }
  lowering.contiguousAccess = contiguousAccess;
  lowering.approximateMath = approximateMath;
  lowering.reassociateFPReductions = reassociateFPReductions;
  if (pairDot != "target")
    lowering.pairDot = pairDot;
  if (failed(dsv2::cpu::lowerTileToLLVM(*module, lowering)))
    return fail("lowering the tile kernels to the LLVM dialect failed");
  if (failed(dsv2::cpu::addGridEntryPoints(*module, kernels)))
    return fail("adding the kernels' grid entry points failed");

  dsv2::cpu::CpuTargetOptions target;
  target.cpu = cpu;
  target.features = features;
  target.optLevel = optLevel;
  switch (emit) {
  case EmitKind::LLVMIR: {
    llvm::Expected<std::string> text =
        dsv2::cpu::emitLLVMIRText(*module, target, /*optimize=*/true);
    if (!text)
      return fail(llvm::toString(text.takeError()));
    std::unique_ptr<llvm::ToolOutputFile> output =
        openOutputFile(outputPath, &error);
    if (!output)
      return fail(error);
    output->os() << *text;
    output->keep();
    return 0;
  }
  case EmitKind::Object:
    if (llvm::Error failure =
            dsv2::cpu::emitObjectFile(*module, outputPath, target))
      return fail(llvm::toString(std::move(failure)));
    return 0;
  case EmitKind::Shared:
    if (llvm::Error failure =
            dsv2::cpu::emitSharedLibrary(*module, outputPath, target))
      return fail(llvm::toString(std::move(failure)));
    return 0;
  }
  return 0;
}
