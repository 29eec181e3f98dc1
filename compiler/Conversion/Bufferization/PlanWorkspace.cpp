//===- PlanWorkspace.cpp - Temporaries as offsets into one workspace ------===//
//
// A training step allocates tens of temporaries whose sizes grow with the
// batch; through malloc, those above glibc's mmap threshold are mapped and
// unmapped on every call (a page fault per 4 KiB touched). Here each
// top-level memref.alloc of an entry point becomes a memref.view into one
// workspace the runtime allocates once per session:
//
//   offset_i = max { offset_j + bytes_j : j < i, live(j) overlaps live(i) }
//
// computed at the entry's start from the argument shapes (sizes are
// expressions of the symbolic batch), unless i can take over the slot of a
// dead temporary of the same size expression (a forward activation's slot
// for a gradient of the same shape, say). `<entry>_workspace` returns the
// total.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Conversion/Passes.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace dnnc {
#define GEN_PASS_DEF_PLANWORKSPACEPASS
#include "dnnc/Conversion/Passes.h.inc"
} // namespace dnnc

using namespace mlir;

namespace {

constexpr int64_t kAlignment = 64;

/// One temporary to place: its allocation and live range, as positions of
/// ops in the entry block.
struct Temporary {
  memref::AllocOp alloc;
  unsigned begin = 0, end = 0;
};

/// Position of the last op in `block` that uses `buffer` or a value derived
/// from it (views, casts, loop results); nullopt if it escapes the function.
std::optional<unsigned> lastUse(Value buffer, Block &block,
                                const DenseMap<Operation *, unsigned> &position) {
  unsigned last = position.lookup(buffer.getDefiningOp());
  SmallVector<Value> worklist{buffer};
  DenseSet<Value> seen{buffer};
  auto derive = [&](ValueRange values) {
    for (Value v : values)
      if (isa<BaseMemRefType>(v.getType()) && seen.insert(v).second)
        worklist.push_back(v);
  };
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (isa<func::ReturnOp>(user))
        return std::nullopt;
      Operation *top = block.findAncestorOpInBlock(*user);
      if (!top)
        return std::nullopt;
      last = std::max(last, position.lookup(top));
      derive(user->getResults());
      // A terminator may forward the buffer out of its region.
      if (user->hasTrait<OpTrait::IsTerminator>() && user->getParentOp() != nullptr)
        derive(user->getParentOp()->getResults());
    }
  }
  return last;
}

/// True if `v` can be recomputed at the entry's start: block arguments and
/// pure, region-free ops over such values (memref.dim of arguments,
/// arithmetic on sizes).
bool isHoistable(Value v, Block &block) {
  if (auto arg = dyn_cast<BlockArgument>(v))
    return arg.getOwner() == &block;
  Operation *def = v.getDefiningOp();
  if (!def || def->getNumRegions() != 0 || def->getBlock() != &block || !isPure(def))
    return false;
  return llvm::all_of(def->getOperands(), [&](Value o) { return isHoistable(o, block); });
}

/// Rewrites `memref.dim` of the entry's temporaries (and of reshapes and
/// views of them) into the sizes they were allocated with, so that a
/// temporary whose size is read off another one can still be planned.
void resolveDims(Block &block) {
  SmallVector<memref::DimOp> dims;
  for (auto dim : block.getOps<memref::DimOp>())
    dims.push_back(dim);
  for (memref::DimOp dim : dims) {
    std::optional<int64_t> index = dim.getConstantIndex();
    if (!index)
      continue;
    OpBuilder b(dim);
    std::function<Value(Value, int64_t)> resolve = [&](Value source, int64_t d) -> Value {
      auto type = dyn_cast<MemRefType>(source.getType());
      if (!type || d < 0 || d >= type.getRank())
        return {};
      if (!type.isDynamicDim(d))
        return arith::ConstantIndexOp::create(b, dim.getLoc(), type.getDimSize(d));
      Operation *def = source.getDefiningOp();
      if (!def)
        return {};
      if (auto alloc = dyn_cast<memref::AllocOp>(def))
        return alloc.getDynamicSizes()[type.getDynamicDimIndex(d)];
      if (auto view = dyn_cast<memref::ViewOp>(def))
        return view.getSizes()[type.getDynamicDimIndex(d)];
      if (auto cast = dyn_cast<memref::CastOp>(def))
        return resolve(cast.getSource(), d);
      if (auto collapse = dyn_cast<memref::CollapseShapeOp>(def)) {
        Value product = arith::ConstantIndexOp::create(b, dim.getLoc(), 1);
        // A copy: the list is returned by value, and a range-for over an
        // element of the temporary would read it after its end.
        SmallVector<ReassociationIndices> groups = collapse.getReassociationIndices();
        for (int64_t s : groups[d]) {
          Value size = resolve(collapse.getSrc(), s);
          if (!size)
            return {};
          product = arith::MulIOp::create(b, dim.getLoc(), product, size);
        }
        return product;
      }
      if (auto expand = dyn_cast<memref::ExpandShapeOp>(def)) {
        OpFoldResult size = expand.getMixedOutputShape()[d];
        if (auto v = dyn_cast<Value>(size))
          return v;
        return arith::ConstantIndexOp::create(b, dim.getLoc(),
                                              *getConstantIntValue(size));
      }
      return {};
    };
    if (Value size = resolve(dim.getSource(), *index)) {
      dim.replaceAllUsesWith(size);
      dim.erase();
    }
  }
}

/// Clones the computation of `v` at the builder's point, over `mapping`'s
/// arguments.
Value cloneAt(OpBuilder &b, Value v, IRMapping &mapping) {
  if (Value known = mapping.lookupOrNull(v))
    return known;
  Operation *def = v.getDefiningOp();
  for (Value operand : def->getOperands())
    cloneAt(b, operand, mapping);
  Operation *copy = b.clone(*def, mapping);
  return copy->getResult(cast<OpResult>(v).getResultNumber());
}

std::optional<int64_t> elementBytes(MemRefType type) {
  Type element = type.getElementType();
  if (!element.isIntOrIndexOrFloat() || element.isIndex())
    return std::nullopt;
  unsigned bits = element.getIntOrFloatBitWidth();
  if (bits % 8 != 0)
    return std::nullopt;
  return bits / 8;
}

/// The plan: which temporaries of an entry go into the workspace, and where.
/// A temporary either takes over the slot of an earlier one (`reuses`) or
/// is placed above every earlier temporary it is live with (`interferes`).
struct Plan {
  SmallVector<Temporary> temporaries;
  SmallVector<SmallVector<unsigned>> interferes; ///< Earlier temporaries live at once.
  SmallVector<std::optional<unsigned>> reuses;   ///< The slot it takes over.
};

/// Same bytes for any argument shapes: same element size, static dims and
/// dynamic size values.
bool sameSize(memref::AllocOp a, memref::AllocOp b) {
  return a.getType().getShape() == b.getType().getShape() &&
         elementBytes(a.getType()) == elementBytes(b.getType()) &&
         llvm::equal(a.getDynamicSizes(), b.getDynamicSizes());
}

/// Chooses, for each temporary, a dead temporary's slot of the same size
/// when every temporary it is live with is known to lie clear of that slot;
/// offsets are symbolic, so "known" means placed above or below it by
/// construction (`disjoint`).
void reuseSlots(Plan &plan) {
  unsigned n = plan.temporaries.size();
  std::vector<std::vector<bool>> disjoint(n, std::vector<bool>(n, false));
  plan.reuses.assign(n, std::nullopt);
  for (unsigned i = 0; i < n; ++i) {
    ArrayRef<unsigned> live = plan.interferes[i];
    for (unsigned j = 0; j < i; ++j) {
      if (llvm::is_contained(live, j) ||
          !sameSize(plan.temporaries[i].alloc, plan.temporaries[j].alloc))
        continue;
      if (!llvm::all_of(live, [&](unsigned k) { return disjoint[j][k]; }))
        continue;
      plan.reuses[i] = j;
      break;
    }
    if (std::optional<unsigned> j = plan.reuses[i]) {
      for (unsigned k = 0; k < i; ++k)
        disjoint[i][k] = disjoint[k][i] = disjoint[*j][k];
    } else {
      for (unsigned k : live)
        disjoint[i][k] = disjoint[k][i] = true;
    }
  }
}

Plan makePlan(func::FuncOp func) {
  Block &block = func.getBody().front();
  resolveDims(block);
  DenseMap<Operation *, unsigned> position;
  for (auto [i, op] : llvm::enumerate(block))
    position[&op] = i;
  Plan plan;
  for (auto alloc : block.getOps<memref::AllocOp>()) {
    MemRefType type = alloc.getType();
    if (!type.getLayout().isIdentity() || !elementBytes(type) || !alloc.getSymbolOperands().empty())
      continue;
    if (!llvm::all_of(alloc.getDynamicSizes(), [&](Value v) { return isHoistable(v, block); }))
      continue;
    std::optional<unsigned> end = lastUse(alloc.getResult(), block, position);
    if (!end)
      continue;
    plan.temporaries.push_back({alloc, position[alloc], *end});
  }
  for (auto [i, t] : llvm::enumerate(plan.temporaries)) {
    SmallVector<unsigned> &earlier = plan.interferes.emplace_back();
    for (unsigned j = 0; j < i; ++j)
      if (plan.temporaries[j].end >= t.begin)
        earlier.push_back(j);
  }
  reuseSlots(plan);
  return plan;
}

/// Emits the offsets of every temporary and the total size, in bytes, at
/// the builder's point; `mapping` maps the entry's arguments.
std::pair<SmallVector<Value>, Value> emitOffsets(OpBuilder &b, Location loc, const Plan &plan,
                                                 IRMapping &mapping) {
  auto constant = [&](int64_t v) -> Value { return arith::ConstantIndexOp::create(b, loc, v); };
  Value zero = constant(0);
  SmallVector<Value> offsets, ends;
  Value total = zero;
  for (auto [i, t] : llvm::enumerate(plan.temporaries)) {
    memref::AllocOp alloc = t.alloc;
    MemRefType type = alloc.getType();
    int64_t staticBytes = *elementBytes(type);
    for (int64_t d : type.getShape())
      if (!ShapedType::isDynamic(d))
        staticBytes *= d;
    Value bytes = constant(staticBytes);
    for (Value size : alloc.getDynamicSizes())
      bytes = arith::MulIOp::create(b, loc, bytes, cloneAt(b, size, mapping));
    // Round up to the alignment: (bytes + 63) / 64 * 64.
    Value rounded = arith::AddIOp::create(b, loc, bytes, constant(kAlignment - 1));
    rounded = arith::DivUIOp::create(b, loc, rounded, constant(kAlignment));
    rounded = arith::MulIOp::create(b, loc, rounded, constant(kAlignment));
    Value offset = zero;
    if (std::optional<unsigned> j = plan.reuses[i])
      offset = offsets[*j];
    else
      for (unsigned j : plan.interferes[i])
        offset = arith::MaxUIOp::create(b, loc, offset, ends[j]);
    Value end = arith::AddIOp::create(b, loc, offset, rounded);
    offsets.push_back(offset);
    ends.push_back(end);
    total = arith::MaxUIOp::create(b, loc, total, end);
  }
  return {offsets, total};
}

struct PlanWorkspacePass : dnnc::impl::PlanWorkspacePassBase<PlanWorkspacePass> {
  void runOnOperation() override {
    SmallVector<func::FuncOp> entries;
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func->hasAttr("dnn.entry") && !func.isExternal())
        entries.push_back(func);
    for (func::FuncOp func : entries)
      planEntry(func);
  }

  void planEntry(func::FuncOp func) {
    MLIRContext *ctx = &getContext();
    Location loc = func.getLoc();
    Plan plan = makePlan(func);
    OpBuilder b(ctx);

    // <entry>_workspace(args...) -> i64: the bytes the entry needs.
    b.setInsertionPointAfter(func);
    FunctionType entryType = func.getFunctionType();
    auto sizeFunc = func::FuncOp::create(
        b, loc, (func.getSymName() + "_workspace").str(),
        FunctionType::get(ctx, entryType.getInputs(), {b.getI64Type()}));
    sizeFunc->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    sizeFunc->setAttr("dnn.workspace_of", b.getStringAttr(func.getSymName()));
    {
      Block *body = sizeFunc.addEntryBlock();
      b.setInsertionPointToStart(body);
      IRMapping mapping;
      mapping.map(func.getArguments(), body->getArguments());
      Value total = emitOffsets(b, loc, plan, mapping).second;
      Value bytes = arith::IndexCastOp::create(b, loc, b.getI64Type(), total);
      func::ReturnOp::create(b, loc, bytes);
    }

    // The entry takes the workspace as its last argument.
    Block &block = func.getBody().front();
    auto workspaceType = MemRefType::get({ShapedType::kDynamic}, b.getI8Type());
    if (failed(func.insertArgument(func.getNumArguments(), workspaceType,
                                   DictionaryAttr::get(ctx), loc)))
      return signalPassFailure();
    Value workspace = block.getArguments().back();
    b.setInsertionPointToStart(&block);
    IRMapping mapping;
    mapping.map(block.getArguments(), block.getArguments());
    SmallVector<Value> offsets = emitOffsets(b, loc, plan, mapping).first;
    for (auto [t, offset] : llvm::zip(plan.temporaries, offsets)) {
      b.setInsertionPoint(t.alloc);
      auto view = memref::ViewOp::create(b, t.alloc.getLoc(), t.alloc.getType(), workspace,
                                         offset, t.alloc.getDynamicSizes());
      t.alloc.replaceAllUsesWith(view.getResult());
      t.alloc.erase();
    }
  }
};

} // namespace
