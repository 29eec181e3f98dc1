//===- MergeGPUModules.cpp - All kernels of a library in one module -------===//
//
// One gpu.module per library: gpu-module-to-binary then compiles the whole
// library once per architecture, and the runtime loads one module.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace dnnc {
#define GEN_PASS_DEF_MERGEGPUMODULESPASS
#include "dnnc/Conversion/Passes.h.inc"
} // namespace dnnc

using namespace mlir;

namespace {
struct MergeGPUModulesPass : dnnc::impl::MergeGPUModulesPassBase<MergeGPUModulesPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> outlined(module.getOps<gpu::GPUModuleOp>());
    if (outlined.empty())
      return;
    if (module.lookupSymbol(moduleName)) {
      module.emitError() << "cannot merge the kernels into '" << moduleName
                         << "': the name is taken";
      return signalPassFailure();
    }

    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto merged = gpu::GPUModuleOp::create(b, outlined.front().getLoc(), moduleName);
    Block &into = merged.getBodyRegion().front();
    SymbolTable mergedSymbols(merged);
    // The outliner names each kernel after its function and makes only the
    // module names unique: a kernel that collides takes its module's name.
    llvm::DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    for (gpu::GPUModuleOp kernels : outlined) {
      for (Operation &op : llvm::make_early_inc_range(kernels.getBody()->getOperations())) {
        if (op.hasTrait<OpTrait::IsTerminator>())
          continue;
        auto name = op.getAttrOfType<StringAttr>(SymbolTable::getSymbolAttrName());
        if (into.empty() || !into.back().hasTrait<OpTrait::IsTerminator>())
          op.moveBefore(&into, into.end());
        else
          op.moveBefore(&into.back());
        if (!name)
          continue;
        if (mergedSymbols.lookup(name) && mergedSymbols.lookup(name) != &op) {
          // Taken: the module's (unique) name, made unique again if needed.
          mergedSymbols.remove(&op);
          SymbolTable::setSymbolName(&op, kernels.getNameAttr());
        }
        StringAttr unique = mergedSymbols.insert(&op);
        renamed[{kernels.getNameAttr(), name}] = unique;
      }
    }

    StringAttr mergedName = merged.getNameAttr();
    module.walk([&](gpu::LaunchFuncOp launch) {
      StringAttr kernel =
          renamed.lookup({launch.getKernelModuleName(), launch.getKernelName()});
      if (!kernel)
        return;
      launch.setKernelAttr(SymbolRefAttr::get(mergedName, {FlatSymbolRefAttr::get(kernel)}));
    });
    for (gpu::GPUModuleOp kernels : outlined)
      kernels.erase();
  }
};
} // namespace
