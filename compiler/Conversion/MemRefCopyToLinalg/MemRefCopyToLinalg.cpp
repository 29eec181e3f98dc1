//===- MemRefCopyToLinalg.cpp - memref.copy as linalg.copy ----------------===//
//
// A library that needs nothing at run time cannot call memrefCopy from
// MLIR's runner utilities, which is what memref.copy of strided buffers
// becomes; linalg.copy lowers to plain loops instead.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Conversion/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace dnnc {
#define GEN_PASS_DEF_MEMREFCOPYTOLINALGPASS
#include "dnnc/Conversion/Passes.h.inc"
} // namespace dnnc

using namespace mlir;

namespace {
struct MemRefCopyToLinalgPass
    : dnnc::impl::MemRefCopyToLinalgPassBase<MemRefCopyToLinalgPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp op) { copies.push_back(op); });
    OpBuilder b(&getContext());
    for (memref::CopyOp copy : copies) {
      b.setInsertionPoint(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(), copy.getTarget());
      copy.erase();
    }
  }
};
} // namespace
