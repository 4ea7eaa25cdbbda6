//===- ObjectEmitter.cpp - LLVM dialect -> host object code ---------------===//
//
// Part of dsv2c. See ObjectEmitter.h.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/ObjectEmitter.h"

#include "codegen/cpu/ModulePartition.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/Triple.h"

#include <mutex>

using namespace mlir;
using namespace mlir::dsv2::cpu;

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

void initializeNativeTarget() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

llvm::CodeGenOptLevel codeGenLevel(unsigned optLevel) {
  switch (optLevel) {
  case 0:
    return llvm::CodeGenOptLevel::None;
  case 1:
    return llvm::CodeGenOptLevel::Less;
  case 2:
    return llvm::CodeGenOptLevel::Default;
  default:
    return llvm::CodeGenOptLevel::Aggressive;
  }
}

llvm::OptimizationLevel optimizationLevel(unsigned optLevel) {
  switch (optLevel) {
  case 0:
    return llvm::OptimizationLevel::O0;
  case 1:
    return llvm::OptimizationLevel::O1;
  case 2:
    return llvm::OptimizationLevel::O2;
  default:
    return llvm::OptimizationLevel::O3;
  }
}

/// Runs LLVM's default per-module pipeline tuned for `machine`.
void optimizeModule(llvm::Module &module, llvm::TargetMachine &machine,
                    unsigned optLevel) {
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager cgscc;
  llvm::ModuleAnalysisManager modules;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = optLevel >= 2;
  tuning.SLPVectorization = optLevel >= 2;
  llvm::PassBuilder builder(&machine, tuning);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(cgscc);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, cgscc, modules);
  llvm::ModulePassManager pipeline =
      optLevel == 0
          ? builder.buildO0DefaultPipeline(llvm::OptimizationLevel::O0)
          : builder.buildPerModuleDefaultPipeline(optimizationLevel(optLevel));
  pipeline.run(module, modules);
}

} // namespace

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
mlir::dsv2::cpu::createCpuTargetMachine(const CpuTargetOptions &options) {
  initializeNativeTarget();
  llvm::Triple triple(llvm::sys::getProcessTriple());
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return makeError("no LLVM target for the host triple '" + triple.str() +
                     "': " + error);

  std::string cpu = options.cpu;
  llvm::SubtargetFeatures features;
  if (cpu.empty() || cpu == "host") {
    cpu = llvm::sys::getHostCPUName().str();
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      features.AddFeature(feature.getKey(), feature.getValue());
  }
  if (!options.features.empty())
    features.addFeaturesVector(
        llvm::SubtargetFeatures(options.features).getFeatures());

  // Ask a generic subtarget, which does not warn about an unknown CPU.
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!subtarget || !subtarget->isCPUStringValid(cpu))
    return makeError("'" + cpu + "' is not a CPU of the " +
                     triple.getArchName() +
                     " target (try 'host' or 'x86-64-v3')");

  // IEEE arithmetic: no unsafe, no-NaN or no-Inf assumptions, and FP
  // contraction only where the IR asks for it (llvm.fmuladd).
  llvm::TargetOptions targetOptions;
  targetOptions.AllowFPOpFusion = llvm::FPOpFusion::Standard;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features.getString(), targetOptions, llvm::Reloc::PIC_,
      std::nullopt, codeGenLevel(options.optLevel)));
  if (!machine)
    return makeError("cannot create a target machine for '" + cpu + "'");
  return machine;
}

llvm::Expected<std::unique_ptr<llvm::Module>>
mlir::dsv2::cpu::translateToLLVMIR(ModuleOp module,
                                   llvm::LLVMContext &llvmContext,
                                   const CpuTargetOptions &options,
                                   bool optimize) {
  auto machine = createCpuTargetMachine(options);
  if (!machine)
    return machine.takeError();

  MLIRContext *context = module.getContext();
  registerBuiltinDialectTranslation(*context);
  registerLLVMDialectTranslation(*context);
  std::string diagnostics;
  std::unique_ptr<llvm::Module> llvmModule;
  {
    llvm::raw_string_ostream os(diagnostics);
    ScopedDiagnosticHandler handler(context, [&](Diagnostic &diagnostic) {
      os << diagnostic.getLocation() << ": " << diagnostic << "\n";
      for (const Diagnostic &note : diagnostic.getNotes())
        os << note.getLocation() << ": note: " << note << "\n";
      return success();
    });
    llvmModule = translateModuleToLLVMIR(module, llvmContext, "dsv2-kernels");
  }
  if (!llvmModule)
    return makeError("cannot translate the module to LLVM IR (is it fully "
                     "lowered to the LLVM dialect?):\n" +
                     diagnostics);

  llvmModule->setTargetTriple((*machine)->getTargetTriple());
  llvmModule->setDataLayout((*machine)->createDataLayout());
  // Self-describing IR: llc/opt on the printed module target the same CPU.
  for (llvm::Function &function : *llvmModule) {
    if (function.isDeclaration())
      continue;
    function.addFnAttr("target-cpu", (*machine)->getTargetCPU());
    if (!(*machine)->getTargetFeatureString().empty())
      function.addFnAttr("target-features",
                         (*machine)->getTargetFeatureString());
  }
  if (llvm::verifyModule(*llvmModule, &llvm::errs()))
    return makeError("the translated LLVM IR does not verify");
  if (optimize)
    optimizeModule(*llvmModule, **machine, options.optLevel);
  return llvmModule;
}

llvm::Expected<CpuTargetDescription>
mlir::dsv2::cpu::describeCpuTarget(const CpuTargetOptions &options,
                                   const std::vector<std::string> &candidates) {
  auto machine = createCpuTargetMachine(options);
  if (!machine)
    return machine.takeError();
  CpuTargetDescription description;
  description.cpu = (*machine)->getTargetCPU().str();
  // The machine's features: the CPU's own plus the explicit ones.
  std::unique_ptr<llvm::MCSubtargetInfo> effective(
      (*machine)->getTarget().createMCSubtargetInfo(
          (*machine)->getTargetTriple(), description.cpu,
          (*machine)->getTargetFeatureString()));
  for (const std::string &feature : candidates)
    if (effective && effective->checkFeatures("+" + feature))
      description.features.push_back(feature);
  return description;
}

llvm::Expected<std::string> mlir::dsv2::cpu::emitLLVMIRText(
    ModuleOp module, const CpuTargetOptions &options, bool optimize) {
  llvm::LLVMContext llvmContext;
  auto llvmModule = translateToLLVMIR(module, llvmContext, options, optimize);
  if (!llvmModule)
    return llvmModule.takeError();
  std::string text;
  llvm::raw_string_ostream os(text);
  (*llvmModule)->print(os, nullptr);
  return text;
}

/// Writes the (optimized) `module` as an object file at `path`.
static llvm::Error writeObject(llvm::Module &module,
                               llvm::TargetMachine &machine,
                               llvm::StringRef path) {
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return makeError("cannot write '" + path + "': " + ec.message());
  llvm::legacy::PassManager codegen;
  if (machine.addPassesToEmitFile(codegen, out, nullptr,
                                  llvm::CodeGenFileType::ObjectFile))
    return makeError("the target machine cannot emit object files");
  codegen.run(module);
  out.close();
  if (out.has_error()) {
    out.clear_error();
    return makeError("error writing '" + path + "'");
  }
  return llvm::Error::success();
}

llvm::Error mlir::dsv2::cpu::emitObjectFile(ModuleOp module,
                                            llvm::StringRef path,
                                            const CpuTargetOptions &options) {
  auto machine = createCpuTargetMachine(options);
  if (!machine)
    return machine.takeError();
  llvm::LLVMContext llvmContext;
  auto llvmModule = translateToLLVMIR(module, llvmContext, options);
  if (!llvmModule)
    return llvmModule.takeError();
  return writeObject(**llvmModule, **machine, path);
}

/// The object files of `module` for a shared library at `path`: one
/// (`path`.o) compiled on this thread, or, split by partitionFunctions,
/// `path`.N.o for each part, translated here (MLIR is shared) and then
/// optimized and compiled on a thread each (LLVM contexts, modules and
/// target machines are per part).
static llvm::Expected<std::vector<std::string>>
emitObjectFiles(ModuleOp module, llvm::StringRef path,
                const CpuTargetOptions &options) {
  unsigned threads = options.threads
                         ? options.threads
                         : llvm::hardware_concurrency().compute_thread_count();
  auto parts = partitionFunctions(module, threads);
  if (parts.empty()) {
    std::string objectPath = (path + ".o").str();
    if (llvm::Error error = emitObjectFile(module, objectPath, options))
      return std::move(error);
    return std::vector<std::string>{objectPath};
  }

  struct Part {
    llvm::LLVMContext context;
    std::unique_ptr<llvm::Module> module;
    std::unique_ptr<llvm::TargetMachine> machine;
    std::string objectPath;
    std::string failure;
  };
  std::vector<std::unique_ptr<Part>> work;
  for (auto [index, part] : llvm::enumerate(parts)) {
    auto next = std::make_unique<Part>();
    auto machine = createCpuTargetMachine(options);
    if (!machine)
      return machine.takeError();
    next->machine = std::move(*machine);
    auto llvmModule = translateToLLVMIR(*part, next->context, options,
                                        /*optimize=*/false);
    if (!llvmModule)
      return llvmModule.takeError();
    next->module = std::move(*llvmModule);
    next->objectPath = (path + "." + llvm::Twine(index) + ".o").str();
    work.push_back(std::move(next));
  }
  {
    llvm::DefaultThreadPool pool(llvm::hardware_concurrency(threads));
    for (auto &part : work)
      pool.async([&options, part = part.get()] {
        optimizeModule(*part->module, *part->machine, options.optLevel);
        if (llvm::Error error =
                writeObject(*part->module, *part->machine, part->objectPath))
          part->failure = llvm::toString(std::move(error));
      });
    pool.wait();
  }
  std::vector<std::string> objects;
  std::string failures;
  for (auto &part : work) {
    objects.push_back(part->objectPath);
    if (!part->failure.empty())
      failures += (failures.empty() ? "" : "\n") + part->failure;
  }
  if (!failures.empty()) {
    for (const std::string &object : objects)
      llvm::sys::fs::remove(object);
    return makeError(failures);
  }
  return objects;
}

/// x86-64 __truncsfbf2 (float in xmm0 -> bf16 in xmm0), see
/// emitSharedLibrary.
static const char *const kTruncSfBf2Assembly = R"asm(
    .text
    .globl __truncsfbf2
    .hidden __truncsfbf2
    .type __truncsfbf2,@function
__truncsfbf2:
    movd    %xmm0, %eax
    movl    %eax, %ecx
    andl    $0x7fffffff, %ecx
    cmpl    $0x7f800000, %ecx
    ja      1f
    movl    %eax, %ecx
    shrl    $16, %ecx
    andl    $1, %ecx
    addl    $0x7fff, %ecx
    addl    %ecx, %eax
    shrl    $16, %eax
    movd    %eax, %xmm0
    ret
1:
    shrl    $16, %eax
    orl     $0x40, %eax
    movd    %eax, %xmm0
    ret
    .size __truncsfbf2, .-__truncsfbf2
    .section .note.GNU-stack,"",@progbits
)asm";

llvm::Error
mlir::dsv2::cpu::emitSharedLibrary(ModuleOp module, llvm::StringRef path,
                                   const CpuTargetOptions &options) {
  llvm::ErrorOr<std::string> compiler = llvm::sys::findProgramByName("cc");
  if (!compiler)
    return makeError("cannot link '" + path +
                     "': no C compiler 'cc' on PATH (install gcc or clang, "
                     "or link the object file yourself with 'cc -shared')");

  auto objects = emitObjectFiles(module, path, options);
  if (!objects)
    return objects.takeError();

  llvm::SmallString<128> logPath;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("dsv2-link", "log", logPath))
    return makeError("cannot create a temporary file: " + ec.message());
  // LLVM lowers some bf16 vector selects through the compiler-rt/libgcc
  // helper __truncsfbf2, which GCC 12's libgcc lacks; the library carries
  // its own (hidden, round-to-nearest-even, NaN stays NaN).
  std::string helperPath = (path + ".bf16.s").str();
  {
    std::error_code ec;
    llvm::raw_fd_ostream helper(helperPath, ec);
    if (ec)
      return makeError("cannot write '" + helperPath + "': " + ec.message());
    helper << kTruncSfBf2Assembly;
  }
  llvm::SmallVector<llvm::StringRef> args = {*compiler, "-shared", "-o", path};
  args.append(objects->begin(), objects->end());
  args.append({helperPath, "-lm"});
  std::optional<llvm::StringRef> redirects[] = {
      std::nullopt, llvm::StringRef(logPath), llvm::StringRef(logPath)};
  std::string executeError;
  int status = llvm::sys::ExecuteAndWait(*compiler, args, std::nullopt,
                                         redirects, /*SecondsToWait=*/0,
                                         /*MemoryLimit=*/0, &executeError);
  std::string log;
  if (auto buffer = llvm::MemoryBuffer::getFile(logPath))
    log = (*buffer)->getBuffer().trim().str();
  llvm::sys::fs::remove(logPath);
  if (status != 0) {
    std::string command = llvm::join(args, " ");
    return makeError("linking '" + path + "' failed (" + command +
                     (status < 0 ? ": " + executeError
                                 : ": exit " + std::to_string(status)) +
                     ")" + (log.empty() ? "" : ":\n" + log));
  }
  for (const std::string &object : *objects)
    llvm::sys::fs::remove(object);
  llvm::sys::fs::remove(helperPath);
  return llvm::Error::success();
}
