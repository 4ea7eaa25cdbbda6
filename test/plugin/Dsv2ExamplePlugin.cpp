//===- Dsv2ExamplePlugin.cpp - An out-of-tree pass plugin for dsv2 --------===//
//
// Part of dsv2c. The example of docs/writing-passes.md: one pass,
// dsv2-example-annotate-moe, built as a loadable module that dsv2-opt
// (`--load-pass-plugin=LIB`) and dsv2c (`--pass-plugin LIB`) load at run
// time. The module links no MLIR library: MLIR and the dsv2 dialect come from
// the host executable, which exports its symbols.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/Dsv2Ops.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Config/llvm-config.h"

#define DEBUG_TYPE "dsv2-example-annotate-moe"

namespace mlir::dsv2::example {
#define GEN_PASS_DECL
#define GEN_PASS_DEF_DSV2EXAMPLEANNOTATEMOEPASS
#define GEN_PASS_REGISTRATION
#include "test/plugin/ExamplePasses.h.inc"
} // namespace mlir::dsv2::example

namespace mlir::dsv2::example {
namespace {

/// What the pass records about one router.
struct RouterInfo {
  int64_t routedExperts;
  int64_t activeExperts;
  TopkMethod method;
};

/// Routers are dsv2.moe_gate and its fused form dsv2.moe_fused; both score
/// the experts with a gate weight of shape [E, hidden].
template <typename RouterOp> static RouterInfo describe(RouterOp op) {
  return {op.getGateWeight().getType().getShape().front(),
          static_cast<int64_t>(op.getTopK()), op.getMethod()};
}

} // namespace

/// Outside the anonymous namespace on purpose: the pass's TypeID is derived
/// from its qualified name (MLIR's fallback for classes without an explicit
/// TypeID), which must be unique in the whole process, hosts included.
struct Dsv2ExampleAnnotateMoePass
    : impl::Dsv2ExampleAnnotateMoePassBase<Dsv2ExampleAnnotateMoePass> {
  using Base::Base;

  void runOnOperation() override {
    Builder builder(&getContext());
    getOperation().walk([&](Operation *op) {
      std::optional<RouterInfo> info =
          llvm::TypeSwitch<Operation *, std::optional<RouterInfo>>(op)
              .Case<MoeGateOp, MoeFusedOp>(
                  [](auto router) { return describe(router); })
              .Default([](Operation *) { return std::nullopt; });
      if (!info)
        return;
      op->setAttr("example.routed_experts",
                  builder.getI64IntegerAttr(info->routedExperts));
      op->setAttr("example.active_experts",
                  builder.getI64IntegerAttr(info->activeExperts));
      if (remarks)
        op->emitRemark() << "routes each token to " << info->activeExperts
                         << " of " << info->routedExperts << " experts ("
                         << stringifyTopkMethod(info->method) << ")";
    });
  }
};

} // namespace mlir::dsv2::example

/// The entry point both hosts look up with dlsym after loading the module.
/// The callback runs each time a host loads the module and registers the
/// plugin's passes, after which textual pipelines can name them.
extern "C" LLVM_ATTRIBUTE_WEAK mlir::PassPluginLibraryInfo
mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "Dsv2ExamplePlugin", LLVM_VERSION_STRING,
          [] { mlir::dsv2::example::registerDsv2ExamplePasses(); }};
}
