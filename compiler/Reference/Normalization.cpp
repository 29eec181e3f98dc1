//===- Normalization.cpp - Reference kernels of normalization layers --------===//
//
// dropout's counter-based mask (dnnc/Support/DropoutMask.h). batch_norm and
// layer_norm are composites of reductions, dnn.count and elementwise ops.
// The kernels are plain loops over row-major data (Kernels.h); the binding
// at the end reads each op's attributes for them.
//
//===----------------------------------------------------------------------===//

#include "KernelSupport.h"

#include "dnnc/Dialect/DNN/IR/DNNOps.h"
#include "dnnc/Support/DropoutMask.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace dnnc::reference;
using namespace dnnc::reference::support;
using llvm::ArrayRef;
using llvm::Expected;
using mlir::Operation;

Tensor dnnc::reference::dropout(const Tensor &x, uint64_t key, double p, int64_t site) {
  namespace mask = dropout_mask;
  uint64_t siteKey = mask::siteKey(key, site);
  uint32_t threshold = mask::threshold(p);
  double scale = 1.0 / (1.0 - p);
  Tensor y = x;
  for (size_t i = 0; i < y.data.size(); ++i)
    y.data[i] *= mask::elementHash(siteKey, uint64_t(i)) >= threshold ? scale : 0.0;
  return y;
}

KernelResult dnnc::reference::support::runNormalizationOp(Operation *op, ArrayRef<const Tensor *> in,
                                    const EvaluateOptions &options) {
  using namespace dnnc::dnn;
  return llvm::TypeSwitch<Operation *, KernelResult>(op)
      .Case([&](DropoutOp o) -> Expected<Tensor> {
        if (!options.rngKey)
          return fail("dropout: no random key");
        return dropout(*in[0], *options.rngKey, o.getP().convertToDouble(), o.getSite());
      })
      .Default([](Operation *) { return KernelResult(); });
}
