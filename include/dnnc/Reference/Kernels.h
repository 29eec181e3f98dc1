//===- Kernels.h - Plain-loop reference kernels of the dnn ops --*- C++ -*-===//
//
// One function per op family, written as the most direct loops over
// row-major data with double accumulation. They know nothing of MLIR or of
// the compiler's lowering, which is what makes them a reference. Results are
// exact doubles; rounding to the op's element type (f32) is the caller's job,
// except for i32 results, whose wrap-around the kernels apply themselves.
//
// Axes may be negative (counted from the end). Every check a kernel needs is
// done here and reported as an llvm::Error, never asserted.
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_REFERENCE_KERNELS_H
#define DNNC_REFERENCE_KERNELS_H

#include "dnnc/Reference/Tensor.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"

namespace dnnc::reference {

enum class BinaryKind { Add, Sub, Mul, Div };
enum class ReduceKind { Sum, Mean, Max, Min };
enum class PoolKind { Max, Avg };
enum class ElementwiseLossKind { Mse, Bce, BceWithLogits };

/// NumPy-broadcast lhs (op) rhs. i32 operands use wrapping integer arithmetic;
/// i32 division truncates toward zero and rejects a zero divisor.
llvm::Expected<Tensor> binary(BinaryKind kind, const Tensor &lhs, const Tensor &rhs);

/// Applies `fn` to every element of a float tensor.
Tensor map(const Tensor &x, llvm::function_ref<double(double)> fn);
/// -x and |x|, wrapping for i32 (so -(-2^31) == -2^31, as in two's complement).
Tensor negate(const Tensor &x);
Tensor absolute(const Tensor &x);

/// [..., M, K] @ [..., K, P] -> [..., M, P]; the batch dims broadcast.
llvm::Expected<Tensor> matmul(const Tensor &lhs, const Tensor &rhs);

/// softmax, or log_softmax when `log`, along `axis`.
llvm::Expected<Tensor> softmax(const Tensor &x, int64_t axis, bool log);

/// Reduces over `axes` (all when empty), keeping them with size 1 on keepDims.
llvm::Expected<Tensor> reduce(ReduceKind kind, const Tensor &x,
                              llvm::ArrayRef<int64_t> axes, bool keepDims);
/// Index of the first maximum along `axis`, as i32.
llvm::Expected<Tensor> argmax(const Tensor &x, int64_t axis);

/// `shape` may hold one -1, inferred from the element count.
llvm::Expected<Tensor> reshape(const Tensor &x, llvm::ArrayRef<int64_t> shape);
/// [d0, d1, ...] -> [d0, d1*d2*...]; rank < 2 unchanged.
Tensor flatten(const Tensor &x);
/// Result dim i is input dim perm[i].
llvm::Expected<Tensor> transpose(const Tensor &x, llvm::ArrayRef<int64_t> perm);
llvm::Expected<Tensor> concat(llvm::ArrayRef<const Tensor *> inputs, int64_t axis);

/// Cross-correlation of NCHW `x` with FCHW `filter`, optional [F] `bias`.
llvm::Expected<Tensor> conv2d(const Tensor &x, const Tensor &filter, const Tensor *bias,
                              llvm::ArrayRef<int64_t> stride,
                              llvm::ArrayRef<int64_t> padding);
/// NCHW pooling. Max ignores padding; avg counts it as zeros
/// (count_include_pad=True).
llvm::Expected<Tensor> pool2d(PoolKind kind, const Tensor &x, llvm::ArrayRef<int64_t> size,
                              llvm::ArrayRef<int64_t> stride,
                              llvm::ArrayRef<int64_t> padding);

/// mse, bce, bce_with_logits: mean over all elements of same-shape operands.
llvm::Expected<Tensor> elementwiseLoss(ElementwiseLossKind kind, const Tensor &prediction,
                                       const Tensor &target);
/// Softmax cross-entropy of [N, C] logits with i32 [N] class indices or
/// [N, C] class probabilities, mean over the batch.
llvm::Expected<Tensor> crossEntropy(const Tensor &logits, const Tensor &target);
/// Fraction of rows of [N, C] logits whose first argmax equals the label.
llvm::Expected<Tensor> accuracy(const Tensor &logits, const Tensor &labels);
/// f32 [labels..., numClasses]; a label outside [0, numClasses) gives a zero row.
llvm::Expected<Tensor> oneHot(const Tensor &labels, int64_t numClasses);

} // namespace dnnc::reference

#endif // DNNC_REFERENCE_KERNELS_H
