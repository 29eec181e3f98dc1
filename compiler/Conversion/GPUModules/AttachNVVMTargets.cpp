//===- AttachNVVMTargets.cpp - One NVVM target per CUDA architecture ------===//

#include "dnnc/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

namespace dnnc {
#define GEN_PASS_DEF_ATTACHNVVMTARGETSPASS
#include "dnnc/Conversion/Passes.h.inc"
} // namespace dnnc

using namespace mlir;

namespace {
struct AttachNVVMTargetsPass : dnnc::impl::AttachNVVMTargetsPassBase<AttachNVVMTargetsPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    SmallVector<Attribute> targets;
    for (const std::string &chip : chips) {
      // The attribute's own verifier asserts; check what it checks first.
      if (!llvm::StringRef(chip).starts_with("sm_") || optLevel < 0 || optLevel > 3) {
        getOperation().emitError() << "not an NVVM target: chip '" << chip << "', O"
                                   << optLevel.getValue();
        return signalPassFailure();
      }
      targets.push_back(NVVM::NVVMTargetAttr::get(context, static_cast<int>(optLevel),
                                                  "nvptx64-nvidia-cuda", chip,
                                                  features.getValue()));
    }
    if (targets.empty()) {
      getOperation().emitError("no CUDA architecture to compile for");
      return signalPassFailure();
    }
    auto list = ArrayAttr::get(context, targets);
    getOperation().walk([&](gpu::GPUModuleOp kernels) { kernels.setTargetsAttr(list); });
  }
};
} // namespace
