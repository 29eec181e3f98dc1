//===- ElementwiseBodies.cpp - linalg.generic bodies on vectors -------------===//

#include "ElementwiseBodies.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

bool dnnc::hasScalarElementwiseBody(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  for (BlockArgument out : body.getArguments().drop_front(op.getNumDpsInputs()))
    if (!out.use_empty())
      return false;
  for (Operation &inner : body.without_terminator()) {
    if (isa<arith::ConstantOp>(inner) && isa<FloatType, IntegerType>(inner.getResult(0).getType()))
      continue;
    if (!inner.hasTrait<OpTrait::Elementwise>() ||
        !isa<arith::ArithDialect, math::MathDialect>(inner.getDialect()) ||
        inner.getNumRegions() ||
        llvm::any_of(inner.getOperandTypes(), [](Type t) { return isa<ShapedType>(t); }) ||
        llvm::any_of(inner.getResultTypes(), [](Type t) { return isa<ShapedType>(t); }))
      return false;
  }
  return true;
}

SmallVector<Value> dnnc::cloneBodyOnVectors(RewriterBase &rewriter, Location loc,
                                            linalg::GenericOp op, IRMapping &mapping,
                                            int64_t lanes) {
  auto vectorOf = [&](Type scalar) { return VectorType::get({lanes}, scalar); };
  auto broadcast = [&](Value scalar) -> Value {
    return vector::BroadcastOp::create(rewriter, loc, vectorOf(scalar.getType()), scalar);
  };
  Block &body = op.getRegion().front();
  for (Operation &inner : body.without_terminator()) {
    if (auto constant = dyn_cast<arith::ConstantOp>(inner)) {
      auto type = vectorOf(constant.getType());
      mapping.map(constant.getResult(),
                  arith::ConstantOp::create(
                      rewriter, loc, type,
                      DenseElementsAttr::get(type, cast<TypedAttr>(constant.getValue()))));
      continue;
    }
    // Scalars from outside the body (constants hoisted out of it).
    for (Value operand : inner.getOperands())
      if (!mapping.contains(operand))
        mapping.map(operand, broadcast(operand));
    Operation *clone = rewriter.clone(inner, mapping);
    for (Value result : clone->getResults())
      result.setType(vectorOf(result.getType()));
  }
  SmallVector<Value> results;
  for (Value value : cast<linalg::YieldOp>(body.getTerminator()).getValues()) {
    Value mapped = mapping.lookupOrDefault(value);
    results.push_back(isa<VectorType>(mapped.getType()) ? mapped : broadcast(mapped));
  }
  return results;
}
