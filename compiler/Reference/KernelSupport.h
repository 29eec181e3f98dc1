//===- KernelSupport.h - Shared by the reference kernels's families -*- C++ -*-===//
//
// Index helpers and checks the kernel families share, and each family's op
// binding (run<Family>Op: the kernel of a dnn op on its operand values) that
// the interpreter dispatches to. Internal to compiler/Reference.
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_REFERENCE_KERNELSUPPORT_H
#define DNNC_REFERENCE_KERNELSUPPORT_H

#include "dnnc/Reference/Interpreter.h"
#include "dnnc/Reference/Kernels.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <vector>

namespace dnnc::reference::support {
using llvm::ArrayRef;
using llvm::Expected;

inline llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

inline Expected<int64_t> normalizeAxis(int64_t axis, int64_t rank, llvm::StringRef op) {
  if (axis < -rank || axis >= rank)
    return fail(op + ": axis " + llvm::Twine(axis) +
                " is out of range for a tensor of rank " + llvm::Twine(rank));
  return axis < 0 ? axis + rank : axis;
}

/// Calls fn(index) for every multi-index of `shape`, in row-major order.
inline void forEachIndex(ArrayRef<int64_t> shape,
                  llvm::function_ref<void(ArrayRef<int64_t>)> fn) {
  if (numElementsOf(shape) == 0)
    return;
  std::vector<int64_t> index(shape.size(), 0);
  while (true) {
    fn(index);
    int64_t d = (int64_t)shape.size() - 1;
    for (; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
    if (d < 0)
      return;
  }
}

/// NumPy broadcasting of two shapes, aligned at the trailing dimension.
inline Expected<std::vector<int64_t>> broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b,
                                               llvm::StringRef op) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return fail(op + ": shapes " + shapeString(a) + " and " + shapeString(b) +
                  " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

/// Maps an index of a broadcast result to the offset of the element it reads
/// in one operand: the operand aligns at the trailing dimension, and its
/// size-1 dimensions get stride 0 so that they stretch.
struct BroadcastMap {
  std::vector<int64_t> strides;
  size_t lead;
  BroadcastMap(ArrayRef<int64_t> shape, size_t resultRank)
      : strides(stridesOf(shape)), lead(resultRank - shape.size()) {
    for (size_t i = 0; i < shape.size(); ++i)
      if (shape[i] == 1)
        strides[i] = 0;
  }
  int64_t offset(ArrayRef<int64_t> resultIndex) const {
    int64_t offset = 0;
    for (size_t i = 0; i < strides.size(); ++i)
      offset += resultIndex[lead + i] * strides[i];
    return offset;
  }
};

/// Splits `shape` around `axis` into (outer, length, inner) extents.
struct AxisSplit {
  int64_t outer = 1, length = 1, inner = 1;
  AxisSplit(ArrayRef<int64_t> shape, int64_t axis) {
    for (int64_t i = 0; i < (int64_t)shape.size(); ++i)
      (i < axis ? outer : i == axis ? length : inner) *= shape[i];
  }
};

inline llvm::Error checkPair(ArrayRef<int64_t> v, llvm::StringRef op, llvm::StringRef what,
                      int64_t minValue) {
  if (v.size() != 2)
    return fail(op + ": " + what + " must have 2 values, got " + llvm::Twine(v.size()));
  if (v[0] < minValue || v[1] < minValue)
    return fail(op + ": " + what + " must be at least " + llvm::Twine(minValue));
  return llvm::Error::success();
}

/// floor((in + 2*pad - k) / stride) + 1, checking that the window fits.
inline Expected<int64_t> windowExtent(int64_t in, int64_t k, int64_t stride, int64_t pad,
                               llvm::StringRef op) {
  if (in + 2 * pad < k)
    return fail(op + ": window " + llvm::Twine(k) + " does not fit extent " +
                llvm::Twine(in) + " with padding " + llvm::Twine(pad));
  return (in + 2 * pad - k) / stride + 1;
}

/// The static size of dimension `d` of `op`'s result type, or -1.
inline int64_t resultDim(mlir::Operation *op, int64_t d) {
  auto type = mlir::cast<mlir::RankedTensorType>(op->getResult(0).getType());
  if (d < 0)
    d += type.getRank();
  return d >= 0 && d < type.getRank() && !type.isDynamicDim(d) ? type.getDimSize(d) : -1;
}

/// The result of one family's binding: the op's value (or the kernel's
/// error), or std::nullopt when the op is not of the family.
using KernelResult = std::optional<Expected<Tensor>>;

/// Each family's binding, in the family's file: reads the op's attributes
/// and calls its kernel on `in`, one value per operand.
KernelResult runElementwiseOp(mlir::Operation *op, ArrayRef<const Tensor *> in);
KernelResult runMatmulOp(mlir::Operation *op, ArrayRef<const Tensor *> in);
KernelResult runConvPoolOp(mlir::Operation *op, ArrayRef<const Tensor *> in);
KernelResult runReductionOp(mlir::Operation *op, ArrayRef<const Tensor *> in);
KernelResult runShapeOp(mlir::Operation *op, ArrayRef<const Tensor *> in);
KernelResult runLossOp(mlir::Operation *op, ArrayRef<const Tensor *> in);
/// dropout needs the step's key (`options.rngKey`, present when its
/// dnn.rng_key operand is bound).
KernelResult runNormalizationOp(mlir::Operation *op, ArrayRef<const Tensor *> in,
                            const EvaluateOptions &options);

} // namespace dnnc::reference::support

#endif // DNNC_REFERENCE_KERNELSUPPORT_H
