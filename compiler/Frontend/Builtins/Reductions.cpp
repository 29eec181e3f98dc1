//===- Reductions.cpp - Builtins of softmax and reductions ---------------===//
//
// softmax, log_softmax and argmax along one axis (default the last); sum,
// mean, max and min over axes (default all), with keepdims.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Frontend/Builtins.h"

#include "dnnc/Dialect/DNN/IR/DNNOps.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace dnnc;
using namespace dnnc::frontend;

namespace {
using K = ArgKind;
using TensorType = dnnc::frontend::TensorType;
constexpr BuiltinParam kAxis[] = {{"x", K::Tensor, true}, {"axis", K::Int, false}};
constexpr BuiltinParam kReduce[] = {{"x", K::Tensor, true},
                                    {"axis", K::Axes, false},
                                    {"keepdims", K::Bool, false}};

/// softmax and log_softmax (float, same type) or argmax (i32, the axis
/// dropped).
template <bool IsArgmax>
TensorType checkAlongAxis(BuiltinCheck &c) {
  const TensorType &x = c.x();
  if (!IsArgmax && !c.needFloat(x, "tensor"))
    return TensorType::getPoison();
  std::string why;
  auto axis = shape_rules::normalizeAxis(c.args.intOr("axis", -1), x.shape.size(), why);
  if (failed(axis))
    return c.fail(why);
  c.attrs().ints["axis"] = *axis;
  if (!IsArgmax)
    return x;
  return c.withShape(shape_rules::argmax(x.shape, *axis, why), why, DType::I32);
}

template <bool NeedsFloat>
TensorType checkReduce(BuiltinCheck &c) {
  const TensorType &x = c.x();
  if (NeedsFloat && !c.needFloat(x, "tensor"))
    return TensorType::getPoison();
  std::string why;
  llvm::SmallVector<int64_t> axes;
  if (auto it = c.args.lists.find("axis"); it != c.args.lists.end()) {
    axes = it->second;
    if (axes.empty())
      return c.fail("the axis list is empty; omit 'axis' to reduce over all axes");
    if (!c.normalizeAxes(axes, why))
      return c.fail(why);
    llvm::sort(axes);
  }
  bool keepDims = c.args.flags.lookup("keepdims");
  c.attrs().lists["axes"] = axes;
  c.attrs().ints["keepdims"] = keepDims;
  return c.withShape(shape_rules::reduce(x.shape, axes, keepDims, why), why);
}

template <typename OpTy>
Value emitAlongAxis(BuiltinEmitter &e, ArrayRef<Value> ops, const BuiltinAttrs &a, Location l) {
  return OpTy::create(e.builder(), l, ops[0], e.builder().getI64IntegerAttr(a.ints.lookup("axis")));
}

template <typename OpTy>
Value emitReduce(BuiltinEmitter &e, ArrayRef<Value> ops, const BuiltinAttrs &a, Location l) {
  OpBuilder &b = e.builder();
  return OpTy::create(b, l, ops[0], b.getDenseI64ArrayAttr(a.lists.lookup("axes")),
                      a.ints.lookup("keepdims") ? b.getUnitAttr() : UnitAttr());
}

const BuiltinInfo kRows[] = {
    {"softmax", kAxis, checkAlongAxis<false>, emitAlongAxis<dnn::SoftmaxOp>},
    {"log_softmax", kAxis, checkAlongAxis<false>, emitAlongAxis<dnn::LogSoftmaxOp>},
    {"sum", kReduce, checkReduce<false>, emitReduce<dnn::SumOp>},
    {"mean", kReduce, checkReduce<true>, emitReduce<dnn::MeanOp>},
    {"max", kReduce, checkReduce<false>, emitReduce<dnn::MaxOp>},
    {"min", kReduce, checkReduce<false>, emitReduce<dnn::MinOp>},
    {"argmax", kAxis, checkAlongAxis<true>, emitAlongAxis<dnn::ArgmaxOp>},
};
} // namespace

llvm::ArrayRef<BuiltinInfo> dnnc::frontend::getReductionBuiltins() { return kRows; }
