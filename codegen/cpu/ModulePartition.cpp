//===- ModulePartition.cpp - Split a kernel module for parallel codegen ---===//
//
// Part of dsv2c. See ModulePartition.h.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/ModulePartition.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"

#include <algorithm>
#include <numeric>

using namespace mlir;

llvm::SmallVector<OwningOpRef<ModuleOp>>
mlir::dsv2::cpu::partitionFunctions(ModuleOp module, unsigned parts) {
  llvm::SmallVector<LLVM::LLVMFuncOp> definitions, declarations;
  for (Operation &op : module.getBody()->getOperations()) {
    auto function = dyn_cast<LLVM::LLVMFuncOp>(op);
    if (!function)
      return {};
    (function.isExternal() ? declarations : definitions).push_back(function);
  }
  if (parts < 2 || definitions.size() < 2)
    return {};

  // A function and the definitions it calls (a kernel and its `_grid`
  // entry) stay in one part: union-find over the call edges.
  llvm::DenseMap<StringRef, size_t> indexOf;
  for (auto [i, function] : llvm::enumerate(definitions))
    indexOf[function.getSymName()] = i;
  llvm::SmallVector<size_t> leader(definitions.size());
  std::iota(leader.begin(), leader.end(), 0);
  auto find = [&](size_t i) {
    while (leader[i] != i)
      i = leader[i] = leader[leader[i]];
    return i;
  };
  llvm::SmallVector<int64_t> size(definitions.size(), 0);
  for (auto [i, function] : llvm::enumerate(definitions)) {
    function.walk([&, i = i](Operation *op) {
      ++size[i];
      if (auto call = dyn_cast<LLVM::CallOp>(op))
        if (auto callee = call.getCallee()) {
          auto it = indexOf.find(*callee);
          if (it != indexOf.end())
            leader[find(it->second)] = find(i);
        }
    });
  }
  llvm::SmallVector<int64_t> groupSize(definitions.size(), 0);
  for (size_t i = 0; i < definitions.size(); ++i)
    groupSize[find(i)] += size[i];
  llvm::SmallVector<size_t> groups;
  for (size_t i = 0; i < definitions.size(); ++i)
    if (find(i) == i)
      groups.push_back(i);
  parts = std::min<unsigned>(parts, groups.size());
  if (parts < 2)
    return {};

  // Largest group first onto the lightest part (ties: the lower part), so
  // that one huge kernel does not share a thread with many others.
  std::stable_sort(groups.begin(), groups.end(), [&](size_t a, size_t b) {
    return groupSize[a] > groupSize[b];
  });
  llvm::SmallVector<int64_t> load(parts, 0);
  llvm::DenseMap<size_t, unsigned> partOfGroup;
  for (size_t group : groups) {
    unsigned lightest = std::min_element(load.begin(), load.end()) - load.begin();
    partOfGroup[group] = lightest;
    load[lightest] += groupSize[group];
  }
  llvm::SmallVector<unsigned> partOf(definitions.size());
  for (size_t i = 0; i < definitions.size(); ++i)
    partOf[i] = partOfGroup[find(i)];

  llvm::SmallVector<OwningOpRef<ModuleOp>> result;
  for (unsigned p = 0; p < parts; ++p) {
    OwningOpRef<ModuleOp> part = ModuleOp::create(module.getLoc());
    (*part)->setAttrs(module->getAttrs());
    OpBuilder builder = OpBuilder::atBlockEnd(part->getBody());
    for (LLVM::LLVMFuncOp declaration : declarations)
      builder.clone(*declaration);
    for (auto [i, function] : llvm::enumerate(definitions))
      if (partOf[i] == p)
        builder.clone(*function);
    result.push_back(std::move(part));
  }
  return result;
}
