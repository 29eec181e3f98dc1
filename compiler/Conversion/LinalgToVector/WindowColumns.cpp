//===- WindowColumns.cpp - im2col and col2im in one pass each ---------------===//
//
// A convolution with short output rows (LeNet-5's second layer: 10 columns,
// under one vector register) is an im2col matmul, and its input gradient a
// matmul followed by col2im. convert-dnn-to-linalg builds both per window
// offset (kh, kw): im2col as KH * KW copies of a strided window of the input
// into a plane of the columns, col2im as KH * KW elementwise passes adding a
// plane of the column gradients into a strided window of dx. Each pass is a
// parallel region of its own over the whole batch (LeNet-5's 5x5 window: 50
// regions of about 25 us, a fifth of its training step), re-reading the
// input or re-writing dx every time.
//
// Here each becomes one pass. im2col: one forall iteration per output row
// (c, n, oh) reads the KH input rows its windows cover and writes the
// KH * KW rows of columns they give. col2im: one forall iteration per plane
// (n, c) walks the output rows oh, adding every window offset's column row,
// moved to its columns by a shuffle, into the KH rows of dx the windows of
// row oh cover; those rows live in registers, and a row is stored (once)
// when the windows have moved past it.
//
// Both stay bound by the columns' memory traffic: each single pass takes as
// long as the passes it replaces (docs/performance.md); what they save is
// parallel regions (and the fill of dx), not time.
//
//===----------------------------------------------------------------------===//

#include "WindowColumns.h"

#include "InsertChains.h"

#include "dnnc/Conversion/ConvolutionKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using dnnc::WindowAccumulation;
using dnnc::WindowGather;

namespace {

bool hasValues(ArrayRef<OpFoldResult> values, ArrayRef<int64_t> expected) {
  std::optional<SmallVector<int64_t>> constants = getConstantIntValues(values);
  return constants && ArrayRef<int64_t>(*constants) == expected;
}

/// Static sizes `expected` (kDynamic: any) of `values`.
bool hasSizes(ArrayRef<OpFoldResult> values, ArrayRef<int64_t> expected) {
  for (auto [value, size] : llvm::zip_equal(values, expected))
    if (!ShapedType::isDynamic(size) && getConstantIntValue(value) != size)
      return false;
  return true;
}

Value indexConstant(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

} // namespace

//===----------------------------------------------------------------------===//
// im2col
//===----------------------------------------------------------------------===//

std::optional<WindowGather> dnnc::matchWindowGather(tensor::InsertSliceOp last,
                                                    int64_t maxLanes) {
  WindowGather gather;
  gather.empty = dnnc::collectInsertChain(last, gather.inserts).getDefiningOp<tensor::EmptyOp>();
  if (!gather.empty || gather.inserts.size() < 2)
    return std::nullopt;
  RankedTensorType type = gather.empty.getType();
  if (type.getRank() != 6 || !type.getElementType().isF32() ||
      llvm::any_of(std::initializer_list<int64_t>{0, 1, 2, 4, 5},
                   [&](int64_t d) { return type.isDynamicDim(d); }))
    return std::nullopt;
  int64_t C = type.getDimSize(0), KH = type.getDimSize(1), KW = type.getDimSize(2);
  int64_t OH = type.getDimSize(4), OW = type.getDimSize(5);
  if ((int64_t)gather.inserts.size() != KH * KW || OW > maxLanes)
    return std::nullopt;
  gather.KH = KH;
  gather.KW = KW;

  llvm::SmallDenseSet<int64_t> seen;
  SmallVector<Operation *> copies;
  for (auto [i, insert] : llvm::enumerate(gather.inserts)) {
    std::optional<SmallVector<int64_t>> at = getConstantIntValues(insert.getMixedOffsets());
    if (!at || !hasSizes(insert.getMixedSizes(), {C, 1, 1, ShapedType::kDynamic, OH, OW}) ||
        !hasValues(insert.getMixedStrides(), {1, 1, 1, 1, 1, 1}))
      return std::nullopt;
    int64_t kh = (*at)[1], kw = (*at)[2];
    if (ArrayRef<int64_t>(*at) != ArrayRef<int64_t>{0, kh, kw, 0, 0, 0} ||
        !seen.insert(kh * KW + kw).second)
      return std::nullopt;
    auto copy = insert.getSource().getDefiningOp<linalg::TransposeOp>();
    if (!copy || !insert.getSource().hasOneUse() || !copy.hasPureTensorSemantics() ||
        copy.getPermutation() != ArrayRef<int64_t>{1, 0, 2, 3})
      return std::nullopt;
    auto window = copy.getInput().getDefiningOp<tensor::ExtractSliceOp>();
    if (!window || window.getSourceType().getRank() != 4 || window.getType().getRank() != 4)
      return std::nullopt;
    std::optional<SmallVector<int64_t>> strides = getConstantIntValues(window.getMixedStrides());
    if (!strides || (*strides)[0] != 1 || (*strides)[1] != 1 ||
        !hasValues(window.getMixedOffsets(), {0, 0, kh, kw}) ||
        !hasSizes(window.getMixedSizes(), {ShapedType::kDynamic, C, OH, OW}))
      return std::nullopt;
    if (i == 0) {
      gather.input = window.getSource();
      gather.strideH = (*strides)[2];
      gather.strideW = (*strides)[3];
    }
    if (window.getSource() != gather.input || (*strides)[2] != gather.strideH ||
        (*strides)[3] != gather.strideW)
      return std::nullopt;
    gather.copies.push_back(copy);
    copies.push_back(copy);
  }
  auto inputType = cast<RankedTensorType>(gather.input.getType());
  if (inputType.isDynamicDim(2) || inputType.isDynamicDim(3) || inputType.getDimSize(1) != C ||
      !dnnc::chainFeedsOnlyItself(gather.inserts, copies))
    return std::nullopt;
  return gather;
}

void dnnc::gatherWindowRows(RewriterBase &rewriter, WindowGather gather) {
  tensor::InsertSliceOp last = gather.inserts.back();
  Location loc = last.getLoc();
  RankedTensorType type = gather.empty.getType();
  Type f32 = type.getElementType();
  int64_t C = type.getDimSize(0), KH = gather.KH, KW = gather.KW;
  int64_t OH = type.getDimSize(4), OW = type.getDimSize(5);
  int64_t sH = gather.strideH, sW = gather.strideW;

  rewriter.setInsertionPoint(last);
  SmallVector<OpFoldResult> upper = {rewriter.getIndexAttr(C),
                                     tensor::getMixedSize(rewriter, loc, gather.empty, 3),
                                     rewriter.getIndexAttr(OH)};
  auto forall = dnnc::forallSharing(rewriter, loc, upper, gather.empty.getResult());
  {
    OpBuilder::InsertionGuard guard(rewriter);
    Block *body = forall.getBody();
    rewriter.setInsertionPointToStart(body);
    Value c = body->getArgument(0), n = body->getArgument(1), oh = body->getArgument(2);
    Value shared = forall.getRegionIterArgs()[0];
    OpFoldResult zero = rewriter.getIndexAttr(0), one = rewriter.getIndexAttr(1);
    SmallVector<OpFoldResult> tileAt = {c, zero, zero, n, oh, zero};
    SmallVector<OpFoldResult> tileSize = {one,
                                          rewriter.getIndexAttr(KH),
                                          rewriter.getIndexAttr(KW),
                                          one,
                                          one,
                                          rewriter.getIndexAttr(OW)};
    SmallVector<OpFoldResult> unit(6, one);
    auto tileType = RankedTensorType::get({1, KH, KW, 1, 1, OW}, f32);
    Value tile = tensor::ExtractSliceOp::create(rewriter, loc, tileType, shared, tileAt, tileSize,
                                                unit);
    Value c0 = indexConstant(rewriter, loc, 0);
    Value padding = arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(f32));
    auto rowType = VectorType::get({1, 1, 1, OW}, f32);
    auto flatType = VectorType::get({OW}, f32);
    AffineMap lastDim = AffineMap::getMinorIdentityMap(6, 1, rewriter.getContext());
    Value h0 = arith::MulIOp::create(rewriter, loc, oh, indexConstant(rewriter, loc, sH));
    for (int64_t kh = 0; kh < KH; ++kh) {
      Value h = arith::AddIOp::create(rewriter, loc, h0, indexConstant(rewriter, loc, kh));
      for (int64_t kw = 0; kw < KW; ++kw) {
        // The window row's OW elements, sW apart (a strided read is made
        // contiguous by StridedRowReads).
        Value source = gather.input;
        SmallVector<Value> at = {n, c, h, indexConstant(rewriter, loc, kw)};
        if (sW != 1) {
          source = tensor::ExtractSliceOp::create(
              rewriter, loc, RankedTensorType::get({1, 1, 1, OW}, f32), gather.input,
              getAsOpFoldResult(at), SmallVector<OpFoldResult>{one, one, one, rewriter.getIndexAttr(OW)},
              SmallVector<OpFoldResult>{one, one, one, rewriter.getIndexAttr(sW)});
          at.assign(4, c0);
        }
        Value row = vector::TransferReadOp::create(rewriter, loc, rowType, source, at, padding,
                                                   SmallVector<bool>(4, true));
        row = vector::ShapeCastOp::create(rewriter, loc, flatType, row);
        tile = vector::TransferWriteOp::create(
                   rewriter, loc, row, tile,
                   ValueRange{c0, indexConstant(rewriter, loc, kh), indexConstant(rewriter, loc, kw),
                              c0, c0, c0},
                   AffineMapAttr::get(lastDim), /*mask=*/Value(), rewriter.getBoolArrayAttr({true}))
                   .getResult();
      }
    }
    rewriter.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(rewriter, loc, tile, shared, tileAt, tileSize, unit);
  }
  rewriter.replaceOp(last, forall.getResult(0));

  SmallVector<Operation *> parts, windows;
  for (linalg::TransposeOp copy : gather.copies) {
    parts.push_back(copy);
    windows.push_back(copy.getInput().getDefiningOp());
  }
  dnnc::eraseInsertChain(rewriter, gather.inserts, parts, windows);
}

//===----------------------------------------------------------------------===//
// col2im
//===----------------------------------------------------------------------===//

namespace {

/// Whether `part`'s body is out + in (either order).
bool addsInputToOutput(linalg::GenericOp part) {
  Block &block = part.getRegion().front();
  if (block.getNumArguments() != 2 || block.getOperations().size() != 2)
    return false;
  auto add = dyn_cast<arith::AddFOp>(block.front());
  auto yield = dyn_cast<linalg::YieldOp>(block.getTerminator());
  if (!add || !yield || yield->getOperand(0) != add.getResult())
    return false;
  Value in = block.getArgument(0), out = block.getArgument(1);
  return (add.getLhs() == in && add.getRhs() == out) || (add.getLhs() == out && add.getRhs() == in);
}

} // namespace

std::optional<WindowAccumulation>
dnnc::matchWindowAccumulation(tensor::InsertSliceOp last, int64_t maxLanes, int64_t vectorWidth) {
  WindowAccumulation acc;
  acc.fill = dnnc::collectInsertChain(last, acc.inserts).getDefiningOp<linalg::FillOp>();
  if (!acc.fill || acc.inserts.size() < 2 || !acc.fill.hasPureTensorSemantics() ||
      !matchPattern(acc.fill.value(), m_AnyZeroFloat()))
    return std::nullopt;
  auto type = cast<RankedTensorType>(acc.fill.result().getType());
  if (type.getRank() != 4 || !type.getElementType().isF32() || type.isDynamicDim(1) ||
      type.isDynamicDim(2) || type.isDynamicDim(3))
    return std::nullopt;
  int64_t C = type.getDimSize(1), PH = type.getDimSize(2), PW = type.getDimSize(3);
  MLIRContext *ctx = last.getContext();
  AffineExpr d0, d1, d2, d3;
  bindDims(ctx, d0, d1, d2, d3);
  AffineMap planeMap = AffineMap::get(4, 0, {d1, d0, d2, d3}, ctx);

  llvm::SmallDenseSet<int64_t> seen;
  SmallVector<Operation *> parts;
  int64_t OH = 0, OW = 0;
  for (auto [i, insert] : llvm::enumerate(acc.inserts)) {
    std::optional<SmallVector<int64_t>> at = getConstantIntValues(insert.getMixedOffsets());
    std::optional<SmallVector<int64_t>> strides = getConstantIntValues(insert.getMixedStrides());
    RankedTensorType windowType = insert.getSourceType();
    if (!at || !strides || (*at)[0] || (*at)[1] || (*strides)[0] != 1 || (*strides)[1] != 1 ||
        windowType.getRank() != 4 || windowType.isDynamicDim(2) || windowType.isDynamicDim(3) ||
        windowType.getDimSize(1) != C)
      return std::nullopt;
    int64_t kh = (*at)[2], kw = (*at)[3];
    if (i == 0) {
      acc.strideH = (*strides)[2];
      acc.strideW = (*strides)[3];
      OH = windowType.getDimSize(2);
      OW = windowType.getDimSize(3);
    }
    if ((*strides)[2] != acc.strideH || (*strides)[3] != acc.strideW ||
        windowType.getDimSize(2) != OH || windowType.getDimSize(3) != OW)
      return std::nullopt;

    // The part adds a plane of the columns to the window it replaces.
    auto part = insert.getSource().getDefiningOp<linalg::GenericOp>();
    if (!part || !insert.getSource().hasOneUse() || part.getNumDpsInputs() != 1 ||
        part.getNumDpsInits() != 1 || part.getNumParallelLoops() != 4 ||
        part.getNumLoops() != 4 || !part.hasPureTensorSemantics() || !addsInputToOutput(part) ||
        part.getIndexingMapsArray()[0] != planeMap || !part.getIndexingMapsArray()[1].isIdentity())
      return std::nullopt;
    auto window = part.getDpsInits()[0].getDefiningOp<tensor::ExtractSliceOp>();
    if (!window || window.getSource() != insert.getDest() ||
        !llvm::equal(window.getMixedOffsets(), insert.getMixedOffsets(), isEqualConstantIntOrValue) ||
        !llvm::equal(window.getMixedSizes(), insert.getMixedSizes(), isEqualConstantIntOrValue) ||
        !llvm::equal(window.getMixedStrides(), insert.getMixedStrides(), isEqualConstantIntOrValue))
      return std::nullopt;
    auto plane = part.getDpsInputs()[0].getDefiningOp<tensor::ExtractSliceOp>();
    if (!plane || plane.getSourceType().getRank() != 6 ||
        !hasValues(plane.getMixedOffsets(), {0, kh, kw, 0, 0, 0}) ||
        !hasSizes(plane.getMixedSizes(), {C, 1, 1, ShapedType::kDynamic, OH, OW}) ||
        !hasValues(plane.getMixedStrides(), {1, 1, 1, 1, 1, 1}))
      return std::nullopt;
    if (i == 0)
      acc.columns = plane.getSource();
    if (plane.getSource() != acc.columns)
      return std::nullopt;
    auto columnsType = plane.getSourceType();
    if (columnsType.isDynamicDim(1) || columnsType.isDynamicDim(2) || kh < 0 || kw < 0 ||
        kh >= columnsType.getDimSize(1) || kw >= columnsType.getDimSize(2) ||
        !seen.insert(kh * columnsType.getDimSize(2) + kw).second)
      return std::nullopt;
    acc.KH = columnsType.getDimSize(1);
    acc.KW = columnsType.getDimSize(2);
    acc.parts.push_back(part);
    parts.push_back(part);
  }
  // Every window offset once; rows of dx that the windows of consecutive
  // output rows reach (sH <= KH), within the registers.
  int64_t KH = acc.KH, KW = acc.KW, sH = acc.strideH, sW = acc.strideW;
  int64_t registersPerRow = (PW + vectorWidth - 1) / vectorWidth;
  if ((int64_t)acc.inserts.size() != KH * KW || sH < 1 || sW < 1 || sH > KH || PW > maxLanes ||
      KH * registersPerRow > 16 || (OH - 1) * sH + KH > PH || (OW - 1) * sW + KW > PW ||
      !dnnc::chainFeedsOnlyItself(acc.inserts, parts))
    return std::nullopt;
  return acc;
}

bool dnnc::matchColumnProduct(WindowAccumulation &acc, int64_t vectorWidth) {
  auto expand = acc.columns.getDefiningOp<tensor::ExpandShapeOp>();
  if (!expand)
    return false;
  auto matmul = expand.getSrc().getDefiningOp<linalg::MatmulOp>();
  if (!matmul || !matmul.hasPureTensorSemantics() || !matmul->getResult(0).hasOneUse())
    return false;
  // cols[m, p] = sum_f w[f, m] dy'[f, p]: the lhs read transposed.
  MLIRContext *ctx = matmul.getContext();
  AffineExpr m, p, f;
  bindDims(ctx, m, p, f);
  SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {f, m}, ctx),
                                 AffineMap::get(3, 0, {f, p}, ctx),
                                 AffineMap::get(3, 0, {m, p}, ctx)};
  if (matmul.getIndexingMapsArray() != ArrayRef<AffineMap>(maps))
    return false;
  auto fill = matmul.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
  if (!fill || !fill->hasOneUse() || !matchPattern(fill.value(), m_AnyZeroFloat()))
    return false;
  auto filterMatrix = matmul.getDpsInputs()[0].getDefiningOp<tensor::CollapseShapeOp>();
  auto gradMatrix = matmul.getDpsInputs()[1].getDefiningOp<tensor::CollapseShapeOp>();
  if (!filterMatrix || !gradMatrix || !gradMatrix->hasOneUse())
    return false;
  auto swapped = gradMatrix.getSrc().getDefiningOp<linalg::TransposeOp>();
  if (!swapped || !swapped->hasOneUse() || !swapped.hasPureTensorSemantics() ||
      swapped.getPermutation() != ArrayRef<int64_t>{1, 0, 2, 3})
    return false;
  auto filterType = cast<RankedTensorType>(filterMatrix.getSrc().getType());
  auto gradType = cast<RankedTensorType>(swapped.getInput().getType());
  auto columnsType = cast<RankedTensorType>(acc.columns.getType());
  auto type = cast<RankedTensorType>(acc.fill.result().getType());
  if (filterType.getRank() != 4 || !filterType.hasStaticShape() || gradType.getRank() != 4 ||
      gradType.isDynamicDim(1) || gradType.isDynamicDim(2) || gradType.isDynamicDim(3))
    return false;
  int64_t F = filterType.getDimSize(0), C = type.getDimSize(1), PW = type.getDimSize(3);
  int64_t OH = columnsType.getDimSize(4), OW = columnsType.getDimSize(5);
  if (filterType.getShape() != ArrayRef<int64_t>{F, C, acc.KH, acc.KW} ||
      gradType.getDimSize(1) != F || gradType.getDimSize(2) != OH || gradType.getDimSize(3) != OW)
    return false;
  // dy's F rows and the KH rows of dx in registers at once (24 of AVX-512's
  // 32, 12 of AVX2's 16), else the product stays a matmul.
  int64_t rowRegisters = llvm::divideCeil(OW, vectorWidth);
  if (F * rowRegisters + acc.KH * llvm::divideCeil(PW, vectorWidth) >
      dnnc::accumulatorRegisters(vectorWidth))
    return false;
  // The columns feed only the accumulation's planes.
  llvm::SmallPtrSet<Operation *, 32> planes;
  for (linalg::GenericOp part : acc.parts)
    planes.insert(part.getDpsInputs()[0].getDefiningOp());
  if (!llvm::all_of(expand->getUsers(), [&](Operation *user) { return planes.contains(user); }))
    return false;
  acc.filter = filterMatrix.getSrc();
  acc.grad = swapped.getInput();
  acc.product = {expand, matmul, fill, gradMatrix, swapped, filterMatrix};
  return true;
}

void dnnc::accumulateWindowRows(RewriterBase &rewriter, WindowAccumulation acc) {
  tensor::InsertSliceOp last = acc.inserts.back();
  Location loc = last.getLoc();
  auto type = cast<RankedTensorType>(acc.fill.result().getType());
  Type f32 = type.getElementType();
  int64_t C = type.getDimSize(1), PH = type.getDimSize(2), PW = type.getDimSize(3);
  int64_t KH = acc.KH, KW = acc.KW, sH = acc.strideH, sW = acc.strideW;
  RankedTensorType windowType = acc.inserts.front().getSourceType();
  int64_t OH = windowType.getDimSize(2), OW = windowType.getDimSize(3);

  rewriter.setInsertionPoint(last);
  // Every row of the result is written, so it starts from the fill's
  // destination, not the zeros.
  Value dest = acc.fill.getOutputs()[0];
  SmallVector<OpFoldResult> upper = {tensor::getMixedSize(rewriter, loc, dest, 0), rewriter.getIndexAttr(C)};
  auto forall = dnnc::forallSharing(rewriter, loc, upper, dest);
  {
    OpBuilder::InsertionGuard guard(rewriter);
    Block *body = forall.getBody();
    rewriter.setInsertionPointToStart(body);
    Value n = body->getArgument(0), c = body->getArgument(1);
    Value shared = forall.getRegionIterArgs()[0];
    OpFoldResult zero = rewriter.getIndexAttr(0), one = rewriter.getIndexAttr(1);
    SmallVector<OpFoldResult> planeAt = {n, c, zero, zero};
    SmallVector<OpFoldResult> planeSize = {one, one, rewriter.getIndexAttr(PH),
                                           rewriter.getIndexAttr(PW)};
    SmallVector<OpFoldResult> unit(4, one);
    auto tileType = RankedTensorType::get({1, 1, PH, PW}, f32);
    Value tile = tensor::ExtractSliceOp::create(rewriter, loc, tileType, shared, planeAt,
                                                planeSize, unit);
    auto rowType = VectorType::get({PW}, f32), columnType = VectorType::get({OW}, f32);
    Value zeroRow = arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(rowType));
    Value zeroColumns = arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(columnType));
    Value padding = arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(f32));
    Value c0 = indexConstant(rewriter, loc, 0);
    AffineMap columnsRow = AffineMap::getMinorIdentityMap(6, 1, rewriter.getContext());
    AffineMap tileRow = AffineMap::getMinorIdentityMap(4, 1, rewriter.getContext());
    int64_t F = acc.grad ? cast<RankedTensorType>(acc.grad.getType()).getDimSize(1) : 0;
    auto writeRow = [&](OpBuilder &b, Value row, Value into, Value h) {
      return vector::TransferWriteOp::create(b, loc, row, into, ValueRange{c0, c0, h, c0},
                                             AffineMapAttr::get(tileRow), /*mask=*/Value(),
                                             b.getBoolArrayAttr({true}))
          .getResult();
    };
    // Lane j of a column row goes to column kw + j * sW of dx's row.
    SmallVector<SmallVector<int64_t>> spread(KW);
    for (int64_t kw = 0; kw < KW; ++kw)
      for (int64_t x = 0; x < PW; ++x) {
        int64_t j = (x - kw) / sW;
        bool hit = x >= kw && (x - kw) % sW == 0 && j < OW;
        spread[kw].push_back(hit ? j : OW);
      }

    // Row oh's windows cover dx rows oh sH ... oh sH + KH - 1, carried in
    // registers (rows[k] = row oh sH + k); the first sH are then complete.
    SmallVector<Value> initial = {tile};
    initial.append(KH, zeroRow);
    auto loop = scf::ForOp::create(
        rewriter, loc, c0, indexConstant(rewriter, loc, OH), indexConstant(rewriter, loc, 1),
        initial, [&](OpBuilder &b, Location l, Value oh, ValueRange carried) {
          SmallVector<Value> rows(carried.drop_front());
          // With a column product, dy's rows oh of every output channel,
          // read once for the KH * KW column rows computed from them.
          SmallVector<Value> gradRows;
          for (int64_t f = 0; f < F; ++f)
            gradRows.push_back(vector::TransferReadOp::create(
                b, l, columnType, acc.grad, ValueRange{n, indexConstant(b, l, f), oh, c0},
                AffineMapAttr::get(tileRow), padding, /*mask=*/Value(),
                b.getBoolArrayAttr({true})));
          auto readColumnRow = [&](int64_t kh, int64_t kw) -> Value {
            return vector::TransferReadOp::create(
                b, l, columnType, acc.columns,
                ValueRange{c, indexConstant(b, l, kh), indexConstant(b, l, kw), n, oh, c0},
                AffineMapAttr::get(columnsRow), padding, /*mask=*/Value(),
                b.getBoolArrayAttr({true}));
          };
          // cols[c, kh, kw, n, oh, :] = sum_f w[f, c, kh, kw] dy[n, f, oh, :],
          // for the KW offsets of a window row at once, each sum split in
          // two (even and odd f): 2 KW independent chains of FMAs, enough
          // to cover the FMA latency on both pipes.
          auto computeColumnRows = [&](int64_t kh) {
            SmallVector<Value> sums(2 * KW);
            for (int64_t f = 0; f < F; ++f)
              for (int64_t kw = 0; kw < KW; ++kw) {
                Value weight = tensor::ExtractOp::create(
                    b, l, acc.filter,
                    ValueRange{indexConstant(b, l, f), c, indexConstant(b, l, kh),
                               indexConstant(b, l, kw)});
                Value splat = vector::BroadcastOp::create(b, l, columnType, weight);
                Value &sum = sums[2 * kw + f % 2];
                sum = sum ? vector::FMAOp::create(b, l, splat, gradRows[f], sum).getResult()
                          : arith::MulFOp::create(b, l, splat, gradRows[f]).getResult();
              }
            SmallVector<Value> columns;
            for (int64_t kw = 0; kw < KW; ++kw)
              columns.push_back(sums[2 * kw + 1]
                                    ? arith::AddFOp::create(b, l, sums[2 * kw], sums[2 * kw + 1])
                                          .getResult()
                                    : sums[2 * kw]);
            return columns;
          };
          for (int64_t kh = 0; kh < KH; ++kh) {
            SmallVector<Value> computed;
            if (acc.grad)
              computed = computeColumnRows(kh);
            for (int64_t kw = 0; kw < KW; ++kw) {
              Value column = acc.grad ? computed[kw] : readColumnRow(kh, kw);
              Value moved = vector::ShuffleOp::create(b, l, column, zeroColumns, spread[kw]);
              rows[kh] = arith::AddFOp::create(b, l, rows[kh], moved);
            }
          }
          Value into = carried.front();
          Value h0 = arith::MulIOp::create(b, l, oh, indexConstant(b, l, sH));
          for (int64_t k = 0; k < sH; ++k)
            into = writeRow(b, rows[k], into,
                            k ? arith::AddIOp::create(b, l, h0, indexConstant(b, l, k)) : h0);
          SmallVector<Value> next = {into};
          next.append(rows.begin() + sH, rows.end());
          next.append(sH, zeroRow);
          scf::YieldOp::create(b, l, next);
        });
    // The rows the last windows reach past OH sH, then rows no window
    // reaches (zeros).
    tile = loop.getResult(0);
    for (int64_t k = 0; k < KH - sH; ++k)
      tile = writeRow(rewriter, loop.getResult(1 + k), tile, indexConstant(rewriter, loc, OH * sH + k));
    for (int64_t h = (OH - 1) * sH + KH; h < PH; ++h)
      tile = writeRow(rewriter, zeroRow, tile, indexConstant(rewriter, loc, h));
    rewriter.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(rewriter, loc, tile, shared, planeAt, planeSize, unit);
  }
  rewriter.replaceOp(last, forall.getResult(0));

  SmallVector<Operation *> parts, planes;
  for (linalg::GenericOp part : acc.parts) {
    parts.push_back(part);
    planes.push_back(part.getDpsInputs()[0].getDefiningOp());
  }
  // The first part's window is a slice of the fill, which goes last.
  planes.push_back(acc.parts.front().getDpsInits()[0].getDefiningOp());
  planes.push_back(acc.fill);
  dnnc::eraseInsertChain(rewriter, acc.inserts, parts, planes);
  for (Operation *op : acc.product)
    if (op->use_empty())
      rewriter.eraseOp(op);
}
