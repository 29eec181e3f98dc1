//===- Trainer.h - Training a compiled model on a dataset -------*- C++ -*-===//
//
// The training loop of `dnn-run train`, as a library: entry train_step over
// mini-batches in an order that depends only on (shuffle seed, epoch), so
// that a run resumed from a checkpoint with step counter k skips the first k
// batches of that order and continues exactly as if it had not stopped;
// after each complete epoch (and where the run stops) entry eval over the
// evaluation sets. The Trainer prints nothing: a TrainObserver sees every
// step, evaluation and epoch (dnn-run draws its progress bar, loss curve and
// checkpoints from them).
//
//===----------------------------------------------------------------------===//
#ifndef DNN_TOOLS_TRAINING_TRAINER_H
#define DNN_TOOLS_TRAINING_TRAINER_H

#include "Dataset.h"
#include "Evaluator.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>

namespace dnn {

struct TrainOptions {
  /// Train until this many epochs are done (counting the session's steps).
  int64_t epochs = 1;
  int64_t batchSize = 32;
  /// At most this many steps in this run.
  std::optional<int64_t> maxSteps;
  /// Visit the samples in an order shuffled by (shuffleSeed, epoch), or in
  /// file order.
  bool shuffle = true;
  uint64_t shuffleSeed = 0;
  /// Replaces the learning rate of the model's `train with`.
  std::optional<double> learningRate;
  /// Also evaluate on the training set after each epoch.
  bool trainAccuracy = false;
  /// Fail at the first loss that is NaN or infinite (else: report it once
  /// to TrainObserver::nonFiniteLoss and go on).
  bool stopOnNonFinite = false;
  /// How errors name the two datasets (dnn-run: "--data", "--eval-data").
  std::string trainDataName = "training data", testDataName = "evaluation data";
  /// How errors name the numeric options (dnn-run: its flags).
  std::string epochsName = "epochs", batchSizeName = "the batch size",
              maxStepsName = "the step limit", learningRateName = "the learning rate";

  /// Empty when the options can be used, else what is wrong with the first
  /// that cannot. Trainer::create checks it; an app (dnn-run) may check it
  /// first, before it loads any data.
  std::string validate() const;
};

/// Where a run starts and stops, in steps (batches) of the session's
/// counter.
struct TrainPlan {
  int64_t batchesPerEpoch = 0;
  int64_t start = 0; /// the session's step counter before the run
  int64_t total = 0; /// epochs * batchesPerEpoch
  int64_t end = 0;   /// where this run stops (total, or sooner by maxSteps)
};

/// One training step done.
struct StepResult {
  int64_t step = 0;   /// the session's step counter after it
  int64_t epoch = 0;  /// 1-based
  int64_t batch = 0;  /// 1-based, within the epoch
  double loss = 0;    /// of this batch
  double epochMeanLoss = 0;         /// of this run's steps in the epoch so far
  double samplesPerSecond = 0;      /// over those steps
};

/// One epoch done, or the part of it this run did.
struct EpochResult {
  int64_t epoch = 0;       /// 1-based
  int64_t firstBatch = 0;  /// 0-based, where this run entered the epoch
  int64_t endBatch = 0;    /// one past the last batch done
  int64_t batchesPerEpoch = 0;
  bool complete() const { return endBatch == batchesPerEpoch; }
  double trainLoss = 0;    /// mean batch loss of this run's steps in it
  int64_t steps = 0, samples = 0;
  double seconds = 0;
  /// The evaluations after it (when it is complete or the run stops there).
  std::optional<EvalResult> test, train;
};

/// What a run ends with.
struct TrainResult {
  TrainPlan plan;
  int64_t step = 0;  /// the session's step counter at the end
  double lastEpochLoss = std::numeric_limits<double>::quiet_NaN();
  /// The last evaluations (test: of the evaluation set; train: with
  /// trainAccuracy).
  std::optional<EvalResult> test, train;
  /// The run failed on a loss that was not finite (stopOnNonFinite).
  bool stoppedOnNonFinite = false;
};

/// What a caller sees of a run as it happens; every hook is optional.
class TrainObserver {
public:
  virtual ~TrainObserver() = default;
  /// Before the first step of an epoch (or of the part of it this run does).
  virtual void epochStarted(int64_t epoch, int64_t firstBatch, int64_t batchesPerEpoch) {}
  virtual void stepDone(const StepResult &step) {}
  /// The first loss that is NaN or infinite (training goes on).
  virtual void nonFiniteLoss(const StepResult &step) {}
  /// An evaluation on `split` ("test" or "train") at `step`.
  virtual void evaluated(const std::string &split, int64_t step, int64_t epoch,
                         const EvalResult &result) {}
  /// After an epoch and its evaluations; returning false (with `error`)
  /// stops the run, e.g. when a checkpoint cannot be written.
  virtual bool epochDone(const EpochResult &epoch, std::string &error) { return true; }
  /// The run stops on an error in the middle of an epoch.
  virtual void interrupted() {}
};

class Trainer {
public:
  /// Checks `options` and binds the datasets: `train` to the model's
  /// train_step, `test` (may be null) and, with options.trainAccuracy,
  /// `train` to its eval entry. Null with `error` set on any mismatch.
  /// The datasets must outlive the Trainer.
  static std::unique_ptr<Trainer> create(const RuntimeApi &api, const dnn_model_info &model,
                                         const Dataset &train, const Dataset *test,
                                         const TrainOptions &options, std::string &error);

  /// Sets the learning rate (options.learningRate) on `session` and says
  /// where a run would start and stop.
  bool prepare(dnn_session *session, TrainPlan &plan, std::string &error) const;

  /// Trains `session` from its step counter to the plan's end. On failure
  /// returns false with `error` set (the steps done stay done).
  bool run(dnn_session *session, TrainObserver &observer, TrainResult &result,
           std::string &error) const;

  const TrainOptions &options() const { return options_; }
  /// Whether the evaluations report an accuracy.
  bool testHasAccuracy() const { return testEval_.hasAccuracy(); }
  bool trainHasAccuracy() const { return trainEval_.hasAccuracy(); }

private:
  Trainer(const RuntimeApi &api, const dnn_model_info &model, const Dataset &train,
          const Dataset *test, const TrainOptions &options)
      : api_(api), model_(model), train_(train), test_(test), options_(options) {}

  const RuntimeApi &api_;
  const dnn_model_info &model_;
  const Dataset &train_;
  const Dataset *test_;
  TrainOptions options_;
  std::vector<InputBinding> bindings_;
  Evaluator testEval_, trainEval_;
};

} // namespace dnn

#endif // DNN_TOOLS_TRAINING_TRAINER_H
