//===- dnn-verify.cpp - Check compiled models against the reference -------===//
//
//   dnn-verify MODEL.dnn MODEL.so [--model NAME] [--batch 1,7,128] [--seed 1]
//              [--rtol 1e-4] [--atol 1e-5] [--declared-init]
//
// For each model of MODEL.dnn (or just NAME) and each batch size: binds every
// symbolic dimension to the batch size, initialises the compiled model's
// parameters from the seed and draws random values for every input of the
// model (labels included). Then, with the same parameters and inputs:
//
// - runs entry point "predict" and the reference interpreter on the model,
//   and compares every output;
// - where the library has entry point "grad" (models with a loss and
//   params), runs it and compares the loss and the gradient of every param
//   with the interpreter's values on the model differentiated as dnnc does
//   it (dnn-simplify, then dnn-differentiate: the dnn.gradient ops).
//
// Prints one line per model, batch size and entry point; exits 1 on the
// first tensor that differs, naming it, the element, the expected and the
// actual value.
//
//===----------------------------------------------------------------------===//

#include "InputRanges.h"
#include "ModelLibrary.h"

#include "dnnc/Dialect/DNN/IR/DNNOps.h"
#include "dnnc/Driver/Driver.h"
#include "dnnc/Pipelines/Pipelines.h"
#include "dnnc/Reference/Interpreter.h"
#include "dnnc/Tools/Registration.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <vector>

namespace cl = llvm::cl;
using dnnc::reference::NamedTensors;
using dnnc::reference::Tensor;
using dnnc::reference::ValueTensors;

using dnnc::verify::formatIndex;
using dnnc::verify::formatValue;

static cl::OptionCategory verifyCategory("dnn-verify options");

static cl::list<std::string> positional(cl::Positional, cl::OneOrMore,
                                        cl::desc("<model.dnn> <model.so>"),
                                        cl::cat(verifyCategory));
static cl::opt<std::string> modelName("model",
                                      cl::desc("Model to check (default: every model)"),
                                      cl::value_desc("name"), cl::cat(verifyCategory));
static cl::list<int64_t> batchSizes("batch", cl::CommaSeparated,
                                    cl::desc("Sizes for the symbolic dimensions "
                                             "(default: 1,7,128)"),
                                    cl::value_desc("n,n,..."), cl::cat(verifyCategory));
static cl::opt<uint64_t> seed("seed", cl::init(1),
                              cl::desc("Seed of the parameters and of the random inputs"),
                              cl::value_desc("n"), cl::cat(verifyCategory));
static cl::opt<bool> declaredInit(
    "declared-init",
    cl::desc("Keep the parameters' declared initializers (default: overwrite every "
             "parameter with U(-a, a), a = 1/sqrt(fan_in) or 0.5 without fans, so that zero-initialised biases are exercised)"),
    cl::init(false), cl::cat(verifyCategory));
// An f32 element passes when |actual - expected| <= atol + rtol * |expected|.
static cl::opt<double> relTolerance("rtol", cl::init(1e-4),
                                    cl::desc("Relative tolerance of f32 outputs"),
                                    cl::cat(verifyCategory));
static cl::opt<double> absTolerance("atol", cl::init(1e-5),
                                    cl::desc("Absolute tolerance of f32 outputs"),
                                    cl::cat(verifyCategory));

/// How far argmax's winner may fall below the maximum and still be accepted:
/// where two candidates are this close, f32 rounding may pick either.
static constexpr double kNearTie = 1e-5;

static bool error(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "dnn-verify") << message << "\n";
  return false;
}

/// For main: reports and gives the exit code.
static int fail(const llvm::Twine &message) {
  error(message);
  return 1;
}

//===----------------------------------------------------------------------===//
// Near ties: integer results that f32 rounding may legitimately change
//===----------------------------------------------------------------------===//

namespace {
/// The values an argmax chose among, for one element of its result.
struct Candidates {
  /// Argmax or Accuracy where the candidates are floats; None where
  /// integers must match exactly, and for tensors of floats.
  enum Kind { None, Argmax, Accuracy } kind = None;
  const Tensor *input = nullptr;
  int64_t axis = 0;

  /// Whether choosing `index` is within kNearTie of the true maximum for
  /// result element `flat`.
  bool accepts(int64_t flat, int64_t index) const {
    int64_t length = input->shape[axis], inner = 1;
    for (int64_t d = axis + 1; d < input->rank(); ++d)
      inner *= input->shape[d];
    if (index < 0 || index >= length)
      return false;
    int64_t outer = flat / inner, in = flat % inner;
    auto at = [&](int64_t k) { return input->data[(outer * length + k) * inner + in]; };
    double best = at(0);
    for (int64_t k = 1; k < length; ++k)
      best = std::max(best, at(k));
    return best - at(index) <= kNearTie * std::max(1.0, std::fabs(best));
  }

  /// Rows of [N, C] logits whose two largest values are near-tied.
  int64_t nearTiedRows() const {
    int64_t rows = 0;
    for (int64_t n = 0; n < input->shape[0]; ++n) {
      int64_t c = input->shape[1];
      std::vector<double> row(input->data.begin() + n * c, input->data.begin() + (n + 1) * c);
      std::sort(row.rbegin(), row.rend());
      rows += c > 1 && row[0] - row[1] <= kNearTie * std::max(1.0, std::fabs(row[0]));
    }
    return rows;
  }
};
} // namespace

/// The op that computes `value`, looking through stop_gradient.
static mlir::Operation *producer(mlir::Value value) {
  mlir::Operation *op = value.getDefiningOp();
  while (auto sg = llvm::dyn_cast_or_null<dnnc::dnn::StopGradientOp>(op))
    op = sg.getInput().getDefiningOp();
  return op;
}

/// What may make the integers of `value` (an output) differ: the float
/// logits behind an argmax or an accuracy.
static Candidates candidatesOf(mlir::Value value, const ValueTensors &values) {
  Candidates candidates;
  mlir::Operation *def = producer(value);
  if (!def || !llvm::isa<dnnc::dnn::ArgmaxOp, dnnc::dnn::AccuracyOp>(def))
    return candidates;
  auto it = values.find(def->getOperand(0));
  // Integer candidates are exact: there the first maximum must win.
  if (it == values.end() || it->second.isInteger)
    return candidates;
  candidates.input = &it->second;
  if (auto argmax = llvm::dyn_cast<dnnc::dnn::ArgmaxOp>(def)) {
    candidates.kind = Candidates::Argmax;
    int64_t axis = argmax.getAxisAttr().getInt();
    candidates.axis = axis < 0 ? axis + it->second.rank() : axis;
  } else {
    candidates.kind = Candidates::Accuracy;
    candidates.axis = 1;
  }
  return candidates;
}

//===----------------------------------------------------------------------===//
// Comparing one tensor
//===----------------------------------------------------------------------===//

namespace {
/// The largest errors that passed, over the tensors of one entry point.
struct Stats {
  double maxAbsErr = 0, maxRelErr = 0;
  int64_t nearTies = 0;
};
} // namespace

/// Compares `actual` from the compiled model with the interpreter's
/// `expected`; `what` names the tensor in reports ("mlp N=7: output
/// 'probs'"). On a mismatch reports it and returns false.
static bool compareTensor(const std::string &what, const dnn_tensor &actual,
                          const Tensor &expected, const Candidates &candidates,
                          Stats &stats) {
  bool actualInt = actual.dtype == DNN_DTYPE_I32;
  if (actual.dtype != DNN_DTYPE_F32 && !actualInt)
    return error(what + " has unknown dtype " + llvm::Twine(actual.dtype));
  if (actualInt != expected.isInteger)
    return error(what + " is " + (actualInt ? "i32" : "f32") + " but the reference is " +
                 (expected.isInteger ? "i32" : "float"));
  std::vector<int64_t> shape(actual.dims, actual.dims + std::max(0, actual.rank));
  if (shape != expected.shape)
    return error(what + " has shape " + dnnc::reference::shapeString(shape) +
                 " but the reference has " + dnnc::reference::shapeString(expected.shape));

  // Integer results of argmax and accuracy depend on comparisons that f32
  // rounding can flip when two logits are nearly equal.
  bool isArgmax = candidates.kind == Candidates::Argmax;
  bool isAccuracy = candidates.kind == Candidates::Accuracy;

  int64_t mismatches = 0;
  std::string first;
  for (int64_t i = 0; i < expected.numElements(); ++i) {
    double b = expected.data[i];
    double a = actualInt ? (double)static_cast<const int32_t *>(actual.data)[i]
                         : (double)static_cast<const float *>(actual.data)[i];
    std::string detail;
    if (actualInt) {
      if (a == b)
        continue;
      if (isArgmax && candidates.accepts(i, (int64_t)a)) {
        ++stats.nearTies;
        continue;
      }
      detail = "integers differ";
    } else {
      if ((std::isnan(a) && std::isnan(b)) || a == b)
        continue;
      double err = std::fabs(a - b), tolerance = absTolerance + relTolerance * std::fabs(b);
      // Accuracy moves in steps of 1/N; each near-tied row may cost one step.
      double tieSlack = 0;
      if (isAccuracy && candidates.input->shape[0] > 0)
        tieSlack = (double)candidates.nearTiedRows() / (double)candidates.input->shape[0];
      if (err <= tolerance) {
        stats.maxAbsErr = std::max(stats.maxAbsErr, err);
        // Relative error is only meaningful away from zero.
        if (std::fabs(b) > absTolerance)
          stats.maxRelErr = std::max(stats.maxRelErr, err / std::fabs(b));
        continue;
      }
      if (err <= tolerance + tieSlack) {
        stats.nearTies += (int64_t)std::lround(err * (double)candidates.input->shape[0]);
        continue;
      }
      detail = "abs err " + formatValue(err) + " > tolerance " + formatValue(tolerance);
      if (!std::isfinite(err))
        detail = "not finite in one of them";
    }
    if (mismatches++ == 0)
      first = what + " element " + formatIndex(shape, i) + " (flat " + std::to_string(i) +
              "): expected " + formatValue(b) + ", got " + formatValue(a) + " (" + detail +
              ")";
  }
  if (!mismatches)
    return true;
  return error(first + (mismatches > 1 ? "; " + std::to_string(mismatches) + " of " +
                                             std::to_string(expected.numElements()) +
                                             " elements differ"
                                       : std::string()));
}

/// "mlp N=7: 2 outputs OK (max abs err ..., max rel err ...)".
static void reportOK(llvm::StringRef where, const llvm::Twine &what, const Stats &stats) {
  llvm::outs() << where << ": " << what << " OK (max abs err "
               << llvm::format("%.1e", stats.maxAbsErr) << ", max rel err "
               << llvm::format("%.1e", stats.maxRelErr) << ")";
  if (stats.nearTies)
    llvm::outs() << ", " << stats.nearTies << " near "
                 << (stats.nearTies == 1 ? "tie" : "ties") << " accepted";
  llvm::outs() << "\n";
}

//===----------------------------------------------------------------------===//
// One model at one batch size: parameters and inputs
//===----------------------------------------------------------------------===//

/// Copies a runtime tensor (a parameter) into the interpreter's form.
static Tensor fromRuntime(const dnn_tensor &t) {
  Tensor out;
  out.isInteger = t.dtype == DNN_DTYPE_I32;
  out.shape.assign(t.dims, t.dims + std::max(0, t.rank));
  int64_t n = dnnc::reference::numElementsOf(out.shape);
  for (int64_t i = 0; i < n; ++i)
    out.data.push_back(out.isInteger ? (double)static_cast<const int32_t *>(t.data)[i]
                                     : (double)static_cast<const float *>(t.data)[i]);
  return out;
}

namespace {
/// One input of the model with its random values, as the runtime and the
/// interpreter take them.
struct DrawnInput {
  dnn_tensor tensor{}; // data points into `floats` or `ints`
  Tensor reference;
  std::vector<float> floats;
  std::vector<int32_t> ints;
  std::string range; // how it was drawn, for failure reports
};

/// A session of one model at one batch size, and what every entry point is
/// checked with: the same params and inputs for the library and the
/// interpreter.
struct Harness {
  const dnn::ModelLibrary &lib;
  const dnn_model_info &info;
  std::string where; // "mlp N=7"
  int64_t batch;      // the size of every symbol
  dnn::ScopedSession session;
  NamedTensors params;
  std::vector<DrawnInput> inputs; // by index into info.inputs

  Harness(const dnn::ModelLibrary &lib, const dnn_model_info &info, std::string where,
          int64_t batch)
      : lib(lib), info(info), where(std::move(where)), batch(batch), session(lib.api()) {}
  const dnn::RuntimeApi &api() const { return lib.api(); }
};
} // namespace

/// Creates the session and gives it and the interpreter the same params.
static bool initParams(Harness &h) {
  const dnn::RuntimeApi &api = h.api();
  dnn_status status;
  if ((status = api.session_create(&h.info, &h.session.session)) != DNN_OK ||
      (status = api.session_init_params(h.session.session, seed)) != DNN_OK)
    return error(h.where + ": " + h.lib.lastError(status));
  for (int32_t p = 0; p < h.info.num_params; ++p) {
    const char *name = h.info.params[p].tensor.name;
    dnn_tensor tensor{};
    if ((status = api.session_param(h.session.session, name, &tensor)) != DNN_OK)
      return error(h.where + ": " + h.lib.lastError(status));
    if (!declaredInit && tensor.dtype == DNN_DTYPE_F32) {
      std::mt19937_64 paramRng(seed * 7919 + p);
      // Scaled like a real initializer so activations stay O(1) through
      // deep models and f32 rounding stays within the tolerances.
      int64_t fanIn = h.info.params[p].fan_in;
      float bound = fanIn > 0 ? 1.0f / std::sqrt(float(fanIn)) : 0.5f;
      std::uniform_real_distribution<float> uniform(-bound, bound);
      int64_t count = 1;
      for (int32_t d = 0; d < tensor.rank; ++d)
        count *= tensor.dims[d];
      auto *data = static_cast<float *>(tensor.data);
      for (int64_t i = 0; i < count; ++i)
        data[i] = uniform(paramRng);
    }
    h.params[name] = fromRuntime(tensor);
  }
  // Buffers (running statistics) drawn positive, so that a running variance
  // stays one.
  for (int32_t b = 0; b < h.info.num_buffers; ++b) {
    const char *name = h.info.buffers[b].tensor.name;
    dnn_tensor tensor{};
    if ((status = api.session_param(h.session.session, name, &tensor)) != DNN_OK)
      return error(h.where + ": " + h.lib.lastError(status));
    if (!declaredInit) {
      std::mt19937_64 bufferRng(seed * 104729 + b);
      std::uniform_real_distribution<float> uniform(0.5f, 1.5f);
      auto *data = static_cast<float *>(tensor.data);
      for (int64_t i = 0, n = dnnc::reference::numElementsOf(
                                  llvm::ArrayRef<int64_t>(tensor.dims, tensor.rank));
           i < n; ++i)
        data[i] = uniform(bufferRng);
    }
    h.params[name] = fromRuntime(tensor);
  }
  return true;
}

/// Draws every input of the model, in declaration order, from a generator
/// started at the seed: every entry point sees the same values, and a
/// failure at one batch size reproduces alone.
static bool drawInputs(Harness &h, dnnc::dnn::ModelOp model, int64_t batch) {
  std::map<std::string, dnnc::dnn::InputOp> inputOps;
  for (auto in : model.getBody().getOps<dnnc::dnn::InputOp>())
    inputOps[in.getName().str()] = in;

  std::mt19937_64 rng(seed);
  h.inputs.resize(h.info.num_inputs);
  for (int32_t i = 0; i < h.info.num_inputs; ++i) {
    const dnn_tensor_info &in = h.info.inputs[i];
    auto it = inputOps.find(in.name);
    if (it == inputOps.end())
      return error(h.where + ": the library's input '" + in.name +
                   "' is not in the .dnn model");
    if (in.rank > DNN_MAX_RANK)
      return error(h.where + ": input '" + in.name + "' has rank above DNN_MAX_RANK");
    dnnc::verify::InputRange range = dnnc::verify::chooseInputRange(it->second, batch);
    DrawnInput &drawn = h.inputs[i];
    drawn.range = dnnc::verify::describeRange(in.name, range);
    dnn_tensor &t = drawn.tensor;
    Tensor &ref = drawn.reference;
    t.name = in.name;
    t.dtype = in.dtype;
    t.rank = in.rank;
    ref.isInteger = in.dtype == DNN_DTYPE_I32;
    for (int32_t d = 0; d < in.rank; ++d) {
      t.dims[d] = in.dims[d].symbol ? batch : in.dims[d].size;
      ref.shape.push_back(t.dims[d]);
    }
    int64_t n = dnnc::reference::numElementsOf(ref.shape);
    for (int64_t e = 0; e < n; ++e) {
      double v = dnnc::verify::drawValue(range, rng);
      ref.data.push_back(v);
      if (ref.isInteger)
        drawn.ints.push_back((int32_t)v);
      else
        drawn.floats.push_back((float)v);
    }
    t.data = ref.isInteger ? (void *)drawn.ints.data() : (void *)drawn.floats.data();
  }
  return true;
}

/// The inputs `entry` takes, for the library, and the interpreter's bindings:
/// the params and those inputs, so that it computes only what the entry can.
static std::vector<dnn_tensor> bindEntry(const Harness &h, const dnn_entry_info &entry,
                                         NamedTensors &bindings) {
  std::vector<dnn_tensor> tensors;
  bindings = h.params;
  for (int32_t i = 0; i < entry.num_inputs; ++i) {
    const DrawnInput &in = h.inputs[entry.inputs[i]];
    tensors.push_back(in.tensor);
    bindings[in.tensor.name] = in.reference;
  }
  return tensors;
}

/// After a mismatch: how to reproduce it. Returns false.
static bool noteInputs(const Harness &h, const dnn_entry_info &entry) {
  std::string ranges;
  for (int32_t i = 0; i < entry.num_inputs; ++i)
    ranges += (ranges.empty() ? "" : "; ") + h.inputs[entry.inputs[i]].range;
  llvm::WithColor::note(llvm::errs(), "dnn-verify")
      << "seed " << seed << "; inputs: " << (ranges.empty() ? "none" : ranges) << "\n";
  return false;
}

//===----------------------------------------------------------------------===//
// One model at one batch size: the entry points
//===----------------------------------------------------------------------===//

/// Entry point "predict" against the interpreter on `model`.
static bool checkPredict(Harness &h, dnnc::dnn::ModelOp model,
                         const dnn_entry_info &entry) {
  const dnn::RuntimeApi &api = h.api();
  NamedTensors bindings;
  std::vector<dnn_tensor> inputs = bindEntry(h, entry, bindings);

  // Outputs stay in session-owned buffers until the next run.
  std::vector<dnn_tensor> outputs(entry.num_outputs);
  for (int32_t i = 0; i < entry.num_outputs; ++i)
    outputs[i].name = h.info.outputs[entry.outputs[i]].name;
  if (dnn_status status =
          api.session_run(h.session.session, entry.name, (int32_t)inputs.size(),
                          inputs.data(), (int32_t)outputs.size(), outputs.data()))
    return error(h.where + ": running 'predict': " + h.lib.lastError(status));

  auto values = dnnc::reference::evaluateValues(model, bindings);
  if (!values)
    return error(h.where + ": reference interpreter: " + llvm::toString(values.takeError()));

  std::map<std::string, mlir::Value> outputValues;
  for (auto out : model.getBody().getOps<dnnc::dnn::OutputOp>())
    outputValues[out.getName().str()] = out.getValue();

  Stats stats;
  for (const dnn_tensor &out : outputs) {
    auto it = outputValues.find(out.name);
    if (it == outputValues.end())
      return error(h.where + ": the library's output '" + out.name +
                   "' is not in the .dnn model");
    auto expected = values->find(it->second);
    if (expected == values->end())
      return error(h.where + ": the reference cannot compute output '" + out.name +
                   "' from the inputs of 'predict'");
    std::string what = h.where + ": output '" + out.name + "'";
    if (!compareTensor(what, out, expected->second, candidatesOf(it->second, *values), stats))
      return noteInputs(h, entry);
  }
  reportOK(h.where,
           llvm::Twine(outputs.size()) + (outputs.size() == 1 ? " output" : " outputs"), stats);
  return true;
}

/// Entry point "grad" against the interpreter on `differentiated`, the
/// model with its dnn.gradient ops: the loss, then every param's gradient.
static bool checkGrad(Harness &h, dnnc::dnn::ModelOp differentiated,
                      const dnn_entry_info &entry) {
  const dnn::RuntimeApi &api = h.api();
  if (h.info.loss < 0 || h.info.loss >= h.info.num_outputs)
    return error(h.where + ": the library has entry point 'grad' but no loss");
  const char *lossName = h.info.outputs[h.info.loss].name;
  NamedTensors bindings;
  std::vector<dnn_tensor> inputs = bindEntry(h, entry, bindings);

  // Every symbol takes the batch size: a batch of one leaves batch_norm one
  // value per channel, which the runtime must refuse to train on.
  bool mustRefuse = h.info.num_training_checks > 0 && h.batch < 2;
  double loss = 0;
  dnn_status status =
      api.session_grad(h.session.session, (int32_t)inputs.size(), inputs.data(), &loss);
  if (mustRefuse) {
    if (status != DNN_ERROR_SHAPE_MISMATCH)
      return error(h.where + ": 'grad' ran with one value per channel of a batch_norm; the "
                             "runtime should refuse it");
    llvm::outs() << h.where << ": 'grad' refused as it should be: " << h.lib.lastError(status)
                 << "\n";
    return true;
  }
  if (status)
    return error(h.where + ": running 'grad': " + h.lib.lastError(status));

  // grad runs in training mode, with the masks of the session's next step.
  dnnc::reference::EvaluateOptions options;
  options.training = true;
  options.rngKey = dnn_step_key(seed, 1);
  auto values = dnnc::reference::evaluate(differentiated, bindings, options);
  if (!values)
    return error(h.where + ": reference interpreter on the gradient graph: " +
                 llvm::toString(values.takeError()));

  Stats stats;
  // The entry computes the loss in f32; the runtime widens it to double.
  float lossValue = (float)loss;
  dnn_tensor lossTensor{};
  lossTensor.name = lossName;
  lossTensor.dtype = DNN_DTYPE_F32;
  lossTensor.rank = 0;
  lossTensor.data = &lossValue;
  auto expectedLoss = values->find(lossName);
  if (expectedLoss == values->end())
    return error(h.where + ": the reference cannot compute the loss '" + lossName +
                 "' from the inputs of 'grad'");
  if (!compareTensor(h.where + ": loss '" + lossName + "'", lossTensor, expectedLoss->second,
                     Candidates(), stats))
    return noteInputs(h, entry);

  for (int32_t p = 0; p < h.info.num_params; ++p) {
    const char *name = h.info.params[p].tensor.name;
    dnn_tensor gradient{};
    if (dnn_status status = api.session_gradient(h.session.session, name, &gradient))
      return error(h.where + ": gradient of '" + name + "': " + h.lib.lastError(status));
    auto expected = values->find(dnnc::reference::gradientKey(name));
    if (expected == values->end())
      return error(h.where + ": the reference computes no gradient of '" + name + "'");
    if (!compareTensor(h.where + ": gradient of '" + name + "'", gradient, expected->second,
                       Candidates(), stats))
      return noteInputs(h, entry);
  }
  int32_t n = h.info.num_params;
  reportOK(h.where,
           "loss and " + llvm::Twine(n) + (n == 1 ? " gradient" : " gradients"), stats);
  if (h.info.num_buffers == 0 || !dnn::findEntry(h.info, "train_step"))
    return true;

  // One training step moves the buffers as the interpreter's
  // dnn.buffer_update values say (the same step, so the same masks).
  Stats bufferStats;
  if (dnn_status status = api.session_train_step(h.session.session, (int32_t)inputs.size(),
                                                 inputs.data(), &loss))
    return error(h.where + ": running 'train_step': " + h.lib.lastError(status));
  for (int32_t b = 0; b < h.info.num_buffers; ++b) {
    const char *name = h.info.buffers[b].tensor.name;
    dnn_tensor buffer{};
    if (dnn_status status = api.session_param(h.session.session, name, &buffer))
      return error(h.where + ": buffer '" + name + "': " + h.lib.lastError(status));
    auto expected = values->find(dnnc::reference::bufferUpdateKey(name));
    if (expected == values->end())
      return error(h.where + ": the reference computes no update of buffer '" + name + "'");
    if (!compareTensor(h.where + ": buffer '" + name + "' after train_step", buffer,
                       expected->second, Candidates(), bufferStats))
      return noteInputs(h, entry);
  }
  reportOK(h.where,
           llvm::Twine(h.info.num_buffers) +
               (h.info.num_buffers == 1 ? " buffer" : " buffers") + " after train_step",
           bufferStats);
  return true;
}

/// Checks every entry point there is a check for; `differentiated` is null
/// for a model without a loss.
static bool verifyModel(const dnn::ModelLibrary &lib, dnnc::dnn::ModelOp model,
                        dnnc::dnn::ModelOp differentiated, const dnn_model_info &info,
                        int64_t batch, llvm::StringRef where) {
  const dnn_entry_info *predict = dnn::findEntry(info, "predict");
  const dnn_entry_info *grad = dnn::findEntry(info, "grad");
  if (!predict)
    llvm::outs() << where << ": no entry point 'predict'" << (grad ? "" : "; nothing to check")
                 << "\n";
  if (!predict && !grad)
    return true;
  if (grad && !differentiated)
    return error(where + ": the library has entry point 'grad' but the .dnn model has no loss");

  Harness h(lib, info, where.str(), batch);
  if (!initParams(h) || !drawInputs(h, model, batch))
    return false;
  if (predict && !checkPredict(h, model, *predict))
    return false;
  // grad reads the params that predict left as they were.
  return !grad || checkGrad(h, differentiated, *grad);
}

//===----------------------------------------------------------------------===//
// main
//===----------------------------------------------------------------------===//

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // libLLVM registers hundreds of codegen options; --help should not list them.
  cl::HideUnrelatedOptions(verifyCategory);
  cl::ParseCommandLineOptions(argc, argv,
                              "dnn-verify: check a compiled model library against the "
                              "reference interpreter\n");
  if (positional.size() != 2)
    return fail("expected MODEL.dnn and MODEL.so");
  std::vector<int64_t> batches(batchSizes.begin(), batchSizes.end());
  if (batches.empty())
    batches = {1, 7, 128};
  for (int64_t b : batches)
    if (b < 1)
      return fail("batch sizes must be positive, got " + llvm::Twine(b));

  mlir::DialectRegistry registry;
  dnnc::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(positional[0]);
  if (!buffer)
    return fail("cannot read '" + positional[0] + "': " + buffer.getError().message());
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  dnnc::FrontendResult frontend = dnnc::runFrontend(sourceMgr, context, llvm::errs());
  if (frontend.numErrors || !frontend.module)
    return fail("'" + positional[0] + "' has errors");

  std::vector<dnnc::dnn::ModelOp> models;
  for (auto model : frontend.module->getOps<dnnc::dnn::ModelOp>())
    if (modelName.empty() || model.getSymName() == modelName)
      models.push_back(model);
  if (models.empty())
    return fail(modelName.empty() ? "'" + positional[0] + "' has no models"
                                  : "'" + positional[0] + "' has no model '" + modelName + "'");

  // The backward graphs as dnnc derives them, for entry point "grad": it
  // simplifies and differentiates the whole module, but without dnnc's
  // rewrites of the graph into equal, cheaper forms, which the comparison
  // then checks too.
  mlir::OwningOpRef<mlir::ModuleOp> differentiated;
  if (llvm::any_of(models, [](dnnc::dnn::ModelOp m) { return bool(m.getLossOp()); })) {
    differentiated = frontend.module->clone();
    mlir::SourceMgrDiagnosticHandler handler(sourceMgr, &context, llvm::errs());
    mlir::PassManager pm(&context);
    dnnc::buildDNNSimplifyPipeline(pm);
    dnnc::buildDifferentiatePipeline(pm, /*rewrite=*/false);
    if (mlir::failed(pm.run(*differentiated)))
      return fail("differentiating '" + positional[0] + "' failed");
  }

  std::string message;
  std::unique_ptr<dnn::ModelLibrary> lib = dnn::ModelLibrary::open(positional[1], message);
  if (!lib)
    return fail(message);

  for (dnnc::dnn::ModelOp model : models) {
    const dnn_model_info *info = lib->findModel(model.getSymName().str(), message);
    if (!info)
      return fail(message);
    dnnc::dnn::ModelOp backward;
    if (model.getLossOp())
      for (auto m : differentiated->getOps<dnnc::dnn::ModelOp>())
        if (m.getSymName() == model.getSymName())
          backward = m;
    // Every symbol takes the batch size; a model without symbols runs once.
    llvm::SmallVector<std::string> symbols;
    for (auto in : model.getBody().getOps<dnnc::dnn::InputOp>())
      for (mlir::Attribute s : in.getSymbols())
        if (!llvm::is_contained(symbols, llvm::cast<mlir::StringAttr>(s).getValue()))
          symbols.push_back(llvm::cast<mlir::StringAttr>(s).getValue().str());
    for (int64_t batch : batches) {
      std::string where = model.getSymName().str();
      if (!symbols.empty())
        where += " " + llvm::join(llvm::map_range(symbols,
                                                  [&](const std::string &s) {
                                                    return s + "=" + std::to_string(batch);
                                                  }),
                                  ", ");
      if (!verifyModel(*lib, model, backward, *info, batch, where))
        return 1;
      if (symbols.empty())
        break;
    }
  }
  return 0;
}
