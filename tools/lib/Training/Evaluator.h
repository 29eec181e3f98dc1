//===- Evaluator.h - A model's loss and accuracy over a dataset --*- C++ -*-===//
//
// Runs a model's `eval` entry over a whole dataset in batches: the loss
// averaged over the samples and, for models with an i32 label input and an
// i32 prediction output over the same batch dimension, the accuracy.
// `dnn-run eval` and the Trainer's evaluations after each epoch.
//
//===----------------------------------------------------------------------===//
#ifndef DNN_TOOLS_TRAINING_EVALUATOR_H
#define DNN_TOOLS_TRAINING_EVALUATOR_H

#include "Dataset.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace dnn {

/// How to read the loss and the accuracy out of entry eval.
struct Evaluator {
  const dnn_entry_info *entry = nullptr;
  const Dataset *data = nullptr;
  std::vector<InputBinding> bindings;
  const char *lossName = nullptr;
  int label = -1;                   /// binding of the label input, or -1
  const char *prediction = nullptr; /// i32 output compared with it, or null
  bool hasAccuracy() const { return prediction != nullptr; }
};

struct EvalResult {
  double loss = std::numeric_limits<double>::quiet_NaN();
  /// NaN when the model has no accuracy (Evaluator::hasAccuracy).
  double accuracy = std::numeric_limits<double>::quiet_NaN();
  int64_t samples = 0;
  bool hasAccuracy() const { return !std::isnan(accuracy); }
};

/// The entry that evaluates `model`: "eval", with the loss among its outputs;
/// null with `error` set otherwise.
const dnn_entry_info *findEvalEntry(const dnn_model_info &model, std::string &error);

/// Binds `data` to entry eval and finds the label input and the prediction
/// output: an i32 input of shape [B] and an i32 output of shape [B] over the
/// same batch symbol B ("predicted" preferred among several outputs).
bool prepareEvaluator(const dnn_model_info &model, const dnn_entry_info &entry,
                      const Dataset &data, Evaluator &out, std::string &error);

/// Runs entry eval over all of the evaluator's data, in order, in batches of
/// `batch`: the loss averaged over the samples (each batch's loss weighted by
/// its size) and the fraction of predictions equal to the labels.
bool evaluate(const RuntimeApi &api, dnn_session *session, const Evaluator &eval, int64_t batch,
              EvalResult &out, std::string &error);

} // namespace dnn

#endif // DNN_TOOLS_TRAINING_EVALUATOR_H
