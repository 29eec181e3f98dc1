//===- BackwardGraphPrinter.h - The backward graph as readable text -*- C++ -*-===//
//
// `dnnc --emit=grad`: after dnn-autodiff, prints each model's forward and
// backward graph one value per line in the notation of the .dnn language,
// so that backpropagation can be followed as taught: for a loss J, the
// gradient of a named value h is "dJ/dh", and every d J / d param is given in
// terms of forward values.
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_TARGET_BACKWARDGRAPHPRINTER_H
#define DNNC_TARGET_BACKWARDGRAPHPRINTER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace dnnc {

/// Prints every dnn.model of `module` that has dnn.gradient ops.
void printBackwardGraphs(mlir::ModuleOp module, llvm::raw_ostream &os);

} // namespace dnnc

#endif // DNNC_TARGET_BACKWARDGRAPHPRINTER_H
