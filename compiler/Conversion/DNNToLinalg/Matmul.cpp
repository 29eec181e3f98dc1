//===- Matmul.cpp - Lower dnn.matmul ----------------------------------------===//
//
// dnn.matmul as linalg.matmul (2-D) or a batched generic; after the
// conversion, foldTransposesIntoMatmuls lets a matmul read a transposed
// operand in place (the weight gradients x^T @ dy of every dense layer).
//
//===----------------------------------------------------------------------===//

#include "LoweringHelpers.h"

#include "dnnc/Conversion/DNNToLinalg/DNNToLinalg.h"
#include "dnnc/Dialect/DNN/IR/DNNOps.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
using namespace dnnc::dnn;
using namespace dnnc::lowering;

namespace {

struct MatmulOpLowering : OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto type = cast<RankedTensorType>(op.getType());
    auto lhsType = tensorTypeOf(lhs), rhsType = tensorTypeOf(rhs);
    int64_t rank = type.getRank();
    Value zero = floatConst(rewriter, loc, type.getElementType(), 0.0);

    // Result sizes: batch dims broadcast, then lhs rows and rhs columns.
    SmallVector<OpFoldResult> sizes;
    {
      auto batchType = RankedTensorType::get(type.getShape().drop_back(2), type.getElementType());
      SmallVector<OpFoldResult> batch;
      for (int64_t i = 0; i < rank - 2; ++i) {
        if (!batchType.isDynamicDim(i)) {
          batch.push_back(rewriter.getIndexAttr(batchType.getDimSize(i)));
          continue;
        }
        OpFoldResult size = rewriter.getIndexAttr(1);
        for (Value operand : {lhs, rhs}) {
          auto shape = tensorTypeOf(operand).getShape().drop_back(2);
          int64_t j = i - (rank - 2 - (int64_t)shape.size());
          if (j >= 0 && shape[j] != 1) {
            size = dimOf(rewriter, loc, operand, j);
            break;
          }
        }
        batch.push_back(size);
      }
      sizes = batch;
      sizes.push_back(dimOf(rewriter, loc, lhs, lhsType.getRank() - 2));
      sizes.push_back(dimOf(rewriter, loc, rhs, rhsType.getRank() - 1));
    }
    Value init = filledTensor(rewriter, loc, type, sizes, zero);

    if (lhsType.getRank() == 2 && rhsType.getRank() == 2) {
      rewriter.replaceOp(op, linalg::MatmulOp::create(rewriter, loc, TypeRange{type},
                                                      ValueRange{lhs, rhs}, ValueRange{init})
                                 .getResult(0));
      return success();
    }
    if (lhsType.getRank() == 3 && rhsType.getRank() == 3 &&
        lhsType.getDimSize(0) == rhsType.getDimSize(0) && lhsType.getDimSize(0) != 1) {
      rewriter.replaceOp(op, linalg::BatchMatmulOp::create(rewriter, loc, TypeRange{type},
                                                           ValueRange{lhs, rhs},
                                                           ValueRange{init})
                                 .getResult(0));
      return success();
    }

    // Broadcasting batch dims: a generic over (batch..., m, n, k).
    MLIRContext *ctx = rewriter.getContext();
    int64_t loops = rank + 1;
    auto operandMap = [&](RankedTensorType operandType, bool isLhs) {
      auto shape = operandType.getShape();
      int64_t batchRank = shape.size() - 2, offset = rank - 2 - batchRank;
      SmallVector<AffineExpr> exprs;
      for (int64_t j = 0; j < batchRank; ++j) {
        bool broadcast = shape[j] == 1 && type.getDimSize(offset + j) != 1;
        exprs.push_back(broadcast ? getAffineConstantExpr(0, ctx)
                                  : getAffineDimExpr(offset + j, ctx));
      }
      AffineExpr m = getAffineDimExpr(rank - 2, ctx), n = getAffineDimExpr(rank - 1, ctx),
                 k = getAffineDimExpr(rank, ctx);
      exprs.push_back(isLhs ? m : k);
      exprs.push_back(isLhs ? k : n);
      return AffineMap::get(loops, 0, exprs, ctx);
    };
    // The result reads every loop dim but the trailing reduction dim k.
    AffineMap resultMap = AffineMap::getMultiDimIdentityMap(loops, ctx).getMajorSubMap(rank);
    SmallVector<AffineMap> maps = {operandMap(lhsType, true), operandMap(rhsType, false),
                                   resultMap};
    SmallVector<utils::IteratorType> iterators = parallelIterators(loops);
    iterators.back() = utils::IteratorType::reduction;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{lhs, rhs}, ValueRange{init}, maps, iterators,
        [](OpBuilder &b, Location l, ValueRange args) {
          Value product = arith::MulFOp::create(b, l, args[0], args[1]);
          linalg::YieldOp::create(b, l, ValueRange{arith::AddFOp::create(b, l, args[2], product)});
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void dnnc::lowering::populateMatmulLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<MatmulOpLowering>(patterns.getContext());
}

/// matmul(transpose(a), b) -> matmul with lhs map (m, n, k) -> (k, m) on
/// a: the weight gradients x^T @ dy of every dense layer then read x as
/// it is stored instead of materializing its transpose, and the register
/// tiles load a's columns, contiguous in that layout, as vectors.
void dnnc::lowering::foldTransposesIntoMatmuls(Operation *root) {
  MLIRContext *ctx = root->getContext();
  SmallVector<linalg::MatmulOp> matmuls;
  root->walk([&](linalg::MatmulOp m) { matmuls.push_back(m); });
  for (linalg::MatmulOp matmul : matmuls) {
    auto transpose = matmul.getInputs()[0].getDefiningOp<linalg::TransposeOp>();
    if (!transpose || transpose.getPermutation() != ArrayRef<int64_t>{1, 0} ||
        !matmul.hasPureTensorSemantics() ||
        matmul.getIndexingMapsArray() != linalg::MatmulOp::getDefaultIndexingMaps(ctx))
      continue;
    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    auto maps = ArrayAttr::get(ctx, {AffineMapAttr::get(AffineMap::get(3, 0, {k, m}, ctx)),
                                     AffineMapAttr::get(AffineMap::get(3, 0, {k, n}, ctx)),
                                     AffineMapAttr::get(AffineMap::get(3, 0, {m, n}, ctx))});
    OpBuilder b(matmul);
    auto transposed = linalg::MatmulOp::create(
        b, matmul.getLoc(), matmul.getResultTypes(),
        ValueRange{transpose.getInput(), matmul.getInputs()[1]}, matmul.getOutputs(),
        {b.getNamedAttr("indexing_maps", maps)});
    matmul.replaceAllUsesWith(transposed.getResults());
    matmul.erase();
    if (transpose->use_empty())
      transpose.erase();
  }
}
