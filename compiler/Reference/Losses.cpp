//===- Losses.cpp - Reference kernels of losses and metrics -----------------===//
//
// mse, bce, bce_with_logits, cross_entropy (indices or probabilities), accuracy.
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

Expected<Tensor> dnnc::reference::elementwiseLoss(ElementwiseLossKind kind,
                                                  const Tensor &prediction,
                                                  const Tensor &target) {
  static const char *names[] = {"mse", "bce", "bce_with_logits"};
  llvm::StringRef op = names[(int)kind];
  if (prediction.isInteger || target.isInteger)
    return fail(op + ": needs float operands");
  if (prediction.shape != target.shape)
    return fail(op + ": prediction " + shapeString(prediction.shape) + " and target " +
                shapeString(target.shape) + " must have the same shape");
  double acc = 0;
  for (int64_t i = 0; i < prediction.numElements(); ++i) {
    double p = prediction.data[i], t = target.data[i];
    switch (kind) {
    case ElementwiseLossKind::Mse:
      acc += (p - t) * (p - t);
      break;
    case ElementwiseLossKind::Bce:
      // torch.nn.BCELoss clamps each log at -100 so that p = 0 or 1 stays finite.
      acc -= t * std::max(std::log(p), -100.0) +
             (1 - t) * std::max(std::log(1 - p), -100.0);
      break;
    case ElementwiseLossKind::BceWithLogits:
      // -(t*log(sigmoid(p)) + (1-t)*log(1-sigmoid(p))), rewritten so that
      // exp never overflows.
      acc += std::max(p, 0.0) - p * t + std::log1p(std::exp(-std::fabs(p)));
      break;
    }
  }
  return makeTensor({}, false, acc / (double)prediction.numElements());
}

Expected<Tensor> dnnc::reference::crossEntropy(const Tensor &logits,
                                               const Tensor &target) {
  if (logits.isInteger || logits.rank() != 2)
    return fail("cross_entropy: logits must be a float [N, C] tensor, got " +
                shapeString(logits.shape));
  int64_t n = logits.shape[0], c = logits.shape[1];
  bool indices = target.isInteger;
  if (indices ? target.shape != std::vector<int64_t>{n} : target.shape != logits.shape)
    return fail("cross_entropy: target " + shapeString(target.shape) +
                " does not match logits " + shapeString(logits.shape));
  auto logProbs = softmax(logits, 1, /*log=*/true);
  if (!logProbs)
    return logProbs.takeError();
  double acc = 0;
  for (int64_t row = 0; row < n; ++row) {
    if (indices) {
      double label = target.data[row];
      if (label < 0 || label >= (double)c)
        return fail("cross_entropy: target " + llvm::Twine((int64_t)label) + " of row " +
                    llvm::Twine(row) + " is not a class index in [0, " + llvm::Twine(c) +
                    ")");
      acc -= logProbs->data[row * c + (int64_t)label];
      continue;
    }
    for (int64_t k = 0; k < c; ++k)
      acc -= target.data[row * c + k] * logProbs->data[row * c + k];
  }
  return makeTensor({}, false, acc / (double)n);
}

Expected<Tensor> dnnc::reference::accuracy(const Tensor &logits, const Tensor &labels) {
  if (logits.isInteger || logits.rank() != 2 || !labels.isInteger ||
      labels.shape != std::vector<int64_t>{logits.shape[0]})
    return fail("accuracy: expects float [N, C] logits and i32 [N] labels, got " +
                shapeString(logits.shape) + " and " + shapeString(labels.shape));
  auto predicted = argmax(logits, 1);
  if (!predicted)
    return predicted.takeError();
  int64_t n = logits.shape[0], correct = 0;
  for (int64_t row = 0; row < n; ++row)
    correct += predicted->data[row] == labels.data[row];
  return makeTensor({}, false, (double)correct / (double)n);
}

KernelResult dnnc::reference::support::runLossOp(Operation *op, ArrayRef<const Tensor *> in) {
  using namespace dnnc::dnn;
  return llvm::TypeSwitch<Operation *, KernelResult>(op)
      .Case([&](MseOp) { return elementwiseLoss(ElementwiseLossKind::Mse, *in[0], *in[1]); })
      .Case([&](BceOp) { return elementwiseLoss(ElementwiseLossKind::Bce, *in[0], *in[1]); })
      .Case([&](BceWithLogitsOp) {
        return elementwiseLoss(ElementwiseLossKind::BceWithLogits, *in[0], *in[1]);
      })
      .Case([&](CrossEntropyOp) { return crossEntropy(*in[0], *in[1]); })
      .Case([&](AccuracyOp) { return accuracy(*in[0], *in[1]); })
      .Default([](Operation *) { return KernelResult(); });
}
