//===- OutlineEntries.cpp - Models become exported functions --------------===//
//
// The dnn.model op describes a whole model; code generation wants plain
// functions with tensor arguments. This pass makes one func.func per entry
// point of each model (predict, eval, grad, train_step) and erases the model ops, so that
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

/// The operands of `op` that an entry in the given mode computes from: a
/// dnn.mode_switch reads one of its two.
SmallVector<Value, 4> operandsInMode(Operation *op, bool training) {
  if (auto modeSwitch = dyn_cast<ModeSwitchOp>(op))
    return {training ? modeSwitch.getTraining() : modeSwitch.getInference()};
  return llvm::to_vector<4>(op->getOperands());
}

/// Ops of `model` that `roots` depend on in the given mode, in program order.
llvm::SetVector<Operation *> backwardSlice(ModelOp model, ArrayRef<Value> roots,
                                           bool training) {
  llvm::DenseSet<Operation *> needed;
  SmallVector<Value> worklist(roots);
  while (!worklist.empty()) {
    Operation *def = worklist.pop_back_val().getDefiningOp();
    if (!def || !needed.insert(def).second)
      continue;
    llvm::append_range(worklist, operandsInMode(def, training));
  }
  llvm::SetVector<Operation *> ordered;
  for (Operation &op : model.getBody().front())
    if (needed.contains(&op))
      ordered.insert(&op);
  return ordered;
}

/// An entry point to outline: what it returns and what it takes beyond the
/// params, buffers and inputs.
struct EntrySpec {
  llvm::StringRef entry;             // "predict"
  SmallVector<Value> roots;          // model values the function computes
  SmallVector<llvm::StringRef> names; // dnn.outputs: names of the named results
  bool training = false;             // training mode; takes the step's random key
  bool train = false;                // adds optimizer state, lr, step and the updates
};

/// Creates `@<model>_<entry>` for `spec`: params, [optimizer state], buffers,
/// inputs, [lr, step], [key] (docs/runtime-abi.md).
void outlineEntry(ModelOp model, const EntrySpec &spec, OpBuilder &builder) {
  Block &body = model.getBody().front();
  MLIRContext *ctx = model.getContext();
  Location loc = model.getLoc();
  SmallVector<ParamOp> params(body.getOps<ParamOp>());
  SmallVector<BufferOp> buffers(body.getOps<BufferOp>());
  SmallVector<BufferUpdateOp> updates;
  if (spec.train)
    llvm::append_range(updates, body.getOps<BufferUpdateOp>());
  SmallVector<Value> roots(spec.roots);
  for (BufferUpdateOp update : updates)
    roots.push_back(update.getValue());
  SmallVector<InputOp> inputs = getInputsReaching(model, roots, spec.training);
  TrainOp train = model.getTrainOp();
  size_t slots = spec.train ? ApplyOptimizerOp::getStateSlots(train.getOptimizer()).size() : 0;

  SmallVector<Type> argTypes;
  for (ParamOp p : params)
    argTypes.push_back(p.getType());
  for (ParamOp p : params)
    argTypes.append(slots, p.getType());
  for (BufferOp buffer : buffers)
    argTypes.push_back(buffer.getType());
  for (InputOp i : inputs)
    argTypes.push_back(i.getType());
  // lr in f64: torch.optim divides the Python float lr by Adam's bias
  // correction before rounding to the param type.
  auto lrType = RankedTensorType::get({}, builder.getF64Type());
  auto stepType = RankedTensorType::get({}, builder.getI32Type());
  auto keyType = RankedTensorType::get({}, builder.getI64Type());
  if (spec.train)
    argTypes.append({lrType, stepType});
  if (spec.training)
    argTypes.push_back(keyType);

  SmallVector<Type> resultTypes;
  if (spec.train) {
    resultTypes.push_back(spec.roots.front().getType()); // the loss
    for (ParamOp p : params)
      resultTypes.push_back(p.getType());
    for (ParamOp p : params)
      resultTypes.append(slots, p.getType());
    for (BufferUpdateOp update : updates)
      resultTypes.push_back(update.getValue().getType());
  } else {
    for (Value v : spec.roots)
      resultTypes.push_back(v.getType());
  }

  std::string name = (model.getSymName() + "_" + spec.entry).str();
  auto func = func::FuncOp::create(builder, loc, name,
                                   FunctionType::get(ctx, argTypes, resultTypes));
  func->setAttr("dnn.model", builder.getStringAttr(model.getSymName()));
  // A copy of a model compiled for one batch (dnnc --batch) names its
  // entries "train_step[N=128]", so that profiles tell the two apart.
  std::string entryName = spec.entry.str();
  if (auto binding = model->getAttrOfType<StringAttr>("dnn.specialization"))
    entryName += "[" + binding.getValue().str() + "]";
  func->setAttr("dnn.entry", builder.getStringAttr(entryName));
  func->setAttr("dnn.inputs", builder.getStrArrayAttr(llvm::map_to_vector(
                                  inputs, [](InputOp i) { return i.getName(); })));
  func->setAttr("dnn.outputs", builder.getStrArrayAttr(spec.names));
  func->setAttr("llvm.emit_c_interface", builder.getUnitAttr());

  Block *entry = func.addEntryBlock();
  IRMapping mapping;
  unsigned argIndex = 0;
  for (ParamOp p : params)
    mapping.map(p.getResult(), entry->getArgument(argIndex++));
  unsigned stateBegin = argIndex;
  argIndex += params.size() * slots;
  unsigned buffersBegin = argIndex;
  for (BufferOp buffer : buffers)
    mapping.map(buffer.getResult(), entry->getArgument(argIndex++));
  for (InputOp i : inputs)
    mapping.map(i.getResult(), entry->getArgument(argIndex++));
  unsigned scalarsBegin = argIndex;
  if (spec.training)
    for (RngKeyOp key : body.getOps<RngKeyOp>())
      mapping.map(key.getResult(), entry->getArgument(func.getNumArguments() - 1));

  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(entry);
  for (Operation *op : backwardSlice(model, roots, spec.training)) {
    if (isa<ParamOp, InputOp, BufferOp>(op))
      continue;
    if (auto modeSwitch = dyn_cast<ModeSwitchOp>(op)) {
      Value chosen = spec.training ? modeSwitch.getTraining() : modeSwitch.getInference();
      mapping.map(modeSwitch.getResult(), mapping.lookupOrDefault(chosen));
      continue;
    }
    if (isa<RngKeyOp>(op)) {
      // Mapped to the key argument above. Only training-mode values read
      // it: an inference slice that reaches one is a frontend bug.
      if (!spec.training)
        op->emitError("entry '") << spec.entry << "' (inference) reads the random key";
      continue;
    }
    builder.clone(*op, mapping);
  }
  SmallVector<Value> results =
      llvm::map_to_vector(spec.roots, [&](Value v) { return mapping.lookupOrDefault(v); });
  if (spec.train) {
    // roots = loss, then one gradient per param: update each param.
    Value lr = entry->getArgument(scalarsBegin), step = entry->getArgument(scalarsBegin + 1);
    // In place: the step overwrites the caller's param, state and buffer
    // buffers.
    auto inPlace = [&](Location l, Value value, Value destination) {
      return bufferization::MaterializeInDestinationOp::create(builder, l, value, destination)
          .getResult();
    };
    SmallVector<Value> newParams, newState, newBuffers;
    for (auto [i, p] : llvm::enumerate(params)) {
      ValueRange state = entry->getArguments().slice(stateBegin + i * slots, slots);
      SmallVector<Type> types(1 + slots, p.getType());
      auto update = ApplyOptimizerOp::create(
          builder, p.getLoc(), types, train.getOptimizerAttr(), train.getHyperparameters(),
          entry->getArgument(i), results[1 + i], state, lr, step);
      newParams.push_back(inPlace(p.getLoc(), update.getNewParam(), entry->getArgument(i)));
      for (auto [value, destination] : llvm::zip(update.getNewState(), state))
        newState.push_back(inPlace(p.getLoc(), value, destination));
    }
    for (BufferUpdateOp update : updates) {
      auto index = llvm::find(buffers, update.getBuffer().getDefiningOp<BufferOp>()) -
                   buffers.begin();
      newBuffers.push_back(inPlace(update.getLoc(), mapping.lookup(update.getValue()),
                                   entry->getArgument(buffersBegin + index)));
    }
    results.resize(1);
    llvm::append_range(results, newParams);
    llvm::append_range(results, newState);
    llvm::append_range(results, newBuffers);
  }
  func::ReturnOp::create(builder, loc, results);
}

void outlineEntries(ModelOp model, OpBuilder &builder) {
  Block &body = model.getBody().front();
  SmallVector<OutputOp> outputs(body.getOps<OutputOp>());
  EntrySpec predict{"predict"};
  for (OutputOp o : outputs) {
    predict.roots.push_back(o.getValue());
    predict.names.push_back(o.getName());
  }
  if (!outputs.empty())
    outlineEntry(model, predict, builder);

  LossOp loss = model.getLossOp();
  if (!loss)
    return;
  EntrySpec eval = predict;
  eval.entry = "eval";
  eval.roots.push_back(loss.getValue());
  eval.names.push_back(loss.getName());
  outlineEntry(model, eval, builder);

  SmallVector<GradientOp> gradients(body.getOps<GradientOp>());
  if (gradients.empty())
    return; // dnn-autodiff did not run
  EntrySpec grad{"grad", {loss.getValue()}, {loss.getName()}, /*training=*/true};
  for (GradientOp g : gradients)
    grad.roots.push_back(g.getValue());
  outlineEntry(model, grad, builder);

  if (!model.getTrainOp())
    return;
  EntrySpec trainStep = grad;
  trainStep.entry = "train_step";
  trainStep.train = true;
  outlineEntry(model, trainStep, builder);
}

struct DNNOutlineEntriesPass
    : dnnc::dnn::impl::DNNOutlineEntriesPassBase<DNNOutlineEntriesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<ModelOp> models(module.getOps<ModelOp>());
    OpBuilder builder(&getContext());
    for (ModelOp model : models) {
      builder.setInsertionPoint(model);
      outlineEntries(model, builder);
      model.erase();
    }
  }
};

} // namespace

SmallVector<InputOp> dnnc::dnn::getInputsReaching(ModelOp model, ArrayRef<Value> roots,
                                                  bool training) {
  SmallVector<InputOp> inputs;
  llvm::SetVector<Operation *> slice = backwardSlice(model, roots, training);
  for (InputOp input : model.getBody().front().getOps<InputOp>())
    if (slice.contains(input))
      inputs.push_back(input);
  return inputs;
}
