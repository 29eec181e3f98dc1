//===- Elementwise.cpp - Builtins of elementwise activations -------------===//
//
// relu, leaky_relu, sigmoid, silu, gelu, softplus, tanh, exp, log, sqrt, abs,
// stop_gradient: a tensor in, the same type out, one dnn op each. (The
// arithmetic operators are not builtins: Sema types them, MLIRGen emits.)
//
//===----------------------------------------------------------------------===//

#include "dnnc/Frontend/Builtins.h"

#include "dnnc/Dialect/DNN/IR/DNNOps.h"

using namespace mlir;
using namespace dnnc;
using namespace dnnc::frontend;

namespace {
using K = ArgKind;
using TensorType = dnnc::frontend::TensorType;
constexpr BuiltinParam kLeakyRelu[] = {{"x", K::Tensor, true}, {"slope", K::Float, false}};
/// torch.nn.functional.gelu's approximate: the erf form or the tanh form.
constexpr llvm::StringLiteral kGeluForms[] = {"none", "tanh"};
constexpr BuiltinParam kGelu[] = {{"x", K::Tensor, true},
                                  {"approximate", K::String, false, kGeluForms}};

TensorType floatTensor(BuiltinCheck &c) {
  return c.needFloat(c.x(), "tensor") ? c.x() : TensorType::getPoison();
}

TensorType anyTensor(BuiltinCheck &c) { return c.x(); }

TensorType checkLeakyRelu(BuiltinCheck &c) {
  c.attrs().numbers["slope"] = c.args.numberOr("slope", 0.01);
  return floatTensor(c);
}

TensorType checkGelu(BuiltinCheck &c) {
  c.attrs().ints["tanh"] = c.args.strings.lookup("approximate") == "tanh";
  return floatTensor(c);
}

template <typename OpTy>
Value emitUnary(BuiltinEmitter &e, ArrayRef<Value> ops, const BuiltinAttrs &, Location l) {
  return OpTy::create(e.builder(), l, ops[0]);
}

Value emitLeakyRelu(BuiltinEmitter &e, ArrayRef<Value> ops, const BuiltinAttrs &a, Location l) {
  return dnn::LeakyReluOp::create(e.builder(), l, ops[0],
                                  e.builder().getF64FloatAttr(a.numbers.lookup("slope")));
}

Value emitGelu(BuiltinEmitter &e, ArrayRef<Value> ops, const BuiltinAttrs &a, Location l) {
  return dnn::GeluOp::create(e.builder(), l, ops[0], a.ints.lookup("tanh") != 0);
}

const BuiltinInfo kRows[] = {
    {"relu", kSingleTensorParams, floatTensor, emitUnary<dnn::ReluOp>},
    {"leaky_relu", kLeakyRelu, checkLeakyRelu, emitLeakyRelu},
    {"sigmoid", kSingleTensorParams, floatTensor, emitUnary<dnn::SigmoidOp>},
    {"silu", kSingleTensorParams, floatTensor, emitUnary<dnn::SiluOp>},
    {"gelu", kGelu, checkGelu, emitGelu},
    {"softplus", kSingleTensorParams, floatTensor, emitUnary<dnn::SoftplusOp>},
    {"tanh", kSingleTensorParams, floatTensor, emitUnary<dnn::TanhOp>},
    {"exp", kSingleTensorParams, floatTensor, emitUnary<dnn::ExpOp>},
    {"log", kSingleTensorParams, floatTensor, emitUnary<dnn::LogOp>},
    {"sqrt", kSingleTensorParams, floatTensor, emitUnary<dnn::SqrtOp>},
    {"abs", kSingleTensorParams, anyTensor, emitUnary<dnn::AbsOp>},
    {"stop_gradient", kSingleTensorParams, anyTensor, emitUnary<dnn::StopGradientOp>},
};
} // namespace

llvm::ArrayRef<BuiltinInfo> dnnc::frontend::getElementwiseBuiltins() { return kRows; }
