//===- ShapeOps.cpp - Builtins that reshape, reorder or join tensors -----===//
//
// reshape (one symbolic or -1 dim), flatten, transpose (default: the axes
// reversed, as NumPy), concat, and one_hot (class indices to rows).
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
constexpr BuiltinParam kReshape[] = {{"x", K::Tensor, true}, {"shape", K::Shape, true}};
constexpr BuiltinParam kTranspose[] = {{"x", K::Tensor, true},
                                       {"perm", K::Permutation, false}};
constexpr BuiltinParam kConcat[] = {{"tensors", K::TensorList, true},
                                    {"axis", K::Int, false}};
constexpr BuiltinParam kOneHot[] = {{"labels", K::Tensor, true}, {"classes", K::Int, true}};

TensorType checkReshape(BuiltinCheck &c) {
  const TensorType &x = c.x();
  llvm::ArrayRef<Dim> target = c.args.dims;
  int nonStatic = llvm::count_if(target, [](const Dim &d) { return !d.isConstant(); });
  if (nonStatic > 1)
    return c.fail("the target shape may have at most one symbolic or -1 dimension");
  std::string why;
  FailureOr<Shape> shape = shape_rules::reshape(x.shape, target, why);
  if (failed(shape))
    return c.fail(why);
  // -1 takes its size from the element count when the input is static.
  int64_t known = 1, count = 1;
  bool inputStatic = llvm::all_of(x.shape, [](const Dim &d) { return d.isConstant(); });
  for (const Dim &d : x.shape)
    count *= d.isConstant() ? d.getSize() : 1;
  for (const Dim &d : target)
    known *= d.isConstant() ? d.getSize() : 1;
  for (Dim &d : *shape) {
    if (!d.isUnknown())
      continue;
    if (!inputStatic)
      return c.fail("-1 needs an input of static shape; name the dimension with a symbol such "
                    "as N instead");
    if (count % known != 0)
      return c.fail("cannot reshape " + std::to_string(count) + " elements into a multiple of " +
                    std::to_string(known));
    d = Dim::constant(count / known);
  }
  llvm::SmallVector<int64_t> &dims = c.attrs().lists["shape"];
  for (const Dim &d : target)
    dims.push_back(d.isConstant() ? d.getSize() : -1);
  return c.withShape(*shape, why);
}

TensorType checkFlatten(BuiltinCheck &c) {
  std::string why;
  return c.withShape(shape_rules::flatten(c.x().shape, why), why);
}

TensorType checkTranspose(BuiltinCheck &c) {
  const TensorType &x = c.x();
  llvm::SmallVector<int64_t> perm;
  for (int64_t i = x.shape.size() - 1; i >= 0; --i) // like NumPy: reverse the axes
    perm.push_back(i);
  perm = c.args.listOr("perm", perm);
  c.attrs().lists["perm"] = perm;
  std::string why;
  return c.withShape(shape_rules::transpose(x.shape, perm, why), why);
}

TensorType checkConcat(BuiltinCheck &c) {
  const TensorType &x = c.x();
  llvm::SmallVector<Shape> shapes;
  for (const TensorType &t : c.tensors) {
    if (t.dtype != x.dtype)
      return c.fail("element types " + getDTypeName(x.dtype).str() + " and " +
                    getDTypeName(t.dtype).str() + " differ");
    shapes.push_back(t.shape);
  }
  std::string why;
  auto axis = shape_rules::normalizeAxis(c.args.intOr("axis", 0), x.shape.size(), why);
  if (failed(axis))
    return c.fail(why);
  c.attrs().ints["axis"] = *axis;
  return c.withShape(shape_rules::concat(shapes, *axis, why), why);
}

TensorType checkOneHot(BuiltinCheck &c) {
  const TensorType &x = c.x();
  if (x.dtype != DType::I32)
    return c.fail("labels must be i32 class indices");
  int64_t classes = c.args.intOr("classes", 0);
  c.attrs().ints["classes"] = classes;
  std::string why;
  return c.withShape(shape_rules::oneHot(x.shape, classes, why), why, DType::F32);
}

Value emitReshape(BuiltinEmitter &e, ArrayRef<Value> ops, const BuiltinAttrs &a, Location l) {
  return dnn::ReshapeOp::create(e.builder(), l, ops[0],
                                e.builder().getDenseI64ArrayAttr(a.lists.lookup("shape")));
}

Value emitFlatten(BuiltinEmitter &e, ArrayRef<Value> ops, const BuiltinAttrs &, Location l) {
  return dnn::FlattenOp::create(e.builder(), l, ops[0]);
}

Value emitTranspose(BuiltinEmitter &e, ArrayRef<Value> ops, const BuiltinAttrs &a, Location l) {
  return dnn::TransposeOp::create(e.builder(), l, ops[0],
                                  e.builder().getDenseI64ArrayAttr(a.lists.lookup("perm")));
}

Value emitConcat(BuiltinEmitter &e, ArrayRef<Value> ops, const BuiltinAttrs &a, Location l) {
  return dnn::ConcatOp::create(e.builder(), l, ops,
                               e.builder().getI64IntegerAttr(a.ints.lookup("axis")));
}

Value emitOneHot(BuiltinEmitter &e, ArrayRef<Value> ops, const BuiltinAttrs &a, Location l) {
  return dnn::OneHotOp::create(e.builder(), l, ops[0],
                               e.builder().getI64IntegerAttr(a.ints.lookup("classes")),
                               TypeAttr());
}

const BuiltinInfo kRows[] = {
    {"reshape", kReshape, checkReshape, emitReshape},
    {"flatten", kSingleTensorParams, checkFlatten, emitFlatten},
    {"transpose", kTranspose, checkTranspose, emitTranspose},
    {"concat", kConcat, checkConcat, emitConcat},
    {"one_hot", kOneHot, checkOneHot, emitOneHot},
};
} // namespace

llvm::ArrayRef<BuiltinInfo> dnnc::frontend::getShapeBuiltins() { return kRows; }
