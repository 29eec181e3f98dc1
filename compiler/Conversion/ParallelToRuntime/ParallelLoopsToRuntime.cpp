//===- ParallelLoopsToRuntime.cpp - scf.parallel on the runtime's pool ----===//
//
// The generated library must not depend on OpenMP or MLIR's async runtime,
// so parallel loops go to the dnnc runtime's own thread pool:
//
//   dnnrt_parallel_for(void (*body)(void *ctx, int64_t begin, int64_t end),
//                      void *ctx, int64_t count)
//
// The first dimension of each outermost scf.parallel is split into chunks;
// the body is outlined into a private function that reloads the values it
// captures from `ctx`, a stack struct holding them in their LLVM form
// (memrefs as descriptors). unrealized_conversion_cast bridges the two
// forms until the LLVM conversions reconcile them.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Conversion/Passes.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"

namespace dnnc {
#define GEN_PASS_DEF_PARALLELLOOPSTORUNTIMEPASS
#include "dnnc/Conversion/Passes.h.inc"
} // namespace dnnc

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kParallelFor = "dnnrt_parallel_for";

bool isOutermost(scf::ParallelOp op) { return !op->getParentOfType<scf::ParallelOp>(); }

struct ParallelLoopsToRuntimePass
    : dnnc::impl::ParallelLoopsToRuntimePassBase<ParallelLoopsToRuntimePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<scf::ParallelOp> loops;
    module.walk([&](scf::ParallelOp op) {
      if (isOutermost(op) && op.getNumResults() == 0 && op->getParentOfType<func::FuncOp>())
        loops.push_back(op);
    });
    if (loops.empty())
      return;
    LLVMTypeConverter converter(&getContext());
    unsigned counter = 0;
    for (scf::ParallelOp loop : loops) {
      std::optional<int64_t> trip = staticTripCount(loop);
      if (trip && *trip < minIterations)
        continue;
      if (failed(outline(loop, converter, counter)))
        return signalPassFailure();
    }
  }

  static std::optional<int64_t> staticTripCount(scf::ParallelOp loop) {
    auto lb = getConstantIntValue(loop.getLowerBound()[0]);
    auto ub = getConstantIntValue(loop.getUpperBound()[0]);
    auto step = getConstantIntValue(loop.getStep()[0]);
    if (!lb || !ub || !step || *step <= 0)
      return std::nullopt;
    return llvm::divideCeil(std::max<int64_t>(*ub - *lb, 0), *step);
  }

  LLVM::LLVMFuncOp getOrDeclareParallelFor(ModuleOp module) {
    if (auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(kParallelFor))
      return fn;
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    MLIRContext *ctx = module.getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto type = LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                            {ptr, ptr, IntegerType::get(ctx, 64)});
    return LLVM::LLVMFuncOp::create(b, module.getLoc(), kParallelFor, type);
  }

  LogicalResult outline(scf::ParallelOp loop, LLVMTypeConverter &converter, unsigned &counter) {
    MLIRContext *ctx = &getContext();
    Location loc = loop.getLoc();
    auto func = loop->getParentOfType<func::FuncOp>();
    ModuleOp module = getOperation();

    // Everything the outlined body reads from outside: the loop bounds and
    // the values its region uses.
    llvm::SetVector<Value> captures;
    for (Value v : loop->getOperands())
      captures.insert(v);
    getUsedValuesDefinedAbove(loop.getRegion(), captures);
    SmallVector<Type> fieldTypes;
    for (Value v : captures) {
      Type t = converter.convertType(v.getType());
      if (!t || !LLVM::isCompatibleType(t))
        return success(); // Leave loops capturing unusual values sequential.
      fieldTypes.push_back(t);
    }
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i64 = IntegerType::get(ctx, 64);
    auto structType = LLVM::LLVMStructType::getLiteral(ctx, fieldTypes);

    // The outlined body: (ctx, begin, end) -> ().
    std::string name = (func.getSymName() + "_parallel" + Twine(counter++)).str();
    OpBuilder b(ctx);
    b.setInsertionPoint(func);
    auto body = func::FuncOp::create(b, loc, name, FunctionType::get(ctx, {ptr, i64, i64}, {}));
    body.setPrivate();
    Block *entry = body.addEntryBlock();
    b.setInsertionPointToStart(entry);
    IRMapping mapping;
    for (auto [i, v] : llvm::enumerate(captures)) {
      Value field = LLVM::GEPOp::create(b, loc, ptr, structType, entry->getArgument(0),
                                        ArrayRef<LLVM::GEPArg>{0, (int32_t)i});
      Value loaded = LLVM::LoadOp::create(b, loc, fieldTypes[i], field);
      Value original =
          UnrealizedConversionCastOp::create(b, loc, v.getType(), loaded).getResult(0);
      mapping.map(v, original);
    }
    Value begin = arith::IndexCastOp::create(b, loc, b.getIndexType(), entry->getArgument(1));
    Value end = arith::IndexCastOp::create(b, loc, b.getIndexType(), entry->getArgument(2));
    SmallVector<Value> lbs = llvm::map_to_vector(
        loop.getLowerBound(), [&](Value v) { return mapping.lookup(v); });
    SmallVector<Value> ubs = llvm::map_to_vector(
        loop.getUpperBound(), [&](Value v) { return mapping.lookup(v); });
    SmallVector<Value> steps =
        llvm::map_to_vector(loop.getStep(), [&](Value v) { return mapping.lookup(v); });
    // Chunk [begin, end) of the iterations of dim 0.
    Value lb0 = lbs[0], step0 = steps[0];
    Value chunkLb = arith::AddIOp::create(b, loc, lb0, arith::MulIOp::create(b, loc, begin, step0));
    Value chunkUb = arith::AddIOp::create(b, loc, lb0, arith::MulIOp::create(b, loc, end, step0));
    chunkUb = arith::MinSIOp::create(b, loc, chunkUb, ubs[0]);
    lbs[0] = chunkLb;
    ubs[0] = chunkUb;
    scf::ParallelOp::create(b, loc, lbs, ubs, steps,
                            [&](OpBuilder &nb, Location, ValueRange ivs) {
                              for (auto [oldIv, newIv] :
                                   llvm::zip(loop.getInductionVars(), ivs))
                                mapping.map(oldIv, newIv);
                              for (Operation &op : loop.getBody()->without_terminator())
                                nb.clone(op, mapping);
                            });
    func::ReturnOp::create(b, loc);

    // The call site: store the captures, call the runtime.
    b.setInsertionPointToStart(&func.getBody().front());
    Value one = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(1));
    Value context = LLVM::AllocaOp::create(b, loc, ptr, structType, one);
    b.setInsertionPoint(loop);
    for (auto [i, v] : llvm::enumerate(captures)) {
      Value converted = UnrealizedConversionCastOp::create(b, loc, fieldTypes[i], v).getResult(0);
      Value field = LLVM::GEPOp::create(b, loc, ptr, structType, context,
                                        ArrayRef<LLVM::GEPArg>{0, (int32_t)i});
      LLVM::StoreOp::create(b, loc, converted, field);
    }
    Value span = arith::SubIOp::create(b, loc, loop.getUpperBound()[0], loop.getLowerBound()[0]);
    Value count = arith::CeilDivSIOp::create(b, loc, span, loop.getStep()[0]);
    count = arith::MaxSIOp::create(b, loc, count, arith::ConstantIndexOp::create(b, loc, 0));
    Value count64 = arith::IndexCastOp::create(b, loc, i64, count);
    Value fn = func::ConstantOp::create(b, loc, body.getFunctionType(), body.getSymName());
    Value fnPtr = UnrealizedConversionCastOp::create(b, loc, ptr, fn).getResult(0);
    LLVM::CallOp::create(b, loc, getOrDeclareParallelFor(module),
                         ValueRange{fnPtr, context, count64});
    loop.erase();
    return success();
  }
};

} // namespace
