//===- IrFuzzer.cpp - Fuzzes dsv2/tile IR parsing and verification --------===//
//
// Any text is a candidate module of the dsv2 and tile dialects (with the
// upstream dialects their IR uses): parsing and verifying it must end in a
// diagnostic or a valid module, never a crash, leak or hang. A module that
// verifies is printed and parsed again; the printed form must verify too
// (custom assembly formats and verifiers agree).
//
// Each input gets a fresh context so that a crash reproduces from its input
// alone; registering the dialects costs far less than parsing.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/Dsv2Dialect.h"
#include "dialect/tile/TileDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <string>

namespace {

const mlir::DialectRegistry &dialects() {
  static const mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    r->insert<mlir::dsv2::Dsv2Dialect, mlir::tile::TileDialect,
              mlir::func::FuncDialect, mlir::arith::ArithDialect,
              mlir::math::MathDialect, mlir::scf::SCFDialect>();
    return r;
  }();
  return *registry;
}

/// Parses and verifies `text` (which must be followed by a NUL: MLIR's lexer
/// reads one byte past the end); null when either fails.
mlir::OwningOpRef<mlir::ModuleOp> parseAndVerify(const std::string &text,
                                                 mlir::MLIRContext &context) {
  mlir::ParserConfig config(&context, /*verifyAfterParse=*/false);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, config, "fuzz.mlir");
  if (!module || mlir::failed(mlir::verify(*module)))
    return nullptr;
  return module;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::MLIRContext context(dialects(), mlir::MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  // Diagnostics are the expected outcome; printing them would only slow the
  // fuzzer down.
  mlir::ScopedDiagnosticHandler quiet(
      &context, [](mlir::Diagnostic &) { return mlir::success(); });

  std::string text(reinterpret_cast<const char *>(data), size);
  mlir::OwningOpRef<mlir::ModuleOp> module = parseAndVerify(text, context);
  if (!module)
    return 0;
  std::string printed;
  llvm::raw_string_ostream os(printed);
  module->print(os);
  os.flush();
  if (!parseAndVerify(printed, context))
    std::abort(); // the printed form of a valid module does not verify
  return 0;
}
