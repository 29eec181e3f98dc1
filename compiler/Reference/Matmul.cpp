//===- Matmul.cpp - Reference kernel of dnn.matmul --------------------------===//
//
// Batched matrix products with broadcast batch dims, accumulated in double.
// The kernels are plain loops over row-major data (Kernels.h); the binding
// at the end reads each op's attributes for them.
//
//===----------------------------------------------------------------------===//

#include "KernelSupport.h"

#include "dnnc/Dialect/DNN/IR/DNNOps.h"

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

Expected<Tensor> dnnc::reference::matmul(const Tensor &lhs, const Tensor &rhs) {
  if (lhs.rank() < 2 || rhs.rank() < 2)
    return fail("matmul: operands must have rank 2 or more, got " +
                shapeString(lhs.shape) + " and " + shapeString(rhs.shape));
  int64_t m = lhs.shape[lhs.rank() - 2], k = lhs.shape[lhs.rank() - 1];
  int64_t k2 = rhs.shape[rhs.rank() - 2], p = rhs.shape[rhs.rank() - 1];
  if (k != k2)
    return fail("matmul: inner dimensions of " + shapeString(lhs.shape) + " and " +
                shapeString(rhs.shape) + " differ");
  ArrayRef<int64_t> lhsBatch = ArrayRef(lhs.shape).drop_back(2);
  ArrayRef<int64_t> rhsBatch = ArrayRef(rhs.shape).drop_back(2);
  auto batch = broadcastShapes(lhsBatch, rhsBatch, "matmul batch");
  if (!batch)
    return batch.takeError();
  std::vector<int64_t> shape = *batch;
  shape.push_back(m);
  shape.push_back(p);
  Tensor out = makeTensor(shape);
  BroadcastMap lhsMap(lhsBatch, batch->size()), rhsMap(rhsBatch, batch->size());
  int64_t outBase = 0;
  // A rank-0 batch (plain 2-D matmul) is one index, so one matrix.
  forEachIndex(*batch, [&](ArrayRef<int64_t> index) {
    // A batch offset counts whole matrices, so scale it by the matrix size.
    int64_t a = lhsMap.offset(index) * m * k;
    int64_t b = rhsMap.offset(index) * k * p;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < p; ++j) {
        double acc = 0;
        for (int64_t l = 0; l < k; ++l)
          acc += lhs.data[a + i * k + l] * rhs.data[b + l * p + j];
        out.data[outBase + i * p + j] = acc;
      }
    outBase += m * p;
  });
  return out;
}

KernelResult dnnc::reference::support::runMatmulOp(Operation *op, ArrayRef<const Tensor *> in) {
  using namespace dnnc::dnn;
  return llvm::TypeSwitch<Operation *, KernelResult>(op)
      .Case([&](MatmulOp) { return matmul(*in[0], *in[1]); })
      .Default([](Operation *) { return KernelResult(); });
}
