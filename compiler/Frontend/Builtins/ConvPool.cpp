//===- ConvPool.cpp - Builtins of convolution and pooling ----------------===//
//
// conv2d over NCHW with an FCHW filter and an optional [F] bias; maxpool2d
// and avgpool2d (stride defaults to the window, as torch). Stride and
// padding are an integer or [height, width].
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
constexpr BuiltinParam kConv2d[] = {{"x", K::Tensor, true},
                                    {"w", K::Tensor, true},
                                    {"b", K::OptionalTensor, false},
                                    {"stride", K::Pair, false},
                                    {"padding", K::Pair, false}};
constexpr BuiltinParam kPool[] = {{"x", K::Tensor, true},
                                  {"size", K::Pair, true},
                                  {"stride", K::Pair, false},
                                  {"padding", K::Pair, false}};

TensorType checkConv2d(BuiltinCheck &c) {
  const TensorType &x = c.x();
  llvm::SmallVector<int64_t> stride = c.args.listOr("stride", {1, 1});
  llvm::SmallVector<int64_t> padding = c.args.listOr("padding", {0, 0});
  c.attrs().lists["stride"] = stride;
  c.attrs().lists["padding"] = padding;
  for (const TensorType &t : c.tensors)
    if (!c.needFloat(t, "input, filter and bias") || t.dtype != x.dtype)
      return t.dtype != x.dtype ? c.fail("operands have different element types")
                                : TensorType::getPoison();
  Shape bias;
  if (c.tensors.size() == 3)
    bias = c.tensors[2].shape;
  std::string why;
  auto shape = shape_rules::conv2d(x.shape, c.tensors[1].shape,
                                   c.tensors.size() == 3 ? &bias : nullptr, stride, padding,
                                   why);
  if (failed(shape)) {
    c.error(c.call.getRange(),
            "conv2d of " + x.str() + " with filter " + c.tensors[1].str() + ": " + why);
    c.noteOrigin(*c.operand(0), "the input");
    c.noteOrigin(*c.operand(1), "the filter");
    return TensorType::getPoison();
  }
  return c.withShape(*shape, why);
}

TensorType checkPool(BuiltinCheck &c) {
  const TensorType &x = c.x();
  if (!c.needFloat(x, "tensor"))
    return TensorType::getPoison();
  llvm::SmallVector<int64_t> size = c.args.listOr("size", {});
  llvm::SmallVector<int64_t> stride = c.args.listOr("stride", size);
  llvm::SmallVector<int64_t> padding = c.args.listOr("padding", {0, 0});
  c.attrs().lists["size"] = size;
  c.attrs().lists["stride"] = stride;
  c.attrs().lists["padding"] = padding;
  std::string why;
  return c.withShape(shape_rules::pool2d(x.shape, size, stride, padding, why), why);
}

Value emitConv2d(BuiltinEmitter &e, ArrayRef<Value> ops, const BuiltinAttrs &a, Location l) {
  OpBuilder &b = e.builder();
  return dnn::Conv2dOp::create(b, l, ops[0], ops[1], ops[2],
                               b.getDenseI64ArrayAttr(a.lists.lookup("stride")),
                               b.getDenseI64ArrayAttr(a.lists.lookup("padding")));
}

template <typename OpTy>
Value emitPool(BuiltinEmitter &e, ArrayRef<Value> ops, const BuiltinAttrs &a, Location l) {
  OpBuilder &b = e.builder();
  return OpTy::create(b, l, ops[0], b.getDenseI64ArrayAttr(a.lists.lookup("size")),
                      b.getDenseI64ArrayAttr(a.lists.lookup("stride")),
                      b.getDenseI64ArrayAttr(a.lists.lookup("padding")));
}

const BuiltinInfo kRows[] = {
    {"conv2d", kConv2d, checkConv2d, emitConv2d},
    {"maxpool2d", kPool, checkPool, emitPool<dnn::MaxPool2dOp>},
    {"avgpool2d", kPool, checkPool, emitPool<dnn::AvgPool2dOp>},
};
} // namespace

llvm::ArrayRef<BuiltinInfo> dnnc::frontend::getConvPoolBuiltins() { return kRows; }
