//===- PtxEmitter.cpp - NVVM-level LLVM dialect -> PTX --------------------===//
//
// Part of dsv2c. Translates the lowered kernels to LLVM IR and runs LLVM's
// NVPTX backend: the O3 pipeline for the target machine (which includes
// NVPTX's address-space inference, turning generic accesses of the shared
// memory global into ld/st.shared) and the PTX printer.
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/Pipeline.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Triple.h"

#include <mutex>

extern "C" {
void LLVMInitializeNVPTXTargetInfo();
void LLVMInitializeNVPTXTarget();
void LLVMInitializeNVPTXTargetMC();
void LLVMInitializeNVPTXAsmPrinter();
}

using namespace mlir;
using namespace mlir::dsv2::gpu;

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

void initializeNVPTX() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTarget();
    LLVMInitializeNVPTXTargetMC();
    LLVMInitializeNVPTXAsmPrinter();
  });
}

void optimize(llvm::Module &module, llvm::TargetMachine &machine) {
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager cgscc;
  llvm::ModuleAnalysisManager modules;
  llvm::PassBuilder builder(&machine);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(cgscc);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, cgscc, modules);
  builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3)
      .run(module, modules);
}

} // namespace

llvm::Expected<std::string>
mlir::dsv2::gpu::emitPtx(ModuleOp module, const GpuTargetOptions &options) {
  initializeNVPTX();
  llvm::Triple triple("nvptx64-nvidia-cuda");
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return makeError("this LLVM has no NVPTX backend: " + error);
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!subtarget || !subtarget->isCPUStringValid(options.chip))
    return makeError("'" + options.chip + "' is not a GPU the NVPTX backend "
                     "knows (try sm_80 or sm_90a)");
  std::string features = "+ptx" + std::to_string(options.ptxVersion);
  // IEEE arithmetic as on the CPU: fma only where the IR has one, div.rn
  // and sqrt.rn (the NVPTX defaults without fast-math).
  llvm::TargetOptions targetOptions;
  targetOptions.AllowFPOpFusion = llvm::FPOpFusion::Standard;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, options.chip, features, targetOptions, std::nullopt,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return makeError("cannot create an NVPTX target machine for " +
                     options.chip);

  // Launch shapes as comments at the top: the PTX describes itself
  // (tools/gpu/ptx_resources.py reads them beside ptxas's report).
  std::string header;
  for (const SimtKernelInfo &info : collectKernelInfos(module))
    header += "// dsv2 kernel " + info.name + " threads=" +
              std::to_string(info.threads) +
              " shared_bytes=" + std::to_string(info.sharedBytes) + "\n";

  MLIRContext *context = module.getContext();
  registerBuiltinDialectTranslation(*context);
  registerLLVMDialectTranslation(*context);
  registerNVVMDialectTranslation(*context);
  llvm::LLVMContext llvmContext;
  std::string diagnostics;
  std::unique_ptr<llvm::Module> llvmModule;
  {
    llvm::raw_string_ostream os(diagnostics);
    ScopedDiagnosticHandler handler(context, [&](Diagnostic &diagnostic) {
      os << diagnostic.getLocation() << ": " << diagnostic << "\n";
      return success();
    });
    llvmModule = translateModuleToLLVMIR(module, llvmContext, "dsv2-kernels");
  }
  if (!llvmModule)
    return makeError("cannot translate the GPU kernels to LLVM IR:\n" +
                     diagnostics);
  llvmModule->setTargetTriple(triple);
  llvmModule->setDataLayout(machine->createDataLayout());
  if (llvm::verifyModule(*llvmModule, &llvm::errs()))
    return makeError("the GPU kernels' LLVM IR does not verify");
  if (options.optLevel > 0)
    optimize(*llvmModule, *machine);

  llvm::SmallString<0> ptx;
  llvm::raw_svector_ostream os(ptx);
  llvm::legacy::PassManager passes;
  if (machine->addPassesToEmitFile(passes, os, nullptr,
                                   llvm::CodeGenFileType::AssemblyFile))
    return makeError("the NVPTX backend cannot emit PTX");
  passes.run(*llvmModule);
  return header + std::string(ptx.str());
}
