//===- ModelSignature.cpp - What a compiled model exposes -----------------===//

#include "dnnc/Target/ModelSignature.h"
#include "dnnc/Dialect/DNN/IR/DNNOps.h"
#include "dnnc/Dialect/DNN/Transforms/Passes.h"
#include "dnnc/Support/Shape.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace dnnc;

namespace {

/// The number of classes an i32 input is read against where it is used as
/// class indices (the smallest, if several), or 0.
int64_t classIndexBound(dnn::InputOp input) {
  int64_t bound = 0;
  auto tighten = [&](int64_t classes) {
    if (classes > 0 && (bound == 0 || classes < bound))
      bound = classes;
  };
  auto lastDim = [](Value logits) -> int64_t {
    auto type = dyn_cast<RankedTensorType>(logits.getType());
    if (!type || type.getRank() == 0 || type.isDynamicDim(type.getRank() - 1))
      return 0;
    return type.getShape().back();
  };
  for (OpOperand &use : input.getResult().getUses()) {
    Operation *user = use.getOwner();
    if (auto ce = dyn_cast<dnn::CrossEntropyOp>(user); ce && use.getOperandNumber() == 1)
      tighten(lastDim(ce.getInput()));
    else if (auto accuracy = dyn_cast<dnn::AccuracyOp>(user);
             accuracy && use.getOperandNumber() == 1)
      tighten(lastDim(accuracy.getInput()));
    else if (auto oneHot = dyn_cast<dnn::OneHotOp>(user))
      tighten(oneHot.getNumClasses());
  }
  return bound;
}

FailureOr<DType> dtypeOf(Operation *op, Type type) {
  Type element = getElementTypeOrSelf(type);
  if (element.isF32())
    return DType::F32;
  if (element.isF64())
    return op->emitError("f64 tensors are not supported by the CPU back end and runtime yet; "
                         "use f32"),
           failure();
  if (element.isInteger(32))
    return DType::I32;
  return op->emitError("unsupported element type ") << element, failure();
}

/// Distinct sizes to bind symbols to when tracing which output dims they
/// reach: primes far above any real size, so a match cannot be accidental.
int64_t probeSize(unsigned symbolIndex) {
  static const int64_t primes[] = {1000003, 1000033, 1000037, 1000039, 1000081, 1000099,
                                   1000117, 1000121, 1000133, 1000151, 1000159, 1000171};
  return primes[symbolIndex % std::size(primes)] + 1000 * (symbolIndex / std::size(primes));
}

/// Output dims: static sizes, or the symbol whose probe size reaches them.
LogicalResult outputDims(dnn::ModelOp model, const std::vector<std::string> &symbols,
                         std::vector<TensorSignature> &outputs) {
  dnn::ModelOp probe = cast<dnn::ModelOp>(model->clone());
  llvm::scope_exit cleanup([&] { probe->erase(); });
  for (dnn::InputOp input : probe.getBody().front().getOps<dnn::InputOp>()) {
    auto type = cast<RankedTensorType>(input.getType());
    SmallVector<int64_t> shape(type.getShape());
    unsigned next = 0;
    for (int64_t &d : shape) {
      if (!ShapedType::isDynamic(d))
        continue;
      auto name = cast<StringAttr>(input.getSymbols()[next++]).getValue();
      d = probeSize(llvm::find(symbols, name) - symbols.begin());
    }
    input.getResult().setType(RankedTensorType::get(shape, type.getElementType()));
  }
  // Inference on the detached clone reports nothing the original did not.
  ScopedDiagnosticHandler silence(model.getContext(), [](Diagnostic &) { return success(); });
  if (failed(dnn::inferShapes(probe)))
    return model.emitError("cannot trace the output shapes of the model"), failure();
  // The clone lists its outputs in the same order as the model.
  auto probedOutputs = probe.getBody().front().getOps<dnn::OutputOp>();
  auto declaredOutputs = model.getBody().front().getOps<dnn::OutputOp>();
  for (auto [probedOutput, declaredOutput, sig] :
       llvm::zip(probedOutputs, declaredOutputs, outputs)) {
    auto probed = cast<RankedTensorType>(probedOutput.getValue().getType());
    auto declared = cast<RankedTensorType>(declaredOutput.getValue().getType());
    for (auto [d, p] : llvm::zip(declared.getShape(), probed.getShape())) {
      DimSignature dim;
      if (!ShapedType::isDynamic(d)) {
        dim.size = d;
      } else {
        for (unsigned s = 0; s < symbols.size(); ++s)
          if (p == probeSize(s))
            dim.symbol = symbols[s];
        if (dim.symbol.empty())
          return model.emitError("output '")
                     << sig.name
                     << "' has a dimension computed from the symbolic sizes; outputs may "
                        "only use the inputs' symbols as they are",
                 failure();
      }
      sig.dims.push_back(dim);
    }
  }
  return success();
}

FailureOr<ModelSignature> extractSignature(dnn::ModelOp model) {
  ModelSignature sig;
  sig.name = model.getSymName().str();
  // The runtime's API is dnn_*; a model's header functions are <name>_*.
  if (sig.name == "dnn" || llvm::StringRef(sig.name).starts_with("dnn_") ||
      llvm::StringRef(sig.name).starts_with("dnnrt"))
    return model.emitError("model name '")
               << sig.name << "' is reserved: names 'dnn', 'dnn_*' and 'dnnrt*' belong to the "
                  "runtime's C API",
           failure();
  Block &body = model.getBody().front();

  llvm::StringMap<unsigned> inputIndex;
  for (dnn::InputOp input : body.getOps<dnn::InputOp>()) {
    TensorSignature t;
    t.name = input.getName().str();
    auto dtype = dtypeOf(input, input.getType());
    if (failed(dtype))
      return failure();
    t.dtype = *dtype;
    unsigned next = 0;
    for (int64_t d : cast<RankedTensorType>(input.getType()).getShape()) {
      DimSignature dim;
      if (ShapedType::isDynamic(d)) {
        dim.symbol = cast<StringAttr>(input.getSymbols()[next++]).getValue().str();
        if (!llvm::is_contained(sig.symbols, dim.symbol))
          sig.symbols.push_back(dim.symbol);
      } else {
        dim.size = d;
      }
      t.dims.push_back(dim);
    }
    if (t.dtype == DType::I32)
      t.indexBound = classIndexBound(input);
    inputIndex[t.name] = sig.inputs.size();
    sig.inputs.push_back(std::move(t));
  }

  // Params and buffers: static tensors with an initializer.
  auto stateSignature = [&](Operation *op, llvm::StringRef name, dnn::InitKind init,
                            DictionaryAttr initArgs) -> FailureOr<ParamSignature> {
    ParamSignature p;
    p.tensor.name = name.str();
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    if (!type.hasStaticShape())
      return op->emitError("'") << p.tensor.name << "' must have a static shape", failure();
    auto dtype = dtypeOf(op, type);
    if (failed(dtype))
      return failure();
    p.tensor.dtype = *dtype;
    for (int64_t d : type.getShape())
      p.tensor.dims.push_back({d, ""});
    p.init = static_cast<uint32_t>(init);
    for (NamedAttribute arg : initArgs)
      if (auto value = dyn_cast<FloatAttr>(arg.getValue()))
        p.initArgs.push_back({arg.getName().str(), value.getValueAsDouble()});
    std::tie(p.fanIn, p.fanOut) = parameterFans(type.getShape());
    return p;
  };
  for (dnn::ParamOp param : body.getOps<dnn::ParamOp>()) {
    auto p = stateSignature(param, param.getName(), param.getInit(), param.getInitArgs());
    if (failed(p))
      return failure();
    sig.params.push_back(std::move(*p));
  }
  for (dnn::BufferOp buffer : body.getOps<dnn::BufferOp>()) {
    auto b = stateSignature(buffer, buffer.getName(), buffer.getInit(), buffer.getInitArgs());
    if (failed(b))
      return failure();
    sig.buffers.push_back(std::move(*b));
  }

  // batch_norm's counts of values per channel that depend on symbols.
  for (dnn::CountOp count : body.getOps<dnn::CountOp>()) {
    ArrayAttr symbols = count.getTrainingSymbolsAttr();
    if (!symbols)
      continue;
    TrainingCheck check;
    check.what = "batch_norm";
    if (std::string where = sourceLocation(count.getLoc()); !where.empty())
      check.what += " at " + where;
    for (StringAttr symbol : symbols.getAsRange<StringAttr>())
      check.symbols.push_back(symbol.str());
    sig.trainingChecks.push_back(std::move(check));
  }

  SmallVector<Value> roots;
  for (dnn::OutputOp output : body.getOps<dnn::OutputOp>()) {
    TensorSignature t;
    t.name = output.getName().str();
    auto dtype = dtypeOf(output, output.getValue().getType());
    if (failed(dtype))
      return failure();
    t.dtype = *dtype;
    sig.outputs.push_back(std::move(t));
    roots.push_back(output.getValue());
  }
  if (failed(outputDims(model, sig.symbols, sig.outputs)))
    return failure();

  std::vector<unsigned> declaredOutputs;
  for (unsigned i = 0; i < sig.outputs.size(); ++i)
    declaredOutputs.push_back(i);
  auto addEntry = [&](llvm::StringRef name, EntryKind kind, ArrayRef<Value> entryRoots,
                      std::vector<unsigned> outputs) {
    bool training = kind == EntryKind::Grad || kind == EntryKind::TrainStep;
    EntrySignature entry;
    entry.name = name.str();
    entry.kind = kind;
    entry.symbolName = sig.name + "_" + entry.name;
    for (dnn::InputOp input : dnn::getInputsReaching(model, entryRoots, training))
      entry.inputs.push_back(inputIndex[input.getName()]);
    entry.outputs = std::move(outputs);
    sig.entries.push_back(std::move(entry));
  };
  if (!roots.empty())
    addEntry("predict", EntryKind::Predict, roots, declaredOutputs);

  // Entries of dnn-outline-entries for training: eval, grad, train_step.
  dnn::LossOp loss = model.getLossOp();
  if (!loss)
    return sig;
  if (!cast<RankedTensorType>(loss.getValue().getType()).getElementType().isF32())
    return loss.emitError("the loss must be f32 for the CPU back end"), failure();
  sig.loss = sig.outputs.size();
  sig.outputs.push_back({loss.getName().str(), DType::F32, {}});
  SmallVector<Value> evalRoots(roots);
  evalRoots.push_back(loss.getValue());
  std::vector<unsigned> evalOutputs = declaredOutputs;
  evalOutputs.push_back(sig.loss);
  addEntry("eval", EntryKind::Eval, evalRoots, evalOutputs);
  // dnn-autodiff names one gradient per param; without params there is
  // nothing to differentiate or train.
  if (sig.params.empty())
    return sig;
  addEntry("grad", EntryKind::Grad, {loss.getValue()}, {(unsigned)sig.loss});
  dnn::TrainOp train = model.getTrainOp();
  if (!train)
    return sig;
  addEntry("train_step", EntryKind::TrainStep, {loss.getValue()}, {(unsigned)sig.loss});
  OptimizerSignature optimizer;
  optimizer.kind = static_cast<uint32_t>(train.getOptimizer());
  for (NamedAttribute h : train.getHyperparameters())
    if (auto value = dyn_cast<FloatAttr>(h.getValue()))
      optimizer.hyperparameters.push_back({h.getName().str(), value.getValueAsDouble()});
  for (llvm::StringRef slot : dnn::ApplyOptimizerOp::getStateSlots(train.getOptimizer()))
    optimizer.slots.push_back(slot.str());
  sig.optimizer = std::move(optimizer);
  return sig;
}

} // namespace

std::string dnnc::sourceLocation(Location loc) {
  if (auto fused = dyn_cast<FusedLoc>(loc); fused && !fused.getLocations().empty())
    loc = fused.getLocations().front();
  if (auto name = dyn_cast<NameLoc>(loc))
    loc = name.getChildLoc();
  auto file = dyn_cast<FileLineColLoc>(loc);
  if (!file)
    return "";
  return llvm::sys::path::filename(file.getFilename().getValue()).str() + ":" +
         std::to_string(file.getLine()) + ":" + std::to_string(file.getColumn());
}

FailureOr<std::vector<ModelSignature>> dnnc::extractSignatures(ModuleOp module) {
  std::vector<ModelSignature> signatures;
  for (dnn::ModelOp model : module.getOps<dnn::ModelOp>()) {
    auto sig = extractSignature(model);
    if (failed(sig))
      return failure();
    signatures.push_back(std::move(*sig));
  }
  return signatures;
}
