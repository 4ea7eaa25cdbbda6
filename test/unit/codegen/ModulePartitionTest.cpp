//===- ModulePartitionTest.cpp - Kernel modules split for parallel codegen -===//
//
// partitionFunctions (codegen/cpu/ModulePartition.h): every definition in
// exactly one part, a function with the definitions it calls, declarations
// in every part, balance by size, and the cases that compile whole.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/ModulePartition.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace {

// Four kernels of different sizes; `big_grid` calls `big` (as a kernel's
// `_grid` entry does), every definition calls the declared `expf`.
constexpr const char *kKernels = R"mlir(
module attributes {dsv2.test = 1 : i64} {
  llvm.func @expf(f32) -> f32
  llvm.func @big(%x: f32) -> f32 {
    %a = llvm.call @expf(%x) : (f32) -> f32
    %b = llvm.fadd %a, %x : f32
    %c = llvm.fadd %b, %a : f32
    %d = llvm.fadd %c, %b : f32
    %e = llvm.fadd %d, %c : f32
    %f = llvm.fadd %e, %d : f32
    llvm.return %f : f32
  }
  llvm.func @big_grid(%x: f32) -> f32 {
    %a = llvm.call @big(%x) : (f32) -> f32
    llvm.return %a : f32
  }
  llvm.func @small(%x: f32) -> f32 {
    %a = llvm.call @expf(%x) : (f32) -> f32
    llvm.return %a : f32
  }
  llvm.func @medium(%x: f32) -> f32 {
    %a = llvm.call @expf(%x) : (f32) -> f32
    %b = llvm.fadd %a, %x : f32
    %c = llvm.fadd %b, %a : f32
    llvm.return %c : f32
  }
  llvm.func @tiny(%x: f32) -> f32 {
    llvm.return %x : f32
  }
}
)mlir";

class ModulePartition : public ::testing::Test {
protected:
  ModulePartition() { context.loadDialect<mlir::LLVM::LLVMDialect>(); }
  mlir::OwningOpRef<mlir::ModuleOp> parse(const char *text) {
    return mlir::parseSourceString<mlir::ModuleOp>(text, &context);
  }
  /// The function names of each part (definitions, then "decl:" names).
  static std::vector<std::vector<std::string>>
  names(llvm::ArrayRef<mlir::OwningOpRef<mlir::ModuleOp>> parts) {
    std::vector<std::vector<std::string>> result;
    for (const auto &part : parts) {
      std::vector<std::string> defined;
      for (auto function : (*part)->getRegion(0).getOps<mlir::LLVM::LLVMFuncOp>())
        defined.push_back((function.isExternal() ? "decl:" : "") +
                          function.getSymName().str());
      result.push_back(defined);
    }
    return result;
  }
  mlir::MLIRContext context;
};

TEST_F(ModulePartition, EachDefinitionOnceWithItsCallees) {
  auto module = parse(kKernels);
  ASSERT_TRUE(module);
  auto parts = mlir::dsv2::cpu::partitionFunctions(*module, 2);
  ASSERT_EQ(parts.size(), 2u);
  std::map<std::string, int> partOf;
  for (auto [index, part] : llvm::enumerate(names(parts))) {
    EXPECT_EQ(part.front(), "decl:expf") << "part " << index;
    for (const std::string &name : part)
      if (name.rfind("decl:", 0) != 0) {
        EXPECT_EQ(partOf.count(name), 0u) << name << " is in two parts";
        partOf[name] = static_cast<int>(index);
      }
  }
  EXPECT_EQ(partOf.size(), 5u);
  EXPECT_EQ(partOf["big"], partOf["big_grid"]);
  // Largest first: big + big_grid alone in one part, the rest (in module
  // order) in the other.
  EXPECT_EQ(names(parts)[partOf["big"]],
            (std::vector<std::string>{"decl:expf", "big", "big_grid"}));
  EXPECT_EQ(names(parts)[partOf["small"]],
            (std::vector<std::string>{"decl:expf", "small", "medium", "tiny"}));
  // Every part verifies and keeps the module's attributes.
  for (const auto &part : parts) {
    EXPECT_TRUE(mlir::succeeded(mlir::verify(*part)));
    EXPECT_TRUE((*part)->hasAttr("dsv2.test"));
  }
}

TEST_F(ModulePartition, NoMorePartsThanGroups) {
  auto module = parse(kKernels);
  ASSERT_TRUE(module);
  // Four groups (big + big_grid, small, medium, tiny).
  EXPECT_EQ(mlir::dsv2::cpu::partitionFunctions(*module, 16).size(), 4u);
  EXPECT_EQ(mlir::dsv2::cpu::partitionFunctions(*module, 3).size(), 3u);
}

TEST_F(ModulePartition, CompilesWholeWhenItCannotSplit) {
  auto module = parse(kKernels);
  ASSERT_TRUE(module);
  EXPECT_TRUE(mlir::dsv2::cpu::partitionFunctions(*module, 1).empty());
  // One definition (and its entry): one group.
  auto single = parse(R"mlir(
    llvm.func @k(%x: f32) -> f32 { llvm.return %x : f32 }
    llvm.func @k_grid(%x: f32) -> f32 {
      %a = llvm.call @k(%x) : (f32) -> f32
      llvm.return %a : f32
    })mlir");
  ASSERT_TRUE(single);
  EXPECT_TRUE(mlir::dsv2::cpu::partitionFunctions(*single, 4).empty());
  // A global would be copied into every part: compile whole.
  auto global = parse(R"mlir(
    llvm.mlir.global internal constant @table(1.0 : f32) : f32
    llvm.func @a(%x: f32) -> f32 { llvm.return %x : f32 }
    llvm.func @b(%x: f32) -> f32 { llvm.return %x : f32 })mlir");
  ASSERT_TRUE(global);
  EXPECT_TRUE(mlir::dsv2::cpu::partitionFunctions(*global, 2).empty());
}

} // namespace
