//===- Evaluator.cpp - A model's loss and accuracy over a dataset ---------===//

#include "Evaluator.h"

#include <algorithm>
#include <cstring>

using namespace dnn;

/// The entry that evaluates `model`: "eval", with the loss among its outputs.
const dnn_entry_info *dnn::findEvalEntry(const dnn_model_info &model, std::string &error) {
  const dnn_entry_info *entry = findEntry(model, "eval");
  bool hasLoss = false;
  for (int32_t i = 0; entry && i < entry->num_outputs; ++i)
    hasLoss |= entry->outputs[i] == model.loss;
  if (!entry || model.loss < 0 || !hasLoss) {
    error = "model '" + std::string(model.name) + "' has no entry point 'eval' computing its " +
            "loss (entries: " + entryNames(model) + "); evaluation needs a model with a loss";
    return nullptr;
  }
  return entry;
}

/// Binds `data` to entry eval and finds the label input and the prediction
/// output: an i32 input of shape [B] and an i32 output of shape [B] over the
/// same batch symbol B ("predicted" preferred among several outputs).
bool dnn::prepareEvaluator(const dnn_model_info &model, const dnn_entry_info &entry,
                             const Dataset &data, Evaluator &out, std::string &error) {
  out = Evaluator();
  out.entry = &entry;
  out.data = &data;
  out.lossName = model.outputs[model.loss].name;
  if (!bindDataset(data, model, entry, out.bindings, error))
    return false;
  int labels = 0;
  for (size_t b = 0; b < out.bindings.size(); ++b)
    if (out.bindings[b].dtype == DNN_DTYPE_I32 && out.bindings[b].sampleDims.empty()) {
      out.label = (int)b;
      ++labels;
    }
  if (labels != 1) {
    out.label = -1;
    return true;
  }
  const char *symbol = model.inputs[out.bindings[out.label].input].dims[0].symbol;
  for (int32_t i = 0; i < entry.num_outputs; ++i) {
    const dnn_tensor_info &output = model.outputs[entry.outputs[i]];
    if (output.dtype != DNN_DTYPE_I32 || output.rank != 1 || !output.dims[0].symbol ||
        std::strcmp(output.dims[0].symbol, symbol) != 0)
      continue;
    if (!out.prediction || std::strcmp(output.name, "predicted") == 0)
      out.prediction = output.name;
  }
  return true;
}

/// Runs entry eval over all of the evaluator's data, in order, in batches of
/// `batch`: the loss averaged over the samples (each batch's loss weighted by
/// its size) and the fraction of predictions equal to the labels.
bool dnn::evaluate(const RuntimeApi &api, dnn_session *session, const Evaluator &eval,
                   int64_t batch, EvalResult &out, std::string &error) {
  const Dataset &data = *eval.data;
  std::vector<int64_t> order = epochOrder(data.rows, 0, 0, /*shuffle=*/false);
  Batch tensors;
  double lossSum = 0;
  int64_t correct = 0;
  for (int64_t begin = 0; begin < data.rows; begin += batch) {
    int64_t count = std::min(batch, data.rows - begin);
    gatherBatch(data, eval.bindings, order.data() + begin, count, tensors);
    dnn_tensor outputs[2] = {};
    outputs[0].name = eval.lossName;
    outputs[1].name = eval.prediction;
    int32_t numOutputs = eval.hasAccuracy() ? 2 : 1;
    dnn_status status = api.session_run(session, eval.entry->name, (int32_t)tensors.tensors.size(),
                                        tensors.tensors.data(), numOutputs, outputs);
    if (status != DNN_OK) {
      error = lastError(api, status);
      return false;
    }
    double loss = outputs[0].dtype == DNN_DTYPE_F64 ? *static_cast<const double *>(outputs[0].data)
                                                    : *static_cast<const float *>(outputs[0].data);
    lossSum += loss * (double)count;
    if (eval.hasAccuracy()) {
      const int32_t *predicted = static_cast<const int32_t *>(outputs[1].data);
      const int32_t *labels = static_cast<const int32_t *>(tensors.tensors[eval.label].data);
      for (int64_t i = 0; i < count; ++i)
        correct += predicted[i] == labels[i];
    }
  }
  out.samples = data.rows;
  out.loss = lossSum / (double)data.rows;
  if (eval.hasAccuracy())
    out.accuracy = (double)correct / (double)data.rows;
  return true;
}
