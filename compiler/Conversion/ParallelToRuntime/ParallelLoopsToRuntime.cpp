//===- ParallelLoopsToRuntime.cpp - scf.parallel on the runtime's pool ----===//
//
// The generated library must not depend on OpenMP or MLIR's async runtime,
// so parallel loops go to the dnnc runtime's own thread pool:
//
//   dnnrt_parallel_for(void (*body)(void *ctx, int64_t begin, int64_t end),
//                      void *ctx, int64_t count, const char *region)
//
// `region` names the loop for the runtime's profiler (`dnn-run profile`,
// DNN_PROFILE=1): the entry, the loop's number and the source of the ops it
// came from, in .dnn terms ("train_step#12 dce/dw2 (mlp.dnn:13:24)").
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
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Path.h"

namespace dnnc {
#define GEN_PASS_DEF_PARALLELLOOPSTORUNTIMEPASS
#include "dnnc/Conversion/Passes.h.inc"
} // namespace dnnc

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kParallelFor = "dnnrt_parallel_for";

bool isOutermost(scf::ParallelOp op) { return !op->getParentOfType<scf::ParallelOp>(); }

/// A location as the profiler shows it: names of values (the gradient
/// "dce/dw2") with the file:line:col of the .dnn source.
void describe(Location loc, SmallVectorImpl<std::string> &parts) {
  auto add = [&](std::string part) {
    if (!llvm::is_contained(parts, part))
      parts.push_back(std::move(part));
  };
  if (auto name = dyn_cast<NameLoc>(loc)) {
    SmallVector<std::string> inner;
    describe(name.getChildLoc(), inner);
    std::string text = name.getName().str();
    if (!inner.empty())
      text += " (" + llvm::join(inner, ", ") + ")";
    add(text);
  } else if (auto file = dyn_cast<FileLineColLoc>(loc)) {
    add((llvm::sys::path::filename(file.getFilename().getValue()) + ":" +
         Twine(file.getLine()) + ":" + Twine(file.getColumn()))
            .str());
  } else if (auto fused = dyn_cast<FusedLoc>(loc)) {
    for (Location l : fused.getLocations())
      describe(l, parts);
  } else if (auto call = dyn_cast<CallSiteLoc>(loc)) {
    describe(call.getCallee(), parts);
  }
}

std::string regionName(func::FuncOp func, unsigned number, Location loc) {
  std::string entry = func.getSymName().str();
  if (auto attr = func->getAttrOfType<StringAttr>("dnn.entry"))
    entry = attr.getValue().str();
  SmallVector<std::string> parts;
  describe(loc, parts);
  std::string name = entry + "#" + std::to_string(number);
  if (!parts.empty())
    name += " " + llvm::join(parts, ", ");
  return name;
}

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
      std::optional<int64_t> trip = staticTripCount(loop, sharedDims(loop));
      if (trip && *trip < minIterations)
        continue;
      // A few thousand scalar iterations take less than waking a thread:
      // e.g. the bias gradient of a 10-class layer, a 10-wide loop inside
      // the batch loop, would otherwise be dispatched once per sample.
      SmallVector<unsigned> all =
          llvm::to_vector(llvm::seq<unsigned>(0, loop.getNumLoops()));
      std::optional<int64_t> elements = staticTripCount(loop, all);
      if (elements && *elements < minScalarElements && isScalarBody(loop))
        continue;
      if (failed(outline(loop, converter, counter)))
        return signalPassFailure();
    }
  }

  /// True if an iteration is a handful of scalar ops: no loops, no vectors.
  static bool isScalarBody(scf::ParallelOp loop) {
    WalkResult result = loop.getBody()->walk([](Operation *op) {
      if (isa<LoopLikeOpInterface>(op) || isa<vector::VectorDialect>(op->getDialect()))
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    return !result.wasInterrupted();
  }

  /// Iterations of `dims` together, when their bounds are constants.
  static std::optional<int64_t> staticTripCount(scf::ParallelOp loop,
                                                ArrayRef<unsigned> dims) {
    int64_t total = 1;
    for (unsigned d : dims) {
      auto lb = getConstantIntValue(loop.getLowerBound()[d]);
      auto ub = getConstantIntValue(loop.getUpperBound()[d]);
      auto step = getConstantIntValue(loop.getStep()[d]);
      if (!lb || !ub || !step || *step <= 0)
        return std::nullopt;
      total *= llvm::divideCeil(std::max<int64_t>(*ub - *lb, 0), *step);
    }
    return total;
  }

  /// The dims whose iterations are shared among threads, fastest-varying
  /// first. Matmul register tiles (vector FMAs in the body) vary dim 0
  /// fastest: a thread walks down the rows of a column strip, whose B panel
  /// stays in cache, and threads split the columns. Other 2-D loops over
  /// whole vector tiles (elementwise ops, optimizer updates, transposes) are
  /// split the same way, so that with the runtime's fixed shares a thread
  /// touches the same columns of an [M, N] tensor in every loop: the
  /// optimizer updates the weight-gradient columns its own core's matmul
  /// wrote, and the forward matmul of the next step reads the weights on
  /// the core that updated them (a cache line moving between the cores of
  /// different dies costs ~230 ns). Other loops keep row-major order (last
  /// dim fastest), so that a thread streams through contiguous memory;
  /// scalar nests (every step 1) keep their last dim as an inner loop.
  static SmallVector<unsigned> sharedDims(scf::ParallelOp loop) {
    unsigned rank = loop.getNumLoops();
    bool scalar = rank >= 2 && llvm::all_of(loop.getStep(), [](Value step) {
                    return getConstantIntValue(step) == 1;
                  });
    bool registerTiles = false;
    loop.getBody()->walk([&](Operation *op) {
      if (isa<vector::FMAOp, vector::OuterProductOp>(op)) {
        registerTiles = true;
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    // Whole tiles along the columns: a partial last tile is masked, and a
    // thread walking a strip of masked tiles down the rows ran 3-10x slower
    // than the row-major walk (LeNet-5's 400x120 and 120x84 Adam updates).
    auto wholeColumnTiles = [&] {
      auto lb = getConstantIntValue(loop.getLowerBound()[1]);
      auto ub = getConstantIntValue(loop.getUpperBound()[1]);
      auto step = getConstantIntValue(loop.getStep()[1]);
      return lb && ub && step && *step > 1 && (*ub - *lb) % *step == 0;
    };
    SmallVector<unsigned> order;
    if (!scalar && (registerTiles || (rank == 2 && wholeColumnTiles()))) {
      for (unsigned d = 0; d < rank; ++d)
        order.push_back(d);
    } else {
      for (unsigned d = scalar ? rank - 1 : rank; d-- > 0;)
        order.push_back(d);
    }
    return order;
  }

  /// max(ceil((ub - lb) / step), 0).
  static Value tripCount(OpBuilder &b, Location loc, Value lb, Value ub, Value step) {
    Value span = arith::SubIOp::create(b, loc, ub, lb);
    Value count = arith::CeilDivSIOp::create(b, loc, span, step);
    return arith::MaxSIOp::create(b, loc, count, arith::ConstantIndexOp::create(b, loc, 0));
  }

  LLVM::LLVMFuncOp getOrDeclareParallelFor(ModuleOp module) {
    if (auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(kParallelFor))
      return fn;
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    MLIRContext *ctx = module.getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto type = LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                            {ptr, ptr, IntegerType::get(ctx, 64), ptr});
    return LLVM::LLVMFuncOp::create(b, module.getLoc(), kParallelFor, type);
  }

  LogicalResult outline(scf::ParallelOp loop, LLVMTypeConverter &converter, unsigned &counter) {
    MLIRContext *ctx = &getContext();
    Location loc = loop.getLoc();
    auto func = loop->getParentOfType<func::FuncOp>();
    ModuleOp module = getOperation();

    // Everything the outlined body reads from outside: the loop bounds and
    // the values its region uses.
    llvm::SetVector<Value> used;
    for (Value v : loop->getOperands())
      used.insert(v);
    getUsedValuesDefinedAbove(loop.getRegion(), used);
    // Constants are cloned into the body rather than captured: loaded from
    // the context struct, an index constant is an unknown to LLVM, and every
    // address computed from it (a window offset, a row stride) becomes an
    // address register of its own, which a kernel with many of them spills.
    llvm::SetVector<Value> captures;
    SmallVector<Operation *> constants;
    for (Value v : used) {
      Operation *def = v.getDefiningOp();
      if (def && def->getNumOperands() == 0 && def->hasTrait<OpTrait::ConstantLike>())
        constants.push_back(def);
      else
        captures.insert(v);
    }
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
    unsigned number = counter++;
    std::string name = (func.getSymName() + "_parallel" + Twine(number)).str();
    OpBuilder b(ctx);
    b.setInsertionPoint(func);
    auto body = func::FuncOp::create(b, loc, name, FunctionType::get(ctx, {ptr, i64, i64}, {}));
    body.setPrivate();
    Block *entry = body.addEntryBlock();
    b.setInsertionPointToStart(entry);
    IRMapping mapping;
    for (Operation *constant : constants)
      b.clone(*constant, mapping);
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
    // Chunk [begin, end) of the loop's iterations, linearized over the
    // shared dims (see sharedDims): every dim, not only the first, is shared
    // out, in the order sharedDims gives.
    unsigned rank = loop.getNumLoops();
    SmallVector<unsigned> order = sharedDims(loop);
    SmallVector<Value> trips(rank);
    for (unsigned d : order)
      trips[d] = tripCount(b, loc, lbs[d], ubs[d], steps[d]);
    Value unitStep = arith::ConstantIndexOp::create(b, loc, 1);
    auto cloneBody = [&](OpBuilder &nb) {
      for (Operation &op : loop.getBody()->without_terminator())
        nb.clone(op, mapping);
    };
    scf::ForOp::create(
        b, loc, begin, end, unitStep, ValueRange{},
        [&](OpBuilder &nb, Location, Value linear, ValueRange) {
          Value rest = linear;
          for (auto [k, d] : llvm::enumerate(order)) {
            Value index = rest;
            if (k + 1 < order.size()) {
              index = arith::RemUIOp::create(nb, loc, rest, trips[d]);
              rest = arith::DivUIOp::create(nb, loc, rest, trips[d]);
            }
            Value iv = arith::AddIOp::create(
                nb, loc, lbs[d], arith::MulIOp::create(nb, loc, index, steps[d]));
            mapping.map(loop.getInductionVars()[d], iv);
          }
          if (order.size() == rank) {
            cloneBody(nb);
          } else {
            unsigned last = rank - 1;
            scf::ForOp::create(nb, loc, lbs[last], ubs[last], steps[last], ValueRange{},
                               [&](OpBuilder &ib, Location, Value iv, ValueRange) {
                                 mapping.map(loop.getInductionVars()[last], iv);
                                 cloneBody(ib);
                                 scf::YieldOp::create(ib, loc);
                               });
          }
          scf::YieldOp::create(nb, loc);
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
    Value count = arith::ConstantIndexOp::create(b, loc, 1);
    for (unsigned d : order)
      count = arith::MulIOp::create(
          b, loc, count,
          tripCount(b, loc, loop.getLowerBound()[d], loop.getUpperBound()[d], loop.getStep()[d]));
    Value count64 = arith::IndexCastOp::create(b, loc, i64, count);
    Value fn = func::ConstantOp::create(b, loc, body.getFunctionType(), body.getSymName());
    Value fnPtr = UnrealizedConversionCastOp::create(b, loc, ptr, fn).getResult(0);
    std::string region = regionName(func, number, loc);
    region.push_back('\0');
    Value regionPtr = LLVM::createGlobalString(loc, b, name + "_region", region,
                                               LLVM::Linkage::Private);
    LLVM::CallOp::create(b, loc, getOrDeclareParallelFor(module),
                         ValueRange{fnPtr, context, count64, regionPtr});
    loop.erase();
    return success();
  }
};

} // namespace
