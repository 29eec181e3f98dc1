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

enum class BinaryKind { Add, Sub, Mul, Div, Max };
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
/// dropout: x times 1 / (1 - p) where the counter-based mask of
/// dnnc/Support/DropoutMask.h keeps the element, else times 0.
Tensor dropout(const Tensor &x, uint64_t key, double p, int64_t site);
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

//===----------------------------------------------------------------------===//
// Gradient building blocks: the ops that vector-Jacobian products build.
// Each is written as the adjoint of the forward kernel above, looping over
// the same index relation, so that it is right by construction.
//===----------------------------------------------------------------------===//

/// grad where input > 0, else slope * grad (relu_grad; relu is slope 0,
/// which gives 0 there even for an infinite or NaN grad).
llvm::Expected<Tensor> reluGrad(const Tensor &input, const Tensor &grad, double slope);
/// gelu (the erf form, or the tanh form), and grad times its derivative.
Tensor gelu(const Tensor &x, bool tanhForm);
llvm::Expected<Tensor> geluGrad(const Tensor &input, const Tensor &grad, bool tanhForm);
/// -1, 0 or 1 by the sign of each element (NaN stays NaN).
Tensor sign(const Tensor &x);
/// NumPy-broadcast lhs == rhs: 1 or 0, in lhs's element type.
llvm::Expected<Tensor> equal(const Tensor &lhs, const Tensor &rhs);
/// Repeats `x` along `axes` of `resultShape`: x's dims map in order to the
/// result dims not in `axes`, or x has the result's rank and size 1 at
/// `axes`. `divideByCount` divides by the product of the result sizes at
/// `axes` (the gradient of a mean).
llvm::Expected<Tensor> broadcastLike(const Tensor &x, llvm::ArrayRef<int64_t> resultShape,
                                     llvm::ArrayRef<int64_t> axes, bool divideByCount);
/// Elements [start, start + size) of `x` along `axis`.
llvm::Expected<Tensor> slice(const Tensor &x, int64_t axis, int64_t start, int64_t size);

/// d loss / d x of conv2d(x, filter) given d loss / d result `grad`, for an
/// input of shape `inputShape` (NCHW): the adjoint of conv2d's input.
llvm::Expected<Tensor> conv2dInputGrad(const Tensor &grad, const Tensor &filter,
                                       llvm::ArrayRef<int64_t> inputShape,
                                       llvm::ArrayRef<int64_t> stride,
                                       llvm::ArrayRef<int64_t> padding);
/// d loss / d filter of conv2d(x, filter) given `grad`, for a filter with
/// spatial size `kernelSize` ([KH, KW]; with stride > 1 the output size does
/// not determine it).
llvm::Expected<Tensor> conv2dFilterGrad(const Tensor &x, const Tensor &grad,
                                        llvm::ArrayRef<int64_t> kernelSize,
                                        llvm::ArrayRef<int64_t> stride,
                                        llvm::ArrayRef<int64_t> padding);
/// Each maxpool2d window's first maximum in row-major window order (a later
/// element must be strictly greater; padding never wins), as its offset
/// kh * KW + kw in the window: an integer tensor of the pooled shape.
llvm::Expected<Tensor> maxPool2dArgmax(const Tensor &x, llvm::ArrayRef<int64_t> size,
                                       llvm::ArrayRef<int64_t> stride,
                                       llvm::ArrayRef<int64_t> padding);
/// d loss / d x of maxpool2d for an input of shape `inputShape`, given each
/// window's maximum (maxPool2dArgmax): each window's grad goes to that
/// element; an element in several windows sums theirs.
llvm::Expected<Tensor> maxPool2dArgmaxGrad(const Tensor &argmax, const Tensor &grad,
                                           llvm::ArrayRef<int64_t> inputShape,
                                           llvm::ArrayRef<int64_t> size,
                                           llvm::ArrayRef<int64_t> stride,
                                           llvm::ArrayRef<int64_t> padding);
/// d loss / d x of maxpool2d: each window's grad goes to its first maximum in
/// row-major window order (padding never wins), as torch.nn.MaxPool2d does.
/// maxPool2dArgmaxGrad of maxPool2dArgmax.
llvm::Expected<Tensor> maxPool2dGrad(const Tensor &x, const Tensor &grad,
                                     llvm::ArrayRef<int64_t> size,
                                     llvm::ArrayRef<int64_t> stride,
                                     llvm::ArrayRef<int64_t> padding);
/// d loss / d x of avgpool2d (padding counted as zeros) for an input of
/// shape `inputShape`: each window's grad / (KH * KW) to each element in it.
llvm::Expected<Tensor> avgPool2dGrad(const Tensor &grad, llvm::ArrayRef<int64_t> inputShape,
                                     llvm::ArrayRef<int64_t> size,
                                     llvm::ArrayRef<int64_t> stride,
                                     llvm::ArrayRef<int64_t> padding);

enum class OptimizerKind { Sgd, Momentum, Adam };

/// The hyperparameters of dnn.apply_optimizer, less the run-time `lr`. Each
/// optimizer reads only its own (sgd: weightDecay; momentum: beta too; adam:
/// beta1, beta2, eps too).
struct OptimizerHyperparameters {
  double weightDecay = 0, beta = 0.9, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

/// The updated parameter and state of one optimizer step.
struct OptimizerUpdate {
  Tensor param;
  std::vector<Tensor> state;
};

/// One step of dnn.apply_optimizer for step number `step` (from 1), with
/// `state` in the op's order (momentum: momentum_buffer; adam: exp_avg,
/// exp_avg_sq):
///   g' = g + wd * p
///   sgd:      p -= lr * g'
///   momentum: v = beta * v + g'; p -= lr * v
///   adam:     m = beta1 * m + (1 - beta1) * g'; v = beta2 * v + (1 - beta2) * g'^2;
///             p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
/// In double; rounding the results to f32 is the caller's job.
llvm::Expected<OptimizerUpdate> applyOptimizer(OptimizerKind kind,
                                               const OptimizerHyperparameters &hyper,
                                               const Tensor &param, const Tensor &grad,
                                               llvm::ArrayRef<Tensor> state, double lr,
                                               int64_t step);

} // namespace dnnc::reference

#endif // DNNC_REFERENCE_KERNELS_H
