//===- Trainer.cpp - Training a compiled model on a dataset ---------------===//

#include "Trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

using namespace dnn;

namespace {
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}
} // namespace

std::string TrainOptions::validate() const {
  auto atLeastOne = [](const std::string &name, int64_t value) {
    return name + " must be at least 1, got " + std::to_string(value);
  };
  if (epochs < 1)
    return atLeastOne(epochsName, epochs);
  if (batchSize < 1)
    return atLeastOne(batchSizeName, batchSize);
  if (maxSteps && *maxSteps < 1)
    return atLeastOne(maxStepsName, *maxSteps);
  if (learningRate && !(*learningRate > 0 && std::isfinite(*learningRate))) {
    char value[32];
    std::snprintf(value, sizeof value, "%g", *learningRate);
    return learningRateName + " must be a positive number, got " + value;
  }
  return "";
}

std::unique_ptr<Trainer> Trainer::create(const RuntimeApi &api, const dnn_model_info &model,
                                         const Dataset &train, const Dataset *test,
                                         const TrainOptions &options, std::string &error) {
  error = options.validate();
  if (!error.empty())
    return nullptr;
  const dnn_entry_info *step = findEntry(model, "train_step");
  if (!step || !model.optimizer) {
    error = "model '" + std::string(model.name) + "' cannot be trained: it has no entry " +
            "point 'train_step' (entries: " + entryNames(model) + "); a trainable model " +
            "has a loss and 'train with <optimizer>'";
    return nullptr;
  }
  std::unique_ptr<Trainer> trainer(new Trainer(api, model, train, test, options));
  if (!bindDataset(train, model, *step, trainer->bindings_, error)) {
    error = options.trainDataName + ": " + error;
    return nullptr;
  }
  if (test || options.trainAccuracy) {
    const dnn_entry_info *evalEntry = findEvalEntry(model, error);
    if (!evalEntry)
      return nullptr;
    if (test && !prepareEvaluator(model, *evalEntry, *test, trainer->testEval_, error)) {
      error = options.testDataName + ": " + error;
      return nullptr;
    }
    if (options.trainAccuracy &&
        !prepareEvaluator(model, *evalEntry, train, trainer->trainEval_, error)) {
      error = options.trainDataName + ": " + error;
      return nullptr;
    }
  }
  return trainer;
}

bool Trainer::prepare(dnn_session *session, TrainPlan &plan, std::string &error) const {
  if (options_.learningRate)
    if (dnn_status status = api_.session_set_learning_rate(session, *options_.learningRate)) {
      error = lastError(api_, status);
      return false;
    }
  plan.batchesPerEpoch = numBatches(train_.rows, options_.batchSize);
  plan.start = api_.session_step(session);
  plan.total = options_.epochs * plan.batchesPerEpoch;
  plan.end = plan.total;
  if (options_.maxSteps)
    plan.end = std::min(plan.end, plan.start + *options_.maxSteps);
  return true;
}

bool Trainer::run(dnn_session *session, TrainObserver &observer, TrainResult &result,
                  std::string &error) const {
  TrainPlan plan;
  if (!prepare(session, plan, error))
    return false;
  result = TrainResult();
  result.plan = plan;
  const int64_t batch = options_.batchSize, perEpoch = plan.batchesPerEpoch;
  int64_t lastEvalStep = -1;
  // Entry eval on the evaluation sets at `atStep`.
  auto runEvaluations = [&](int64_t atStep, int64_t epoch) {
    lastEvalStep = atStep;
    if (test_) {
      EvalResult r;
      if (!evaluate(api_, session, testEval_, batch, r, error)) {
        error = options_.testDataName + ": " + error;
        return false;
      }
      result.test = r;
      observer.evaluated("test", atStep, epoch, r);
    }
    if (options_.trainAccuracy) {
      EvalResult r;
      if (!evaluate(api_, session, trainEval_, batch, r, error)) {
        error = options_.trainDataName + ": " + error;
        return false;
      }
      result.train = r;
      observer.evaluated("train", atStep, epoch, r);
    }
    return true;
  };

  Batch tensors;
  int64_t current = plan.start;
  bool reportedNonFinite = false;
  while (current < plan.end) {
    const int64_t epoch = current / perEpoch; // 0-based
    const int64_t firstBatch = current % perEpoch;
    const std::vector<int64_t> order =
        epochOrder(train_.rows, options_.shuffleSeed, epoch, options_.shuffle);
    observer.epochStarted(epoch + 1, firstBatch, perEpoch);
    Clock::time_point began = Clock::now();
    double lossSum = 0;
    int64_t steps = 0, samples = 0, b = firstBatch;
    for (; b < perEpoch && current < plan.end; ++b) {
      int64_t begin = b * batch, count = std::min(batch, train_.rows - begin);
      gatherBatch(train_, bindings_, order.data() + begin, count, tensors);
      double loss = 0;
      if (dnn_status status = api_.session_train_step(
              session, (int32_t)tensors.tensors.size(), tensors.tensors.data(), &loss)) {
        observer.interrupted();
        error = lastError(api_, status);
        return false;
      }
      ++current;
      ++steps;
      samples += count;
      lossSum += loss;
      StepResult done;
      done.step = current;
      done.epoch = epoch + 1;
      done.batch = b + 1;
      done.loss = loss;
      done.epochMeanLoss = lossSum / (double)steps;
      done.samplesPerSecond = (double)samples / secondsSince(began);
      if (!std::isfinite(loss) && options_.stopOnNonFinite) {
        observer.interrupted();
        char value[32];
        std::snprintf(value, sizeof value, "%g", loss);
        char where[160];
        std::snprintf(where, sizeof where, " at step %lld (epoch %lld, batch %lld)",
                      (long long)current, (long long)(epoch + 1), (long long)(b + 1));
        error = "the loss is " + std::string(std::isnan(loss) ? "NaN" : value) + where;
        result.step = current;
        result.stoppedOnNonFinite = true;
        return false;
      }
      if (!std::isfinite(loss) && !reportedNonFinite) {
        observer.nonFiniteLoss(done);
        reportedNonFinite = true;
      }
      observer.stepDone(done);
    }
    EpochResult summary;
    summary.epoch = epoch + 1;
    summary.firstBatch = firstBatch;
    summary.endBatch = b;
    summary.batchesPerEpoch = perEpoch;
    summary.trainLoss = lossSum / (double)steps;
    summary.steps = steps;
    summary.samples = samples;
    summary.seconds = secondsSince(began);
    result.lastEpochLoss = summary.trainLoss;
    // Evaluate after every complete epoch, and where the run stops.
    if (summary.complete() || current == plan.end) {
      if (!runEvaluations(current, epoch + 1))
        return false;
      summary.test = result.test;
      summary.train = result.train;
    }
    result.step = current;
    if (!observer.epochDone(summary, error))
      return false;
  }
  result.step = current;
  if (lastEvalStep != current && (test_ || options_.trainAccuracy))
    if (!runEvaluations(current, current == 0 ? 0 : (current - 1) / perEpoch + 1))
      return false;
  return true;
}
