//===- OutlineEntries.cpp - Models become exported functions --------------===//
//
// The dnn.model op describes a whole model; code generation wants plain
// functions with tensor arguments. This pass makes one func.func per entry
// point of each model (for now: predict) and erases the model ops, so that
// the rest of the pipeline is upstream MLIR.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Dialect/DNN/Transforms/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

namespace dnnc::dnn {
#define GEN_PASS_DEF_DNNOUTLINEENTRIESPASS
#include "dnnc/Dialect/DNN/Transforms/Passes.h.inc"
} // namespace dnnc::dnn

using namespace mlir;
using namespace dnnc::dnn;

namespace {

/// Ops of `model` that `roots` depend on, in program order.
llvm::SetVector<Operation *> backwardSlice(ModelOp model, ArrayRef<Value> roots) {
  llvm::DenseSet<Operation *> needed;
  SmallVector<Value> worklist(roots);
  while (!worklist.empty()) {
    Operation *def = worklist.pop_back_val().getDefiningOp();
    if (!def || !needed.insert(def).second)
      continue;
    llvm::append_range(worklist, def->getOperands());
  }
  llvm::SetVector<Operation *> ordered;
  for (Operation &op : model.getBody().front())
    if (needed.contains(&op))
      ordered.insert(&op);
  return ordered;
}

LogicalResult outlinePredict(ModelOp model, OpBuilder &builder) {
  SmallVector<OutputOp> outputs(model.getBody().front().getOps<OutputOp>());
  if (outputs.empty())
    return success();
  SmallVector<Value> roots =
      llvm::map_to_vector(outputs, [](OutputOp o) -> Value { return o.getValue(); });
  llvm::SetVector<Operation *> slice = backwardSlice(model, roots);

  SmallVector<ParamOp> params(model.getBody().front().getOps<ParamOp>());
  SmallVector<InputOp> inputs = getInputsReaching(model, roots);

  SmallVector<Type> argTypes;
  for (ParamOp p : params)
    argTypes.push_back(p.getType());
  for (InputOp i : inputs)
    argTypes.push_back(i.getType());
  SmallVector<Type> resultTypes = llvm::map_to_vector(roots, [](Value v) { return v.getType(); });

  MLIRContext *ctx = model.getContext();
  std::string name = (model.getSymName() + "_predict").str();
  auto func = func::FuncOp::create(builder, model.getLoc(), name,
                                   FunctionType::get(ctx, argTypes, resultTypes));
  auto strings = [&](auto ops, auto getName) {
    return builder.getStrArrayAttr(llvm::map_to_vector(ops, getName));
  };
  func->setAttr("dnn.model", builder.getStringAttr(model.getSymName()));
  func->setAttr("dnn.entry", builder.getStringAttr("predict"));
  func->setAttr("dnn.inputs", strings(inputs, [](InputOp i) { return i.getName(); }));
  func->setAttr("dnn.outputs", strings(outputs, [](OutputOp o) { return o.getName(); }));
  func->setAttr("llvm.emit_c_interface", builder.getUnitAttr());

  Block *entry = func.addEntryBlock();
  IRMapping mapping;
  unsigned argIndex = 0;
  for (ParamOp p : params)
    mapping.map(p.getResult(), entry->getArgument(argIndex++));
  for (InputOp i : inputs)
    mapping.map(i.getResult(), entry->getArgument(argIndex++));

  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(entry);
  for (Operation *op : slice)
    if (!isa<ParamOp, InputOp>(op))
      builder.clone(*op, mapping);
  SmallVector<Value> results =
      llvm::map_to_vector(roots, [&](Value v) { return mapping.lookupOrDefault(v); });
  func::ReturnOp::create(builder, model.getLoc(), results);
  return success();
}

struct DNNOutlineEntriesPass
    : dnnc::dnn::impl::DNNOutlineEntriesPassBase<DNNOutlineEntriesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<ModelOp> models(module.getOps<ModelOp>());
    OpBuilder builder(&getContext());
    for (ModelOp model : models) {
      builder.setInsertionPoint(model);
      if (failed(outlinePredict(model, builder)))
        return signalPassFailure();
      model.erase();
    }
  }
};

} // namespace

SmallVector<InputOp> dnnc::dnn::getInputsReaching(ModelOp model, ArrayRef<Value> roots) {
  SmallVector<InputOp> inputs;
  llvm::SetVector<Operation *> slice = backwardSlice(model, roots);
  for (InputOp input : model.getBody().front().getOps<InputOp>())
    if (slice.contains(input))
      inputs.push_back(input);
  return inputs;
}
