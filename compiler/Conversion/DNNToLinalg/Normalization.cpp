//===- Normalization.cpp - Lower the ops of normalization and regularization layers ---===//
//
// batch_norm and layer_norm are composites of reductions, dnn.count and
// elementwise ops (the frontend builds them), so of these layers only
// dropout has an op of its own: one elementwise generic that hashes each
// element's row-major index (dnnc/Support/DropoutMask.h). dnn.mode_switch,
// dnn.rng_key and the buffers never get here: dnn-outline-entries resolves
// them per entry.
//
//===----------------------------------------------------------------------===//

#include "LoweringHelpers.h"

#include "dnnc/Conversion/DNNToLinalg/DNNToLinalg.h"
#include "dnnc/Dialect/DNN/IR/DNNOps.h"
#include "dnnc/Support/DropoutMask.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
using namespace dnnc::dnn;
using namespace dnnc::lowering;
namespace mask = dnnc::dropout_mask;

namespace {

Value i32Const(OpBuilder &b, Location loc, uint32_t v) {
  return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(int32_t(v)));
}

Value i64Const(OpBuilder &b, Location loc, uint64_t v) {
  return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(int64_t(v)));
}

/// x ^ (x >> shift) on integers.
Value xorShift(OpBuilder &b, Location loc, Value x, Value shift) {
  return arith::XOrIOp::create(b, loc, x, arith::ShRUIOp::create(b, loc, x, shift));
}

Value mix64(OpBuilder &b, Location loc, Value z) {
  z = arith::MulIOp::create(b, loc, xorShift(b, loc, z, i64Const(b, loc, 30)),
                            i64Const(b, loc, mask::kMix64A));
  z = arith::MulIOp::create(b, loc, xorShift(b, loc, z, i64Const(b, loc, 27)),
                            i64Const(b, loc, mask::kMix64B));
  return xorShift(b, loc, z, i64Const(b, loc, 31));
}

Value lowbias32(OpBuilder &b, Location loc, Value x) {
  x = arith::MulIOp::create(b, loc, xorShift(b, loc, x, i32Const(b, loc, 16)),
                            i32Const(b, loc, mask::kLowbiasA));
  x = arith::MulIOp::create(b, loc, xorShift(b, loc, x, i32Const(b, loc, 15)),
                            i32Const(b, loc, mask::kLowbiasB));
  return xorShift(b, loc, x, i32Const(b, loc, 16));
}

struct DropoutOpLowering : OpConversionPattern<DropoutOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(DropoutOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t rank = type.getRank();
    double p = op.getP().convertToDouble();

    // The site's key, once per call: (hi, lo) halves of mix64(key + ...).
    Value key = tensor::ExtractOp::create(rewriter, loc, adaptor.getKey(), ValueRange{});
    Value siteKey = mix64(
        rewriter, loc,
        arith::AddIOp::create(rewriter, loc, key,
                              i64Const(rewriter, loc,
                                       uint64_t(op.getSite() + 1) * mask::kGolden64)));
    Type i32 = rewriter.getI32Type();
    Value low = arith::TruncIOp::create(rewriter, loc, i32, siteKey);
    Value high = arith::TruncIOp::create(
        rewriter, loc, i32, arith::ShRUIOp::create(rewriter, loc, siteKey, i64Const(rewriter, loc, 32)));
    // Row-major strides of the input, as i64.
    Type i64 = rewriter.getI64Type();
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, input);
    SmallVector<Value> strides(rank);
    Value stride = i64Const(rewriter, loc, 1);
    for (int64_t d = rank - 1; d >= 0; --d) {
      strides[d] = stride;
      Value size = arith::IndexCastOp::create(
          rewriter, loc, i64, getValueOrCreateConstantIndexOp(rewriter, loc, sizes[d]));
      stride = arith::MulIOp::create(rewriter, loc, stride, size);
    }
    Type element = type.getElementType();
    Value scale = floatConst(rewriter, loc, element, 1.0 / (1.0 - p));
    Value zero = floatConst(rewriter, loc, element, 0.0);
    Value threshold = i32Const(rewriter, loc, mask::threshold(p));

    Value init = emptyTensor(rewriter, loc, type, sizes);
    SmallVector<AffineMap> maps(2, rewriter.getMultiDimIdentityMap(rank));
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{input}, ValueRange{init}, maps,
        parallelIterators(rank), [&](OpBuilder &b, Location l, ValueRange args) {
          Value index = i64Const(b, l, 0);
          for (int64_t d = 0; d < rank; ++d) {
            Value i = arith::IndexCastOp::create(b, l, i64, linalg::IndexOp::create(b, l, d));
            index = arith::AddIOp::create(b, l, index, arith::MulIOp::create(b, l, i, strides[d]));
          }
          // mask::elementHash: the index's low word in the first round, its
          // high word in the second.
          Value golden = i32Const(b, l, mask::kGolden32);
          Value indexLow = arith::TruncIOp::create(b, l, i32, index);
          Value indexHigh = arith::TruncIOp::create(
              b, l, i32, arith::ShRUIOp::create(b, l, index, i64Const(b, l, 32)));
          Value h = lowbias32(
              b, l, arith::AddIOp::create(b, l, arith::MulIOp::create(b, l, indexLow, golden), low));
          h = lowbias32(b, l,
                        arith::XOrIOp::create(b, l, arith::XOrIOp::create(b, l, h, high),
                                              arith::MulIOp::create(b, l, indexHigh, golden)));
          Value kept = arith::CmpIOp::create(b, l, arith::CmpIPredicate::uge, h, threshold);
          // x * 0 for a dropped element, as torch (NaN stays NaN).
          Value factor = arith::SelectOp::create(b, l, kept, scale, zero);
          linalg::YieldOp::create(b, l, ValueRange{arith::MulFOp::create(b, l, args[0], factor)});
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void dnnc::lowering::populateNormalizationLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<DropoutOpLowering>(patterns.getContext());
}
